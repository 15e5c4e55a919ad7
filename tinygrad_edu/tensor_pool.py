"""Pooling (max and average) and nearest-neighbour upsampling on NCHW images, each forward
next to its backward rule.

``max_pool2d`` keeps the largest value of each kh x kw window, and its gradient goes to that
one entry. ``avg_pool2d`` replaces each kh x kw window by its mean (a smaller image); ``upsample_nearest2d``
copies each pixel into an s x s block (a bigger image). Their backward rules are each other,
up to a factor: the gradient of a mean spreads g / (kh*kw) back over the window, and the
gradient of a copy sums the block's gradients. With a kernel as large as the image,
``avg_pool2d`` is the *global average pooling* at the end of a ResNet: one number per channel.

Like tensor_conv.py, the array code works on the batch-last buffer (C, H, W, N) of the NCHW
tensors (see there why), and returns NCHW views.

>>> import numpy as np
>>> from tinygrad_edu import Tensor
>>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
>>> x.max_pool2d(2).data.tolist()
[[[[5.0, 7.0], [13.0, 15.0]]]]
>>> x.avg_pool2d(2).data.tolist()
[[[[2.5, 4.5], [10.5, 12.5]]]]
>>> upsample_nearest2d(x.avg_pool2d(2), (2, 2)).data[0, 0, 0].tolist()
[2.5, 2.5, 4.5, 4.5]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Dict, Optional, Tuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .tensor_conv import IntPair, _batch_last, _check_images, _pair

if TYPE_CHECKING:
    from .tensor import Tensor


# ***** max-pooling *****


def max_pool2d(self: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None) -> Tensor:
    """The largest value of each kh x kw window, channel by channel: (N, C, H, W) ->
    (N, C, H_out, W_out), H_out = (H - kh) // stride + 1. ``stride`` defaults to the kernel
    size (windows side by side, no overlap); no padding.

    The gradient goes to the maximum of each window. Ties: when several entries of a window
    share the maximum, the first one in row-major order gets the whole gradient, as in
    PyTorch (so the results match it exactly, ties included). A window holding nan gives nan.

    >>> import numpy as np
    >>> from tinygrad_edu import Tensor
    >>> x = Tensor(np.array([[[[1.0, 2.0], [4.0, 3.0]]]]), requires_grad=True)
    >>> y = x.max_pool2d(2); y.backward(np.ones((1, 1, 1, 1)))
    >>> y.data.tolist(), x.grad.tolist()
    ([[[[4.0]]]], [[[[0.0, 0.0], [1.0, 0.0]]]])
    """
    kh, kw, sh, sw = _pooling_sizes("max_pool2d", self.data, kernel_size, stride)
    windows = _windows(_batch_last(self.data), kh, kw, sh, sw)  # (C, Ho, kh, Wo, kw, N), a view
    offsets = [(i, j) for i in range(kh) for j in range(kw)]  # inside a window, row-major
    pooled = windows[:, :, 0, :, 0].copy()  # (C, Ho, Wo, N): offset (0, 0) of every window
    for i, j in offsets[1:]:  # a running maximum over the other offsets
        np.maximum(pooled, windows[:, :, i, :, j], out=pooled)  # (C, Ho, Wo, N)
    # where each window's maximum is, for the backward pass (the first one, on a tie)
    is_max = _first_maxima(windows, pooled) if self.requires_grad else None
    data = pooled.transpose(3, 0, 1, 2)  # an (N, C, H_out, W_out) view of the (C, Ho, Wo, N) buffer
    return self._result(data, (self,), "max_pool2d", (kh, kw, sh, sw, is_max))


def _first_maxima(windows: np.ndarray, pooled: np.ndarray) -> np.ndarray:
    """Windows (C, Ho, kh, Wo, kw, N) and their maxima (C, Ho, Wo, N) -> ``is_max`` (kh, kw, C,
    Ho, Wo, N) bool: ``is_max[i, j]`` marks the windows whose maximum is at offset (i, j), one
    offset per window, its first maximum in row-major order.

    Ties are common, not rare: after a ReLU, a window of four zeros has four maxima. So the
    offsets are walked in order, and an offset is the maximum if it equals the window's maximum
    and no earlier offset did. A window holding nan equals nothing: those (rare) windows take
    the slower walk of ``_first_maxima_with_nan``. (Offsets first: each offset's mask is one
    contiguous block, several times faster to write than entries spread over the windows.)
    """
    C, Ho, kh, Wo, kw, N = windows.shape
    is_max = np.empty((kh, kw, C, Ho, Wo, N), bool)
    found = np.zeros(pooled.shape, bool)  # (C, Ho, Wo, N): windows whose maximum is placed
    for i in range(kh):
        for j in range(kw):
            here = is_max[i, j]  # (C, Ho, Wo, N)
            np.equal(windows[:, :, i, :, j], pooled, out=here)
            np.greater(here, found, out=here)  # equal, and not found before (True > False)
            found |= here
    if not found.all():  # a window equal to none of its entries: it holds a nan
        return _first_maxima_with_nan(windows)
    return is_max


def _first_maxima_with_nan(windows: np.ndarray) -> np.ndarray:
    """``_first_maxima`` for windows that may hold nan: a running maximum over the offsets; the
    maximum sits at the last offset that strictly beat the maximum so far (at (0, 0) if none
    did; on a tie the earlier offset keeps it)."""
    C, Ho, kh, Wo, kw, N = windows.shape
    offsets = [(i, j) for i in range(kh) for j in range(kw)]
    running = windows[:, :, 0, :, 0].copy()  # (C, Ho, Wo, N)
    beats = []
    for i, j in offsets[1:]:
        here = windows[:, :, i, :, j]  # (C, Ho, Wo, N): offset (i, j) of every window, a view
        beats.append(here > running)  # (C, Ho, Wo, N) bool
        np.maximum(running, here, out=running)
    is_max = np.empty((kh, kw, C, Ho, Wo, N), bool)  # is_max[i, j]: windows with their max at (i, j)
    later = np.zeros(running.shape, bool)  # windows whose maximum is at a later offset
    for (i, j), beat in zip(offsets[:0:-1], beats[::-1], strict=True):  # the last offset first
        np.greater(beat, later, out=is_max[i, j])  # beat here and not later (True > False)
        later |= beat
    np.logical_not(later, out=is_max[0, 0])  # no offset beat (0, 0)
    return is_max


def _pooling_sizes(
    who: str, x: np.ndarray, kernel_size: IntPair, stride: Optional[IntPair]
) -> Tuple[int, int, int, int]:
    """Checked (kh, kw, sh, sw) of a pooling of images x (N, C, H, W); the stride defaults to
    the kernel size (windows side by side), as in PyTorch."""
    _check_images(who, x)
    kh, kw = _pair("kernel_size", kernel_size, 1)
    sh, sw = (kh, kw) if stride is None else _pair("stride", stride, 1)
    H, W = x.shape[2:]
    if kh > H or kw > W:
        raise ValueError(f"{who}: kernel {kh}x{kw} is larger than the input {H}x{W} (shape {x.shape})")
    return kh, kw, sh, sw


def _tiled(H: int, W: int, kh: int, kw: int, sh: int, sw: int) -> bool:
    """Do the windows tile the image: side by side, every pixel in exactly one window?"""
    return sh == kh and sw == kw and H % kh == 0 and W % kw == 0


def _windows(xb: np.ndarray, kh: int, kw: int, sh: int, sw: int) -> np.ndarray:
    """Images (C, H, W, N) -> their pooling windows, a view (C, H_out, kh, W_out, kw, N):
    ``windows[c, h, i, w, j, n] = xb[c, h*sh + i, w*sw + j, n]``."""
    C, H, W, N = xb.shape
    H_out, W_out = (H - kh) // sh + 1, (W - kw) // sw + 1
    if _tiled(H, W, kh, kw, sh, sw):
        return xb.reshape(C, H_out, kh, W_out, kw, N)  # splitting H and W is enough (no copy)
    s_c, s_h, s_w, s_n = xb.strides
    return as_strided(
        xb, (C, H_out, kh, W_out, kw, N), (s_c, s_h * sh, s_h, s_w * sw, s_w, s_n), writeable=False
    )


def max_pool2d_backward(out: Tensor, g: np.ndarray) -> None:
    # d(max of a window)/d(entry) = 1 for the entry that is the maximum, 0 for the others:
    # each window's gradient goes to its maximum, which forward's `is_max` marks.
    x = out._prev[0]
    kh, kw, sh, sw, is_max = out._ctx  # is_max (kh, kw, C, Ho, Wo, N) bool
    g_b = _batch_last(g)  # (C, Ho, Wo, N)
    C, H_out, W_out, N = g_b.shape
    H, W = x.data.shape[2:]
    if _tiled(H, W, kh, kw, sh, sw):  # the windows are the image, cut up: fill them in place
        dx = np.empty((C, H, W, N), g.dtype)
        d_windows = dx.reshape(C, H_out, kh, W_out, kw, N)  # a view of dx
        for i in range(kh):
            for j in range(kw):  # offset (i, j) of every window: g where its maximum is, else 0
                np.multiply(is_max[i, j], g_b, out=d_windows[:, :, i, :, j])
    else:  # overlapping windows (or pixels in none): add every window's entries onto the pixels
        dx = np.zeros((C, H, W, N), g.dtype)  # pixels in no window keep 0
        for i in range(kh):
            for j in range(kw):  # (C, Ho, Wo, N) slice of the pixels that offset (i, j) covers
                dx[:, i : i + sh * H_out : sh, j : j + sw * W_out : sw] += is_max[i, j] * g_b
    x._add_grad(dx.transpose(3, 0, 1, 2))  # an (N, C, H, W) view


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
    kh, kw, sh, sw = _pooling_sizes("avg_pool2d", self.data, kernel_size, stride)
    windows = _windows(_batch_last(self.data), kh, kw, sh, sw)  # (C, Ho, kh, Wo, kw, N), a view
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
    "max_pool2d": max_pool2d_backward,
    "avg_pool2d": avg_pool2d_backward,
    "upsample_nearest2d": upsample_nearest2d_backward,
}
# fmt: on
