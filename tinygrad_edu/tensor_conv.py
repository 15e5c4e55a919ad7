"""Convolution and max-pooling on batches of images, each forward next to its backward rule.

Images are NCHW, as in PyTorch: ``x[n, c, h, w]`` is pixel (h, w) of channel c of image n.
A convolution slides a small kernel over the image; output channel f at (h, w) is

    out[n, f, h, w] = b[f] + sum over c, i, j of  xpad[n, c, h*sh + i, w*sw + j] * W[f, c, i, j]

where ``xpad`` is the input with ``padding`` zeros around it and (sh, sw) is the stride.
The idea, as plain loops (correct, and about a thousand times too slow in Python)::

    for n in range(N):                          # every image
        for f in range(F):                      # every output channel (kernel)
            for h in range(H_out):              # every output pixel
                for w in range(W_out):
                    patch = xpad[n, :, h*sh : h*sh + kh, w*sw : w*sw + kw]   # (C, kh, kw)
                    out[n, f, h, w] = (patch * W[f]).sum() + b[f]

The fast form below does the same in one matrix product ("im2col"): copy every patch into a
column of a matrix ``cols`` of shape (C*kh*kw, patches), then ``W.reshape(F, -1) @ cols``
computes all F * patches dot products at once. The backward pass is two more products
(dL/dW = g @ cols.T and dL/dcols = W.T @ g) and ``col2im``, which adds each column's gradient
back onto the pixels it was copied from: one strided slice per kernel offset (i, j), so
kh*kw numpy operations whatever the image size.

Memory layout (speed, not meaning). numpy copies fast when the innermost, contiguous run of
numbers is long. In NCHW the innermost run of a patch is kw numbers (3, say); so internally
these functions arrange every array as (C, H, W, N), with the batch innermost, where the runs
are W*N numbers long. The results they return are still NCHW tensors (``t.shape`` is
(N, C, H, W) and ``t.data[n, c, h, w]`` means what it always means): they are *views* of
(C, H, W, N) buffers, numpy's elementwise functions (relu, +, *) keep that memory order, and
the next conv2d or max_pool2d reads it without a copy. ``x.transpose(1, 2, 3, 0)`` turns the
NCHW view back into its (C, H, W, N) buffer for free.

>>> import numpy as np
>>> from tinygrad_edu import Tensor
>>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
>>> k = Tensor(np.ones((1, 1, 2, 2)))                  # sums each 2x2 patch
>>> y = x.conv2d(k, stride=2)
>>> y.data.tolist()
[[[[10.0, 18.0], [42.0, 50.0]]]]
>>> y.max_pool2d(2).data.tolist()
[[[[50.0]]]]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Dict, Optional, Sequence, Tuple, Union

import numpy as np
from numpy.lib.stride_tricks import as_strided

if TYPE_CHECKING:
    from .tensor import Tensor

IntPair = Union[int, Sequence[int]]


def _pair(name: str, value: IntPair, low: int) -> Tuple[int, int]:
    """``3`` -> (3, 3) and ``(3, 2)`` -> (3, 2), checked: ints, each at least ``low``."""
    if type(value) is int and value >= low:  # the common case, first
        return value, value
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or an (h, w) pair, got {value!r}")
        pair = tuple(value)
    else:
        pair = (value, value)
    for v in pair:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if pair[0] < low or pair[1] < low:
        raise ValueError(f"{name} must be at least {low}, got {value!r}")
    return int(pair[0]), int(pair[1])


def _check_images(who: str, x: np.ndarray) -> None:
    if x.ndim != 4:
        raise ValueError(f"{who}: input must be 4-D (N, C, H, W), got shape {x.shape}")


def _batch_last(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (C, H, W, N), a view (contiguous if x came from conv2d or max_pool2d)."""
    return x.transpose(1, 2, 3, 0)


# ***** convolution *****


