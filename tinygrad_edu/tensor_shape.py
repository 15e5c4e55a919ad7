"""Joining tensors and flattening them: ``Tensor.cat``, ``Tensor.stack`` and ``flatten``.

Same pattern as tensor_ops.py: plain functions that ``Tensor`` (tensor.py) binds (``cat`` and
``stack`` as static methods, since they take a list), each with its chain-rule step
``xxx_backward(out, g)`` right under it, collected in ``SHAPE_BACKWARD_RULES`` at the bottom.
Joining moves numbers without changing them, so each input's gradient is just its own part
of the output's gradient, cut back out.

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
from typing import TYPE_CHECKING, Callable, Dict, List, Sequence

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor


def cat(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors end to end along an existing ``axis`` (PyTorch's ``torch.cat``).

    Their shapes must agree on every other axis: (2, 3) and (4, 3) join along axis 0 into
    (6, 3). Every entry must be a Tensor (wrap arrays: ``Tensor(array)``).

    >>> from tinygrad_edu import Tensor
    >>> Tensor.cat([Tensor([[1.0], [2.0]]), Tensor([[3.0], [4.0]])], axis=1).data.tolist()
    [[1.0, 3.0], [2.0, 4.0]]
    """
    items = _tensor_list(tensors, "cat")
    ndim = items[0].data.ndim
    if ndim == 0:
        raise ValueError("cat: 0-d tensors have no axis to join along; use Tensor.stack to make one")
    ax = _axis_index(axis, ndim, "cat")
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


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Put same-shaped tensors side by side along a NEW ``axis`` (PyTorch's ``torch.stack``).

    n tensors of shape (2, 3) stack into (n, 2, 3) along axis 0, (2, n, 3) along axis 1,
    and (2, 3, n) along axis 2 or -1.

    >>> from tinygrad_edu import Tensor
    >>> Tensor.stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])], axis=-1).data.tolist()
    [[1.0, 3.0], [2.0, 4.0]]
    """
    items = _tensor_list(tensors, "stack")
    shape = items[0].shape
    if any(t.shape != shape for t in items):
        raise ValueError(
            f"stack: all tensors need the same shape, got {', '.join(str(t.shape) for t in items)}"
        )
    ax = _axis_index(axis, len(shape) + 1, "stack")  # the result has one more axis
    data = np.stack([t.data for t in items], axis=ax)
    return items[0]._result(data, tuple(items), "stack", ax)


def stack_backward(out: Tensor, g: np.ndarray) -> None:
    # input i became slice i along the new axis: it gets slice i of g back
    ax = out._ctx
    for i, t in enumerate(out._prev):
        if t.requires_grad:
            t._add_grad(np.take(g, i, axis=ax))  # np.take copies: a fresh array


def flatten(self: Tensor, start_axis: int = 0) -> Tensor:
    """Merge ``start_axis`` and every axis after it into one: (N, C, H, W) -> (N, C*H*W)
    with ``start_axis=1``. The default, 0, gives a 1-D tensor (a 0-d one becomes (1,)).

    A ``reshape`` underneath, so its gradient is reshaped back.

    >>> from tinygrad_edu import Tensor
    >>> Tensor(np.zeros((2, 3, 4))).flatten(1).shape, Tensor(np.zeros((2, 3, 4))).flatten().shape
    ((2, 12), (24,))
    """
    shape = self.data.shape
    start = _axis_index(start_axis, max(len(shape), 1), "flatten")
    merged = int(np.prod(shape[start:]))  # not -1: that cannot work out a size next to a 0
    return self.reshape(shape[:start] + (merged,))


def _tensor_list(tensors: object, name: str) -> List[Tensor]:
    """The list of Tensors ``cat``/``stack`` were given, or a clear TypeError/ValueError."""
    from .tensor import Tensor  # here, not at the top: tensor.py imports this file

    if not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"{name} takes a list or tuple of Tensors, got {type(tensors).__name__} "
            f"(write Tensor.{name}([a, b]), not Tensor.{name}(a, b))"
        )
    if not tensors:
        raise ValueError(f"{name} needs at least one tensor, got an empty {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: entry {i} is a {type(t).__name__}, not a Tensor (wrap it: Tensor(...))")
    return list(tensors)


def _axis_index(axis: object, ndim: int, name: str) -> int:
    """``axis`` as an index in 0..ndim-1 (negative axes count from the end)."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{name}: axis must be an int, got {type(axis).__name__}")
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}: axis {axis} is out of range, the valid axes are {-ndim}..{ndim - 1}")
    return axis % ndim


# fmt: off
SHAPE_BACKWARD_RULES: Dict[str, Callable[[Tensor, np.ndarray], None]] = {
    "cat": cat_backward, "stack": stack_backward,
}
# fmt: on
