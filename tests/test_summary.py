"""nn.summary: parameter totals against PyTorch's sum(p.numel()), multiply-adds against the
formulas worked out here by hand, the printed table parsed back, and the run leaving the model
exactly as it was (no graph, no gradients, training flags, its own children)."""

import random
import re
from itertools import pairwise

import numpy as np
import pytest

from tinygrad_edu import Tensor, nn
from tinygrad_edu.nn.module import Module


def parse_table(text):
    """The table as a person reads it: (name, type, shape, params, mult-adds) per row, totals."""
    lines = text.splitlines()
    rules = [i for i, line in enumerate(lines) if set(line) == {"-"}]
    assert len(rules) == 2 and re.split(r"\s{2,}", lines[rules[0] - 1]) == [
        "name",
        "type",
        "output shape",
        "params",
        "mult-adds",
    ]

    def number(cell):
        return 0 if cell == "--" else int(cell.replace(",", ""))

    rows = []
    for line in lines[rules[0] + 1 : rules[1]]:
        name, kind, shape, params, mult_adds = re.split(r"\s{2,}", line.strip())
        indent = (len(line) - len(line.lstrip())) // 2
        rows.append(
            (indent, "" if name == "(model)" else name, kind, shape, number(params), number(mult_adds))
        )
    total = re.split(r"\s{2,}", lines[rules[1] + 1])
    assert total[0] == "total"
    memory = re.fullmatch(r"parameter memory: ([\d,]+) bytes \((\w+)\)", lines[rules[1] + 2])
    return rows, (number(total[1]), number(total[2])), (number(memory.group(1)), memory.group(2))


