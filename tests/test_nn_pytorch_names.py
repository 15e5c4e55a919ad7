"""PyTorch's everyday nn names: the new modules, the loss modules and every reduction, the
functional interface, and repr(model), each against torch float64 (values and gradients) and
central differences (gradcheck), one table row per function."""

import warnings

import numpy as np
import pytest
from tensor_helpers import check_op, require_torch

import tinygrad_edu.nn.functional as F
from tinygrad_edu import Tensor, nn
from tinygrad_edu.nn import functional as F_again

LABELS = np.array([2, 0, 1, 2])


def _t():
    return require_torch()


def _tf():
    return _t().nn.functional


# name, our function of Tensors, torch's function of tensors, the input shapes, their domains
ROWS = [
    *[
        (
            f"mse_{r}",
            lambda a, b, r=r: nn.mse_loss(a, b, r),
            lambda a, b, r=r: _tf().mse_loss(a, b, reduction=r),
        )
        for r in ("mean", "sum", "none")
    ],
    *[
        (f"l1_{r}", lambda a, b, r=r: nn.l1_loss(a, b, r), lambda a, b, r=r: _tf().l1_loss(a, b, reduction=r))
        for r in ("mean", "sum", "none")
    ],
    *[
        (
            f"bce_{r}",
            lambda a, b, r=r: nn.binary_cross_entropy(a, b, r),
            lambda a, b, r=r: _tf().binary_cross_entropy_with_logits(a, b, reduction=r),
        )
        for r in ("mean", "sum", "none")
    ],
    *[
        (
            f"MSELoss_{r}",
            lambda a, b, r=r: nn.MSELoss(reduction=r)(a, b),
            lambda a, b, r=r: _t().nn.MSELoss(reduction=r)(a, b),
        )
        for r in ("sum", "none")
    ],
    ("L1Loss", lambda a, b: nn.L1Loss()(a, b), lambda a, b: _t().nn.L1Loss()(a, b)),
    (
        "BCEWithLogitsLoss_sum",
        lambda a, b: nn.BCEWithLogitsLoss("sum")(a, b),
        lambda a, b: _t().nn.BCEWithLogitsLoss(reduction="sum")(a, b),
    ),
    ("F.mse_loss", lambda a, b: F.mse_loss(a, b), lambda a, b: _tf().mse_loss(a, b)),
]
PAIR_ROWS = ROWS  # (prediction (4, 3), target (4, 3) in [0, 1])

