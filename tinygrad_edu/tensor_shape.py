"""Moving entries around: reshape, view, transpose, permute, unsqueeze, squeeze, flatten,
and joining tensors with ``Tensor.cat`` and ``Tensor.stack``.

Same pattern as tensor_ops.py: plain functions that ``Tensor`` (tensor.py) binds as methods,
each with its chain-rule step ``xxx_backward(out, g)`` right under it, collected in
``SHAPE_BACKWARD_RULES`` at the bottom. ``cat`` and ``stack`` make one tensor out of several:
tensor.py binds them as class methods, so their first argument ``cls`` is the Tensor class.
None of these changes a number, only where it sits, so each input's gradient is the output's
gradient moved back: reshaped back, transposed back, or its own part cut back out.

>>> from tinygrad_edu import Tensor
>>> a = Tensor([[1.0, 2.0]], requires_grad=True)          # (1, 2)
>>> b = Tensor([[3.0, 4.0], [5.0, 6.0]], requires_grad=True)  # (2, 2)
>>> y = Tensor.cat([a, b]); y.shape                         # (3, 2): b's rows under a's
(3, 2)
>>> y.backward(np.arange(6.0).reshape(3, 2)); a.grad.tolist(), b.grad.tolist()
([[0.0, 1.0]], [[2.0, 3.0], [4.0, 5.0]])
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence, Tuple, Type, Union

import numpy as np

from .tensor_reduce import axis_arg

if TYPE_CHECKING:
    from .tensor import Tensor


def as_int_tuple(args: Sequence[Union[int, Sequence[int]]]) -> Tuple[int, ...]:
    """``(2, 3)`` from either ``f(2, 3)`` or ``f((2, 3))``: the two ways PyTorch takes a shape.

    >>> as_int_tuple((2, 3)), as_int_tuple(([2, 3],)), as_int_tuple(())
    ((2, 3), (2, 3), ())
    """
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)  # type: ignore[arg-type]  # (ints; numpy reports anything else)


# ***** reshape and its spellings: view, unsqueeze, squeeze, flatten *****


def reshape(self: Tensor, *shape: Union[int, Sequence[int]]) -> Tensor:
    """Same entries, new shape: ``t.reshape(2, 3)`` or ``t.reshape((2, 3))``; one size may be -1.

    >>> from tinygrad_edu import Tensor
    >>> Tensor([1.0, 2.0, 3.0, 4.0]).reshape(2, -1).shape
    (2, 2)
    """
    sizes = as_int_tuple(shape)
    try:
        data = self.data.reshape(sizes)
    except (ValueError, TypeError):
        raise ValueError(
            f"reshape: cannot reshape {self.data.shape} ({self.data.size} entries) into {sizes}"
        ) from None
    return self._result(data, (self,), "reshape")


def reshape_backward(out: Tensor, g: np.ndarray) -> None:
    # reshaping moves no numbers: the gradient is reshaped back
    a = out._prev[0]
    a._add_grad(g.reshape(a.data.shape), fresh=False)


def view(self: Tensor, *shape: Union[int, Sequence[int]]) -> Tensor:
    """PyTorch's name for ``reshape`` (here the result shares the numbers whenever numpy can).

    >>> from tinygrad_edu import Tensor
    >>> Tensor.arange(6).view(3, 2).shape, Tensor.arange(6).view(-1, 3).shape
    ((3, 2), (2, 3))
    """
    return reshape(self, *shape)


def unsqueeze(self: Tensor, dim: int) -> Tensor:
    """A new axis of size 1 at position ``dim`` (0 .. ndim, or negative from the end):
    (3,) -> (1, 3) with dim 0, (3, 1) with dim 1 or -1.

    >>> from tinygrad_edu import Tensor
    >>> Tensor([1.0, 2.0, 3.0]).unsqueeze(0).shape, Tensor([1.0, 2.0, 3.0]).unsqueeze(-1).shape
    ((1, 3), (3, 1))
    """
    shape = self.data.shape
    at = axis_index(dim, len(shape) + 1, "unsqueeze")  # the result has one more axis
    return reshape(self, shape[:at] + (1,) + shape[at:])


def squeeze(self: Tensor, dim: Optional[int] = None) -> Tensor:
    """Drop axes of size 1: every one (``dim=None``), or only axis ``dim`` if its size is 1
    (an axis of another size is left as it is, as in PyTorch).

    >>> from tinygrad_edu import Tensor
    >>> x = Tensor(np.zeros((2, 1, 3, 1)))
    >>> x.squeeze().shape, x.squeeze(1).shape, x.squeeze(0).shape
    ((2, 3), (2, 3, 1), (2, 1, 3, 1))
    """
    shape = self.data.shape
    if dim is None:
        return reshape(self, tuple(n for n in shape if n != 1))
    at = axis_index(dim, max(len(shape), 1), "squeeze")  # a 0-d tensor takes dim 0 or -1
    if len(shape) == 0 or shape[at] != 1:
        return reshape(self, shape)
    return reshape(self, shape[:at] + shape[at + 1 :])


def flatten(
    self: Tensor,
    start_axis: int = 0,
    end_axis: int = -1,
    *,
    start_dim: Optional[int] = None,
    end_dim: Optional[int] = None,
) -> Tensor:
    """Merge the axes from ``start_axis`` to ``end_axis`` (both included) into one:
    (N, C, H, W) -> (N, C*H*W) with ``start_axis=1``. The default gives a 1-D tensor (a 0-d
    one becomes (1,)). PyTorch's names ``start_dim`` and ``end_dim`` work too.

    A ``reshape`` underneath, so its gradient is reshaped back.

    >>> from tinygrad_edu import Tensor
    >>> Tensor(np.zeros((2, 3, 4))).flatten(1).shape, Tensor(np.zeros((2, 3, 4))).flatten().shape
    ((2, 12), (24,))
    >>> Tensor(np.zeros((2, 3, 4, 5))).flatten(start_dim=1, end_dim=2).shape
    (2, 12, 5)
    """
    shape = self.data.shape
    ndim = max(len(shape), 1)
    start = axis_index(axis_arg(start_axis, start_dim, "flatten", 0), ndim, "flatten")
    end = axis_index(axis_arg(end_axis, end_dim, "flatten", -1), ndim, "flatten")
    if start > end:
        raise ValueError(
            f"flatten: the start axis ({start}) comes after the end axis ({end}) for shape {shape}"
        )
    merged = int(np.prod(shape[start : end + 1]))  # not -1: that cannot work out a size next to a 0
    return reshape(self, shape[:start] + (merged,) + shape[end + 1 :])


# ***** transpose and permute: the axes change places, gradients move back *****


def transpose(self: Tensor, *axes: Union[int, Sequence[int]]) -> Tensor:
    """Swap or reorder axes, as PyTorch and numpy do.

    * ``t.transpose()`` reverses the axes (``t.T``: a matrix's rows become its columns);
    * ``t.transpose(a, b)`` swaps axes a and b (PyTorch's meaning), for any number of axes;
    * ``t.transpose(2, 0, 1)`` (three or more) or ``t.transpose((1, 0))`` puts axis
      ``axes[i]`` at place i (numpy's meaning; the same as ``permute``).

    >>> from tinygrad_edu import Tensor
    >>> x = Tensor(np.zeros((2, 3, 4)))
    >>> x.transpose().shape, x.transpose(0, 2).shape, x.transpose(1, 2, 0).shape
    ((4, 3, 2), (4, 3, 2), (3, 4, 2))
    """
    ndim = self.data.ndim
    if len(axes) == 2 and all(isinstance(a, numbers.Integral) for a in axes):
        a, b = (axis_index(x, ndim, "transpose") for x in axes)
        order = list(range(ndim))
        order[a], order[b] = order[b], order[a]  # a swap
        return _permuted(self, tuple(order), "transpose")
    order_given = as_int_tuple(axes) or tuple(range(ndim - 1, -1, -1))
    return _permuted(self, order_given, "transpose")


def permute(self: Tensor, *dims: Union[int, Sequence[int]]) -> Tensor:
    """Reorder all the axes: axis ``dims[i]`` goes to place i (``t.permute(2, 0, 1)`` turns
    (H, W, C) into (C, H, W)); ``t.permute((2, 0, 1))`` works too.

    >>> from tinygrad_edu import Tensor
    >>> Tensor(np.zeros((5, 6, 3))).permute(2, 0, 1).shape
    (3, 5, 6)
    """
    return _permuted(self, as_int_tuple(dims), "permute")


def _permuted(self: Tensor, order: Tuple[int, ...], who: str) -> Tensor:
    ndim = self.data.ndim
    checked = tuple(axis_index(a, max(ndim, 1), who) for a in order)
    if sorted(checked) != list(range(ndim)):
        raise ValueError(
            f"{who}: {order} is not an order of all the axes 0..{ndim - 1} of shape {self.data.shape} "
            "(to swap two axes write transpose(a, b))"
        )
    return self._result(self.data.transpose(checked), (self,), "transpose", checked)


def transpose_backward(out: Tensor, g: np.ndarray) -> None:
    # the inverse permutation puts every gradient entry back where its input came from
    out._prev[0]._add_grad(g.transpose(np.argsort(out._ctx)), fresh=False)


def T(self: Tensor) -> Tensor:
    """The transpose (all axes reversed): W.T for a matrix W."""
    return transpose(self)


# ***** joining tensors: cat and stack *****


def cat(cls: Type[Tensor], tensors: Sequence[Tensor], axis: int = 0, *, dim: Optional[int] = None) -> Tensor:
    """Join tensors end to end along an existing ``axis`` (PyTorch's ``torch.cat``).

    Their shapes must agree on every other axis: (2, 3) and (4, 3) join along axis 0 into
    (6, 3). Every entry must be a Tensor (wrap arrays: ``Tensor(array)``).

    >>> from tinygrad_edu import Tensor
    >>> Tensor.cat([Tensor([[1.0], [2.0]]), Tensor([[3.0], [4.0]])], axis=1).data.tolist()
    [[1.0, 3.0], [2.0, 4.0]]
    """
    items = _tensor_list(cls, tensors, "cat")
    axis = axis_arg(axis, dim, "cat", 0)
    ndim = items[0].data.ndim
    if ndim == 0:
        raise ValueError("cat: 0-d tensors have no axis to join along; use Tensor.stack to make one")
    ax = axis_index(axis, ndim, "cat")
    rest = [t.shape[:ax] + t.shape[ax + 1 :] if t.data.ndim == ndim else None for t in items]
    if any(r != rest[0] for r in rest):
        raise ValueError(
            f"cat: shapes {', '.join(str(t.shape) for t in items)} must agree on every axis "
            f"except axis {axis} (and have the same number of axes)"
        )
    data = np.concatenate([t.data for t in items], axis=ax)
    ends = np.cumsum([t.shape[ax] for t in items])[:-1]  # where each input's part ends
    return items[0]._result(data, tuple(items), "cat", (ax, ends))


def cat_backward(out: Tensor, g: np.ndarray) -> None:
    # out is the inputs laid end to end along `ax`: cut g at the same places, and each
    # input gets its own piece (a view of g, hence fresh=False)
    ax, ends = out._ctx
    for t, piece in zip(out._prev, np.split(g, ends, axis=ax), strict=True):
        if t.requires_grad:
            t._add_grad(piece, fresh=False)


def stack(
    cls: Type[Tensor], tensors: Sequence[Tensor], axis: int = 0, *, dim: Optional[int] = None
) -> Tensor:
    """Put same-shaped tensors side by side along a NEW ``axis`` (PyTorch's ``torch.stack``).

    n tensors of shape (2, 3) stack into (n, 2, 3) along axis 0, (2, n, 3) along axis 1,
    and (2, 3, n) along axis 2 or -1.

    >>> from tinygrad_edu import Tensor
    >>> Tensor.stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])], axis=-1).data.tolist()
    [[1.0, 3.0], [2.0, 4.0]]
    """
    items = _tensor_list(cls, tensors, "stack")
    axis = axis_arg(axis, dim, "stack", 0)
    shape = items[0].shape
    if any(t.shape != shape for t in items):
        raise ValueError(
            f"stack: all tensors need the same shape, got {', '.join(str(t.shape) for t in items)}"
        )
    ax = axis_index(axis, len(shape) + 1, "stack")  # the result has one more axis
    data = np.stack([t.data for t in items], axis=ax)
    return items[0]._result(data, tuple(items), "stack", ax)


def stack_backward(out: Tensor, g: np.ndarray) -> None:
    # input i became slice i along the new axis: it gets slice i of g back
    ax = out._ctx
    for i, t in enumerate(out._prev):
        if t.requires_grad:
            t._add_grad(np.take(g, i, axis=ax))  # np.take copies: a fresh array


def _tensor_list(cls: Type[Tensor], tensors: object, name: str) -> List[Tensor]:
    """The list of Tensors ``cat``/``stack`` were given, or a clear TypeError/ValueError."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"{name} takes a list or tuple of Tensors, got {type(tensors).__name__} "
            f"(write Tensor.{name}([a, b]), not Tensor.{name}(a, b))"
        )
    if not tensors:
        raise ValueError(f"{name} needs at least one tensor, got an empty {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, cls):
            raise TypeError(f"{name}: entry {i} is a {type(t).__name__}, not a Tensor (wrap it: Tensor(...))")
    return list(tensors)


def axis_index(axis: object, ndim: int, name: str) -> int:
    """``axis`` as an index in 0..ndim-1 (negative axes count from the end)."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{name}: axis must be an int, got {type(axis).__name__}")
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}: axis {axis} is out of range, the valid axes are {-ndim}..{ndim - 1}")
    return axis % ndim


# fmt: off
SHAPE_BACKWARD_RULES: Dict[str, Callable[[Tensor, np.ndarray], None]] = {
    "reshape": reshape_backward, "transpose": transpose_backward,
    "cat": cat_backward, "stack": stack_backward,
}
# fmt: on
