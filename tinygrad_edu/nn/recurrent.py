"""Recurrence: ``RNNCell``, one step of an Elman network, h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh).

A recurrent network feeds its own output back in: the hidden state h it computed at step t
is an input of step t + 1. The *cell* is that one step; a sequence is a plain Python loop
that calls it once per time step. The loop unrolls the feedback into an ordinary (deep)
graph, so ``backward()`` on a loss at the end is backpropagation through time (BPTT): the
gradient flows back through every step, into the same four parameters each time, and the
contributions of all steps add up. (``backward()`` adds those up at the end of its walk, as
one matrix product of all the steps: see ``StepTerms``.)

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
from .module import Module, Parameter

NONLINEARITIES = ("tanh", "relu")
STACK_NUMBERS = 1 << 15  # the most numbers StepTerms stacks into one block


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
    if nonlinearity == "tanh":
        np.tanh(a, out=a)  # h' = tanh(a), in place: a itself is not needed by backward
    else:
        np.maximum(a, 0.0, out=a)  # h' = relu(a)
    return Tensor._result(a, prev, "rnn_cell", nonlinearity)  # backward needs only h' and phi


def _rnn_cell_backward(out: Tensor, g: np.ndarray) -> None:
    # h' = phi(a), a = x W_ih^T + b_ih + h W_hh^T + b_hh, with g = dL/dh' of shape (batch, hidden):
    #   g_a      = dL/da = g * phi'(a)   tanh: phi'(a) = 1 - h'^2;  relu: phi'(a) = 1 where h' > 0
    #   dL/dx    = g_a W_ih     (batch, hidden) @ (hidden, input)  -> (batch, input)
    #   dL/dh    = g_a W_hh     (batch, hidden) @ (hidden, hidden) -> (batch, hidden)
    #   dL/dW_ih, dL/dW_hh, dL/db_ih, dL/db_hh: this step's terms of the sums in StepTerms
    prev = out._prev
    x, h, weights = prev[0], prev[1], prev[2:]  # weights: (W_ih, W_hh) or (W_ih, W_hh, b_ih, b_hh)
    hn = out.data  # h'
    if out._ctx == "tanh":
        g_a = hn * hn  # (batch, hidden)
        np.subtract(1.0, g_a, out=g_a)  # 1 - h'^2
        g_a *= g
    else:
        g_a = g * (hn > 0.0)
    # The chain goes on through x and h now: h is the previous step, whose rule runs next.
    if x.requires_grad:
        x._add_grad(g_a.dot(weights[0].data))
    if h.requires_grad:
        h._add_grad(g_a.dot(weights[1].data))
    # Leaf weights (the usual case) leave this step's terms for the end of the walk (graph.py),
    # where all the steps' terms become one product per weight; otherwise (weights computed
    # from something else) the terms are added now.
    kept = terms_for_end(weights, StepTerms)
    terms = StepTerms(weights) if kept is None else kept
    terms.steps.append((x.data, h.data, g_a))
    if kept is None:
        for weight, grad in terms.finish():
            weight._add_grad(grad)


class StepTerms:
    """The weight-gradient terms of the steps of one cell, in one backward walk.

    Step t adds g_t^T x_t to dL/dW_ih, g_t^T h_t to dL/dW_hh and the column sums of g_t to
    both biases: that sum over the time steps is backpropagation through time. Stacking the
    steps' rows makes each sum ONE product (graph.py, "terms left for the end"):

        sum_t g_t^T x_t = G^T X    G = [g_1; ...; g_T] (steps*batch, hidden), X = [x_1; ...; x_T]

    The steps are stacked a chunk at a time, so that no stacked copy holds more than
    STACK_NUMBERS numbers: the memory allocator reuses small blocks, while big ones come fresh
    from the operating system at every training step and cost more to touch than they save.
    """

    def __init__(self, weights: Tuple[Tensor, ...]) -> None:
        self.weights = weights  # (W_ih, W_hh) or (W_ih, W_hh, b_ih, b_hh)
        self.steps: List[Tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # each step's (x, h, g_a)

    def finish(self) -> List[Tuple[Tensor, np.ndarray]]:
        """The (weight, gradient) pairs: all the steps' terms summed, one product per chunk."""
        weight_ih, weight_hh = self.weights[0], self.weights[1]
        x, h, g_a = self.steps[0]
        per_chunk = max(1, STACK_NUMBERS // (len(g_a) * max(x.shape[1], h.shape[1])))
        sums: Dict[Tensor, np.ndarray] = {}

        def add(weight: Tensor, part: np.ndarray) -> None:
            if weight in sums:
                sums[weight] += part
            else:
                sums[weight] = part

        for start in range(0, len(self.steps), per_chunk):
            chunk = self.steps[start : start + per_chunk]
            G = np.concatenate([g_a for _, _, g_a in chunk])  # (steps*batch, hidden)
            if weight_ih.requires_grad:
                X = np.concatenate([x for x, _, _ in chunk])  # (steps*batch, input)
                add(weight_ih, G.T.dot(X))  # (hidden, steps*batch) @ (steps*batch, input)
            if weight_hh.requires_grad:
                H = np.concatenate([h for _, h, _ in chunk])  # (steps*batch, hidden)
                add(weight_hh, G.T.dot(H))  # (hidden, steps*batch) @ (steps*batch, hidden)
            if len(self.weights) == 4:  # the column sums, as a product with a row of ones
                column_sums = np.ones(len(G), dtype=G.dtype).dot(G)  # (steps*batch,) @ G -> (hidden,)
                for bias in self.weights[2:]:
                    if bias.requires_grad:
                        add(bias, column_sums.copy())  # a copy each: no two biases share an array
        return list(sums.items())


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

    def __call__(self, x: Union[Tensor, np.ndarray], h: Union[Tensor, np.ndarray, None] = None) -> Tensor:
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

    def named_parameters(self) -> List[Tuple[str, Parameter]]:
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias_ih is not None else [])
        return [(name, getattr(self, name)) for name in names]

    def __repr__(self) -> str:
        extra = "" if self.bias_ih is not None else ", bias=False"
        extra += "" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity!r}"
        return f"RNNCell({self.input_size}, {self.hidden_size}{extra})"
