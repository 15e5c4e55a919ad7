"""Layers that change an image's size without weights: ``AvgPool2d``, ``AdaptiveAvgPool2d``
(global average pooling, the end of a ResNet) and ``Upsample`` (the other way, in a decoder).

>>> import numpy as np
>>> from tinygrad_edu import Tensor, nn
>>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
>>> nn.AdaptiveAvgPool2d(1)(x).data.tolist()      # one number per channel: the mean
[[[[7.5]]]]
>>> nn.Upsample(scale_factor=2)(nn.AvgPool2d(2)(x)).shape
(1, 1, 4, 4)
"""

from __future__ import annotations

import numbers
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from ..tensor import Tensor
from ..tensor_conv import IntPair, _pair
from ..tensor_pool import upsample_nearest2d
from .layers import _as_tensor
from .module import Module


def _images(x: object, who: str) -> Tensor:
    t = _as_tensor(x, who)
    if t.ndim != 4:
        raise ValueError(f"{who}: input must be 4-D (N, C, H, W), got shape {t.shape}")
    return t


class AvgPool2d(Module):
    """Average pooling as a module: ``x.avg_pool2d(kernel_size, stride)``; ``stride`` defaults
    to the kernel size.

    >>> AvgPool2d(2)(Tensor(np.arange(16.0).reshape(1, 1, 4, 4))).data.tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """

    def __init__(self, kernel_size: IntPair, stride: Optional[IntPair] = None) -> None:
        self.kernel_size = _pair("kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else _pair("stride", stride, 1)

    def forward(self, x: Union[Tensor, np.ndarray]) -> Tensor:
        return _as_tensor(x, "AvgPool2d").avg_pool2d(self.kernel_size, self.stride)

    def extra_repr(self) -> str:  # PyTorch's wording; a square size shows as one number
        kernel, stride = (p[0] if p[0] == p[1] else p for p in (self.kernel_size, self.stride))
        return f"kernel_size={kernel}, stride={stride}, padding=0"


class AdaptiveAvgPool2d(Module):
    """Global average pooling: (N, C, H, W) -> (N, C, 1, 1), the mean of each channel over the
    whole image, whatever its size (PyTorch's ``AdaptiveAvgPool2d(1)``; only an output size of
    1 is provided). A ResNet ends with it, so its classifier sees C numbers, not C*H*W.

    >>> AdaptiveAvgPool2d(1)(Tensor(np.ones((2, 3, 5, 7)))).shape
    (2, 3, 1, 1)
    """

    def __init__(self, output_size: Union[int, Tuple[int, int]] = 1) -> None:
        if _pair("output_size", output_size, 1) != (1, 1):
            raise ValueError(f"AdaptiveAvgPool2d: only output_size=1 is provided, got {output_size!r}")
        self.output_size = 1

    def forward(self, x: Union[Tensor, np.ndarray]) -> Tensor:
        t = _images(x, "AdaptiveAvgPool2d")
        return t.avg_pool2d(t.shape[2:])  # one window: the whole image

    def extra_repr(self) -> str:
        return "output_size=1"


def _scale(value: Union[float, Sequence[float]]) -> Tuple[int, int]:
    """An integer scale factor (or an (h, w) pair of them); 2.0 is 2, 1.5 is a ValueError."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2:
        raise ValueError(f"Upsample: scale_factor must be a number or an (h, w) pair, got {value!r}")
    scale = []
    for s in pair:
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, numbers.Real):
            raise TypeError(f"Upsample: scale_factor must be a number, got {type(s).__name__}")
        s = float(s)
        if s != int(s) or s < 1:
            raise ValueError(
                f"Upsample: scale_factor must be a whole number >= 1 (nearest copies each pixel "
                f"into an s x s block), got {value!r}"
            )
        scale.append(int(s))
    return scale[0], scale[1]


class Upsample(Module):
    """Nearest-neighbour upsampling by a whole-number factor: (N, C, H, W) -> (N, C, H*s, W*s),
    each pixel copied into an s x s block (PyTorch's ``nn.Upsample(scale_factor=s)``). No
    weights: the learned alternative is ``ConvTranspose2d``.

    >>> Upsample(scale_factor=2)(Tensor(np.array([[[[1.0, 2.0]]]]))).data.tolist()
    [[[[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]]]
    """

    def __init__(self, scale_factor: Union[float, Sequence[float]], mode: str = "nearest") -> None:
        if mode != "nearest":
            raise ValueError(f"Upsample: only mode='nearest' is provided, got {mode!r}")
        self.scale_factor = _scale(scale_factor)
        self.mode = mode

    def forward(self, x: Union[Tensor, np.ndarray]) -> Tensor:
        return upsample_nearest2d(_images(x, "Upsample"), self.scale_factor)

    def extra_repr(self) -> str:  # PyTorch shows the factor as a float, a pair as a tuple
        sh, sw = (float(s) for s in self.scale_factor)
        return f"scale_factor={sh if sh == sw else (sh, sw)}, mode='nearest'"