def linear_stack(sizes, rng=None):
    rng = rng or np.random.default_rng(0)
    layers = []
    for nin, nout in pairwise(sizes):
        layers += [nn.Linear(nin, nout, rng=rng), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def test_parameter_totals_match_pytorch(torch):
    ours = nn.Sequential(
        nn.Linear(784, 128),
        nn.ReLU(),
        nn.Sequential(nn.Linear(128, 64, bias=False), nn.Tanh()),
        nn.Linear(64, 10),
    )
    theirs = torch.nn.Sequential(
        torch.nn.Linear(784, 128),
        torch.nn.ReLU(),
        torch.nn.Sequential(torch.nn.Linear(128, 64, bias=False), torch.nn.Tanh()),
        torch.nn.Linear(64, 10),
    )
    s = nn.summary(ours, (32, 784))
    assert s.total_params == sum(p.numel() for p in theirs.parameters())
    by_name = {row["name"]: row["params"] for row in s.rows}
    for name, module in theirs.named_modules():
        if len(list(module.children())) == 0:  # PyTorch's leaves hold the parameters
            assert by_name[name] == sum(p.numel() for p in module.parameters(recurse=False)), name


@pytest.mark.parametrize("batch", [1, 5, 32])
def test_linear_mult_adds_are_batch_nin_nout(batch):
    sizes = [6, 9, 4, 3]
    s = nn.summary(linear_stack(sizes), (batch, sizes[0]))
    expected = [batch * nin * nout for nin, nout in pairwise(sizes)]
    assert [row["mult_adds"] for row in s.rows if row["type"] == "Linear"] == expected
    assert s.total_mult_adds == sum(expected)
    assert [row["output_shape"] for row in s.rows if row["type"] == "Linear"] == [
        (batch, n) for n in sizes[1:]
    ]
    assert all(row["mult_adds"] == 0 for row in s.rows if row["type"] in ("ReLU", "Sequential"))


def test_extra_leading_axes_count_as_batch():
    s = nn.summary(nn.Linear(4, 3), (2, 5, 4))
    assert s.rows[0]["output_shape"] == (2, 5, 3) and s.total_mult_adds == 2 * 5 * 4 * 3


def test_table_parses_back_to_the_rows_and_totals():
    model = nn.Sequential(
        nn.Linear(5, 7), nn.Sigmoid(), nn.Sequential(nn.Linear(7, 2), nn.Sequential(nn.Tanh()))
    )
    s = nn.summary(model, (3, 5))
    rows, totals, (memory, dtype) = parse_table(str(s))
    assert repr(s) == str(s)
    assert [r[1:3] for r in rows] == [(row["name"], row["type"]) for row in s.rows]
    assert [r[0] for r in rows] == [0, 1, 1, 1, 2, 2, 3]  # nested modules indented
    assert [r[3] for r in rows] == [str(row["output_shape"]) for row in s.rows]
    assert [r[4:] for r in rows] == [(row["params"], row["mult_adds"]) for row in s.rows]
    assert totals == (s.total_params, s.total_mult_adds) == (sum(r[4] for r in rows), sum(r[5] for r in rows))
    assert (memory, dtype) == (8 * s.total_params, "float64") and s.param_bytes == memory
    assert str(s).splitlines()[0] == "Sequential, input (3, 5), float64"


def test_scalar_mlp_counts_one_example():
    random.seed(0)
    sizes = [3, 4, 4, 1]
    s = nn.summary(nn.MLP(sizes[0], sizes[1:]), (3,))
    layers = [row for row in s.rows if row["type"] == "Layer"]
    assert [row["name"] for row in layers] == ["layers.0", "layers.1", "layers.2"]
    assert [row["params"] for row in layers] == [(nin + 1) * nout for nin, nout in pairwise(sizes)]
    assert [row["mult_adds"] for row in layers] == [nin * nout for nin, nout in pairwise(sizes)]
    assert [row["output_shape"] for row in layers] == [(4,), (4,), (1,)]
    assert s.rows[0]["output_shape"] == ()  # the MLP returns one Value
    assert s.total_params == len(nn.MLP(3, [4, 4, 1]).parameters()) and s.param_bytes == 8 * s.total_params
    rows, totals, _ = parse_table(str(s))
    assert totals == (s.total_params, s.total_mult_adds)
    single = nn.summary(nn.Neuron(5), (5,))
    assert (single.total_params, single.total_mult_adds, single.rows[0]["output_shape"]) == (6, 5, ())


def test_builds_no_graph_and_leaves_gradients_alone():
    seen = []

    class Probe(Module):
        def __call__(self, x):
            seen.append((x.requires_grad, x._prev, self.training))
            return x

    model = nn.Sequential(nn.Linear(3, 4), Probe(), nn.Linear(4, 2))
    nn.summary(model, (2, 3))
    assert seen == [(False, (), False)]  # no graph, and evaluation mode during the run
    assert all(p.grad is None for p in model.parameters())
    random.seed(1)
    mlp = nn.MLP(2, [3, 1])
    nn.summary(mlp, (2,))
    assert all(p.grad == 0.0 for p in mlp.parameters())


def test_training_flags_are_restored_one_by_one():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 2)))
    model[1].eval()  # a mix: the outer Sequential and model[0] train, model[1] and inside evaluate
    before = [m.training for _, m in model.named_modules()]
    nn.summary(model, (1, 2))
    assert [m.training for _, m in model.named_modules()] == before == [True, True, False, False, False]
    random.seed(2)
    mlp = nn.MLP(2, [2, 1])
    mlp.layers[0].neurons[1].eval()  # inside a Layer, which the table shows as one row
    before = [m.training for _, m in mlp.named_modules()]
    nn.summary(mlp, (2,))
    assert [m.training for _, m in mlp.named_modules()] == before and before.count(False) == 1


def test_wrong_input_shape_raises_the_layers_error_and_restores_everything():
    first = nn.Linear(4, 3)
    model = nn.Sequential(first, nn.ReLU()).train()
    with pytest.raises(
        ValueError, match=r"linear: input of shape \(8, 5\) does not fit weight of shape \(3, 4\)"
    ):
        nn.summary(model, (8, 5))
    assert model[0] is first and model.training and first.training  # the real modules are back
    assert model(Tensor(np.ones((1, 4)))).shape == (1, 3)
    with pytest.raises(ValueError, match="this Neuron takes 2 inputs, got 3"):
        nn.summary(nn.MLP(2, [1]), (3,))


