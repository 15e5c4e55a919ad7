"""Neural-network building blocks: scalar (micrograd-style) and tensor modules, and losses.

* scalar, in micrograd's layout: ``Neuron``, ``Layer``, ``MLP`` on Values;
* tensor, in PyTorch's layout: ``Linear`` (weight (nout, nin)), ``Sequential``, ``ReLU``,
  ``Tanh``, ``Sigmoid``, ``Dropout``, ``Residual`` (a skip connection), ``RNNCell``, ``LSTMCell``,
  ``GRUCell`` (one recurrent step) and ``RNN``, ``LSTM``, ``GRU`` (a whole sequence);
* for images (NCHW): ``Conv2d`` (weight (out, in, kh, kw)), ``MaxPool2d``, ``Flatten``;
* losses on Tensors, mean over the batch: ``mse_loss``, ``binary_cross_entropy`` (from
  logits), ``cross_entropy`` (logits and integer class labels).

Every module has ``parameters()``, ``zero_grad()``, ``save(path)`` and ``load(path)``,
``state_dict()`` and ``load_state_dict()``; ``summary(model, input_shape)`` tabulates its cost.
"""

from .conv import Conv2d, Flatten, MaxPool2d
from .layers import Dropout, Linear, ReLU, Residual, Sequential, Sigmoid, Tanh
from .losses import binary_cross_entropy, cross_entropy, mse_loss
from .module import Module, ModuleList, Parameter
from .recurrent import GRUCell, LSTMCell, RNNCell
from .rnn import GRU, LSTM, RNN
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
    "LSTMCell",
    "GRUCell",
    "RNN",
    "LSTM",
    "GRU",
    "Conv2d",
    "MaxPool2d",
    "Flatten",
    "mse_loss",
    "binary_cross_entropy",
    "cross_entropy",
    "summary",
    "Summary",
]
