"""Stochastic gradient descent, with PyTorch's momentum (heavy ball or Nesterov) and L2 weight
decay."""

from __future__ import annotations

from typing import Any, Dict, Iterable

from .optimizer import Optimizer, check_flag, check_number


class SGD(Optimizer):
    """Stochastic gradient descent, as ``torch.optim.SGD``:

        g <- grad + weight_decay * p                 (L2: the gradient of weight_decay/2 * p**2)
        v <- momentum * v + (1 - dampening) * g       (v starts as the first g)
        g <- g + momentum * v   if nesterov, else  g <- v
        p <- p - lr * g

    With momentum 0 this is plain ``p <- p - lr * grad``. Nesterov's variant looks one
    momentum step ahead: it adds the new velocity once more to the current gradient.

    >>> from tinygrad_edu import Value
    >>> w = Value(1.0); opt = SGD([w], lr=0.1)
    >>> (w * w).backward(); opt.step(); round(w.data, 6)
    0.8
    """

    state_names = ("momentum_buffer",)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov
        )
        super().__init__(params, defaults)

    def _check_group(self, group: Dict[str, Any]) -> None:
        for name in ("lr", "momentum", "dampening", "weight_decay"):
            group[name] = check_number(name, group[name])
        group["nesterov"] = check_flag("nesterov", group["nesterov"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("nesterov=True needs a momentum > 0 and dampening 0")

    def step(self) -> None:
        """Move every parameter that has a gradient one step against it."""
        for i, p, group in self._each_param():
            g: Any = p.grad
            if group["weight_decay"]:
                g = g + group["weight_decay"] * p.data
            momentum = group["momentum"]
            if momentum:
                state = self.state.setdefault(i, {})
                v = state.get("momentum_buffer")
                # new objects each time: the gradient itself is never changed
                v = g + 0.0 if v is None else momentum * v + (1.0 - group["dampening"]) * g
                state["momentum_buffer"] = v
                g = g + momentum * v if group["nesterov"] else v
            p.data -= group["lr"] * g  # in place for a Tensor's array, a new float for a Value
