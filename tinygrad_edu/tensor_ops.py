"""Tensor functions (exp, log, sin, activations), indexing, clone and softmax, each with its backward rule.

Each forward function takes the tensor as ``self``: ``Tensor`` (tensor.py) binds it as a method,
so ``x.exp()`` calls ``exp(x)``. Right under it sits its chain-rule step ``exp_backward(out, g)``,
which gets g = dL/d(out), an array shaped like ``out``, and adds dL/d(input) into the input
with ``input._add_grad(...)``. The rules are collected in ``OPS_BACKWARD_RULES`` at the bottom,
keyed by the node's ``_op``. Reductions (sum, mean, ...) are in tensor_reduce.py, reshaping
in tensor_shape.py.

>>> from tinygrad_edu import Tensor
>>> x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> x.exp().sum(axis=1).log().mean().backward()
>>> x.grad.round(4).tolist()
[[0.1345, 0.3655], [0.1345, 0.3655]]
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional

import numpy as np

from .tensor_reduce import axis_arg

if TYPE_CHECKING:
    from .tensor import Tensor


# ***** exp, log, sqrt *****


def exp(self: Tensor) -> Tensor:
    """e ** x, entry by entry; overflows to inf for x > ~709.

    >>> from tinygrad_edu import Tensor
    >>> Tensor([0.0, 1.0]).exp().data.round(4).tolist()
    [1.0, 2.7183]
    """
    with np.errstate(over="ignore"):
        return self._result(np.exp(self.data), (self,), "exp")


def exp_backward(out: Tensor, g: np.ndarray) -> None:
    # d(e**a)/da = e**a: the output itself
    out._prev[0]._add_grad(out.data * g)


def log(self: Tensor) -> Tensor:
    """Natural logarithm; log(0) = -inf and log(negative) = nan, quietly.

    >>> from tinygrad_edu import Tensor
    >>> Tensor([1.0, 0.0]).log().data.tolist()
    [0.0, -inf]
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return self._result(np.log(self.data), (self,), "log")


