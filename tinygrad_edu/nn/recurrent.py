"""Recurrent cells, the teaching path: ``RNNCell``, ``LSTMCell``, ``GRUCell``, one graph node per step.

A recurrent network feeds its own output back in: the hidden state h it computed at step t
is an input of step t + 1. The *cell* is that one step; a sequence is a plain Python loop
that calls it once per time step. The loop unrolls the feedback into an ordinary (deep)
graph, so ``backward()`` on a loss at the end is backpropagation through time (BPTT): the
gradient flows back through every step, into the same weights each time, and the
contributions of all steps add up in their grads. ``backward_steps`` and ``play`` show each
step's contribution on its own.

Each cell step is ONE fused node (ops ``rnn_cell``, ``lstm_cell``, ``gru_cell``), not a dozen
Tensor ops: its backward rule below writes out every gate's derivative in one place, so the
whole step's chain rule reads top to bottom (and a loop runs several times faster than the
same step composed of matmuls, slices, sigmoids and products). An LSTM step has two
outputs, h' and c': its node holds both, packed as (2, batch, hidden), and ``part`` nodes
hand out h' = packed[0] and c' = packed[1]. Each output owns its array: nothing here is
shared between steps. For a whole sequence in one node, see ``nn.RNN``/``nn.LSTM``/``nn.GRU``.

>>> from tinygrad_edu import Tensor
>>> cell = RNNCell(3, 5, rng=0)
>>> xs = [Tensor(np.ones((2, 3))) for _ in range(4)]   # 4 time steps, batch 2, 3 features
>>> h = None                                           # h_0 = 0
>>> for x in xs:
...     h = cell(x, h)
>>> h.sum().backward()                                 # BPTT through all 4 steps
>>> h.shape, cell.weight_hh.grad.shape
((2, 5), (5, 5))
"""

from __future__ import annotations

import math
from typing import Any, Optional, Tuple, Union

import numpy as np

from ..tensor import BACKWARD_RULES, RandomSource, Tensor, random_source
from .layers import _as_tensor, _check_size
from .module import Module

NONLINEARITIES = ("tanh", "relu")
Weights = Tuple[Tensor, ...]  # (W_ih, W_hh) or (W_ih, W_hh, b_ih, b_hh)
ArrayLike = Union[Tensor, np.ndarray]


# ***** part: one piece of a node with several outputs *****


def part(t: Tensor, index: Any) -> Tensor:
    """``t.data[index]`` for a basic index (ints and slices, no entry twice) as a node (op ``part``).

    How a node with several outputs hands them out: an LSTM step's (2, batch, hidden) holds
    h' and c'; a sequence node's (T, batch, hidden) holds every step's h. Its rule puts g
    back where the piece came from (a plain assignment: a basic index picks no entry twice).

    >>> p = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> part(p, 1).sum().backward(); p.grad.tolist()
    [[0.0, 0.0], [1.0, 1.0]]
    """
    return Tensor._result(t.data[index], (t,), "part", index)


def _part_backward(out: Tensor, g: np.ndarray) -> None:
    # dL/dt = g in the piece that was taken, 0 elsewhere
    whole = np.zeros_like(out._prev[0].data)
    whole[out._ctx] = g
    out._prev[0]._add_grad(whole)


# ***** the Elman step *****


def rnn_cell(x: Tensor, h: Tensor, weights: Weights, nonlinearity: str = "tanh") -> Tensor:
    """One Elman step, h' = phi(x W_ih^T + b_ih + h W_hh^T + b_hh), as ONE node (op ``rnn_cell``).

    ``x`` (batch, input), ``h`` (batch, hidden), ``weights`` = (W_ih (hidden, input), W_hh
    (hidden, hidden)[, b_ih, b_hh (hidden,)]); phi is tanh or relu. Shapes are checked by
    ``RNNCell``, not here.

    >>> one = Tensor(np.ones((1, 1)), requires_grad=True)
    >>> y = rnn_cell(Tensor([[2.0]]), Tensor([[0.0]]), (one, one))
    >>> y.backward(np.ones((1, 1)))
    >>> round(y.item(), 4), round(one.grad.item(), 4)   # tanh(2), (1 - tanh(2)**2) * 2
    (0.964, 0.1413)
    """
    a = x.data.dot(weights[0].data.T)  # (batch, input) @ (input, hidden) -> (batch, hidden)
    a += h.data.dot(weights[1].data.T)  # (batch, hidden) @ (hidden, hidden)
    if len(weights) == 4:
        a += weights[2].data + weights[3].data  # (hidden,): the same biases for every row
    if nonlinearity == "tanh":
        np.tanh(a, out=a)  # h' = tanh(a): a itself is not needed by backward
    else:
        np.maximum(a, 0.0, out=a)  # h' = relu(a)
    return Tensor._result(a, (x, h, *weights), "rnn_cell", nonlinearity)


