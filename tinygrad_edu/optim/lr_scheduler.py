"""Learning-rate schedules: change each parameter group's ``'lr'`` as training goes on, as
``torch.optim.lr_scheduler`` does. Call ``scheduler.step()`` once per epoch (or per step, as
you count), after ``optimizer.step()``.

>>> from tinygrad_edu import Tensor, optim
>>> opt = optim.SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
>>> sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
>>> lrs = []
>>> for epoch in range(5):
...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
>>> lrs
[1.0, 1.0, 0.5, 0.5, 0.25]
"""

from __future__ import annotations

import math
import numbers
from typing import Any, List

from .optimizer import Optimizer, check_number


def _check_count(name: str, n: Any, low: int) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(n).__name__}")
    if n < low:
        raise ValueError(f"{name} must be at least {low}, got {n}")
    return int(n)


class LRScheduler:
    """What every schedule shares: ``base_lrs`` (each group's learning rate when the schedule
    was made, kept as ``'initial_lr'`` in the group), ``last_epoch`` (how many times ``step()``
    was called), ``step()`` and ``get_last_lr()``."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"a schedule takes an optimiser (optim.SGD, ...), got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs: List[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def get_lr(self) -> List[float]:
        """Each group's learning rate for epoch ``last_epoch``."""
        raise NotImplementedError  # pragma: no cover - every schedule defines it

    def step(self) -> None:
        """Count one epoch and write the schedule's learning rate into every group."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> List[float]:
        """The learning rates the last ``step()`` set (at first: the optimiser's own)."""
        return list(self._last_lr)


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs:
    lr = base_lr * gamma ** (epoch // step_size).

    As in PyTorch the factor is applied to the group's current ``'lr'`` (so a learning rate
    you change by hand is decayed from there on).
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _check_count("step_size", step_size, 1)
        self.gamma = check_number("gamma", gamma)
        super().__init__(optimizer)

    def get_lr(self) -> List[float]:
        lrs = [group["lr"] for group in self.optimizer.param_groups]
        if self.last_epoch % self.step_size:
            return lrs  # not a multiple of step_size: unchanged
        return [lr * self.gamma for lr in lrs]


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from the base learning rate down to ``eta_min`` over ``T_max`` epochs:

        lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2

    (after ``T_max`` epochs it climbs back up along the same cosine, as PyTorch's does).
    PyTorch computes these numbers with an equivalent recursive formula; this is its closed form.

    >>> from tinygrad_edu import Tensor, optim
    >>> opt = optim.SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    >>> for _ in range(4):
    ...     opt.step(); sched.step()
    >>> [round(lr, 4) for lr in (sched.get_last_lr()[0], opt.param_groups[0]["lr"])]
    [0.0, 0.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = _check_count("T_max", T_max, 1)
        self.eta_min = check_number("eta_min", eta_min)
        super().__init__(optimizer)

    def get_lr(self) -> List[float]:
        share = (1.0 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2.0  # 1 -> 0 over T_max
        return [self.eta_min + (base - self.eta_min) * share for base in self.base_lrs]
