"""Weight decay (SGD, Adam) and AdamW follow torch.optim's trajectories over 50 steps, to 1e-9
relative, for Values and for Tensors; bad hyper-parameters raise ValueError naming them."""

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value, nn, optim

START = [0.8, -1.3, 2.1]
STEPS = 50

# (ours, torch's name, keyword arguments): the same arguments go to both
CONFIGS = {
    "sgd": (optim.SGD, "SGD", dict(lr=0.05, weight_decay=0.1)),
    "sgd_momentum": (optim.SGD, "SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.1)),
    "adam": (optim.Adam, "Adam", dict(lr=0.05, betas=(0.8, 0.95), eps=1e-7, weight_decay=0.1)),
    "adamw": (optim.AdamW, "AdamW", dict(lr=0.05, betas=(0.8, 0.95), eps=1e-7, weight_decay=0.1)),
}


def loss_of(p):
    # a bumpy, coupled objective, written once for Values and torch scalars alike
    a, b, c = p
    return (a * b - 1) ** 2 + (b + c).tanh() ** 2 + (c * 0.5).exp() + a**4 * 0.1


@pytest.mark.parametrize("kind", CONFIGS)
def test_values_follow_torch(torch, kind):
    ours_cls, torch_name, kwargs = CONFIGS[kind]
    ours = [Value(x) for x in START]
    theirs = [torch.tensor(x, requires_grad=True) for x in START]
    opt, t_opt = ours_cls(ours, **kwargs), getattr(torch.optim, torch_name)(theirs, **kwargs)
    for _ in range(STEPS):
        opt.zero_grad()
        loss_of(ours).backward()
        opt.step()
        t_opt.zero_grad()
        loss_of(theirs).backward()
        t_opt.step()
        for p, t in zip(ours, theirs, strict=True):
            assert p.data == pytest.approx(t.item(), rel=1e-9, abs=1e-12)
    # the decay really acted: without it the same run ends somewhere else
    plain = [Value(x) for x in START]
    opt = ours_cls(plain, **{**kwargs, "weight_decay": 0.0})
    for _ in range(STEPS):
        opt.zero_grad()
        loss_of(plain).backward()
        opt.step()
    assert max(abs(p.data - q.data) for p, q in zip(plain, ours, strict=True)) > 1e-3


@pytest.mark.parametrize("kind", CONFIGS)
def test_tensors_follow_torch(torch, kind):
    ours_cls, torch_name, kwargs = CONFIGS[kind]
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((16, 3)), rng.integers(3, size=16)
    ours = nn.Sequential(nn.Linear(3, 8, rng=rng), nn.Tanh(), nn.Linear(8, 3, rng=rng))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
            q.copy_(torch.from_numpy(p.data))
    opt = ours_cls(ours.parameters(), **kwargs)
    t_opt = getattr(torch.optim, torch_name)(theirs.parameters(), **kwargs)
    for _ in range(STEPS):
        opt.zero_grad()
        nn.cross_entropy(ours(Tensor(X)), y).backward()
        opt.step()
        t_opt.zero_grad()
        torch.nn.functional.cross_entropy(theirs(torch.from_numpy(X)), torch.from_numpy(y)).backward()
        t_opt.step()
        for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_adamw_defaults_are_pytorchs():
    opt = optim.AdamW([Value(1.0)])
    assert (opt.lr, opt.betas, opt.eps, opt.weight_decay) == (1e-3, (0.9, 0.999), 1e-8, 1e-2)
    assert optim.Adam([Value(1.0)]).weight_decay == 0.0 and optim.SGD([Value(1.0)], lr=1).weight_decay == 0.0


def test_adamw_decays_before_the_adam_step_by_hand():
    # one step on L = w**2 at w = 2: p = 2 * (1 - lr * wd), then Adam's first step moves by lr
    w = Value(2.0)
    opt = optim.AdamW([w], lr=0.1, weight_decay=0.5, eps=0.0)
    (w * w).backward()
    opt.step()
    assert w.data == pytest.approx(2.0 * (1 - 0.1 * 0.5) - 0.1, rel=1e-12)


def test_decay_works_in_place_on_tensors():
    p = Tensor([1.0, -2.0], requires_grad=True)
    array = p.data
    for make in (lambda: optim.SGD([p], lr=0.1, weight_decay=0.5), lambda: optim.AdamW([p], lr=0.1)):
        opt = make()
        (p * p).sum().backward()
        opt.step()
        opt.zero_grad()
    assert p.data is array


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda ps: optim.SGD(ps, lr=-0.1), "lr"),
        (lambda ps: optim.SGD(ps, lr=0.1, momentum=-0.5), "momentum"),
        (lambda ps: optim.SGD(ps, lr=0.1, weight_decay=-1e-4), "weight_decay"),
        (lambda ps: optim.Adam(ps, lr=-1e-3), "lr"),
        (lambda ps: optim.Adam(ps, betas=(1.0, 0.999)), r"betas\[0\]"),
        (lambda ps: optim.Adam(ps, betas=(0.9, -0.1)), r"betas\[1\]"),
        (lambda ps: optim.Adam(ps, betas=(0.9,)), "betas"),
        (lambda ps: optim.Adam(ps, betas=0.9), "betas"),
        (lambda ps: optim.Adam(ps, eps=-1e-8), "eps"),
        (lambda ps: optim.Adam(ps, weight_decay=-0.1), "weight_decay"),
        (lambda ps: optim.AdamW(ps, lr=float("nan")), "lr"),
        (lambda ps: optim.AdamW(ps, betas=(0.9, 1.5)), r"betas\[1\]"),
        (lambda ps: optim.AdamW(ps, weight_decay=-0.01), "weight_decay"),
    ],
)
def test_bad_hyper_parameters_are_named(make, match):
    with pytest.raises(ValueError, match=match):
        make([Value(1.0)])


def test_weight_decay_must_be_a_number():
    with pytest.raises(TypeError, match="weight_decay must be a number, got str"):
        optim.AdamW([Value(1.0)], weight_decay="0.01")
