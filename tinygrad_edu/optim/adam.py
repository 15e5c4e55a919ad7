"""Adam and AdamW: per-parameter step sizes from running averages of the gradient and its square.

Weight decay pulls every weight toward 0 a little at each step. ``Adam`` does it as PyTorch
does, as L2 regularisation: ``weight_decay * p`` is added to the gradient, and then rescaled like
the rest of it, so weights with large gradients are hardly decayed. ``AdamW`` (Loshchilov and
Hutter) decouples the two: it shrinks ``p`` by ``lr * weight_decay * p`` and then takes a plain
Adam step.
"""

from __future__ import annotations

import math
from typing import Any, Dict, Iterable, Tuple

from .optimizer import Optimizer, check_number, zeros_like


def _check_betas(betas: Any) -> Tuple[float, float]:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
    for i, b in enumerate(betas):
        if not check_number(f"betas[{i}]", b) < 1.0:
            raise ValueError(f"betas[{i}] must be in [0, 1), got {b}")
    return float(betas[0]), float(betas[1])


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``; t counts this parameter's steps:

        g <- grad + weight_decay * p           (L2, as PyTorch's Adam)
        m <- b1 * m + (1 - b1) * g             v <- b2 * v + (1 - b2) * g**2
        p <- p - lr * (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps)

    >>> from tinygrad_edu import Value
    >>> w = Value(1.0); opt = Adam([w], lr=0.1)
    >>> (w * w).backward(); opt.step(); round(w.data, 6)  # the first step moves by about lr
    0.9
    """

    decoupled = False  # AdamW sets it: weight decay shrinks p directly instead of joining g
    state_names = ("exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: Tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _check_group(self, group: Dict[str, Any]) -> None:
        for name in ("lr", "eps", "weight_decay"):
            group[name] = check_number(name, group[name])
        group["betas"] = _check_betas(group["betas"])

    def step(self) -> None:
        """One Adam update of every parameter that has a gradient."""
        for i, p, group in self._each_param():
            lr, weight_decay, (b1, b2) = group["lr"], group["weight_decay"], group["betas"]
            state = self.state.setdefault(i, {})
            if not state:
                state.update(step=0, exp_avg=zeros_like(p), exp_avg_sq=zeros_like(p))
            state["step"] += 1
            t = state["step"]
            g: Any = p.grad
            if self.decoupled:
                p.data *= 1.0 - lr * weight_decay  # AdamW: shrink p itself, apart from the gradient
            elif weight_decay:
                g = g + weight_decay * p.data  # Adam: L2, added to the gradient
            m = state["exp_avg"] = b1 * state["exp_avg"] + (1.0 - b1) * g
            v = state["exp_avg_sq"] = b2 * state["exp_avg_sq"] + (1.0 - b2) * (g * g)
            # early averages are biased toward 0: divide it out (1 - b**t -> 1 as t grows)
            step_size = lr / (1.0 - b1**t)
            p.data -= step_size * m / ((v**0.5) / math.sqrt(1.0 - b2**t) + group["eps"])


class AdamW(Adam):
    """Adam with decoupled weight decay (PyTorch's ``AdamW``, Loshchilov and Hutter 2019).

        p <- p - lr * weight_decay * p         (first, apart from the gradient)
        then the Adam step above on the plain gradient

    >>> from tinygrad_edu import Value
    >>> w = Value(1.0); opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * w).backward(); opt.step(); round(w.data, 6)  # 1 * (1 - 0.1 * 0.5), then about -lr
    0.85
    """

    decoupled = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: Tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
