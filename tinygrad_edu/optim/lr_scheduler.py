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

To stop and resume training, save ``sched.state_dict()`` beside the optimiser's and the
model's, and ``load_state_dict`` each into the new ones: the schedule carries on where it was.
"""

from __future__ import annotations

import copy
import math
import numbers
from typing import Any, Dict, List, Mapping

from .optimizer import Optimizer, check_number


def _check_count(name: str, n: Any, low: int) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(n).__name__}")
    if n < low:
        raise ValueError(f"{name} must be at least {low}, got {n}")
    return int(n)


# what torch's schedulers keep besides what ours do (its own bookkeeping); loading ignores them
_TORCH_ONLY = frozenset({"_step_count", "_is_initial", "_get_lr_called_within_step", "verbose"})


class LRScheduler:
    """What every schedule shares: ``base_lrs`` (each group's learning rate when the schedule
    was made, kept as ``'initial_lr'`` in the group), ``last_epoch`` (how many times ``step()``
    was called), ``step()``, ``get_last_lr()``, ``state_dict()`` and ``load_state_dict()``.

    A schedule keeps its constructor's arguments as attributes of the same names
    (``step_size``, ``gamma``, ...): ``state_dict`` saves them and ``load_state_dict`` checks
    them with the constructor's own checks.
    """

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

    def state_dict(self) -> Dict[str, Any]:
        """A copy of everything but the optimiser, under PyTorch's names: the schedule's
        settings, ``base_lrs``, ``last_epoch`` and ``_last_lr``. PyTorch's scheduler of the same
        kind loads it, and ``load_state_dict`` loads PyTorch's.

        >>> from tinygrad_edu import Tensor, optim
        >>> opt = optim.SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
        >>> sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        >>> sched.step(); sched.step(); sched.state_dict()
        {'step_size': 2, 'gamma': 0.5, 'base_lrs': [1.0], 'last_epoch': 2, '_last_lr': [0.5]}
        """
        return {name: copy.deepcopy(value) for name, value in vars(self).items() if name != "optimizer"}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Continue from ``state_dict()`` of a schedule of the same kind, on an optimiser with as
        many parameter groups; the next ``step()`` sets the learning rates the saved schedule's
        would have. (The optimiser's current ``'lr'`` comes from its own ``load_state_dict``.)

        Everything is checked before anything is changed: a missing or unknown entry, or a
        list with the wrong number of learning rates, is a ValueError naming it; a bad setting
        fails the constructor's checks. PyTorch's own bookkeeping entries (``_step_count``,
        ...) are accepted and ignored.
        """
        who = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"{who} takes the dict that state_dict() returns, got {type(state_dict).__name__}"
            )
        expected, given = set(vars(self)) - {"optimizer"}, set(state_dict) - _TORCH_ONLY
        if given != expected:
            missing, unexpected = sorted(expected - given), sorted(given - expected)
            raise ValueError(f"{who}: missing entries {missing}, unexpected entries {unexpected}")
        groups = len(self.optimizer.param_groups)
        lists = {}
        for name in ("base_lrs", "_last_lr"):
            lrs = state_dict[name]
            if not isinstance(lrs, (list, tuple)) or len(lrs) != groups:
                raise ValueError(
                    f"{who}: {name!r} must hold {groups} learning rates (one per group), got {lrs!r}"
                )
            lists[name] = [check_number(f"{who}: {name}", lr) for lr in lrs]
        last_epoch = _check_count(f"{who}: last_epoch", state_dict["last_epoch"], 0)
        settings = {name: state_dict[name] for name in expected - {"base_lrs", "_last_lr", "last_epoch"}}
        # the constructor checks the settings (and changes nothing: 'initial_lr' is already set)
        checked = vars(type(self)(self.optimizer, **settings))
        vars(self).update({name: checked[name] for name in settings}, last_epoch=last_epoch, **lists)


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
