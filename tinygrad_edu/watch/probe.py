"""Looking inside a model without changing it: its layers, and its activations on many inputs.

A ``Probe`` knows which layers of a model hold weights (the units and edges the page draws)
and evaluates the model on a batch of inputs the way a person would check it by hand:

* under ``no_grad()`` (no graph is built, no gradient is touched),
* in evaluation mode (dropout off, batch norm on its running statistics), every module's own
  ``training`` flag put back afterwards, whatever it was,
* with forward hooks (``register_forward_hook``) on the ``Linear`` layers, removed afterwards:
  a layer's output is z = W h + b, and the input of the next layer is h = phi(z), whatever
  computes phi (a module, ``F.relu``, a method call in the user's own ``forward``).

The scalar ``nn.MLP`` (micrograd's layout) is evaluated layer by layer with its own
``Layer.outputs``, one example at a time: each layer's outputs are already phi(z).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .. import nn
from ..tensor import Tensor, no_grad
from ..value import Value

ACTIVATION_NAMES = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid"}


class LayerView:
    """One weight layer as the page draws it: ``weight`` (nout, nin) and ``bias`` (nout,) as
    numpy arrays, their gradients (zeros before any backward pass), and the name of the
    activation applied to its output (``''`` when unknown, ``'linear'`` for none)."""

    def __init__(self, name: str, module: Any, activation: str) -> None:
        self.name, self.module, self.activation = name, module, activation
        if isinstance(module, nn.Layer):  # scalar: one row of Values per neuron
            self.nout, self.nin = len(module.neurons), len(module.neurons[0].w)
        else:
            self.nout, self.nin = module.weight.shape

    def arrays(self) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(W, b, dL/dW, dL/db), copies, shaped (nout, nin), (nout,), (nout, nin), (nout,)."""
        m = self.module
        if isinstance(m, nn.Layer):
            w = np.array([[v.data for v in n.w] for n in m.neurons])
            gw = np.array([[v.grad for v in n.w] for n in m.neurons])
            b = np.array([n.b.data for n in m.neurons])
            gb = np.array([n.b.grad for n in m.neurons])
            return w, b, gw, gb
        w = m.weight.data.astype(np.float64)
        gw = np.zeros_like(w) if m.weight.grad is None else np.array(m.weight.grad, dtype=np.float64)
        if m.bias is None:
            b, gb = np.zeros(self.nout), np.zeros(self.nout)
        else:
            b = m.bias.data.astype(np.float64)
            gb = np.zeros_like(b) if m.bias.grad is None else np.array(m.bias.grad, dtype=np.float64)
        return w, b, gw, gb


