"""Average pooling and nearest-neighbour upsampling on NCHW images: two ops that undo each
other's shape, each forward next to its backward rule.

``avg_pool2d`` replaces each kh x kw window by its mean (a smaller image); ``upsample_nearest2d``
copies each pixel into an s x s block (a bigger image). Their backward rules are each other,
up to a factor: the gradient of a mean spreads g / (kh*kw) back over the window, and the
gradient of a copy sums the block's gradients. With a kernel as large as the image,
``avg_pool2d`` is the *global average pooling* at the end of a ResNet: one number per channel.

Like tensor_conv.py, the array code works on the batch-last buffer (C, H, W, N) of the NCHW
tensors (see there why), and returns NCHW views.

>>> import numpy as np
>>> from tinygrad_edu import Tensor
>>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
>>> x.avg_pool2d(2).data.tolist()
[[[[2.5, 4.5], [10.5, 12.5]]]]
>>> upsample_nearest2d(x.avg_pool2d(2), (2, 2)).data[0, 0, 0].tolist()
[2.5, 2.5, 4.5, 4.5]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Dict, Optional, Tuple

import numpy as np

from .tensor_conv import IntPair, _batch_last, _check_images, _pair, _tiled, _windows

if TYPE_CHECKING:
    from .tensor import Tensor


# ***** average pooling *****


def avg_pool2d(self: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None) -> Tensor:
    """The mean of each kh x kw window, channel by channel: (N, C, H, W) -> (N, C, H_out,
    W_out), H_out = (H - kh) // stride + 1. ``stride`` defaults to the kernel size; no padding
    (PyTorch's defaults). The idea, as plain loops::

        for h in range(H_out):
            for w in range(W_out):
                out[:, :, h, w] = x[:, :, h*sh : h*sh + kh, w*sw : w*sw + kw].mean(axis=(2, 3))

    >>> import numpy as np
    >>> from tinygrad_edu import Tensor
    >>> x = Tensor(np.arange(4.0).reshape(1, 1, 2, 2), requires_grad=True)
    >>> y = x.avg_pool2d(2); y.backward(np.ones((1, 1, 1, 1)))
    >>> y.data.tolist(), x.grad.tolist()
    ([[[[1.5]]]], [[[[0.25, 0.25], [0.25, 0.25]]]])
    """
    x = self.data
    _check_images("avg_pool2d", x)
    kh, kw = _pair("kernel_size", kernel_size, 1)
    sh, sw = (kh, kw) if stride is None else _pair("stride", stride, 1)
    N, C, H, W = x.shape
    if kh > H or kw > W:
        raise ValueError(f"avg_pool2d: kernel {kh}x{kw} is larger than the input {H}x{W} (shape {x.shape})")
    windows = _windows(_batch_last(x), kh, kw, sh, sw)  # (C, Ho, kh, Wo, kw, N), a view
    pooled = windows.mean(axis=(2, 4))  # (C, Ho, Wo, N): the mean over each window's entries
    data = pooled.transpose(3, 0, 1, 2)  # an (N, C, H_out, W_out) view
    return self._result(data, (self,), "avg_pool2d", (kh, kw, sh, sw))


def avg_pool2d_backward(out: Tensor, g: np.ndarray) -> None:
    # out = (1/k) * (sum of the window's k = kh*kw entries): d(out)/d(entry) = 1/k for every
    # entry of the window, so each window's g / k goes to all its entries (overlaps add up).
    x = out._prev[0]
    kh, kw, sh, sw = out._ctx
    gb = _batch_last(g) / (kh * kw)  # (C, Ho, Wo, N): each window's share per entry
    C, H_out, W_out, N = gb.shape
    H, W = x.data.shape[2:]
    if _tiled(H, W, kh, kw, sh, sw):  # the windows are the image, cut up: copy each share k times
        spread = np.empty((C, H_out, kh, W_out, kw, N), g.dtype)  # window (h, w), entry (i, j)
        np.copyto(spread, gb[:, :, None, :, None])  # broadcasting makes the copies
        dx = spread.reshape(C, H, W, N)  # (C, H, W, N), no copy
    else:  # the adjoint of the windows view: add each share onto the pixels of its window
        dx = np.zeros((C, H, W, N), g.dtype)  # pixels in no window keep 0
        for i in range(kh):
            for j in range(kw):  # (C, Ho, Wo, N) slice of the pixels that offset (i, j) covers
                dx[:, i : i + sh * H_out : sh, j : j + sw * W_out : sw] += gb
    x._add_grad(dx.transpose(3, 0, 1, 2))  # an (N, C, H, W) view


# ***** nearest-neighbour upsampling *****


def upsample_nearest2d(self: Tensor, scale: Tuple[int, int]) -> Tensor:
    """Each pixel copied into an sh x sw block: (N, C, H, W) -> (N, C, H*sh, W*sw), as
    PyTorch's ``nn.Upsample(scale_factor=s, mode='nearest')``: out[n, c, h, w] =
    x[n, c, h // sh, w // sw]. (``nn.Upsample`` checks its arguments and calls this.)

    >>> import numpy as np
    >>> from tinygrad_edu import Tensor
    >>> x = Tensor(np.array([[[[1.0, 2.0]]]]), requires_grad=True)
    >>> y = upsample_nearest2d(x, (2, 2)); y.backward(np.arange(8.0).reshape(1, 1, 2, 4))
    >>> y.data.tolist(), x.grad.tolist()   # 0+1+4+5 and 2+3+6+7
    ([[[[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]]], [[[[10.0, 18.0]]]])
    """
    x = self.data
    _check_images("upsample_nearest2d", x)
    sh, sw = scale
    N, C, H, W = x.shape
    xb = _batch_last(x)[:, :, None, :, None]  # (C, H, 1, W, 1, N), a view
    data = np.empty((C, H, sh, W, sw, N), x.dtype)  # (C, H, sh, W, sw, N): pixel (h, w), copy (i, j)
    np.copyto(data, xb)  # broadcasting makes the copies
    out = data.reshape(C, H * sh, W * sw, N).transpose(3, 0, 1, 2)  # an (N, C, H*sh, W*sw) view
    return self._result(out, (self,), "upsample_nearest2d", (sh, sw))


def upsample_nearest2d_backward(out: Tensor, g: np.ndarray) -> None:
    # out[.., h, w] = x[.., h // sh, w // sw]: each input pixel feeds its sh x sw block with
    # derivative 1, so its gradient is the sum of g over the block.
    x = out._prev[0]
    sh, sw = out._ctx
    C, H, W, N = _batch_last(x.data).shape
    blocks = _batch_last(g).reshape(C, H, sh, W, sw, N)  # (C, H, sh, W, sw, N)
    x._add_grad(blocks.sum(axis=(2, 4)).transpose(3, 0, 1, 2))  # (C, H, W, N) -> an NCHW view


# fmt: off
POOL_BACKWARD_RULES: Dict[str, Callable[[Tensor, np.ndarray], None]] = {
    "avg_pool2d": avg_pool2d_backward,
    "upsample_nearest2d": upsample_nearest2d_backward,
}
# fmt: on
