"""The numpy engine: a ``Tensor`` is an array that remembers how it was computed.

The same ideas as the scalar ``Value``, one array at a time. A layer h = phi(x @ W.T + b)
becomes a handful of Tensor nodes instead of thousands of Value nodes. Each operator:

* the **forward** method computes the result with numpy and records its inputs (``_prev``),
  the operator's name (``_op``) and anything else backward needs (``_ctx``);
* the **backward rule** right under it applies one chain-rule step: given dL/d(out) in
  ``out.grad`` (an array shaped like ``out``) it adds dL/d(input) into every ``input.grad``.

``backward()`` visits the nodes from the output back to the leaves and looks each node's rule
up in ``BACKWARD_RULES`` by ``_op`` and calls it as ``rule(node, node.grad)``. The Tensor is
split over several files, one concept each:

* tensor.py (this file): what a Tensor holds, how results join the graph, in-place updates
  (``p -= lr * p.grad``), backward();
* tensor_create.py: making one: zeros, ones, full, arange, linspace, eye, randn, rand, normal;
* tensor_arithmetic.py: ``+ - * / ** @`` with broadcasting, and ``unbroadcast``;
* tensor_ops.py: exp, log, sin, cos, tanh, relu, ..., indexing, clone, softmax;
* tensor_reduce.py: sum, mean, var, std, max (over ``axis=`` or PyTorch's ``dim=``);
* tensor_conv.py: conv2d and conv_transpose2d on NCHW images;
* tensor_pool.py, tensor_norm.py: max and average pooling, upsampling; batch normalisation;
* tensor_select.py: abs, clip, min, maximum, argmax/argmin, comparisons ``< <= > >= == !=``, where;
* tensor_shape.py: reshape, view, transpose, permute, (un)squeeze, flatten, cat, stack.

A result records its graph only if one of its inputs has ``requires_grad=True`` (and we are
not inside ``no_grad()``), so evaluating a model without gradients builds no graph at all.
Arithmetic follows IEEE 754, as numpy and PyTorch do: 1/0 is inf, log(0) is -inf, and nan
flows through every operation, without warnings.

>>> W = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> x = Tensor([1.0, -1.0])
>>> loss = (W @ x).relu().sum()   # W @ x = [-1, -1]: both units are off
>>> loss.backward()
>>> loss.item(), W.grad.tolist()
(0.0, [[0.0, 0.0], [0.0, 0.0]])
>>> W.grad = None
>>> loss = (W @ Tensor([1.0, 0.5])).relu().sum()   # W @ x = [2, 5]: both on, dL/dW = x
>>> loss.backward()
>>> loss.item(), W.grad.tolist()
(7.0, [[1.0, 0.5], [1.0, 0.5]])
"""

from __future__ import annotations

import contextlib
import numbers
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import numpy as np

from . import tensor_arithmetic as arithmetic
from . import tensor_conv as conv
from . import tensor_create as create
from . import tensor_ops as ops
from . import tensor_pool as pool
from . import tensor_reduce as reduce
from . import tensor_select as select
from . import tensor_shape as shaping
from .graph import topological_order
from .tensor_arithmetic import ARITHMETIC_BACKWARD_RULES, unbroadcast
from .tensor_conv import CONV_BACKWARD_RULES
from .tensor_create import RandomSource, check_device, float_dtype, random_source
from .tensor_norm import NORM_BACKWARD_RULES
from .tensor_ops import OPS_BACKWARD_RULES
from .tensor_pool import POOL_BACKWARD_RULES
from .tensor_reduce import REDUCE_BACKWARD_RULES
from .tensor_select import SELECT_BACKWARD_RULES
from .tensor_shape import SHAPE_BACKWARD_RULES

__all__ = [
    "Tensor",
    "no_grad",
    "is_grad_enabled",
    "unbroadcast",
    "BACKWARD_RULES",
    "RandomSource",
    "random_source",
]