@pytest.mark.parametrize(
    "shape, error, match",
    [
        (784, TypeError, r"input_shape must be a tuple, e.g. \(784,\)"),
        ((32, "8"), TypeError, "tuple of ints"),
        ((32, True), TypeError, "tuple of ints"),
        ((), ValueError, "non-empty"),
        ((0, 3), ValueError, ">= 1"),
    ],
)
def test_input_shape_errors(shape, error, match):
    with pytest.raises(error, match=match):
        nn.summary(nn.Linear(3, 2), shape)


def test_scalar_model_takes_one_example_and_module_types():
    with pytest.raises(ValueError, match=r"one example.*\(nin,\), got \(4, 2\)"):
        nn.summary(nn.MLP(2, [1]), (4, 2))
    with pytest.raises(TypeError, match="summary takes a Module .* got function"):
        nn.summary(lambda x: x, (1, 2))


@pytest.mark.parametrize("style", ["forward", "first release: __call__ and named_parameters"])
def test_a_module_of_your_own_is_stepped_through_and_repeated_calls_add_up(style):
    class TwoTowers(Module):
        def __init__(self):
            super().__init__()
            self.left, self.right = nn.Linear(4, 3), nn.Linear(4, 3)
            self.head = [nn.Linear(3, 1)]
            self.scale = Tensor(np.ones(1), requires_grad=True)  # a parameter of its own

        def forward(self, x):
            h = (self.left(x) + self.right(x)).reshape(-1, self.left.nout)  # reads an attribute too
            return self.head[0](h) * self.scale

    class OldTwoTowers(TwoTowers):
        def __call__(self, x):  # the first release's way: no forward hooks run for this module
            return self.forward(x)

        def named_parameters(self):
            pairs = [("scale", self.scale)]
            for name, child in self.named_children():
                pairs += [(f"{name}.{n}", p) for n, p in child.named_parameters()]
            return pairs

    model = TwoTowers() if style == "forward" else OldTwoTowers()
    s = nn.summary(model, (10, 4))
    rows = {row["name"]: row for row in s.rows}
    assert list(rows) == ["", "left", "right", "head.0"]
    assert rows[""]["params"] == 1
    assert rows[""]["output_shape"] == ((10, 1) if style == "forward" else None)
    assert [rows[n]["mult_adds"] for n in ("left", "right", "head.0")] == [10 * 4 * 3, 10 * 4 * 3, 10 * 3]
    assert s.total_params == 1 + 2 * (4 * 3 + 3) + 4 and isinstance(model.head[0], nn.Linear)
    assert not any(vars(m).get("_forward_hooks") for m in model.modules())  # every hook removed

    class Twice(Module):
        def __init__(self):
            self.layer = nn.Linear(2, 2)

        def __call__(self, x):
            return self.layer(self.layer(x))

    twice = nn.summary(Twice(), (3, 2))
    assert twice.rows[1]["mult_adds"] == 2 * 3 * 2 * 2 and twice.rows[1]["output_shape"] == (3, 2)


def test_a_shared_layer_is_one_row_and_its_parameters_count_once():
    shared = nn.Linear(3, 3)
    s = nn.summary(nn.Sequential(shared, nn.Tanh(), shared), (2, 3))
    assert [row["name"] for row in s.rows] == ["", "0", "1"]
    assert s.total_params == 12 and s.total_mult_adds == 2 * (2 * 3 * 3)


def test_float32_models_run_in_float32_and_count_4_bytes():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    for p in model.parameters():
        p.data = p.data.astype(np.float32)
    s = nn.summary(model, (2, 3))
    assert s.param_bytes == 4 * 16 and str(s).endswith("(float32)")
    assert nn.summary(nn.ReLU(), (2, 3)).param_bytes == 0  # no parameters: float64 zeros


def test_an_output_that_is_not_an_array_shows_a_question_mark():
    class Pair(Module):
        def __call__(self, x):
            return {"pair": (x, x)}  # (a tuple of Tensors shows its first, as a recurrent module's)

    s = nn.summary(nn.Sequential(Pair()), (1, 2))
    assert s.rows[1]["output_shape"] is None and " ?  " in str(s)


# ***** convolution, recurrence, skip connections, dropout *****


def conv_out(size, kernel, stride=1, padding=0):
    return (size + 2 * padding - kernel) // stride + 1


