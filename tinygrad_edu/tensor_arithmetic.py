"""Tensor arithmetic: ``+ - * / **`` with numpy broadcasting, and ``@``, each with its backward rule.

Each operator is a plain function of the tensor ``self``, which ``Tensor`` (tensor.py) binds
as a method (``a + b`` calls ``add(a, b)``); right under it sits its chain-rule step
``add_backward(out, g)``, which gets g = dL/d(out) and adds dL/d(input) into each input.
Numbers and numpy arrays are welcome on either side (``2 * t``, ``t - 1``, ``x_batch @ W``);
they become constant leaves.

Broadcasting lets a (3,) bias be added to a (4, 3) batch: numpy repeats the bias for every
row. The chain rule then has to undo that repetition, which is what ``unbroadcast`` does: a
value used in 4 places gets the sum of the 4 gradients. Every binary rule below calls it.

>>> from tinygrad_edu import Tensor
>>> x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
>>> b = Tensor([0.5, 0.5, 0.5], requires_grad=True)
>>> (x * 2 + b).sum().backward()
>>> b.grad.tolist()   # b was used in both rows
[2.0, 2.0, 2.0]
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Callable, Dict, Tuple, Union

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor

Operand = Union["Tensor", np.ndarray, float, int]


# ***** addition, subtraction, negation (with numpy broadcasting) *****


def add(self: Tensor, other: Operand) -> Tensor:
    other = self._operand(other)
    if other is NotImplemented:
        return other
    return self._result(_broadcast("+", np.add, self, other), (self, other), "+")


def add_backward(out: Tensor, g: np.ndarray) -> None:
    # d(a+b)/da = 1 and d(a+b)/db = 1: each operand gets the gradient unchanged,
    # summed over the axes along which it was broadcast
    a, b = out._prev
    if a.requires_grad:
        ga = unbroadcast(g, a.data.shape)
        a._add_grad(ga, fresh=ga is not g)
    if b.requires_grad:
        gb = unbroadcast(g, b.data.shape)
        b._add_grad(gb, fresh=gb is not g)


def sub(self: Tensor, other: Operand) -> Tensor:
    other = self._operand(other)
    if other is NotImplemented:
        return other
    return self._result(_broadcast("-", np.subtract, self, other), (self, other), "-")


def sub_backward(out: Tensor, g: np.ndarray) -> None:
    # d(a-b)/da = 1, d(a-b)/db = -1
    a, b = out._prev
    if a.requires_grad:
        ga = unbroadcast(g, a.data.shape)
        a._add_grad(ga, fresh=ga is not g)
    if b.requires_grad:
        b._add_grad(-unbroadcast(g, b.data.shape))


def neg(self: Tensor) -> Tensor:
    return self._result(-self.data, (self,), "neg")


def neg_backward(out: Tensor, g: np.ndarray) -> None:
    # d(-a)/da = -1
    out._prev[0]._add_grad(-g)


# ***** multiplication, division, powers *****


def mul(self: Tensor, other: Operand) -> Tensor:
    other = self._operand(other)
    if other is NotImplemented:
        return other
    return self._result(_broadcast("*", np.multiply, self, other), (self, other), "*")


def mul_backward(out: Tensor, g: np.ndarray) -> None:
    # d(a*b)/da = b and d(a*b)/db = a, entry by entry
    a, b = out._prev
    if a.requires_grad:
        a._add_grad(unbroadcast(g * b.data, a.data.shape))
    if b.requires_grad:
        b._add_grad(unbroadcast(g * a.data, b.data.shape))


def div(self: Tensor, other: Operand) -> Tensor:
    other = self._operand(other)
    if other is NotImplemented:
        return other
    with np.errstate(divide="ignore", invalid="ignore"):  # x/0 is inf, 0/0 nan: no warnings
        data = _broadcast("/", np.divide, self, other)
    return self._result(data, (self, other), "/")


def div_backward(out: Tensor, g: np.ndarray) -> None:
    # d(a/b)/da = 1/b and d(a/b)/db = -a/b**2 = -(a/b)/b
    a, b = out._prev
    with np.errstate(divide="ignore", invalid="ignore"):
        if a.requires_grad:
            a._add_grad(unbroadcast(g / b.data, a.data.shape))
        if b.requires_grad:
            b._add_grad(unbroadcast(-g * out.data / b.data, b.data.shape))


def pow(self: Tensor, exponent: Operand) -> Tensor:
    if isinstance(exponent, numbers.Real) and not isinstance(exponent, bool):
        k = float(exponent)  # a plain number: only the base gets a gradient
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            data = self.data**k
        return self._result(data, (self,), "**", k)
    exponent = self._operand(exponent)
    if exponent is NotImplemented:
        return exponent
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        data = _broadcast("**", np.power, self, exponent)
    return self._result(data, (self, exponent), "pow")


def pow_method(self: Tensor, exponent: Operand) -> Tensor:
    """``x.pow(2)``, PyTorch's name for ``x ** 2`` (the exponent may be a Tensor too).

    >>> from tinygrad_edu import Tensor
    >>> Tensor([2.0, 3.0]).pow(2).tolist()
    [4.0, 9.0]
    """
    out = pow(self, exponent)
    if out is NotImplemented:
        raise TypeError(
            f"pow: the exponent must be a number, a Tensor or a numpy array, got {type(exponent).__name__}"
        )
    return out


def pow_const_backward(out: Tensor, g: np.ndarray) -> None:
    # d(a**k)/da = k * a**(k-1)   (k is a plain number, kept in out._ctx)
    a, k = out._prev[0], out._ctx
    if k == 0.0:  # a**0 is the constant 1: zero gradient, even at a = 0
        a._add_grad(np.zeros_like(a.data))
        return
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a._add_grad(k * a.data ** (k - 1.0) * g)


def pow_backward(out: Tensor, g: np.ndarray) -> None:
    # d(a**b)/da = b * a**(b-1) and d(a**b)/db = a**b * ln(a)
    a, b = out._prev
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if a.requires_grad:  # b = 0 means a constant 1: no gradient, even at a = 0
            da = np.where(b.data == 0.0, 0.0, b.data * a.data ** (b.data - 1.0))
            a._add_grad(unbroadcast(da * g, a.data.shape))
        if b.requires_grad:  # 0**b is flat in b for b >= 0 (as in PyTorch)
            db = np.where((a.data == 0.0) & (b.data >= 0.0), 0.0, out.data * np.log(a.data))
            b._add_grad(unbroadcast(db * g, b.data.shape))


# reflected operators: 2 + t, 2 - t, 2 * t, 2 / t, 2 ** t, array @ t
def radd(self: Tensor, other: Operand) -> Tensor:
    other = self._operand(other)
    return other if other is NotImplemented else other + self


def rsub(self: Tensor, other: Operand) -> Tensor:
    other = self._operand(other)
    return other if other is NotImplemented else other - self


def rmul(self: Tensor, other: Operand) -> Tensor:
    other = self._operand(other)
    return other if other is NotImplemented else other * self


def rdiv(self: Tensor, other: Operand) -> Tensor:
    other = self._operand(other)
    return other if other is NotImplemented else other / self


def rpow(self: Tensor, other: Operand) -> Tensor:
    other = self._operand(other)
    return other if other is NotImplemented else other**self


def rmatmul(self: Tensor, other: Operand) -> Tensor:
    if not isinstance(other, np.ndarray):
        return NotImplemented
    return self._operand(other) @ self


# ***** matrix multiplication *****


def matmul(self: Tensor, other: Union["Tensor", np.ndarray]) -> Tensor:
    """Matrix product, numpy-style: (n, k) @ (k, m) -> (n, m); leading axes are batch
    axes and broadcast, (B, n, k) @ (k, m) -> (B, n, m); a 1-D operand is a vector.

    >>> from tinygrad_edu import Tensor
    >>> (Tensor([[1.0, 2.0]]) @ Tensor([[3.0], [4.0]])).item()
    11.0
    """
    if isinstance(other, numbers.Number):
        return NotImplemented  # (a number is no matrix: Python raises a TypeError naming it)
    other = self._operand(other)
    if other is NotImplemented:
        return other
    try:
        data = self.data @ other.data
    except ValueError:
        raise ValueError(
            f"@: shapes {self.shape} and {other.shape} do not line up: the last axis of "
            f"the left operand must match the second-to-last of the right one "
            f"(both need at least 1 dimension)"
        ) from None
    return self._result(data, (self, other), "@")


def matmul_method(self: Tensor, other: Union["Tensor", np.ndarray]) -> Tensor:
    """``x.matmul(W)``, PyTorch's name for ``x @ W``.

    >>> from tinygrad_edu import Tensor
    >>> Tensor([[1.0, 2.0]]).matmul(Tensor([[3.0], [4.0]])).tolist()
    [[11.0]]
    """
    out = matmul(self, other)
    if out is NotImplemented:
        raise TypeError(f"matmul: other must be a Tensor or a numpy array, got {type(other).__name__}")
    return out


def matmul_backward(out: Tensor, g: np.ndarray) -> None:
    # C = A @ B  =>  dL/dA = dL/dC @ B^T  and  dL/dB = A^T @ dL/dC   (per batch entry).
    # A vector operand is treated as a 1-row (left) or 1-column (right) matrix.
    a, b = out._prev
    A, B = a.data, b.data
    if B.ndim == 1:
        B, g = B[:, None], g[..., None]  # (k,) -> (k, 1); C gets its lost m axis back
    if A.ndim == 1:
        A, g = A[None, :], g[..., None, :]  # (k,) -> (1, k); C gets its lost n axis back
    if a.requires_grad:
        ga = unbroadcast(g @ np.swapaxes(B, -1, -2), A.shape)  # sum over broadcast batch axes
        a._add_grad(ga.reshape(a.data.shape))
    if b.requires_grad:
        gb = unbroadcast(np.swapaxes(A, -1, -2) @ g, B.shape)
        b._add_grad(gb.reshape(b.data.shape))


def _broadcast(
    symbol: str, combine: Callable[[np.ndarray, np.ndarray], np.ndarray], a: "Tensor", b: "Tensor"
) -> np.ndarray:
    """``combine(a.data, b.data)`` with numpy broadcasting; a mismatch names both shapes."""
    try:
        return combine(a.data, b.data)
    except ValueError:
        raise ValueError(
            f"{symbol}: shapes {a.shape} and {b.shape} cannot be broadcast together "
            f"(numpy rule: compare from the right; each pair of sizes must match or be 1)"
        ) from None


def unbroadcast(grad: np.ndarray, shape: Tuple[int, ...]) -> np.ndarray:
    """Sum an output-shaped gradient back down to an operand's ``shape``.

    The adjoint of broadcasting is summing: an operand that was stretched along an axis
    (added in front, or a size-1 axis repeated) was used once per position along it, so its
    gradient is the sum of those positions' gradients. Returns ``grad`` itself if the shapes
    already agree.

    >>> import numpy as np
    >>> unbroadcast(np.ones((4, 3)), (3,)).tolist()   # a bias added to 4 rows
    [4.0, 4.0, 4.0]
    >>> unbroadcast(np.ones((4, 3)), (4, 1)).tolist()
    [[3.0], [3.0], [3.0], [3.0]]
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:  # axes added in front
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:  # size-1 axes that were repeated
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


# fmt: off
ARITHMETIC_BACKWARD_RULES: Dict[str, Callable[[Tensor, np.ndarray], None]] = {
    "+": add_backward, "-": sub_backward,
    "neg": neg_backward, "*": mul_backward,
    "/": div_backward, "**": pow_const_backward,
    "pow": pow_backward, "@": matmul_backward,
}
# fmt: on
