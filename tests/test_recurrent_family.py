"""LSTMCell, GRUCell and the sequence modules nn.RNN / nn.LSTM / nn.GRU: against PyTorch float64
(values and every gradient), central differences (gradcheck), and the bad inputs of the contract."""

import tracemalloc

import numpy as np
import pytest
from tensor_helpers import require_torch

from tinygrad_edu import Tensor, gradcheck, nn
from tinygrad_edu.graph import topological_order
from tinygrad_edu.nn.recurrent import gru_cell, lstm_cell, part, rnn_cell
from tinygrad_edu.nn.rnn import gru_layer, lstm_layer, rnn_layer
from tinygrad_edu.steps import backward_steps

CELLS = {"RNNCell": nn.RNNCell, "LSTMCell": nn.LSTMCell, "GRUCell": nn.GRUCell}
MODULES = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}


def torch_twin(torch, ours, name, **kwargs):
    """The same torch module in float64, holding our weights (loaded through state_dict)."""
    theirs = getattr(torch.nn, name)(**kwargs).double()
    theirs.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in ours.state_dict().items()})
    return theirs


def weighted_sum(outputs, weights, mul):
    """sum_k sum(out_k * w_k) for every output: each output gets its own gradient."""
    total = None
    for out, w in zip(outputs, weights[: len(outputs)], strict=True):
        term = mul(out, w).sum()
        total = term if total is None else total + term
    return total


# ***** the cells against torch, over several steps *****


@pytest.mark.parametrize("name", list(CELLS))
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("given", [True, False])
def test_cells_over_six_steps_match_torch(name, bias, given):
    torch = require_torch()
    rng = np.random.default_rng(1)
    ours = CELLS[name](3, 4, bias=bias, rng=rng)
    theirs = torch_twin(torch, ours, name, input_size=3, hidden_size=4, bias=bias)
    X, batch = rng.standard_normal((6, 2, 3)), 2
    h0 = rng.standard_normal((batch, 4)) if given else None
    c0 = rng.standard_normal((batch, 4))
    lstm = name == "LSTMCell"
    weights = [rng.standard_normal((batch, 4)) for _ in range(12)]

    xs = [Tensor(x, requires_grad=True) for x in X]
    H0, C0 = Tensor(h0 if given else np.zeros((2, 4)), requires_grad=True), Tensor(c0, requires_grad=True)
    state = ((H0, C0) if lstm else H0) if given else None
    outs = []
    for x in xs:
        state = ours(x, state)
        outs += list(state) if lstm else [state]
    loss = weighted_sum(outs, weights, lambda a, w: a * Tensor(w))
    loss.backward()

    txs = [torch.tensor(x, requires_grad=True) for x in X]
    tH0, tC0 = torch.tensor(H0.data, requires_grad=True), torch.tensor(c0, requires_grad=True)
    tstate = ((tH0, tC0) if lstm else tH0) if given else None
    touts = []
    for x in txs:
        tstate = theirs(x, tstate)
        touts += list(tstate) if lstm else [tstate]
    tloss = weighted_sum(touts, weights, lambda a, w: a * torch.from_numpy(w))
    tloss.backward()

    assert loss.item() == pytest.approx(tloss.item(), rel=1e-12)
    for (key, p), q in zip(ours.named_parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-10, atol=1e-13, err_msg=key)
    for x, tx in zip(xs, txs, strict=True):
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-13)
    if given:
        np.testing.assert_allclose(H0.grad, tH0.grad.numpy(), rtol=1e-10, atol=1e-13)
        if lstm:
            np.testing.assert_allclose(C0.grad, tC0.grad.numpy(), rtol=1e-10, atol=1e-13)


# ***** the sequence modules against torch: layers, batch_first, given and missing states *****


