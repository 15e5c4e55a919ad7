"""``nn.summary``: what a model costs, layer by layer (output shapes, parameters, multiply-adds).

The lecture's "computation cost vs accuracy" chart places networks by the work they do. The
unit of that work is the multiply-add: one ``w * x`` added to a running sum. Every weight of a
layer is used once for each output position, which gives the counts of the contract:

* ``Linear``: batch x nin x nout (each of the nout units sums nin products, per example);
* ``Conv2d``: batch x out x H_out x W_out x in x kh x kw (the kernel at every output pixel);
* ``ConvTranspose2d``: batch x in x H_in x W_in x out x kh x kw, over the *input* pixels, each of
  which scatters a kernel (with padding some of those products fall outside the output and
  are still counted: it is the work done, as for the convolution it transposes);
* ``BatchNorm``, pooling and ``Upsample``: 0 (no weight multiplies an input and is summed);
* ``RNNCell``: batch x hidden x (input + hidden) (x W_ih^T and h W_hh^T);
* a scalar ``Neuron`` nin, a ``Layer`` nin x nout (per example);
* layers without weights (activations, pooling, ...) count 0; biases add, they do not multiply.

Algorithm notes (how the shape after every inner layer is found): the model runs once on zeros
with a forward hook (``register_forward_hook``) on every module in it, which writes down the
shape of what the module returned; afterwards every hook is removed. So the summary needs no
rules for containers: a ``Sequential`` calls its children in order, a ``Residual`` calls its
inner module and adds, a module of your own calls its parts however it likes, and every call
is noted. (A module that defines ``__call__`` itself, the first release's way, runs no hooks:
its row has no output shape, and its insides are still counted by their parameters.)

>>> import numpy as np
>>> from tinygrad_edu import nn
>>> model = nn.Sequential(nn.Linear(4, 8, rng=np.random.default_rng(0)), nn.ReLU(), nn.Linear(8, 2))
>>> s = nn.summary(model, (32, 4))
>>> s.total_params, s.total_mult_adds  # (4*8 + 8) + (8*2 + 2); 32 * (4*8 + 8*2)
(58, 1536)
>>> print(s)  # doctest: +NORMALIZE_WHITESPACE
Sequential, input (32, 4), float64
name     type        output shape  params  mult-adds
----------------------------------------------------
(model)  Sequential  (32, 2)           --         --
  0      Linear      (32, 8)           40      1,024
  1      ReLU        (32, 8)            0          0
  2      Linear      (32, 2)           18        512
----------------------------------------------------
total                                  58      1,536
parameter memory: 464 bytes (float64)
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..tensor import Tensor, no_grad
from ..value import Value
from .conv import Conv2d, ConvTranspose2d
from .layers import Linear
from .module import Module
from .recurrent import GRUCell, LSTMCell, RNNCell
from .rnn import GRU, LSTM, RNN
from .scalar import MLP, Layer, Neuron

Shape = Optional[Tuple[int, ...]]  # None: the output was not an array or Values


class Summary:
    """What ``nn.summary`` returns: ``rows`` (one dict per layer, with the keys ``name``,
    ``type``, ``output_shape``, ``params``, ``mult_adds``), ``total_params``,
    ``total_mult_adds``, ``param_bytes``; ``str()`` (and the notebook display) is the table.

    A row counts what that module holds itself: a container's parameters and work are in the
    rows of the layers inside it (the table shows ``--`` for it), so the totals are the column
    sums. A module called more than once counts every call; its shape is the first call's.
    """

    def __init__(
        self,
        title: str,
        rows: List[Dict[str, Any]],
        layout: List[Tuple[int, bool]],
        param_bytes: int,
        dtype: str,
    ) -> None:
        self.title = title
        self.rows = rows
        self.total_params = sum(row["params"] for row in rows)
        self.total_mult_adds = sum(row["mult_adds"] for row in rows)
        self.param_bytes = param_bytes
        self.dtype = dtype
        self._layout = layout  # per row: its depth (for the indent), and whether it has inner rows

    def __str__(self) -> str:
        lines = [["name", "type", "output shape", "params", "mult-adds"]]
        for row, (depth, container) in zip(self.rows, self._layout, strict=True):
            shape = "?" if row["output_shape"] is None else str(row["output_shape"])
            numbers = [f"{row['params']:,}", f"{row['mult_adds']:,}"]
            if container and not row["params"] and not row["mult_adds"]:
                numbers = ["--", "--"]
            lines.append(["  " * depth + (row["name"] or "(model)"), row["type"], shape, *numbers])
        total = ["total", "", "", f"{self.total_params:,}", f"{self.total_mult_adds:,}"]
        widths = [max(len(line[i]) for line in lines + [total]) for i in range(5)]

        def join(cells: List[str]) -> str:  # text columns left-aligned, numbers right-aligned
            text = [cell.ljust(w) for cell, w in zip(cells[:3], widths[:3], strict=True)]
            numbers = [cell.rjust(w) for cell, w in zip(cells[3:], widths[3:], strict=True)]
            return "  ".join(text + numbers).rstrip()

        rule = "-" * len(join(lines[0]))
        return "\n".join(
            [self.title, join(lines[0]), rule, *map(join, lines[1:]), rule, join(total)]
            + [f"parameter memory: {self.param_bytes:,} bytes ({self.dtype})"]
        )

    __repr__ = __str__  # a notebook cell that ends with nn.summary(...) shows the table


def _recording_hook(shapes: Dict[int, List[Shape]]) -> Any:
    """A forward hook that appends the shape of each output to ``shapes[id(module)]``. A scalar
    ``Layer`` returns one Value for one neuron: its shape is (1,), one unit, as for a list."""

    def record(module: Module, inputs: Tuple[Any, ...], output: Any) -> None:
        shape = _shape_of(output)
        shapes[id(module)].append((1,) if isinstance(module, Layer) and shape == () else shape)

    return record


def _shape_of(out: Any) -> Shape:
    if isinstance(out, tuple) and out and isinstance(out[0], Tensor):
        out = out[0]  # a recurrent module's (output, h_n) or a cell's (h', c'): the first
    if isinstance(out, Tensor):
        return out.shape
    if isinstance(out, Value):
        return ()
    if isinstance(out, (list, tuple)) and all(isinstance(v, Value) for v in out):
        return (len(out),)  # a scalar Layer's outputs
    return None


def _mult_adds(module: Module, shape: Shape) -> int:
    """Multiply-adds of one call that returned ``shape``: each weight once per output position."""
    if shape is None:
        return 0
    if isinstance(module, Linear):  # (..., nout): batch x nin x nout
        return math.prod(shape[:-1]) * module.weight.data.size
    if isinstance(module, Conv2d):  # (N, out, H_out, W_out): N x H_out x W_out x (out x in x kh x kw)
        n, _, h_out, w_out = shape
        return n * h_out * w_out * module.weight.data.size
    if isinstance(module, ConvTranspose2d):  # counted over the INPUT pixels, each stamping a kernel:
        # batch x in x H_in x W_in x out x kh x kw, with H_in = (H_out + 2p - kh - output_padding) // s + 1
        n, _, h_out, w_out = shape
        (kh, kw), (sh, sw), (ph, pw) = module.kernel_size, module.stride, module.padding
        h_in = (h_out + 2 * ph - kh - module.output_padding[0]) // sh + 1
        w_in = (w_out + 2 * pw - kw - module.output_padding[1]) // sw + 1
        return n * h_in * w_in * module.weight.data.size
    if isinstance(
        module, (RNNCell, LSTMCell, GRUCell)
    ):  # h' (batch, hidden): batch x gates*hidden x (in + hidden)
        w = module._weights()
        return shape[0] * (w[0].data.size + w[1].data.size)
    if isinstance(
        module, (RNN, LSTM, GRU)
    ):  # output (T, batch, hidden) or (batch, T, hidden): that x T, per layer
        layers = [module._weights(f"_l{k}") for k in range(module.num_layers)]
        return shape[0] * shape[1] * sum(w[0].data.size + w[1].data.size for w in layers)
    if isinstance(module, Layer):  # nin x nout, one example
        return sum(len(neuron.w) for neuron in module.neurons)
    if isinstance(module, Neuron):
        return len(module.w)
    return 0


def _inner(module: Module) -> List[Tuple[str, Module]]:
    """The children that get rows of their own: a scalar Layer is one row (its neurons are its
    units, as the rows of a Linear's weight are)."""
    return [] if isinstance(module, Layer) else module.named_children()


def _modules(model: Module) -> List[Tuple[str, int, Module]]:
    """(name, depth, module) for the model and each module inside it, parents first, each once
    (a stack, no recursion, as in ``named_modules``)."""
    found: List[Tuple[str, int, Module]] = []
    seen = set()
    stack = [("", 0, model)]
    while stack:
        name, depth, module = stack.pop()
        if id(module) in seen:
            continue
        seen.add(id(module))
        found.append((name, depth, module))
        stack += [(f"{name}.{c}" if name else c, depth + 1, m) for c, m in reversed(_inner(module))]
    return found


def _check_input_shape(input_shape: Any, scalar: bool) -> Tuple[int, ...]:
    if isinstance(input_shape, (int, np.integer)):
        raise TypeError(f"input_shape must be a tuple, e.g. ({input_shape},), got the int {input_shape}")
    if not isinstance(input_shape, (tuple, list)) or not all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in input_shape
    ):
        raise TypeError(f"input_shape must be a tuple of ints, e.g. (32, 784), got {input_shape!r}")
    shape = tuple(int(n) for n in input_shape)
    if not shape or min(shape) < 1:
        raise ValueError(f"input_shape must be a non-empty tuple of sizes >= 1, got {shape}")
    if scalar and len(shape) != 1:
        raise ValueError(
            f"a scalar model takes one example, a list of numbers: input_shape (nin,), got {shape}"
        )
    return shape


