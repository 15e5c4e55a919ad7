"""Activation functions as modules, for ``Sequential``: ``ReLU``, ``LeakyReLU``, ``Tanh``,
``Sigmoid``, ``Softmax``, ``LogSoftmax``, and ``Identity`` (which does nothing), as in PyTorch.

Each only calls the Tensor op of the same name, whose backward rule lives beside it in
tensor_ops.py.

>>> import numpy as np
>>> from tinygrad_edu import Tensor, nn
>>> nn.Sequential(nn.Linear(2, 3, rng=0), nn.LeakyReLU(0.1), nn.Linear(3, 4, rng=1), nn.Softmax(dim=1))(
...     Tensor(np.ones((5, 2)))).data.sum(axis=1).round(12).tolist()   # each row sums to 1
[1.0, 1.0, 1.0, 1.0, 1.0]
"""

from __future__ import annotations

import numbers
from typing import Any, Union

import numpy as np

from ..tensor import Tensor
from .layers import _as_tensor
from .module import Module


def _check_dim(who: str, dim: object) -> int:
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        got = type(dim).__name__
        raise TypeError(f"{who}: dim must be an int (the axis to normalise, e.g. dim=1), got {got}")
    return int(dim)


def _axis_of(who: str, dim: int, x: Tensor) -> int:
    if not -x.ndim <= dim < x.ndim:
        raise ValueError(f"{who}: dim={dim} is out of range for an input of shape {x.shape}")
    return dim


class Identity(Module):
    """Returns its input unchanged: a placeholder where a layer may or may not be. Arguments
    are accepted and ignored, as in PyTorch, so it can stand in for any layer.

    >>> Identity(54, unused="argument")(Tensor([1.0, 2.0])).data.tolist()
    [1.0, 2.0]
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Union[Tensor, np.ndarray]) -> Tensor:
        return _as_tensor(x, "Identity")


class ReLU(Module):
    """The activation max(0, x) as a module.

    >>> ReLU()(Tensor([-1.0, 2.0])).data.tolist()
    [0.0, 2.0]
    """

    def forward(self, x: Tensor) -> Tensor:
        return _as_tensor(x, "ReLU").relu()


class LeakyReLU(Module):
    """x for x > 0 and ``negative_slope * x`` otherwise, so a unit that is off still passes a
    little gradient (no "dead" ReLUs).

    >>> LeakyReLU(0.1)(Tensor([-2.0, 3.0])).data.tolist()
    [-0.2, 3.0]
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, numbers.Real):
            got = type(negative_slope).__name__
            raise TypeError(f"LeakyReLU: negative_slope must be a number, got {got}")
        self.negative_slope: float = float(negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        return _as_tensor(x, "LeakyReLU").leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Tanh(Module):
    """The activation tanh(x) as a module.

    >>> Tanh()(Tensor([0.0])).data.tolist()
    [0.0]
    """

    def forward(self, x: Tensor) -> Tensor:
        return _as_tensor(x, "Tanh").tanh()


class Sigmoid(Module):
    """The activation 1 / (1 + e**-x) as a module.

    >>> Sigmoid()(Tensor([0.0])).data.tolist()
    [0.5]
    """

    def forward(self, x: Tensor) -> Tensor:
        return _as_tensor(x, "Sigmoid").sigmoid()


class Softmax(Module):
    """softmax along ``dim``: e**x_i / sum_j e**x_j, so the entries along that axis are
    positive and sum to 1 (class probabilities from scores). ``dim`` is required: for a batch
    of rows (N, C) it is 1.

    >>> Softmax(dim=1)(Tensor([[0.0, 0.0]])).data.tolist()
    [[0.5, 0.5]]
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = _check_dim("Softmax", dim)

    def forward(self, x: Tensor) -> Tensor:
        x = _as_tensor(x, "Softmax")
        return x.softmax(_axis_of("Softmax", self.dim, x))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along ``dim``, computed stably as x_i - logsumexp(x) (never log of 0).

    >>> LogSoftmax(dim=1)(Tensor([[0.0, 0.0]])).data.round(6).tolist()
    [[-0.693147, -0.693147]]
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = _check_dim("LogSoftmax", dim)

    def forward(self, x: Tensor) -> Tensor:
        x = _as_tensor(x, "LogSoftmax")
        return x.log_softmax(_axis_of("LogSoftmax", self.dim, x))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