@pytest.mark.parametrize("name", list(MODULES))
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("given", [True, False])
def test_sequence_modules_match_torch(name, num_layers, batch_first, given):
    torch = require_torch()
    rng = np.random.default_rng(num_layers + 2 * batch_first)
    kw = dict(input_size=3, hidden_size=4, num_layers=num_layers, batch_first=batch_first)
    extra = dict(nonlinearity="relu") if name == "RNN" and num_layers == 2 else {}
    ours = MODULES[name](**kw, **extra, bias=not (given and batch_first), rng=rng)
    theirs = torch_twin(torch, ours, name, **kw, **extra, bias=not (given and batch_first))
    T, batch = 5, 2
    X = rng.standard_normal((batch, T, 3) if batch_first else (T, batch, 3))
    S0 = [rng.standard_normal((num_layers, batch, 4)) for _ in range(2)]
    lstm = name == "LSTM"
    x, s0 = Tensor(X, requires_grad=True), [Tensor(s, requires_grad=True) for s in S0]
    tx, ts0 = torch.tensor(X, requires_grad=True), [torch.tensor(s, requires_grad=True) for s in S0]
    if lstm:
        out, (h_n, c_n) = ours(x, tuple(s0) if given else None)
        tout, (th_n, tc_n) = theirs(tx, tuple(ts0) if given else None)
        ours_out, theirs_out = [out, h_n, c_n], [tout, th_n, tc_n]
    else:
        out, h_n = ours(x, s0[0] if given else None)
        tout, th_n = theirs(tx, ts0[0] if given else None)
        ours_out, theirs_out = [out, h_n], [tout, th_n]
    weights = [rng.standard_normal(o.shape) for o in ours_out]
    for a, b in zip(ours_out, theirs_out, strict=True):
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-14)
    weighted_sum(ours_out, weights, lambda a, w: a * Tensor(w)).backward()
    weighted_sum(theirs_out, weights, lambda a, w: a * torch.from_numpy(w)).backward()
    for (key, p), q in zip(ours.named_parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-10, atol=1e-13, err_msg=key)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-13)
    if given:
        for s, t in zip(s0[: 1 + lstm], ts0, strict=False):
            np.testing.assert_allclose(s.grad, t.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_only_h_n_used_and_a_cell_loop_give_the_module_s_gradients():
    # the sequence node is the cell loop in one node: same numbers, only the node count differs
    rng = np.random.default_rng(7)
    lstm, cell = nn.LSTM(2, 3, rng=rng), nn.LSTMCell(2, 3)
    for name, p in cell.named_parameters():
        p.data[...] = getattr(lstm, name + "_l0").data
    X = rng.standard_normal((8, 4, 2))
    _, (h_n, _) = lstm(Tensor(X))
    (h_n * h_n).sum().backward()
    state = None
    for x in X:
        state = cell(Tensor(x), state)
    (state[0] * state[0]).sum().backward()
    for name, p in cell.named_parameters():
        np.testing.assert_allclose(getattr(lstm, name + "_l0").grad, p.grad, rtol=1e-11, atol=1e-14)
    ops = [n._op for n in topological_order(h_n)]
    assert ops.count("lstm_layer") == 1 and "lstm_cell" not in ops


# ***** every new op: gradcheck (central differences) *****

rng0 = np.random.default_rng(0)
B, IN, H, T = 2, 3, 2, 3


def arrays(*shapes):
    return [Tensor(rng0.uniform(-0.8, 0.8, s), requires_grad=True) for s in shapes]


def weights(gates):
    return [(gates * H, IN), (gates * H, H), (gates * H,), (gates * H,)]


# op: (inputs, function of the inputs whose sum of squares is checked)
GRADCHECK_ROWS = {
    "part": (arrays((3, 2, 2)), lambda a: part(a, (slice(0, 2), 1))),
    "rnn_cell": (arrays((B, IN), (B, H), *weights(1)), lambda x, h, *w: rnn_cell(x, h, tuple(w))),
    "rnn_cell relu": (
        arrays((B, IN), (B, H), *weights(1)),
        lambda x, h, *w: rnn_cell(x, h, tuple(w), "relu"),
    ),
    "lstm_cell": (
        arrays((B, IN), (B, H), (B, H), *weights(4)),
        lambda x, h, c, *w: lstm_cell(x, h, c, tuple(w)),
    ),
    "gru_cell": (arrays((B, IN), (B, H), *weights(3)), lambda x, h, *w: gru_cell(x, h, tuple(w))),
    "rnn_layer": (arrays((T, B, IN), (B, H), *weights(1)), lambda x, h, *w: rnn_layer(x, h, tuple(w))),
    "rnn_layer relu": (
        arrays((T, B, IN), (B, H), *weights(1)),
        lambda x, h, *w: rnn_layer(x, h, tuple(w), "relu"),
    ),
    "lstm_layer": (
        arrays((T, B, IN), (B, H), (B, H), *weights(4)),
        lambda x, h, c, *w: lstm_layer(x, h, c, tuple(w)),
    ),
    "gru_layer": (arrays((T, B, IN), (B, H), *weights(3)), lambda x, h, *w: gru_layer(x, h, tuple(w))),
    "lstm_layer no bias": (
        arrays((T, B, IN), (B, H), (B, H), *weights(4)[:2]),
        lambda x, h, c, *w: lstm_layer(x, h, c, tuple(w)),
    ),
}


@pytest.mark.parametrize("op", list(GRADCHECK_ROWS))
def test_every_new_op_passes_gradcheck(op):
    inputs, f = GRADCHECK_ROWS[op]
    assert gradcheck(lambda *ts: (f(*ts) ** 2).sum(), inputs)


def test_the_modules_pass_gradcheck_through_two_layers():
    rng = np.random.default_rng(3)
    for module in (nn.RNN(2, 3, num_layers=2, rng=rng), nn.GRU(2, 3, num_layers=2, rng=rng)):
        x = Tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
        params = module.parameters()
        assert gradcheck(lambda *_, m=module, x=x: (m(x)[0] ** 2).sum() + m(x)[1].sum(), [x, *params])
    lstm = nn.LSTM(2, 3, num_layers=2, batch_first=True, rng=rng)
    x = Tensor(rng.standard_normal((2, 3, 2)), requires_grad=True)
    h0, c0 = (Tensor(rng.standard_normal((2, 2, 3)), requires_grad=True) for _ in range(2))

    def loss(*_):
        out, (h_n, c_n) = lstm(x, (h0, c0))
        return (out**2).sum() + (h_n * c_n).sum()

    assert gradcheck(loss, [x, h0, c0, *lstm.parameters()])


# ***** the seeing tools: sentences, summary, state_dict *****


def test_backward_steps_reads_every_new_op_with_a_formula():
    rng = np.random.default_rng(4)
    x = Tensor(rng.standard_normal((3, 2, 2)), requires_grad=True, label="x")
    _, (h_n, c_n) = nn.LSTM(2, 3, rng=rng)(x)
    out_rnn, _ = nn.RNN(3, 3, rng=rng)(h_n)
    _, g_n = nn.GRU(3, 3, rng=rng)(c_n)
    h, c = nn.LSTMCell(3, 3, rng=rng)(g_n[0])
    y = nn.GRUCell(3, 3, rng=rng)(h + c)
    loss = (y * y).sum() + out_rnn.sum()
    sentences = {step.op: str(step) for step in backward_steps(loss)}
    for op in ("lstm_layer", "rnn_layer", "gru_layer", "lstm_cell", "gru_cell", "part"):
        assert op in sentences and "rule)" not in sentences[op], sentences.get(op)
    assert "dL/dx += G @ weight_ih_l0, every step at once" in sentences["lstm_layer"]


def test_summary_counts_gates_hidden_input_plus_hidden_times_t_per_layer(torch):
    s = nn.summary(nn.LSTM(7, 5, num_layers=2, batch_first=True), (4, 10, 7))
    assert s.total_mult_adds == 10 * 4 * (4 * 5 * (7 + 5) + 4 * 5 * (5 + 5))
    assert s.total_params == sum(p.numel() for p in torch.nn.LSTM(7, 5, num_layers=2).parameters())
    assert s.rows[0]["output_shape"] == (4, 10, 5)
    assert nn.summary(nn.GRU(7, 5), (10, 4, 7)).total_mult_adds == 10 * 4 * 3 * 5 * (7 + 5)
    assert nn.summary(nn.RNN(7, 5), (10, 4, 7)).total_mult_adds == 10 * 4 * 5 * (7 + 5)
    assert nn.summary(nn.LSTMCell(7, 5), (4, 7)).total_mult_adds == 4 * 4 * 5 * (7 + 5)
    assert nn.summary(nn.GRUCell(7, 5), (4, 7)).total_mult_adds == 4 * 3 * 5 * (7 + 5)


@pytest.mark.parametrize("name", list(MODULES) + ["LSTMCell", "GRUCell"])
def test_state_dict_round_trips_with_torch(name):
    torch = require_torch()
    kw = dict(input_size=3, hidden_size=4)
    if name in MODULES:
        kw.update(num_layers=2)
    ours, theirs = getattr(nn, name)(**kw, rng=0), getattr(torch.nn, name)(**kw).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for k, v in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[k], v.numpy())
    back = getattr(torch.nn, name)(**kw).double()
    back.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in ours.state_dict().items()})
    for k, v in back.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), theirs.state_dict()[k].numpy())