def summary(model: Module, input_shape: Sequence[int]) -> Summary:
    """Run ``model`` once on zeros of ``input_shape`` and tabulate, layer by layer, the output
    shape, the parameters and the multiply-adds (see this module's notes for the counts).

    ``input_shape`` includes the batch axis, e.g. ``(32, 784)`` or ``(8, 1, 28, 28)``; for a
    scalar ``MLP`` it is ``(nin,)``, one example. The run builds no Tensor graph (``no_grad``,
    so gradients stay as they were), uses evaluation mode (``Dropout`` keeps everything) and
    leaves every module's ``training`` flag as it found it. An input shape the model cannot
    take raises the layer's own ``ValueError``.

    >>> from tinygrad_edu import nn
    >>> s = nn.summary(nn.MLP(3, [4, 1]), (3,))
    >>> [(row["name"], row["output_shape"], row["params"], row["mult_adds"]) for row in s.rows]
    [('', (), 0, 0), ('layers.0', (4,), 16, 12), ('layers.1', (1,), 5, 4)]
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary takes a Module (nn.Sequential, nn.MLP, ...), got {type(model).__name__}")
    scalar = isinstance(model, (Neuron, Layer, MLP))
    shape = _check_input_shape(input_shape, scalar)
    params = list({id(p): p for p in model.parameters()}.values())  # each parameter once
    dtype = np.dtype(np.float64) if scalar or not params else params[0].data.dtype
    x: Any = [0.0] * shape[0] if scalar else Tensor(np.zeros(shape, dtype=dtype))

    modules = _modules(model)
    shapes: Dict[int, List[Shape]] = {id(m): [] for _, _, m in modules}
    flags = [(m, m.training) for _, m in model.named_modules()]  # neurons inside Layers too
    record = _recording_hook(shapes)
    handles = [m.register_forward_hook(record) for _, _, m in modules]
    try:
        model.eval()
        with no_grad():
            model(x)
    finally:  # every hook removed and every flag put back, also after an error
        for handle in handles:
            handle.remove()
        for m, flag in flags:
            m.training = flag

    rows, layout = [], []
    for name, depth, module in modules:
        inner = {id(p) for _, child in _inner(module) for p in child.parameters()}
        own = {id(p): p for p in module.parameters() if id(p) not in inner}.values()
        calls = shapes[id(module)]
        rows.append(
            {
                "name": name,
                "type": type(module).__name__,
                "output_shape": calls[0] if calls else None,
                "params": sum(1 if isinstance(p, Value) else p.data.size for p in own),
                "mult_adds": sum(_mult_adds(module, s) for s in calls),
            }
        )
        layout.append((depth, bool(_inner(module))))
    param_bytes = sum(8 if isinstance(p, Value) else p.data.nbytes for p in params)  # a float is 8 bytes
    title = f"{type(model).__name__}, input {shape}, {dtype.name}"
    return Summary(title, rows, layout, param_bytes, dtype.name)