def conv2d(
    self: Tensor,
    weight: Tensor,
    bias: Optional[Tensor] = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
) -> Tensor:
    """2-D convolution (cross-correlation, as in PyTorch) of NCHW images with F kernels.

    ``self`` is (N, C, H, W), ``weight`` (F, C, kh, kw), ``bias`` (F,) or None; ``stride`` and
    ``padding`` (zeros on every side) are ints or (h, w) pairs. The result is (N, F, H_out,
    W_out) with H_out = (H + 2*padding - kh) // stride + 1 (the same for W).

    >>> import numpy as np
    >>> from tinygrad_edu import Tensor
    >>> x = Tensor(np.ones((2, 3, 5, 5)))
    >>> w = Tensor(np.ones((4, 3, 3, 3)), requires_grad=True)
    >>> y = x.conv2d(w, Tensor(np.zeros(4)), padding=1)
    >>> y.shape, float(y.data[0, 0, 0, 0]), float(y.data[0, 0, 2, 2])  # a corner sees 2x2 of 3x3
    ((2, 4, 5, 5), 12.0, 27.0)
    """
    x = self.data
    if not isinstance(weight, type(self)):
        raise TypeError(f"conv2d: weight must be a Tensor, got {type(weight).__name__}")
    _check_images("conv2d", x)
    w = weight.data
    if w.ndim != 4:
        raise ValueError(f"conv2d: weight must be 4-D (out, in, kh, kw), got shape {w.shape}")
    N, C, H, W = x.shape
    F, C_w, kh, kw = w.shape
    if C_w != C:
        raise ValueError(
            f"conv2d: input of shape {x.shape} has {C} channels, but weight of shape {w.shape} "
            f"expects {C_w} (weight is (out, in, kh, kw))"
        )
    prev: Tuple[Tensor, ...] = (self, weight)
    if bias is not None:
        if not isinstance(bias, type(self)):
            raise TypeError(f"conv2d: bias must be a Tensor or None, got {type(bias).__name__}")
        if bias.data.shape != (F,):
            raise ValueError(f"conv2d: bias must have shape ({F},) for weight of shape {w.shape}, got {bias.shape}")
        prev = (self, weight, bias)
    sh, sw = _pair("stride", stride, 1)
    ph, pw = _pair("padding", padding, 0)
    if kh > H + 2 * ph or kw > W + 2 * pw or kh * kw == 0:
        raise ValueError(
            f"conv2d: kernel {kh}x{kw} (weight of shape {w.shape}) does not fit the input "
            f"{H}x{W} padded by {ph}x{pw} to {H + 2 * ph}x{W + 2 * pw}"
        )
    H_out, W_out = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    cols = _im2col(_pad(x, ph, pw), kh, kw, sh, sw, H_out, W_out)  # (C*kh*kw, H_out*W_out*N)
    out = w.reshape(F, -1) @ cols  # (F, C*kh*kw) @ (C*kh*kw, H_out*W_out*N) -> (F, H_out*W_out*N)
    if bias is not None:
        out += bias.data[:, None]  # (F, 1): the same bias for every pixel of channel f
    data = out.reshape(F, H_out, W_out, N).transpose(3, 0, 1, 2)  # an (N, F, H_out, W_out) view
    return self._result(data, prev, "conv2d", (cols, sh, sw, ph, pw))


def _pad(x: np.ndarray, ph: int, pw: int) -> np.ndarray:
    """(N, C, H, W) images -> (C, H + 2*ph, W + 2*pw, N), with zeros around the edges."""
    xb = _batch_last(x)  # (C, H, W, N), a view
    if ph == 0 and pw == 0:
        return xb
    C, H, W, N = xb.shape
    padded = np.zeros((C, H + 2 * ph, W + 2 * pw, N), x.dtype)  # (C, H+2ph, W+2pw, N)
    padded[:, ph : ph + H, pw : pw + W] = xb  # the image in the middle
    return padded


def _im2col(
    xp: np.ndarray, kh: int, kw: int, sh: int, sw: int, H_out: int, W_out: int
) -> np.ndarray:
    """Padded images (C, Hp, Wp, N) -> the patch matrix (C*kh*kw, H_out*W_out*N).

    ``cols[(c, i, j), (h, w, n)] = xp[c, h*sh + i, w*sw + j, n]``: row order (c, i, j) is that of
    ``weight.reshape(F, -1)``, so one matrix product applies every kernel to every patch.
    """
    C, _, _, N = xp.shape
    s_c, s_h, s_w, s_n = xp.strides
    # a view with two axes per spatial axis: (i, j) inside the patch, (h, w) the patch's place
    patches = as_strided(
        xp, (C, kh, kw, H_out, W_out, N), (s_c, s_h, s_w, s_h * sh, s_w * sw, s_n), writeable=False
    )  # (C, kh, kw, H_out, W_out, N), no copy
    return patches.reshape(C * kh * kw, H_out * W_out * N)  # the one copy


def conv2d_backward(out: Tensor, g: np.ndarray) -> None:
    # out = W @ cols + b (as matrices), with g = dL/d(out) reshaped to (F, H_out*W_out*N):
    #   dL/dW    = g @ cols.T     (F, patches) @ (patches, C*kh*kw) -> (F, C*kh*kw)
    #   dL/db    = g summed over all patches
    #   dL/dcols = W.T @ g        (C*kh*kw, F) @ (F, patches), then col2im puts it on the pixels
    x, weight = out._prev[0], out._prev[1]
    cols, sh, sw, ph, pw = out._ctx
    F = weight.data.shape[0]
    g_mat = _batch_last(g).reshape(F, -1)  # (N, F, Ho, Wo) -> (F, Ho*Wo*N); free if g is batch-last
    if weight.requires_grad:
        weight._add_grad((g_mat @ cols.T).reshape(weight.data.shape))  # (F, C, kh, kw)
    if len(out._prev) == 3 and out._prev[2].requires_grad:
        out._prev[2]._add_grad(g_mat.sum(axis=1))  # (F,)
    if x.requires_grad:
        d_cols = weight.data.reshape(F, -1).T @ g_mat  # (C*kh*kw, Ho*Wo*N)
        x._add_grad(_col2im(d_cols, x.data.shape, weight.data.shape, g.shape, sh, sw, ph, pw))


