"""Convolution and transposed convolution on batches of images, each forward next to its
backward rule. (Pooling, which reads its windows the same way, is in tensor_pool.py.)

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
kh*kw numpy operations whatever the image size. Pooling (tensor_pool.py) uses the same
trick: a view with one axis per window position and one per offset inside the window, and
one numpy operation per kernel offset.

Memory layout (speed, not meaning). numpy copies fast when the innermost, contiguous run of
numbers is long. In NCHW the innermost run of a patch is kw numbers (3, say); so internally
these functions arrange every array as (C, H, W, N), with the batch innermost, where the runs
are W*N numbers long. The results they return are still NCHW tensors (``t.shape`` is
(N, C, H, W) and ``t.data[n, c, h, w]`` means what it always means): they are *views* of
(C, H, W, N) buffers, numpy's elementwise functions (relu, +, *) keep that memory order, and
the next conv2d or pooling reads it without a copy. ``x.transpose(1, 2, 3, 0)`` turns the
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


def _checked_operands(
    who: str, images: Tensor, weight: object, bias: object, layout: str
) -> Tuple[Tensor, ...]:
    """The inputs of a (transposed) convolution, checked: 4-D images, a 4-D weight Tensor whose
    ``in`` axis (first of ``layout`` "(in, out, ...)" or second of "(out, in, ...)") matches the
    images' channels, and a bias Tensor of shape (out,) or None. Returns the graph inputs."""
    x = images.data
    if not isinstance(weight, type(images)):
        raise TypeError(f"{who}: weight must be a Tensor, got {type(weight).__name__}")
    _check_images(who, x)
    w = weight.data
    if w.ndim != 4:
        raise ValueError(f"{who}: weight must be 4-D {layout}, got shape {w.shape}")
    in_first = layout.startswith("(in")
    C_w, F = (w.shape[0], w.shape[1]) if in_first else (w.shape[1], w.shape[0])
    if C_w != x.shape[1]:
        raise ValueError(
            f"{who}: input of shape {x.shape} has {x.shape[1]} channels, but weight of shape "
            f"{w.shape} expects {C_w} (weight is {layout})"
        )
    if bias is None:
        return (images, weight)
    if not isinstance(bias, type(images)):
        raise TypeError(f"{who}: bias must be a Tensor or None, got {type(bias).__name__}")
    if bias.data.shape != (F,):
        raise ValueError(
            f"{who}: bias must have shape ({F},) for weight of shape {w.shape}, got {bias.shape}"
        )
    return (images, weight, bias)


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
    prev = _checked_operands("conv2d", self, weight, bias, "(out, in, kh, kw)")
    x, w = self.data, weight.data
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    sh, sw = _pair("stride", stride, 1)
    ph, pw = _pair("padding", padding, 0)
    if w.size == 0:
        raise ValueError(f"conv2d: weight of shape {w.shape} has no entries")
    if kh > H + 2 * ph or kw > W + 2 * pw:
        raise ValueError(
            f"conv2d: kernel {kh}x{kw} (weight of shape {w.shape}) does not fit the input "
            f"{H}x{W} padded by {ph}x{pw} to {H + 2 * ph}x{W + 2 * pw}"
        )
    H_out, W_out = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    # The bias rides along in the matrix product: a row of ones under the patches, and the
    # bias as one more column of the weights (b[f] is the weight of a constant input 1).
    cols = _patch_matrix(x, kh, kw, sh, sw, ph, pw, ones=bias is not None)  # (K [+1], patches)
    w_mat = w.reshape(F, C * kh * kw)  # (F, C, kh, kw) -> (F, K): one kernel per row
    if bias is not None:
        w_mat = np.concatenate([w_mat, bias.data[:, None]], axis=1)  # (F, K + 1)
    out = w_mat @ cols  # (F, K [+1]) @ (K [+1], H_out*W_out*N) -> (F, H_out*W_out*N)
    data = out.reshape(F, H_out, W_out, N).transpose(3, 0, 1, 2)  # an (N, F, H_out, W_out) view
    # backward needs cols again for dL/dW (only then): keep it rather than copy the patches twice
    keep = cols if weight.requires_grad or (bias is not None and bias.requires_grad) else None
    return self._result(data, prev, "conv2d", (sh, sw, ph, pw, keep))


def _pad(x: np.ndarray, ph: int, pw: int) -> np.ndarray:
    """(N, C, H, W) images -> (C, H + 2*ph, W + 2*pw, N), with zeros around the edges."""
    xb = _batch_last(x)  # (C, H, W, N), a view
    if ph == 0 and pw == 0:
        return xb
    C, H, W, N = xb.shape
    padded = np.zeros((C, H + 2 * ph, W + 2 * pw, N), x.dtype)  # (C, H+2ph, W+2pw, N)
    padded[:, ph : ph + H, pw : pw + W] = xb  # the image in the middle
    return padded


