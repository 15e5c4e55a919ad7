"""Recurrence: ``RNNCell``, one step of an Elman network, h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh).

A recurrent network feeds its own output back in: the hidden state h it computed at step t
is an input of step t + 1. The *cell* is that one step; a sequence is a plain Python loop
that calls it once per time step. The loop unrolls the feedback into an ordinary (deep)
graph, so ``backward()`` on a loss at the end is backpropagation through time (BPTT): the
gradient flows back through every step, into the same four parameters each time, and the
contributions of all steps add up. (``backward()`` adds those up at the end of its walk, as
one matrix product of all the steps: see ``StepTerms``. For that, the states h_0, h_1, ...
of a sequence are kept in one block, as hand-written BPTT keeps them: see ``Run``.)

>>> import numpy as np
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
from typing import Dict, List, Optional, Tuple, Union

import numpy as np

from ..graph import terms_for_end
from ..tensor import BACKWARD_RULES, RandomSource, Tensor, random_source
from .layers import _as_tensor, _check_size
from .module import Module

NONLINEARITIES = ("tanh", "relu")
STACK_NUMBERS = 1 << 15  # the most numbers one Run (a block of states) holds


def rnn_cell(
    x: Tensor,
    h: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Optional[Tensor] = None,
    bias_hh: Optional[Tensor] = None,
    nonlinearity: str = "tanh",
) -> Tensor:
    """One Elman step, phi(x W_ih^T + b_ih + h W_hh^T + b_hh), as ONE graph node (op ``'rnn_cell'``).

    ``x`` is (batch, input), ``h`` (batch, hidden), ``weight_ih`` (hidden, input),
    ``weight_hh`` (hidden, hidden), the biases (hidden,) (both or neither); phi is tanh or
    relu. The shapes are not checked here: ``RNNCell`` does that. Written with Tensor ops the
    step would be six nodes (two matmuls, three adds, tanh); as one node the backward rule
    below shows the whole step's chain rule in one place, and a sequence runs much faster.
    The new state h' is written into its sequence's block of states (``Run``).

    >>> one = Tensor(np.ones((1, 1)), requires_grad=True)
    >>> y = rnn_cell(Tensor([[2.0]]), Tensor([[0.0]]), one, one)
    >>> y.backward(np.ones((1, 1)))
    >>> round(y.item(), 4), round(one.grad.item(), 4)   # tanh(2), (1 - tanh(2)**2) * 2
    (0.964, 0.1413)
    """
    # ndarray.dot is the same BLAS product as @ on 2-D arrays, with less numpy overhead per
    # call: it matters here, at two small products per time step
    a = x.data.dot(weight_ih.data.T)  # (batch, input) @ (input, hidden) -> (batch, hidden)
    a += h.data.dot(weight_hh.data.T)  # (batch, hidden) @ (hidden, hidden) -> (batch, hidden)
    if bias_ih is None or bias_hh is None:
        prev: Tuple[Tensor, ...] = (x, h, weight_ih, weight_hh)
    else:
        a += bias_ih.data + bias_hh.data  # (hidden,): the same two biases for every row
        prev = (x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    out = Tensor._result(a, prev, "rnn_cell")
    if out.requires_grad:  # a step of the graph: h' goes into its run's block of states
        run = Run.continued_by(h, prev[2:], nonlinearity, a)
        t = run.steps  # step t of the run: its input h is states[t], its output states[t + 1]
        out.data = run.states[t + 1]
        run.steps, run.last = t + 1, out.data
        out._ctx = (nonlinearity, run, t)  # what backward needs besides h' itself
    if nonlinearity == "tanh":
        np.tanh(a, out=out.data)  # h' = tanh(a): a itself is not needed by backward
    else:
        np.maximum(a, 0.0, out=out.data)  # h' = relu(a)
    return out


class Run:
    """The hidden states of one run of a cell over a sequence, in one block, as hand-written
    BPTT keeps them: ``states[t]`` is h_t, (steps + 1, batch, hidden), h_0 first.

    Step t reads h_t = states[t] and writes h_(t+1) = states[t + 1]; a step whose h is the
    last state of a run of the same weights continues that run, any other h starts a new one
    (a copy of h as its h_0). Backward then finds the states of all the steps as one array.
    A run holds at most STACK_NUMBERS numbers; a longer sequence goes on in a new run.
    """

    def __init__(self, h0: np.ndarray, weights: Tuple[Tensor, ...], nonlinearity: str, a: np.ndarray) -> None:
        capacity = max(1, STACK_NUMBERS // a.size)  # steps
        self.states = np.empty((capacity + 1,) + a.shape, dtype=a.dtype)
        self.states[0] = h0
        self.steps = 0  # how many steps have written their state
        self.last = self.states[0]  # the array h_(steps) was given out as
        self.weights, self.nonlinearity = weights, nonlinearity

    @staticmethod
    def continued_by(h: Tensor, weights: Tuple[Tensor, ...], nonlinearity: str, a: np.ndarray) -> "Run":
        """The run that a step from state ``h`` with these ``weights`` and ``nonlinearity``
        continues, or a new one whose h_0 is ``h``."""
        if h._op == "rnn_cell":
            run = h._ctx[1]
            if (
                h.data is run.last  # h is the run's newest state, not replaced since
                and list(map(id, run.weights)) == list(map(id, weights))  # the same tensors
                and run.nonlinearity == nonlinearity
                and run.steps + 1 < len(run.states)
                and run.states.dtype == a.dtype
            ):
                return run
        return Run(h.data, weights, nonlinearity, a)


def _derivative(h_new: np.ndarray, nonlinearity: str) -> np.ndarray:
    """phi'(a) from phi(a) = h': tanh' = 1 - h'^2; relu' = 1 where h' > 0, else 0."""
    if nonlinearity == "tanh":
        d = h_new * h_new
        np.subtract(1.0, d, out=d)
        return d
    return (h_new > 0.0).astype(h_new.dtype)


def _rnn_cell_backward(out: Tensor, g: np.ndarray) -> None:
    # h' = phi(a), a = x W_ih^T + b_ih + h W_hh^T + b_hh, with g = dL/dh' of shape (batch, hidden):
    #   g_a      = dL/da = g * phi'(a)
    #   dL/dx    = g_a W_ih     (batch, hidden) @ (hidden, input)  -> (batch, input)
    #   dL/dh    = g_a W_hh     (batch, hidden) @ (hidden, hidden) -> (batch, hidden)
    #   dL/dW_ih = g_a^T x, dL/dW_hh = g_a^T h, dL/db_ih = dL/db_hh = column sums of g_a
    prev = out._prev
    x, h, weights = prev[0], prev[1], prev[2:]  # weights: (W_ih, W_hh) or (W_ih, W_hh, b_ih, b_hh)
    nonlinearity, run, t = out._ctx
    # Leaf weights (the usual case) leave this step's weight terms for the end of the walk
    # (graph.py): StepTerms then sums all the steps of a run in one product per weight, and
    # has phi'(a) of all of them ready, computed at once from the run's block of states.
    kept = terms_for_end(weights, StepTerms)
    if kept is None:  # weights computed from something else: this step's terms are added now
        g_a = g * _derivative(out.data, nonlinearity)
    else:
        rows = kept.runs.get(run) or kept.start(run)
        g_a = rows.g_a[t]
        np.multiply(g, rows.derivative[t], g_a)  # into its row of G
    # The chain goes on through x and h: h is the previous step, whose rule runs next.
    if x.requires_grad:
        x._add_grad(g_a.dot(weights[0].data))
    if h.requires_grad:
        h._add_grad(g_a.dot(weights[1].data))
    if kept is None:
        for weight, grad in _weight_terms(weights, x.data, h.data, g_a):
            weight._add_grad(grad)
    else:
        rows.xs[t] = x.data


def _weight_terms(
    weights: Tuple[Tensor, ...], X: np.ndarray, H: np.ndarray, G: np.ndarray
) -> List[Tuple[Tensor, np.ndarray]]:
    """The weights' gradients from the rows of X (inputs), H (states) and G (their g_a):
    G^T X, G^T H and G's column sums; one step's rows, or many steps' stacked (StepTerms)."""
    terms = []
    if weights[0].requires_grad:
        terms.append((weights[0], G.T.dot(X)))  # (hidden, rows) @ (rows, input)
    if weights[1].requires_grad:
        terms.append((weights[1], G.T.dot(H)))  # (hidden, rows) @ (rows, hidden)
    if len(weights) == 4:  # the column sums, as a product with a row of ones
        column_sums = np.ones(len(G), dtype=G.dtype).dot(G)  # (rows,) @ (rows, hidden) -> (hidden,)
        for bias in weights[2:]:
            if bias.requires_grad:
                terms.append((bias, column_sums.copy()))  # a copy each: no two biases share an array
    return terms


