"""Neurons, layers and MLPs on scalar Values, in micrograd's layout.

A neuron computes y = phi(w . x + b): a weighted sum of its inputs plus a bias, passed
through an activation function phi. A layer is a list of neurons that all see the same
inputs; an MLP is a list of layers, each feeding the next.
"""

from __future__ import annotations

import random
from typing import List, Optional, Sequence, Union

from ..value import Value
from .module import Module

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
Scalar = Union[Value, float]


def _check_activation(activation: str) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")


def _check_nonlin(nonlin: object) -> None:
    if not isinstance(nonlin, bool):
        raise TypeError(
            f"nonlin is True or False (False: a linear neuron), got {type(nonlin).__name__}; "
            f"to choose the function, use activation=, e.g. activation='tanh'"
        )


def _check_size(name: str, n: object) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name} must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"{name} must be at least 1, got {n}")


class Neuron(Module):
    """One neuron: y = phi(w . x + b), weights drawn from U(-1, 1), bias 0 (as in micrograd).

    ``activation`` is 'relu' (default), 'tanh', 'sigmoid' or 'linear'; ``nonlin=False`` means
    linear (``nonlin`` is only True or False, as in micrograd). Seed Python's ``random`` module
    for reproducible weights.

    >>> n = Neuron(2, activation='tanh')
    >>> y = n([1.0, -2.0]); type(y).__name__, -1 < y.data < 1
    ('Value', True)
    """

    def __init__(self, nin: int, nonlin: bool = True, activation: str = "relu") -> None:
        super().__init__()
        _check_size("nin", nin)
        _check_nonlin(nonlin)
        _check_activation(activation)
        self.w = [Value(random.uniform(-1.0, 1.0), label=f"w{i + 1}") for i in range(nin)]
        self.b = Value(0.0, label="b")
        self.activation = activation if nonlin else "linear"

    def forward(self, x: Sequence[Scalar]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"this Neuron takes {len(self.w)} inputs, got {len(x)}")
        act = self.b
        for wi, xi in zip(self.w, x, strict=True):
            act = act + wi * xi  # w . x + b, one multiply-add per input
        if self.activation == "relu":
            return act.relu()
        if self.activation == "tanh":
            return act.tanh()
        if self.activation == "sigmoid":
            return act.sigmoid()
        return act

    def extra_repr(self) -> str:
        return f"{len(self.w)}, activation={self.activation!r}"


class Layer(Module):
    """``nout`` neurons that all read the same ``nin`` inputs: h = phi(W x + b).

    Returns one Value when ``nout == 1``, else a list of Values.

    >>> len(Layer(3, 4)([1.0, 2.0, 3.0]))
    4
    """

    def __init__(self, nin: int, nout: int, nonlin: bool = True, activation: str = "relu") -> None:
        super().__init__()
        _check_size("nout", nout)
        self.neurons = [Neuron(nin, nonlin=nonlin, activation=activation) for _ in range(nout)]

    def outputs(self, x: Sequence[Scalar]) -> List[Value]:
        """Every neuron's output as a list, even for one neuron."""
        return [n(x) for n in self.neurons]

    def forward(self, x: Sequence[Scalar]) -> Union[Value, List[Value]]:
        out = self.outputs(x)
        return out[0] if len(out) == 1 else out


class MLP(Module):
    """A multi-layer perceptron: ``MLP(2, [16, 16, 1])`` is 2 inputs -> 16 -> 16 -> 1 output.

    Hidden layers use ``activation`` (default 'relu'); the last layer is linear, as in
    micrograd, so its output can be any real number (a score, or a regression value), unless
    ``last_activation`` names its function too (``'tanh'`` for an MLP that is tanh throughout).

    >>> model = MLP(2, [4, 1], activation='tanh', last_activation='tanh')
    >>> type(model([0.5, -1.0])).__name__, len(model.layers), model.layers[-1].neurons[0].activation
    ('Value', 2, 'tanh')
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        nonlin: bool = True,
        last_activation: Optional[str] = None,
    ) -> None:
        super().__init__()
        if isinstance(nouts, int) or not len(nouts):
            raise TypeError(f"nouts must be a non-empty list of layer sizes, e.g. [16, 1], got {nouts!r}")
        _check_nonlin(nonlin)
        if last_activation is not None:
            _check_activation(last_activation)
        sizes = [nin] + list(nouts)
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=nonlin, activation=activation)
            if i != last
            else Layer(sizes[i], sizes[i + 1], nonlin=nonlin, activation=last_activation or "linear")
            for i in range(len(nouts))
        ]

    def forward(self, x: Sequence[Scalar]) -> Union[Value, List[Value]]:
        h: Sequence[Scalar] = x
        outs: List[Value] = []
        for layer in self.layers:
            y = layer(h)  # called, not .outputs(): forward hooks see every layer
            outs = [y] if isinstance(y, Value) else y  # a layer of one neuron returns one Value
            h = outs  # each layer's outputs are the next layer's inputs
        return outs[0] if len(outs) == 1 else outs