def _patch_matrix(
    x: np.ndarray, kh: int, kw: int, sh: int, sw: int, ph: int, pw: int, ones: bool
) -> np.ndarray:
    """NCHW images -> their patch matrix ``cols`` (C*kh*kw [+1], H_out*W_out*N) ("im2col").

    ``cols[(c, i, j), (h, w, n)] = xpad[c, h*sh + i, w*sw + j, n]``: row order (c, i, j) is that
    of ``weight.reshape(F, -1)``, so one matrix product applies every kernel to every patch.
    With ``ones``, one more row of ones at the bottom (for the bias).
    """
    xp = _pad(x, ph, pw)  # (C, Hp, Wp, N)
    C, Hp, Wp, N = xp.shape
    H_out, W_out = (Hp - kh) // sh + 1, (Wp - kw) // sw + 1
    s_c, s_h, s_w, s_n = xp.strides
    # a view with two axes per spatial axis: (i, j) inside the patch, (h, w) the patch's place
    patches = as_strided(
        xp, (C, kh, kw, H_out, W_out, N), (s_c, s_h, s_w, s_h * sh, s_w * sw, s_n), writeable=False
    )  # (C, kh, kw, H_out, W_out, N), no copy
    K = C * kh * kw
    cols = np.empty((K + ones, H_out * W_out * N), x.dtype)  # (K [+1], H_out*W_out*N)
    np.copyto(cols[:K].reshape(patches.shape), patches)  # the one copy
    if ones:
        cols[K] = 1.0  # (H_out*W_out*N,)
    return cols


def conv2d_backward(out: Tensor, g: np.ndarray) -> None:
    # out = W @ cols (as matrices, the bias a column of W), with g = dL/d(out) as (F, patches):
    #   dL/dW    = g @ cols.T     (F, patches) @ (patches, K [+1]) -> (F, K [+1]); the last
    #                             column, against the row of ones, is dL/db = g summed over patches
    #   dL/dcols = W.T @ g        (K, F) @ (F, patches), put on the pixels by col2im
    x, weight = out._prev[0], out._prev[1]
    sh, sw, ph, pw, cols = out._ctx  # cols: forward's patch matrix (K [+1], patches), or None
    F, C, kh, kw = weight.data.shape
    K = C * kh * kw
    g_mat = _batch_last(g).reshape(F, -1)  # (N, F, Ho, Wo) -> (F, Ho*Wo*N); free if g is batch-last
    bias = out._prev[2] if len(out._prev) == 3 and out._prev[2].requires_grad else None
    if cols is not None:  # weight or bias requires grad
        d_w = g_mat @ cols.T  # (F, patches) @ (patches, K [+1]) -> (F, K [+1])
        if weight.requires_grad:
            weight._add_grad(d_w[:, :K].reshape(weight.data.shape))  # (F, C, kh, kw)
        if bias is not None:
            bias._add_grad(d_w[:, K])  # (F,)
    if x.requires_grad:
        x._add_grad(_col2im(weight.data, g_mat, x.data.shape, sh, sw, ph, pw))  # (N, C, H, W)


_SMALL_BYTES = 4 << 20  # 4 MiB: below this, one product on g's patches beats kh*kw passes


