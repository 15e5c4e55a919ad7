"""Sequence modules, the fast path: ``RNN``, ``LSTM``, ``GRU``, one graph node per layer and sequence.

A cell loop (recurrent.py) makes one node per time step; these modules make ONE node per layer
for the whole sequence (ops ``rnn_layer``, ``lstm_layer``, ``gru_layer``), whose backward rule
is backpropagation through time written by hand, as an expert writes it in numpy:

* the input projections of all T steps are one product: X (T*batch, input) @ W_ih^T;
* only the recurrent part loops over time: forward h_t from h_(t-1), backward dL/dh_(t-1)
  from dL/dh_t (this is where the gradient travels back through time);
* the weight gradients are one product each over the stacked steps:
  sum_t G_t^T H_(t-1) = G^T H with G = [G_1; ...; G_T], H = [H_0; ...; H_(T-1)] stacked by rows.

The idea, step by step, is the cell loop (the same numbers up to rounding)::

    h = h0
    for t in range(T):
        h = cell(x[t], h)        # RNNCell: T nodes, each with its own small rule

Shapes: x is (T, batch, input) (``batch_first=True``: (batch, T, input)), states (num_layers,
batch, hidden). Layer k > 0 reads the output of layer k - 1. A layer node's data holds every
output the module hands out, and ``part`` nodes hand out the pieces (output, h_n, c_n).

>>> from tinygrad_edu import Tensor
>>> lstm = LSTM(3, 5, num_layers=2, rng=0)
>>> output, (h_n, c_n) = lstm(Tensor(np.ones((7, 2, 3))))   # 7 steps, batch 2
>>> output.shape, h_n.shape, c_n.shape
((7, 2, 5), (2, 2, 5), (2, 2, 5))
"""

from __future__ import annotations

import threading
from typing import Any, List, Optional, Tuple

import numpy as np

from ..tensor import BACKWARD_RULES, RandomSource, Tensor
from .layers import _as_tensor
from .recurrent import NONLINEARITIES, ArrayLike, Weights, _phi_slope, _Recurrent, _sigmoid, part

# ***** the Elman layer *****


def _input_projection(
    x: np.ndarray, weights: Weights, with_bias: bool = True, scale: Optional[np.ndarray] = None
) -> np.ndarray:
    """x W_ih^T (+ b_ih + b_hh) for all steps at once: (T, batch, input) -> (T, batch, G); with
    ``scale`` (G,), every column times its scale (done on the weights, not on the result)."""
    T, B, _ = x.shape
    W_ih_T = weights[0].data.T if scale is None else weights[0].data.T * scale  # (input, G)
    xa = x.reshape(T * B, x.shape[2]).dot(W_ih_T)  # (T*B, input) @ (input, G)
    if with_bias and len(weights) == 4:
        bias = weights[2].data + weights[3].data  # (G,)
        xa += bias if scale is None else bias * scale
    return xa.reshape(T, B, xa.shape[1])


def rnn_layer(x: Tensor, h0: Tensor, weights: Weights, nonlinearity: str = "tanh") -> Tensor:
    """h_t = phi(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh) for t = 1..T, as ONE node (op
    ``rnn_layer``) whose data is (T, batch, hidden): h_1 .. h_T.

    >>> one = Tensor(np.ones((1, 1)))
    >>> hs = rnn_layer(Tensor(np.ones((3, 1, 1))), Tensor(np.zeros((1, 1))), (one, one))
    >>> hs.data.ravel().round(3).tolist()
    [0.762, 0.943, 0.96]
    """
    a = _input_projection(x.data, weights)  # (T, batch, hidden); becomes h_1 .. h_T in place
    W_hh_T = weights[1].data.T  # (hidden, hidden)
    activation = np.tanh if nonlinearity == "tanh" else _relu
    h = h0.data
    h_W = np.empty_like(a[0])  # h_(t-1) W_hh^T, reused every step
    for t in range(len(a)):
        a[t] += np.dot(h, W_hh_T, out=h_W)  # (batch, hidden) @ (hidden, hidden)
        h = activation(a[t], out=a[t])
    return Tensor._result(a, (x, h0, *weights), "rnn_layer", nonlinearity)


