"""conv2d, max_pool2d and the image layers: against PyTorch float64, central differences, and a
LeNet-style network that has to learn a small image task."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from tensor_helpers import check_op, require_torch, seeds

from tinygrad_edu import Tensor, gradcheck, nn, no_grad, optim

# ***** random convolution and pooling problems *****

pairs_12 = st.tuples(st.integers(1, 2), st.integers(1, 2))  # strides: 1 and 2, square or not
pairs_01 = st.tuples(st.integers(0, 1), st.integers(0, 1))  # paddings 0 and 1
kernels = st.tuples(st.integers(1, 3), st.integers(1, 3))  # square and non-square kernels


@st.composite
def conv_problems(draw):
    n, c, f = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    (kh, kw), stride, padding = draw(kernels), draw(pairs_12), draw(pairs_01)
    assume(kh <= h + 2 * padding[0] and kw <= w + 2 * padding[1])
    return (n, c, h, w), (f, c, kh, kw), stride, padding, draw(st.booleans()), draw(seeds)


@st.composite
def pool_problems(draw):
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    (kh, kw) = draw(kernels)
    assume(kh <= h and kw <= w)
    stride = draw(st.one_of(st.none(), pairs_12, st.tuples(st.integers(1, 3), st.integers(1, 3))))
    return (n, c, h, w), (kh, kw), stride, draw(seeds)


def distinct_values(rng, shape):
    """Entries at least 0.01 apart (no ties, and central differences never cross a maximum)."""
    size = int(np.prod(shape))
    return (rng.permutation(size) * 0.01 - size * 0.005).reshape(shape)


def torch_conv(stride, padding):
    def f(x, w, b=None):
        import torch.nn.functional as F

        return F.conv2d(x, w, b, stride=stride, padding=padding)

    return f


@given(conv_problems())
def test_conv2d_matches_torch_and_central_differences(problem):
    x_shape, w_shape, stride, padding, bias, seed = problem
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape)]
    arrays += [rng.standard_normal(w_shape[0])] if bias else []

    def conv(x, *weights):
        return x.conv2d(*weights, stride=stride, padding=padding)

    check_op(conv, torch_conv(stride, padding), arrays, rng)


@given(pool_problems())
def test_max_pool2d_matches_torch_and_central_differences(problem):
    shape, kernel, stride, seed = problem
    rng = np.random.default_rng(seed)

    def torch_pool(x):
        import torch.nn.functional as F

        return F.max_pool2d(x, kernel, stride)

    check_op(lambda x: x.max_pool2d(kernel, stride), torch_pool, [distinct_values(rng, shape)], rng)


@given(pool_problems())
def test_max_pool2d_ties_go_to_the_first_maximum_as_in_torch(problem):
    torch = require_torch()
    shape, kernel, stride, seed = problem
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=shape).astype(np.float64)  # many ties
    ours = Tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out, t_out = ours.max_pool2d(kernel, stride), torch.nn.functional.max_pool2d(theirs, kernel, stride)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    t_out.backward(torch.from_numpy(g))
    np.testing.assert_array_equal(out.data, t_out.detach().numpy())
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12)
    # every window hands on exactly its own gradient: the total is preserved
    np.testing.assert_allclose(ours.grad.sum(), g.sum(), rtol=1e-10, atol=1e-12)


def test_conv2d_by_hand_and_the_plain_loop_version():
    # the "idea" loop of the module docstring, written out, is the independent reference here
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    (sh, sw), (ph, pw) = (2, 1), (1, 0)
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    h_out, w_out = (5 + 2 * ph - 3) // sh + 1, (4 + 2 * pw - 2) // sw + 1
    expected = np.zeros((2, 4, h_out, w_out))
    for n in range(2):
        for f in range(4):
            for h in range(h_out):
                for v in range(w_out):
                    patch = xpad[n, :, h * sh : h * sh + 3, v * sw : v * sw + 2]
                    expected[n, f, h, v] = (patch * w[f]).sum() + b[f]
    out = Tensor(x).conv2d(Tensor(w), Tensor(b), stride=(sh, sw), padding=(ph, pw))
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    # a 1x1 kernel of ones sums the channels; max_pool2d(1) changes nothing
    ones = Tensor(x).conv2d(Tensor(np.ones((1, 3, 1, 1))))
    np.testing.assert_allclose(ones.data[:, 0], x.sum(axis=1), rtol=1e-12)
    np.testing.assert_array_equal(Tensor(x).max_pool2d(1).data, x)


@pytest.mark.parametrize("needs", ["x", "weight", "bias", "weight+bias", "x+bias"])
def test_conv2d_gradients_when_only_some_inputs_require_grad(needs):
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((2, 2, 4, 5)), requires_grad="x" in needs)
    w = Tensor(rng.standard_normal((3, 2, 2, 3)), requires_grad="weight" in needs)
    b = Tensor(rng.standard_normal(3), requires_grad="bias" in needs)
    inputs = [t for t in (x, w, b) if t.requires_grad]
    assert gradcheck(lambda *_: (x.conv2d(w, b, stride=(1, 2), padding=1) ** 2).sum(), inputs)
    for t in (x, w, b):
        assert (t.grad is not None) == t.requires_grad


def test_chained_convolutions_and_pools_match_torch_through_the_internal_layout():
    # conv -> relu -> pool -> conv -> relu -> pool: each op reads the batch-innermost views
    # the previous one returned, in both passes
    torch = require_torch()
    rng = np.random.default_rng(3)
    x, w1, b1 = rng.standard_normal((5, 2, 12, 10)), rng.standard_normal((4, 2, 3, 3)), rng.standard_normal(4)
    w2, b2 = rng.standard_normal((6, 4, 2, 3)), rng.standard_normal(6)
    ts = [Tensor(a, requires_grad=True) for a in (x, w1, b1, w2, b2)]
    out = ts[0].conv2d(ts[1], ts[2], padding=1).relu().max_pool2d(2).conv2d(ts[3], ts[4], stride=(1, 2))
    out = out.relu().max_pool2d((2, 1), stride=1)
    tt = [torch.tensor(a, requires_grad=True) for a in (x, w1, b1, w2, b2)]
    F = torch.nn.functional
    t_out = F.max_pool2d(F.relu(F.conv2d(tt[0], tt[1], tt[2], padding=1)), 2)
    t_out = F.max_pool2d(F.relu(F.conv2d(t_out, tt[3], tt[4], stride=(1, 2))), (2, 1), 1)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    t_out.backward(torch.from_numpy(g))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-11, atol=1e-12)
    for ours, theirs in zip(ts, tt, strict=True):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_backward_twice_accumulates_and_inputs_of_any_layout_work():
    rng = np.random.default_rng(4)
    x_nchw = rng.standard_normal((3, 2, 6, 6))
    x_other = np.ascontiguousarray(x_nchw.transpose(2, 3, 0, 1)).transpose(2, 3, 0, 1)  # same numbers
    w = Tensor(rng.standard_normal((2, 2, 3, 3)), requires_grad=True)
    outs = [Tensor(a).conv2d(w, padding=1).max_pool2d(3, stride=2) for a in (x_nchw, x_other)]
    np.testing.assert_array_equal(outs[0].data, outs[1].data)
    loss = (outs[0] * outs[0]).sum()
    loss.backward()
    first = w.grad.copy()
    loss.backward()
    np.testing.assert_allclose(w.grad, 2 * first, rtol=1e-12)


def test_float32_stays_float32():
    rng = np.random.default_rng(5)
    x = Tensor(rng.standard_normal((2, 3, 6, 6)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    b = Tensor(rng.standard_normal(4).astype(np.float32), requires_grad=True)
    out = x.conv2d(w, b, padding=1).relu().max_pool2d(2)
    out.sum().backward()
    assert out.dtype == np.float32
    assert all(t.grad.dtype == np.float32 for t in (x, w, b))
    x64, w64, b64 = (Tensor(t.data.astype(np.float64), requires_grad=True) for t in (x, w, b))
    out64 = x64.conv2d(w64, b64, padding=1).relu().max_pool2d(2)
    out64.sum().backward()
    np.testing.assert_allclose(out.data, out64.data, rtol=1e-5, atol=1e-5)
    for t, t64 in ((x, x64), (w, w64), (b, b64)):
        np.testing.assert_allclose(t.grad, t64.grad, rtol=1e-4, atol=1e-4)


def test_no_graph_without_grad():
    x = Tensor(np.arange(32.0).reshape(1, 2, 4, 4))
    w = Tensor(np.ones((1, 2, 1, 1)), requires_grad=True)
    assert not x.max_pool2d(2).requires_grad
    np.testing.assert_array_equal(x.max_pool2d(2).data[0, 0], [[5.0, 7.0], [13.0, 15.0]])
    with no_grad():
        y = x.conv2d(w)
    assert not y.requires_grad and y._prev == ()
    np.testing.assert_array_equal(y.data[0, 0], x.data[0, 0] + x.data[0, 1])


# ***** bad input: clear errors, never a numpy traceback *****

X = Tensor(np.zeros((2, 3, 5, 5)))
W = Tensor(np.zeros((4, 3, 3, 3)))


@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda: X.conv2d(np.zeros((4, 3, 3, 3))), TypeError, "weight must be a Tensor, got ndarray"),
        (lambda: X.conv2d(W, bias=[0.0] * 4), TypeError, "bias must be a Tensor or None, got list"),
        (lambda: X[0].conv2d(W), ValueError, r"4-D \(N, C, H, W\), got shape \(3, 5, 5\)"),
        (lambda: X.conv2d(Tensor(np.zeros((4, 3, 3)))), ValueError, r"weight must be 4-D.*\(4, 3, 3\)"),
        (lambda: X.conv2d(W[:, :2]), ValueError, r"\(2, 3, 5, 5\) has 3 channels.*\(4, 2, 3, 3\)"),
        (lambda: X.conv2d(W, Tensor(np.zeros(3))), ValueError, r"bias must have shape \(4,\).*got \(3,\)"),
        (lambda: X.conv2d(Tensor(np.zeros((4, 3, 6, 3)))), ValueError, "kernel 6x3.*5x5 padded by 0x0"),
        (lambda: X.conv2d(Tensor(np.zeros((4, 3, 8, 3))), padding=1), ValueError, "kernel 8x3.*to 7x7"),
        (lambda: X.conv2d(W[:0]), ValueError, r"weight of shape \(0, 3, 3, 3\) has no entries"),
        (lambda: X.conv2d(W, stride=0), ValueError, "stride must be at least 1, got 0"),
        (lambda: X.conv2d(W, stride=(1, -2)), ValueError, r"stride must be at least 1, got \(1, -2\)"),
        (lambda: X.conv2d(W, stride=(1, 2, 3)), ValueError, r"an int or an \(h, w\) pair, got \(1, 2, 3\)"),
        (lambda: X.conv2d(W, stride=1.5), TypeError, "stride must be an int or a pair of ints, got 1.5"),
        (lambda: X.conv2d(W, stride=True), TypeError, "stride must be an int or a pair of ints, got True"),
        (lambda: X.conv2d(W, padding="1"), TypeError, "padding must be an int"),
        (lambda: X.conv2d(W, padding=-1), ValueError, "padding must be at least 0, got -1"),
        (lambda: X[0, 0].max_pool2d(2), ValueError, r"max_pool2d: input must be 4-D.*\(5, 5\)"),
        (lambda: X.max_pool2d(0), ValueError, "kernel_size must be at least 1, got 0"),
        (lambda: X.max_pool2d((2, 6)), ValueError, r"kernel 2x6 is larger than the input 5x5"),
        (lambda: X.max_pool2d(2, stride=0), ValueError, "stride must be at least 1, got 0"),
        (lambda: X.max_pool2d(None), TypeError, "kernel_size must be an int or a pair of ints, got None"),
        (lambda: X.max_pool2d((2, 2.0)), TypeError, r"kernel_size must be an int or a pair.*\(2, 2.0\)"),
        (lambda: nn.Conv2d(0, 4, 3), ValueError, "in_channels must be at least 1"),
        (lambda: nn.Conv2d(3, 4.0, 3), TypeError, "out_channels must be an int"),
        (lambda: nn.Conv2d(3, 4, 0), ValueError, "kernel_size must be at least 1"),
        (lambda: nn.Conv2d(3, 4, 3, bias="yes"), TypeError, "bias must be True or False, got str"),
        (lambda: nn.Conv2d(3, 4, 3, stride=(2, 0)), ValueError, "stride must be at least 1"),
        (lambda: nn.Conv2d(3, 4, 3)("x"), TypeError, "Conv2d takes a Tensor"),
        (lambda: nn.Conv2d(3, 4, 3, rng=-1), ValueError, "rng seed must be >= 0, got -1"),
        (lambda: nn.Conv2d(3, 4, 3, rng=1.5), TypeError, "rng must be an int seed.*got float"),
        (lambda: nn.MaxPool2d(2, stride=-1), ValueError, "stride must be at least 1"),
        (lambda: nn.Flatten()(Tensor(np.zeros(5))), ValueError, r"Flatten.*does not fit.*\(5,\)"),
    ],
)
def test_bad_input_raises_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ***** the layers *****


def test_conv2d_layer_parameters_init_range_names_and_repr():
    layer = nn.Conv2d(3, 16, (3, 5), stride=2, padding=(1, 2))
    assert layer.weight.shape == (16, 3, 3, 5) and layer.bias.shape == (16,)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    bound = 1 / np.sqrt(3 * 3 * 5)  # PyTorch: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in*kh*kw
    for p in (layer.weight, layer.bias):
        assert p.requires_grad and p.dtype == np.float64 and np.abs(p.data).max() <= bound
    assert layer.weight.data.std() > bound / 3 and layer.weight.data.max() > 0.8 * bound
    assert repr(layer) == "Conv2d(3, 16, kernel_size=(3, 5), stride=(2, 2), padding=(1, 2))"  # as PyTorch
    no_bias = nn.Conv2d(1, 2, 3, bias=False)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]
    pool = "padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, " + pool
    assert repr(nn.MaxPool2d((2, 3), 1)) == "MaxPool2d(kernel_size=(2, 3), stride=1, " + pool
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)" and nn.Flatten().parameters() == []


def test_conv2d_layer_init_is_repeatable():
    a, b = nn.Conv2d(2, 3, 3, rng=7), nn.Conv2d(2, 3, 3, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.random.seed(11)
    c = nn.Conv2d(2, 3, 3).weight.data.copy()
    np.random.seed(11)
    np.testing.assert_array_equal(c, nn.Conv2d(2, 3, 3).weight.data)


pools = st.sampled_from([2, (2, 1), 3])


@given(kernel=kernels, stride=pairs_12, padding=pairs_01, bias=st.booleans(), pool=pools, seed=seeds)
def test_layers_match_the_same_torch_modules(kernel, stride, padding, bias, pool, seed):
    torch = require_torch()
    rng = np.random.default_rng(seed)
    conv = nn.Conv2d(2, 3, kernel, stride, padding, bias, rng=rng)
    ours = nn.Sequential(conv, nn.MaxPool2d(pool), nn.Flatten())
    t_conv = torch.nn.Conv2d(2, 3, kernel, stride, padding, bias=bias)
    theirs = torch.nn.Sequential(t_conv, torch.nn.MaxPool2d(pool), torch.nn.Flatten()).double()
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
            q.copy_(torch.from_numpy(p.data))
    x = rng.standard_normal((3, 2, 9, 8))
    out, t_out = ours(x), theirs(torch.from_numpy(x))  # a numpy input works too
    g = rng.standard_normal(out.shape)
    out.backward(g)
    t_out.backward(torch.from_numpy(g))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-11, atol=1e-13)
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_flatten_keeps_pytorch_order_and_its_gradient():
    x = Tensor(np.arange(24.0).reshape(2, 3, 2, 2), requires_grad=True)
    y = nn.Flatten()(x)
    assert y.shape == (2, 12) and y.data[1].tolist() == list(range(12, 24))
    y.backward(np.arange(24.0).reshape(2, 12))
    np.testing.assert_array_equal(x.grad, x.data)
    assert nn.Flatten()(Tensor(np.zeros((0, 3, 2)))).shape == (0, 6)


# ***** LeNet learns *****


def bars_and_crosses(n, rng):
    """8x8 grey images with noise: a horizontal bar (class 0), a vertical bar (1) or a cross (2),
    each at a random place."""
    labels = rng.integers(0, 3, size=n)
    images = 0.3 * rng.standard_normal((n, 1, 8, 8))
    rows, cols = rng.integers(1, 7, size=n), rng.integers(1, 7, size=n)
    for k in range(n):
        if labels[k] in (0, 2):
            images[k, 0, rows[k], 1:7] += 1.0
        if labels[k] in (1, 2):
            images[k, 0, 1:7, cols[k]] += 1.0
    return images, labels


def test_lenet_learns_bars_versus_crosses():
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),  # (N, 6, 4, 4)
        nn.Conv2d(6, 8, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),  # (N, 8, 2, 2)
        nn.Flatten(), nn.Linear(32, 3, rng=rng),
    )  # fmt: skip
    opt = optim.Adam(model.parameters(), lr=0.02)
    for _ in range(150):
        images, labels = bars_and_crosses(64, rng)
        opt.zero_grad()
        nn.cross_entropy(model(Tensor(images)), labels).backward()
        opt.step()
    images, labels = bars_and_crosses(1000, rng)  # images it has never seen
    with no_grad():
        accuracy = (model(Tensor(images)).data.argmax(axis=1) == labels).mean()
    assert accuracy >= 0.95


def test_max_pool2d_a_tie_beside_a_nan_window_still_goes_to_the_first_maximum():
    # one window with a nan (no entry equals its max) and one with a two-way tie: the count of
    # maxima is right by accident, so only the nan check sends max_pool2d to its exact walk
    x = Tensor(np.array([[[[1.0, np.nan, 5.0, 5.0], [0.0, 2.0, 1.0, 3.0]]]]), requires_grad=True)
    out = x.max_pool2d(2)
    out.backward(np.array([[[[10.0, 7.0]]]]))
    assert np.isnan(out.data[0, 0, 0, 0]) and out.data[0, 0, 0, 1] == 5.0
    np.testing.assert_array_equal(x.grad[0, 0, :, 2:], [[7.0, 0.0], [0.0, 0.0]])  # the first 5