def _col2im(
    weight: np.ndarray, g_mat: np.ndarray, x_shape: Tuple[int, ...], sh: int, sw: int, ph: int, pw: int
) -> np.ndarray:
    """dL/dx of the images from g = dL/d(out) (F, H_out*W_out*N), via dL/dcols = W.T @ g.

    col2im is the adjoint of im2col: each entry of dL/dcols is *added* to the pixel it was
    copied from (a pixel in several patches gets the sum). Offset (i, j) of patch (h, w) read
    pixel (h*sh + i, w*sw + j), so it is one strided slice per kernel offset. The rows of
    dL/dcols for offset (i, j) are W[:, :, i, j].T @ g: computing them offset by offset (kh*kw
    small products instead of one big one) adds each piece while it is still in the cache.
    """
    N, C, H, W = x_shape
    F, _, kh, kw = weight.shape
    H_out, W_out = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    g_patches_bytes = F * kh * kw * g_mat.shape[1] * g_mat.itemsize  # im2col of g, below
    if sh == sw == 1 and ph < kh and pw < kw and (F < C or g_patches_bytes <= _SMALL_BYTES):
        # With stride 1, dL/dx is itself a convolution of g, with every kernel flipped (i, j ->
        # kh-1-i, kw-1-j), in and out swapped and padding k-1-p: one im2col of g (F*kh*kw rows)
        # and one product. Cheaper than kh*kw passes over dL/dx when g has fewer channels, or
        # when g's patch matrix is small enough to stay in the cache (measured here).
        g_images = g_mat.reshape(F, H_out, W_out, N).transpose(3, 0, 1, 2)  # an (N, F, Ho, Wo) view
        cols = _patch_matrix(g_images, kh, kw, 1, 1, kh - 1 - ph, kw - 1 - pw, ones=False)  # (F*kh*kw, H*W*N)
        flipped = weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).reshape(C, F * kh * kw)  # (C, F*kh*kw)
        return (flipped @ cols).reshape(C, H, W, N).transpose(3, 0, 1, 2)  # an (N, C, H, W) view
    dxp = np.zeros((C, H + 2 * ph, W + 2 * pw, N), g_mat.dtype)  # (C, Hp, Wp, N)
    for i in range(kh):
        for j in range(kw):
            d_piece = weight[:, :, i, j].T @ g_mat  # (C, F) @ (F, Ho*Wo*N): rows (c, i, j) of dL/dcols
            # (C, Ho, Wo, N) slice of every pixel that offset (i, j) read
            dxp[:, i : i + sh * H_out : sh, j : j + sw * W_out : sw] += d_piece.reshape(C, H_out, W_out, N)
    return dxp[:, ph : ph + H, pw : pw + W].transpose(3, 0, 1, 2)  # an (N, C, H, W) view


# ***** transposed convolution: the input gradient of a convolution, as a layer *****


def conv_transpose2d(
    self: Tensor,
    weight: Tensor,
    bias: Optional[Tensor] = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    output_padding: IntPair = 0,
) -> Tensor:
    """Transposed convolution of NCHW images, as PyTorch's ``conv_transpose2d``: each input
    pixel *scatters* a kernel-sized stamp onto the output, so a stride of 2 doubles the size.

    ``self`` is (N, C_in, H, W), ``weight`` (C_in, C_out, kh, kw) (in before out: the layout of
    the convolution it transposes), ``bias`` (C_out,) or None. The result is (N, C_out, H_out,
    W_out) with H_out = (H - 1) * stride - 2 * padding + kh + output_padding (the same for W);
    ``output_padding`` (smaller than the stride) adds rows and columns at the bottom and right
    that only the bias reaches, so that the size matches a convolution's input exactly.

    Why "transposed": a convolution ``y = x.conv2d(W, stride=s, padding=p)`` is linear in x,
    y = A x for a big sparse matrix A. Its input gradient is dL/dx = A.T dL/dy, and that A.T
    applied to an image is this function: ``x.conv_transpose2d(W, stride=s, padding=p)``
    equals conv2d's dL/dx for dL/dy = x. So its forward is conv2d's col2im, and its backward
    (A.T)^T = A is a plain conv2d. The idea, as plain loops::

        out = zeros((N, C_out, H_out + 2*ph, W_out + 2*pw))   # padded, cut off at the end
        for n in range(N):
            for c in range(C_in):
                for h in range(H):
                    for w in range(W):             # pixel (h, w) stamps its kernel at (h*sh, w*sw)
                        out[n, :, h*sh : h*sh + kh, w*sw : w*sw + kw] += x[n, c, h, w] * W[c]
        out = out[:, :, ph : ph + H_out, pw : pw + W_out] + b[:, None, None]

    >>> import numpy as np
    >>> from tinygrad_edu import Tensor
    >>> x = Tensor(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    >>> x.conv_transpose2d(Tensor(np.ones((1, 1, 2, 2))), stride=2).data[0, 0].tolist()
    [[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0], [3.0, 3.0, 4.0, 4.0], [3.0, 3.0, 4.0, 4.0]]
    >>> k = Tensor(np.arange(4.0).reshape(1, 1, 2, 2))   # the relation: conv2d's input gradient
    >>> z = Tensor(np.zeros((1, 1, 4, 4)), requires_grad=True)
    >>> z.conv2d(k, stride=2).backward(x.data)
    >>> bool((z.grad == x.conv_transpose2d(k, stride=2).data).all())
    True
    """
    prev = _checked_operands("conv_transpose2d", self, weight, bias, "(in, out, kh, kw)")
    x, w = self.data, weight.data
    N, C, H, W = x.shape
    _, F, kh, kw = w.shape
    sh, sw = _pair("stride", stride, 1)
    ph, pw = _pair("padding", padding, 0)
    oh, ow = _pair("output_padding", output_padding, 0)
    if oh >= sh or ow >= sw:
        raise ValueError(
            f"conv_transpose2d: output_padding {(oh, ow)} must be smaller than the stride {(sh, sw)}"
        )
    if w.size == 0:
        raise ValueError(f"conv_transpose2d: weight of shape {w.shape} has no entries")
    H_out, W_out = (H - 1) * sh - 2 * ph + kh + oh, (W - 1) * sw - 2 * pw + kw + ow
    if H_out < 1 or W_out < 1:
        raise ValueError(
            f"conv_transpose2d: input of shape {x.shape} with weight of shape {w.shape}, stride "
            f"{(sh, sw)} and padding {(ph, pw)} gives an empty {H_out}x{W_out} output"
        )
    x_mat = _batch_last(x).reshape(C, H * W * N)  # (N, C, H, W) -> (C, H*W*N); free if batch-last
    if sh == kh and sw == kw and ph == pw == 0:  # the stamps tile the output: no overlap
        out = _stamps_side_by_side(w, x_mat, (C, H, W, N), oh, ow)  # (F, H_out, W_out, N)
    else:  # conv2d's input gradient with this image as dL/dy (see the docstring)
        out = _batch_last(_col2im(w, x_mat, (N, F, H_out, W_out), sh, sw, ph, pw))
    if bias is not None:
        out += bias.data[:, None, None, None]  # (F, 1, 1, 1): b[f] on every pixel of channel f
    data = out.transpose(3, 0, 1, 2)  # an (N, F, H_out, W_out) view
    return self._result(data, prev, "conv_transpose2d", (sh, sw, ph, pw))