def _col2im(
    d_cols: np.ndarray,
    x_shape: Tuple[int, ...],
    w_shape: Tuple[int, ...],
    out_shape: Tuple[int, ...],
    sh: int,
    sw: int,
    ph: int,
    pw: int,
) -> np.ndarray:
    """The adjoint of im2col: every column entry's gradient is *added* to the pixel it was
    copied from (a pixel in several patches gets the sum). One slice per kernel offset (i, j):
    offset (i, j) of patch (h, w) read pixel (h*sh + i, w*sw + j)."""
    N, C, H, W = x_shape
    _, _, kh, kw = w_shape
    _, _, H_out, W_out = out_shape
    d_patches = d_cols.reshape(C, kh, kw, H_out, W_out, N)  # (C, kh, kw, Ho, Wo, N), a view
    dxp = np.zeros((C, H + 2 * ph, W + 2 * pw, N), d_cols.dtype)  # (C, Hp, Wp, N)
    for i in range(kh):
        for j in range(kw):  # (C, Ho, Wo, N) slice of every pixel that offset (i, j) read
            dxp[:, i : i + sh * H_out : sh, j : j + sw * W_out : sw] += d_patches[:, i, j]
    return dxp[:, ph : ph + H, pw : pw + W].transpose(3, 0, 1, 2)  # an (N, C, H, W) view


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
    x = self.data
    _check_images("max_pool2d", x)
    kh, kw = _pair("kernel_size", kernel_size, 1)
    sh, sw = (kh, kw) if stride is None else _pair("stride", stride, 1)
    N, C, H, W = x.shape
    if kh > H or kw > W:
        raise ValueError(f"max_pool2d: kernel {kh}x{kw} is larger than the input {H}x{W} (shape {x.shape})")
    H_out, W_out = (H - kh) // sh + 1, (W - kw) // sw + 1
    xb = _batch_last(x)  # (C, H, W, N), a view
    pooled = xb[:, 0 : sh * H_out : sh, 0 : sw * W_out : sw].copy()  # offset (0, 0) of every window
    for i in range(kh):
        for j in range(kw):  # (C, Ho, Wo, N): offset (i, j) of every window, one slice
            if i or j:
                np.maximum(pooled, xb[:, i : i + sh * H_out : sh, j : j + sw * W_out : sw], out=pooled)
    data = pooled.transpose(3, 0, 1, 2)  # an (N, C, H_out, W_out) view of the (C, Ho, Wo, N) buffer
    return self._result(data, (self,), "max_pool2d", (kh, kw, sh, sw))


def max_pool2d_backward(out: Tensor, g: np.ndarray) -> None:
    # d(max of a window)/d(entry) = 1 for the entry that is the maximum, 0 for the others.
    # Visit the kernel offsets in row-major order, one (C, Ho, Wo, N) slice each: the offset
    # holding its window's maximum takes the window's gradient, unless an earlier offset
    # (a tie) already did (`found`).
    x = out._prev[0]
    kh, kw, sh, sw = out._ctx
    xb = _batch_last(x.data)  # (C, H, W, N)
    pooled = _batch_last(out.data)  # (C, Ho, Wo, N)
    gb = _batch_last(g)  # (C, Ho, Wo, N)
    C, H_out, W_out, N = pooled.shape
    tiled = sh == kh and sw == kw and H_out * kh == xb.shape[1] and W_out * kw == xb.shape[2]
    disjoint = sh >= kh and sw >= kw  # every input entry is in at most one window
    dx = (np.empty if tiled else np.zeros)(xb.shape, g.dtype)  # (C, H, W, N): tiled fills all
    found = np.zeros(pooled.shape, bool)  # (C, Ho, Wo, N): windows whose maximum came already
    for i in range(kh):
        for j in range(kw):
            window = (slice(None), slice(i, i + sh * H_out, sh), slice(j, j + sw * W_out, sw))
            is_max = xb[window] == pooled  # (C, Ho, Wo, N): offset (i, j) holds the maximum
            takes = is_max & ~found  # ... and no earlier offset did
            found |= is_max
            # (a float 0/1 mask: numpy multiplies two float arrays much faster than float * bool)
            if disjoint:
                np.multiply(gb, takes.astype(g.dtype), out=dx[window])  # (C, Ho, Wo, N) slice
            else:
                dx[window] += gb * takes.astype(g.dtype)  # overlapping windows: pixels collect
    x._add_grad(dx.transpose(3, 0, 1, 2))  # an (N, C, H, W) view


# fmt: off
CONV_BACKWARD_RULES: Dict[str, Callable[[Tensor, np.ndarray], None]] = {
    "conv2d": conv2d_backward,
    "max_pool2d": max_pool2d_backward,
}
# fmt: on
