"""Tensor nn modules, losses and optimisers: against PyTorch, closed forms, and real training."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tensor_helpers import check_op, require_torch, seeds

from tinygrad_edu import Tensor, nn, no_grad, optim
from tinygrad_edu.data import make_moons
from tinygrad_edu.nn.layers import linear

# ***** Linear and Sequential *****


def test_linear_shapes_and_pytorch_init_range():
    layer = nn.Linear(50, 7)
    assert layer.weight.shape == (7, 50) and layer.bias.shape == (7,)
    assert layer.weight.requires_grad and layer.bias.requires_grad
    bound = 1 / np.sqrt(50)
    for p in (layer.weight, layer.bias):
        assert p.data.dtype == np.float64 and np.all(np.abs(p.data) <= bound)
    assert layer.weight.data.std() > bound / 3  # spread over the range, not all near 0
    assert nn.Linear(3, 2, bias=False).bias is None and len(nn.Linear(3, 2, bias=False).parameters()) == 1


def test_linear_init_is_seedable_globally_and_by_generator():
    np.random.seed(42)
    a = nn.Linear(4, 3).weight.data.copy()
    np.random.seed(42)
    b = nn.Linear(4, 3).weight.data.copy()
    c = nn.Linear(4, 3, rng=np.random.default_rng(7)).weight.data
    d = nn.Linear(4, 3, rng=np.random.default_rng(7)).weight.data
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(c, d)


@pytest.mark.parametrize("args,error", [((0, 3), ValueError), ((2.5, 3), TypeError), ((3, True), TypeError)])
def test_linear_rejects_bad_sizes(args, error):
    with pytest.raises(error):
        nn.Linear(*args)


def test_linear_input_shape_error_names_both_shapes():
    layer = nn.Linear(4, 3)
    with pytest.raises(ValueError, match=r"\(2, 5\).*\(3, 4\)"):
        layer(Tensor(np.ones((2, 5))))


@given(batch=st.sampled_from([(), (1,), (5,), (2, 3)]), bias=st.booleans(), seed=seeds, x_grad=st.booleans())
def test_linear_matches_torch_and_numeric_gradients(batch, bias, seed, x_grad):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(batch + (4,)), rng.standard_normal((3, 4))] + (
        [rng.standard_normal(3)] if bias else []
    )

    def torch_linear(*ts):
        import torch.nn.functional as F

        return F.linear(*ts)

    check_op(lambda *ts: linear(*ts), torch_linear, arrays, rng)
    # the fused node equals the three-node expression x @ W.T + b, value and gradients
    xs = [Tensor(a, requires_grad=x_grad or i > 0) for i, a in enumerate(arrays)]
    fused = linear(*xs)
    composite = xs[0] @ xs[1].T + (xs[2] if bias else 0.0)
    np.testing.assert_allclose(fused.data, composite.data, rtol=1e-13)


def test_sequential_names_parameters_chain_and_zero_grad():
    net = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 3), nn.Sigmoid(), nn.Linear(3, 1), nn.ReLU())
    names = [name for name, _ in net.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert net.parameters()[2] is net[2].weight and len(net) == 6 and list(net)[1].__class__ is nn.Tanh
    x = np.array([[0.3, -1.2], [2.0, 0.1]])
    expected = x
    for layer in net:  # composed by hand, from the layers' own parameters
        if isinstance(layer, nn.Linear):
            expected = expected @ layer.weight.data.T + layer.bias.data
        else:
            expected = {
                nn.Tanh: np.tanh,
                nn.Sigmoid: lambda v: 1 / (1 + np.exp(-v)),
                nn.ReLU: lambda v: np.maximum(v, 0),
            }[type(layer)](expected)
    np.testing.assert_allclose(net(Tensor(x)).data, expected, rtol=1e-13)
    net(x).sum().backward()  # a plain array is accepted too
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    with pytest.raises(TypeError, match="int"):
        nn.Sequential(nn.ReLU(), 3)


def test_sequential_matches_torch_sequential():
    torch = require_torch()
    rng = np.random.default_rng(0)
    ours = nn.Sequential(
        nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 4), nn.Sigmoid(), nn.Linear(4, 2), nn.ReLU()
    )
    theirs = torch.nn.Sequential(
        torch.nn.Linear(3, 5),
        torch.nn.Tanh(),
        torch.nn.Linear(5, 4),
        torch.nn.Sigmoid(),
        torch.nn.Linear(4, 2),
        torch.nn.ReLU(),
    ).double()
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
            q.copy_(torch.from_numpy(p.data))
    x = rng.standard_normal((6, 3))
    out, t_out = ours(Tensor(x)), theirs(torch.from_numpy(x))
    weights = rng.standard_normal(out.shape)
    out.backward(weights)
    t_out.backward(torch.from_numpy(weights))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-12)
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_save_and_load_round_trip_and_mismatch_errors(tmp_path):
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    net.save(tmp_path / "model")
    other = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    weight_object = other[0].weight.data
    other.load(tmp_path / "model.npz")
    for p, q in zip(net.parameters(), other.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
    assert other[0].weight.data is weight_object  # loaded in place
    with pytest.raises(ValueError, match="2.weight"):
        nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2)).load(tmp_path / "model.npz")


# ***** losses *****


def _torch_losses():
    torch = require_torch()
    F = torch.nn.functional
    return torch, F


@given(seed=seeds, n=st.integers(1, 6), c=st.integers(2, 5), scale=st.sampled_from([1.0, 30.0, 1000.0]))
def test_cross_entropy_matches_torch(seed, n, c, scale):
    torch, F = _torch_losses()
    rng = np.random.default_rng(seed)
    logits, labels = rng.standard_normal((n, c)) * scale, rng.integers(c, size=n)
    ours = Tensor(logits, requires_grad=True)
    loss = nn.cross_entropy(ours, labels)
    loss.backward()
    theirs = torch.tensor(logits, requires_grad=True)
    t_loss = F.cross_entropy(theirs, torch.from_numpy(labels))
    t_loss.backward()
    assert abs(loss.item() - t_loss.item()) <= 1e-9 * max(1.0, abs(t_loss.item()))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)
    if scale == 1.0:
        check_op(lambda t: nn.cross_entropy(t, labels), None, [logits], rng)


@pytest.mark.parametrize("labels", [[0, 2, 1], (0, 2, 1), np.array([0, 2, 1], dtype=np.int32)])
def test_cross_entropy_accepts_lists_int_tensors_and_int_arrays(labels):
    logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 5.0], [-1.0, 4.0, 0.0]])
    expected = nn.cross_entropy(Tensor(logits), Tensor([0, 2, 1])).item()
    # closed form: mean of log(sum(exp(row))) - row[label]
    by_hand = np.mean(np.log(np.exp(logits).sum(axis=1)) - logits[[0, 1, 2], [0, 2, 1]])
    assert abs(expected - by_hand) < 1e-12
    assert abs(nn.cross_entropy(Tensor(logits), labels).item() - by_hand) < 1e-12


@pytest.mark.parametrize(
    "labels,error,match",
    [
        (np.array([0, 3]), ValueError, "label 3"),
        (np.array([-1, 0]), ValueError, "label -1"),
        (np.array([0, 1, 1]), ValueError, r"\(3,\)"),
        (np.array([0.0, 1.0]), TypeError, "integer"),
        (Tensor([0.5, 1.0]), TypeError, "whole"),
        ("01", TypeError, "str"),
    ],
)
def test_cross_entropy_label_errors(labels, error, match):
    with pytest.raises(error, match=match):
        nn.cross_entropy(Tensor(np.zeros((2, 3))), labels)


def test_cross_entropy_needs_2d_logits():
    with pytest.raises(ValueError, match=r"\(3,\)"):
        nn.cross_entropy(Tensor(np.zeros(3)), np.array([0]))


@given(
    seed=seeds,
    shape=st.sampled_from([(1,), (5,), (4, 1), (3, 2)]),
    scale=st.sampled_from([1.0, 30.0, 1000.0]),
    target_grad=st.booleans(),
)
def test_binary_cross_entropy_matches_torch(seed, shape, scale, target_grad):
    torch, F = _torch_losses()
    rng = np.random.default_rng(seed)
    logits, target = rng.standard_normal(shape) * scale, rng.uniform(0, 1, shape)
    if scale > 1:
        target = np.round(target)
    ours, ours_t = Tensor(logits, requires_grad=True), Tensor(target, requires_grad=target_grad)
    loss = nn.binary_cross_entropy(ours, ours_t)
    loss.backward()
    theirs, theirs_t = (
        torch.tensor(logits, requires_grad=True),
        torch.tensor(target, requires_grad=target_grad),
    )
    t_loss = F.binary_cross_entropy_with_logits(theirs, theirs_t)
    t_loss.backward()
    assert np.isfinite(loss.item())
    assert abs(loss.item() - t_loss.item()) <= 1e-9 * max(1.0, abs(t_loss.item()))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)
    if target_grad:
        np.testing.assert_allclose(ours_t.grad, theirs_t.grad.numpy(), rtol=1e-9, atol=1e-12)
    if scale == 1.0:
        check_op(lambda a, b: nn.binary_cross_entropy(a, b), None, [logits, target], rng)


def test_binary_cross_entropy_at_plus_minus_1000_closed_form():
    # log(1 + e**-1000) is 0 in float64, so a right prediction costs 0 and a wrong one 1000
    loss = nn.binary_cross_entropy(Tensor([1000.0, -1000.0, 1000.0, -1000.0]), np.array([1.0, 0.0, 0.0, 1.0]))
    assert loss.item() == pytest.approx((0 + 0 + 1000 + 1000) / 4, rel=1e-15)


@given(seed=seeds, shape=st.sampled_from([(3,), (4, 1), (2, 3)]))
def test_mse_loss_matches_torch(seed, shape):
    torch, F = _torch_losses()
    rng = np.random.default_rng(seed)
    pred, target = rng.standard_normal(shape), rng.standard_normal(shape)
    check_op(lambda p, t: nn.mse_loss(p, t), lambda p, t: F.mse_loss(p, t), [pred, target], rng)
    assert abs(nn.mse_loss(Tensor(pred), target).item() - np.mean((pred - target) ** 2)) < 1e-14


@pytest.mark.parametrize("loss", [nn.mse_loss, nn.binary_cross_entropy])
def test_elementwise_losses_need_matching_shapes(loss):
    with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\)"):
        loss(Tensor(np.zeros((4, 1))), np.zeros(4))
    with pytest.raises(TypeError, match="ndarray"):
        loss(np.zeros(4), np.zeros(4))


# ***** optimisers against torch.optim *****


@pytest.mark.parametrize("kind", ["sgd", "sgd_momentum", "adam"])
def test_optimiser_trajectories_match_torch(kind):
    torch = require_torch()
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((16, 3)), rng.integers(3, size=16)
    np.random.seed(1)
    ours = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)).double()
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
            q.copy_(torch.from_numpy(p.data))
    if kind == "adam":
        opt = optim.Adam(ours.parameters(), lr=0.01, betas=(0.8, 0.95), eps=1e-7)
        t_opt = torch.optim.Adam(theirs.parameters(), lr=0.01, betas=(0.8, 0.95), eps=1e-7)
    else:
        momentum = 0.9 if kind == "sgd_momentum" else 0.0
        opt = optim.SGD(ours.parameters(), lr=0.1, momentum=momentum)
        t_opt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=momentum)
    for _ in range(15):
        opt.zero_grad()
        nn.cross_entropy(ours(X), y).backward()
        opt.step()
        t_opt.zero_grad()
        torch.nn.functional.cross_entropy(theirs(torch.from_numpy(X)), torch.from_numpy(y)).backward()
        t_opt.step()
        for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-9, atol=1e-12)


# ***** training: the whole engine has to be right for these to work *****


def test_tensor_mlp_reaches_95_percent_on_two_moons():
    X, y = make_moons(200, noise=0.1, seed=0)
    X_test, y_test = make_moons(200, noise=0.1, seed=1)
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
    opt = optim.Adam(model.parameters(), lr=0.02)
    targets = ((y + 1) / 2).reshape(-1, 1)  # labels {-1, +1} -> {0, 1}
    for _ in range(300):
        opt.zero_grad()
        nn.binary_cross_entropy(model(Tensor(X)), targets).backward()
        opt.step()
    with no_grad():
        accuracy = np.mean(np.sign(model(Tensor(X_test)).data[:, 0]) == y_test)
    assert accuracy >= 0.95


def test_tensor_mlp_fits_a_sine():
    x = np.linspace(-np.pi, np.pi, 200).reshape(-1, 1)
    y = np.sin(x)
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
    opt = optim.Adam(model.parameters(), lr=0.01)
    for _ in range(500):
        opt.zero_grad()
        loss = nn.mse_loss(model(Tensor(x)), y)
        loss.backward()
        opt.step()
    with no_grad():
        assert np.mean((model(Tensor(x)).data - y) ** 2) < 0.01


def test_optim_skips_tensors_without_grad_and_updates_in_place():
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    data_a = a.data
    opt = optim.SGD([a, b], lr=0.5)
    (a * 3).sum().backward()
    opt.step()
    assert a.data is data_a and a.data.tolist() == [1.0 - 1.5] and b.data.tolist() == [2.0]
