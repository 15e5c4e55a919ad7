"""The scalar engine: a ``Value`` is one number that remembers how it was computed.

The neuron equation y = phi(w . x + b) becomes a small graph of Values. Each operator below
does two things, side by side:

* the **forward** method computes the result and records its inputs (``_prev``) and the
  operator's name (``_op``);
* the **backward rule** right under it applies one chain-rule step: given dL/d(out) in
  ``out.grad`` it adds d(out)/d(input) * dL/d(out) into every ``input.grad``.

A plain number in an expression (the 2 in ``a * 2``) is a constant, not a graph input: it is
kept on the node (``_ctx``), so ``(a * 2)._prev == (a,)``, and the drawing shows the op as
``* 2``. (micrograd wraps such numbers in Values of their own; keeping them on the node
leaves fewer objects for Python's garbage collector to scan while a big graph is built.)
The op names are micrograd's: ``a * b`` and ``a * 2`` are both ``'*'``, ``a**2`` is ``'**2'``.

``backward()`` visits the nodes from the output back to the leaves and looks each node's rule
up in ``BACKWARD_RULES`` by ``_op``; ``node._backward()`` applies one node's rule, as in
micrograd (for backpropagating by hand, node by node). Nodes keep no closures, so a finished
graph holds no reference cycles and is freed by reference counting the moment the last name
for it is gone.

Arithmetic follows IEEE 754 like numpy and PyTorch: 1/0 is inf, log(0) is -inf, and nan flows
through every operation instead of raising.

>>> x, w, b = Value(2.0, label='x'), Value(-3.0, label='w'), Value(6.5, label='b')
>>> y = (w * x + b).tanh()
>>> y.backward()
>>> round(y.data, 4), round(w.grad, 4)
(0.4621, 1.5729)
"""

from __future__ import annotations

import math
import numbers
from typing import Callable, Dict, Optional, Tuple, Union

from .graph import topological_order

Number = Union[int, float]
_INF = math.inf
_NAN = math.nan


def _as_float(data: object) -> float:
    """Convert a number for a Value (ints, numpy scalars); reject everything else by type."""
    if isinstance(data, numbers.Real) and not isinstance(data, bool):
        return float(data)
    hint = " (convert it with float(...) first)" if isinstance(data, str) else ""
    raise TypeError(f"Value() takes a number (float, int or numpy scalar), got {type(data).__name__}{hint}")