class _GradMode(threading.local):
    """Whether operations record a graph, kept per thread (as PyTorch keeps its grad mode):
    a thread inside ``no_grad()`` never switches off the graph of another thread. Every
    thread starts with ``enabled`` True (the class attribute) and its own empty ``saved``."""

    enabled = True

    def __init__(self) -> None:
        self.saved: List[bool] = []  # the modes to restore, one per no_grad() entered


_grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True unless this thread is inside ``no_grad()`` (PyTorch's ``torch.is_grad_enabled``).

    >>> with no_grad():
    ...     is_grad_enabled()
    False
    >>> is_grad_enabled()
    True
    """
    return _grad_mode.enabled


class no_grad(contextlib.ContextDecorator):
    """Context manager (or decorator) in which operations record no graph.

    Use it to evaluate a model or to update parameters by hand: results get
    ``requires_grad=False`` and keep no references to their inputs. It switches the graph
    off for the thread that enters it only: other threads keep recording theirs.

    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> with no_grad():
    ...     y = w * 2
    >>> y.requires_grad, (w * 2).requires_grad
    (False, True)
    """

    def __enter__(self) -> "no_grad":
        mode = _grad_mode  # this thread's: one instance (a decorator) may run in many threads
        mode.saved.append(mode.enabled)
        mode.enabled = False
        return self

    def __exit__(self, *exc: object) -> None:
        mode = _grad_mode
        mode.enabled = mode.saved.pop()


def _as_array(data: object, copy: bool) -> np.ndarray:
    """Array data for a Tensor: float32 stays float32, other numbers become float64;
    anything that is not numbers (str, None, bool, dict, objects) is a TypeError."""
    if isinstance(data, Tensor):
        raise TypeError(
            "Tensor() takes array data, got a Tensor (use t.detach() for a new leaf that shares t's data)"
        )
    if isinstance(data, (bool, np.bool_)) or data is None or isinstance(data, (str, bytes, dict, set)):
        raise TypeError(f"Tensor() takes numbers or arrays of numbers, got {type(data).__name__}")
    try:
        array = np.array(data) if copy else np.asarray(data)
    except (TypeError, ValueError) as e:
        raise TypeError(f"Tensor() could not make a numeric array from {type(data).__name__}: {e}") from None
    kind = array.dtype.kind
    if kind not in "fiu":
        what = {"b": "bool", "U": "str", "S": "bytes", "O": "object", "c": "complex"}.get(
            kind, str(array.dtype)
        )
        raise TypeError(f"Tensor() takes numbers, got {type(data).__name__} of {what}")
    if array.dtype != np.float32 and array.dtype != np.float64:
        array = array.astype(np.float64)  # ints and float16 become float64
    return array


class Tensor:
    """An n-dimensional array in a computation graph: ``data`` and ``grad`` (dL/d data).

    ``data`` is a float64 ndarray (float32 if float32 data is given, or ``dtype='float32'``;
    the Tensor keeps its own copy). ``grad`` stays None until a backward pass reaches the
    tensor. ``device='cpu'`` is accepted, as in PyTorch (numpy has no other device).

    ``==`` compares entries (a boolean array, like ``<``); a Tensor hashes by identity, so
    Tensors live in sets and dicts.

    >>> a = Tensor([1.0, 2.0, 3.0], requires_grad=True, label='a')
    >>> b = (a * a).sum()
    >>> b.backward()
    >>> b.item(), a.grad.tolist()
    (14.0, [2.0, 4.0, 6.0])
    """

    __slots__ = ("data", "grad", "requires_grad", "label", "_prev", "_op", "_ctx")
    __array_ufunc__ = None  # numpy defers to us: ndarray + Tensor calls Tensor.__radd__

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        label: str = "",
        *,
        dtype: Any = None,
        device: Optional[str] = None,
    ) -> None:
        if type(requires_grad) is not bool:
            raise TypeError(f"requires_grad must be True or False, got {type(requires_grad).__name__}")
        if type(label) is not str:
            raise TypeError(f"label must be a str, got {type(label).__name__}")
        check_device(device, "Tensor()")
        array = _as_array(data, copy=True)
        if dtype is not None:  # (astype of the fresh copy: no second copy when the dtype agrees)
            array = array.astype(float_dtype(dtype, "Tensor()"), copy=False)
        self.data: np.ndarray = array  # the numbers themselves
        self.grad: Optional[np.ndarray] = None  # dL/d(data), same shape, filled by backward()
        self.requires_grad = requires_grad  # should backward() compute a grad for it?
        self.label = label  # a name for drawings, e.g. 'W1'
        self._prev: Tuple[Tensor, ...] = ()  # the Tensors this one was computed from
        self._op = ""  # the operator that computed it ('' for a leaf)
        self._ctx: Any = None  # what backward needs besides the inputs

    @staticmethod
    def _result(data: np.ndarray, prev: Tuple["Tensor", ...], op: str, ctx: Any = None) -> "Tensor":
        """A new Tensor computed by ``op`` from ``prev``: it joins the graph (and requires
        grad) only if some input requires grad and gradients are enabled."""
        out = _new_tensor(Tensor)  # skips __init__: data is already a checked array
        # (numpy gives a 0-d result as a scalar, np.float64: a Tensor's data is always an array)
        out.data = data if type(data) is np.ndarray else np.asarray(data)
        out.grad = None
        out.label = ""
        if _grad_mode.enabled:
            for t in prev:
                if t.requires_grad:
                    out.requires_grad = True
                    out._prev, out._op, out._ctx = prev, op, ctx
                    return out
        out.requires_grad = False
        out._prev, out._op, out._ctx = (), "", None
        return out

    def _add_grad(self, g: np.ndarray, fresh: bool = True) -> None:
        """Accumulate one gradient contribution: ``self.grad += g``.

        The first contribution is stored as it is when it is ``fresh`` (a new array nobody
        else holds); otherwise it is copied, so no two tensors ever share a grad array and the
        in-place ``+=`` of a later contribution cannot change another tensor's grad.
        """
        if g.shape != self.data.shape:
            raise RuntimeError(
                f"internal error: gradient of shape {g.shape} for a tensor of "
                f"shape {self.data.shape} (op {self._op or 'leaf'!r})"
            )
        if self.grad is None:
            if g.dtype != self.data.dtype:
                self.grad = g.astype(self.data.dtype)  # astype copies: always fresh
            else:
                self.grad = g if fresh else g.copy()
        else:
            self.grad += g

    def _operand(self, x: object) -> "Tensor":
        """The other operand of an operator as a Tensor: numbers become constants of this
        tensor's dtype, arrays constant leaves; any other type gives NotImplemented, so
        Python raises a TypeError naming it."""
        if isinstance(x, Tensor):
            return x
        if isinstance(x, numbers.Real) and not isinstance(x, bool):
            return Tensor._result(np.asarray(x, dtype=self.data.dtype), (), "")
        if isinstance(x, np.ndarray):
            return Tensor._result(_as_array(x, copy=False), (), "")
        return NotImplemented

    # ***** the operators: plain functions from tensor_arithmetic.py, tensor_ops.py, ... *****
    # Each takes the tensor as its first argument, so binding it here makes it a method:
    # `a + b` calls arithmetic.add(a, b), `x.exp()` calls ops.exp(x).

    __add__, __radd__ = arithmetic.add, arithmetic.radd
    __sub__, __rsub__ = arithmetic.sub, arithmetic.rsub
    __mul__, __rmul__ = arithmetic.mul, arithmetic.rmul
    __truediv__, __rtruediv__ = arithmetic.div, arithmetic.rdiv
    __pow__, __rpow__ = arithmetic.pow, arithmetic.rpow
    __matmul__, __rmatmul__ = arithmetic.matmul, arithmetic.rmatmul
    __neg__ = arithmetic.neg
    pow, matmul = arithmetic.pow_method, arithmetic.matmul_method  # x.pow(2), x.matmul(W)

    exp, log, sqrt, sin, cos = ops.exp, ops.log, ops.sqrt, ops.sin, ops.cos
    tanh, sigmoid, relu, leaky_relu = ops.tanh, ops.sigmoid, ops.relu, ops.leaky_relu
    sum, mean, max = reduce.sum, reduce.mean, reduce.max
    var, std = reduce.var, reduce.std
    reshape, view, flatten = shaping.reshape, shaping.view, shaping.flatten
    unsqueeze, squeeze = shaping.unsqueeze, shaping.squeeze
    transpose, permute = shaping.transpose, shaping.permute
    T = property(shaping.T)
    __getitem__, clone = ops.getitem, ops.clone
    softmax, log_softmax = ops.softmax, ops.log_softmax
    conv2d, max_pool2d = conv.conv2d, pool.max_pool2d
    conv_transpose2d, avg_pool2d = conv.conv_transpose2d, pool.avg_pool2d
    abs, clip, clamp, min = select.abs, select.clip, select.clamp, select.min
    maximum, argmax, argmin = select.maximum, select.argmax, select.argmin
    __lt__, __le__, __gt__, __ge__ = select.lt, select.le, select.gt, select.ge
    __eq__ = select.eq  # type: ignore[assignment]  # entry by entry, as in numpy and PyTorch ...
    __ne__ = select.ne  # type: ignore[assignment]
    __hash__ = object.__hash__  # ... while hashing stays by identity: Tensors in sets and dicts

    # ***** making tensors, as in PyTorch: Tensor.zeros(2, 3), Tensor.arange(5), ... *****
    # (tensor_create.py and, for the ones made from other tensors, tensor_select.py and
    # tensor_shape.py; each gets the class to build as its first argument, `cls`)

    zeros, ones, full = classmethod(create.zeros), classmethod(create.ones), classmethod(create.full)
    zeros_like, ones_like = classmethod(create.zeros_like), classmethod(create.ones_like)
    arange, linspace, eye = classmethod(create.arange), classmethod(create.linspace), classmethod(create.eye)
    randn, rand, normal = classmethod(create.randn), classmethod(create.rand), classmethod(create.normal)
    where = classmethod(select.where)
    cat, stack = classmethod(shaping.cat), classmethod(shaping.stack)

    # ***** in-place updates: p -= lr * p.grad, inside no_grad() *****
    # (mypy cannot match these defs against the bound `__add__` &c above: hence the ignores)

    def __iadd__(self, other: arithmetic.Operand) -> "Tensor":  # type: ignore[misc]
        return self._in_place("+=", np.add, arithmetic.add, other)

    def __isub__(self, other: arithmetic.Operand) -> "Tensor":  # type: ignore[misc]
        return self._in_place("-=", np.subtract, arithmetic.sub, other)

    def __imul__(self, other: arithmetic.Operand) -> "Tensor":  # type: ignore[misc]
        return self._in_place("*=", np.multiply, arithmetic.mul, other)

    def __itruediv__(self, other: arithmetic.Operand) -> "Tensor":  # type: ignore[misc]
        return self._in_place("/=", np.divide, arithmetic.div, other)

    def _in_place(
        self, symbol: str, combine: Callable[..., Any], node: Callable[..., Any], other: Any
    ) -> Any:
        """``self <symbol> other`` (``combine`` on the arrays): change this tensor's numbers in
        place and return the tensor itself, the same object, when no graph needs the old ones:

        * a leaf that requires grad (a parameter), outside ``no_grad()``: RuntimeError, as in
          PyTorch (its graph would need the old numbers; updates belong in ``no_grad()``);
        * a computed node, or an update by a tensor that requires grad outside ``no_grad()``:
          ``t += x`` means ``t = t + x``, a new node (``node``), and the old tensor keeps its
          numbers, which its graph needs: ``total += loss`` in a loop builds the sum's graph;
        * anything else (inside ``no_grad()``, or nothing requires grad): in place.
        """
        operand = self._operand(other)
        if operand is NotImplemented:
            return NotImplemented  # Python then tries `self + other`, which names the type
        if self._prev or (is_grad_enabled() and operand.requires_grad and not self.requires_grad):
            return node(self, operand)
        self._check_in_place(symbol)
        try:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                combine(self.data, operand.data, out=self.data, casting="same_kind")
        except ValueError:
            raise ValueError(
                f"{symbol}: an operand of shape {operand.shape} cannot update a tensor of shape "
                f"{self.shape} in place (it must broadcast to {self.shape})"
            ) from None
        return self

    def _check_in_place(self, what: str) -> None:
        """PyTorch's rule: a leaf that requires grad changes in place only inside no_grad()."""
        if self.requires_grad and is_grad_enabled():
            raise RuntimeError(
                f"{what} would change a tensor that requires grad (a parameter) in place while "
                f"gradients are recorded: do the update inside `with no_grad():`, as in PyTorch"
            )

    def zero_(self) -> "Tensor":
        """Set every entry to 0, in place, and return the tensor (PyTorch's ``zero_``); for a
        parameter, inside ``no_grad()``, as for ``-=``.

        >>> w = Tensor([1.0, 2.0], requires_grad=True)
        >>> with no_grad():
        ...     _ = w.zero_()
        >>> w.tolist()
        [0.0, 0.0]
        """
        if self._prev:
            raise RuntimeError(
                "zero_() on a computed tensor: its graph needs its numbers; use Tensor.zeros_like(t)"
            )
        self._check_in_place("zero_()")
        self.data.fill(0.0)
        return self

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Make this leaf require grad (or not), in place, and return it (PyTorch's
        ``requires_grad_``). A computed node's flag follows from its inputs: it cannot be
        switched off.

        >>> Tensor([1.0]).requires_grad_().requires_grad
        True
        """
        if type(requires_grad) is not bool:
            raise TypeError(f"requires_grad must be True or False, got {type(requires_grad).__name__}")
        if self._prev and not requires_grad:
            raise RuntimeError(
                "requires_grad_(False) on a computed tensor: only leaves can stop requiring grad; "
                "use t.detach() for a copy outside the graph"
            )
        self.requires_grad = requires_grad
        return self

    # ***** properties and conversions *****

    @property
    def shape(self) -> Tuple[int, ...]:
        """The array's shape, e.g. (32, 64) for a batch of 32 inputs with 64 features."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """Number of dimensions (axes)."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        """numpy dtype of ``data``: float64, or float32."""
        return self.data.dtype

    def __len__(self) -> int:
        """``len(t)``: the size of the first axis, as for a numpy array (a 0-d tensor has none)."""
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor (it has no axes; use t.item() for its number)")
        return len(self.data)

    def __bool__(self) -> bool:
        # A Tensor is a graph node, always true, as it was before __len__ existed (Python
        # would otherwise ask len()). Test values with comparisons: `if (t > 0).all():`.
        return True

    def item(self) -> float:
        """The single number in a one-element tensor, as a Python float.

        >>> Tensor([[2.5]]).item()
        2.5
        """
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return float(self.data.reshape(-1)[0])

    def __float__(self) -> float:
        """``float(t)`` for a one-element tensor, as ``t.item()``."""
        return self.item()

    def __int__(self) -> int:
        """``int(t)`` for a one-element tensor: its number with the fraction cut off (toward 0).

        >>> int(Tensor([-2.7])), float(Tensor(2.5))
        (-2, 2.5)
        """
        return int(self.item())

    def size(self, dim: Optional[int] = None) -> Any:
        """The shape (a tuple), or the size of axis ``dim``: PyTorch's spelling of ``shape``.

        >>> t = Tensor(np.zeros((2, 3)))
        >>> t.size(), t.size(1), t.size(-1)
        ((2, 3), 3, 3)
        """
        if dim is None:
            return self.data.shape
        return self.data.shape[shaping.axis_index(dim, self.data.ndim, "size")]

    def numel(self) -> int:
        """The number of entries: 6 for shape (2, 3), 1 for a 0-d tensor."""
        return int(self.data.size)

    def dim(self) -> int:
        """The number of axes (``ndim``): 2 for a matrix."""
        return self.data.ndim

    def tolist(self) -> Any:
        """The numbers as (nested) Python lists; a 0-d tensor gives a float.

        >>> Tensor([[1.0, 2.0]]).tolist(), Tensor(3.0).tolist()
        ([[1.0, 2.0]], 3.0)
        """
        return self.data.tolist()

    def numpy(self) -> np.ndarray:
        """The data array itself (shared, not copied: changing it changes the tensor)."""
        return self.data

    def detach(self) -> "Tensor":
        """A new leaf with the same data (shared) and no graph: gradients stop here.

        >>> x = Tensor([1.0], requires_grad=True)
        >>> (x * 2).detach().requires_grad
        False
        """
        return Tensor._result(self.data, (), "")

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", threshold=24, precision=4)
        extra = ", dtype=float32" if self.data.dtype == np.float32 else ""
        extra += ", requires_grad=True" if self.requires_grad else ""
        extra += f", label={self.label!r}" if self.label else ""
        return f"Tensor({body}{extra})"

    # ***** backpropagation *****

    def backward(self, grad: Optional[Union["Tensor", np.ndarray, float]] = None) -> None:
        """Fill ``grad`` of every tensor with ``requires_grad=True`` that this one depends on.

        For a one-element output L, ``grad`` may be omitted (dL/dL = 1). For any other output
        y, pass ``grad`` = dL/dy, an array of y's shape (a vector-Jacobian product). Leaf
        gradients *accumulate*: call ``zero_grad()`` (or set ``p.grad = None``) between steps.
        Gradients of intermediate results are recomputed on every call.

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> y = x * x
        >>> y.backward(np.array([1.0, 10.0])); x.grad.tolist()
        [2.0, 40.0]
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): nothing in this graph requires grad, so there is no "
                "gradient to compute; create the parameters with "
                "Tensor(..., requires_grad=True), outside no_grad()"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient needs a one-element output, got "
                    f"shape {self.shape}; reduce it first (.sum() or .mean()) or pass "
                    f"backward(grad) with an array of shape {self.shape}"
                )
            seed = np.ones_like(self.data)
        else:
            seed = np.array(grad.data if isinstance(grad, Tensor) else grad, dtype=self.data.dtype)
            if seed.shape != self.shape:
                raise ValueError(
                    f"backward(grad): grad has shape {seed.shape} but the output has "
                    f"shape {self.shape}; they must be the same"
                )
        order = topological_order(self)
        for node in order:
            if node._prev:
                node.grad = None  # intermediate results: this pass's gradient only
        self._add_grad(seed)
        rules = BACKWARD_RULES
        for node in reversed(order):  # each node after every node that uses it
            if node._prev and node.grad is not None:
                rules[node._op](node, node.grad)  # adds dL/d(input) into each input's grad


_new_tensor = object.__new__

# The chain-rule step of every operator, looked up by the node's `_op`.
BACKWARD_RULES: Dict[str, Callable[[Tensor, np.ndarray], None]] = {
    **ARITHMETIC_BACKWARD_RULES,  # + - * / ** @ and neg (tensor_arithmetic.py)
    **OPS_BACKWARD_RULES,  # exp, log, sin, ..., indexing, clone, softmax (tensor_ops.py)
    **REDUCE_BACKWARD_RULES,  # sum, mean, var, std, max (tensor_reduce.py)
    **CONV_BACKWARD_RULES,  # conv2d, conv_transpose2d (tensor_conv.py)
    **POOL_BACKWARD_RULES,  # max_pool2d, avg_pool2d, upsample_nearest2d (tensor_pool.py)
    **NORM_BACKWARD_RULES,  # batch_norm (tensor_norm.py)
    **SELECT_BACKWARD_RULES,  # abs, clip, min, maximum, where (tensor_select.py)
    **SHAPE_BACKWARD_RULES,  # reshape, transpose, cat, stack (tensor_shape.py)
}
