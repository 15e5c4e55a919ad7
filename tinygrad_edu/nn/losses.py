"""Loss functions on Tensors: one number that says how wrong the predictions are.

All three average over the batch (mean reduction) and match PyTorch's ``F.mse_loss``,
``F.binary_cross_entropy_with_logits`` and ``F.cross_entropy``. The two cross-entropies take
*logits* (raw scores, before any sigmoid/softmax) and are each computed as one graph node
whose gradient has a famously simple form: prediction minus target.

>>> import numpy as np
>>> from tinygrad_edu import Tensor
>>> logits = Tensor([[2.0, 0.0, -1.0]], requires_grad=True)
>>> loss = cross_entropy(logits, np.array([0]))
>>> loss.backward()
>>> round(loss.item(), 4), logits.grad.round(4).tolist()  # softmax - one_hot
(0.1698, [[-0.1562, 0.1142, 0.042]])
"""

from __future__ import annotations

from typing import Sequence, Union

import numpy as np

from ..tensor import BACKWARD_RULES, Tensor

Target = Union[Tensor, np.ndarray, float]


def _check_tensor(name: str, x: object) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a Tensor, got {type(x).__name__}")
    return x


def _as_target(target: object, like: Tensor, who: str) -> Tensor:
    """A target of the same shape as the prediction (a Tensor, array or list of numbers)."""
    if not isinstance(target, Tensor):
        target = Tensor._result(np.asarray(Tensor(target).data, dtype=like.data.dtype), (), "")
    if target.shape != like.shape:
        raise ValueError(
            f"{who}: prediction of shape {like.shape} and target of shape "
            f"{target.shape} must have the same shape"
        )
    return target


def mse_loss(pred: Tensor, target: Target) -> Tensor:
    """Mean squared error: mean((pred - target) ** 2).

    >>> mse_loss(Tensor([1.0, 2.0]), Tensor([1.0, 4.0])).item()
    2.0
    """
    pred = _check_tensor("mse_loss: pred", pred)
    target = _as_target(target, pred, "mse_loss")
    return ((pred - target) ** 2).mean()  # a composite: its gradient comes from -, ** and mean


def binary_cross_entropy(logits: Tensor, target: Target) -> Tensor:
    """Binary cross-entropy of sigmoid(logits) against targets in [0, 1], from the logits.

    For one logit x and target t the loss is -t log s - (1 - t) log(1 - s) with s = sigmoid(x),
    which simplifies to max(x, 0) - x t + log(1 + e**-|x|): no sigmoid is ever rounded to 0
    or 1, so logits of +-1000 give exact, finite losses and gradients.

    >>> round(binary_cross_entropy(Tensor([0.0, 1000.0]), Tensor([1.0, 1.0])).item(), 6)
    0.346574
    """
    logits = _check_tensor("binary_cross_entropy: logits", logits)
    target = _as_target(target, logits, "binary_cross_entropy")
    x, t = logits.data, target.data
    losses = np.maximum(x, 0.0) - x * t + np.log1p(np.exp(-np.abs(x)))
    return Tensor._result(np.asarray(losses.mean()), (logits, target), "binary_cross_entropy")


def _binary_cross_entropy_backward(out: Tensor, g: np.ndarray) -> None:
    # d(loss_i)/dx_i = sigmoid(x_i) - t_i and d(loss_i)/dt_i = -x_i; the mean divides by n
    logits, target = out._prev
    x, t = logits.data, target.data
    scale = g / x.size
    if logits.requires_grad:
        s = np.exp(-np.logaddexp(0.0, -x))  # stable sigmoid
        logits._add_grad((s - t) * scale)
    if target.requires_grad:
        target._add_grad(-x * scale)


def _class_labels(labels: object, n: int, classes: int) -> np.ndarray:
    """Labels as an int array of shape (n,) with values in [0, classes), or a clear error."""
    if isinstance(labels, Tensor):  # a Tensor holds floats: they must be whole numbers
        values = labels.data
        if not np.array_equal(values, np.round(values)):
            raise TypeError("cross_entropy: labels must be whole numbers (class indices)")
        values = values.astype(np.intp)
    elif isinstance(labels, (np.ndarray, list, tuple)):
        values = np.asarray(labels)
        if values.dtype.kind not in "iu" and values.size:
            raise TypeError(
                f"cross_entropy: labels must be integer class indices, got an array of {values.dtype}"
            )
    else:
        raise TypeError(
            f"cross_entropy: labels must be an int array (or list, or Tensor), got {type(labels).__name__}"
        )
    if values.shape != (n,):
        raise ValueError(
            f"cross_entropy: logits of shape ({n}, {classes}) need labels of shape "
            f"({n},), got labels of shape {values.shape}"
        )
    low, high = values.min(), values.max()
    if low < 0 or high >= classes:
        bad = low if low < 0 else high
        raise ValueError(
            f"cross_entropy: label {bad} is out of range for {classes} classes "
            f"(labels must be in 0..{classes - 1})"
        )
    return values


def cross_entropy(logits: Tensor, labels: Union[np.ndarray, Sequence[int], Tensor]) -> Tensor:
    """Softmax cross-entropy: mean over the batch of -log softmax(logits)[label].

    ``logits`` is (N, C): one row of C class scores per example; ``labels`` holds N class
    indices in 0..C-1 (an int numpy array, a list, or a Tensor of whole numbers).
    Stable for any logits: uses log-sum-exp with the row maximum subtracted.

    >>> round(cross_entropy(Tensor([[1000.0, 0.0], [0.0, 0.0]]), np.array([0, 1])).item(), 6)
    0.346574
    """
    logits = _check_tensor("cross_entropy: logits", logits)
    if logits.ndim != 2:
        raise ValueError(
            f"cross_entropy: logits must be (N, C), one row per example, got shape {logits.shape}"
        )
    n, classes = logits.shape
    if n == 0:
        raise ValueError("cross_entropy: the batch is empty")
    labels = _class_labels(labels, n, classes)
    rows = np.arange(n)
    z = logits.data - logits.data.max(axis=1, keepdims=True)  # (N, C), every row's max is 0
    e = np.exp(z)
    total = e.sum(axis=1, keepdims=True)  # (N, 1), between 1 and C
    # -log softmax(x)[y] = log(sum_j e**z_j) - z_y, averaged over the rows
    loss = np.log(total).mean() - z[rows, labels].mean()
    return Tensor._result(np.asarray(loss), (logits,), "cross_entropy", (e, total, labels))


def _cross_entropy_backward(out: Tensor, g: np.ndarray) -> None:
    # d(loss)/d(logits) = (softmax(logits) - one_hot(labels)) / N
    logits = out._prev[0]
    e, total, labels = out._ctx
    n = len(labels)
    grad = e / total  # (N, C) the softmax probabilities
    grad[np.arange(n), labels] -= 1.0
    grad *= g / n
    logits._add_grad(grad)


# the engine's table gets the fused losses' rules
BACKWARD_RULES["binary_cross_entropy"] = _binary_cross_entropy_backward
BACKWARD_RULES["cross_entropy"] = _cross_entropy_backward
