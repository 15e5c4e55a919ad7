"""optim.SGD and optim.Adam on Values follow torch.optim's trajectories to 1e-9."""

import pytest
from optim_helpers import START, assert_values_follow

from tinygrad_edu import Value, optim


def trajectories(torch, make_ours, make_torch, steps=25):
    ours = [Value(x) for x in START]
    theirs = [torch.tensor(x, requires_grad=True) for x in START]
    assert_values_follow(make_ours(ours), make_torch(theirs), ours, theirs, steps)


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