def _phi_slope(h_new: np.ndarray, nonlinearity: str) -> np.ndarray:
    """phi'(a) from h' = phi(a): tanh' = 1 - h'^2; relu' = 1 where h' > 0, else 0."""
    if nonlinearity == "tanh":
        return 1.0 - h_new * h_new
    return (h_new > 0.0).astype(h_new.dtype)


def _rnn_cell_backward(out: Tensor, g: np.ndarray) -> None:
    # h' = phi(a), a = x W_ih^T + b_ih + h W_hh^T + b_hh, g = dL/dh' (batch, hidden):
    #   g_a      = dL/da = g * phi'(a)
    #   dL/dx    = g_a W_ih     (batch, hidden) @ (hidden, input)
    #   dL/dh    = g_a W_hh     (batch, hidden) @ (hidden, hidden)
    #   dL/dW_ih = g_a^T x,  dL/dW_hh = g_a^T h,  dL/db_ih = dL/db_hh = column sums of g_a
    x, h, *weights = out._prev
    g_a = g * _phi_slope(out.data, out._ctx)
    _add_input_grads(x, h, weights, g_a, g_a)


def _add_input_grads(x: Tensor, h: Tensor, weights: Any, g_x: np.ndarray, g_h: np.ndarray) -> None:
    """The end of every cell's rule: the pre-activations x W_ih^T + b_ih (gradient ``g_x``)
    and h W_hh^T + b_hh (gradient ``g_h``), both (batch, gates*hidden), pass it on:
    dL/dx = g_x W_ih, dL/dh = g_h W_hh, dL/dW_ih = g_x^T x, dL/dW_hh = g_h^T h, and the
    biases get the column sums."""
    W_ih, W_hh = weights[0], weights[1]
    if x.requires_grad:
        x._add_grad(g_x.dot(W_ih.data))  # (batch, G) @ (G, input)
    if h.requires_grad:
        h._add_grad(g_h.dot(W_hh.data))  # (batch, G) @ (G, hidden)
    if W_ih.requires_grad:
        W_ih._add_grad(g_x.T.dot(x.data))  # (G, batch) @ (batch, input)
    if W_hh.requires_grad:
        W_hh._add_grad(g_h.T.dot(h.data))  # (G, batch) @ (batch, hidden)
    if len(weights) == 4:
        for bias, g_pre in ((weights[2], g_x), (weights[3], g_h)):
            if bias.requires_grad:
                bias._add_grad(g_pre.sum(axis=0))  # (batch, G) -> (G,)


# ***** the LSTM step (gate rows i, f, g, o, as PyTorch) *****


def _sigmoid(a: np.ndarray) -> np.ndarray:
    """sigmoid(a) = 1 / (1 + exp(-a)), a new array. For a < -709, exp(-a) overflows to inf and
    1 / inf = 0 is the right value, so that warning is silenced. (One exp costs about a third
    of a tanh here, and the gates are most of a cell's elementwise work.)"""
    with np.errstate(over="ignore"):
        s = np.exp(-a)
    s += 1.0
    return np.reciprocal(s, out=s)


def lstm_cell(x: Tensor, h: Tensor, c: Tensor, weights: Weights) -> Tensor:
    """One LSTM step as ONE node (op ``lstm_cell``) whose data is (2, batch, hidden): [h', c'].

    a = x W_ih^T + b_ih + h W_hh^T + b_hh splits into the gates' pre-activations (rows i, f,
    g, o); i, f, o = sigmoid, g = tanh; c' = f * c + i * g; h' = o * tanh(c').

    >>> w = Tensor(np.zeros((4, 1)))
    >>> hc = lstm_cell(Tensor([[1.0]]), Tensor([[0.0]]), Tensor([[2.0]]), (w, w))
    >>> hc.data[:, 0, 0].round(4).tolist()   # all gates 0.5, g = 0: c' = 0.5 * 2, h' = 0.5 * tanh(1)
    [0.3808, 1.0]
    """
    a = x.data.dot(weights[0].data.T)  # (batch, input) @ (input, 4*hidden) -> (batch, 4*hidden)
    a += h.data.dot(weights[1].data.T)  # (batch, hidden) @ (hidden, 4*hidden)
    if len(weights) == 4:
        a += weights[2].data + weights[3].data
    n = h.data.shape[1]
    gates = _sigmoid(a)  # i, f, o: sigmoid; (batch, 4*hidden)
    gates[:, 2 * n : 3 * n] = np.tanh(a[:, 2 * n : 3 * n])  # g: tanh
    i, f, g, o = gates[:, :n], gates[:, n : 2 * n], gates[:, 2 * n : 3 * n], gates[:, 3 * n :]
    out = np.empty((2,) + h.data.shape, dtype=a.dtype)  # (2, batch, hidden)
    c_new = out[1]
    np.multiply(f, c.data, out=c_new)
    c_new += i * g  # c' = f * c + i * g
    tanh_c = np.tanh(c_new)
    np.multiply(o, tanh_c, out=out[0])  # h' = o * tanh(c')
    return Tensor._result(out, (x, h, c, *weights), "lstm_cell", (gates, tanh_c))


