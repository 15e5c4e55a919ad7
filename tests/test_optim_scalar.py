"""optim.SGD and optim.Adam on Values follow torch.optim's trajectories to 1e-9."""

import pytest

from tinygrad_edu import Value, optim

START = [0.8, -1.3, 2.1]


def loss_of(p):
    # a bumpy, coupled objective so that every step is different
    a, b, c = p
    return (a * b - 1) ** 2 + (b + c).tanh() ** 2 + (c * 0.5).exp() + a**4 * 0.1


def trajectories(torch, make_ours, make_torch, steps=25):
    ours = [Value(x) for x in START]
    theirs = [torch.tensor(x, requires_grad=True) for x in START]
    opt, topt = make_ours(ours), make_torch(theirs)
    for _ in range(steps):
        opt.zero_grad()
        loss_of(ours).backward()
        opt.step()
        topt.zero_grad()
        loss_of(theirs).backward()
        topt.step()
        for p, t in zip(ours, theirs, strict=True):
            assert p.data == pytest.approx(t.item(), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_matches_torch(torch, momentum):
    trajectories(
        torch,
        lambda p: optim.SGD(p, lr=0.05, momentum=momentum),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=momentum),
    )


@pytest.mark.parametrize("betas,eps", [((0.9, 0.999), 1e-8), ((0.5, 0.9), 1e-3)])
def test_adam_matches_torch(torch, betas, eps):
    trajectories(
        torch,
        lambda p: optim.Adam(p, lr=0.05, betas=betas, eps=eps),
        lambda p: torch.optim.Adam(p, lr=0.05, betas=betas, eps=eps),
    )


def test_bad_arguments():
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="float"):
        optim.SGD([1.0], lr=0.1)
    with pytest.raises(ValueError, match="lr"):
        optim.SGD([Value(1.0)], lr=-1)
    with pytest.raises(TypeError, match="str"):
        optim.Adam([Value(1.0)], lr="fast")
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([Value(1.0)], betas=(0.9, 1.5))