class StepTerms:
    """The weight-gradient terms of the steps of one cell, in one backward walk.

    Step t adds g_t^T x_t to dL/dW_ih, g_t^T h_t to dL/dW_hh and the column sums of g_t to
    both biases: that sum over the time steps is backpropagation through time. Stacking the
    steps' rows makes each sum ONE product (graph.py, "terms left for the end"):

        sum_t g_t^T h_t = G^T H    G = [g_0; ...; g_(T-1)] (steps*batch, hidden), H = [h_0; ...; h_(T-1)]

    H is the run's block of states as it is (Run); the rules write their g_t into rows of one
    block G, so only the inputs x_t are stacked here.
    """

    def __init__(self, weights: Tuple[Tensor, ...]) -> None:
        self.weights = weights  # (W_ih, W_hh) or (W_ih, W_hh, b_ih, b_hh)
        self.runs: Dict[Run, RunRows] = {}  # each run's rows in this walk

    def start(self, run: Run) -> "RunRows":
        """The rows of a run whose first step this walk reaches now."""
        rows = self.runs[run] = RunRows(run)
        return rows

    def finish(self) -> List[Tuple[Tensor, np.ndarray]]:
        """The (weight, gradient) pairs: every run's steps done so far, one product each."""
        sums: Dict[Tensor, np.ndarray] = {}
        for run, rows in self.runs.items():
            done = [t for t, x in enumerate(rows.xs) if x is not None]
            lo, hi = done[0], done[-1] + 1
            steps = slice(lo, hi) if hi - lo == len(done) else done  # the steps done, in order
            G = rows.g_a[steps]  # (steps, batch, hidden)
            H = run.states[steps]  # each step's input state h_t
            X = np.concatenate([rows.xs[t] for t in done])  # (steps*batch, input)
            flat = len(done) * G.shape[1]
            for weight, grad in _weight_terms(self.weights, X, H.reshape(flat, -1), G.reshape(flat, -1)):
                if weight in sums:
                    sums[weight] += grad
                else:
                    sums[weight] = grad
        return list(sums.items())