def _lstm_cell_backward(out: Tensor, g: np.ndarray) -> None:
    # g = [dL/dh', dL/dc'], each (batch, hidden). From h' = o tanh(c') and c' = f c + i g:
    #   dc    = dL/dc' + dL/dh' * o * (1 - tanh(c')^2)        (c' reaches L directly and through h')
    #   da_i  = dc * g * i (1 - i)          da_f = dc * c * f (1 - f)
    #   da_g  = dc * i * (1 - g^2)          da_o = dL/dh' * tanh(c') * o (1 - o)
    #   dL/dc = dc * f; then x, h and the weights as in every cell (_add_input_grads, with da)
    x, h, c, *weights = out._prev
    gates, tanh_c = out._ctx
    n = h.data.shape[1]
    i, f, g_gate, o = gates[:, :n], gates[:, n : 2 * n], gates[:, 2 * n : 3 * n], gates[:, 3 * n :]
    g_h, g_c = g[0], g[1]
    dc = g_c + g_h * o * (1.0 - tanh_c * tanh_c)
    da = np.empty_like(gates)  # (batch, 4*hidden)
    da[:, :n] = dc * g_gate * i * (1.0 - i)
    da[:, n : 2 * n] = dc * c.data * f * (1.0 - f)
    da[:, 2 * n : 3 * n] = dc * i * (1.0 - g_gate * g_gate)
    da[:, 3 * n :] = g_h * tanh_c * o * (1.0 - o)
    if c.requires_grad:
        c._add_grad(dc * f)
    _add_input_grads(x, h, weights, da, da)


# ***** the GRU step (gate rows r, z, n, as PyTorch) *****


def gru_cell(x: Tensor, h: Tensor, weights: Weights) -> Tensor:
    """One GRU step as ONE node (op ``gru_cell``):
    r = sigmoid(x_r + h_r), z = sigmoid(x_z + h_z), n = tanh(x_n + r * h_n), h' = (1 - z) n + z h,
    where x_* are the rows of x W_ih^T + b_ih and h_* those of h W_hh^T + b_hh.

    >>> w = Tensor(np.zeros((3, 1)))
    >>> round(gru_cell(Tensor([[1.0]]), Tensor([[2.0]]), (w, w)).item(), 4)   # z = 0.5, n = 0: h' = h / 2
    1.0
    """
    xa = x.data.dot(weights[0].data.T)  # (batch, input) @ (input, 3*hidden)
    ha = h.data.dot(weights[1].data.T)  # (batch, hidden) @ (hidden, 3*hidden)
    if len(weights) == 4:
        xa += weights[2].data
        ha += weights[3].data
    n_h = h.data.shape[1]
    rz = _sigmoid(xa[:, : 2 * n_h] + ha[:, : 2 * n_h])  # (batch, 2*hidden): r and z
    r, z = rz[:, :n_h], rz[:, n_h:]
    h_n = ha[:, 2 * n_h :]  # W_hn h + b_hn: kept, r multiplies it
    n = np.tanh(xa[:, 2 * n_h :] + r * h_n)
    h_new = n + z * (h.data - n)  # (1 - z) n + z h
    return Tensor._result(h_new, (x, h, *weights), "gru_cell", (rz, n, h_n))


