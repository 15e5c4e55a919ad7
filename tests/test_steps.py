"""backward_steps: local derivatives against analytic ones, contributions, fan-out, a * a, and
final gradients equal to backward()'s on random graphs, Values and Tensors (any op)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_value_graphs import UNARY, inputs3, programs, run

from tinygrad_edu import Step, Tensor, Value, backward_steps, nn, value
from tinygrad_edu.graph import topological_order
from tinygrad_edu.tensor import BACKWARD_RULES as TENSOR_RULES


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


# op -> (build the node from Values a, b; its derivatives written by hand, from the numbers)
# (the key is the test's name; the op is micrograd's name, the key without its "_c")
VALUE_OPS = {
    "+": (lambda a, b: a + b, lambda x, y: [1.0, 1.0]),
    "+_c": (lambda a, b: a + 2.5, lambda x, y: [1.0]),
    "-": (lambda a, b: a - b, lambda x, y: [1.0, -1.0]),
    "neg": (lambda a, b: -a, lambda x, y: [-1.0]),
    "*": (lambda a, b: a * b, lambda x, y: [y, x]),
    "*_c": (lambda a, b: a * 3.0, lambda x, y: [3.0]),
    "/": (lambda a, b: a / b, lambda x, y: [1 / y, -x / y**2]),
    "/_c": (lambda a, b: a / 4.0, lambda x, y: [0.25]),
    "**3": (lambda a, b: a**3, lambda x, y: [3 * x**2]),
    "pow": (lambda a, b: a**b, lambda x, y: [y * x ** (y - 1), x**y * math.log(x)]),
    "exp": (lambda a, b: a.exp(), lambda x, y: [math.exp(x)]),
    "log": (lambda a, b: a.log(), lambda x, y: [1 / x]),
    "tanh": (lambda a, b: a.tanh(), lambda x, y: [1 - math.tanh(x) ** 2]),
    "sigmoid": (lambda a, b: a.sigmoid(), lambda x, y: [sigmoid(x) * (1 - sigmoid(x))]),
    "relu": (lambda a, b: a.relu(), lambda x, y: [1.0 if x > 0 else 0.0]),
    "leaky_relu": (lambda a, b: a.leaky_relu(0.1), lambda x, y: [1.0 if x > 0 else 0.1]),
}


def test_every_value_op_is_checked_here():
    ops = {name.replace("_c", "") for name in VALUE_OPS}
    assert ops == (set(value.BACKWARD_RULES) - {"**"}) | {"**3"}  # "**" is the rule of every "**k"


@pytest.mark.parametrize("op", sorted(VALUE_OPS))
@given(
    x=st.floats(0.3, 2.0) | st.floats(-2.0, -0.3),
    y=st.floats(0.5, 2.0),
    scale=st.floats(-3.0, 3.0),
)
def test_local_derivative_and_contribution_of_every_value_op(op, x, y, scale):
    if op == "pow":
        x = abs(x)  # a real power needs a positive base
    if op == "log":
        x = abs(x)
    build, derivatives = VALUE_OPS[op]
    a, b = Value(x, label="a"), Value(y, label="b")
    node = build(a, b)
    op = op.replace("_c", "")  # micrograd's name: a + 2.5 is "+", a**3 is "**3"
    assert node._op == op
    loss = node * scale  # so the gradient arriving at the node is `scale`, not 1
    steps = list(backward_steps(loss))
    assert [s.node for s in steps] == [loss, node]
    step = steps[1]
    assert step.op == op and step.grad == scale
    expected = derivatives(x, y)
    assert [entry[0] for entry in step.inputs] == list(node._prev)
    for (_, local, contribution), d in zip(step.inputs, expected, strict=True):
        assert local == pytest.approx(d, rel=1e-12, abs=1e-15)
        assert contribution == local * scale
    assert [a.grad] == pytest.approx([expected[0] * scale], rel=1e-12, abs=1e-15)


def test_the_contract_sentence():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    n = a + b
    n.label = "n"
    steps = list(backward_steps(n * 0.5))
    assert str(steps[1]) == "n = a + b: dL/da += 1 * 0.5 = 0.5; dL/db += 1 * 0.5 = 0.5"
    assert str(steps[0]) == "v3 = n * 0.5: dL/dn += 0.5 * 1 = 0.5"  # unlabelled: v + its place


@pytest.mark.parametrize(
    "build, text",
    [
        (lambda a: a - 1, "v1 = a - 1"),
        (lambda a: a + 2, "v1 = a + 2"),
        (lambda a: a**2, "v1 = a**2"),
        (lambda a: -a, "v1 = -a"),
        (lambda a: a.leaky_relu(0.2), "v1 = leaky_relu(a, 0.2)"),
        (lambda a: a.tanh(), "v1 = tanh(a)"),
        (lambda a: a ** Value(2.0, label="k"), "v2 = a ** k"),
    ],
)
def test_how_each_op_reads(build, text):
    out = build(Value(1.5, label="a"))
    assert str(list(backward_steps(out))[0]).startswith(text + ": ")


def test_a_times_a_has_one_input_with_local_derivative_2a():
    a = Value(3.0, label="a")
    square = a * a
    (step,) = backward_steps(square)
    assert len(step.inputs) == 1
    x, local, contribution = step.inputs[0]
    assert x is a and local == 6.0 and contribution == 6.0 and a.grad == 6.0
    assert str(step) == "v1 = a * a: dL/da += 6 * 1 = 6"


def test_fan_out_adds_up_and_each_step_is_applied_when_yielded():
    a = Value(1.5, label="a")
    left, right = a * a, a.exp()  # a feeds two nodes: a diamond
    out = left + right
    grads_of_a = [0.0]
    for step in backward_steps(out):
        assert 1 <= step.index <= step.total == 3
        received = sum(c for x, _, c in step.inputs if x is a)
        assert a.grad == pytest.approx(grads_of_a[-1] + received, rel=1e-15)  # applied already
        grads_of_a.append(a.grad)
    # nothing from the output's step, then 2a from a * a and e**a from exp, in either order
    increments = sorted(np.diff(grads_of_a).tolist())
    assert increments == pytest.approx(sorted([0.0, 2 * 1.5, math.exp(1.5)]), rel=1e-15)


def test_root_is_seeded_with_one_and_a_leaf_has_no_steps():
    a = Value(2.0)
    assert list(backward_steps(a)) == [] and a.grad == 1.0
    b = Value(2.0)
    steps = backward_steps(b * 3)
    assert b.grad == 0.0  # a generator: nothing happens until it runs
    list(steps)
    assert b.grad == 3.0


def fresh_values(program, xs):
    values = [Value(x) for x in xs]
    return values, run(program, values)


@given(program=programs(sorted(UNARY)), xs=inputs3)
def test_final_gradients_equal_backward_on_random_graphs(program, xs):
    values_a, out_a = fresh_values(program, xs)
    out_a.backward()
    values_b, out_b = fresh_values(program, xs)
    steps = list(backward_steps(out_b))
    order_a, order_b = topological_order(out_a), topological_order(out_b)
    assert len(steps) == sum(1 for n in order_b if n._prev)
    assert [s.index for s in steps] == list(range(1, len(steps) + 1))
    for node_a, node_b in zip(order_a, order_b, strict=True):  # every node, intermediate ones too
        assert node_a.grad == node_b.grad or (math.isnan(node_a.grad) and math.isnan(node_b.grad))
    # the contributions into each leaf add up to its gradient
    for leaf in values_b:
        received = [c for s in steps for x, _, c in s.inputs if x is leaf]
        assert sum(received) == pytest.approx(leaf.grad, rel=1e-9, abs=1e-12)


def test_errors_are_raised_at_once_and_say_what_is_wrong():
    with pytest.raises(TypeError, match="float"):
        backward_steps(3.0)
    with pytest.raises(ValueError, match=r"\(2,\)"):
        backward_steps(Tensor([1.0, 2.0], requires_grad=True) * 2)
    with pytest.raises(RuntimeError, match="requires grad"):
        backward_steps(Tensor([1.0]) * 2)


# ***** Tensors *****


def linear_mse_graph(seed):
    """nn.Linear(2, 16) -> tanh -> mse_loss: the same numbers for the same seed."""
    rng = np.random.default_rng(seed)
    layer = nn.Linear(2, 16)
    layer.weight.data[...] = rng.normal(size=(16, 2))
    layer.bias.data[...] = rng.normal(size=16)
    layer.weight.label, layer.bias.label = "W", "b"
    x = Tensor(rng.normal(size=(5, 2)), label="x")
    target = Tensor(rng.normal(size=(5, 16)))
    return nn.mse_loss(layer(x).tanh(), target), [layer.weight, layer.bias]


def cross_entropy_graph(seed):
    rng = np.random.default_rng(seed)
    w = Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    x = Tensor(rng.normal(size=(6, 3)), requires_grad=True)
    logits = (x @ w).relu() * 2 - x.sum(axis=1, keepdims=True)
    return nn.cross_entropy(logits, rng.integers(0, 4, size=6)), [w, x]


def binary_cross_entropy_graph(seed):
    rng = np.random.default_rng(seed)
    w = Tensor(rng.normal(size=(4,)), requires_grad=True)
    target = Tensor(rng.uniform(size=(3, 4)), requires_grad=True)
    logits = (w * w).sigmoid().log() + w.exp().sqrt() / 3 - (-w).leaky_relu(0.2)
    logits = logits.reshape(2, 2).transpose().reshape(4) ** 2 + target
    return nn.binary_cross_entropy(logits, target), [w, target]


def many_ops_graph(seed):
    rng = np.random.default_rng(seed)
    a = Tensor(rng.uniform(0.5, 2.0, size=(3, 4)), requires_grad=True)
    b = Tensor(rng.uniform(0.5, 2.0, size=(4,)), requires_grad=True)
    c = (a * a + b) / (b - 0.1) ** a  # broadcasting, a used three times
    d = c[np.array([0, 0, 2])].softmax(axis=1) + c.log_softmax(axis=0)[1]
    return d.max(axis=0).mean() + d.T.mean(), [a, b]


def select_and_shape_graph(seed):
    rng = np.random.default_rng(seed)
    a = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    b = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    joined = Tensor.cat([a, b.abs(), a], axis=0).clip(-1.0, 1.5)  # (6, 3), a used twice
    stacked = Tensor.stack([a, b], axis=1).flatten(1)  # (2, 6)
    picked = Tensor.where(a.data > 0, a * 2, b)
    return joined.min(axis=1).sum() + stacked.max() + picked.mean(), [a, b]


def recurrent_graph(seed):
    """Two RNN cells sharing W_ih over 7 steps, whose weights are also used directly in the
    loss: the weight terms left for the end of the walk (graph.py) meet direct contributions."""
    rng = np.random.default_rng(seed)
    first, second = nn.RNNCell(2, 3, rng=rng), nn.RNNCell(2, 3, rng=rng, nonlinearity="relu")
    second.weight_ih = first.weight_ih
    h = None
    for t in range(7):
        h = (first if t % 3 else second)(Tensor(rng.normal(size=(4, 2))), h)
    loss = (h * h).sum() + (first.weight_hh * first.bias_hh).sum() + first.weight_ih.abs().sum()
    return loss, [first.weight_ih, first.weight_hh, first.bias_ih, first.bias_hh, *second.parameters()]


GRAPHS = [linear_mse_graph, cross_entropy_graph, binary_cross_entropy_graph, many_ops_graph]
GRAPHS += [select_and_shape_graph, recurrent_graph]


@pytest.mark.parametrize("make", GRAPHS, ids=[g.__name__ for g in GRAPHS])
@given(seed=st.integers(0, 2**16))
def test_tensor_steps_end_with_backwards_gradients(make, seed):
    loss_a, params_a = make(seed)
    loss_a.backward()
    loss_b, params_b = make(seed)
    received = {id(p): np.zeros_like(p.data) for p in params_b}
    for step in backward_steps(loss_b):
        for x, local, contribution in step.inputs:
            assert local is None and contribution.shape == x.data.shape
            if id(x) in received:
                received[id(x)] += contribution
    for p_a, p_b in zip(params_a, params_b, strict=True):
        assert np.array_equal(p_a.grad, p_b.grad)  # the same rules in the same order
        np.testing.assert_allclose(received[id(p_b)], p_b.grad, rtol=1e-9, atol=1e-12)
    for node_a, node_b in zip(topological_order(loss_a), topological_order(loss_b), strict=True):
        assert (node_a.grad is None) == (node_b.grad is None)
        if node_a.grad is not None:
            assert np.array_equal(node_a.grad, node_b.grad)


def test_tensor_sentences_name_the_rule_with_shapes():
    loss, _ = linear_mse_graph(0)
    lines = [str(step) for step in backward_steps(loss)]
    linear = [line for line in lines if "linear(" in line]
    assert linear == [
        "v3 = linear(x, W, b): dL/dW += g.T @ x   (16, 2); dL/db += g summed over the rows   (16,)"
    ]
    t = Tensor([1.0, 2.0], requires_grad=True, label="t")
    total, square = backward_steps((t * t).sum())
    assert str(total) == "v2 = sum(v1): dL/dv1 += g copied to every entry   (2,)"
    assert str(square) == "v1 = t * t: dL/dt += g * t + g * t   (2,)"  # t is used twice


def test_ops_with_any_number_of_inputs_read_well():
    a = Tensor([1.0, 2.0], requires_grad=True, label="a")
    b = Tensor([3.0], requires_grad=True, label="b")
    total, joined = backward_steps(Tensor.cat([a, b, a]).sum())
    assert str(joined) == (
        "v2 = cat(a, b, a): dL/da += the piece of g where a was put + the piece of g where a was put   (2,); "
        "dL/db += the piece of g where b was put   (1,)"
    )
    assert joined.inputs[0][2].tolist() == [2.0, 2.0]  # a received both of its pieces


def test_intermediate_tensor_grads_start_afresh_and_leaves_accumulate():
    w = Tensor([1.0, -2.0], requires_grad=True)
    loss = (w * 3).sum()
    list(backward_steps(loss))
    list(backward_steps(loss))  # a second pass: as backward(), leaves accumulate
    assert w.grad.tolist() == [6.0, 6.0]


def test_any_new_op_works_through_its_rule(monkeypatch):
    # an op this file has never heard of: y = 2a + b**2, one node, its own rule
    def forward(a, b):
        return Tensor._result(2 * a.data + b.data**2, (a, b), "twice_plus_square")

    def rule(out, g):
        a, b = out._prev
        a._add_grad(2 * g)
        b._add_grad(2 * b.data * g)

    monkeypatch.setitem(TENSOR_RULES, "twice_plus_square", rule)
    a = Tensor([1.0, 2.0], requires_grad=True, label="a")
    b = Tensor([3.0, -1.0], requires_grad=True, label="b")
    steps = list(backward_steps(forward(a, b).sum()))
    step = steps[1]
    assert step.op == "twice_plus_square" and isinstance(step, Step)
    assert [x for x, _, _ in step.inputs] == [a, b]
    assert step.inputs[0][2].tolist() == [2.0, 2.0] and step.inputs[1][2].tolist() == [6.0, -2.0]
    assert a.grad.tolist() == [2.0, 2.0] and b.grad.tolist() == [6.0, -2.0]
    assert str(step) == (
        "v2 = twice_plus_square(a, b): dL/da += (the twice_plus_square rule)   (2,); "
        "dL/db += (the twice_plus_square rule)   (2,)"
    )


def test_a_node_no_gradient_reached_passes_nothing_on(monkeypatch):
    # a rule that gives its input nothing: the input's own step has no gradient to pass on
    monkeypatch.setitem(TENSOR_RULES, "blocked", lambda out, g: None)
    a = Tensor([1.0], requires_grad=True, label="a")
    middle = a * 2
    out = Tensor._result(middle.data.copy(), (middle,), "blocked")
    steps = list(backward_steps(out))
    assert [s.op for s in steps] == ["blocked", "*"]
    assert steps[0].inputs[0][2].tolist() == [0.0]  # received nothing
    assert steps[1].grad is None and steps[1].inputs == ()
    assert str(steps[1]).endswith("no gradient reached it, so it passes nothing on")
    assert a.grad is None


def test_inputs_that_need_no_gradient_are_left_out():
    w = Tensor([1.0, 2.0], requires_grad=True, label="w")
    c = Tensor([5.0, 7.0], label="c")  # a constant
    total, product = backward_steps((w * c).sum())
    assert [x for x, _, _ in product.inputs] == [w]
    assert str(product) == "v2 = w * c: dL/dw += g * c   (2,)"
    assert c.grad is None


def test_every_tensor_rule_of_the_package_has_a_sentence():
    # a learner stepping through any graph the package builds reads the chain-rule formula,
    # never the "(the <op> rule)" fallback: every op in the engine's table has its formula
    import tinygrad_edu.nn  # noqa: F401  (registers the fused layers' and losses' rules)
    from tinygrad_edu.steps import _TENSOR_RULES
    from tinygrad_edu.tensor import BACKWARD_RULES

    assert sorted(set(BACKWARD_RULES) - set(_TENSOR_RULES)) == []


def test_stepping_an_rnn_shows_each_steps_weight_terms_as_they_come():
    # The oracle: hand-written BPTT in numpy for loss = sum(h_T), giving every step's
    # da_t = dL/d(pre-activation); stepping from the end, after the cell node of step t the
    # weights' grads must hold exactly the terms of steps T..t, although backward() itself
    # sums them in one product at the end.
    rng = np.random.default_rng(5)
    cell = nn.RNNCell(3, 4, rng=rng)
    xs = rng.normal(size=(6, 2, 3))
    h, hs = None, [np.zeros((2, 4))]
    for x in xs:
        h = cell(Tensor(x), h)
        hs.append(h.data)
    W_hh = cell.weight_hh.data
    da, dh = [None] * len(xs), np.ones((2, 4))
    for t in range(len(xs) - 1, -1, -1):
        da[t] = dh * (1 - hs[t + 1] ** 2)
        dh = da[t] @ W_hh
    seen = []
    for step in backward_steps(h.sum()):
        if step.op == "rnn_cell":
            seen.append(step)
            done = range(len(xs) - len(seen), len(xs))  # steps T..t, oldest last
            np.testing.assert_allclose(cell.weight_hh.grad, sum(da[t].T @ hs[t] for t in done), rtol=1e-12)
            np.testing.assert_allclose(cell.weight_ih.grad, sum(da[t].T @ xs[t] for t in done), rtol=1e-12)
            np.testing.assert_allclose(cell.bias_ih.grad, sum(da[t].sum(axis=0) for t in done), rtol=1e-12)
            contribution = dict((id(x), c) for x, _, c in step.inputs)[id(cell.weight_hh)]
            np.testing.assert_allclose(contribution, da[done[0]].T @ hs[done[0]], rtol=1e-9, atol=1e-15)
    assert len(seen) == len(xs)