class Value:
    """One scalar in a computation graph: ``data`` (its value) and ``grad`` (dL/d this value).

    >>> a = Value(3.0, label='a')
    >>> b = a * a + 1
    >>> b.backward()
    >>> b.data, a.grad
    (10.0, 6.0)
    """

    __slots__ = ("data", "grad", "label", "_prev", "_op", "_ctx")
    __array_ufunc__ = None  # numpy defers to us: np.float64(2) * v calls v.__rmul__

    def __init__(
        self,
        data: Number,
        label: str = "",
        _prev: Tuple["Value", ...] = (),
        _op: str = "",
        _ctx: Optional[float] = None,
    ) -> None:
        if type(data) is not float:
            data = _as_float(data)
        if type(label) is not str:
            raise TypeError(f"label must be a str, got {type(label).__name__}")
        self.data = data  # the number itself
        self.grad = 0.0  # dL/d(this value), filled in by backward()
        self.label = label  # a name for drawings, e.g. 'w1'
        self._prev = _prev  # the Values this one was computed from
        self._op = _op  # the operator that computed it ('' for a leaf)
        self._ctx = _ctx  # a constant backward needs: the 2 in a * 2, an exponent, a slope

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # ***** addition, subtraction, negation *****
    # A plain number in an operation is a constant: it is kept on the node (in _ctx) rather
    # than wrapped in a Value of its own, since nothing needs its gradient. So a * 2 has one
    # input, a, and a * b has two.

    def __add__(self, other: Union["Value", Number]) -> "Value":
        if type(other) is Value:
            return Value(self.data + other.data, "", (self, other), "+")
        c = _constant(other)
        if c is None:
            return NotImplemented  # Python then raises a TypeError naming both types
        return Value(self.data + c, "", (self,), "+", c)

    def _add_backward(out: "Value") -> None:
        # d(a+b)/da = 1 and d(a+b)/db = 1: the gradient flows through unchanged
        # (a + c with a constant c has the one input a: d(a+c)/da = 1)
        for x in out._prev:
            x.grad += out.grad

    def __sub__(self, other: Union["Value", Number]) -> "Value":
        if type(other) is Value:
            return Value(self.data - other.data, "", (self, other), "-")
        c = _constant(other)
        if c is None:
            return NotImplemented
        return Value(self.data - c, "", (self,), "+", -c)  # a - c is a + (-c), exactly

    def _sub_backward(out: "Value") -> None:
        # d(a-b)/da = 1, d(a-b)/db = -1
        a, b = out._prev
        a.grad += out.grad
        b.grad -= out.grad

    def __neg__(self) -> "Value":
        return Value(-self.data, "", (self,), "neg")

    def _neg_backward(out: "Value") -> None:
        # d(-a)/da = -1
        out._prev[0].grad -= out.grad

    # ***** multiplication, division, powers *****

    def __mul__(self, other: Union["Value", Number]) -> "Value":
        if type(other) is Value:
            return Value(self.data * other.data, "", (self, other), "*")
        c = _constant(other)
        if c is None:
            return NotImplemented
        return Value(self.data * c, "", (self,), "*", c)

    def _mul_backward(out: "Value") -> None:
        # d(a*b)/da = b and d(a*b)/db = a: each input gets the other one's value
        # (a * c with a constant c, kept in out._ctx: d(a*c)/da = c)
        c = out._ctx
        if c is not None:
            out._prev[0].grad += c * out.grad
            return
        a, b = out._prev
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad

    def __truediv__(self, other: Union["Value", Number]) -> "Value":
        if type(other) is Value:
            return Value(_divide(self.data, other.data), "", (self, other), "/")
        c = _constant(other)
        if c is None:
            return NotImplemented
        return Value(_divide(self.data, c), "", (self,), "/", c)

    def _div_backward(out: "Value") -> None:
        # d(a/b)/da = 1/b and d(a/b)/db = -a/b**2 = -(a/b)/b
        # (a / c with a constant c, kept in out._ctx: d(a/c)/da = 1/c)
        c = out._ctx
        if c is not None:
            out._prev[0].grad += _divide(out.grad, c)
            return
        a, b = out._prev
        a.grad += _divide(out.grad, b.data)
        b.grad -= _divide(out.data * out.grad, b.data)

    def __pow__(self, exponent: Union["Value", Number]) -> "Value":
        if type(exponent) is Value:  # a ** b: both base and exponent get gradients
            return Value(_power(self.data, exponent.data), "", (self, exponent), "pow")
        k = _constant(exponent)
        if k is None:
            return NotImplemented
        return Value(_power(self.data, k), "", (self,), f"**{k:g}", k)  # micrograd's "**2"

    def _pow_const_backward(out: "Value") -> None:
        # d(a**k)/da = k * a**(k-1)   (k is a plain number, kept in out._ctx; the op is "**k")
        a, k = out._prev[0], out._ctx
        assert k is not None  # (every node of an op with a constant keeps it; so below)
        if k != 0.0:  # a**0 is the constant 1: no gradient, even at a = 0
            a.grad += k * _power(a.data, k - 1.0) * out.grad

    def _pow_backward(out: "Value") -> None:
        # d(a**b)/da = b * a**(b-1) and d(a**b)/db = a**b * ln(a)
        a, b = out._prev
        if b.data != 0.0:
            a.grad += b.data * _power(a.data, b.data - 1.0) * out.grad
        if not (a.data == 0.0 and b.data >= 0.0):  # 0**b is flat in b for b >= 0 (as in PyTorch)
            b.grad += out.data * _log(a.data) * out.grad

    # reflected operators, number on the left: 2 + a, 2 - a, 2 * a, 2 / a, 2 ** a
    def __radd__(self, other: Number) -> "Value":
        return self + other

    def __rsub__(self, other: Number) -> "Value":
        c = _constant(other)
        return NotImplemented if c is None else (-self) + c  # c - a = (-a) + c

    def __rmul__(self, other: Number) -> "Value":
        return self * other

    def __rtruediv__(self, other: Number) -> "Value":
        c = _constant(other)
        return NotImplemented if c is None else self**-1.0 * c  # c / a = a**-1 * c

    def __rpow__(self, other: Number) -> "Value":
        c = _constant(other)
        return NotImplemented if c is None else Value(c) ** self  # the base, as a leaf Value

    # ***** exp and log *****

    def exp(self) -> "Value":
        """e ** x; overflows to inf for x > ~709.

        >>> Value(0.0).exp().data
        1.0
        """
        return Value(_exp(self.data), "", (self,), "exp")

    def _exp_backward(out: "Value") -> None:
        # d(e**a)/da = e**a, which is the output itself
        out._prev[0].grad += out.data * out.grad

    def log(self) -> "Value":
        """Natural logarithm; log(0) = -inf, log(negative) = nan.

        >>> Value(1.0).log().data
        0.0
        """
        return Value(_log(self.data), "", (self,), "log")

    def _log_backward(out: "Value") -> None:
        # d(ln a)/da = 1/a
        a = out._prev[0]
        a.grad += _divide(out.grad, a.data)

    # ***** activation functions: phi in y = phi(w . x + b) *****

    def tanh(self) -> "Value":
        """Hyperbolic tangent, squashing into (-1, 1); saturates quietly for large |x|.

        >>> Value(0.0).tanh().data
        0.0
        """
        return Value(math.tanh(self.data), "", (self,), "tanh")

    def _tanh_backward(out: "Value") -> None:
        # d(tanh a)/da = 1 - tanh(a)**2, computed from the output t
        t = out.data
        out._prev[0].grad += (1.0 - t * t) * out.grad

    def sigmoid(self) -> "Value":
        """The logistic function 1 / (1 + e**-x), squashing into (0, 1).

        >>> Value(0.0).sigmoid().data
        0.5
        """
        return Value(_sigmoid(self.data), "", (self,), "sigmoid")

    def _sigmoid_backward(out: "Value") -> None:
        # d(sigmoid a)/da = s * (1 - s), computed from the output s
        s = out.data
        out._prev[0].grad += s * (1.0 - s) * out.grad

    def relu(self) -> "Value":
        """max(0, x): the rectified linear unit (nan stays nan).

        >>> Value(-2.0).relu().data, Value(3.0).relu().data
        (0.0, 3.0)
        """
        x = self.data
        return Value(0.0 if x <= 0.0 else x, "", (self,), "relu")

    def _relu_backward(out: "Value") -> None:
        # d(relu a)/da = 1 where a > 0, else 0 (we take 0 at a = 0, as PyTorch does)
        a = out._prev[0]
        if not a.data <= 0.0:
            a.grad += out.grad

    def leaky_relu(self, slope: float = 0.01) -> "Value":
        """x for x > 0, else slope * x: a ReLU that lets a little gradient through.

        >>> Value(-2.0).leaky_relu(0.1).data
        -0.2
        """
        k = _constant(slope)
        if k is None:
            raise TypeError(f"leaky_relu slope must be a number, got {type(slope).__name__}")
        x = self.data
        return Value(x if x > 0.0 else k * x, "", (self,), "leaky_relu", k)

    def _leaky_relu_backward(out: "Value") -> None:
        # d/da = 1 where a > 0, else the slope (kept in out._ctx)
        a, slope = out._prev[0], out._ctx
        assert slope is not None
        a.grad += out.grad if a.data > 0.0 else slope * out.grad

    # ***** backpropagation *****

    def _backward(self) -> None:
        """Apply this node's chain-rule step once: add d(self)/d(input) * ``self.grad`` into
        each input's grad (a leaf has no inputs: nothing happens). ``backward()`` does this for
        every node, in order; by hand it reads as in micrograd's lecture:

        >>> a, b = Value(2.0, label='a'), Value(-3.0, label='b')
        >>> c = a * b; c.grad = 1.0
        >>> c._backward(); a.grad, b.grad
        (-3.0, 2.0)
        """
        if self._prev:
            BACKWARD_RULES[self._op](self)

    def backward(self) -> None:
        """Fill ``grad`` of every Value this one depends on with dL/d(that Value), L = self.

        Sets ``self.grad = 1.0`` (dL/dL), then applies the chain rule node by node from the
        output back to the leaves. Gradients *accumulate*: call ``zero_grad`` (or set
        ``p.grad = 0.0``) between steps, as in micrograd and PyTorch.

        >>> a = Value(2.0); b = a * 3 + a
        >>> b.backward(); a.grad
        4.0
        """
        order = topological_order(self)
        self.grad = 1.0
        rules = BACKWARD_RULES
        for node in reversed(order):
            if node._prev:  # leaves have nothing to pass the gradient on to
                rules[node._op](node)


