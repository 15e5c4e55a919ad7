"""Batch normalisation layers: ``BatchNorm1d`` for (N, C) and (N, C, L), ``BatchNorm2d`` for
(N, C, H, W), with PyTorch's names, defaults, buffers and modes.

Training mode (``model.train()``, the default) normalises each channel with the batch's mean
and biased variance and moves the running statistics towards them:

    running_mean = (1 - momentum) * running_mean + momentum * batch mean
    running_var  = (1 - momentum) * running_var  + momentum * batch variance * M / (M - 1)

(the unbiased variance of the channel's M values; ``momentum=None``: the plain average of all
batches so far). Evaluation mode (``model.eval()``) uses the running statistics instead, so an
example's output no longer depends on the rest of its batch. The backward rule is in
tensor_norm.py.

>>> import numpy as np
>>> from tinygrad_edu import Tensor, nn
>>> bn = nn.BatchNorm1d(2)
>>> y = bn(Tensor(np.array([[1.0, 10.0], [3.0, 30.0]])))
>>> y.data.round(4).tolist(), bn.running_mean.tolist(), int(bn.num_batches_tracked)
([[-1.0, -1.0], [1.0, 1.0]], [0.2, 2.0], 1)
>>> [name for name in bn.state_dict()]
['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
"""

from __future__ import annotations

import numbers
from typing import Optional, Tuple, Union

import numpy as np

from ..tensor import Tensor
from ..tensor_norm import batch_norm
from .layers import _as_tensor, _check_size
from .module import Module


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share; they differ only in the input ranks allowed."""

    ranks: Tuple[int, ...] = ()
    layout = ""
    running_mean: np.ndarray  # (C,) buffers, made by register_buffer in __init__
    running_var: np.ndarray
    num_batches_tracked: np.ndarray  # 0-d int64, as in PyTorch

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1) -> None:
        super().__init__()
        _check_size("num_features", num_features)
        for name, value in (("eps", eps), ("momentum", momentum)):
            if value is None and name == "momentum":
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"{name} must be a number, got {type(value).__name__}")
        if not eps > 0:
            raise ValueError(f"eps must be > 0, got {eps}")
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"momentum must be in [0, 1] (or None), got {momentum}")
        self.num_features = int(num_features)
        self.eps = float(eps)
        self.momentum = None if momentum is None else float(momentum)
        self.weight = Tensor(np.ones(self.num_features), requires_grad=True, label="weight")  # gamma
        self.bias = Tensor(np.zeros(self.num_features), requires_grad=True, label="bias")  # beta
        self.register_buffer("running_mean", np.zeros(self.num_features))
        self.register_buffer("running_var", np.ones(self.num_features))
        self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))

    def forward(self, x: Union[Tensor, np.ndarray]) -> Tensor:
        name = type(self).__name__
        x = _as_tensor(x, name)
        if x.ndim not in self.ranks:
            raise ValueError(f"{name}: input must be {self.layout}, got shape {x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{name}({self.num_features}): input of shape {x.shape} has {x.shape[1]} "
                f"channels (axis 1), but num_features is {self.num_features}"
            )
        if not self.training:
            return batch_norm(
                x, self.weight, self.bias, (self.running_mean, self.running_var), False, self.eps
            )
        M = x.data.size // self.num_features  # values per channel
        if M <= 1:
            raise ValueError(
                f"{name}: expected more than 1 value per channel when training, got input of "
                f"shape {x.shape} (use a batch of at least 2, or model.eval())"
            )
        out = batch_norm(x, self.weight, self.bias, None, True, self.eps)
        mean, var = out._ctx[5], out._ctx[6]  # the batch statistics the node used
        self.num_batches_tracked += 1  # in place: the buffer array stays the same object
        m = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        self.running_mean *= 1.0 - m
        self.running_mean += m * mean
        self.running_var *= 1.0 - m
        self.running_var += m * var * (M / (M - 1))  # the unbiased variance
        return out

    def extra_repr(self) -> str:  # PyTorch 2.13's wording (always affine, with a bias, and tracking)
        settings = (
            f"eps={self.eps}, momentum={self.momentum}, affine=True, bias=True, track_running_stats=True"
        )
        return f"{self.num_features}, {settings}"


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) features or (N, C, L) sequences, per channel C: see the
    module docstring. ``weight`` (ones) and ``bias`` (zeros) are parameters; ``running_mean``,
    ``running_var`` and ``num_batches_tracked`` are buffers (in ``state_dict()``).

    >>> bn = BatchNorm1d(3).eval()                    # running statistics 0 and 1: y = x
    >>> bn(Tensor(np.ones((4, 3)))).data[0].round(4).tolist()
    [1.0, 1.0, 1.0]
    """

    ranks = (2, 3)
    layout = "2-D (N, C) or 3-D (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) images, per channel: each channel's mean and variance
    are taken over the batch and every pixel (M = N*H*W values). See ``BatchNorm1d``.

    >>> bn = BatchNorm2d(8)
    >>> y = bn(Tensor(np.random.default_rng(0).normal(5.0, 3.0, (4, 8, 6, 6))))
    >>> abs(round(float(y.data.mean()), 6)), round(float(y.data.std()), 3)
    (0.0, 1.0)
    """

    ranks = (4,)
    layout = "4-D (N, C, H, W)"
