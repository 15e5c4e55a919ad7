"""Tensor layers: ``Linear``, ``Sequential`` to chain modules, ``Dropout`` and ``Residual`` (a
skip connection); the activation modules are in activations.py.

A layer computes h = phi(x @ W.T + b) for a whole batch at once: ``x`` has one row per
example (shape (batch, nin)), ``W`` one row per output unit (shape (nout, nin), as in PyTorch
and the lectures' Wx + b), ``b`` one entry per output unit.

>>> import numpy as np
>>> from tinygrad_edu import Tensor, nn
>>> np.random.seed(0)
>>> model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
>>> model(Tensor(np.ones((5, 2)))).shape
(5, 1)
>>> [name for name, p in model.named_parameters()]
['0.weight', '0.bias', '2.weight', '2.bias']
"""

from __future__ import annotations

import math
from typing import Iterator, List, Optional, Tuple, Union

import numpy as np

from ..tensor import BACKWARD_RULES, RandomSource, Tensor, random_source
from .module import Module


def linear(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """x @ weight.T + bias, computed as ONE graph node (op ``'linear'``).

    ``x`` is (..., nin), ``weight`` (nout, nin), ``bias`` (nout,); the result is (..., nout).
    The same numbers as the three-node expression ``x @ weight.T + bias``, but one node
    instead of three makes a training step measurably faster, and the backward rule below
    shows all three gradients of a layer in one place.

    >>> x, W, b = Tensor([[1.0, 2.0]]), Tensor([[3.0, 4.0]], requires_grad=True), Tensor([0.5])
    >>> y = linear(x, W, b); y.backward(np.ones((1, 1)))
    >>> y.data.tolist(), W.grad.tolist()
    ([[11.5]], [[1.0, 2.0]])
    """
    nout, nin = weight.data.shape
    if x.data.shape[-1:] != (nin,):
        raise ValueError(
            f"linear: input of shape {x.shape} does not fit weight of shape "
            f"{weight.shape}: the input's last axis must have size {nin}"
        )
    data = x.data @ weight.data.T  # (..., nin) @ (nin, nout) -> (..., nout)
    if bias is None:
        return Tensor._result(data, (x, weight), "linear")
    data += bias.data  # the bias is added to every row
    return Tensor._result(data, (x, weight, bias), "linear")


def _linear_backward(out: Tensor, g: np.ndarray) -> None:
    # y = x @ W.T + b, with g = dL/dy of shape (..., nout):
    #   dL/dx = g @ W          (..., nout) @ (nout, nin) -> (..., nin)
    #   dL/dW = g.T @ x        (nout, rows) @ (rows, nin) -> (nout, nin): summed over the rows
    #   dL/db = sum of g over the rows (b was broadcast to every row)
    x, weight = out._prev[0], out._prev[1]
    g_rows = g.reshape(-1, g.shape[-1])  # every leading axis is a batch of rows
    if weight.requires_grad:
        weight._add_grad(g_rows.T @ x.data.reshape(-1, x.data.shape[-1]))
    if len(out._prev) == 3 and out._prev[2].requires_grad:
        out._prev[2]._add_grad(g_rows.sum(axis=0))
    if x.requires_grad:
        x._add_grad(g @ weight.data)


BACKWARD_RULES["linear"] = _linear_backward  # the engine's table gets the fused layer's rule


def _as_tensor(x: object, who: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return Tensor(x)
    raise TypeError(f"{who} takes a Tensor (or a numpy array), got {type(x).__name__}")


def _check_size(name: str, n: object) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"{name} must be at least 1, got {n}")


class Linear(Module):
    """A fully connected layer: y = x @ W.T + b, for x of shape (batch, nin) (or (nin,)).

    ``weight`` is (nout, nin) and ``bias`` (nout,), both drawn from U(-1/sqrt(nin),
    1/sqrt(nin)) as in PyTorch. They come from numpy's global random generator, so
    ``np.random.seed(0)`` makes them reproducible; or pass ``rng`` (an int seed or a
    ``numpy.random.Generator``).

    >>> layer = Linear(3, 2, rng=0)
    >>> layer.weight.shape, layer.bias.shape, layer(Tensor(np.ones((4, 3)))).shape
    ((2, 3), (2,), (4, 2))
    """

    def __init__(self, nin: int, nout: int, bias: bool = True, *, rng: RandomSource = None) -> None:
        super().__init__()
        _check_size("nin", nin)
        _check_size("nout", nout)
        if type(bias) is not bool:
            raise TypeError(f"bias must be True or False, got {type(bias).__name__}")
        uniform = random_source(rng, "Linear").uniform
        bound = 1.0 / math.sqrt(nin)
        self.nin, self.nout = int(nin), int(nout)
        self.weight = Tensor(uniform(-bound, bound, size=(nout, nin)), requires_grad=True, label="weight")
        self.bias = (
            Tensor(uniform(-bound, bound, size=(nout,)), requires_grad=True, label="bias") if bias else None
        )

    @property
    def in_features(self) -> int:
        """PyTorch's name for ``nin``."""
        return self.nin

    @property
    def out_features(self) -> int:
        """PyTorch's name for ``nout``."""
        return self.nout

    def forward(self, x: Union[Tensor, np.ndarray]) -> Tensor:
        return linear(_as_tensor(x, "Linear"), self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.nin}, out_features={self.nout}, bias={self.bias is not None}"


class Sequential(Module):
    """Modules applied one after another: ``Sequential(a, b, c)(x)`` is ``c(b(a(x)))``.

    Parameters are named by position, as in PyTorch: '0.weight', '0.bias', '2.weight', ...

    >>> net = Sequential(Linear(4, 3), Dropout(0.1), Linear(3, 1))
    >>> len(net), len(net.parameters()), net(Tensor(np.zeros((2, 4)))).shape
    (3, 4, (2, 1))
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(
                    f"Sequential takes modules (Linear, ReLU, ...); argument {i} is a {type(m).__name__}"
                )
        self._layers = list(modules)  # not `modules`: that is Module.modules()

    def forward(self, x: Union[Tensor, np.ndarray]) -> Tensor:
        out = _as_tensor(x, "Sequential")
        for module in self._layers:
            out = module(out)  # each module's output is the next one's input
        return out

    def named_children(self) -> List[Tuple[str, Module]]:
        return [(str(i), m) for i, m in enumerate(self._layers)]  # '0', '1', ... as in PyTorch

    def __getitem__(self, i: int) -> Module:
        return self._layers[i]

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers)


def dropout(x: Tensor, mask: np.ndarray) -> Tensor:
    """x * mask as ONE graph node (op ``'dropout'``); the mask is a constant, not a parameter.

    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> y = dropout(x, np.array([0.0, 2.0])); y.backward(np.ones(2))
    >>> y.data.tolist(), x.grad.tolist()
    ([0.0, 4.0], [0.0, 2.0])
    """
    return Tensor._result(x.data * mask, (x,), "dropout", mask)


def _dropout_backward(out: Tensor, g: np.ndarray) -> None:
    # y = x * mask: dL/dx = g * mask, so a dropped entry (mask 0) gets no gradient and a kept
    # one gets the same 1/(1-p) scale as its value
    out._prev[0]._add_grad(g * out._ctx)


BACKWARD_RULES["dropout"] = _dropout_backward


class Dropout(Module):
    """Inverted dropout: in training mode each entry is zeroed with probability ``p`` and the
    survivors are scaled by 1/(1-p), so the expected value stays x; in evaluation mode
    (``model.eval()``) it is the identity. As PyTorch's ``nn.Dropout``.

    Each call draws a new mask. ``rng`` (an int seed or a numpy Generator) makes the masks
    repeatable; without it they come from numpy's global generator.

    >>> drop = Dropout(p=0.5, rng=0)
    >>> sorted(set(drop(Tensor(np.ones(100))).data.tolist()))   # dropped, or scaled by 1/(1 - 0.5)
    [0.0, 2.0]
    >>> drop.eval()(Tensor(np.ones(3))).data.tolist()
    [1.0, 1.0, 1.0]
    """

    def __init__(self, p: float = 0.5, rng: RandomSource = None) -> None:
        if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)):
            raise TypeError(f"Dropout: p must be a number, got {type(p).__name__}")
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p is the probability of dropping an entry, in [0, 1); got {p}")
        self.p = float(p)
        self._random = random_source(rng, "Dropout").random

    def forward(self, x: Union[Tensor, np.ndarray]) -> Tensor:
        x = _as_tensor(x, "Dropout")
        if not self.training or self.p == 0.0:
            return x  # the identity: nothing to drop
        keep = self._random(x.data.shape) >= self.p  # True with probability 1 - p
        mask = keep * np.asarray(1.0 / (1.0 - self.p), dtype=x.data.dtype)  # 0 or 1/(1-p)
        return dropout(x, mask)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace=False"  # PyTorch's wording (there is no in-place dropout here)


class Residual(Module):
    """A skip connection: ``Residual(f)(x)`` is x + f(x), so f only learns a correction to x.

    The inner module is named ``module`` (its parameters are 'module.weight', ...). f must
    keep the shape of x.

    >>> block = Residual(Linear(2, 2, rng=np.random.default_rng(0)))
    >>> block(Tensor(np.zeros((3, 2)))).shape, [name for name, _ in block.named_parameters()]
    ((3, 2), ['module.weight', 'module.bias'])
    """

    def __init__(self, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError(f"Residual takes a module (Linear, Sequential, ...), got {type(module).__name__}")
        self.module = module

    def forward(self, x: Union[Tensor, np.ndarray]) -> Tensor:
        x = _as_tensor(x, "Residual")
        fx = self.module(x)
        inner = type(self.module).__name__
        if not isinstance(fx, Tensor):
            raise TypeError(f"Residual: the inner {inner} returned a {type(fx).__name__}, not a Tensor")
        if fx.data.shape != x.data.shape:
            raise ValueError(
                f"Residual: the inner {inner} turned input of shape {x.shape} into shape "
                f"{fx.shape}; x + f(x) needs f to keep the shape"
            )
        return x + fx