def _stamps_side_by_side(
    w: np.ndarray, x_mat: np.ndarray, x_shape: Tuple[int, int, int, int], oh: int, ow: int
) -> np.ndarray:
    """The transposed convolution when stride = kernel and no padding (a U-Net's upsampling):
    the stamps of neighbouring pixels do not overlap, so it is one matrix product, every pixel
    times every kernel entry, and one copy that puts each stamp in its place. Same numbers as
    col2im, fewer passes over memory."""
    C, H, W, N = x_shape
    _, F, kh, kw = w.shape
    stamps = w.reshape(C, F * kh * kw).T @ x_mat  # (F*kh*kw, C) @ (C, H*W*N) -> (F*kh*kw, H*W*N)
    out = np.empty((F, H * kh + oh, W * kw + ow, N), stamps.dtype)  # (F, H_out, W_out, N)
    body = out[:, : H * kh, : W * kw].reshape(F, H, kh, W, kw, N)  # a view: pixel (h, w), entry (i, j)
    np.copyto(body, stamps.reshape(F, kh, kw, H, W, N).transpose(0, 3, 1, 4, 2, 5))
    out[:, H * kh :] = 0.0  # the output_padding rows and columns: no stamp reaches them
    out[:, :, W * kw :] = 0.0
    return out


def conv_transpose2d_backward(out: Tensor, g: np.ndarray) -> None:
    # out = A.T x (A: the convolution with the same weight, stride and padding), so
    #   dL/dx = A g             a plain conv2d of g: dL/dx = g.conv2d(W) (im2col of g, one product)
    #   dL/dW[c, f, i, j] = sum over n, h, w of x[n, c, h, w] * gpad[n, f, h*sh + i, w*sw + j]
    #                           (x as a matrix times the same patch matrix of g, transposed)
    #   dL/db = g summed over the batch and the positions
    x, weight = out._prev[0], out._prev[1]
    sh, sw, ph, pw = out._ctx
    C, F, kh, kw = weight.data.shape
    N, _, H, W = x.data.shape
    cols = _patch_matrix(g, kh, kw, sh, sw, ph, pw, ones=False)  # (F*kh*kw, H*W*N): patches of g
    if x.requires_grad:
        dx = weight.data.reshape(C, F * kh * kw) @ cols  # (C, F*kh*kw) @ (F*kh*kw, H*W*N)
        x._add_grad(dx.reshape(C, H, W, N).transpose(3, 0, 1, 2))  # an (N, C, H, W) view
    if weight.requires_grad:
        x_mat = _batch_last(x.data).reshape(C, H * W * N)  # (C, H*W*N)
        d_w = (cols @ x_mat.T).T  # (C, F*kh*kw): x_mat @ cols.T, which BLAS computes faster this way
        weight._add_grad(d_w.reshape(C, F, kh, kw))
    if len(out._prev) == 3 and out._prev[2].requires_grad:
        out._prev[2]._add_grad(g.sum(axis=(0, 2, 3)))  # (F,)


# fmt: off
CONV_BACKWARD_RULES: Dict[str, Callable[[Tensor, np.ndarray], None]] = {
    "conv2d": conv2d_backward,
    "conv_transpose2d": conv_transpose2d_backward,
}
# fmt: on
