"""nn.RNNCell: backpropagation through time against torch.nn.RNNCell, gradcheck, the composite
Tensor expression, and bad input."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tensor_helpers import require_torch, seeds

from tinygrad_edu import Tensor, gradcheck, nn, no_grad
from tinygrad_edu.graph import topological_order
from tinygrad_edu.nn.recurrent import rnn_cell

STEPS = 20


def torch_copy(torch, cell):
    """torch.nn.RNNCell in float64 holding the same weights as our ``cell``."""
    theirs = torch.nn.RNNCell(
        cell.input_size, cell.hidden_size, bias=cell.bias_ih is not None, nonlinearity=cell.nonlinearity
    ).double()
    with torch.no_grad():
        for name, p in cell.named_parameters():
            getattr(theirs, name).copy_(torch.from_numpy(p.data))
    return theirs


def unroll_ours(cell, xs, h0, weights):
    """Run the cell over the sequence; the loss weighs every hidden state h_1..h_T, so each h_t
    gets gradient both from the loss and from the next step."""
    h, loss = h0, None
    for x, w in zip(xs, weights, strict=True):
        h = cell(x, h)
        term = (h * Tensor(w)).sum()
        loss = term if loss is None else loss + term
    return loss


def unroll_torch(torch, cell, xs, h0, weights):
    h, loss = h0, 0.0
    for x, w in zip(xs, weights, strict=True):
        h = cell(x, h)
        loss = loss + (h * torch.from_numpy(w)).sum()
    return loss


# ***** BPTT against PyTorch *****


@given(
    batch=st.integers(1, 3),
    input_size=st.integers(1, 4),
    hidden_size=st.integers(1, 5),
    nonlinearity=st.sampled_from(["tanh", "relu"]),
    bias=st.booleans(),
    seed=seeds,
)
def test_bptt_over_20_steps_matches_torch_rnncell(batch, input_size, hidden_size, nonlinearity, bias, seed):
    torch = require_torch()
    rng = np.random.default_rng(seed)
    cell = nn.RNNCell(input_size, hidden_size, bias=bias, nonlinearity=nonlinearity, rng=rng)
    theirs = torch_copy(torch, cell)
    X = rng.standard_normal((STEPS, batch, input_size))
    H0 = rng.standard_normal((batch, hidden_size))
    weights = list(rng.standard_normal((STEPS, batch, hidden_size)))

    xs = [Tensor(x, requires_grad=True) for x in X]
    h0 = Tensor(H0, requires_grad=True)
    loss = unroll_ours(cell, xs, h0, weights)
    loss.backward()

    t_xs = [torch.tensor(x, requires_grad=True) for x in X]
    t_h0 = torch.tensor(H0, requires_grad=True)
    t_loss = unroll_torch(torch, theirs, t_xs, t_h0, weights)
    t_loss.backward()

    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-11, atol=1e-12)
    for name, p in cell.named_parameters():
        np.testing.assert_allclose(p.grad, getattr(theirs, name).grad.numpy(), rtol=1e-9, atol=1e-11)
    for x, t_x in zip(xs, t_xs, strict=True):
        np.testing.assert_allclose(x.grad, t_x.grad.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(h0.grad, t_h0.grad.numpy(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_h_none_starts_from_zeros_like_torch(nonlinearity):
    torch = require_torch()
    rng = np.random.default_rng(1)
    cell = nn.RNNCell(3, 4, nonlinearity=nonlinearity, rng=2)
    theirs = torch_copy(torch, cell)
    X = rng.standard_normal((STEPS, 2, 3))
    weights = list(rng.standard_normal((STEPS, 2, 4)))
    loss = unroll_ours(cell, [Tensor(x) for x in X], None, weights)
    loss.backward()
    t_loss = unroll_torch(torch, theirs, [torch.from_numpy(x) for x in X], None, weights)
    t_loss.backward()
    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-12)
    for name, p in cell.named_parameters():
        np.testing.assert_allclose(p.grad, getattr(theirs, name).grad.numpy(), rtol=1e-10, atol=1e-12)
    # and h=None is exactly an explicit zero state
    h_none = cell(Tensor(X[0]))
    h_zero = cell(Tensor(X[0]), Tensor(np.zeros((2, 4))))
    np.testing.assert_array_equal(h_none.data, h_zero.data)


# ***** against central differences and the composite expression *****


@given(
    batch=st.integers(1, 3),
    input_size=st.integers(1, 3),
    hidden_size=st.integers(1, 4),
    nonlinearity=st.sampled_from(["tanh", "relu"]),
    bias=st.booleans(),
    seed=seeds,
)
def test_three_step_unroll_passes_gradcheck(batch, input_size, hidden_size, nonlinearity, bias, seed):
    rng = np.random.default_rng(seed)
    cell = nn.RNNCell(input_size, hidden_size, bias=bias, nonlinearity=nonlinearity, rng=rng)
    xs = [Tensor(rng.standard_normal((batch, input_size)), requires_grad=True) for _ in range(3)]
    h0 = Tensor(rng.standard_normal((batch, hidden_size)), requires_grad=True)
    weights = list(rng.standard_normal((3, batch, hidden_size)))
    inputs = cell.parameters() + xs + [h0]
    n_params = len(cell.parameters())

    def loss_fn(*ts):
        # the cell's own tensors are perturbed in place by gradcheck, so only the data matters
        return unroll_ours(cell, ts[n_params : n_params + 3], ts[-1], weights)

    assert gradcheck(loss_fn, inputs)


@given(batch=st.integers(1, 4), seed=seeds, nonlinearity=st.sampled_from(["tanh", "relu"]))
def test_fused_step_equals_the_six_node_expression(batch, seed, nonlinearity):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in [(batch, 3), (batch, 4), (4, 3), (4, 4), (4,), (4,)]]
    g = rng.standard_normal((batch, 4))
    fused_in = [Tensor(a, requires_grad=True) for a in arrays]
    fused = rnn_cell(fused_in[0], fused_in[1], tuple(fused_in[2:]), nonlinearity)
    fused.backward(g)
    x, h, w_ih, w_hh, b_ih, b_hh = comp_in = [Tensor(a, requires_grad=True) for a in arrays]
    a = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    composite = a.tanh() if nonlinearity == "tanh" else a.relu()
    composite.backward(g)
    np.testing.assert_allclose(fused.data, composite.data, rtol=1e-13, atol=1e-15)
    for f, c in zip(fused_in, comp_in, strict=True):
        np.testing.assert_allclose(f.grad, c.grad, rtol=1e-12, atol=1e-14)


def test_tanh_closed_form_on_one_unit():
    # h' = tanh(w x + u h + b1 + b2): every gradient by hand
    cell = nn.RNNCell(1, 1, rng=0)
    for p, v in zip(cell.parameters(), [0.5, -0.3, 0.1, 0.2], strict=True):
        p.data[...] = v
    x, h = Tensor([[2.0]], requires_grad=True), Tensor([[1.5]], requires_grad=True)
    out = cell(x, h)
    out.backward()
    t = math.tanh(0.5 * 2.0 - 0.3 * 1.5 + 0.1 + 0.2)
    d = 1 - t * t
    assert out.item() == pytest.approx(t, rel=1e-14)
    grads = [cell.weight_ih.grad, cell.weight_hh.grad, cell.bias_ih.grad, cell.bias_hh.grad, x.grad, h.grad]
    expected = [d * 2.0, d * 1.5, d, d, d * 0.5, d * -0.3]
    for got, want in zip(grads, expected, strict=True):
        assert got.item() == pytest.approx(want, rel=1e-12)


# ***** the graph: one node per step, deep sequences, frozen parts *****


# ***** BPTT with shared weights: the fused rule against a six-node oracle *****


class SixNodeCell:
    """The cell written with plain Tensor ops (six nodes per step): an oracle that shares no
    code with the fused rule."""

    def __init__(self, params):
        self.params = params

    def __call__(self, x, h):
        w_ih, w_hh, b_ih, b_hh = self.params
        return (x @ w_ih.T + b_ih + h @ w_hh.T + b_hh).tanh()


def cells_sharing(patterns, seed=0):
    """Cells whose parameters are those of a base cell at the indices in each pattern and their
    own elsewhere, as fused RNNCells and as six-node oracles on copies of the same numbers.
    Returns (fused cells, oracle cells, fused parameters, oracle parameters)."""
    rng = np.random.default_rng(seed)
    shapes = [(3, 2), (3, 3), (3,), (3,)]
    own = [[rng.uniform(-0.6, 0.6, s) for s in shapes] for _ in range(len(patterns) + 1)]
    fused_own = [[Tensor(a.copy(), requires_grad=True) for a in arrays] for arrays in own]
    oracle_own = [[Tensor(a.copy(), requires_grad=True) for a in arrays] for arrays in own]
    fused, oracle = [], []
    for k, shared in enumerate([(0, 1, 2, 3)] + patterns):
        params = [fused_own[0][i] if i in shared else fused_own[k][i] for i in range(4)]
        cell = nn.RNNCell(2, 3)
        cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh = params
        fused.append(cell)
        oracle.append(SixNodeCell([oracle_own[0][i] if i in shared else oracle_own[k][i] for i in range(4)]))
    return fused, oracle, sum(fused_own, []), sum(oracle_own, [])


def check_against_oracle(patterns, build):
    fused, oracle, fused_params, oracle_params = cells_sharing(patterns)
    loss, loss_oracle = build(fused), build(oracle)
    loss.backward()
    loss_oracle.backward()
    np.testing.assert_allclose(loss.item(), loss_oracle.item(), rtol=1e-12)
    for p, q in zip(fused_params, oracle_params, strict=True):
        assert (p.grad is None) == (q.grad is None)
        if p.grad is not None:
            np.testing.assert_allclose(p.grad, q.grad, rtol=1e-10, atol=1e-12)


XS = [Tensor(a) for a in np.random.default_rng(3).standard_normal((8, 2, 2))]
H0 = Tensor(np.zeros((2, 3)))


def test_a_state_feeding_two_continuations_and_a_broken_chain():
    def build(cells):
        step = cells[0]
        h = H0
        for x in XS[:3]:
            h = step(x, h)
        a, b = step(XS[3], h), step(XS[4], h)  # one state, two continuations of the same cell
        c = step(XS[6], step(XS[5], a) * 0.5)  # an op between two steps
        return (c * 2.0 + b * h).sum()

    check_against_oracle([], build)


def test_cells_that_share_some_or_all_parameters():
    # each pattern: the parameter indices (weight_ih, weight_hh, bias_ih, bias_hh) that a cell
    # shares with the base cell; only a cell that shares all four continues its sequence
    patterns = [(0, 1), (0,), (1,), (0, 1, 2), (0, 2, 3), (1, 2, 3), (0, 1, 2, 3), ()]

    def build(cells):
        base, h, loss = cells[0], H0, 0.0
        order = [base, 1, base, 2, 3, base, 4, base, 5, base, 6, base, 7, 8, base]
        for i, cell in enumerate(order):
            h = (base if cell is base else cells[cell])(XS[i % len(XS)], h)
            loss = loss + (h * h).sum()
        return loss

    check_against_oracle(patterns, build)


def test_steps_mixing_nonlinearities_replaced_states_and_dtypes():
    # the same weights with another nonlinearity, a state replaced by the user, a float32 x:
    # every step is its own node and owns its array, so each reads exactly what it was given
    rng = np.random.default_rng(5)
    arrays = [rng.uniform(-0.6, 0.6, s) for s in [(3, 2), (3, 3), (3,), (3,)]]
    xs = [rng.standard_normal((2, 2)) for _ in range(6)]

    def run(fused):
        weights = [Tensor(a.copy(), requires_grad=True) for a in arrays]

        def fused_step(x, h, phi):
            return rnn_cell(x, h, tuple(weights), phi)

        def six_node_step(x, h, phi):  # the oracle: plain Tensor ops
            a = x @ weights[0].T + weights[2] + h @ weights[1].T + weights[3]
            return a.tanh() if phi == "tanh" else a.relu()

        step = fused_step if fused else six_node_step
        h = Tensor(np.zeros((2, 3)))
        h = step(Tensor(xs[0]), h, "tanh")
        h = step(Tensor(xs[1]), h, "relu")  # another nonlinearity with the same weights
        # the state replaced by the user; scaled by 1.5 > 0, so relu's derivative (h' > 0) is
        # the same before and after, and the oracle's numbers stay those of the same function
        h.data = h.data * 1.5
        h = step(Tensor(xs[2]), h, "relu")  # same weights and phi, but a replaced state
        h = step(Tensor(xs[3]), h, "tanh")
        h = step(Tensor(xs[4].astype(np.float32)), h, "tanh")  # float32 x: still a float64 step
        h = step(Tensor(xs[5]), h, "tanh")
        loss = (h * h).sum()
        loss.backward()
        return loss, h, weights

    loss, h, weights = run(fused=True)
    loss_oracle, h_oracle, oracle = run(fused=False)
    np.testing.assert_allclose(loss.item(), loss_oracle.item(), rtol=1e-12)
    np.testing.assert_allclose(h.data, h_oracle.data, rtol=1e-12)
    for w, q in zip(weights, oracle, strict=True):
        np.testing.assert_allclose(w.grad, q.grad, rtol=1e-10, atol=1e-12)


def test_a_step_in_another_dtype_computes_in_that_dtype():
    # float32 weights and states, then a float64 x: that step computes in float64
    rng = np.random.default_rng(6)
    weights32 = [
        Tensor(rng.uniform(-0.6, 0.6, s).astype(np.float32), requires_grad=True)
        for s in [(3, 2), (3, 3), (3,), (3,)]
    ]
    h = Tensor(np.zeros((2, 3), dtype=np.float32))
    h = rnn_cell(Tensor(np.ones((2, 2), dtype=np.float32)), h, tuple(weights32))
    x64 = np.full((2, 2), 0.1234567890123)
    h64 = rnn_cell(Tensor(x64), h, tuple(weights32))
    assert h64.dtype == np.float64
    w = [p.data.astype(np.float64) for p in weights32]
    expected = np.tanh(x64 @ w[0].T + w[2] + h.data.astype(np.float64) @ w[1].T + w[3])
    np.testing.assert_allclose(h64.data, expected, rtol=1e-6)  # the float32 biases are summed in float32


def test_weights_computed_from_other_tensors():
    # the weights are results of other ops: their own rules run during the walk
    rng = np.random.default_rng(11)
    raw = [Tensor(rng.normal(size=s), requires_grad=True) for s in [(3, 2), (3, 3), (3,), (3,)]]
    xs = [Tensor(rng.normal(size=(4, 2))) for _ in range(6)]

    def loss_of(weights):
        h = Tensor(np.zeros((4, 3)))
        for x in xs:
            h = rnn_cell(x, h, tuple(weights))
        return (h * h).sum()

    scaled = loss_of([w * 0.5 for w in raw])  # the weights are not leaves
    scaled.backward()
    leaves = [Tensor(w.data * 0.5, requires_grad=True) for w in raw]
    loss_of(leaves).backward()  # the same numbers through leaf weights: d/d(raw) = 0.5 d/d(leaf)
    for w, leaf in zip(raw, leaves, strict=True):
        np.testing.assert_allclose(w.grad, 0.5 * leaf.grad, rtol=1e-12, atol=1e-15)
    assert gradcheck(lambda *ws: loss_of([w * 0.5 for w in ws]), raw)


def test_an_unfinished_backward_pass_leaves_nothing_behind():
    # A pass stopped halfway (as when a learner stops stepping through backward_steps) must
    # not change what a later backward() computes, also one that starts from a state in the
    # middle of that sequence.
    from tinygrad_edu.tensor import BACKWARD_RULES

    def build(cells):
        hs = [H0]
        for x in XS[:5]:
            hs.append(cells[0](x, hs[-1]))
        return hs

    fused, oracle, fused_params, oracle_params = cells_sharing([])
    hs, hs_oracle = build(fused), build(oracle)
    loss = hs[-1].sum()
    loss.backward()  # sets the intermediate grads, then: a second pass, stopped after 3 steps
    for node in hs[:0:-1][:3]:
        node.grad = None
    loss.grad = np.ones(())
    BACKWARD_RULES["sum"](loss, loss.grad)
    for node in hs[:1:-1][:3]:  # h5, h4, h3
        BACKWARD_RULES["rnn_cell"](node, node.grad)
    fused[0].zero_grad()
    for q in oracle_params:
        q.grad = None
    middle = hs[2].sum()  # a new pass from h2
    middle.backward()
    hs_oracle[2].sum().backward()
    for p, q in zip(fused_params[:4], oracle_params[:4], strict=True):
        np.testing.assert_allclose(p.grad, q.grad, rtol=1e-10, atol=1e-12)
    middle.backward()  # and a second full pass accumulates, as every backward() does
    for p, q in zip(fused_params[:4], oracle_params[:4], strict=True):
        np.testing.assert_allclose(p.grad, 2 * q.grad, rtol=1e-10, atol=1e-12)
    # stopped again, then a full pass from the end
    for node in hs[:1:-1][:3]:
        BACKWARD_RULES["rnn_cell"](node, node.grad)
    fused[0].zero_grad()
    for q in oracle_params:
        q.grad = None
    loss.backward()
    hs_oracle[-1].sum().backward()
    for p, q in zip(fused_params[:4], oracle_params[:4], strict=True):
        np.testing.assert_allclose(p.grad, q.grad, rtol=1e-10, atol=1e-12)


def test_one_graph_node_per_step_and_separate_bias_gradients():
    cell = nn.RNNCell(2, 3, rng=0)
    xs = [Tensor(np.ones((4, 2))) for _ in range(7)]
    h = None
    for x in xs:
        h = cell(x, h)
    nodes = topological_order(h)
    assert [n._op for n in nodes].count("rnn_cell") == 7 and sum(bool(n._prev) for n in nodes) == 7
    h.backward(np.ones((4, 3)))
    # the two biases get equal gradients but never one shared array (a later += would hit both)
    np.testing.assert_array_equal(cell.bias_ih.grad, cell.bias_hh.grad)
    assert not np.shares_memory(cell.bias_ih.grad, cell.bias_hh.grad)


def test_a_5000_step_sequence_needs_no_recursion():
    cell = nn.RNNCell(1, 2, rng=0)
    x = Tensor(np.ones((1, 1)))
    h = None
    for _ in range(5000):
        h = cell(x, h)
    h.sum().backward()
    assert np.all(np.isfinite(cell.weight_hh.grad))


def test_frozen_parameters_and_constant_inputs_get_no_gradient():
    cell = nn.RNNCell(2, 3, rng=0)
    cell.weight_ih.requires_grad = False
    cell.bias_ih.requires_grad = False
    x = Tensor(np.ones((2, 2)))
    h = cell(x, cell(x))
    h.sum().backward()
    assert cell.weight_ih.grad is None and cell.bias_ih.grad is None and x.grad is None
    assert cell.weight_hh.grad.shape == (3, 3) and cell.bias_hh.grad.shape == (3,)
    with no_grad():
        assert not cell(x).requires_grad


def test_nan_propagates_quietly():
    cell = nn.RNNCell(2, 2, rng=0)
    out = cell(Tensor([[np.nan, 0.0]]))
    assert np.all(np.isnan(out.data))
    relu = nn.RNNCell(2, 2, nonlinearity="relu", rng=0)
    assert np.all(np.isnan(relu(Tensor([[np.nan, 0.0]])).data))


def test_numpy_inputs_and_float32():
    cell = nn.RNNCell(2, 3, rng=0)
    out = cell(np.ones((4, 2)), np.zeros((4, 3)))
    assert isinstance(out, Tensor) and out.shape == (4, 3)
    np.testing.assert_allclose(out.data, cell(Tensor(np.ones((4, 2)))).data)


# ***** parameters, initialisation, repr *****


def test_parameters_names_shapes_and_pytorch_init_range():
    cell = nn.RNNCell(5, 40)
    named = cell.named_parameters()
    assert [n for n, _ in named] == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert [p.shape for _, p in named] == [(40, 5), (40, 40), (40,), (40,)]
    bound = 1 / math.sqrt(40)  # PyTorch: U(-1/sqrt(hidden), 1/sqrt(hidden)) for all four
    for _, p in named:
        assert p.requires_grad and p.data.dtype == np.float64 and np.all(np.abs(p.data) <= bound)
    assert cell.weight_hh.data.std() > bound / 3  # spread over the range
    no_bias = nn.RNNCell(5, 4, bias=False)
    assert no_bias.bias_ih is None and [n for n, _ in no_bias.named_parameters()] == [
        "weight_ih",
        "weight_hh",
    ]


def test_init_is_repeatable_by_seed_generator_and_global_seed():
    a, b = nn.RNNCell(3, 4, rng=7), nn.RNNCell(3, 4, rng=7)
    c, d = nn.RNNCell(3, 4, rng=np.random.default_rng(7)), nn.RNNCell(3, 4, rng=np.random.default_rng(7))
    np.random.seed(3)
    e = nn.RNNCell(3, 4)
    np.random.seed(3)
    f = nn.RNNCell(3, 4)
    for one, other in [(a, b), (c, d), (e, f)]:
        for p, q in zip(one.parameters(), other.parameters(), strict=True):
            np.testing.assert_array_equal(p.data, q.data)
    assert not np.array_equal(a.weight_hh.data, nn.RNNCell(3, 4, rng=8).weight_hh.data)


def test_repr():
    assert repr(nn.RNNCell(3, 4)) == "RNNCell(3, 4)"
    assert (
        repr(nn.RNNCell(3, 4, bias=False, nonlinearity="relu"))
        == "RNNCell(3, 4, bias=False, nonlinearity=relu)"  # PyTorch's repr
    )


# ***** bad input *****


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(input_size=0, hidden_size=3), ValueError, "input_size.*0"),
        (dict(input_size=2, hidden_size=-1), ValueError, "hidden_size.*-1"),
        (dict(input_size=2.5, hidden_size=3), TypeError, "input_size.*float"),
        (dict(input_size=2, hidden_size=True), TypeError, "hidden_size.*bool"),
        (dict(input_size=2, hidden_size=3, nonlinearity="sigmoid"), ValueError, "sigmoid"),
        (dict(input_size=2, hidden_size=3, bias=1), TypeError, "bias.*int"),
        (dict(input_size=2, hidden_size=3, rng="seed"), TypeError, "rng.*str"),
        (dict(input_size=2, hidden_size=3, rng=1.5), TypeError, "rng.*float"),
        (dict(input_size=2, hidden_size=3, rng=-1), ValueError, "seed.*-1"),
    ],
)
def test_constructor_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        nn.RNNCell(**kwargs)


@pytest.mark.parametrize(
    "x_shape,h_shape,match",
    [
        ((3,), None, r"\(batch, 2\).*\(3,\)"),  # 1-D input
        ((5, 4, 2), None, r"\(batch, 2\).*\(5, 4, 2\)"),  # a whole sequence at once
        ((4, 3), None, r"\(batch, 2\).*\(4, 3\)"),  # wrong feature count
        ((4, 2), (4, 5), r"\(4, 3\).*\(4, 2\).*\(4, 5\)"),  # h of the wrong width
        ((4, 2), (1, 3), r"\(4, 3\).*\(1, 3\)"),  # h of the wrong batch (no broadcasting)
        ((4, 2), (3,), r"\(4, 3\).*\(3,\)"),  # h without its batch axis
    ],
)
def test_shape_errors_name_the_shapes(x_shape, h_shape, match):
    cell = nn.RNNCell(2, 3, rng=0)
    h = None if h_shape is None else Tensor(np.zeros(h_shape))
    with pytest.raises(ValueError, match=match):
        cell(Tensor(np.zeros(x_shape)), h)


def test_type_errors_name_the_type():
    cell = nn.RNNCell(2, 3, rng=0)
    with pytest.raises(TypeError, match="list"):
        cell([[1.0, 2.0]])
    with pytest.raises(TypeError, match="str"):
        cell(Tensor(np.zeros((1, 2))), "h")


def test_steps_outside_the_graph_own_their_arrays():
    # under no_grad (a generation loop, nn.summary) a step is a plain array
    cell = nn.RNNCell(2, 3, rng=0)
    h = None
    with no_grad():
        for x in XS[:4]:
            h = cell(x, h)
    assert h.data.base is None and h._ctx is None and not h.requires_grad
    expected = np.zeros((2, 3))
    for x in XS[:4]:
        a = x.data @ cell.weight_ih.data.T + cell.bias_ih.data + expected @ cell.weight_hh.data.T
        expected = np.tanh(a + cell.bias_hh.data)
    np.testing.assert_allclose(h.data, expected, rtol=1e-13)
