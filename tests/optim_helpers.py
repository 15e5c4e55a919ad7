"""Shared helpers for the optimiser tests: one bumpy objective, one training loop, and the
comparison with torch.optim after every step.

Every optimiser is run side by side with its torch.optim twin from the same start, on Values
(``START`` and ``loss_of``) and on Tensors (``tensor_problem``); the parameters must agree after
every step, to 1e-9 relative.
"""

import numpy as np
import pytest

from tinygrad_edu import Tensor, nn

START = [0.8, -1.3, 2.1]  # where the scalar trajectories start


def loss_of(p):
    """A bumpy, coupled objective so that every step is different, written once for Values and
    torch scalars alike."""
    a, b, c = p
    return (a * b - 1) ** 2 + (b + c).tanh() ** 2 + (c * 0.5).exp() + a**4 * 0.1


def tensor_problem(torch, seed=3):
    """A small classifier, ours and torch's with the same weights (float64), and each one's loss
    function: (ours, theirs, our_loss, their_loss)."""
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((16, 3)), rng.integers(3, size=16)
    ours = nn.Sequential(nn.Linear(3, 8, rng=rng), nn.Tanh(), nn.Linear(8, 3, rng=rng))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
            q.copy_(torch.from_numpy(p.data))

    def our_loss():
        return nn.cross_entropy(ours(Tensor(X)), y)

    def their_loss():
        return torch.nn.functional.cross_entropy(theirs(torch.from_numpy(X)), torch.from_numpy(y))

    return ours, theirs, our_loss, their_loss


def run(opt, loss_fn, steps, scheduler=None):
    """``steps`` training steps: zero_grad, backward of ``loss_fn()``, step (then the schedule's)."""
    for _ in range(steps):
        opt.zero_grad()
        loss_fn().backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()


def assert_same(ours, theirs):
    """Our parameters equal torch's to 1e-9 relative (1e-12 absolute)."""
    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(np.asarray(p.data), q.detach().numpy(), rtol=1e-9, atol=1e-12)


def assert_values_follow(opt, t_opt, ours, theirs, steps):
    """Step both optimisers on ``loss_of``; after every step each of our Values equals its torch
    twin to 1e-9 relative (1e-12 absolute)."""
    for _ in range(steps):
        run(opt, lambda: loss_of(ours), 1)
        run(t_opt, lambda: loss_of(theirs), 1)
        for p, t in zip(ours, theirs, strict=True):
            assert p.data == pytest.approx(t.item(), rel=1e-9, abs=1e-12)