SINGLE_ROWS = [
    *[
        (
            f"cross_entropy_{r}",
            lambda x, r=r: nn.cross_entropy(x, LABELS, r),
            lambda x, r=r: _tf().cross_entropy(x, _t().from_numpy(LABELS), reduction=r),
            (4, 3),
        )
        for r in ("mean", "sum", "none")
    ],
    (
        "CrossEntropyLoss_none",
        lambda x: nn.CrossEntropyLoss(reduction="none")(x, Tensor(LABELS.astype(float))),
        lambda x: _t().nn.CrossEntropyLoss(reduction="none")(x, _t().from_numpy(LABELS)),
        (4, 3),
    ),
    (
        "F.cross_entropy",
        lambda x: F.cross_entropy(x, LABELS),
        lambda x: _tf().cross_entropy(x, _t().from_numpy(LABELS)),
        (4, 3),
    ),
    ("LeakyReLU", lambda x: nn.LeakyReLU()(x), lambda x: _t().nn.LeakyReLU()(x), (4, 3)),
    ("LeakyReLU_0.3", lambda x: nn.LeakyReLU(0.3)(x), lambda x: _t().nn.LeakyReLU(0.3)(x), (2, 3, 2)),
    ("F.leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: _tf().leaky_relu(x, 0.2), (5,)),
    ("Softmax_1", lambda x: nn.Softmax(dim=1)(x), lambda x: _t().nn.Softmax(dim=1)(x), (4, 3)),
    ("Softmax_0", lambda x: nn.Softmax(0)(x), lambda x: _t().nn.Softmax(0)(x), (4, 3)),
    ("LogSoftmax_-1", lambda x: nn.LogSoftmax(dim=-1)(x), lambda x: _t().nn.LogSoftmax(dim=-1)(x), (2, 3, 4)),
    ("F.softmax", lambda x: F.softmax(x, dim=1), lambda x: _tf().softmax(x, dim=1), (2, 3, 4)),
    ("F.log_softmax", lambda x: F.log_softmax(x, 0), lambda x: _tf().log_softmax(x, 0), (3, 2)),
    ("Identity", lambda x: nn.Identity(7)(x) * 2.0, lambda x: _t().nn.Identity(7)(x) * 2.0, (3,)),
    ("Flatten", lambda x: nn.Flatten()(x) * 1.0, lambda x: _t().nn.Flatten()(x) * 1.0, (2, 3, 2, 2)),
    ("Flatten_0_1", lambda x: nn.Flatten(0, 1)(x) * 1.0, lambda x: _t().nn.Flatten(0, 1)(x) * 1.0, (2, 3, 2)),
    (
        "Flatten_-2_-1",
        lambda x: nn.Flatten(-2, -1)(x) * 1.0,
        lambda x: _t().nn.Flatten(-2, -1)(x) * 1.0,
        (2, 3, 2),
    ),
    ("F.relu", lambda x: F.relu(x), lambda x: _tf().relu(x), (4, 3)),
    ("F.tanh", lambda x: F.tanh(x), lambda x: _t().tanh(x), (4, 3)),
    ("F.sigmoid", lambda x: F.sigmoid(x), lambda x: _t().sigmoid(x), (4, 3)),
    ("F.max_pool2d", lambda x: F.max_pool2d(x, 2), lambda x: _tf().max_pool2d(x, 2), (1, 2, 4, 4)),
    ("F.avg_pool2d", lambda x: F.avg_pool2d(x, 2), lambda x: _tf().avg_pool2d(x, 2), (1, 2, 4, 4)),
    (
        "F.dropout_eval",
        lambda x: F.dropout(x, 0.5, training=False),
        lambda x: _tf().dropout(x, 0.5, training=False),
        (3,),
    ),
]


@pytest.mark.parametrize("name,fn,torch_fn", PAIR_ROWS, ids=[r[0] for r in PAIR_ROWS])
@pytest.mark.parametrize("seed", [0, 1])
def test_two_input_losses_match_torch_and_gradcheck(name, fn, torch_fn, seed):
    rng = np.random.default_rng(seed)
    pred = rng.uniform(-2, 2, size=(4, 3))
    target = rng.uniform(0, 1, size=(4, 3))
    check_op(fn, torch_fn, [pred, target], rng)


@pytest.mark.parametrize("name,fn,torch_fn,shape", SINGLE_ROWS, ids=[r[0] for r in SINGLE_ROWS])
@pytest.mark.parametrize("seed", [0, 1])
def test_one_input_functions_match_torch_and_gradcheck(name, fn, torch_fn, shape, seed):
    rng = np.random.default_rng(seed)
    # away from the kinks of relu and max (distinct values), where differences are meaningful
    x = rng.permutation(np.linspace(0.05, 2.0, int(np.prod(shape)))).reshape(shape) * rng.choice(
        [-1, 1], shape
    )
    check_op(fn, torch_fn, [x], rng)


def test_conv2d_through_functional_matches_torch(torch):
    rng = np.random.default_rng(5)
    x, w, b = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    check_op(
        lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
        lambda x, w, b: torch.nn.functional.conv2d(x, w, b, stride=2, padding=1),
        [x, w, b],
        rng,
    )


def test_functional_imports_both_ways_and_one_hot_matches_torch(torch):
    assert F is F_again and nn.functional is F
    labels = np.array([[0, 3], [2, 2]])
    ours = F.one_hot(labels)
    assert ours.shape == (2, 2, 4) and ours.dtype == np.float64
    np.testing.assert_array_equal(ours.data, torch.nn.functional.one_hot(torch.from_numpy(labels)).numpy())
    np.testing.assert_array_equal(F.one_hot(Tensor([1.0, 0.0]), num_classes=3).data, np.eye(3)[[1, 0]])
    assert F.one_hot([], num_classes=2).shape == (0, 2)


@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda: F.one_hot([0.5]), TypeError, "integer class indices, got float64"),
        (lambda: F.one_hot([-1]), ValueError, "class index -1 is negative"),
        (lambda: F.one_hot([3], num_classes=2), ValueError, "class index 3 needs num_classes"),
        (lambda: F.one_hot([1], num_classes=2.0), TypeError, "num_classes must be an int"),
        (lambda: F.dropout(Tensor([1.0]), training=1), TypeError, "training must be True or False"),
        (lambda: nn.Softmax(), TypeError, "dim"),
        (lambda: nn.Softmax(dim=1.0), TypeError, "dim must be an int.*float"),
        (
            lambda: nn.LogSoftmax(dim=2)(Tensor(np.ones((2, 2)))),
            ValueError,
            r"dim=2 is out of range.*\(2, 2\)",
        ),
        (lambda: F.softmax(Tensor(np.ones(3)), dim=None), TypeError, "dim must be an int"),
        (lambda: nn.LeakyReLU("0.1"), TypeError, "negative_slope must be a number, got str"),
        (lambda: nn.Flatten(1.5), TypeError, "start_dim must be an int"),
        (
            lambda: nn.Flatten(2, 0)(Tensor(np.ones((2, 2, 2)))),
            ValueError,
            "start_dim=2 comes after end_dim=0",
        ),
        (lambda: nn.Flatten(0, 3)(Tensor(np.ones((2, 2)))), ValueError, r"does not fit.*\(2, 2\)"),
        (lambda: nn.MSELoss(reduction="avg"), ValueError, "'mean', 'sum' or 'none', got 'avg'"),
        (lambda: nn.cross_entropy(Tensor(np.ones((1, 2))), [0], reduction=None), ValueError, "got None"),
        (lambda: nn.l1_loss([1.0], Tensor([1.0])), TypeError, "l1_loss: pred must be a Tensor"),
        (lambda: nn.L1Loss()(Tensor([1.0, 2.0]), Tensor([1.0])), ValueError, r"\(2,\).*\(1,\)"),
        (lambda: nn.Identity()([1.0]), TypeError, "Identity takes a Tensor"),
    ],
)
def test_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_functional_dropout_trains_by_default_and_is_seedable():
    x = Tensor(np.ones(1000), requires_grad=True)
    y = F.dropout(x, p=0.25, rng=0)
    assert set(np.unique(y.data)) == {0.0, 1.0 / 0.75} and 0.2 < (y.data == 0).mean() < 0.3
    np.testing.assert_array_equal(y.data, F.dropout(x, p=0.25, rng=0).data)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, y.data)  # the gradient is the mask