def log_backward(out: Tensor, g: np.ndarray) -> None:
    # d(ln a)/da = 1/a
    a = out._prev[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        a._add_grad(g / a.data)


def sqrt(self: Tensor) -> Tensor:
    """Square root; sqrt(negative) = nan.

    >>> from tinygrad_edu import Tensor
    >>> Tensor([4.0, 9.0]).sqrt().data.tolist()
    [2.0, 3.0]
    """
    with np.errstate(invalid="ignore"):
        return self._result(np.sqrt(self.data), (self,), "sqrt")


def sqrt_backward(out: Tensor, g: np.ndarray) -> None:
    # d(sqrt a)/da = 1 / (2 sqrt a), computed from the output
    with np.errstate(divide="ignore", invalid="ignore"):
        out._prev[0]._add_grad(g / (2.0 * out.data))


# ***** sin and cos *****


def sin(self: Tensor) -> Tensor:
    """The sine, entry by entry (x in radians).

    >>> from tinygrad_edu import Tensor
    >>> Tensor([0.0, np.pi / 2]).sin().data.round(4).tolist()
    [0.0, 1.0]
    """
    with np.errstate(invalid="ignore"):  # sin(inf) is nan, quietly
        return self._result(np.sin(self.data), (self,), "sin")


def sin_backward(out: Tensor, g: np.ndarray) -> None:
    # d(sin a)/da = cos a
    a = out._prev[0]
    with np.errstate(invalid="ignore"):
        a._add_grad(np.cos(a.data) * g)


def cos(self: Tensor) -> Tensor:
    """The cosine, entry by entry (x in radians).

    >>> from tinygrad_edu import Tensor
    >>> Tensor([0.0, np.pi]).cos().data.round(4).tolist()
    [1.0, -1.0]
    """
    with np.errstate(invalid="ignore"):
        return self._result(np.cos(self.data), (self,), "cos")


def cos_backward(out: Tensor, g: np.ndarray) -> None:
    # d(cos a)/da = -sin a
    a = out._prev[0]
    with np.errstate(invalid="ignore"):
        a._add_grad(-np.sin(a.data) * g)


# ***** activation functions: phi in h = phi(x @ W.T + b) *****


def tanh(self: Tensor) -> Tensor:
    """Hyperbolic tangent, squashing into (-1, 1).

    >>> from tinygrad_edu import Tensor
    >>> Tensor([0.0, 1000.0]).tanh().data.tolist()
    [0.0, 1.0]
    """
    return self._result(np.tanh(self.data), (self,), "tanh")


def tanh_backward(out: Tensor, g: np.ndarray) -> None:
    # d(tanh a)/da = 1 - tanh(a)**2, from the output t
    t = out.data
    out._prev[0]._add_grad((1.0 - t * t) * g)


def sigmoid(self: Tensor) -> Tensor:
    """The logistic function 1 / (1 + e**-x), squashing into (0, 1).

    >>> from tinygrad_edu import Tensor
    >>> Tensor([0.0, -1000.0, 1000.0]).sigmoid().data.tolist()
    [0.5, 0.0, 1.0]
    """
    # stable: sigmoid(x) = exp(-log(1 + e**-x)), and logaddexp(0, -x) = log(1 + e**-x)
    # never overflows, so no e**1000 is ever formed (nan in gives nan out, quietly)
    with np.errstate(invalid="ignore"):
        return self._result(np.exp(-np.logaddexp(0.0, -self.data)), (self,), "sigmoid")


def sigmoid_backward(out: Tensor, g: np.ndarray) -> None:
    # d(sigmoid a)/da = s * (1 - s), from the output s
    s = out.data
    out._prev[0]._add_grad(s * (1.0 - s) * g)


def relu(self: Tensor) -> Tensor:
    """max(0, x), entry by entry (nan stays nan).

    >>> from tinygrad_edu import Tensor
    >>> Tensor([-2.0, 3.0]).relu().data.tolist()
    [0.0, 3.0]
    """
    return self._result(np.maximum(self.data, 0.0), (self,), "relu")


def relu_backward(out: Tensor, g: np.ndarray) -> None:
    # d(relu a)/da = 1 where a > 0, else 0 (0 at a = 0, as in PyTorch)
    # the mask from the output: relu(a) != 0 exactly where a > 0 or a is nan (nan passes its
    # gradient); as floats, since numpy multiplies float * float much faster than float * bool
    mask = (out.data != 0.0).astype(g.dtype)
    mask *= g
    out._prev[0]._add_grad(mask)


def leaky_relu(self: Tensor, slope: float = 0.01) -> Tensor:
    """x where x > 0, else slope * x: a ReLU that lets a little gradient through.

    >>> from tinygrad_edu import Tensor
    >>> Tensor([-2.0, 3.0]).leaky_relu(0.1).data.tolist()
    [-0.2, 3.0]
    """
    if isinstance(slope, bool) or not isinstance(slope, numbers.Real):
        raise TypeError(f"leaky_relu slope must be a number, got {type(slope).__name__}")
    slope = float(slope)
    x = self.data
    return self._result(np.where(x > 0.0, x, slope * x), (self,), "leaky_relu", slope)


def leaky_relu_backward(out: Tensor, g: np.ndarray) -> None:
    # d/da = 1 where a > 0, else the slope (kept in out._ctx)
    a = out._prev[0]
    a._add_grad(np.where(a.data > 0.0, g, out._ctx * g))


# ***** indexing *****


def getitem(self: Tensor, index: Any) -> Tensor:
    """``t[i]``, ``t[1:3]``, ``t[:, 0]``, ``t[np.array([0, 0, 2])]``: numpy indexing.

    An entry picked twice gets both gradients (they add up).

    >>> from tinygrad_edu import Tensor
    >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> x[[0, 0, 2]].sum().backward(); x.grad.tolist()
    [2.0, 0.0, 1.0]
    """
    index = _plain_index(index)
    return self._result(np.asarray(self.data[index]), (self,), "index", index)


def index_backward(out: Tensor, g: np.ndarray) -> None:
    # scatter the gradient back to the picked entries; np.add.at *adds* for repeated
    # indices, where plain `grad[index] += g` would keep only one of them
    a = out._prev[0]
    ga = np.zeros_like(a.data)
    np.add.at(ga, out._ctx, g)
    a._add_grad(ga)


# ***** clone: a copy that stays in the graph *****


def clone(self: Tensor) -> Tensor:
    """A copy with its own array (changing one leaves the other alone); unlike ``detach``,
    the copy stays in the graph: gradients flow through it unchanged.

    >>> from tinygrad_edu import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> y = x.clone(); (y * y).sum().backward(); x.grad.tolist()
    [2.0, 4.0]
    """
    return self._result(self.data.copy(), (self,), "clone")


def clone_backward(out: Tensor, g: np.ndarray) -> None:
    # d(copy of a)/da = 1: the gradient passes unchanged
    out._prev[0]._add_grad(g, fresh=False)


# ***** softmax and log-softmax *****


def softmax(self: Tensor, axis: int = -1, *, dim: Optional[int] = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis`` (or ``dim``): turns scores into probabilities.

    Stable for huge scores: the largest score is subtracted first (the result does not
    change, but exp never sees a positive number, so it cannot overflow).

    >>> from tinygrad_edu import Tensor
    >>> Tensor([1000.0, 1000.0]).softmax().data.tolist()
    [0.5, 0.5]
    """
    axis = axis_arg(axis, dim, "softmax", -1)
    with np.errstate(over="ignore", invalid="ignore"):  # -1e308 - 1e308 is -inf, quietly
        z = self.data - self.data.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return self._result(e / e.sum(axis=axis, keepdims=True), (self,), "softmax", axis)


def softmax_backward(out: Tensor, g: np.ndarray) -> None:
    # ds_i/dx_j = s_i (delta_ij - s_j), so dL/dx = s * (g - sum_i g_i s_i)
    s = out.data
    out._prev[0]._add_grad(s * (g - (g * s).sum(axis=out._ctx, keepdims=True)))


def log_softmax(self: Tensor, axis: int = -1, *, dim: Optional[int] = None) -> Tensor:
    """x - log(sum(exp(x))) along ``axis`` (or ``dim``): log-probabilities, computed stably.

    log-sum-exp trick: log(sum(exp(x))) = m + log(sum(exp(x - m))) with m = max(x), so
    nothing overflows even for scores of 1e3 or 1e300.

    >>> from tinygrad_edu import Tensor
    >>> Tensor([1000.0, 1000.0]).log_softmax().data.round(4).tolist()
    [-0.6931, -0.6931]
    """
    axis = axis_arg(axis, dim, "log_softmax", -1)
    with np.errstate(over="ignore", invalid="ignore"):  # -1e308 - 1e308 is -inf, quietly
        z = self.data - self.data.max(axis=axis, keepdims=True)
        data = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))
    return self._result(data, (self,), "log_softmax", axis)


def log_softmax_backward(out: Tensor, g: np.ndarray) -> None:
    # d(x_i - lse(x))/dx_j = delta_ij - softmax_j, so dL/dx = g - softmax * sum_i g_i
    out._prev[0]._add_grad(g - np.exp(out.data) * g.sum(axis=out._ctx, keepdims=True))


def _plain_index(index: Any) -> Any:
    """An index numpy understands: Tensors used as indices become integer arrays."""
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    if type(index).__name__ == "Tensor":
        values = index.data
        if not np.all(values == np.round(values)):
            raise IndexError("a Tensor used as an index must hold whole numbers")
        return values.astype(np.intp)
    return index


# fmt: off
OPS_BACKWARD_RULES: Dict[str, Callable[[Tensor, np.ndarray], None]] = {
    "exp": exp_backward, "log": log_backward,
    "sqrt": sqrt_backward, "tanh": tanh_backward,
    "sigmoid": sigmoid_backward, "relu": relu_backward,
    "leaky_relu": leaky_relu_backward,
    "clone": clone_backward,
    "sin": sin_backward, "cos": cos_backward,
    "index": index_backward,
    "softmax": softmax_backward, "log_softmax": log_softmax_backward,
}
# fmt: on
