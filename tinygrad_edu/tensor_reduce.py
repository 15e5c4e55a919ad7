"""Reductions: sum, mean, var, std and max over some axes, each with its backward rule.

Same pattern as tensor_ops.py: each is a plain function of the tensor ``self`` that ``Tensor``
(tensor.py) binds as a method, with its chain-rule step right under it, collected in
``REDUCE_BACKWARD_RULES`` at the bottom. A reduction takes numpy's ``axis=`` and ``keepdims=``
or PyTorch's ``dim=`` and ``keepdim=`` (``x.sum(1)``, ``x.sum(axis=1)`` and ``x.sum(dim=1)``
are the same). Every rule sends dL/d(out) back over the axes that were reduced: the output
entry depends on each of the entries it summarises. (``sum`` and ``max`` here are the Tensor
methods: in this file they hide Python's builtins of the same names.)

>>> from tinygrad_edu import Tensor
>>> x = Tensor([[1.0, 2.0], [3.0, 6.0]], requires_grad=True)
>>> x.mean(dim=1, keepdim=True).tolist(), x.sum(0).tolist()
([[1.5], [4.5]], [4.0, 8.0])
>>> x.std(dim=1).sum().backward(); x.grad.round(4).tolist()
[[-0.7071, 0.7071], [-0.7071, 0.7071]]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple, Union

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor

Axis = Optional[Union[int, Tuple[int, ...]]]


def _unreduce(g: np.ndarray, axis: Axis, keepdims: bool) -> np.ndarray:
    """Put back, as size 1, the axes a reduction removed, so ``g`` broadcasts over its input."""
    if axis is not None and not keepdims:
        return np.expand_dims(g, axis)
    return g  # axis=None gives a 0-d g (broadcasts anywhere); keepdims kept the axes


def _check_keepdims(keepdims: object) -> None:
    if type(keepdims) is not bool:
        raise TypeError(f"keepdims must be True or False, got {type(keepdims).__name__}")


def axis_arg(axis: Any, dim: Any, who: str, default: Any = None) -> Any:
    """The axis an op works along, given as numpy's ``axis=`` or PyTorch's ``dim=`` (a list
    of axes becomes a tuple); ``default`` is the axis the op takes when given none. Giving
    both (``axis`` other than its default, and ``dim``) is a TypeError.

    >>> axis_arg(1, None, 'sum'), axis_arg(None, [0, 1], 'sum'), axis_arg(-1, 0, 'softmax', -1)
    (1, (0, 1), 0)
    """
    if dim is not None:
        if axis is not default:
            raise TypeError(f"{who}: give the axis once, as axis= or as dim=, not both")
        axis = dim
    return tuple(axis) if isinstance(axis, list) else axis


def keepdims_arg(keepdims: Any, keepdim: Any) -> bool:
    """``keepdims=`` (numpy) or ``keepdim=`` (PyTorch): True or False."""
    keep = keepdims if keepdim is None else keepdim
    _check_keepdims(keep)
    return bool(keep)


def reduction(
    self: Tensor,
    reduce: Callable[..., Any],
    op: str,
    axis: Axis,
    keepdims: Any,
    dim: Axis,
    keepdim: Any,
) -> Tensor:
    """The forward pass of ``sum``, ``max`` and ``min``: numpy's ``reduce`` (np.sum, np.max,
    np.min) over the axes given as ``axis=`` or ``dim=``; the node keeps (axis, keepdims), all
    its backward rule needs besides the input and the output."""
    axis, keepdims = axis_arg(axis, dim, op), keepdims_arg(keepdims, keepdim)
    data = np.asarray(reduce(self.data, axis=axis, keepdims=keepdims))  # 0-d stays an array
    return self._result(data, (self,), op, (axis, keepdims))


# ***** sum, mean, var, std, max *****


def sum(
    self: Tensor,
    axis: Axis = None,
    keepdims: bool = False,
    *,
    dim: Axis = None,
    keepdim: Optional[bool] = None,
) -> Tensor:
    """Sum over ``axis`` (an int, a tuple of ints, or None for every entry); ``keepdims``
    keeps the summed axes, with size 1. PyTorch's ``dim=`` and ``keepdim=`` work too.

    >>> from tinygrad_edu import Tensor
    >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).sum(axis=0).data.tolist()
    [4.0, 6.0]
    """
    return reduction(self, np.sum, "sum", axis, keepdims, dim, keepdim)


def sum_backward(out: Tensor, g: np.ndarray) -> None:
    # every summed entry has d(sum)/d(entry) = 1: copy the gradient back over the summed axes
    a = out._prev[0]
    axis, keepdims = out._ctx
    a._add_grad(np.broadcast_to(_unreduce(g, axis, keepdims), a.data.shape), fresh=False)


def mean(
    self: Tensor,
    axis: Axis = None,
    keepdims: bool = False,
    *,
    dim: Axis = None,
    keepdim: Optional[bool] = None,
) -> Tensor:
    """Average over ``axis`` (an int, a tuple of ints, or None for every entry), or ``dim``.
    The mean of no entries is nan, quietly.

    >>> from tinygrad_edu import Tensor
    >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).mean(axis=1).data.tolist()
    [1.5, 3.5]
    """
    axis, keepdims = axis_arg(axis, dim, "mean"), keepdims_arg(keepdims, keepdim)
    total = np.asarray(self.data.sum(axis=axis, keepdims=keepdims))
    count = self.data.size // total.size if total.size else 0  # entries averaged into each output
    with np.errstate(divide="ignore", invalid="ignore"):  # the mean of no entries is 0/0 = nan
        data = np.asarray(total / np.asarray(count, dtype=total.dtype))  # 0-d stays an array
    return self._result(data, (self,), "mean", (axis, keepdims, count))


def mean_backward(out: Tensor, g: np.ndarray) -> None:
    # d(mean)/d(entry) = 1/count for each of the `count` entries averaged
    a = out._prev[0]
    axis, keepdims, count = out._ctx
    with np.errstate(divide="ignore", invalid="ignore"):  # (count 0: a has no entries to reach)
        g = _unreduce(g, axis, keepdims) / np.asarray(count, dtype=g.dtype)
    a._add_grad(np.broadcast_to(g, a.data.shape), fresh=False)


def var(
    self: Tensor,
    axis: Axis = None,
    unbiased: bool = True,
    keepdims: bool = False,
    *,
    dim: Axis = None,
    keepdim: Optional[bool] = None,
) -> Tensor:
    """Variance over ``axis`` (or ``dim``): sum((x - mean)**2) / (n - 1), or / n with
    ``unbiased=False``; as ``torch.var``. With one entry the unbiased variance is 0/0 = nan.

    >>> from tinygrad_edu import Tensor
    >>> x = Tensor([1.0, 2.0, 3.0, 4.0])
    >>> x.var().item(), x.var(unbiased=False).item()
    (1.6666666666666667, 1.25)
    """
    axis, keepdims = axis_arg(axis, dim, "var"), keepdims_arg(keepdims, keepdim)
    data, centred, divisor = _variance(self, axis, keepdims, unbiased, "var")
    return self._result(data, (self,), "var", (axis, keepdims, centred, divisor))


def var_backward(out: Tensor, g: np.ndarray) -> None:
    # d(var)/dx_i = 2 (x_i - mean) / (n - 1): the mean's own change adds nothing, since the
    # centred entries sum to 0  (divisor n - 1, or n when unbiased=False)
    a = out._prev[0]
    axis, keepdims, centred, divisor = out._ctx
    with np.errstate(divide="ignore", invalid="ignore"):
        a._add_grad(2.0 * centred * (_unreduce(g, axis, keepdims) / divisor))


def std(
    self: Tensor,
    axis: Axis = None,
    unbiased: bool = True,
    keepdims: bool = False,
    *,
    dim: Axis = None,
    keepdim: Optional[bool] = None,
) -> Tensor:
    """Standard deviation over ``axis`` (or ``dim``): the square root of ``var``.

    >>> from tinygrad_edu import Tensor
    >>> Tensor([[1.0, 3.0], [2.0, 2.0]]).std(dim=1).tolist()
    [1.4142135623730951, 0.0]
    """
    axis, keepdims = axis_arg(axis, dim, "std"), keepdims_arg(keepdims, keepdim)
    variance, centred, divisor = _variance(self, axis, keepdims, unbiased, "std")
    return self._result(np.sqrt(variance), (self,), "std", (axis, keepdims, centred, divisor))


def std_backward(out: Tensor, g: np.ndarray) -> None:
    # d(std)/dx_i = d(sqrt var)/d var * d(var)/dx_i = (x_i - mean) / ((n - 1) std)
    # (where std = 0 that is 0/0: nan, as in PyTorch)
    a = out._prev[0]
    axis, keepdims, centred, divisor = out._ctx
    with np.errstate(divide="ignore", invalid="ignore"):
        a._add_grad(centred * (_unreduce(g / out.data, axis, keepdims) / divisor))


def _variance(
    self: Tensor, axis: Axis, keepdims: bool, unbiased: bool, who: str
) -> Tuple[np.ndarray, np.ndarray, float]:
    """The variance, the centred entries x - mean (backward needs them) and the divisor."""
    if type(unbiased) is not bool:
        raise TypeError(f"{who}: unbiased must be True or False, got {type(unbiased).__name__}")
    x = self.data
    total = x.sum(axis=axis, keepdims=True)
    count = x.size // total.size if total.size else 0  # entries in each average
    with np.errstate(divide="ignore", invalid="ignore"):
        centred = x - total / count  # x - mean, shaped like x
        divisor = float(count - 1 if unbiased and count else count)  # n - 1 (Bessel) or n; 0: nan
        data = np.asarray((centred * centred).sum(axis=axis, keepdims=keepdims) / divisor)
    return data, centred, divisor


def max(
    self: Tensor,
    axis: Axis = None,
    keepdims: bool = False,
    *,
    dim: Axis = None,
    keepdim: Optional[bool] = None,
) -> Tensor:
    """Largest entry over ``axis`` (an int, a tuple of ints, or None for every entry), or
    ``dim``. Only the values: unlike PyTorch's ``x.max(dim)``, no indices (use ``argmax``).

    Ties: when several entries share the maximum, the gradient is split evenly among
    them (each gets 1/k of it), as ``torch.amax`` does. This is a valid subgradient and
    does not depend on the order of the entries.

    >>> from tinygrad_edu import Tensor
    >>> x = Tensor([1.0, 5.0, 5.0], requires_grad=True)
    >>> x.max().backward(); x.grad.tolist()
    [0.0, 0.5, 0.5]
    """
    return reduction(self, np.max, "max", axis, keepdims, dim, keepdim)


def max_backward(out: Tensor, g: np.ndarray) -> None:
    # d(max)/d(entry) = 1/k for each of the k entries equal to the maximum, 0 elsewhere
    a = out._prev[0]
    axis, keepdims = out._ctx
    is_max = a.data == _unreduce(out.data, axis, keepdims)
    ties = is_max.sum(axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):  # a nan maximum gives nan gradients
        a._add_grad(is_max * (_unreduce(g, axis, keepdims) / ties))


# fmt: off
REDUCE_BACKWARD_RULES: Dict[str, Callable[[Tensor, np.ndarray], None]] = {
    "sum": sum_backward, "mean": mean_backward,
    "var": var_backward, "std": std_backward, "max": max_backward,
}
# fmt: on
