"""Weight decay (SGD, Adam) and AdamW follow torch.optim's trajectories over 50 steps, to 1e-9
relative, for Values and for Tensors; bad hyper-parameters raise ValueError naming them."""

import pytest
from optim_helpers import START, assert_same, assert_values_follow, loss_of, run, tensor_problem

from tinygrad_edu import Tensor, Value, optim

STEPS = 50

# (ours, torch's name, keyword arguments): the same arguments go to both
CONFIGS = {
    "sgd": (optim.SGD, "SGD", dict(lr=0.05, weight_decay=0.1)),
    "sgd_momentum": (optim.SGD, "SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.1)),
    "adam": (optim.Adam, "Adam", dict(lr=0.05, betas=(0.8, 0.95), eps=1e-7, weight_decay=0.1)),
    "adamw": (optim.AdamW, "AdamW", dict(lr=0.05, betas=(0.8, 0.95), eps=1e-7, weight_decay=0.1)),
}


@pytest.mark.parametrize("kind", CONFIGS)
def test_values_follow_torch(torch, kind):
    ours_cls, torch_name, kwargs = CONFIGS[kind]
    ours = [Value(x) for x in START]
    theirs = [torch.tensor(x, requires_grad=True) for x in START]
    opt, t_opt = ours_cls(ours, **kwargs), getattr(torch.optim, torch_name)(theirs, **kwargs)
    assert_values_follow(opt, t_opt, ours, theirs, STEPS)
    # the decay really acted: without it the same run ends somewhere else
    plain = [Value(x) for x in START]
    run(ours_cls(plain, **{**kwargs, "weight_decay": 0.0}), lambda: loss_of(plain), STEPS)
    assert max(abs(p.data - q.data) for p, q in zip(plain, ours, strict=True)) > 1e-3


@pytest.mark.parametrize("kind", CONFIGS)
def test_tensors_follow_torch(torch, kind):
    ours_cls, torch_name, kwargs = CONFIGS[kind]
    ours, theirs, our_loss, their_loss = tensor_problem(torch)
    opt = ours_cls(ours.parameters(), **kwargs)
    t_opt = getattr(torch.optim, torch_name)(theirs.parameters(), **kwargs)
    for _ in range(STEPS):
        run(opt, our_loss, 1)
        run(t_opt, their_loss, 1)
        assert_same(ours.parameters(), theirs.parameters())


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