def _gru_cell_backward(out: Tensor, g: np.ndarray) -> None:
    # g = dL/dh'. From h' = (1 - z) n + z h and n = tanh(x_n + r h_n):
    #   dn = g (1 - z);  da_n = dn (1 - n^2)         (a_n = x_n + r h_n, n's pre-activation)
    #   da_z = g (h - n) z (1 - z);  da_r = da_n h_n r (1 - r)
    #   the x side gets [da_r, da_z, da_n], the h side [da_r, da_z, da_n * r];
    #   dL/dh = g z + (h side) W_hh, the rest as in every cell (_add_input_grads)
    x, h, *weights = out._prev
    rz, n, h_n = out._ctx
    k = h.data.shape[1]
    r, z = rz[:, :k], rz[:, k:]
    g_x = np.empty((len(g), 3 * k), dtype=g.dtype)  # (batch, 3*hidden)
    da_n = g_x[:, 2 * k :]
    np.multiply(g * (1.0 - z), 1.0 - n * n, out=da_n)
    g_x[:, :k] = da_n * h_n * r * (1.0 - r)
    g_x[:, k : 2 * k] = g * (h.data - n) * z * (1.0 - z)
    g_h = g_x.copy()
    g_h[:, 2 * k :] *= r
    if h.requires_grad:
        h._add_grad(g * z)  # the direct path z * h
    _add_input_grads(x, h, weights, g_x, g_h)


BACKWARD_RULES.update(  # the engine's table gets the fused steps' rules
    part=_part_backward,
    rnn_cell=_rnn_cell_backward,
    lstm_cell=_lstm_cell_backward,
    gru_cell=_gru_cell_backward,
)


# ***** the modules *****


class _Recurrent(Module):
    """What every recurrent module shares: sizes, PyTorch's initialisation and input checks."""

    gates = 1  # how many blocks of `hidden` rows the weights have
    nonlinearity = "tanh"  # the Elman modules may say 'relu'

    def _setup(self, input_size: int, hidden_size: int, bias: bool, rng: RandomSource) -> Any:
        _check_size("input_size", input_size)
        _check_size("hidden_size", hidden_size)
        if type(bias) is not bool:
            raise TypeError(f"bias must be True or False, got {type(bias).__name__}")
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), bias
        uniform = random_source(rng, type(self).__name__).uniform
        bound = 1.0 / math.sqrt(hidden_size)  # all weights U(-1/sqrt(hidden), 1/sqrt(hidden))
        return lambda name, *shape: Tensor(uniform(-bound, bound, size=shape), requires_grad=True, label=name)

    def _weights(self, suffix: str = "") -> Weights:
        names = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if self.bias else ())
        return tuple(getattr(self, name + suffix) for name in names)

    def _init_weights(self, init: Any, suffix: str, input_size: int) -> None:
        rows = self.gates * self.hidden_size
        setattr(self, "weight_ih" + suffix, init("weight_ih" + suffix, rows, input_size))
        setattr(self, "weight_hh" + suffix, init("weight_hh" + suffix, rows, self.hidden_size))
        if self.bias:
            setattr(self, "bias_ih" + suffix, init("bias_ih" + suffix, rows))
            setattr(self, "bias_hh" + suffix, init("bias_hh" + suffix, rows))
        elif not suffix:  # a cell without biases has them as None, as PyTorch's
            self.bias_ih = self.bias_hh = None

    def _state(
        self, s: Optional[ArrayLike], shape: Tuple[int, ...], like: Tensor, what: str, x_shape: Any = None
    ) -> Tensor:
        """A state given (checked: ``shape``) or zeros for None (a constant, as h_0 = 0);
        ``like`` is the input (its dtype), ``x_shape`` its shape as the user gave it."""
        if s is None:
            return Tensor._result(np.zeros(shape, dtype=like.data.dtype), (), "")
        if type(s) is not Tensor:
            s = _as_tensor(s, f"{type(self).__name__} ({what})")
        if s.data.shape != shape:
            raise ValueError(
                f"{self!r}: {what} must have shape {shape} for x of shape {x_shape or like.shape}, "
                f"got {s.shape}"
            )
        return s

    def extra_repr(self) -> str:  # PyTorch's: bias and nonlinearity only when not the default
        extra = "" if self.bias else ", bias=False"
        extra += "" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity}"
        return f"{self.input_size}, {self.hidden_size}{extra}"


class _Cell(_Recurrent):
    def _input(self, x: ArrayLike) -> Tensor:
        if type(x) is not Tensor:
            x = _as_tensor(x, type(self).__name__)
        shape = x.data.shape
        if len(shape) != 2 or shape[1] != self.input_size:
            raise ValueError(f"{self!r} takes x of shape (batch, {self.input_size}), got {shape}")
        return x


