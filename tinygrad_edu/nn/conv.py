"""Layers for images: ``Conv2d``, ``ConvTranspose2d``, ``MaxPool2d`` and ``Flatten``, in PyTorch's layout.

A LeNet-style network is convolution -> ReLU -> pooling, twice, then ``Flatten`` and a
``Linear`` classifier. Images are NCHW: (batch, channels, height, width).

>>> import numpy as np
>>> from tinygrad_edu import Tensor, nn
>>> net = nn.Sequential(
...     nn.Conv2d(1, 4, 3, padding=1, rng=0), nn.ReLU(), nn.MaxPool2d(2),   # (5, 4, 4, 4)
...     nn.Flatten(), nn.Linear(4 * 4 * 4, 10))                             # (5, 64) -> (5, 10)
>>> net(Tensor(np.zeros((5, 1, 8, 8)))).shape
(5, 10)
>>> [name for name, _ in net.named_parameters()]
['0.weight', '0.bias', '4.weight', '4.bias']
"""

from __future__ import annotations

import math
from typing import Optional, Tuple, Union

import numpy as np

from ..tensor import RandomSource, Tensor, random_source
from ..tensor_conv import IntPair, _pair
from .layers import _as_tensor, _check_size
from .module import Module


class _Convolution(Module):
    """What ``Conv2d`` and ``ConvTranspose2d`` share: checked sizes, a weight and a bias drawn
    from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's range), and PyTorch's words in ``repr``."""

    in_channels: int
    out_channels: int
    kernel_size: Tuple[int, int]
    stride: Tuple[int, int]
    padding: Tuple[int, int]
    weight: Tensor
    bias: Optional[Tensor]

    def _set_up(
        self,
        who: str,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair,
        stride: IntPair,
        padding: IntPair,
        bias: bool,
        rng: RandomSource,
        transposed: bool,
    ) -> None:
        # the weight is (out, in, kh, kw) for a convolution and (in, out, kh, kw) for a
        # transposed one; PyTorch's fan-in is the weight's second axis times kh * kw in both
        _check_size("in_channels", in_channels)
        _check_size("out_channels", out_channels)
        if type(bias) is not bool:
            raise TypeError(f"bias must be True or False, got {type(bias).__name__}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _pair("kernel_size", kernel_size, 1)
        self.stride = _pair("stride", stride, 1)
        self.padding = _pair("padding", padding, 0)
        kh, kw = self.kernel_size
        channels = (
            (self.in_channels, self.out_channels) if transposed else (self.out_channels, self.in_channels)
        )
        uniform = random_source(rng, who).uniform
        bound = 1.0 / math.sqrt(channels[1] * kh * kw)  # 1 / sqrt(fan_in)
        self.weight = Tensor(
            uniform(-bound, bound, size=(*channels, kh, kw)), requires_grad=True, label="weight"
        )
        self.bias = None
        if bias:
            b = uniform(-bound, bound, size=(self.out_channels,))
            self.bias = Tensor(b, requires_grad=True, label="bias")

    def extra_repr(self) -> str:  # PyTorch's: padding only when there is some, bias only when off
        padding = "" if self.padding == (0, 0) else f", padding={self.padding}"
        output_padding = getattr(self, "output_padding", (0, 0))
        padding += "" if output_padding == (0, 0) else f", output_padding={output_padding}"
        bias = "" if self.bias is not None else ", bias=False"
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}{padding}{bias}"
        )


