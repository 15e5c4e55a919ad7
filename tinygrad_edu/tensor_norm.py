"""Batch normalisation: one fused node whose backward rule is written out once.

For every channel c, over the M = N x (positions) values of that channel in the batch:

    mu = mean(x),  var = mean((x - mu)**2)  (biased),  x_hat = (x - mu) / sqrt(var + eps)
    y = gamma * x_hat + beta

In training mode mu and var are the batch's own statistics, so every output depends on every
input of its channel (through mu and var), and the backward rule has to say so:

    dL/dbeta  = sum(g)
    dL/dgamma = sum(g * x_hat)
    dL/dx     = gamma / sqrt(var + eps) / M * (M * g - sum(g) - x_hat * sum(g * x_hat))

(sums over the channel's M values; the two subtracted terms are the paths through mu and var).
In evaluation mode mu and var are fixed numbers (the running statistics), and y is just an
affine map per channel: dL/dx = g * gamma / sqrt(var + eps). ``nn.BatchNorm1d`` and
``nn.BatchNorm2d`` keep the running statistics and call ``batch_norm``.

>>> import numpy as np
>>> from tinygrad_edu import Tensor
>>> x = Tensor(np.array([[1.0], [3.0]]), requires_grad=True)
>>> y = batch_norm(x, Tensor(np.ones(1)), Tensor(np.zeros(1)), None, True, 0.0)
>>> y.data.ravel().tolist()     # (x - 2) / 1
[-1.0, 1.0]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Dict, Optional, Tuple

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor


def batch_norm(
    x: Tensor,
    weight: Tensor,
    bias: Tensor,
    stats: Optional[Tuple[np.ndarray, np.ndarray]],
    training: bool,
    eps: float,
) -> Tensor:
    """Normalise each channel (axis 1) of x, (N, C) or (N, C, ...), then scale by ``weight``
    (gamma, (C,)) and shift by ``bias`` (beta, (C,)).

    ``training=True``: use the batch's mean and biased variance over every axis but 1 (``stats``
    is ignored). ``training=False``: use ``stats = (mean, var)``, two (C,) arrays. The batch
    statistics of a training call are kept on the node (``_ctx``) for the caller to read.

    >>> import numpy as np
    >>> from tinygrad_edu import Tensor
    >>> x = Tensor(np.array([[1.0], [3.0]]))
    >>> stats = (np.array([1.0]), np.array([4.0]))
    >>> batch_norm(x, Tensor([2.0]), Tensor([0.5]), stats, False, 0.0).data.ravel().tolist()
    [0.5, 2.5]
    """
    data = x.data
    C = data.shape[1]
    axes = (0,) + tuple(range(2, data.ndim))  # every axis but the channels
    shape = (1, C) + (1,) * (data.ndim - 2)  # (1, C, 1, ...): a per-channel number broadcast
    if training:
        mean = data.mean(axis=axes)  # (C,)
        centred = data - mean.reshape(shape)  # (N, C, ...)
        var = np.mean(centred * centred, axis=axes)  # (C,), biased (divides by M)
    else:
        assert stats is not None
        mean, var = stats
        centred = data - mean.reshape(shape)
    inv_std = 1.0 / np.sqrt(var + eps)  # (C,)
    x_hat = centred * inv_std.reshape(shape)  # (N, C, ...): zero mean, unit variance
    y = x_hat * weight.data.reshape(shape) + bias.data.reshape(shape)  # (N, C, ...)
    ctx = (x_hat, inv_std, training, axes, shape, mean, var)
    return x._result(y, (x, weight, bias), "batch_norm", ctx)


def batch_norm_backward(out: Tensor, g: np.ndarray) -> None:
    # The formulas of the module docstring, with sums over every axis but the channels.
    x, weight, bias = out._prev
    x_hat, inv_std, training, axes, shape = out._ctx[:5]
    sum_g = g.sum(axis=axes)  # (C,)
    sum_g_xhat = np.sum(g * x_hat, axis=axes)  # (C,)
    if bias.requires_grad:
        bias._add_grad(sum_g)  # dL/dbeta = sum(g)
    if weight.requires_grad:
        weight._add_grad(sum_g_xhat)  # dL/dgamma = sum(g * x_hat)
    if x.requires_grad:
        scale = (weight.data * inv_std).reshape(shape)  # (1, C, 1, ...): gamma / sqrt(var + eps)
        if training:  # mu and var depend on x: dx = scale / M * (M g - sum(g) - x_hat sum(g x_hat))
            M = g.size // g.shape[1]
            dx = g - (sum_g / M).reshape(shape) - x_hat * (sum_g_xhat / M).reshape(shape)
            dx *= scale
        else:  # mu and var are constants: an affine map per channel
            dx = g * scale
        x._add_grad(dx)


# fmt: off
NORM_BACKWARD_RULES: Dict[str, Callable[[Tensor, np.ndarray], None]] = {
    "batch_norm": batch_norm_backward,
}
# fmt: on
