"""Tensor functions, reductions, reshaping, indexing and softmax, each with its backward rule.

Each forward function takes the tensor as ``self``: ``Tensor`` (tensor.py) binds it as a method,
so ``x.exp()`` calls ``exp(x)``. Right under it sits its chain-rule step ``exp_backward(out, g)``,
which gets g = dL/d(out), an array shaped like ``out``, and adds dL/d(input) into the input
with ``input._add_grad(...)``. The rules are collected in ``OPS_BACKWARD_RULES`` at the bottom,
keyed by the node's ``_op``. (``sum`` and ``max`` here are the Tensor methods: in this file
they hide Python's builtins of the same names.)

>>> from tinygrad_edu import Tensor
>>> x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> x.exp().sum(axis=1).log().mean().backward()
>>> x.grad.round(4).tolist()
[[0.1345, 0.3655], [0.1345, 0.3655]]
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Sequence, Tuple, Union

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor

Axis = Optional[Union[int, Tuple[int, ...]]]


def _unreduce(g: np.ndarray, axis: Axis, keepdims: bool) -> np.ndarray:
    """Put back, as size 1, the axes a reduction removed, so ``g`` broadcasts over its input."""
    if axis is not None and not keepdims:
        return np.expand_dims(g, axis)
    return g  # axis=None gives a 0-d g (broadcasts anywhere); keepdims kept the axes


def as_int_tuple(args: Sequence[Union[int, Sequence[int]]]) -> Tuple[int, ...]:
    """``(2, 3)`` from either ``f(2, 3)`` or ``f((2, 3))``: the two ways PyTorch takes a shape.

    >>> as_int_tuple((2, 3)), as_int_tuple(([2, 3],)), as_int_tuple(())
    ((2, 3), (2, 3), ())
    """
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)  # type: ignore[arg-type]  # (ints; numpy reports anything else)


def _check_keepdims(keepdims: object) -> None:
    if type(keepdims) is not bool:
        raise TypeError(f"keepdims must be True or False, got {type(keepdims).__name__}")


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


# ***** reductions: sum, mean, max *****


def sum(self: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (an int, a tuple of ints, or None for every entry).

    >>> from tinygrad_edu import Tensor
    >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).sum(axis=0).data.tolist()
    [4.0, 6.0]
    """
    _check_keepdims(keepdims)
    data = np.asarray(self.data.sum(axis=axis, keepdims=keepdims))
    return self._result(data, (self,), "sum", (axis, keepdims))


def sum_backward(out: Tensor, g: np.ndarray) -> None:
    # every summed entry has d(sum)/d(entry) = 1: copy the gradient back over the summed axes
    a = out._prev[0]
    axis, keepdims = out._ctx
    a._add_grad(np.broadcast_to(_unreduce(g, axis, keepdims), a.data.shape), fresh=False)


def mean(self: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Average over ``axis`` (an int, a tuple of ints, or None for every entry).

    >>> from tinygrad_edu import Tensor
    >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).mean(axis=1).data.tolist()
    [1.5, 3.5]
    """
    _check_keepdims(keepdims)
    data = np.asarray(self.data.mean(axis=axis, keepdims=keepdims))
    count = self.data.size // data.size if data.size else 0  # entries averaged into each output
    return self._result(data, (self,), "mean", (axis, keepdims, count))


def mean_backward(out: Tensor, g: np.ndarray) -> None:
    # d(mean)/d(entry) = 1/count for each of the `count` entries averaged
    a = out._prev[0]
    axis, keepdims, count = out._ctx
    g = _unreduce(g, axis, keepdims) / count
    a._add_grad(np.broadcast_to(g, a.data.shape), fresh=False)


def max(self: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Largest entry over ``axis`` (an int, a tuple of ints, or None for every entry).

    Ties: when several entries share the maximum, the gradient is split evenly among
    them (each gets 1/k of it), as ``torch.amax`` does. This is a valid subgradient and
    does not depend on the order of the entries.

    >>> from tinygrad_edu import Tensor
    >>> x = Tensor([1.0, 5.0, 5.0], requires_grad=True)
    >>> x.max().backward(); x.grad.tolist()
    [0.0, 0.5, 0.5]
    """
    _check_keepdims(keepdims)
    data = np.asarray(self.data.max(axis=axis, keepdims=keepdims))
    return self._result(data, (self,), "max", (axis, keepdims))