class _Rules(Dict[str, Callable[[Value], None]]):
    """The rules by op name; every ``'**k'`` (``'**2'``, ``'**-1'``, ``'**0.5'``: a power with
    a constant exponent k, micrograd's name) finds the one rule for ``'**'``."""

    def __missing__(self, op: str) -> Callable[[Value], None]:
        if op.startswith("**"):
            return self["**"]
        raise KeyError(op)


# The chain-rule step of every operator, looked up by the node's `_op`.
# fmt: off
BACKWARD_RULES: Dict[str, Callable[[Value], None]] = _Rules({
    "+": Value._add_backward, "-": Value._sub_backward, "neg": Value._neg_backward,
    "*": Value._mul_backward, "/": Value._div_backward,
    "**": Value._pow_const_backward, "pow": Value._pow_backward,
    "exp": Value._exp_backward, "log": Value._log_backward,
    "tanh": Value._tanh_backward, "sigmoid": Value._sigmoid_backward,
    "relu": Value._relu_backward, "leaky_relu": Value._leaky_relu_backward,
})
# fmt: on


def _constant(x: object) -> Optional[float]:
    """A plain-number operand as a float; None for a type we do not handle (the operator
    then returns NotImplemented). A string is refused at once, by name."""
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return float(x)
    if isinstance(x, str):
        raise TypeError(f"cannot use a str ({x!r}) as a number with a Value: convert it with float(...)")
    return None


