"""RMSprop (Hinton's lecture 6e): divide the gradient by a running root mean square of it."""

from __future__ import annotations

from typing import Any, Dict, Iterable

from .optimizer import Optimizer, check_flag, check_number, zeros_like


class RMSprop(Optimizer):
    """RMSprop with PyTorch's defaults and formula (``torch.optim.RMSprop``):

        g <- grad + weight_decay * p
        s <- alpha * s + (1 - alpha) * g**2               (s starts at 0)
        d <- sqrt(s) + eps, or, centered, sqrt(s - a**2) + eps with a <- alpha * a + (1 - alpha) * g
        b <- momentum * b + g / d,  p <- p - lr * b        (momentum > 0)
        p <- p - lr * g / d                                (momentum 0)

    Each weight's step is scaled by the size of its own recent gradients; ``centered``
    divides by their (estimated) standard deviation instead of their root mean square.

    >>> from tinygrad_edu import Value
    >>> w = Value(1.0); opt = RMSprop([w], lr=0.01)
    >>> (w * w).backward(); opt.step(); round(w.data, 4)   # 1 - 0.01 * 2 / sqrt(0.01 * 4)
    0.9
    """

    state_names = ("square_avg", "momentum_buffer", "grad_avg")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered
        )
        super().__init__(params, defaults)

    def _check_group(self, group: Dict[str, Any]) -> None:
        for name in ("lr", "alpha", "eps", "weight_decay", "momentum"):
            group[name] = check_number(name, group[name])
        if group["alpha"] > 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {group['alpha']}")
        group["centered"] = check_flag("centered", group["centered"])

    def step(self) -> None:
        """One RMSprop update of every parameter that has a gradient."""
        for i, p, group in self._each_param():
            alpha, momentum = group["alpha"], group["momentum"]
            state = self.state.setdefault(i, {})
            if not state:
                state.update(step=0, square_avg=zeros_like(p))
                if momentum:
                    state["momentum_buffer"] = zeros_like(p)
                if group["centered"]:
                    state["grad_avg"] = zeros_like(p)
            state["step"] += 1
            g: Any = p.grad
            if group["weight_decay"]:
                g = g + group["weight_decay"] * p.data
            s = state["square_avg"] = alpha * state["square_avg"] + (1.0 - alpha) * (g * g)
            if group["centered"]:  # the variance: mean of squares minus the square of the mean
                a = state["grad_avg"] = alpha * state.get("grad_avg", 0.0) + (1.0 - alpha) * g
                d = (s - a * a) ** 0.5 + group["eps"]
            else:
                d = s**0.5 + group["eps"]
            if momentum:
                b = state["momentum_buffer"] = momentum * state.get("momentum_buffer", 0.0) + g / d
                p.data -= group["lr"] * b
            else:
                p.data -= group["lr"] * g / d
