"""Tensor comparisons and the ops that pick entries: abs, clip, min, maximum, argmax/argmin, where.

Same pattern as tensor_ops.py: each forward is a plain function of the tensor ``self`` that
``Tensor`` (tensor.py) binds as a method, with its chain-rule step ``xxx_backward(out, g)``
right under it; the rules are collected in ``SELECT_BACKWARD_RULES`` at the bottom. (``abs``
and ``min`` here are the Tensor methods: in this file they hide Python's builtins.) ``where``
makes a new tensor out of others: tensor.py binds it as a class method, so its first argument
``cls`` is the Tensor class.

Most of these are piecewise: the output copies one input entry (or its negative), so the
gradient is 1 (or -1) for the entry that was picked and 0 for the others. At a kink (|x| at
0, a tie in ``min``, ``x`` exactly on a ``clip`` bound) we choose one subgradient, documented
on each op. Comparisons and ``argmax`` answer a yes/no or an index: they have no gradient and
return plain numpy arrays, not Tensors.

>>> from tinygrad_edu import Tensor
>>> x = Tensor([-2.0, 0.5, 3.0], requires_grad=True)
>>> y = Tensor.where(x > 0, x, 0.1 * x)   # a leaky ReLU written with where
>>> y.sum().backward(); x.grad.tolist()
[0.1, 1.0, 1.0]
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Type, Union

import numpy as np

from .tensor_arithmetic import _broadcast, unbroadcast
from .tensor_reduce import Axis, axis_arg, max_backward, reduction

if TYPE_CHECKING:
    from .tensor import Tensor


# ***** abs and clip: the gradient passes where the input is copied *****


def abs(self: Tensor) -> Tensor:
    """|x|, entry by entry.

    The gradient is sign(x): -1 left of 0, 1 right of it, and 0 at exactly 0 (as in
    PyTorch). At a nan input it is nan (PyTorch gives 0 there).

    >>> from tinygrad_edu import Tensor
    >>> x = Tensor([-2.0, 0.0, 3.0], requires_grad=True)
    >>> x.abs().sum().backward(); x.grad.tolist()
    [-1.0, 0.0, 1.0]
    """
    return self._result(np.abs(self.data), (self,), "abs")


def abs_backward(out: Tensor, g: np.ndarray) -> None:
    # d|a|/da = sign(a)
    a = out._prev[0]
    a._add_grad(np.sign(a.data) * g)


def clip(self: Tensor, min: Optional[float] = None, max: Optional[float] = None) -> Tensor:
    """Each entry limited to [min, max] (either bound may be None: no limit on that side).

    Like PyTorch's ``clamp``: ``min(max(x, min), max)``, so if min > max every entry
    becomes max. The gradient is 1 strictly inside the range and 0 outside it. On a bound
    (x == min or x == max) it is 1, as in PyTorch: the entry is copied unchanged there.
    A nan entry stays nan and passes its gradient, as relu does (PyTorch gives it 0).

    >>> from tinygrad_edu import Tensor
    >>> x = Tensor([-2.0, 0.5, 3.0], requires_grad=True)
    >>> y = x.clip(0.0, 1.0); y.data.tolist()
    [0.0, 0.5, 1.0]
    >>> y.sum().backward(); x.grad.tolist()
    [0.0, 1.0, 0.0]
    """
    low, high = _bound(min, "min"), _bound(max, "max")
    if low is None and high is None:
        raise ValueError("clip needs a bound: give min, max or both, e.g. x.clip(min=0.0)")
    data = self.data
    with np.errstate(invalid="ignore"):
        if low is not None:
            data = np.maximum(data, low)  # np.maximum keeps nan (Python's max would not)
        if high is not None:
            data = np.minimum(data, high)
    return self._result(data, (self,), "clip", (low, high))


def clip_backward(out: Tensor, g: np.ndarray) -> None:
    # d(clip a)/da = 0 where a was strictly outside [low, high] (the output is a constant
    # bound there), else 1 (the output is a itself; this includes a == bound)
    a = out._prev[0]
    low, high = out._ctx
    outside = np.zeros(a.data.shape, dtype=bool)
    if low is not None:
        outside |= a.data < low
    if high is not None:
        outside |= a.data > high
    a._add_grad(np.where(outside, 0.0, g))


def clamp(self: Tensor, min: Optional[float] = None, max: Optional[float] = None) -> Tensor:
    """PyTorch's name for ``clip``: ``x.clamp(0.0, 1.0)``, ``x.clamp(min=0.0)``.

    >>> from tinygrad_edu import Tensor
    >>> Tensor([-2.0, 0.5, 3.0]).clamp(min=0.0).data.tolist()
    [0.0, 0.5, 3.0]
    """
    return clip(self, min, max)


def _bound(value: object, name: str) -> Optional[float]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"clip: {name} must be a number or None, got {type(value).__name__}")
    return float(value)  # a plain float: it takes the tensor's dtype (float32 stays float32)


# ***** min, argmax, argmin *****


def min(
    self: Tensor,
    axis: Axis = None,
    keepdims: bool = False,
    *,
    dim: Axis = None,
    keepdim: Optional[bool] = None,
) -> Tensor:
    """Smallest entry over ``axis`` (an int, a tuple of ints, or None for every entry), or
    ``dim``. Only the values: unlike PyTorch's ``x.min(dim)``, no indices (use ``argmin``).

    Ties are treated as in ``max``: the gradient is split evenly among the k entries that
    share the minimum (1/k each), as ``torch.amin`` does.

    >>> from tinygrad_edu import Tensor
    >>> x = Tensor([[3.0, 1.0], [2.0, 2.0]], requires_grad=True)
    >>> x.min(axis=1).data.tolist()
    [1.0, 2.0]
    >>> x.min(axis=1).sum().backward(); x.grad.tolist()
    [[0.0, 1.0], [0.5, 0.5]]
    """
    return reduction(self, np.min, "min", axis, keepdims, dim, keepdim)


def min_backward(out: Tensor, g: np.ndarray) -> None:
    # d(min)/d(entry) = 1/k for each of the k entries equal to the minimum, 0 elsewhere:
    # exactly max's rule (it compares the input with the output, whichever extreme that is)
    max_backward(out, g)


def maximum(self: Tensor, other: Union[Tensor, np.ndarray, float]) -> Tensor:
    """The larger of ``self`` and ``other``, entry by entry, with broadcasting (nan wins).

    Where the two are equal the gradient is split, half to each, as in PyTorch.

    >>> from tinygrad_edu import Tensor
    >>> a, b = Tensor([1.0, 5.0, 2.0], requires_grad=True), Tensor([3.0, 4.0, 2.0], requires_grad=True)
    >>> y = a.maximum(b); y.data.tolist()
    [3.0, 5.0, 2.0]
    >>> y.sum().backward(); a.grad.tolist(), b.grad.tolist()
    ([0.0, 1.0, 0.5], [1.0, 0.0, 0.5])
    """
    operand = self._operand(other)
    if operand is NotImplemented:
        raise TypeError(
            f"maximum: other must be a Tensor, a number or a numpy array, got {type(other).__name__}"
        )
    return self._result(_broadcast("maximum", np.maximum, self, operand), (self, operand), "maximum")


def maximum_backward(out: Tensor, g: np.ndarray) -> None:
    # d max(a, b)/da = 1 where a > b, 0 where a < b, 1/2 where a == b (and the other way
    # round for b); a nan entry (which wins) passes the whole gradient
    a, b = out._prev
    with np.errstate(invalid="ignore"):
        share_a = np.where(a.data > b.data, 1.0, np.where(a.data == b.data, 0.5, 0.0))
        share_a = np.where(np.isnan(a.data), 1.0, share_a)
        share_b = np.where(np.isnan(b.data), 1.0, 1.0 - share_a)
    if a.requires_grad:
        a._add_grad(unbroadcast(share_a * g, a.data.shape))
    if b.requires_grad:
        b._add_grad(unbroadcast(share_b * g, b.data.shape))


def argmax(self: Tensor, axis: Optional[int] = None, *, dim: Optional[int] = None) -> np.ndarray:
    """Index of the largest entry along ``axis`` (or ``dim``), as a numpy integer array (no gradient).

    ``axis=None`` gives the index into the flattened tensor, as a 0-d array. Ties: the
    first one wins; nan counts as the largest (numpy and PyTorch agree on both).

    >>> from tinygrad_edu import Tensor
    >>> scores = Tensor([[0.1, 2.0, 0.3], [5.0, 1.0, 5.0]])
    >>> scores.argmax(axis=1).tolist(), int(scores.argmax())
    ([1, 0], 3)
    """
    return np.asarray(self.data.argmax(axis=_int_axis(axis_arg(axis, dim, "argmax"), "argmax")))


def argmin(self: Tensor, axis: Optional[int] = None, *, dim: Optional[int] = None) -> np.ndarray:
    """Index of the smallest entry along ``axis``, as a numpy integer array (no gradient).

    As ``argmax``: the first of several ties wins, and a nan wins over any number.

    >>> from tinygrad_edu import Tensor
    >>> Tensor([[0.1, 2.0, 0.3], [5.0, 1.0, 5.0]]).argmin(axis=1).tolist()
    [0, 1]
    """
    return np.asarray(self.data.argmin(axis=_int_axis(axis_arg(axis, dim, "argmin"), "argmin")))


def _int_axis(axis: object, name: str) -> Optional[int]:
    if axis is None:
        return None
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{name}: axis must be an int or None, got {type(axis).__name__}")
    return int(axis)


# ***** comparisons: < <= > >= == != answer with a boolean numpy array *****
# `==` compares entries, as in numpy and PyTorch. A Tensor still hashes by identity (tensor.py
# sets __hash__ = object.__hash__), so sets and dicts of Tensors, which the graph walks use,
# work as before; but `t in some_list` and `some_list.index(t)` compare with ==, so code that
# looks for one particular tensor in a list compares identities: `any(x is t for x in ...)`.


def _compare(symbol: str, compare: Callable[..., Any], self: Tensor, other: object) -> np.ndarray:
    """``compare(self.data, other)`` with broadcasting, as a boolean array (0-d for scalars)."""
    operand = self._operand(other)  # numbers and arrays become constants, else NotImplemented
    if operand is NotImplemented:
        return NotImplemented
    return np.asarray(_broadcast(symbol, compare, self, operand))


def lt(self: Tensor, other: object) -> np.ndarray:
    """``t < other`` entry by entry, a boolean numpy array (nan compares False).

    ``other`` is a Tensor, a number or a numpy array; ``2 < t`` and ``array < t`` work too.

    >>> from tinygrad_edu import Tensor
    >>> (Tensor([1.0, 2.0, 3.0]) < 2).tolist(), (2 < Tensor([1.0, 2.0, 3.0])).tolist()
    ([True, False, False], [False, False, True])
    """
    return _compare("<", np.less, self, other)


def le(self: Tensor, other: object) -> np.ndarray:
    """``t <= other`` entry by entry, a boolean numpy array."""
    return _compare("<=", np.less_equal, self, other)


def gt(self: Tensor, other: object) -> np.ndarray:
    """``t > other`` entry by entry, a boolean numpy array."""
    return _compare(">", np.greater, self, other)


def ge(self: Tensor, other: object) -> np.ndarray:
    """``t >= other`` entry by entry, a boolean numpy array."""
    return _compare(">=", np.greater_equal, self, other)


def eq(self: Tensor, other: object) -> np.ndarray:
    """``t == other`` entry by entry, a boolean numpy array (nan == nan is False).

    Anything that is not a Tensor, a number or an array is simply not equal (Python's rule).

    >>> from tinygrad_edu import Tensor
    >>> (Tensor([1.0, 2.0]) == Tensor([1.0, 3.0])).tolist(), Tensor([1.0]) == 'one'
    ([True, False], False)
    """
    return _compare("==", np.equal, self, other)


def ne(self: Tensor, other: object) -> np.ndarray:
    """``t != other`` entry by entry, a boolean numpy array (nan != nan is True)."""
    return _compare("!=", np.not_equal, self, other)


# ***** where: pick each entry from a or from b *****


def where(cls: Type[Tensor], condition: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``condition`` holds, else ``b``, entry by entry: ``Tensor.where(x > 0, x, 0)``.

    ``condition`` is a boolean numpy array, or anything numpy turns into one: a list of bools,
    a number array or a Tensor (nonzero means True, as in numpy). ``a`` and ``b`` are Tensors,
    numbers or numpy arrays (constants). All three broadcast together. The gradient flows to
    ``a`` where the condition holds and to ``b`` elsewhere, summed back over broadcast axes;
    the branch not taken gets 0, even where it is nan or inf.

    >>> from tinygrad_edu import Tensor
    >>> a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> b = Tensor(10.0, requires_grad=True)   # broadcast to the 3 entries
    >>> y = Tensor.where([True, False, False], a, b); y.data.tolist()
    [1.0, 10.0, 10.0]
    >>> y.sum().backward(); a.grad.tolist(), b.grad.tolist()
    ([1.0, 0.0, 0.0], 2.0)
    """
    mask = _condition(condition, cls)
    dtype = next((x.data.dtype for x in (a, b) if isinstance(x, cls)), np.dtype(np.float64))
    a, b = _where_operand(a, "a", dtype, cls), _where_operand(b, "b", dtype, cls)
    try:
        data = np.where(mask, a.data, b.data)
    except ValueError:
        raise ValueError(
            f"where: condition shape {mask.shape}, a shape {a.shape} and b shape {b.shape} "
            f"cannot be broadcast together (compare from the right; sizes must match or be 1)"
        ) from None
    return a._result(data, (a, b), "where", mask)


def where_backward(out: Tensor, g: np.ndarray) -> None:
    # out = a where the condition holds, else b: d(out)/da = 1 there and 0 elsewhere, and
    # the other way round for b; unbroadcast sums each back to its operand's shape
    a, b = out._prev
    mask = out._ctx
    if a.requires_grad:
        a._add_grad(unbroadcast(np.where(mask, g, 0.0), a.data.shape))
    if b.requires_grad:
        b._add_grad(unbroadcast(np.where(mask, 0.0, g), b.data.shape))


def _condition(condition: Any, tensor_type: Type[Tensor]) -> np.ndarray:
    if isinstance(condition, tensor_type):
        condition = condition.data
    try:
        mask = np.asarray(condition)
    except ValueError as e:  # ragged lists
        raise TypeError(f"where: condition is not an array of booleans ({e})") from None
    if mask.dtype.kind not in "biuf":
        raise TypeError(
            f"where: condition must be booleans (e.g. x > 0), got {type(condition).__name__} of {mask.dtype}"
        )
    return mask.astype(bool, copy=False)


def _where_operand(x: Any, name: str, dtype: np.dtype, tensor_type: Type[Tensor]) -> Tensor:
    if isinstance(x, tensor_type):
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return tensor_type._result(np.asarray(x, dtype=dtype), (), "")  # a constant
    if isinstance(x, np.ndarray):
        return tensor_type(x)  # a constant leaf (Tensor() rejects non-number arrays)
    raise TypeError(f"where: {name} must be a Tensor, a number or a numpy array, got {type(x).__name__}")


# fmt: off
SELECT_BACKWARD_RULES: Dict[str, Callable[[Tensor, np.ndarray], None]] = {
    "abs": abs_backward, "clip": clip_backward,
    "min": min_backward, "maximum": maximum_backward,
    "where": where_backward,
}
# fmt: on
