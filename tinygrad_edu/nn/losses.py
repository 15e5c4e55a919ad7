"""Loss functions on Tensors: one number that says how wrong the predictions are.

Each matches PyTorch's function of the same job: ``mse_loss``, ``l1_loss``,
``binary_cross_entropy`` (PyTorch's ``binary_cross_entropy_with_logits``) and ``cross_entropy``,
including ``reduction``: ``'mean'`` (the default) averages the per-example losses, ``'sum'``
adds them, ``'none'`` returns them all. The two cross-entropies take *logits* (raw scores,
before any sigmoid/softmax) and are each computed as one graph node whose gradient has a
famously simple form: prediction minus target.

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
REDUCTIONS = ("mean", "sum", "none")


def _check_tensor(name: str, x: object) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a Tensor, got {type(x).__name__}")
    return x


def check_reduction(who: str, reduction: object) -> str:
    """``reduction`` checked: one of 'mean', 'sum', 'none'."""
    if reduction not in REDUCTIONS or not isinstance(reduction, str):
        raise ValueError(f"{who}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


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


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    """Per-element losses -> their mean, their sum, or all of them ('none')."""
    if reduction == "mean":
        return losses.mean()
    return losses.sum() if reduction == "sum" else losses


def _reduce_array(losses: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return np.asarray(losses.mean())
    return np.asarray(losses.sum()) if reduction == "sum" else losses


def _scale(g: np.ndarray, reduction: str, n: int) -> np.ndarray:
    """What each per-element loss's gradient is multiplied by: g / n for the mean, g for the sum,
    and its own entry of g for 'none' (g then has the losses' shape)."""
    return g / n if reduction == "mean" else g


def mse_loss(pred: Tensor, target: Target, reduction: str = "mean") -> Tensor:
    """Squared error (pred - target) ** 2, averaged (or summed, or per element).

    >>> mse_loss(Tensor([1.0, 2.0]), Tensor([1.0, 4.0])).item()
    2.0
    >>> mse_loss(Tensor([1.0, 2.0]), Tensor([1.0, 4.0]), reduction="none").data.tolist()
    [0.0, 4.0]
    """
    reduction = check_reduction("mse_loss", reduction)
    pred = _check_tensor("mse_loss: pred", pred)
    target = _as_target(target, pred, "mse_loss")
    return _reduce((pred - target) ** 2, reduction)  # a composite: gradients from -, ** and mean


def l1_loss(pred: Tensor, target: Target, reduction: str = "mean") -> Tensor:
    """Absolute error |pred - target|, averaged (or summed, or per element); its gradient is
    sign(pred - target), 0 where they are equal (as in PyTorch).

    >>> l1_loss(Tensor([1.0, 2.0]), Tensor([1.0, 4.0]), reduction="sum").item()
    2.0
    """
    reduction = check_reduction("l1_loss", reduction)
    pred = _check_tensor("l1_loss: pred", pred)
    target = _as_target(target, pred, "l1_loss")
    return _reduce((pred - target).abs(), reduction)


def binary_cross_entropy(logits: Tensor, target: Target, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of sigmoid(logits) against targets in [0, 1], from the logits.

    For one logit x and target t the loss is -t log s - (1 - t) log(1 - s) with s = sigmoid(x),
    which simplifies to max(x, 0) - x t + log(1 + e**-|x|): no sigmoid is ever rounded to 0
    or 1, so logits of +-1000 give exact, finite losses and gradients.

    >>> round(binary_cross_entropy(Tensor([0.0, 1000.0]), Tensor([1.0, 1.0])).item(), 6)
    0.346574
    """
    reduction = check_reduction("binary_cross_entropy", reduction)
    logits = _check_tensor("binary_cross_entropy: logits", logits)
    target = _as_target(target, logits, "binary_cross_entropy")
    x, t = logits.data, target.data
    with np.errstate(invalid="ignore"):  # an infinite logit gives nan (inf - inf), as in PyTorch
        losses = np.maximum(x, 0.0) - x * t + np.log1p(np.exp(-np.abs(x)))
    data = _reduce_array(losses, reduction)
    return Tensor._result(data, (logits, target), "binary_cross_entropy", reduction)


def _binary_cross_entropy_backward(out: Tensor, g: np.ndarray) -> None:
    # d(loss_i)/dx_i = sigmoid(x_i) - t_i and d(loss_i)/dt_i = -x_i; the mean divides by n
    logits, target = out._prev
    x, t = logits.data, target.data
    scale = _scale(g, out._ctx, x.size)
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
    low, high = values.min(), values.max()  # checked before any conversion: shown as given
    if low < 0 or high >= classes:
        bad = (low if low < 0 else high).item()
        raise ValueError(
            f"cross_entropy: label {bad} is out of range for {classes} classes "
            f"(labels must be in 0..{classes - 1})"
        )
    return values.astype(np.intp)


def cross_entropy(
    logits: Tensor, labels: Union[np.ndarray, Sequence[int], Tensor], reduction: str = "mean"
) -> Tensor:
    """Softmax cross-entropy: -log softmax(logits)[label] per example, averaged over the batch
    (or summed, or one per example with ``reduction='none'``).

    ``logits`` is (N, C): one row of C class scores per example; ``labels`` holds N class
    indices in 0..C-1 (an int numpy array, a list, or a Tensor of whole numbers).
    Stable for any finite logits: uses log-sum-exp with the row maximum subtracted (an
    infinite logit gives nan or inf, as in PyTorch).

    >>> round(cross_entropy(Tensor([[1000.0, 0.0], [0.0, 0.0]]), np.array([0, 1])).item(), 6)
    0.346574
    """
    reduction = check_reduction("cross_entropy", reduction)
    logits = _check_tensor("cross_entropy: logits", logits)
    if logits.ndim != 2:
        raise ValueError(
            f"cross_entropy: logits must be (N, C), one row per example, got shape {logits.shape}"
        )
    n, classes = logits.shape
    if n == 0:
        raise ValueError("cross_entropy: the batch is empty")
    labels = _class_labels(labels, n, classes)
    with np.errstate(invalid="ignore"):  # inf - inf in a row with an infinite logit: nan
        z = logits.data - logits.data.max(axis=1, keepdims=True)  # (N, C), every row's max is 0
        e = np.exp(z)
        total = e.sum(axis=1, keepdims=True)  # (N, 1), between 1 and C
        # -log softmax(x)[y] = log(sum_j e**z_j) - z_y, for each row
        losses = np.log(total[:, 0]) - z[np.arange(n), labels]  # (N,)
    data = _reduce_array(losses, reduction)
    return Tensor._result(data, (logits,), "cross_entropy", (e, total, labels, reduction))


def _cross_entropy_backward(out: Tensor, g: np.ndarray) -> None:
    # d(loss_i)/d(logits_i) = softmax(logits_i) - one_hot(label_i), times the reduction's scale
    logits = out._prev[0]
    e, total, labels, reduction = out._ctx
    n = len(labels)
    with np.errstate(invalid="ignore"):
        grad = e / total  # (N, C) the softmax probabilities
    grad[np.arange(n), labels] -= 1.0
    scale = _scale(g, reduction, n)
    grad *= scale[:, None] if reduction == "none" else scale  # (N, C) * (N, 1): row i by its g_i
    logits._add_grad(grad)


# the engine's table gets the fused losses' rules
BACKWARD_RULES["binary_cross_entropy"] = _binary_cross_entropy_backward
BACKWARD_RULES["cross_entropy"] = _cross_entropy_backward
