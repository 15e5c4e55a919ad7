"""Neural-network building blocks: scalar (micrograd-style) and tensor modules, and losses.

Scalar: ``Neuron``, ``Layer``, ``MLP`` on Values. Every module has ``parameters()``,
``zero_grad()``, ``save(path)`` and ``load(path)``.
"""
from .module import Module
from .scalar import Neuron, Layer, MLP, ACTIVATIONS

__all__ = ["Module", "Neuron", "Layer", "MLP", "ACTIVATIONS"]
