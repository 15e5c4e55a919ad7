"""The ``Optimizer`` base class: parameter groups, per-parameter state, ``zero_grad``, and
``state_dict`` / ``load_state_dict``, as in ``torch.optim``. Each concrete optimiser (sgd.py,
adam.py, rmsprop.py) only adds its update rule.

``optimizer.param_groups`` is a list of dicts. Each holds ``'params'`` (a list of parameters)
and the hyper-parameters used for them (``'lr'``, ``'momentum'`` ...); a value written there
is used by the next ``step()``, which is how a learning-rate schedule works. ``optimizer.state``
maps a parameter's position (0, 1, ... over all groups) to what the rule keeps for it between
steps (a momentum buffer, Adam's running averages).
"""

from __future__ import annotations

import copy
import numbers
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Tuple, Union

import numpy as np

from ..tensor import Tensor
from ..value import Value

Param = Union[Value, Tensor]


def check_number(name: str, x: Any, low: float = 0.0) -> float:
    """``x`` as a float: any real number (a Python or numpy int or float), at least ``low``."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(x).__name__}")
    value = float(x)
    if not value >= low:  # also refuses nan
        raise ValueError(f"{name} must be >= {low}, got {x}")
    return value


def check_flag(name: str, x: Any) -> bool:
    if not isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(x).__name__}")
    return bool(x)


def _check_param(where: str, p: Any) -> Param:
    if isinstance(p, Value):
        return p
    if not isinstance(p, Tensor):
        raise TypeError(f"{where} must be a Value or a Tensor, got {type(p).__name__}")
    if not p.requires_grad:
        raise ValueError(f"{where} is a Tensor with requires_grad=False: it never gets a gradient")
    return p


def zeros_like(p: Param) -> Any:
    """A zero of the parameter's kind: 0.0 for a Value, a zero array for a Tensor."""
    return 0.0 if isinstance(p, Value) else np.zeros_like(p.data)