def test_parameters_names_shapes_init_range_and_repr():
    lstm = nn.LSTM(5, 40, num_layers=2)
    named = lstm.named_parameters()
    assert [n for n, _ in named][:5] == [
        "weight_ih_l0",
        "weight_hh_l0",
        "bias_ih_l0",
        "bias_hh_l0",
        "weight_ih_l1",
    ]
    assert [p.shape for _, p in named][4:6] == [(160, 40), (160, 40)]
    assert all(np.abs(p.data).max() <= 1 / np.sqrt(40) for _, p in named)
    assert [n for n, _ in nn.GRU(2, 3, bias=False).named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]
    assert nn.GRUCell(2, 3, bias=False).bias_ih is None
    assert repr(lstm) == "LSTM(5, 40, num_layers=2)"
    assert (
        repr(nn.RNN(2, 3, nonlinearity="relu", batch_first=True))
        == "RNN(2, 3, batch_first=True)"  # as torch prints it: no nonlinearity
    )
    assert repr(nn.GRUCell(2, 3, bias=False)) == "GRUCell(2, 3, bias=False)"


# ***** bad input, empty batches, nan, long sequences *****


@pytest.mark.parametrize(
    "make,call,match",
    [
        (lambda: nn.LSTM(2, 3), lambda m: m(np.zeros((4, 2))), r"\(T, batch, input\).*\(4, 2\)"),
        (
            lambda: nn.GRU(2, 3, batch_first=True),
            lambda m: m(np.zeros((4, 5, 3))),
            r"\(batch, T, input\).*\(4, 5, 3\)",
        ),
        (lambda: nn.RNN(2, 3), lambda m: m(np.zeros((0, 4, 2))), r"T >= 1.*\(0, 4, 2\)"),
        (lambda: nn.RNN(2, 3), lambda m: m(np.zeros((5, 4, 2)), np.zeros((4, 3))), r"\(1, 4, 3\).*\(4, 3\)"),
        (
            lambda: nn.LSTM(2, 3, num_layers=2, batch_first=True),
            lambda m: m(np.zeros((4, 5, 2)), (np.zeros((2, 4, 3)), np.zeros((2, 5, 3)))),
            r"c0 must have shape \(2, 4, 3\) for x of shape \(4, 5, 2\), got \(2, 5, 3\)",
        ),
        (lambda: nn.LSTMCell(2, 3), lambda m: m(np.zeros((4, 3))), r"\(batch, 2\).*\(4, 3\)"),
        (
            lambda: nn.LSTMCell(2, 3),
            lambda m: m(np.zeros((4, 2)), (np.zeros((4, 3)), np.zeros((3,)))),
            r"\(4, 3\).*\(3,\)",
        ),
        (lambda: nn.GRUCell(2, 3), lambda m: m(np.zeros((4, 2)), np.zeros((5, 3))), r"\(4, 3\).*\(5, 3\)"),
    ],
)
def test_wrong_ranks_and_sizes_raise_value_errors_naming_the_shapes(make, call, match):
    with pytest.raises(ValueError, match=match):
        call(make())