def max_backward(out: Tensor, g: np.ndarray) -> None:
    # d(max)/d(entry) = 1/k for each of the k entries equal to the maximum, 0 elsewhere
    a = out._prev[0]
    axis, keepdims = out._ctx
    is_max = a.data == _unreduce(out.data, axis, keepdims)
    ties = is_max.sum(axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):  # a nan maximum gives nan gradients
        a._add_grad(is_max * (_unreduce(g, axis, keepdims) / ties))


# ***** reshaping and transposing: moving entries around, gradients move back *****


def reshape(self: Tensor, *shape: Union[int, Sequence[int]]) -> Tensor:
    """Same entries, new shape: ``t.reshape(2, 3)`` or ``t.reshape((2, 3))``; one size may be -1.

    >>> from tinygrad_edu import Tensor
    >>> Tensor([1.0, 2.0, 3.0, 4.0]).reshape(2, -1).shape
    (2, 2)
    """
    sizes = as_int_tuple(shape)
    try:
        data = self.data.reshape(sizes)
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape {self.data.shape} ({self.data.size} entries) into {sizes}"
        ) from None
    return self._result(data, (self,), "reshape")


def reshape_backward(out: Tensor, g: np.ndarray) -> None:
    # reshaping moves no numbers: the gradient is reshaped back
    a = out._prev[0]
    a._add_grad(g.reshape(a.data.shape), fresh=False)


def transpose(self: Tensor, *axes: Union[int, Sequence[int]]) -> Tensor:
    """Permute the axes (``t.transpose(1, 0, 2)``); with no arguments, reverse them.

    >>> from tinygrad_edu import Tensor
    >>> Tensor([[1.0, 2.0, 3.0]]).transpose().shape
    (3, 1)
    """
    order = as_int_tuple(axes) or tuple(range(self.data.ndim - 1, -1, -1))
    data = self.data.transpose(order)
    return self._result(data, (self,), "transpose", order)


def transpose_backward(out: Tensor, g: np.ndarray) -> None:
    # the inverse permutation puts every gradient entry back where its input came from
    out._prev[0]._add_grad(g.transpose(np.argsort(out._ctx)), fresh=False)


def T(self: Tensor) -> Tensor:
    """The transpose (all axes reversed): W.T for a matrix W."""
    return self.transpose()


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


# ***** softmax and log-softmax *****


def softmax(self: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``: turns scores into probabilities.

    Stable for huge scores: the largest score is subtracted first (the result does not
    change, but exp never sees a positive number, so it cannot overflow).

    >>> from tinygrad_edu import Tensor
    >>> Tensor([1000.0, 1000.0]).softmax().data.tolist()
    [0.5, 0.5]
    """
    z = self.data - self.data.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return self._result(e / e.sum(axis=axis, keepdims=True), (self,), "softmax", axis)


def softmax_backward(out: Tensor, g: np.ndarray) -> None:
    # ds_i/dx_j = s_i (delta_ij - s_j), so dL/dx = s * (g - sum_i g_i s_i)
    s = out.data
    out._prev[0]._add_grad(s * (g - (g * s).sum(axis=out._ctx, keepdims=True)))


def log_softmax(self: Tensor, axis: int = -1) -> Tensor:
    """x - log(sum(exp(x))) along ``axis``: log-probabilities, computed stably.

    log-sum-exp trick: log(sum(exp(x))) = m + log(sum(exp(x - m))) with m = max(x), so
    nothing overflows even for scores of 1e3 or 1e300.

    >>> from tinygrad_edu import Tensor
    >>> Tensor([1000.0, 1000.0]).log_softmax().data.round(4).tolist()
    [-0.6931, -0.6931]
    """
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
    "sum": sum_backward, "mean": mean_backward, "max": max_backward,
    "reshape": reshape_backward, "transpose": transpose_backward,
    "index": index_backward,
    "softmax": softmax_backward, "log_softmax": log_softmax_backward,
}
# fmt: on