class Optimizer:
    """Holds the parameters in groups; subclasses define ``step()``.

    ``params`` is an iterable of parameters (``model.parameters()``), or of dicts, one per
    group, each with ``'params'`` and any hyper-parameters that differ from the defaults:
    ``SGD([{'params': a}, {'params': b, 'lr': 0.01}], lr=0.1)``. A parameter may appear only
    once: listed twice it would be updated twice per step, so that is a ``ValueError``.
    Hyper-parameters are any real numbers (numpy scalars too); they are stored as floats.
    """

    def __init__(self, params: Iterable[Any], defaults: Dict[str, Any]) -> None:
        if isinstance(params, (Tensor, Value)):
            raise TypeError(
                f"the optimiser takes a list of parameters, got one {type(params).__name__}: "
                "pass [p] or model.parameters()"
            )
        self.defaults = defaults
        self.param_groups: List[Dict[str, Any]] = []
        self.state: Dict[int, Dict[str, Any]] = {}  # parameter position -> what its rule keeps
        groups = list(params)
        if not groups:
            raise ValueError("the optimiser got an empty parameter list")
        if not isinstance(groups[0], Mapping):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: Mapping[str, Any]) -> None:
        """Add a group of parameters (a dict with ``'params'``); missing hyper-parameters are
        the optimiser's defaults."""
        if not isinstance(group, Mapping) or "params" not in group:
            raise TypeError("a parameter group is a dict with a 'params' list, got " + type(group).__name__)
        unknown = sorted(set(group) - set(self.defaults) - {"params", "initial_lr"})
        if unknown:
            raise ValueError(f"{type(self).__name__} has no hyper-parameter {unknown[0]!r}")
        params = group["params"]
        params = [params] if isinstance(params, (Tensor, Value)) else list(params)
        if not params:
            raise ValueError("a parameter group has an empty parameter list")
        start = sum(len(g["params"]) for g in self.param_groups)
        seen = {id(p): i for i, p in enumerate(self._all_params())}
        for j, p in enumerate(params):
            _check_param(f"parameter {start + j}", p)
            if id(p) in seen:
                raise ValueError(
                    f"parameter {start + j} is parameter {seen[id(p)]} again: each parameter may be "
                    "given once (twice, it would be updated twice per step)"
                )
            seen[id(p)] = start + j
        new = {**self.defaults, **{k: v for k, v in group.items() if k != "params"}, "params": params}
        self._check_group(new)
        self.param_groups.append(new)

    def _check_group(self, group: Dict[str, Any]) -> None:
        """Check a group's hyper-parameters and store them as plain floats (in place)."""
        raise NotImplementedError  # pragma: no cover - every optimiser defines it

    def _all_params(self) -> List[Param]:
        return [p for group in self.param_groups for p in group["params"]]

    def _each_param(self) -> Iterator[Tuple[int, Param, Dict[str, Any]]]:
        """(position, parameter, its group) for every parameter that has a gradient; each
        group's hyper-parameters are checked first (a value written there must be a number)."""
        i = 0
        for group in self.param_groups:
            self._check_group(group)
            for p in group["params"]:
                if p.grad is not None:  # a Tensor that backward() did not reach is skipped
                    yield i, p, group
                i += 1

    @property
    def params(self) -> List[Param]:
        """Every parameter, group after group."""
        return self._all_params()

    @property
    def lr(self) -> float:
        """The first group's learning rate. Setting it sets every group's (older code, and a
        hand-written schedule, write ``optimizer.lr = ...``)."""
        return float(self.param_groups[0]["lr"])

    @lr.setter
    def lr(self, value: float) -> None:
        value = check_number("lr", value)
        for group in self.param_groups:
            group["lr"] = value

    def __getattr__(self, name: str) -> Any:
        # optimizer.momentum, optimizer.betas ...: the first group's value, for reading
        if name != "defaults" and name in vars(self).get("defaults", {}):
            return self.param_groups[0][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset gradients before the next backward(): a Tensor's grad becomes None (as in
        PyTorch), or zeros with ``set_to_none=False``; a Value's grad becomes 0.0.

        >>> from tinygrad_edu import Tensor
        >>> from tinygrad_edu.optim import SGD
        >>> w = Tensor([1.0, 2.0], requires_grad=True); opt = SGD([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.zero_grad(set_to_none=False); w.grad.tolist()
        [0.0, 0.0]
        """
        set_to_none = check_flag("set_to_none", set_to_none)
        for p in self._all_params():
            if isinstance(p, Value):
                p.grad = 0.0
            elif set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = np.zeros_like(p.grad)

    # ***** saving and resuming *****

    def state_dict(self) -> Dict[str, Any]:
        """A copy of everything needed to continue: ``{'state': {position: {name: value}},
        'param_groups': [{hyper-parameters..., 'params': [positions]}]}``, PyTorch's layout.
        Parameters are named by position; their values are not included (save the model).

        >>> from tinygrad_edu import Tensor
        >>> from tinygrad_edu.optim import SGD
        >>> opt = SGD([Tensor([1.0], requires_grad=True)], lr=0.1, momentum=0.9)
        >>> opt.state_dict()["param_groups"][0]["params"], opt.state_dict()["state"]
        ([0], {})
        """
        groups, start = [], 0
        for group in self.param_groups:
            n = len(group["params"])
            hyper = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            groups.append({**hyper, "params": list(range(start, start + n))})
            start += n
        state = {i: {k: copy.deepcopy(v) for k, v in s.items()} for i, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Continue from ``state_dict()`` of an optimiser of the same kind built on parameters of
        the same shapes: the next steps are the ones the saved optimiser would have taken.

        Everything is checked before anything is changed; a mismatch is a ValueError that says
        what differs (a wrong type: TypeError).
        """
        who = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"{who} takes the dict that state_dict() returns, got {type(state_dict).__name__}"
            )
        if set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{who}: expected the keys 'state' and 'param_groups', got {sorted(state_dict)}")
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved_groups, (list, tuple)) or not isinstance(saved_state, Mapping):
            raise TypeError(f"{who}: 'param_groups' must be a list and 'state' a dict")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{who}: the saved optimiser has {len(saved_groups)} parameter groups, this one "
                f"{len(self.param_groups)}"
            )
        new_groups = []
        for k, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            if not isinstance(saved, Mapping) or not isinstance(saved.get("params"), (list, tuple)):
                raise TypeError(f"{who}: param_groups[{k}] must be a dict with a 'params' list")
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{who}: param_groups[{k}] holds {len(saved['params'])} parameters in the saved "
                    f"optimiser and {len(group['params'])} in this one"
                )
            names = set(saved) - {"params", "initial_lr"}
            if names != set(self.defaults):
                raise ValueError(
                    f"{who}: param_groups[{k}] has hyper-parameters {sorted(names)}, but a "
                    f"{type(self).__name__} has {sorted(self.defaults)}: is it another optimiser's?"
                )
            new = {**{n: v for n, v in saved.items() if n != "params"}, "params": group["params"]}
            self._check_group(new)
            new_groups.append(new)
        params = self._all_params()
        new_state = {}
        for i, entry in saved_state.items():
            if isinstance(i, bool) or not isinstance(i, numbers.Integral) or not 0 <= int(i) < len(params):
                raise ValueError(f"{who}: state key {i!r} is not a parameter position 0..{len(params) - 1}")
            if not isinstance(entry, Mapping):
                raise TypeError(f"{who}: state[{i}] must be a dict, got {type(entry).__name__}")
            new_state[int(i)] = {
                name: self._load_entry(who, int(i), name, v, params[i]) for name, v in entry.items()
            }
        self.param_groups[:] = new_groups
        self.state = new_state

    state_names: Tuple[str, ...] = ()  # what the rule keeps per parameter (besides 'step')

    def _load_entry(self, who: str, i: int, name: str, value: Any, p: Param) -> Any:
        if name == "step":
            return int(check_number(f"{who}: state[{i}]['step']", value))
        if name not in self.state_names:
            raise ValueError(
                f"{who}: state[{i}] has {name!r}; a {type(self).__name__} keeps {list(self.state_names)}"
            )
        array = (
            np.array(value, dtype=np.asarray(p.data).dtype)
            if isinstance(value, (np.ndarray, numbers.Real))
            else None
        )
        if array is None or array.shape != np.shape(p.data):
            got = type(value).__name__ if array is None else f"shape {array.shape}"
            raise ValueError(
                f"{who}: state[{i}][{name!r}] is {got}; parameter {i} has shape {np.shape(p.data)}"
            )
        return float(array) if isinstance(p, Value) else array