def test_cross_entropy_reports_a_float_label_as_given():
    with pytest.raises(ValueError, match=r"label 1e\+20 is out of range for 3 classes"):
        nn.cross_entropy(Tensor(np.zeros((1, 3))), Tensor([1e20]))
    with pytest.raises(ValueError, match="label -2.0 is out of range"):
        nn.cross_entropy(Tensor(np.zeros((2, 3))), Tensor([1.0, -2.0]))
    with pytest.raises(ValueError, match="label inf is out of range"):
        nn.cross_entropy(Tensor(np.zeros((1, 3))), Tensor([np.inf]))


def test_infinite_logits_give_torchs_numbers_without_warnings(torch):
    rows = [[np.inf, 0.0], [-np.inf, 0.0], [-np.inf, -np.inf], [np.inf, np.inf]]
    for row in rows:
        for label in (0, 1):
            for r in ("mean", "none"):
                x = Tensor([row], requires_grad=True)
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    loss = nn.cross_entropy(x, [label], reduction=r)
                    loss.backward(np.ones(loss.shape))
                t = torch.tensor([row], requires_grad=True)
                t_loss = torch.nn.functional.cross_entropy(t, torch.tensor([label]), reduction=r)
                t_loss.backward(torch.ones(t_loss.shape))
                np.testing.assert_array_equal(loss.data, t_loss.detach().numpy())
                np.testing.assert_array_equal(x.grad, t.grad.numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = Tensor([np.inf, -np.inf], requires_grad=True)
        nn.binary_cross_entropy(x, Tensor([1.0, 0.0]), reduction="none").backward(np.ones(2))
    assert x.grad.tolist() == [0.0, 0.0]


def test_reductions_relate_by_hand():
    rng = np.random.default_rng(0)
    x, t = Tensor(rng.standard_normal((3, 4))), Tensor(rng.standard_normal((3, 4)))
    for loss in (nn.mse_loss, nn.l1_loss, nn.binary_cross_entropy):
        each = loss(x, t, reduction="none").data
        assert each.shape == (3, 4)
        assert loss(x, t, reduction="sum").item() == pytest.approx(each.sum(), rel=1e-12)
        assert loss(x, t).item() == pytest.approx(each.mean(), rel=1e-12)
    each = nn.cross_entropy(x, [0, 3, 1], reduction="none").data
    assert each.shape == (3,) and nn.cross_entropy(x, [0, 3, 1], "sum").item() == pytest.approx(each.sum())


# ***** repr(model), against torch's repr of the same model *****


def _same_repr(ours, theirs):
    assert repr(ours) == repr(theirs), f"\n{ours!r}\n---\n{theirs!r}"


def test_repr_of_a_sequential_matches_torch(torch):
    def make(lib):  # the same model from either library
        return lib.Sequential(
            lib.Conv2d(1, 4, 3, padding=1), lib.ReLU(), lib.MaxPool2d(2),
            lib.Conv2d(4, 2, (3, 5), stride=2, bias=False), lib.MaxPool2d((2, 3), 1), lib.Flatten(),
            lib.Dropout(0.25), lib.Linear(8, 5, bias=False), lib.LeakyReLU(), lib.LeakyReLU(0.2),
            lib.Tanh(), lib.Sigmoid(), lib.Identity(), lib.Linear(5, 3), lib.Softmax(dim=1),
            lib.LogSoftmax(1), lib.Flatten(0, -1), lib.RNNCell(2, 3),
            lib.RNNCell(2, 3, bias=False, nonlinearity="relu"), lib.MSELoss(reduction="sum"),
            lib.L1Loss(), lib.CrossEntropyLoss(), lib.BCEWithLogitsLoss(), lib.Sequential(),
        )  # fmt: skip

    _same_repr(make(nn), make(torch.nn))


def test_repr_of_custom_nested_and_list_modules_matches_torch(torch):
    def make(lib):
        class Block(lib.Module):
            def __init__(self):
                super().__init__()
                self.scale = lib.Parameter(lib_ones(lib))  # parameters are not shown, as in PyTorch
                self.body = lib.Sequential(lib.Linear(4, 4), lib.ReLU())
                self.heads = lib.ModuleList([lib.Linear(4, 2) for _ in range(3)] + [lib.Linear(4, 1)])

            def forward(self, x):
                return self.body(x)

        class Net(lib.Module):
            def __init__(self):
                super().__init__()
                self.stem = lib.Linear(2, 4)
                self.blocks = lib.ModuleList([Block(), Block()])
                self.act = lib.Tanh()

            def forward(self, x):
                return x

        return Net()

    def lib_ones(lib):
        return torch.ones(2) if lib is torch.nn else np.ones(2)

    _same_repr(make(nn), make(torch.nn))
    _same_repr(nn.ModuleList(), torch.nn.ModuleList())


def test_scalar_reprs_are_trees_too():
    model = nn.MLP(2, [3, 3, 1], activation="tanh", last_activation="tanh")
    assert repr(model) == (
        "MLP(\n"
        "  (layers.0): Layer(\n    (neurons.0-2): 3 x Neuron(2, activation='tanh')\n  )\n"
        "  (layers.1): Layer(\n    (neurons.0-2): 3 x Neuron(3, activation='tanh')\n  )\n"
        "  (layers.2): Layer(\n    (neurons.0): Neuron(3, activation='tanh')\n  )\n"
        ")"
    )
    assert repr(nn.Neuron(3, nonlin=False)) == "Neuron(3, activation='linear')"


# ***** issue 20's small points *****


def test_linear_takes_an_int_seed_like_its_siblings():
    a, b = nn.Linear(3, 2, rng=0), nn.Linear(3, 2, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    assert not np.array_equal(a.weight.data, nn.Linear(3, 2, rng=1).weight.data)
    assert (a.in_features, a.out_features) == (3, 2)
    with pytest.raises(TypeError, match="Linear: rng must be an int seed.*str"):
        nn.Linear(3, 2, rng="0")


@pytest.mark.parametrize("nonlin", ["tanh", 1, None])
def test_neuron_nonlin_must_be_a_bool_and_points_to_activation(nonlin):
    with pytest.raises(TypeError, match="activation="):
        nn.Neuron(2, nonlin=nonlin)
    with pytest.raises(TypeError, match="activation="):
        nn.MLP(2, [2, 1], nonlin=nonlin)


def test_mlp_last_activation(torch):
    import random

    random.seed(4)
    model = nn.MLP(2, [4, 4, 1], activation="tanh", last_activation="tanh")
    assert [n.activation for layer in model.layers for n in layer.neurons[:1]] == ["tanh"] * 3
    assert model.layers[-1].neurons[0].activation == "tanh"
    assert nn.MLP(2, [3, 1], last_activation="sigmoid").layers[-1].neurons[0].activation == "sigmoid"
    assert nn.MLP(2, [3, 1]).layers[-1].neurons[0].activation == "linear"  # micrograd's default kept
    with pytest.raises(ValueError, match="activation must be one of"):
        nn.MLP(2, [3, 1], last_activation="softmax")
    # the same network in torch: tanh after every layer, the output included
    weights = [(np.array([[n.w[i].data for i in range(len(n.w))] for n in layer.neurons]),
                np.array([n.b.data for n in layer.neurons])) for layer in model.layers]  # fmt: skip
    x = [0.3, -1.2]
    h = torch.tensor(x)
    for W, b in weights:
        h = torch.tanh(torch.from_numpy(W) @ h + torch.from_numpy(b))
    out = model(x)
    assert out.data == pytest.approx(h.item(), rel=1e-12)