class Probe:
    """The weight layers of ``model`` (found by one evaluation on ``example``, an input batch)
    and ``evaluate(x)``: outputs, every layer's z and the next layer's input h."""

    def __init__(self, model: Any, example: Any) -> None:
        self.model = model
        self.scalar = isinstance(model, nn.MLP)
        if self.scalar:
            acts = [layer.neurons[0].activation for layer in model.layers]  # 'linear' for none
            self.layers = [LayerView(f"layers.{k}", layer, acts[k]) for k, layer in enumerate(model.layers)]
        else:
            names = {id(m): name for name, m in model.named_modules()}
            linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
            called = self._call_order(linears, example)
            self.layers = [LayerView(names[id(m)], m, self._activation(m)) for m in called]
        self.groups = _parameter_groups(model, self.scalar)

    def _activation(self, linear: Any) -> str:
        """The activation right after ``linear`` in a Sequential, when there is one."""
        for parent in self.model.modules():
            if isinstance(parent, nn.Sequential):
                items = list(parent)
                for k, m in enumerate(items):
                    if m is linear:
                        after = items[k + 1] if k + 1 < len(items) else None
                        if after is None:
                            return "linear"
                        return ACTIVATION_NAMES.get(type(after), "")
        return ""

    def _call_order(self, linears: List[Any], example: Any) -> List[Any]:
        order: List[Any] = []
        seen: set = set()

        def note(module: Any, inputs: Any, output: Any) -> None:
            if id(module) not in seen:
                seen.add(id(module))
                order.append(module)

        with _evaluating(self.model):
            handles = [m.register_forward_hook(note) for m in linears]
            try:
                self.model(Tensor(example))
            finally:
                for h in handles:
                    h.remove()
        return order

    def evaluate(self, x: np.ndarray) -> Tuple[np.ndarray, List[np.ndarray], List[Optional[np.ndarray]]]:
        """The model on inputs ``x`` (N, ...): outputs (N, C), each layer's z (N, nout) and the
        input h (N, nout) its next layer received (None where the next layer is not fed by it)."""
        if self.scalar:
            return self._evaluate_scalar(x)
        seen: Dict[int, Tuple[np.ndarray, np.ndarray]] = {}

        def keep(module: Any, inputs: Any, output: Any) -> None:
            if id(module) not in seen:  # a layer used twice: its first use
                seen[id(module)] = (_numbers(inputs[0]), _numbers(output))

        with _evaluating(self.model):
            handles = [view.module.register_forward_hook(keep) for view in self.layers]
            try:
                out = _numbers(self.model(Tensor(x)))
            finally:
                for h in handles:
                    h.remove()
        zs = [seen[id(v.module)][1] if id(v.module) in seen else None for v in self.layers]
        hs: List[Optional[np.ndarray]] = []
        for k, view in enumerate(self.layers[:-1]):
            nxt = seen.get(id(self.layers[k + 1].module))
            fits = nxt is not None and nxt[0].ndim == 2 and nxt[0].shape[1] == view.nout
            hs.append(nxt[0] if fits else None)  # type: ignore[index]
        hs.append(out.reshape(len(x), -1))
        return out.reshape(len(x), -1), [z if z is not None else np.zeros((len(x), 0)) for z in zs], hs

    def _evaluate_scalar(
        self, x: np.ndarray
    ) -> Tuple[np.ndarray, List[np.ndarray], List[Optional[np.ndarray]]]:
        hs: List[List[List[float]]] = [[] for _ in self.layers]
        with _evaluating(self.model):
            for row in x:  # one example at a time: the scalar engine's way
                h: Any = [float(v) for v in row]
                for k, layer in enumerate(self.model.layers):
                    h = layer.outputs(h)
                    hs[k].append([v.data for v in h])
        h_arrays = [np.array(rows, dtype=np.float64).reshape(len(x), -1) for rows in hs]
        zs = []  # z = W h + b, shown on hover: the scalar layers give only phi(z)
        previous = np.asarray(x, dtype=np.float64)
        for view, h in zip(self.layers, h_arrays, strict=True):
            w, b, _, _ = view.arrays()
            zs.append(previous @ w.T + b)  # (N, nin) @ (nin, nout) -> (N, nout)
            previous = h
        return h_arrays[-1], zs, list(h_arrays)


class _evaluating:
    """``no_grad()`` and evaluation mode for a model; every module's flag back afterwards."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def __enter__(self) -> None:
        self.flags = [(m, m.training) for m in self.model.modules()]
        self.grad = no_grad()
        self.grad.__enter__()
        self.model.eval()

    def __exit__(self, *exc: Any) -> None:
        for m, flag in self.flags:
            m.training = flag
        self.grad.__exit__(*exc)


def _numbers(out: Any) -> np.ndarray:
    if isinstance(out, Tensor):
        return np.asarray(out.data, dtype=np.float64)
    if isinstance(out, Value):
        return np.array([out.data])
    if isinstance(out, (list, tuple)) and out and isinstance(out[0], Value):
        return np.array([v.data for v in out])
    raise TypeError(f"watch: the model returned {type(out).__name__}; it needs a Tensor (or Values)")


def _parameter_groups(model: Any, scalar: bool) -> List[Tuple[str, List[Any]]]:
    """Parameters grouped by the module that holds them (a scalar MLP: by layer), in order."""
    groups: Dict[str, List[Any]] = {}
    for name, p in model.named_parameters():
        parts = name.split(".")
        key = ".".join(parts[:2]) if scalar else ".".join(parts[:-1]) or name
        groups.setdefault(key, []).append(p)
    return list(groups.items())


def gradient_norm(params: List[Any]) -> float:
    """sqrt(sum of every squared gradient entry): 0 for parameters without a gradient."""
    total = 0.0
    for p in params:
        if isinstance(p, Value):
            total += p.grad * p.grad
        elif p.grad is not None:
            g = np.asarray(p.grad, dtype=np.float64)
            total += float(np.sum(g * g))
    return float(np.sqrt(total))
