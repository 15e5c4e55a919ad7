"""Optimisers: turn gradients into parameter updates, for Values and Tensors alike.

``SGD`` (with momentum, Nesterov's too), ``Adam``, ``AdamW`` and ``RMSprop`` follow PyTorch's
formulas exactly, so their trajectories match ``torch.optim``; ``lr_scheduler`` changes the
learning rate as training goes on (``StepLR``, ``CosineAnnealingLR``). A parameter whose
``grad`` is None (a Tensor that backward() did not reach) is skipped.

One file per concept: optimizer.py (parameter groups, state, saving), sgd.py, adam.py,
rmsprop.py, lr_scheduler.py.

>>> from tinygrad_edu import Tensor, optim
>>> w = Tensor([1.0, -2.0], requires_grad=True)
>>> opt = optim.SGD([w], lr=0.1, momentum=0.9, nesterov=True)
>>> (w * w).sum().backward(); opt.step(); w.data.tolist()   # w - 0.1 * (g + 0.9 * g), g = 2w
[0.62, -1.24]
"""

from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]
