"""Issue 21's "first hour" workloads, written with PyTorch's names so that only the import
would change: each runs here and in torch float64 from the same start and must agree at every
step (the loss, and every parameter after the update).

Inputs are built with numpy (x**k as products) so the tests need nothing beyond nn and optim.
"""

import numpy as np
import pytest

from tinygrad_edu import Tensor, nn, no_grad, optim

STEPS = 60


def _curve(n=150):
    x = np.linspace(-2.0, 2.0, n)
    return x, np.cos(x) + 0.3 * x  # a smooth curve for a cubic to approach


def _features(x):
    return np.stack([x, x * x, x * x * x], axis=1)  # (n, 3): x, x**2, x**3


def _copy_into_torch(torch, ours, theirs):
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
            q.copy_(torch.from_numpy(np.array(p.data)))


def _assert_same(ours, theirs, loss, t_loss):
    assert loss.item() == pytest.approx(t_loss.item(), rel=1e-9, abs=1e-12)
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_nn_with_sum_reduced_mse_and_a_hand_written_update(torch):
    x, y = _curve()
    xx = _features(x)

    def build(lib):
        return lib.Sequential(lib.Linear(3, 1), lib.Flatten(0, 1))  # (n, 3) -> (n, 1) -> (n,)

    model, t_model = build(nn), build(torch.nn)
    _copy_into_torch(torch, model, t_model)
    loss_fn, t_loss_fn = nn.MSELoss(reduction="sum"), torch.nn.MSELoss(reduction="sum")
    inputs, target = Tensor(xx), Tensor(y)
    t_inputs, t_target = torch.from_numpy(xx), torch.from_numpy(y)
    lr = 2e-4
    first = None
    for _ in range(STEPS):
        loss = loss_fn(model(inputs), target)
        model.zero_grad()
        loss.backward()
        with no_grad():
            for p in model.parameters():
                p.data -= lr * p.grad
        t_loss = t_loss_fn(t_model(t_inputs), t_target)
        t_model.zero_grad()
        t_loss.backward()
        with torch.no_grad():
            for q in t_model.parameters():
                q -= lr * q.grad
        _assert_same(model, t_model, loss, t_loss)
        first = first or loss.item()
    assert loss.item() < 0.5 * first  # it learned


@pytest.mark.parametrize(
    "make",
    [lambda lib, ps: lib.RMSprop(ps, lr=1e-2), lambda lib, ps: lib.Adam(ps, lr=1e-2)],
    ids=["rmsprop", "adam"],
)
def test_nn_with_an_optimiser(torch, make):
    x, y = _curve()
    xx = _features(x)

    def build(lib):
        return lib.Sequential(lib.Linear(3, 1), lib.Flatten(0, 1))

    model, t_model = build(nn), build(torch.nn)
    _copy_into_torch(torch, model, t_model)
    loss_fn, t_loss_fn = nn.MSELoss(reduction="sum"), torch.nn.MSELoss(reduction="sum")
    opt, t_opt = make(optim, model.parameters()), make(torch.optim, t_model.parameters())
    for _ in range(STEPS):
        loss = loss_fn(model(Tensor(xx)), Tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        t_loss = t_loss_fn(t_model(torch.from_numpy(xx)), torch.from_numpy(y))
        t_opt.zero_grad()
        t_loss.backward()
        t_opt.step()
        _assert_same(model, t_model, loss, t_loss)


@pytest.mark.parametrize("schedule", ["step", "cosine"])
def test_custom_module_with_parameters_nesterov_and_a_schedule(torch, schedule):
    x, y = _curve()
    start = np.random.default_rng(7).standard_normal(4)

    def build(lib, make_param):
        class Cubic(lib.Module):
            """y = a + b x + c x**2 + d x**3 with four scalar parameters."""

            def __init__(self):
                super().__init__()
                self.a, self.b, self.c, self.d = (make_param(v) for v in start)

            def forward(self, x):
                return self.a + self.b * x + self.c * x * x + self.d * x * x * x

        return Cubic()

    model = build(nn, lambda v: nn.Parameter(np.array(v)))
    t_model = build(torch.nn, lambda v: torch.nn.Parameter(torch.tensor(v)))
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in t_model.named_parameters()]

    def make(lib, m):
        opt = lib.optim.SGD(m.parameters(), lr=1e-4, momentum=0.9, nesterov=True)
        if schedule == "step":
            return opt, lib.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
        return opt, lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=STEPS)

    import tinygrad_edu

    (opt, sched), (t_opt, t_sched) = make(tinygrad_edu, model), make(torch, t_model)
    for _ in range(STEPS):
        loss = ((model(Tensor(x)) - Tensor(y)) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        t_loss = (t_model(torch.from_numpy(x)) - torch.from_numpy(y)).pow(2).sum()
        t_opt.zero_grad()
        t_loss.backward()
        t_opt.step()
        t_sched.step()
        _assert_same(model, t_model, loss, t_loss)
        assert sched.get_last_lr() == pytest.approx(t_sched.get_last_lr(), rel=1e-12)
