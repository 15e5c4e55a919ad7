"""Neural-network building blocks: scalar (micrograd-style) and tensor modules, and losses.

* scalar, in micrograd's layout: ``Neuron``, ``Layer``, ``MLP`` on Values;
* tensor, in PyTorch's layout: ``Linear`` (weight (nout, nin)), ``Sequential``, ``ReLU``,
  ``Tanh``, ``Sigmoid``, ``Dropout``, ``Residual`` (a skip connection), ``RNNCell``, ``LSTMCell``,
  ``GRUCell`` (one recurrent step) and ``RNN``, ``LSTM``, ``GRU`` (a whole sequence);
* for images (NCHW): ``Conv2d`` (weight (out, in, kh, kw)), ``MaxPool2d``, ``Flatten``;
  ``ConvTranspose2d``, ``Upsample``, ``BatchNorm1d``/``2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d``;
* losses on Tensors, mean over the batch: ``mse_loss``, ``binary_cross_entropy`` (from
  logits), ``cross_entropy`` (logits and integer class labels).
* PyTorch's everyday names: ``Identity``, ``LeakyReLU``, ``Softmax``, ``LogSoftmax``; the
  loss modules ``MSELoss``, ``L1Loss``, ``CrossEntropyLoss``, ``BCEWithLogitsLoss`` and
  ``l1_loss`` (every loss takes ``reduction='mean'|'sum'|'none'``); ``functional`` (``F``).

Every module has ``parameters()``, ``zero_grad()``, ``save(path)`` and ``load(path)``,
``state_dict()`` and ``load_state_dict()``; ``summary(model, input_shape)`` tabulates its cost.
"""

from . import functional
from .activations import Identity, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .conv import Conv2d, ConvTranspose2d, Flatten, MaxPool2d
from .layers import Dropout, Linear, Residual, Sequential
from .loss_modules import BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss
from .losses import binary_cross_entropy, cross_entropy, l1_loss, mse_loss
from .module import Module, Parameter
from .module_list import ModuleList
from .norm import BatchNorm1d, BatchNorm2d
from .pool import AdaptiveAvgPool2d, AvgPool2d, Upsample
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
    "ConvTranspose2d",
    "Upsample",
    "BatchNorm1d",
    "BatchNorm2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "mse_loss",
    "binary_cross_entropy",
    "cross_entropy",
    "Identity",
    "LeakyReLU",
    "Softmax",
    "LogSoftmax",
    "l1_loss",
    "MSELoss",
    "L1Loss",
    "CrossEntropyLoss",
    "BCEWithLogitsLoss",
    "functional",
    "summary",
    "Summary",
]