def test_a_state_that_is_not_a_pair_and_other_types_raise_type_errors():
    x = np.zeros((1, 4, 2))
    with pytest.raises(TypeError, match="pair.*Tensor"):
        nn.LSTM(2, 3)(x, Tensor(np.zeros((1, 4, 3))))
    with pytest.raises(TypeError, match="pair.*tuple"):
        nn.LSTMCell(2, 3)(x[0], (np.zeros((4, 3)),))
    with pytest.raises(TypeError, match="list"):
        nn.GRU(2, 3)([[[1.0, 2.0]]])
    with pytest.raises(TypeError, match="num_layers.*float"):
        nn.RNN(2, 3, num_layers=1.0)
    with pytest.raises(ValueError, match="num_layers.*0"):
        nn.LSTM(2, 3, num_layers=0)
    with pytest.raises(TypeError, match="batch_first.*int"):
        nn.GRU(2, 3, batch_first=1)
    with pytest.raises(ValueError, match="sigmoid"):
        nn.RNN(2, 3, nonlinearity="sigmoid")


@pytest.mark.parametrize("name", list(CELLS) + list(MODULES))
def test_an_empty_batch_gives_empty_outputs_like_torch(name):
    module = getattr(nn, name)(2, 3, rng=0)
    x = Tensor(np.zeros((0, 2)) if name in CELLS else np.zeros((4, 0, 2)), requires_grad=True)
    out = module(x)
    first = out[0] if isinstance(out, tuple) else out
    assert first.shape == ((0, 3) if name in CELLS else (4, 0, 3))
    (first.sum() * 1.0).backward()
    assert x.grad.shape == x.shape and module.parameters()[0].grad.sum() == 0.0


