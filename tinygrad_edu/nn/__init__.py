"""Neural-network building blocks: scalar (micrograd-style) and tensor modules, and losses.

* scalar, in micrograd's layout: ``Neuron``, ``Layer``, ``MLP`` on Values;
* tensor, in PyTorch's layout: ``Linear`` (weight (nout, nin)), ``Sequential``, ``ReLU``,
  ``Tanh``, ``Sigmoid``;
* losses on Tensors, mean over the batch: ``mse_loss``, ``binary_cross_entropy`` (from
  logits), ``cross_entropy`` (logits and integer class labels).

Every module has ``parameters()``, ``zero_grad()``, ``save(path)`` and ``load(path)``.
"""
from .module import Module
from .scalar import Neuron, Layer, MLP, ACTIVATIONS
from .layers import Linear, Sequential, ReLU, Tanh, Sigmoid
from .losses import mse_loss, binary_cross_entropy, cross_entropy

__all__ = ["Module", "Neuron", "Layer", "MLP", "ACTIVATIONS", "Linear", "Sequential", "ReLU", "Tanh",
           "Sigmoid", "mse_loss", "binary_cross_entropy", "cross_entropy"]