# ***** IEEE-754 arithmetic helpers (Python's float ops raise where numpy/PyTorch return inf/nan) *****


def _divide(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:  # x/0 is +-inf, 0/0 and nan/0 are nan
        if a == 0.0 or a != a:
            return _NAN
        return math.copysign(_INF, a) * math.copysign(1.0, b)


def _power(a: float, k: float) -> float:
    try:
        return math.pow(a, k)
    except OverflowError:  # |a|**k too large: +-inf (negative only for an odd integer k)
        odd = k.is_integer() and int(k) % 2 == 1
        return -_INF if (a < 0.0 and odd) else _INF
    except ValueError:  # 0**negative is inf (-inf for -0.0 and odd k); negative**fraction is nan
        if a == 0.0:
            odd = k.is_integer() and int(k) % 2 == 1
            return math.copysign(_INF, a) if odd else _INF
        return _NAN


def _exp(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        return _INF


def _log(a: float) -> float:
    if a > 0.0 or a != a:
        return math.log(a)  # (inf and nan pass through)
    return -_INF if a == 0.0 else _NAN


def _sigmoid(a: float) -> float:
    # stable form: only ever exponentiate a non-positive number, so nothing overflows
    if a >= 0.0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)  # also the path for nan, which stays nan
    return e / (1.0 + e)
