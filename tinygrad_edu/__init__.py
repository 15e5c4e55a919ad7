"""tinygrad_edu: a small, readable automatic-differentiation engine for learning deep learning.

* ``Value``: one scalar that records the graph of the neuron equation y = phi(w . x + b)
* ``Tensor``: the same ideas on numpy arrays
* ``nn``, ``optim``: neurons, layers, MLPs, losses, SGD and Adam
* ``draw_dot``: a graphviz picture of any graph; ``gradcheck``: gradients vs finite differences
* ``backward_steps``: backpropagation one node at a time; ``play``: watch it in a browser page
* ``watch``: record a training run and step through it in a browser page

>>> from tinygrad_edu import Value
>>> x = Value(2.0); y = x * x
>>> y.backward(); x.grad
4.0
"""

from . import nn, optim
from .draw import draw_dot
from .gradcheck import GradcheckError, gradcheck
from .player import Player, play
from .steps import Step, backward_steps
from .tensor import Tensor, is_grad_enabled, no_grad
from .value import Value
from .watch import Watch, watch

__version__ = "0.2.0"
__all__ = [
    "Value",
    "Tensor",
    "no_grad",
    "is_grad_enabled",
    "draw_dot",
    "gradcheck",
    "GradcheckError",
    "backward_steps",
    "Step",
    "play",
    "Player",
    "watch",
    "Watch",
    "nn",
    "optim",
    "__version__",
]