@pytest.mark.parametrize("name", list(CELLS) + list(MODULES))
def test_nan_flows_through(name):
    module = getattr(nn, name)(2, 3, rng=0)
    x = np.array([[np.nan, 0.0]]) if name in CELLS else np.array([[[np.nan, 0.0]], [[1.0, 0.0]]])
    out = module(Tensor(x))
    first = out[0] if isinstance(out, tuple) else out
    assert np.isnan(first.data).all()


@pytest.mark.parametrize("name", ["LSTMCell", "GRUCell", *MODULES])
def test_2000_steps_backpropagate_without_recursion_errors(name):
    module, x = getattr(nn, name)(1, 2, rng=0), np.ones((2000, 1, 1))
    if name in MODULES:
        out = module(Tensor(x))[0]
    else:
        out, xt = None, Tensor(x[0])
        for _ in range(2000):
            out = module(xt, out)
        out = out[0] if isinstance(out, tuple) else out
    out.sum().backward()
    assert np.all(np.isfinite(module.parameters()[1].grad))


def test_memory_grows_linearly_with_the_sequence_length():
    def peak(T):
        lstm = nn.LSTM(4, 16, rng=0)
        x = Tensor(np.ones((T, 8, 4)))
        tracemalloc.start()
        out, _ = lstm(x)
        out.sum().backward()
        size = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return size

    small, large = peak(200), peak(800)
    assert 3.0 < large / small < 5.0  # 4 times the steps: about 4 times the memory


def test_a_second_lstm_backward_leaves_the_first_one_s_gradients_alone():
    # the rule reuses its working arrays from call to call: no gradient may be one of them
    rng = np.random.default_rng(0)
    first, second = nn.LSTM(3, 4, rng=rng), nn.LSTM(3, 4, rng=rng)
    x = Tensor(rng.normal(size=(5, 2, 3)), requires_grad=True)
    first(x)[0].sum().backward()
    grads = {name: p.grad.copy() for name, p in first.named_parameters()}
    x_grad = x.grad.copy()
    second(Tensor(rng.normal(size=(5, 2, 3)))).__getitem__(0).sum().backward()  # same shapes
    for name, p in first.named_parameters():
        np.testing.assert_array_equal(p.grad, grads[name])
    np.testing.assert_array_equal(x.grad, x_grad)
    x.grad = None
    first(x)[0].sum().backward()  # and the same graph's gradients again, from scratch
    np.testing.assert_array_equal(x.grad, x_grad)
