"""``tinygrad_edu.nn.functional``, usually imported as ``F``: the layers and losses as plain
functions, with PyTorch's names and arguments, for a ``forward`` that writes
``F.relu(self.fc1(x))`` instead of keeping an activation module.

Each is a thin wrapper: the computation and its backward rule live with the Tensor op
(tensor_ops.py, tensor_conv.py) or the loss (losses.py).

>>> import numpy as np
>>> from tinygrad_edu import Tensor
>>> import tinygrad_edu.nn.functional as F
>>> x = Tensor([[-1.0, 2.0]])
>>> F.relu(x).data.tolist(), F.softmax(Tensor([[0.0, 0.0]]), dim=1).data.tolist()
([[0.0, 2.0]], [[0.5, 0.5]])
>>> F.one_hot(np.array([2, 0]), num_classes=3).data.tolist()
[[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
"""

from __future__ import annotations

from typing import Any, Optional, Union

import numpy as np

from ..tensor import RandomSource, Tensor
from ..tensor_conv import IntPair
from .activations import _axis_of, _check_dim
from .layers import Dropout, _as_tensor
from .losses import binary_cross_entropy, cross_entropy, l1_loss, mse_loss

__all__ = [
    "relu",
    "leaky_relu",
    "tanh",
    "sigmoid",
    "softmax",
    "log_softmax",
    "one_hot",
    "mse_loss",
    "l1_loss",
    "cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
    "dropout",
]

ArrayLike = Union[Tensor, np.ndarray]

# PyTorch's name; here binary_cross_entropy always takes logits (see losses.py)
binary_cross_entropy_with_logits = binary_cross_entropy


def relu(input: ArrayLike) -> Tensor:
    """max(0, x), entry by entry."""
    return _as_tensor(input, "relu").relu()


def leaky_relu(input: ArrayLike, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, ``negative_slope * x`` otherwise."""
    return _as_tensor(input, "leaky_relu").leaky_relu(negative_slope)


def tanh(input: ArrayLike) -> Tensor:
    """tanh(x), entry by entry."""
    return _as_tensor(input, "tanh").tanh()


def sigmoid(input: ArrayLike) -> Tensor:
    """1 / (1 + e**-x), entry by entry."""
    return _as_tensor(input, "sigmoid").sigmoid()


def softmax(input: ArrayLike, dim: int) -> Tensor:
    """e**x / sum(e**x) along ``dim`` (required, as PyTorch asks: 1 for a batch of rows)."""
    x = _as_tensor(input, "softmax")
    return x.softmax(_axis_of("softmax", _check_dim("softmax", dim), x))


def log_softmax(input: ArrayLike, dim: int) -> Tensor:
    """log(softmax(x)) along ``dim``, computed stably as x - logsumexp(x)."""
    x = _as_tensor(input, "log_softmax")
    return x.log_softmax(_axis_of("log_softmax", _check_dim("log_softmax", dim), x))


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Class indices of any shape -> a Tensor of shape (*shape, num_classes) with a 1.0 at each
    index and 0.0 elsewhere. ``num_classes=-1``: one more than the largest index. (PyTorch
    returns integers; these are floats, ready to be a regression target.)

    >>> one_hot([1, 0]).data.tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    values = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if values.dtype.kind == "f" and np.array_equal(values, np.round(values)):
        values = values.astype(np.int64)  # a Tensor of whole numbers
    if values.dtype.kind not in "iu":
        raise TypeError(f"one_hot takes integer class indices, got {values.dtype}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"one_hot: num_classes must be an int, got {type(num_classes).__name__}")
    if values.size and values.min() < 0:
        raise ValueError(f"one_hot: class index {values.min()} is negative")
    n = int(values.max()) + 1 if num_classes == -1 and values.size else int(num_classes)
    if n < 1 or (values.size and values.max() >= n):
        raise ValueError(
            f"one_hot: class index {values.max() if values.size else 0} needs num_classes > it, got {n}"
        )
    return Tensor(np.eye(n)[values])  # row i of the identity is the one-hot vector of class i


def conv2d(
    input: ArrayLike,
    weight: Tensor,
    bias: Optional[Tensor] = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
) -> Tensor:
    """2-D convolution of NCHW images with ``weight`` (out, in, kh, kw), as ``Tensor.conv2d``."""
    return _as_tensor(input, "conv2d").conv2d(weight, bias, stride, padding)


def max_pool2d(input: ArrayLike, kernel_size: IntPair, stride: Optional[IntPair] = None) -> Tensor:
    """The maximum of each window of NCHW images, as ``Tensor.max_pool2d``."""
    return _as_tensor(input, "max_pool2d").max_pool2d(kernel_size, stride)


def avg_pool2d(input: ArrayLike, kernel_size: IntPair, stride: Optional[IntPair] = None) -> Tensor:
    """The mean of each window of NCHW images, as ``Tensor.avg_pool2d``.

    >>> avg_pool2d(Tensor(np.arange(4.0).reshape(1, 1, 2, 2)), 2).data.tolist()
    [[[[1.5]]]]
    """
    return _as_tensor(input, "avg_pool2d").avg_pool2d(kernel_size, stride)


def dropout(input: ArrayLike, p: float = 0.5, training: bool = True, rng: RandomSource = None) -> Tensor:
    """Inverted dropout, as ``nn.Dropout``: with ``training=True`` (PyTorch's default here too)
    each entry is zeroed with probability ``p`` and the rest scaled by 1/(1-p); otherwise the
    input is returned as it is. A ``forward`` passes ``training=self.training``.

    >>> dropout(Tensor([1.0, 2.0]), p=0.5, training=False).data.tolist()
    [1.0, 2.0]
    """
    if type(training) is not bool:
        raise TypeError(f"dropout: training must be True or False, got {type(training).__name__}")
    return Dropout(p, rng=rng).train(training)(_as_tensor(input, "dropout"))
