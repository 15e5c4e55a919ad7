"""Neural-network building blocks: scalar (micrograd-style) and tensor modules, and losses.

* scalar, in micrograd's layout: ``Neuron``, ``Layer``, ``MLP`` on Values;
* tensor, in PyTorch's layout: ``Linear`` (weight (nout, nin)), ``Sequential``, ``ReLU``,
  ``Tanh``, ``Sigmoid``, ``Dropout``, ``Residual`` (a skip connection), ``RNNCell`` (one
  recurrent step);
* for images (NCHW): ``Conv2d`` (weight (out, in, kh, kw)), ``MaxPool2d``, ``Flatten``;
  ``ConvTranspose2d``, ``Upsample``, ``BatchNorm1d``/``2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d``;
* losses on Tensors, mean over the batch: ``mse_loss``, ``binary_cross_entropy`` (from
  logits), ``cross_entropy`` (logits and integer class labels).

Every module has ``parameters()``, ``zero_grad()``, ``save(path)`` and ``load(path)``,
``state_dict()`` and ``load_state_dict()``; ``summary(model, input_shape)`` tabulates its cost.
"""

from .conv import Conv2d, ConvTranspose2d, Flatten, MaxPool2d
from .layers import Dropout, Linear, ReLU, Residual, Sequential, Sigmoid, Tanh
from .losses import binary_cross_entropy, cross_entropy, mse_loss
from .module import Module, ModuleList, Parameter
from .norm import BatchNorm1d, BatchNorm2d
from .pool import AdaptiveAvgPool2d, AvgPool2d, Upsample
from .recurrent import RNNCell
from .scalar import ACTIVATIONS, MLP, Layer, Neuron
from .summary import Summary, summary

__all__ = [
    "Module",
    "ModuleList",
    "Parameter",
    "Neuron",
    "Layer",
    "MLP",
    "ACTIVATIONS",
    "Linear",
    "Sequential",
    "ReLU",
    "Tanh",
    "Sigmoid",
    "Dropout",
    "Residual",
    "RNNCell",
    "Conv2d",
    "MaxPool2d",
    "Flatten",
    "ConvTranspose2d",
    "Upsample",
    "BatchNorm1d",
    "BatchNorm2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "mse_loss",
    "binary_cross_entropy",
    "cross_entropy",
    "summary",
    "Summary",
]
