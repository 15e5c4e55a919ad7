"""nn.Dropout (statistics of the mask, its gradient, repeatability, modes) and nn.Residual
(against PyTorch, gradcheck, shape errors, parameter names)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tensor_helpers import require_torch, seeds

from tinygrad_edu import Tensor, gradcheck, nn
from tinygrad_edu.nn.layers import dropout

# ***** Dropout *****

N = 200_000  # entries per statistical check


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("seed", [0, 1])
def test_training_keeps_about_1_minus_p_and_scales_survivors(p, seed):
    # Each entry is kept independently with probability 1 - p, so the kept count K is
    # Binomial(N, 1 - p): K/N has mean 1 - p and standard deviation sqrt(p(1-p)/N) <= 0.0012.
    # A 6-sigma band fails a correct implementation with probability about 2e-9.
    x = np.random.default_rng(99).uniform(0.5, 2.0, size=(400, 500))  # no zeros in x
    y = nn.Dropout(p, rng=seed)(Tensor(x)).data
    kept = y != 0
    sigma = math.sqrt(p * (1 - p) / N)
    assert abs(kept.mean() - (1 - p)) < 6 * sigma
    np.testing.assert_allclose(y[kept], x[kept] / (1 - p), rtol=1e-15)  # survivors scaled by 1/(1-p)
    # inverted dropout keeps the expected value: E[y] = x. Each y/x is 0 or 1/(1-p), with
    # variance p/(1-p), so the mean of the N ratios has standard deviation sqrt(p/((1-p) N)).
    assert abs((y / x).mean() - 1.0) < 6 * math.sqrt(p / ((1 - p) * N))


@given(p=st.floats(0.05, 0.95), seed=seeds, shape=st.sampled_from([(7,), (3, 4), (2, 3, 5)]))
def test_gradient_follows_the_mask(p, seed, shape):
    rng = np.random.default_rng(seed)
    x = Tensor(rng.uniform(0.5, 2.0, size=shape), requires_grad=True)
    y = nn.Dropout(p, rng=rng)(x)
    g = rng.standard_normal(shape)
    y.backward(g)
    mask = y.data / x.data  # the mask the forward pass used: 0 or 1/(1-p)
    assert set(np.round(mask * (1 - p), 12).ravel()) <= {0.0, 1.0}
    np.testing.assert_allclose(x.grad, g * mask, rtol=1e-14)
    assert np.all(x.grad[y.data == 0] == 0)


@given(seed=seeds, p=st.floats(0.1, 0.9))
def test_gradcheck_with_a_repeated_mask(seed, p):
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    w = Tensor(rng.standard_normal((3, 4)))
    # a new Dropout with the same seed draws the same mask on every evaluation
    assert gradcheck(lambda t: (nn.Dropout(p, rng=seed)(t) * w).sum(), [x])
    mask = (rng.random((3, 4)) > 0.5) * 2.0
    assert gradcheck(lambda t: (dropout(t, mask) * w).sum(), [x])


def test_eval_mode_and_p_zero_are_the_identity():
    x = Tensor(np.random.default_rng(0).standard_normal((5, 6)), requires_grad=True)
    drop = nn.Dropout(0.7, rng=0)
    assert drop.eval() is drop and drop.training is False
    y = drop(x)
    np.testing.assert_array_equal(y.data, x.data)
    (y * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((5, 6), 3.0))  # the gradient passes unchanged
    assert drop.train().training is True
    assert np.any(drop(x).data == 0)  # training again: entries are dropped
    z = nn.Dropout(0.0, rng=0)(x)
    np.testing.assert_array_equal(z.data, x.data)


def test_rng_makes_masks_repeatable():
    x = Tensor(np.ones((50, 40)))
    a, b = nn.Dropout(0.5, rng=3), nn.Dropout(0.5, rng=3)
    first, second = a(x).data, a(x).data
    assert not np.array_equal(first, second)  # a new mask on every call ...
    np.testing.assert_array_equal(first, b(x).data)  # ... the same sequence for the same seed
    np.testing.assert_array_equal(second, b(x).data)
    g1, g2 = nn.Dropout(0.5, rng=np.random.default_rng(5)), nn.Dropout(0.5, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(g1(x).data, g2(x).data)
    np.random.seed(11)
    m1 = nn.Dropout(0.5)(x).data
    np.random.seed(11)
    m2 = nn.Dropout(0.5)(x).data
    np.testing.assert_array_equal(m1, m2)  # without rng: numpy's global generator


def test_dtype_numpy_input_and_no_graph_for_constants():
    x32 = Tensor(np.ones((10, 10), dtype=np.float32))
    y32 = nn.Dropout(0.5, rng=0)(x32)
    assert y32.data.dtype == np.float32 and set(np.unique(y32.data)) <= {0.0, 2.0}
    y = nn.Dropout(0.5, rng=0)(np.ones(8))
    assert isinstance(y, Tensor) and not y.requires_grad and y._prev == ()


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, float("nan"), float("inf")])
def test_p_outside_0_1_is_a_value_error(p):
    with pytest.raises(ValueError, match=r"\[0, 1\).*" + str(p).replace("+", "")):
        nn.Dropout(p)


@pytest.mark.parametrize("p,name", [("0.5", "str"), (None, "NoneType"), (True, "bool"), ([0.5], "list")])
def test_p_of_the_wrong_type_is_a_type_error(p, name):
    with pytest.raises(TypeError, match=name):
        nn.Dropout(p)


def test_dropout_other_errors_and_repr():
    with pytest.raises(TypeError, match="rng.*str"):
        nn.Dropout(0.5, rng="seed")
    with pytest.raises(ValueError, match="Dropout.*seed.*-3"):
        nn.Dropout(0.5, rng=-3)
    with pytest.raises(TypeError, match="list"):
        nn.Dropout(0.5)([1.0, 2.0])
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)" and "p=0.25" in repr(nn.Dropout(0.25))
    assert nn.Dropout().parameters() == []


def test_dropout_in_a_network_follows_the_model_mode():
    net = nn.Sequential(nn.Linear(4, 64, rng=np.random.default_rng(0)), nn.ReLU(), nn.Dropout(0.5, rng=1))
    x = Tensor(np.ones((3, 4)))
    hidden = np.maximum(x.data @ net[0].weight.data.T + net[0].bias.data, 0)
    np.testing.assert_allclose(net.eval()(x).data, hidden, rtol=1e-14)
    train_out = net.train()(x).data
    assert np.any((train_out == 0) & (hidden > 0))  # some active units dropped
    kept = train_out != 0
    np.testing.assert_allclose(train_out[kept], 2 * hidden[kept], rtol=1e-14)


# ***** Residual *****


def torch_residual_class(torch):
    class Residual(torch.nn.Module):  # what a PyTorch user writes for a skip connection
        def __init__(self, module):
            super().__init__()
            self.module = module

        def forward(self, x):
            return x + self.module(x)

    return Residual


@given(batch=st.integers(1, 5), features=st.integers(1, 5), bias=st.booleans(), seed=seeds)
def test_residual_linear_matches_torch(batch, features, bias, seed):
    torch = require_torch()
    rng = np.random.default_rng(seed)
    ours = nn.Residual(nn.Linear(features, features, bias=bias, rng=rng))
    theirs = torch_residual_class(torch)(torch.nn.Linear(features, features, bias=bias)).double()
    with torch.no_grad():
        for (name, p), (t_name, q) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
            assert name == t_name  # 'module.weight', 'module.bias': PyTorch's names
            q.copy_(torch.from_numpy(p.data))
    X = rng.standard_normal((batch, features))
    g = rng.standard_normal((batch, features))
    x, t_x = Tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    out, t_out = ours(x), theirs(t_x)
    out.backward(g)
    t_out.backward(torch.from_numpy(g))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(x.grad, t_x.grad.numpy(), rtol=1e-12, atol=1e-14)
    for p, (_, q) in zip(ours.parameters(), theirs.named_parameters(), strict=True):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12, atol=1e-14)
    w = Tensor(g)
    assert gradcheck(lambda t, *ps: (ours(t) * w).sum(), [x] + ours.parameters())


def test_residual_block_of_a_sequential_matches_torch():
    torch = require_torch()
    rng = np.random.default_rng(4)
    inner = nn.Sequential(nn.Linear(3, 6, rng=rng), nn.Tanh(), nn.Linear(6, 3, rng=rng))
    ours = nn.Sequential(nn.Residual(inner), nn.ReLU(), nn.Residual(nn.Linear(3, 3, rng=rng)))
    R = torch_residual_class(torch)
    theirs = torch.nn.Sequential(
        R(torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3))),
        torch.nn.ReLU(),
        R(torch.nn.Linear(3, 3)),
    ).double()
    names = [n for n, _ in ours.named_parameters()]
    assert names == [n for n, _ in theirs.named_parameters()]
    assert names == ["0.module.0.weight", "0.module.0.bias", "0.module.2.weight", "0.module.2.bias"] + [
        "2.module.weight",
        "2.module.bias",
    ]
    with torch.no_grad():
        for p, (_, q) in zip(ours.parameters(), theirs.named_parameters(), strict=True):
            q.copy_(torch.from_numpy(p.data))
    X = rng.standard_normal((4, 3))
    out, t_out = ours(Tensor(X)), theirs(torch.from_numpy(X))
    out.sum().backward()
    t_out.sum().backward()
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-12, atol=1e-14)
    for p, (_, q) in zip(ours.parameters(), theirs.named_parameters(), strict=True):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-11, atol=1e-14)


def test_residual_children_and_save_load(tmp_path):
    inner = nn.Linear(2, 2, rng=np.random.default_rng(0))
    block = nn.Residual(inner)
    assert block.named_children() == [("module", inner)]
    assert [name for name, _ in block.named_modules()] == ["", "module"]
    assert block.parameters() == [inner.weight, inner.bias]
    block.save(tmp_path / "block")
    with np.load(tmp_path / "block.npz") as npz:
        assert sorted(npz.files) == ["module.bias", "module.weight"]
    other = nn.Residual(nn.Linear(2, 2, rng=np.random.default_rng(1)))
    other.load(tmp_path / "block")
    np.testing.assert_array_equal(other.module.weight.data, inner.weight.data)


@pytest.mark.parametrize(
    "inner,x_shape,match",
    [
        (nn.Linear(3, 2), (4, 3), r"\(4, 3\).*\(4, 2\)"),
        (nn.Linear(3, 1), (4, 3), r"\(4, 3\).*\(4, 1\)"),  # would broadcast: still an error
        (nn.Sequential(nn.Linear(3, 5), nn.ReLU()), (2, 3), r"Sequential.*\(2, 3\).*\(2, 5\)"),
    ],
)
def test_shape_change_names_both_shapes(inner, x_shape, match):
    with pytest.raises(ValueError, match=match):
        nn.Residual(inner)(Tensor(np.ones(x_shape)))


def test_residual_type_errors_and_repr():
    class ToArray(nn.Module):
        def __call__(self, x):
            return x.data

    with pytest.raises(TypeError, match="int"):
        nn.Residual(3)
    with pytest.raises(TypeError, match="ToArray returned a ndarray"):
        nn.Residual(ToArray())(Tensor(np.ones(2)))
    with pytest.raises(TypeError, match="str"):
        nn.Residual(nn.ReLU())("x")
    assert repr(nn.Residual(nn.Linear(2, 2))) == (
        "Residual(\n  (module): Linear(in_features=2, out_features=2, bias=True)\n)"
    )
    out = nn.Residual(nn.ReLU())(np.array([-1.0, 2.0]))  # numpy input; relu(x) + x
    np.testing.assert_array_equal(out.data, [-1.0, 4.0])