class RNNCell(_Cell):
    """One step of an Elman recurrent network: ``cell(x, h)`` is phi(x W_ih^T + b_ih + h W_hh^T + b_hh).

    PyTorch's ``nn.RNNCell``: ``weight_ih`` (hidden, input), ``weight_hh`` (hidden, hidden),
    ``bias_ih`` and ``bias_hh`` (hidden,), all drawn from U(-1/sqrt(hidden), 1/sqrt(hidden));
    phi is ``nonlinearity``, 'tanh' (default) or 'relu'. ``x`` is (batch, input_size), ``h``
    (batch, hidden_size) or None for zeros; the result h' is (batch, hidden_size). ``rng``
    (an int seed or a numpy Generator) makes the initial weights repeatable. A sequence is a
    Python loop over time steps:

    >>> cell = RNNCell(input_size=2, hidden_size=3, rng=0)
    >>> h = None
    >>> for x_t in np.ones((5, 4, 2)):   # 5 time steps of a batch of 4
    ...     h = cell(Tensor(x_t), h)
    >>> h.shape, [name for name, _ in cell.named_parameters()]
    ((4, 3), ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'])
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        rng: RandomSource = None,
    ) -> None:
        super().__init__()
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        self._init_weights(self._setup(input_size, hidden_size, bias, rng), "", input_size)

    def forward(self, x: ArrayLike, h: Optional[ArrayLike] = None) -> Tensor:
        x = self._input(x)
        h = self._state(h, (x.shape[0], self.hidden_size), x, "h")
        return rnn_cell(x, h, self._weights(), self.nonlinearity)


class LSTMCell(_Cell):
    """One LSTM step: ``h', c' = cell(x, (h, c))`` with gates i, f, g, o (PyTorch's ``nn.LSTMCell``).

    i, f, o = sigmoid and g = tanh of the rows of x W_ih^T + b_ih + h W_hh^T + b_hh;
    c' = f * c + i * g (the cell state: forget some, write some), h' = o * tanh(c').
    ``weight_ih`` (4*hidden, input), ``weight_hh`` (4*hidden, hidden), ``bias_ih``, ``bias_hh``
    (4*hidden,), U(-1/sqrt(hidden), 1/sqrt(hidden)). ``state`` is (h, c) or None for zeros.

    >>> cell = LSTMCell(2, 3, rng=0)
    >>> h, c = cell(Tensor(np.ones((4, 2))))
    >>> h, c = cell(Tensor(np.ones((4, 2))), (h, c))
    >>> h.shape, c.shape, cell.weight_ih.shape
    ((4, 3), (4, 3), (12, 2))
    """

    gates = 4

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, rng: RandomSource = None
    ) -> None:
        super().__init__()
        self._init_weights(self._setup(input_size, hidden_size, bias, rng), "", input_size)

    def forward(
        self, x: ArrayLike, state: Optional[Tuple[ArrayLike, ArrayLike]] = None
    ) -> Tuple[Tensor, Tensor]:
        x = self._input(x)
        shape = (x.shape[0], self.hidden_size)
        if state is None:
            h = c = self._state(None, shape, x, "h")
        else:
            if not isinstance(state, (tuple, list)) or len(state) != 2:
                raise TypeError(f"LSTMCell: state must be a pair (h, c) or None, got {type(state).__name__}")
            h, c = self._state(state[0], shape, x, "h"), self._state(state[1], shape, x, "c")
        hc = lstm_cell(x, h, c, self._weights())  # (2, batch, hidden)
        return part(hc, 0), part(hc, 1)


class GRUCell(_Cell):
    """One GRU step: ``h' = cell(x, h)`` with gates r, z, n (PyTorch's ``nn.GRUCell``).

    r (reset) and z (update) = sigmoid, n = tanh(x_n + r * h_n) (the candidate, with the reset
    gate on the hidden part), h' = (1 - z) * n + z * h. ``weight_ih`` (3*hidden, input),
    ``weight_hh`` (3*hidden, hidden), biases (3*hidden,).

    >>> cell = GRUCell(2, 3, rng=0)
    >>> cell(Tensor(np.ones((4, 2)))).shape
    (4, 3)
    """

    gates = 3

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, rng: RandomSource = None
    ) -> None:
        super().__init__()
        self._init_weights(self._setup(input_size, hidden_size, bias, rng), "", input_size)

    def forward(self, x: ArrayLike, h: Optional[ArrayLike] = None) -> Tensor:
        x = self._input(x)
        h = self._state(h, (x.shape[0], self.hidden_size), x, "h")
        return gru_cell(x, h, self._weights())
