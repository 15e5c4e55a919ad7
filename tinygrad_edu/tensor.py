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

* tensor.py (this file): what a Tensor holds, making one (zeros, ones, randn), how results
  join the graph, backward();
* tensor_arithmetic.py: ``+ - * / ** @`` with broadcasting, and ``unbroadcast``;
* tensor_ops.py: exp, log, tanh, relu, ..., sum/mean/max, reshape, indexing, softmax;
* tensor_conv.py: conv2d and max_pool2d on NCHW images;
* tensor_select.py: abs, clip, min, argmax/argmin, comparisons ``< <= > >=``, where;
* tensor_shape.py: cat, stack, flatten.

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
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import tensor_arithmetic as arithmetic
from . import tensor_conv as conv
from . import tensor_ops as ops
from . import tensor_select as select
from . import tensor_shape as shaping
from .graph import add_finished_terms, collecting_terms, topological_order
from .tensor_arithmetic import ARITHMETIC_BACKWARD_RULES, unbroadcast
from .tensor_conv import CONV_BACKWARD_RULES
from .tensor_ops import OPS_BACKWARD_RULES
from .tensor_select import SELECT_BACKWARD_RULES
from .tensor_shape import SHAPE_BACKWARD_RULES

__all__ = ["Tensor", "no_grad", "is_grad_enabled", "unbroadcast", "BACKWARD_RULES"]


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

    ``data`` is a float64 ndarray (float32 if float32 data is given; the Tensor keeps its own
    copy). ``grad`` stays None until a backward pass reaches the tensor.

    >>> a = Tensor([1.0, 2.0, 3.0], requires_grad=True, label='a')
    >>> b = (a * a).sum()
    >>> b.backward()
    >>> b.item(), a.grad.tolist()
    (14.0, [2.0, 4.0, 6.0])
    """

    __slots__ = ("data", "grad", "requires_grad", "label", "_prev", "_op", "_ctx")
    __array_ufunc__ = None  # numpy defers to us: ndarray + Tensor calls Tensor.__radd__

    def __init__(self, data: Any, requires_grad: bool = False, label: str = "") -> None:
        if type(requires_grad) is not bool:
            raise TypeError(f"requires_grad must be True or False, got {type(requires_grad).__name__}")
        if type(label) is not str:
            raise TypeError(f"label must be a str, got {type(label).__name__}")
        self.data: np.ndarray = _as_array(data, copy=True)  # the numbers themselves
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
        out.data = data
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

    # ***** the operators: plain functions from tensor_arithmetic.py and tensor_ops.py *****
    # Each takes the tensor as its first argument, so binding it here makes it a method:
    # `a + b` calls arithmetic.add(a, b), `x.exp()` calls ops.exp(x).

    __add__, __radd__ = arithmetic.add, arithmetic.radd
    __sub__, __rsub__ = arithmetic.sub, arithmetic.rsub
    __mul__, __rmul__ = arithmetic.mul, arithmetic.rmul
    __truediv__, __rtruediv__ = arithmetic.div, arithmetic.rdiv
    __pow__, __rpow__ = arithmetic.pow, arithmetic.rpow
    __matmul__, __rmatmul__ = arithmetic.matmul, arithmetic.rmatmul
    __neg__ = arithmetic.neg

    exp, log, sqrt = ops.exp, ops.log, ops.sqrt
    tanh, sigmoid, relu, leaky_relu = ops.tanh, ops.sigmoid, ops.relu, ops.leaky_relu
    sum, mean, max = ops.sum, ops.mean, ops.max
    reshape, transpose = ops.reshape, ops.transpose
    T = property(ops.T)
    __getitem__ = ops.getitem
    softmax, log_softmax = ops.softmax, ops.log_softmax
    conv2d, max_pool2d = conv.conv2d, conv.max_pool2d
    abs, clip, min = select.abs, select.clip, select.min
    argmax, argmin = select.argmax, select.argmin
    __lt__, __le__, __gt__, __ge__ = select.lt, select.le, select.gt, select.ge  # (no ==, see there)
    where = staticmethod(select.where)
    cat, stack = staticmethod(shaping.cat), staticmethod(shaping.stack)
    flatten = shaping.flatten

    # ***** making tensors, as in PyTorch: Tensor.zeros(2, 3) or Tensor.zeros((2, 3)) *****

    @staticmethod
    def zeros(*shape: Union[int, Sequence[int]], requires_grad: bool = False) -> "Tensor":
        """A float64 tensor of zeros of the given shape.

        >>> Tensor.zeros(2, 3).shape, Tensor.zeros((2,)).data.tolist()
        ((2, 3), [0.0, 0.0])
        """
        return Tensor(np.zeros(_shape_arg(shape, "zeros")), requires_grad=requires_grad)

    @staticmethod
    def ones(*shape: Union[int, Sequence[int]], requires_grad: bool = False) -> "Tensor":
        """A float64 tensor of ones of the given shape.

        >>> Tensor.ones(2).data.tolist()
        [1.0, 1.0]
        """
        return Tensor(np.ones(_shape_arg(shape, "ones")), requires_grad=requires_grad)

    @staticmethod
    def randn(
        *shape: Union[int, Sequence[int]], requires_grad: bool = False, rng: RandomSource = None
    ) -> "Tensor":
        """A float64 tensor of samples from the standard normal distribution N(0, 1).

        ``rng`` is an int seed or a ``numpy.random.Generator``; without it numpy's global
        random state is used (``np.random.seed(0)`` makes that repeatable).

        >>> Tensor.randn(2, 3, rng=0).shape
        (2, 3)
        >>> np.array_equal(Tensor.randn(3, rng=7).data, Tensor.randn(3, rng=7).data)
        True
        """
        data = random_source(rng, "Tensor.randn").standard_normal(_shape_arg(shape, "randn"))
        return Tensor(data, requires_grad=requires_grad)

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
        with collecting_terms() as terms_left:
            for node in reversed(order):  # each node after every node that uses it
                if node._prev and node.grad is not None:
                    rules[node._op](node, node.grad)  # adds dL/d(input) into each input's grad
        add_finished_terms(terms_left)  # the sums some rules left for the end (graph.py)


_new_tensor = object.__new__

RandomSource = Union[None, int, np.random.Generator]  # an int seed, a Generator, or None


def random_source(rng: RandomSource, who: str) -> Any:
    """Where random numbers come from, for ``Tensor.randn`` and the layers' ``rng=``: a Generator
    as it is, a new Generator seeded with an int, or numpy's global generator (``np.random``,
    which ``np.random.seed`` makes repeatable) for None. All three have ``.uniform``,
    ``.random`` and ``.standard_normal``.

    >>> random_source(0, "demo").uniform() == random_source(0, "demo").uniform()
    True
    """
    if rng is None:
        return np.random
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"{who}: an rng seed must be >= 0, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{who}: rng must be an int seed, a numpy.random.Generator or None, got {type(rng).__name__}"
    )


def _shape_arg(args: Tuple[Union[int, Sequence[int]], ...], name: str) -> Tuple[int, ...]:
    """The shape given to a constructor, ``(2, 3)`` or ``((2, 3),)``, checked: ints >= 0."""
    sizes = ops.as_int_tuple(args)
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"Tensor.{name}: a shape holds ints, got {type(n).__name__} {n!r}")
        if n < 0:
            raise ValueError(f"Tensor.{name}: sizes cannot be negative, got shape {sizes}")
    return tuple(int(n) for n in sizes)


# The chain-rule step of every operator, looked up by the node's `_op`.
BACKWARD_RULES: Dict[str, Callable[[Tensor, np.ndarray], None]] = {
    **ARITHMETIC_BACKWARD_RULES,  # + - * / ** @ and neg (tensor_arithmetic.py)
    **OPS_BACKWARD_RULES,  # exp, log, ..., sum, max, reshape, indexing, softmax (tensor_ops.py)
    **CONV_BACKWARD_RULES,  # conv2d, max_pool2d (tensor_conv.py)
    **SELECT_BACKWARD_RULES,  # abs, clip, min, where (tensor_select.py)
    **SHAPE_BACKWARD_RULES,  # cat, stack (tensor_shape.py)
}
