"""conv_transpose2d, avg_pool2d, nearest upsampling and batch normalisation, and their layers:
against PyTorch float64 (values and every gradient), central differences, and hand numbers."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from tensor_helpers import check_op, require_torch, seeds

from tinygrad_edu import Tensor, nn, optim
from tinygrad_edu.tensor_norm import batch_norm
from tinygrad_edu.tensor_pool import upsample_nearest2d

pairs_123 = st.tuples(st.integers(1, 3), st.integers(1, 3))
kernels = st.tuples(st.integers(1, 3), st.integers(1, 3))


@st.composite
def transpose_problems(draw):
    n, c, f = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    kernel, stride = draw(kernels), draw(pairs_123)
    padding = draw(st.tuples(st.integers(0, 1), st.integers(0, 1)))
    out_pad = (draw(st.integers(0, stride[0] - 1)), draw(st.integers(0, stride[1] - 1)))
    assume((h - 1) * stride[0] - 2 * padding[0] + kernel[0] + out_pad[0] >= 1)
    assume((w - 1) * stride[1] - 2 * padding[1] + kernel[1] + out_pad[1] >= 1)
    return (n, c, h, w), (c, f) + kernel, stride, padding, out_pad, draw(st.booleans()), draw(seeds)


@given(transpose_problems())
def test_conv_transpose2d_matches_torch_and_central_differences(problem):
    x_shape, w_shape, stride, padding, out_pad, bias, seed = problem
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape)]
    arrays += [rng.standard_normal(w_shape[1])] if bias else []

    def mine(x, *weights):
        return x.conv_transpose2d(*weights, stride=stride, padding=padding, output_padding=out_pad)

    def theirs(x, w, b=None):
        import torch.nn.functional as F

        return F.conv_transpose2d(x, w, b, stride=stride, padding=padding, output_padding=out_pad)

    check_op(mine, theirs, arrays, np.random.default_rng(seed))


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 0), (2, 1), ((2, 1), (1, 0))])
def test_conv_transpose2d_is_the_input_gradient_of_conv2d(stride, padding):
    rng = np.random.default_rng(3)
    weight = rng.standard_normal((3, 2, 3, 3))  # conv2d: (out 3, in 2); transposed: (in 3, out 2)
    z = Tensor(np.zeros((2, 2, 7, 6)), requires_grad=True)
    y = z.conv2d(Tensor(weight), stride=stride, padding=padding)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    H, W = z.shape[2:]
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    # the output_padding that makes the transposed output exactly z's size
    out_pad = (H + 2 * ph - 3) % sh, (W + 2 * pw - 3) % sw
    t = Tensor(g).conv_transpose2d(Tensor(weight), stride=stride, padding=padding, output_padding=out_pad)
    np.testing.assert_allclose(t.data, z.grad, rtol=1e-12, atol=1e-12)


def test_conv_transpose2d_by_hand_and_the_plain_loop():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 3, 4)), rng.standard_normal((3, 2, 3, 2)), rng.standard_normal(2)
    sh, sw, ph, pw = 2, 1, 1, 0
    H_out, W_out = (3 - 1) * 2 - 2 + 3 + 1, (4 - 1) * 1 - 0 + 2  # output_padding (1, 0)
    full = np.zeros((2, 2, H_out + 2 * ph, W_out + 2 * pw))
    for n in range(2):
        for c in range(3):
            for h in range(3):
                for q in range(4):
                    full[n, :, h * sh : h * sh + 3, q * sw : q * sw + 2] += x[n, c, h, q] * w[c]
    expected = full[:, :, ph : ph + H_out, pw : pw + W_out] + b[:, None, None]
    got = Tensor(x).conv_transpose2d(Tensor(w), Tensor(b), (sh, sw), (ph, pw), output_padding=(1, 0))
    np.testing.assert_allclose(got.data, expected, rtol=1e-12)


@st.composite
def pool_problems(draw):
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    kernel = draw(kernels)
    assume(kernel[0] <= h and kernel[1] <= w)
    stride = draw(st.one_of(st.none(), pairs_123))
    return (n, c, h, w), kernel, stride, draw(seeds)


@given(pool_problems())
def test_avg_pool2d_matches_torch_and_central_differences(problem):
    shape, kernel, stride, seed = problem
    rng = np.random.default_rng(seed)

    def theirs(x):
        import torch.nn.functional as F

        return F.avg_pool2d(x, kernel, stride)

    check_op(lambda x: x.avg_pool2d(kernel, stride), theirs, [rng.standard_normal(shape)], rng)


@given(
    st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 4), st.integers(1, 4)), pairs_123, seeds
)
def test_upsample_matches_torch_and_central_differences(shape, scale, seed):
    rng = np.random.default_rng(seed)

    def theirs(x):
        import torch.nn.functional as F

        return F.interpolate(x, scale_factor=scale, mode="nearest")

    layer = nn.Upsample(scale_factor=scale)
    check_op(layer, theirs, [rng.standard_normal(shape)], rng)


@given(
    st.sampled_from([(5, 3), (4, 2, 3), (2, 3, 4, 3), (1, 2, 2, 2)]),
    st.booleans(),
    seeds,
)
def test_batch_norm_op_matches_torch_and_central_differences(shape, training, seed):
    rng = np.random.default_rng(seed)
    C = shape[1]
    mean, var = rng.standard_normal(C), rng.uniform(0.5, 2.0, C)
    arrays = [rng.standard_normal(shape) * 2 + 1, rng.uniform(0.5, 2.0, C), rng.standard_normal(C)]

    def mine(x, w, b):
        return batch_norm(x, w, b, (mean, var), training, 1e-5)

    def theirs(x, w, b):
        import torch

        stats = torch.from_numpy(mean.copy()), torch.from_numpy(var.copy())
        return torch.nn.functional.batch_norm(x, *stats, w, b, training=training, eps=1e-5)

    check_op(mine, theirs, arrays, rng)


def test_float32_stays_float32():
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((3, 4, 6, 6)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 2, 2, 2)).astype(np.float32), requires_grad=True)
    y = upsample_nearest2d(x.avg_pool2d(2), (2, 2)).conv_transpose2d(w, stride=2)
    y.sum().backward()
    assert y.shape == (3, 2, 12, 12)
    assert {y.dtype, x.grad.dtype, w.grad.dtype} == {np.dtype(np.float32)}


# ***** the layers, against the same torch modules *****


def torch_twin(module):
    """The torch module of the same kind and settings, with this module's state loaded."""
    torch = require_torch()
    tnn = torch.nn
    if isinstance(module, nn.BatchNorm2d):
        twin = tnn.BatchNorm2d(module.num_features, module.eps, module.momentum)
    elif isinstance(module, nn.BatchNorm1d):
        twin = tnn.BatchNorm1d(module.num_features, module.eps, module.momentum)
    else:
        m = module
        twin = tnn.ConvTranspose2d(
            m.in_channels,
            m.out_channels,
            m.kernel_size,
            m.stride,
            m.padding,
            m.output_padding,
            bias=m.bias is not None,
        )
    twin.double()
    twin.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in module.state_dict().items()})
    return twin


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda: nn.BatchNorm1d(3), (6, 3)),
        (lambda: nn.BatchNorm1d(3, momentum=0.3), (4, 3, 5)),
        (lambda: nn.BatchNorm2d(2, eps=1e-3), (3, 2, 4, 5)),
        (lambda: nn.BatchNorm2d(2, momentum=None), (2, 2, 3, 3)),
    ],
)
def test_batch_norm_layers_follow_torch_over_several_steps_in_both_modes(make, shape):
    torch = require_torch()
    rng = np.random.default_rng(4)
    bn = make()
    twin = torch_twin(bn)
    opt, t_opt = optim.SGD(bn.parameters(), lr=0.1), torch.optim.SGD(twin.parameters(), lr=0.1)
    for step in range(6):
        if step == 4:  # two steps in evaluation mode: running statistics used, not changed
            bn.eval(), twin.eval()
        x = rng.standard_normal(shape) * (step + 1) + step
        g = rng.standard_normal(shape)
        xt, xs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, yt = bn(xt), twin(xs)
        np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
        opt.zero_grad(), t_opt.zero_grad()
        y.backward(g), yt.backward(torch.from_numpy(g))
        np.testing.assert_allclose(xt.grad, xs.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(bn.weight.grad, twin.weight.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(bn.bias.grad, twin.bias.grad.numpy(), rtol=1e-9, atol=1e-12)
        opt.step(), t_opt.step()
        theirs = twin.state_dict()
        for name, value in bn.state_dict().items():
            np.testing.assert_allclose(value, theirs[name].numpy(), rtol=1e-12, err_msg=name)
    assert int(bn.num_batches_tracked) == 4 and bn.num_batches_tracked.dtype == np.int64


def test_batch_norm_state_dict_names_and_round_trip_with_torch():
    torch = require_torch()
    bn = nn.BatchNorm2d(3)
    bn(Tensor(np.random.default_rng(0).standard_normal((4, 3, 2, 2))))
    state = bn.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert state["num_batches_tracked"].shape == () and state["num_batches_tracked"].dtype == np.int64
    assert [name for name, _ in bn.named_parameters()] == ["weight", "bias"]
    twin = torch.nn.BatchNorm2d(3).double()
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    back = nn.BatchNorm2d(3)
    back.load_state_dict(twin.state_dict())
    for name, value in back.state_dict().items():
        np.testing.assert_array_equal(value, state[name])


def test_load_state_dict_with_a_wrong_buffer_shape_changes_nothing():
    bn = nn.BatchNorm1d(2)
    before = {k: v.copy() for k, v in bn.state_dict().items()}
    bad = dict(before, running_mean=np.zeros(3), weight=np.full(2, 7.0))
    with pytest.raises(ValueError, match=r"'running_mean' has shape \(3,\)"):
        bn.load_state_dict(bad)
    for name, value in bn.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_training_batch_of_one_value_per_channel_raises_as_torch_does():
    torch = require_torch()
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        torch.nn.BatchNorm1d(3)(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(Tensor(np.zeros((1, 3))))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm2d(3)(Tensor(np.zeros((1, 3, 1, 1))))
    assert nn.BatchNorm2d(3).eval()(Tensor(np.ones((1, 3, 1, 1)))).shape == (1, 3, 1, 1)


@given(transpose_problems())
@settings(max_examples=15)
def test_conv_transpose2d_layer_matches_torch_module(problem):
    torch = require_torch()
    x_shape, w_shape, stride, padding, out_pad, bias, seed = problem
    layer = nn.ConvTranspose2d(w_shape[0], w_shape[1], w_shape[2:], stride, padding, out_pad, bias, rng=seed)
    twin = torch_twin(layer)
    x = np.random.default_rng(seed).standard_normal(x_shape)
    xt, xs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = layer(xt), twin(xs)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    y.sum().backward(), yt.sum().backward()
    np.testing.assert_allclose(xt.grad, xs.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad, twin.weight.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_conv_transpose2d_layer_init_range_names_and_repr():
    layer = nn.ConvTranspose2d(16, 4, 3, stride=2, padding=1, output_padding=1, rng=0)
    bound = 1 / np.sqrt(4 * 3 * 3)  # fan_in = out_channels * kh * kw, as in PyTorch
    assert layer.weight.shape == (16, 4, 3, 3) and layer.bias.shape == (4,)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.weight.data).max() > 0.9 * bound
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer(Tensor(np.zeros((1, 16, 5, 5)))).shape == (1, 4, 10, 10)
    assert repr(layer).startswith("ConvTranspose2d(16, 4, kernel_size=(3, 3), stride=(2, 2)")
    assert nn.ConvTranspose2d(2, 2, 2, bias=False).bias is None
    np.testing.assert_array_equal(
        nn.ConvTranspose2d(2, 3, 2, rng=5).weight.data, nn.ConvTranspose2d(2, 3, 2, rng=5).weight.data
    )


def test_pooling_layers_and_upsample_by_hand():
    x = Tensor(np.arange(32.0).reshape(1, 2, 4, 4), requires_grad=True)
    g = nn.AdaptiveAvgPool2d(1)(x)
    assert g.shape == (1, 2, 1, 1) and g.data.ravel().tolist() == [7.5, 23.5]
    g.sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((1, 2, 4, 4), 1 / 16))
    assert nn.AvgPool2d(2, stride=1)(x).shape == (1, 2, 3, 3)
    assert nn.Upsample(scale_factor=2.0)(x).shape == (1, 2, 8, 8)
    assert nn.Upsample((1, 3))(x).shape == (1, 2, 4, 12)
    assert nn.Upsample(2).parameters() == [] and nn.AvgPool2d(2).parameters() == []


images = Tensor(np.zeros((2, 3, 4, 4)))


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: images.conv_transpose2d(Tensor(np.zeros((2, 4, 2, 2)))),
            ValueError,
            r"\(2, 3, 4, 4\) has 3 channels.*\(2, 4, 2, 2\)",
        ),
        (
            lambda: Tensor(np.zeros((3, 4, 4))).conv_transpose2d(Tensor(np.zeros((3, 1, 2, 2)))),
            ValueError,
            r"4-D.*\(3, 4, 4\)",
        ),
        (lambda: images.conv_transpose2d(Tensor(np.zeros((3, 1, 2)))), ValueError, r"4-D.*\(3, 1, 2\)"),
        (lambda: images.conv_transpose2d(np.zeros((3, 1, 2, 2))), TypeError, "ndarray"),
        (
            lambda: images.conv_transpose2d(Tensor(np.zeros((3, 1, 2, 2))), Tensor(np.zeros(2))),
            ValueError,
            r"bias must have shape \(1,\)",
        ),
        (lambda: images.conv_transpose2d(Tensor(np.zeros((3, 1, 2, 2))), [0.0]), TypeError, "list"),
        (
            lambda: images.conv_transpose2d(Tensor(np.zeros((3, 1, 2, 2))), stride=2, output_padding=2),
            ValueError,
            "output_padding .* smaller than the stride",
        ),
        (lambda: images.conv_transpose2d(Tensor(np.zeros((3, 1, 0, 2)))), ValueError, "no entries"),
        (lambda: images.conv_transpose2d(Tensor(np.zeros((3, 1, 1, 1))), padding=3), ValueError, "empty"),
        (
            lambda: nn.ConvTranspose2d(3, 1, 2, stride=2, output_padding=(0, 2)),
            ValueError,
            "smaller than the stride",
        ),
        (lambda: nn.ConvTranspose2d(3, 1, 2, bias=1), TypeError, "bias"),
        (lambda: nn.ConvTranspose2d(3, 1, 2)(images[:, :2]), ValueError, r"\(2, 2, 4, 4\) has 2 channels"),
        (lambda: nn.ConvTranspose2d(3, 1, 2)("x"), TypeError, "str"),
        (lambda: images.avg_pool2d(5), ValueError, r"larger than the input 4x4"),
        (lambda: Tensor(np.zeros((4, 4))).avg_pool2d(2), ValueError, r"4-D.*\(4, 4\)"),
        (lambda: nn.Upsample(1.5), ValueError, "whole number"),
        (lambda: nn.Upsample(0), ValueError, "whole number"),
        (lambda: nn.Upsample("2"), TypeError, "str"),
        (lambda: nn.Upsample((2, 2, 2)), ValueError, "pair"),
        (lambda: nn.Upsample(2, mode="bilinear"), ValueError, "nearest"),
        (lambda: nn.Upsample(2)(Tensor(np.zeros((2, 3)))), ValueError, r"4-D.*\(2, 3\)"),
        (lambda: nn.AdaptiveAvgPool2d(2), ValueError, "output_size=1"),
        (lambda: nn.BatchNorm2d(4)(images), ValueError, r"\(2, 3, 4, 4\) has 3 channels.*num_features is 4"),
        (lambda: nn.BatchNorm1d(3)(images), ValueError, r"2-D \(N, C\) or 3-D.*\(2, 3, 4, 4\)"),
        (lambda: nn.BatchNorm2d(3)(Tensor(np.zeros((2, 3)))), ValueError, r"4-D.*\(2, 3\)"),
        (lambda: nn.BatchNorm2d(0), ValueError, "at least 1"),
        (lambda: nn.BatchNorm2d(2, eps=0), ValueError, "eps"),
        (lambda: nn.BatchNorm2d(2, eps="1"), TypeError, "eps"),
        (lambda: nn.BatchNorm2d(2, momentum=2.0), ValueError, "momentum"),
        (lambda: nn.BatchNorm2d(2, momentum=True), TypeError, "momentum"),
    ],
)
def test_bad_input_raises_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_nan_propagates():
    x = Tensor(np.full((2, 1, 2, 2), np.nan))
    bn = nn.BatchNorm2d(1)
    assert np.isnan(bn(x).data).all() and np.isnan(bn.running_mean).all()
    assert np.isnan(x.avg_pool2d(2).data).all()
    assert np.isnan(x.conv_transpose2d(Tensor(np.ones((1, 1, 2, 2))), stride=2).data).all()
