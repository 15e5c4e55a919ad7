"""Optimisers: turn gradients into parameter updates, for Values and Tensors alike.

``SGD``, ``Adam`` and ``AdamW`` follow PyTorch's formulas exactly, so their trajectories match
``torch.optim``. A parameter whose ``grad`` is None (a Tensor that backward() did not reach) is
skipped.

Weight decay pulls every weight toward 0 a little at each step. ``SGD`` and ``Adam`` do it as
PyTorch does, as L2 regularisation: ``weight_decay * p`` is added to the gradient (the gradient
of ``weight_decay / 2 * p**2``). In Adam that term is then rescaled like the rest of the
gradient, so weights with large gradients are hardly decayed; ``AdamW`` (Loshchilov and Hutter)
decouples the two: it shrinks ``p`` by ``lr * weight_decay * p`` and then takes a plain Adam step.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, List, Tuple

from .value import Value


def _check_params(params: Iterable[Any]) -> List[Any]:
    params = list(params)
    if not params:
        raise ValueError("the optimiser got an empty parameter list")
    for i, p in enumerate(params):
        if isinstance(p, Value):
            continue
        if not hasattr(p, "requires_grad"):
            raise TypeError(f"parameter {i} must be a Value or a Tensor, got {type(p).__name__}")
        if not p.requires_grad:
            raise ValueError(f"parameter {i} is a Tensor with requires_grad=False: it never gets a gradient")
    return params


def _check_number(name: str, x: Any, low: float = 0.0) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(x).__name__}")
    if not x >= low:
        raise ValueError(f"{name} must be >= {low}, got {x}")
    return float(x)


def _check_betas(betas: Any) -> Tuple[float, float]:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
    for i, b in enumerate(betas):
        if not _check_number(f"betas[{i}]", b) < 1.0:
            raise ValueError(f"betas[{i}] must be in [0, 1), got {b}")
    return float(betas[0]), float(betas[1])


class Optimizer:
    """Holds the parameters; ``zero_grad()`` resets their gradients before the next backward()."""

    def __init__(self, params: Iterable[Any]) -> None:
        self.params = _check_params(params)

    def zero_grad(self) -> None:
        """Gradients back to 0.0 (Values) or None (Tensors, as PyTorch does by default)."""
        for p in self.params:
            p.grad = 0.0 if isinstance(p, Value) else None


class SGD(Optimizer):
    """Stochastic gradient descent with PyTorch's heavy-ball momentum and L2 weight decay.

        g <- grad + weight_decay * p
        v <- momentum * v + g           (v starts as the first g)
        p <- p - lr * v

    With momentum 0 this is plain ``p <- p - lr * grad``.

    >>> from tinygrad_edu import Value
    >>> w = Value(1.0); opt = SGD([w], lr=0.1)
    >>> (w * w).backward(); opt.step(); round(w.data, 6)
    0.8
    """

    def __init__(
        self, params: Iterable[Any], lr: float, momentum: float = 0.0, weight_decay: float = 0.0
    ) -> None:
        super().__init__(params)
        self.lr = _check_number("lr", lr)
        self.momentum = _check_number("momentum", momentum)
        self.weight_decay = _check_number("weight_decay", weight_decay)
        self.velocity: List[Any] = [None] * len(self.params)

    def step(self) -> None:
        """Move every parameter one step against its gradient."""
        lr, momentum, weight_decay = self.lr, self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            if weight_decay:
                g = g + weight_decay * p.data  # L2: the gradient of weight_decay / 2 * p**2
            if momentum:
                v = self.velocity[i]
                v = g if v is None else momentum * v + g  # new objects: g itself is never changed
                self.velocity[i] = v
                g = v
            p.data -= lr * g  # in place for a Tensor's array, a new float for a Value


class Adam(Optimizer):
    """Adam: per-parameter step sizes from running averages of the gradient and its square.

        g <- grad + weight_decay * p           (L2, as PyTorch's Adam)
        m <- b1 * m + (1 - b1) * g             v <- b2 * v + (1 - b2) * g**2
        p <- p - lr * (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps)

    >>> from tinygrad_edu import Value
    >>> w = Value(1.0); opt = Adam([w], lr=0.1)
    >>> (w * w).backward(); opt.step(); round(w.data, 6)  # the first step moves by about lr
    0.9
    """

    decoupled = False  # AdamW sets it: weight decay shrinks p directly instead of joining g

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: Tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params)
        self.lr = _check_number("lr", lr)
        self.betas = _check_betas(betas)
        self.eps = _check_number("eps", eps)
        self.weight_decay = _check_number("weight_decay", weight_decay)
        self.t = 0
        self.m: List[Any] = [0.0] * len(self.params)
        self.v: List[Any] = [0.0] * len(self.params)

    def step(self) -> None:
        """One Adam update of every parameter that has a gradient."""
        self.t += 1
        lr, weight_decay = self.lr, self.weight_decay
        b1, b2 = self.betas
        bias1 = 1.0 - b1**self.t  # early averages are biased toward 0: divide it out
        bias2 = 1.0 - b2**self.t
        step_size = lr / bias1
        sqrt_bias2 = math.sqrt(bias2)
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            if self.decoupled:
                p.data *= 1.0 - lr * weight_decay  # AdamW: shrink p itself, apart from the gradient
            elif weight_decay:
                g = g + weight_decay * p.data  # Adam: L2, added to the gradient
            m = self.m[i] = b1 * self.m[i] + (1.0 - b1) * g
            v = self.v[i] = b2 * self.v[i] + (1.0 - b2) * (g * g)
            p.data -= step_size * m / ((v**0.5) / sqrt_bias2 + self.eps)


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
