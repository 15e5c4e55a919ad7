"""The loss functions as modules, as PyTorch writes them: ``criterion = nn.MSELoss()`` once,
then ``loss = criterion(prediction, target)`` in the training loop. Each holds only its
``reduction`` ('mean', 'sum' or 'none') and calls the function in losses.py.

>>> from tinygrad_edu import Tensor, nn
>>> nn.MSELoss(reduction="sum")(Tensor([1.0, 2.0]), Tensor([0.0, 0.0])).item()
5.0
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .losses import binary_cross_entropy, check_reduction, cross_entropy, l1_loss, mse_loss
from .module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = check_reduction(type(self).__name__, reduction)


class MSELoss(_Loss):
    """Squared error, ``mse_loss(input, target, reduction)``.

    >>> MSELoss()(Tensor([1.0, 2.0]), Tensor([1.0, 4.0])).item()
    2.0
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """Absolute error, ``l1_loss(input, target, reduction)``.

    >>> L1Loss(reduction="none")(Tensor([1.0, 2.0]), Tensor([1.0, 4.0])).data.tolist()
    [0.0, 2.0]
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return l1_loss(input, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy from logits (N, C) and class labels (N,), ``cross_entropy``.

    >>> round(CrossEntropyLoss()(Tensor([[0.0, 0.0]]), [1]).item(), 6)
    0.693147
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return cross_entropy(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of sigmoid(input) against targets in [0, 1], computed from the
    logits (``binary_cross_entropy``): stable for any logit.

    >>> round(BCEWithLogitsLoss()(Tensor([0.0]), Tensor([1.0])).item(), 6)
    0.693147
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return binary_cross_entropy(input, target, self.reduction)