class Conv2d(_Convolution):
    """A 2-D convolution layer: ``x.conv2d(weight, bias, stride, padding)`` with its own weights.

    ``weight`` is (out_channels, in_channels, kh, kw) and ``bias`` (out_channels,), both drawn
    from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels * kh * kw, PyTorch's
    default range. ``kernel_size``, ``stride`` and ``padding`` are ints or (h, w) pairs;
    ``rng`` (an int seed or a ``numpy.random.Generator``) makes the weights repeatable,
    otherwise numpy's global generator draws them.

    >>> conv = Conv2d(3, 8, kernel_size=(3, 5), padding=(1, 2), rng=0)
    >>> conv.weight.shape, conv.bias.shape, conv(Tensor(np.zeros((2, 3, 6, 6)))).shape
    ((8, 3, 3, 5), (8,), (2, 8, 6, 6))
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair,
        stride: IntPair = 1,
        padding: IntPair = 0,
        bias: bool = True,
        rng: RandomSource = None,
    ) -> None:
        self._set_up(
            "Conv2d",
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            bias,
            rng,
            transposed=False,
        )

    def forward(self, x: Union[Tensor, np.ndarray]) -> Tensor:
        return _as_tensor(x, "Conv2d").conv2d(self.weight, self.bias, self.stride, self.padding)


class ConvTranspose2d(_Convolution):
    """A transposed convolution layer (learned upsampling, as in a U-Net's decoder):
    ``x.conv_transpose2d(weight, bias, stride, padding, output_padding)`` with its own weights.

    ``weight`` is (in_channels, out_channels, kh, kw) and ``bias`` (out_channels,), both drawn
    from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = out_channels * kh * kw, PyTorch's
    range (its init reads the weight's second axis as the fan-in). With kernel_size = stride =
    2 it doubles the height and the width.

    >>> up = ConvTranspose2d(16, 8, kernel_size=2, stride=2, rng=0)
    >>> up.weight.shape, up(Tensor(np.zeros((1, 16, 4, 4)))).shape
    ((16, 8, 2, 2), (1, 8, 8, 8))
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair,
        stride: IntPair = 1,
        padding: IntPair = 0,
        output_padding: IntPair = 0,
        bias: bool = True,
        rng: RandomSource = None,
    ) -> None:
        self.output_padding = _pair("output_padding", output_padding, 0)
        stride_pair = _pair("stride", stride, 1)
        if self.output_padding[0] >= stride_pair[0] or self.output_padding[1] >= stride_pair[1]:
            raise ValueError(
                f"ConvTranspose2d: output_padding {self.output_padding} must be smaller than "
                f"the stride {stride_pair}"
            )  # checked before any weight is drawn
        self._set_up(
            "ConvTranspose2d",
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            bias,
            rng,
            transposed=True,
        )

    def forward(self, x: Union[Tensor, np.ndarray]) -> Tensor:
        x = _as_tensor(x, "ConvTranspose2d")
        return x.conv_transpose2d(self.weight, self.bias, self.stride, self.padding, self.output_padding)


class MaxPool2d(Module):
    """Max-pooling as a module: ``x.max_pool2d(kernel_size, stride)``; ``stride`` defaults to
    the kernel size, so the windows tile the image.

    >>> MaxPool2d(2)(Tensor(np.arange(16.0).reshape(1, 1, 4, 4))).data.tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """

    def __init__(self, kernel_size: IntPair, stride: Optional[IntPair] = None) -> None:
        self.kernel_size = _pair("kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else _pair("stride", stride, 1)

    def forward(self, x: Union[Tensor, np.ndarray]) -> Tensor:
        return _as_tensor(x, "MaxPool2d").max_pool2d(self.kernel_size, self.stride)

    def extra_repr(self) -> str:  # PyTorch's wording; a square size shows as one number
        kernel, stride = (p[0] if p[0] == p[1] else p for p in (self.kernel_size, self.stride))
        return f"kernel_size={kernel}, stride={stride}, padding=0, dilation=1, ceil_mode=False"


class Flatten(Module):
    """Axes ``start_dim`` .. ``end_dim`` (both included) into one, as PyTorch's ``nn.Flatten``;
    by default every axis after the first: (N, C, H, W) -> (N, C*H*W), for a ``Linear`` next.

    The entries go in NCHW order (channel, then row, then column), as in PyTorch, so a
    ``Linear`` after it has the same weights in both.

    >>> Flatten()(Tensor(np.zeros((2, 3, 4, 5)))).shape
    (2, 60)
    >>> Flatten(0, 1)(Tensor(np.zeros((2, 3, 4, 5)))).shape
    (6, 4, 5)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        for name, dim in (("start_dim", start_dim), ("end_dim", end_dim)):
            if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
                raise TypeError(f"Flatten: {name} must be an int, got {type(dim).__name__}")
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def forward(self, x: Union[Tensor, np.ndarray]) -> Tensor:
        x = _as_tensor(x, "Flatten")
        ndim = max(x.ndim, 1)  # a 0-d input counts as one axis, as in PyTorch
        start, end = self.start_dim, self.end_dim
        if not (-ndim <= start < ndim and -ndim <= end < ndim):
            raise ValueError(
                f"Flatten(start_dim={start}, end_dim={end}) does not fit an input of shape {x.shape}"
            )
        start, end = start % ndim, end % ndim
        if start > end:
            raise ValueError(f"Flatten: start_dim={self.start_dim} comes after end_dim={self.end_dim}")
        shape = x.shape[:start] + (int(np.prod(x.shape[start : end + 1])),) + x.shape[end + 1 :]
        return x.reshape(shape)  # (..., size of axes start..end together, ...)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