def test_lenet_params_match_pytorch_and_mult_adds_follow_the_conv_formula(torch):
    ours = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 10),
    )  # fmt: skip
    tnn = torch.nn
    theirs = tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 10),
    )  # fmt: skip
    batch = 3
    s = nn.summary(ours, (batch, 1, 28, 28))
    assert s.total_params == sum(p.numel() for p in theirs.parameters())
    h1 = conv_out(28, 5, padding=2)  # 28, pooled to 14
    h2 = conv_out(h1 // 2, 5)  # 10, pooled to 5
    expected = {
        "0": batch * 6 * h1 * h1 * 1 * 5 * 5,  # batch x out x H_out x W_out x in x kh x kw
        "3": batch * 16 * h2 * h2 * 6 * 5 * 5,
        "7": batch * 400 * 120,
        "9": batch * 120 * 10,
    }
    rows = {row["name"]: row for row in s.rows}
    assert {name: rows[name]["mult_adds"] for name in expected} == expected
    assert s.total_mult_adds == sum(expected.values())
    with torch.no_grad():
        x, shapes = torch.zeros(batch, 1, 28, 28), {}
        for i, layer in enumerate(theirs):
            x = layer(x)
            shapes[str(i)] = tuple(x.shape)
    assert {name: row["output_shape"] for name, row in rows.items() if name} == shapes
    assert parse_table(str(s))[1] == (s.total_params, s.total_mult_adds)


def test_conv_with_stride_and_rectangular_kernel():
    conv = nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=(1, 0))
    s = nn.summary(conv, (2, 3, 9, 7))
    h, w = conv_out(9, 3, 2, 1), conv_out(7, 2, 1, 0)
    assert s.rows[0]["output_shape"] == (2, 4, h, w)
    assert s.total_mult_adds == 2 * 4 * h * w * 3 * 3 * 2


def test_rnn_cell_counts_batch_hidden_input_plus_hidden(torch):
    s = nn.summary(nn.RNNCell(7, 5), (4, 7))
    assert s.rows[0]["output_shape"] == (4, 5) and s.total_mult_adds == 4 * 5 * (7 + 5)
    assert s.total_params == sum(p.numel() for p in torch.nn.RNNCell(7, 5).parameters())
    assert nn.summary(nn.RNNCell(7, 5, bias=False), (4, 7)).total_params == 5 * 7 + 5 * 5
    with pytest.raises(ValueError, match=r"RNNCell\(7, 5\) takes x of shape \(batch, 7\), got \(4, 6\)"):
        nn.summary(nn.RNNCell(7, 5), (4, 6))


def test_residual_inner_layers_are_rows_and_shape_changes_are_its_error():
    block = nn.Residual(nn.Sequential(nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 6)))
    model = nn.Sequential(nn.Linear(3, 6), block)
    s = nn.summary(model, (5, 3))
    rows, totals, _ = parse_table(str(s))
    assert [(indent, name) for indent, name, *_ in rows] == [
        (0, ""), (1, "0"), (1, "1"), (2, "1.module"), (3, "1.module.0"), (3, "1.module.1"), (3, "1.module.2"),
    ]  # fmt: skip
    assert s.total_mult_adds == 5 * (3 * 6 + 6 * 6 + 6 * 6) and totals[1] == s.total_mult_adds
    assert all(row["output_shape"] == (5, 6) for row in s.rows[1:])
    assert model[1] is block and isinstance(block.module, nn.Sequential)
    with pytest.raises(
        ValueError, match=r"Residual: the inner Linear turned input of shape \(5, 3\) into shape"
    ):
        nn.summary(nn.Residual(nn.Linear(3, 2)), (5, 3))


def test_dropout_does_not_drop_and_stays_in_training_mode():
    drop = nn.Dropout(0.5, rng=0)
    model = nn.Sequential(nn.Linear(4, 4), drop)
    s = nn.summary(model, (8, 4))
    assert model.training and drop.training
    assert s.rows[2]["type"] == "Dropout" and s.rows[2]["mult_adds"] == 0
    ones = Tensor(np.ones(20))
    # no mask was drawn during the summary: the next mask is the first of a fresh seed-0 dropout
    np.testing.assert_array_equal(drop(ones).data, nn.Dropout(0.5, rng=0)(ones).data)