def _relu(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.maximum(a, 0.0, out=out)


def _rnn_layer_backward(out: Tensor, g: np.ndarray) -> None:
    # g = dL/dh_t for every t (T, batch, hidden): what the layers above and the loss send.
    # Backward through time, t = T .. 1, with dh = dL/dh_t (from above and from step t + 1):
    #   G_t       = dh * phi'(a_t)               (phi' of all steps at once, from h_t)
    #   dh        = g_(t-1) + G_t W_hh           (h_(t-1) feeds step t)
    # then, over the stacked steps:
    #   dL/dx     = G W_ih                       (T*batch, hidden) @ (hidden, input)
    #   dL/dh_0   = G_1 W_hh
    #   dL/dW_ih  = G^T X,  dL/dW_hh = G^T [h_0; h_1; ...; h_(T-1)],  dL/db = column sums of G
    x, h0, *weights = out._prev
    hs = out.data  # (T, batch, hidden)
    T = len(hs)
    slope = _phi_slope(hs, out._ctx)  # phi'(a_t) of every step at once (T, batch, hidden), new
    from_above = np.any(g.reshape(T, -1), axis=1).tolist()  # steps whose h_t is used above (often only h_T)
    G = slope  # step t's slope becomes its G_t in place: it is not needed after step t
    W_hh = weights[1].data
    dh = g[T - 1].copy()  # dL/dh_T, (batch, hidden), rewritten in place every step
    for t in range(T - 1, -1, -1):
        np.multiply(dh, slope[t], out=G[t])  # G_t = dh * phi'(a_t)
        if t:
            np.dot(G[t], W_hh, out=dh)  # through time: (batch, hidden) @ (hidden, hidden)
            if from_above[t - 1]:
                dh += g[t - 1]
    _add_layer_grads(x, h0, weights, G, G, hs)


def _add_layer_grads(
    x: Tensor, h0: Tensor, weights: Any, G_x: np.ndarray, G_h: np.ndarray, hs: np.ndarray
) -> None:
    """The end of every layer's rule, over all steps at once: G_x (T, batch, gates*hidden) is
    dL/d(x_t W_ih^T + b_ih), G_h dL/d(h_(t-1) W_hh^T + b_hh); ``hs`` h_1 .. h_T."""
    T, B, n_g = G_x.shape
    W_ih, W_hh = weights[0], weights[1]
    Gx, Gh = G_x.reshape(T * B, n_g), G_h.reshape(T * B, n_g)  # every step's rows stacked
    if x.requires_grad:
        x._add_grad(Gx.dot(W_ih.data).reshape(x.data.shape))  # (T*B, G) @ (G, input)
    if h0.requires_grad:
        h0._add_grad(G_h[0].dot(W_hh.data))  # (B, G) @ (G, hidden)
    if W_ih.requires_grad:
        W_ih._add_grad(Gx.T.dot(x.data.reshape(T * B, x.data.shape[2])))  # (G, T*B) @ (T*B, input)
    if W_hh.requires_grad:  # h_(t-1) of step t: h_0 for the first, hs[t - 1] for the others
        grad = G_h[0].T.dot(h0.data)  # (G, B) @ (B, hidden)
        if T > 1:
            grad += Gh[B:].T.dot(
                hs[:-1].reshape((T - 1) * B, hs.shape[2])
            )  # (G, (T-1)*B) @ ((T-1)*B, hidden)
        W_hh._add_grad(grad)
    if len(weights) == 4:
        b_ih, b_hh = weights[2], weights[3]
        db_ih = Gx.sum(axis=0)  # (T*B, G) -> (G,)
        db_hh = db_ih.copy() if G_h is G_x else Gh.sum(axis=0)  # the same sum when G_h is G_x
        if b_ih.requires_grad:
            b_ih._add_grad(db_ih)
        if b_hh.requires_grad:
            b_hh._add_grad(db_hh)


# ***** working space of a backward rule *****

_working_space = threading.local()  # per thread: arrays one rule uses and drops, kept for the next call


def _work_array(name: str, shape: Tuple[int, ...], dtype: Any) -> np.ndarray:
    """An uninitialised array for the inside of ONE backward rule, reused by its next call in
    this thread (a new one when the shape or dtype changes).

    Why: a few MB made afresh at every step are handed back to the system by glibc when freed
    and page-faulted in again at the next step (about 2.5 us per 4 KiB page here): that was a
    quarter of nn.LSTM's time at hidden 128. Only for arrays that live and die inside the rule:
    nothing a rule returns or stores (a gradient, a node's data) may be one, since the next call
    overwrites it. Per thread, so two threads' backward passes never share one.
    """
    arrays = _working_space.__dict__
    array = arrays.get(name)
    if array is None or array.shape != shape or array.dtype != dtype:
        array = arrays[name] = np.empty(shape, dtype)
    return array


# ***** the LSTM layer *****


def lstm_layer(x: Tensor, h0: Tensor, c0: Tensor, weights: Weights) -> Tensor:
    """The LSTM over all T steps as ONE node (op ``lstm_layer``) whose data is (T + 1, batch,
    hidden): h_1 .. h_T, then c_T. Gates per step as in ``lstm_cell``.

    One exp gives all four gates of a step: sigmoid(a) = 1 / (1 + exp(-a)) for i, f, o, and
    tanh(a) = 2 sigmoid(2a) - 1 for g. So the pre-activations are scaled by -1 (i, f, o) and
    -2 (g) once, through the weights, and then every gate is 1 / (1 + exp(scaled a)).

    >>> w = Tensor(np.zeros((4, 1)))
    >>> out = lstm_layer(Tensor(np.ones((2, 1, 1))), Tensor([[0.0]]), Tensor([[2.0]]), (w, w))
    >>> out.data.ravel().round(4).tolist()   # c halves each step: 1, then 0.5; h = tanh(c) / 2
    [0.3808, 0.2311, 0.5]
    """
    n4 = weights[1].data.shape[0]
    n = n4 // 4
    scale = np.full(n4, -1.0, dtype=x.data.dtype)  # (4*hidden,): -1 for i, f, o; -2 for g
    scale[2 * n : 3 * n] = -2.0
    gates = _input_projection(x.data, weights, scale=scale)  # (T, batch, 4*hidden), scaled;
    T, B, _ = gates.shape  # it becomes the gates in place
    W_hh_T = weights[1].data.T * scale  # (hidden, 4*hidden), columns scaled the same way
    out = np.empty((T + 1, B, n), dtype=gates.dtype)  # h_1 .. h_T, c_T
    cs = np.empty((T + 1, B, n), dtype=gates.dtype)  # c_0 .. c_T
    tanh_c = np.empty((T, B, n), dtype=gates.dtype)  # tanh(c_1) .. tanh(c_T)
    h_W = np.empty((B, n4), dtype=gates.dtype)  # h_(t-1) W_hh^T (scaled), reused every step
    i_g = np.empty((B, n), dtype=gates.dtype)  # i * g, reused every step
    cs[0] = c0.data
    h = h0.data
    with np.errstate(over="ignore"):  # exp(large) = inf gives the right gate, 0
        for t in range(T):
            a = gates[t]  # (batch, 4*hidden), scaled pre-activations
            a += np.dot(h, W_hh_T, out=h_W)
            np.exp(a, out=a)
            a += 1.0
            np.reciprocal(a, out=a)  # i, f, o = sigmoid(a_i), ...; g slot: sigmoid(2 a_g)
            i, f, g, o = a[:, :n], a[:, n : 2 * n], a[:, 2 * n : 3 * n], a[:, 3 * n :]
            g *= 2.0
            g -= 1.0  # g = 2 sigmoid(2 a_g) - 1 = tanh(a_g)
            np.multiply(f, cs[t], out=cs[t + 1])
            cs[t + 1] += np.multiply(i, g, out=i_g)  # c_t = f c_(t-1) + i g
            np.tanh(cs[t + 1], out=tanh_c[t])
            h = np.multiply(o, tanh_c[t], out=out[t])  # h_t = o tanh(c_t)
    out[T] = cs[T]
    return Tensor._result(out, (x, h0, c0, *weights), "lstm_layer", (gates, cs, tanh_c))


def _lstm_layer_backward(out: Tensor, g: np.ndarray) -> None:
    # g (T + 1, batch, hidden): dL/dh_t for t = 1..T, then dL/dc_T. Per step, as in lstm_cell:
    #   dh  = g_t + dA_(t+1) W_hh                 (h_t feeds step t + 1)
    #   dc  = dc_from_(t+1) + dh * o (1 - tanh(c_t)^2)
    #   dA_t = [dc * g i(1-i), dc * c_(t-1) f(1-f), dc * i (1-g^2), dh * tanh(c_t) o(1-o)]
    #   dc_from_t = dc * f                        (c_(t-1) feeds c_t)
    # The local slopes (in brackets above, without dc and dh) are computed for all steps at once.
    x, h0, c0, *weights = out._prev
    gates, cs, tanh_c = out._ctx
    T, B, n4 = gates.shape
    n = n4 // 4
    q = gates.reshape(T, B, 4, n)  # (T, batch, 4, hidden): gate k is q[:, :, k]
    i, f, g_gate, o = q[:, :, 0], q[:, :, 1], q[:, :, 2], q[:, :, 3]
    slope = np.subtract(1.0, q, out=_work_array("lstm slope", q.shape, q.dtype))  # (T, batch, 4, hidden)
    slope *= q  # sigmoid' = s (1 - s) for i, f, o (the g slot is redone below)
    slope[:, :, 0] *= g_gate
    slope[:, :, 1] *= cs[:-1]
    np.multiply(g_gate, g_gate, out=slope[:, :, 2])
    np.subtract(1.0, slope[:, :, 2], out=slope[:, :, 2])
    slope[:, :, 2] *= i
    slope[:, :, 3] *= tanh_c
    through_h = np.multiply(tanh_c, tanh_c, out=_work_array("lstm through_h", tanh_c.shape, tanh_c.dtype))
    # dc_t/dh_t's share: o (1 - tanh(c_t)^2)
    np.subtract(1.0, through_h, out=through_h)
    through_h *= o
    dA = slope  # step t's slopes become its dA_t in place: they are not needed after step t
    W_hh = weights[1].data
    dh = g[T - 1].copy()  # (batch, hidden), rewritten in place every step
    dc = g[T].copy()  # dL/dc_T
    dc_h = np.empty_like(dc)  # dh * through_h, reused every step
    for t in range(T - 1, -1, -1):
        dc += np.multiply(dh, through_h[t], out=dc_h)
        dA[t, :, :3] *= dc[:, None, :]
        dA[t, :, 3] *= dh
        dc *= f[t]  # now dL/dc_(t-1) through c_t
        if t:
            np.dot(dA[t].reshape(B, n4), W_hh, out=dh)  # (batch, 4*hidden) @ (4*hidden, hidden)
            dh += g[t - 1]
    if c0.requires_grad:
        c0._add_grad(dc)
    dA_flat = dA.reshape(T, B, n4)
    _add_layer_grads(x, h0, weights, dA_flat, dA_flat, out.data[:T])


# ***** the GRU layer *****


def gru_layer(x: Tensor, h0: Tensor, weights: Weights) -> Tensor:
    """The GRU over all T steps as ONE node (op ``gru_layer``) whose data is (T, batch, hidden):
    h_1 .. h_T. Gates per step as in ``gru_cell``.

    >>> w = Tensor(np.zeros((3, 1)))
    >>> gru_layer(Tensor(np.ones((2, 1, 1))), Tensor([[2.0]]), (w, w)).data.ravel().tolist()
    [1.0, 0.5]
    """
    xa = _input_projection(x.data, weights, with_bias=False)  # (T, batch, 3*hidden)
    if len(weights) == 4:
        xa += weights[2].data
    T, B, n3 = xa.shape
    n = n3 // 3
    W_hh_T = weights[1].data.T  # (hidden, 3*hidden)
    b_hh = weights[3].data if len(weights) == 4 else 0.0
    rz = np.empty((T, B, 2 * n), dtype=xa.dtype)  # r_t and z_t
    cand = np.empty((T, B, n), dtype=xa.dtype)  # n_t, the candidate
    h_n = np.empty((T, B, n), dtype=xa.dtype)  # W_hn h_(t-1) + b_hn
    hs = np.empty((T, B, n), dtype=xa.dtype)
    h = h0.data
    for t in range(T):
        ha = h.dot(W_hh_T) + b_hh  # (batch, 3*hidden)
        rz[t] = _sigmoid(xa[t, :, : 2 * n] + ha[:, : 2 * n])
        h_n[t] = ha[:, 2 * n :]
        np.tanh(xa[t, :, 2 * n :] + rz[t, :, :n] * h_n[t], out=cand[t])
        h = np.add(cand[t], rz[t, :, n:] * (h - cand[t]), out=hs[t])  # h_t = n + z (h_(t-1) - n)
    return Tensor._result(hs, (x, h0, *weights), "gru_layer", (rz, cand, h_n))


def _gru_layer_backward(out: Tensor, g: np.ndarray) -> None:
    # g = dL/dh_t (T, batch, hidden). Per step, with dh = g_t + (what step t + 1 sends back):
    #   da_n = dh (1 - z)(1 - n^2),  da_z = dh (h_(t-1) - n) z (1 - z),  da_r = da_n h_n r (1 - r)
    #   x side [da_r, da_z, da_n], h side [da_r, da_z, da_n r]
    #   dL/dh_(t-1) = dh z + (h side) W_hh
    # The slopes (all but dh) are computed for all steps at once.
    x, h0, *weights = out._prev
    rz, cand, h_n = out._ctx
    T, B, n = cand.shape
    r, z = rz[:, :, :n], rz[:, :, n:]
    h_prev = np.concatenate([h0.data[None], out.data[:-1]])  # (T, batch, hidden): h_0 .. h_(T-1)
    slope_n = (1.0 - z) * (1.0 - cand * cand)
    slope_z = (h_prev - cand) * z * (1.0 - z)
    slope_r = h_n * r * (1.0 - r)
    G_x = np.empty((T, B, 3 * n), dtype=g.dtype)
    G_h = np.empty((T, B, 3 * n), dtype=g.dtype)
    W_hh = weights[1].data
    dh = g[T - 1].copy()
    for t in range(T - 1, -1, -1):
        da_n = np.multiply(dh, slope_n[t], out=G_x[t, :, 2 * n :])
        np.multiply(dh, slope_z[t], out=G_x[t, :, n : 2 * n])
        np.multiply(da_n, slope_r[t], out=G_x[t, :, :n])
        G_h[t, :, : 2 * n] = G_x[t, :, : 2 * n]
        np.multiply(da_n, r[t], out=G_h[t, :, 2 * n :])
        if t:
            dh = dh * z[t] + G_h[t].dot(W_hh) + g[t - 1]  # (batch, 3*hidden) @ (3*hidden, hidden)
    if h0.requires_grad:
        h0._add_grad(dh * z[0])  # the direct path z h_0; _add_layer_grads adds (h side) W_hh
    _add_layer_grads(x, h0, weights, G_x, G_h, out.data)


BACKWARD_RULES.update(
    rnn_layer=_rnn_layer_backward, lstm_layer=_lstm_layer_backward, gru_layer=_gru_layer_backward
)


# ***** the modules *****


class _Sequence(_Recurrent):
    """What RNN, LSTM and GRU share: per-layer parameters with PyTorch's names, the checks."""

    def _build(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int,
        bias: bool,
        batch_first: bool,
        rng: RandomSource,
    ) -> None:
        init = self._setup(input_size, hidden_size, bias, rng)
        if isinstance(num_layers, bool) or not isinstance(num_layers, (int, np.integer)):
            raise TypeError(f"num_layers must be an int, got {type(num_layers).__name__}")
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}")
        if type(batch_first) is not bool:
            raise TypeError(f"batch_first must be True or False, got {type(batch_first).__name__}")
        self.num_layers, self.batch_first = int(num_layers), batch_first
        for k in range(self.num_layers):  # layer k reads layer k - 1's h (hidden_size wide)
            self._init_weights(init, f"_l{k}", self.input_size if k == 0 else self.hidden_size)

    def _input(self, x: ArrayLike) -> Tensor:
        """x as a time-major (T, batch, input) Tensor, checked."""
        if type(x) is not Tensor:
            x = _as_tensor(x, type(self).__name__)
        shape = x.data.shape
        want = "(batch, T, input)" if self.batch_first else "(T, batch, input)"
        if len(shape) != 3 or shape[2] != self.input_size or shape[1 if self.batch_first else 0] == 0:
            raise ValueError(
                f"{self!r} takes x of shape {want} with input = {self.input_size} and T >= 1, got {shape}"
            )
        return x.transpose(1, 0, 2) if self.batch_first else x

    def _states(self, s: Optional[ArrayLike], x: Tensor, what: str) -> List[Tensor]:
        """The initial state of each layer: zeros, or a piece of the given (layers, batch, hidden);
        ``x`` is the input, time-major."""
        shape = (self.num_layers, x.shape[1], self.hidden_size)
        if s is None:
            return [self._state(None, shape[1:], x, what)] * self.num_layers
        given = x.shape[1::-1] + x.shape[2:] if self.batch_first else x.shape  # x's shape as given
        s = self._state(s, shape, x, what, given)
        return [part(s, k) for k in range(self.num_layers)]

    def _output(self, y: Tensor) -> Tensor:
        return y.transpose(1, 0, 2) if self.batch_first else y

    def extra_repr(self) -> str:  # PyTorch's order: sizes, num_layers, bias, batch_first
        text = f"{self.input_size}, {self.hidden_size}"
        text += f", num_layers={self.num_layers}" if self.num_layers != 1 else ""
        text += "" if self.bias else ", bias=False"
        return text + (", batch_first=True" if self.batch_first else "")