class RunRows:
    """One run's steps in one backward walk: phi'(a_t) of every step, computed at once from
    the run's states when the walk reaches its first step, the rows where each step's rule
    writes its g_a, and each step's input x_t (None until its rule has run)."""

    def __init__(self, run: Run) -> None:
        outputs = run.states[1 : run.steps + 1]  # h_1 .. h_T: (steps, batch, hidden)
        self.derivative = _derivative(outputs, run.nonlinearity)  # phi'(a_t), all steps at once
        self.g_a = np.empty_like(outputs)  # g_a of step t goes to g_a[t]
        self.xs: List[Optional[np.ndarray]] = [None] * run.steps


BACKWARD_RULES["rnn_cell"] = _rnn_cell_backward  # the engine's table gets the fused step's rule


class RNNCell(Module):
    """One step of an Elman recurrent network: ``cell(x, h)`` is phi(x W_ih^T + b_ih + h W_hh^T + b_hh).

    PyTorch's ``nn.RNNCell``: ``weight_ih`` (hidden, input), ``weight_hh`` (hidden, hidden),
    ``bias_ih`` and ``bias_hh`` (hidden,), all drawn from U(-1/sqrt(hidden), 1/sqrt(hidden));
    phi is ``nonlinearity``, 'tanh' (default) or 'relu'. ``x`` is (batch, input_size), ``h``
    (batch, hidden_size) or None for zeros; the result h' is (batch, hidden_size). ``rng``
    (an int seed or a numpy Generator) makes the initial weights repeatable; without it they
    come from numpy's global generator. A sequence is a Python loop over time steps:

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
        _check_size("input_size", input_size)
        _check_size("hidden_size", hidden_size)
        if type(bias) is not bool:
            raise TypeError(f"bias must be True or False, got {type(bias).__name__}")
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        uniform = random_source(rng, "RNNCell").uniform
        bound = 1.0 / math.sqrt(hidden_size)
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.nonlinearity = nonlinearity

        def init(name: str, *shape: int) -> Tensor:
            return Tensor(uniform(-bound, bound, size=shape), requires_grad=True, label=name)

        self.weight_ih = init("weight_ih", self.hidden_size, self.input_size)
        self.weight_hh = init("weight_hh", self.hidden_size, self.hidden_size)
        self.bias_ih = init("bias_ih", self.hidden_size) if bias else None
        self.bias_hh = init("bias_hh", self.hidden_size) if bias else None

    def forward(self, x: Union[Tensor, np.ndarray], h: Union[Tensor, np.ndarray, None] = None) -> Tensor:
        if type(x) is not Tensor:
            x = _as_tensor(x, "RNNCell")
        shape = x.data.shape
        if len(shape) != 2 or shape[1] != self.input_size:
            raise ValueError(
                f"RNNCell({self.input_size}, {self.hidden_size}) takes x of shape "
                f"(batch, {self.input_size}), got {shape}"
            )
        want = (shape[0], self.hidden_size)
        if h is None:
            h = Tensor._result(np.zeros(want, dtype=x.data.dtype), (), "")  # h_0 = 0, a constant
        else:
            if type(h) is not Tensor:
                h = _as_tensor(h, "RNNCell (h)")
            if h.data.shape != want:
                raise ValueError(f"RNNCell: h must have shape {want} for x of shape {shape}, got {h.shape}")
        return rnn_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, self.nonlinearity)

    def __repr__(self) -> str:
        extra = "" if self.bias_ih is not None else ", bias=False"
        extra += "" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity!r}"
        return f"RNNCell({self.input_size}, {self.hidden_size}{extra})"