def _last_states(layers: List[Tensor], index: int) -> Tensor:
    """(num_layers, batch, hidden): row ``index`` of each layer's node, stacked."""
    if len(layers) == 1:
        return part(layers[0], slice(index, index + 1))
    return Tensor.stack([part(layer, index) for layer in layers])


class RNN(_Sequence):
    """An Elman RNN over a whole sequence in one call (PyTorch's ``nn.RNN``): ``output, h_n = rnn(x, h0)``.

    x is (T, batch, input) (``batch_first=True``: (batch, T, input)); h0 (num_layers, batch,
    hidden) or None for zeros. ``output`` is the last layer's h_t for every t, h_n every
    layer's h_T. Parameters ``weight_ih_l{k}`` (hidden, input or hidden), ``weight_hh_l{k}``,
    ``bias_ih_l{k}``, ``bias_hh_l{k}``, U(-1/sqrt(hidden), 1/sqrt(hidden)).

    >>> rnn = RNN(3, 4, num_layers=2, batch_first=True, rng=0)
    >>> output, h_n = rnn(Tensor(np.ones((2, 6, 3))))
    >>> output.shape, h_n.shape
    ((2, 6, 4), (2, 2, 4))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        rng: RandomSource = None,
    ) -> None:
        super().__init__()
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        self._build(input_size, hidden_size, num_layers, bias, batch_first, rng)

    def forward(self, x: ArrayLike, h0: Optional[ArrayLike] = None) -> Tuple[Tensor, Tensor]:
        x = self._input(x)
        states = self._states(h0, x, "h0")
        layers, y = [], x
        for k, h in enumerate(states):
            y = rnn_layer(y, h, self._weights(f"_l{k}"), self.nonlinearity)  # (T, batch, hidden)
            layers.append(y)
        return self._output(y), _last_states(layers, len(x.data) - 1)


class LSTM(_Sequence):
    """An LSTM over a whole sequence in one call (PyTorch's ``nn.LSTM``):
    ``output, (h_n, c_n) = lstm(x, (h0, c0))``, gates i, f, g, o as in ``LSTMCell``.

    Shapes and parameter names as ``RNN``, with 4*hidden rows; ``state`` None means zeros.

    >>> lstm = LSTM(3, 4, rng=0)
    >>> output, (h_n, c_n) = lstm(Tensor(np.ones((6, 2, 3))))
    >>> output.shape, h_n.shape, c_n.shape, lstm.weight_hh_l0.shape
    ((6, 2, 4), (1, 2, 4), (1, 2, 4), (16, 4))
    """

    gates = 4

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        rng: RandomSource = None,
    ) -> None:
        super().__init__()
        self._build(input_size, hidden_size, num_layers, bias, batch_first, rng)

    def forward(
        self, x: ArrayLike, state: Optional[Tuple[ArrayLike, ArrayLike]] = None
    ) -> Tuple[Tensor, Tuple[Tensor, Tensor]]:
        if state is not None and (not isinstance(state, (tuple, list)) or len(state) != 2):
            raise TypeError(f"LSTM: state must be a pair (h0, c0) or None, got {type(state).__name__}")
        x = self._input(x)
        h0s = self._states(None if state is None else state[0], x, "h0")
        c0s = self._states(None if state is None else state[1], x, "c0")
        T = len(x.data)
        layers, y = [], x
        for k in range(self.num_layers):
            layer = lstm_layer(y, h0s[k], c0s[k], self._weights(f"_l{k}"))  # (T + 1, batch, hidden)
            layers.append(layer)
            y = part(layer, slice(0, T))  # h_1 .. h_T
        return self._output(y), (_last_states(layers, T - 1), _last_states(layers, T))


class GRU(_Sequence):
    """A GRU over a whole sequence in one call (PyTorch's ``nn.GRU``): ``output, h_n = gru(x, h0)``,
    gates r, z, n as in ``GRUCell``. Shapes and parameter names as ``RNN``, with 3*hidden rows.

    >>> gru = GRU(3, 4, rng=0)
    >>> output, h_n = gru(Tensor(np.ones((6, 2, 3))))
    >>> output.shape, h_n.shape
    ((6, 2, 4), (1, 2, 4))
    """

    gates = 3

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        rng: RandomSource = None,
    ) -> None:
        super().__init__()
        self._build(input_size, hidden_size, num_layers, bias, batch_first, rng)

    def forward(self, x: ArrayLike, h0: Optional[ArrayLike] = None) -> Tuple[Tensor, Tensor]:
        x = self._input(x)
        states = self._states(h0, x, "h0")
        layers, y = [], x
        for k, h in enumerate(states):
            y = gru_layer(y, h, self._weights(f"_l{k}"))  # (T, batch, hidden)
            layers.append(y)
        return self._output(y), _last_states(layers, len(x.data) - 1)
