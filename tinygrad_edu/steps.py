"""backward_steps: backpropagation one node at a time, to watch the chain rule work.

``backward()`` walks the graph from the output back to the leaves and, at every node, applies
that node's rule: dL/d(input) += d(node)/d(input) * dL/d(node). ``backward_steps`` does
exactly the same walk with exactly the same rules, but stops after each node and hands back
a ``Step`` saying what happened there:

    for step in backward_steps(y):
        print(step)          # n = v6 + b: dL/dv6 += 1 * 0.5 = 0.5; dL/db += 1 * 0.5 = 0.5

Each step is already applied when it is yielded, so ``w.grad`` inside the loop is the
gradient so far; when the loop ends every gradient is what ``backward()`` gives.

Algorithm notes. The engine has one table of rules (``BACKWARD_RULES`` in value.py and
tensor.py) and no table of derivatives, so the stepper finds a Value op's *local* derivative
d(node)/d(input) by running the node's rule once on the side: with dL/d(node) set to 1 and
the inputs' grads set to 0, the rule leaves exactly d(node)/d(input) in each input's grad
(rules are linear in dL/d(node)); then every grad is put back and the rule runs for real.
For ``b = a * a`` both halves of the rule land on ``a``, giving the right 2a. For Tensors the
local derivative is a Jacobian, too big to show: a step reports the array each input
received (its grad after the rule minus before). Nothing here knows any op by name, except
the optional formulas that make the sentences read well; a new op works unchanged.

Nodes without a label are named by their place in the topological order: ``v7`` is
``topological_order(root)[7]`` (the player shows those names in the picture).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from . import tensor, value
from .graph import topological_order
from .tensor import Tensor
from .value import Value

__all__ = ["Step", "backward_steps", "node_names", "expression_text", "rule_text"]


@dataclass(frozen=True)
class Step:
    """One node of the backward pass, after its chain-rule step was applied.

    ``index`` counts from 1 to ``total``; ``node`` is the node whose rule ran, ``op`` its
    operator, ``grad`` dL/d(node), the gradient arriving from above. ``inputs`` holds one
    ``(input_node, local, contribution)`` per distinct input: for a Value, ``local`` is
    d(node)/d(input) and ``contribution = local * grad`` what the input's grad received; for a
    Tensor, ``local`` is None and ``contribution`` the array added to the input's grad (a
    Tensor input that does not require grad receives nothing and is left out). ``names``
    maps ``id(node)`` to the name the sentence uses (``str(step)``).

    >>> from tinygrad_edu import Value
    >>> a, b = Value(2.0, label='a'), Value(3.0, label='b')
    >>> n = a * b; n.label = 'n'
    >>> [str(step) for step in backward_steps(n)]
    ['n = a * b: dL/da += 3 * 1 = 3; dL/db += 2 * 1 = 2']
    """

    index: int
    total: int
    node: Any
    op: str
    grad: Any
    inputs: Tuple[Tuple[Any, Optional[float], Any], ...]
    names: Dict[int, str] = field(repr=False, compare=False, default_factory=dict)

    def name(self, node: Any) -> str:
        """The name the sentences use for ``node``: its label, else ``v`` + its place in
        the topological order."""
        return self.names.get(id(node)) or node.label or "?"

    def __str__(self) -> str:
        head = f"{self.name(self.node)} = {expression_text(self.node, self.name)}: "
        if self.grad is None:
            return head + "no gradient reached it, so it passes nothing on"
        if isinstance(self.node, Value):
            parts = [
                f"dL/d{self.name(x)} += {_short(local)} * {_short(self.grad)} = {_short(contribution)}"
                for x, local, contribution in self.inputs
                if local is not None  # (a Value's inputs always have one)
            ]
        else:
            parts = [
                f"dL/d{self.name(x)} += {rule_text(self.node, x, self.name)}   {np.shape(contribution)}"
                for x, _, contribution in self.inputs
            ]
        return head + ("; ".join(parts) if parts else "no input requires a gradient")


def _short(x: float) -> str:
    """A number in a sentence: 4 significant digits, nan and inf as words (``-inf``)."""
    return f"{x:.4g}"


def node_names(order: Sequence[Any]) -> Dict[int, str]:
    """``{id(node): name}``: the label, or ``v{i}`` for the node at place i of ``order``.

    >>> from tinygrad_edu import Value
    >>> a = Value(1.0, label='a'); b = a * 2
    >>> list(node_names([a, b]).values())
    ['a', 'v1']
    """
    return {id(node): node.label or f"v{i}" for i, node in enumerate(order)}


# ***** the sentences: how an op reads, and (for Tensors) the formula of each input's gradient *****

# operators written between their operands; every other op reads as a call, e.g. tanh(a)
_INFIX = {"+": "+", "-": "-", "*": "*", "/": "/", "pow": "**", "@": "@"}
# ops that carry a plain number (kept in _ctx): a * 3 reads "a * 3" (a Value's a**3 is "**3")
_WITH_CONSTANT = {"+": "+", "*": "*", "/": "/", "**": "**"}

# dL/d(input) for Tensor ops, one formula per input: {0}, {1}, ... are the inputs' names,
# {out} the node's, {x} the input's own, g is dL/d(node); an op with any number of inputs
# (cat, stack) has one formula for all. An op missing here reads "(the <op> rule)".
# fmt: off
_TENSOR_RULES: Dict[str, Tuple[str, ...]] = {
    "+": ("g", "g"), "-": ("g", "-g"), "neg": ("-g",),
    "*": ("g * {1}", "g * {0}"), "/": ("g / {1}", "-g * {out} / {1}"),
    "**": ("g * {k} * {0}**({k}-1)",), "pow": ("g * {1} * {0}**({1}-1)", "g * {out} * log({0})"),
    "@": ("g @ {1}.T", "{0}.T @ g"),
    "exp": ("g * {out}",), "log": ("g / {0}",), "sqrt": ("g / (2 * {out})",),
    "tanh": ("g * (1 - {out}**2)",), "sigmoid": ("g * {out} * (1 - {out})",),
    "relu": ("g * ({0} > 0)",), "leaky_relu": ("g * (1 where {0} > 0, else the slope)",),
    "sum": ("g copied to every entry",), "mean": ("g / n copied to every entry",),
    "max": ("g at the maximum",), "reshape": ("g reshaped back",),
    "transpose": ("g transposed back",), "index": ("g put back where the entries came from",),
    "softmax": ("{out} * (g - sum(g * {out}))",), "log_softmax": ("g - softmax({0}) * sum(g)",),
    "linear": ("g @ {1}", "g.T @ {0}", "g summed over the rows"),
    "binary_cross_entropy": ("g * (sigmoid({0}) - {1}) / n", "g * -{0} / n"),
    "cross_entropy": ("g * (softmax({0}) - one_hot(labels)) / n",),
    "abs": ("g * sign({0})",), "clip": ("g where {0} is inside the range, else 0",),
    "min": ("g at the minimum",), "where": ("g where the condition holds", "g where it does not"),
    "sin": ("g * cos({0})",), "cos": ("g * -sin({0})",), "clone": ("g",),
    "maximum": ("g where {0} > {1} (half where equal)", "g where {1} > {0} (half where equal)"),
    "var": ("g * 2 * ({0} - mean) / (n - 1)",), "std": ("g * ({0} - mean) / ((n - 1) * {out})",),
    "cat": ("the piece of g where {x} was put",), "stack": ("the slice of g where {x} was put",),
    "conv2d": ("g through {1}, added back onto each window (col2im)", "g.T @ the windows of {0}",
               "g summed over the batch and the positions"),
    "max_pool2d": ("g at each window's maximum",), "dropout": ("g * the mask (0, or 1/(1-p))",),
    "conv_transpose2d": ("g.conv2d({1}): a plain convolution of g", "{0}.T @ the windows of g",
                         "g summed over the batch and the positions"),
    "avg_pool2d": ("g / (kh*kw) spread over each window",),
    "upsample_nearest2d": ("g summed over each block",),
    "batch_norm": ("{1} / std * (g - mean(g) - x_hat * mean(g * x_hat)) per channel while training, "
                   "g * {1} / std in eval mode", "g * x_hat summed per channel", "g summed per channel"),
    "rnn_cell": ("(g * phi') @ {2}", "(g * phi') @ {3}", "(g * phi').T @ {0}", "(g * phi').T @ {1}",
                 "g * phi' summed over the rows", "g * phi' summed over the rows"),
    # a: the gates' pre-activations; da = dL/da, each gate's slope times what reaches it
    "lstm_cell": ("da @ {3}", "da @ {4}", "(g_c + g_h * o * (1 - tanh(c')**2)) * f", "da.T @ {0}",
                  "da.T @ {1}", "da summed over the rows", "da summed over the rows"),
    "gru_cell": ("da_x @ {2}", "g * z + da_h @ {3}", "da_x.T @ {0}", "da_h.T @ {1}",
                 "da_x summed over the rows", "da_h summed over the rows"),
    "part": ("g put back where the part came from, 0 elsewhere",),
    # G: every step's dL/da, carried back through time (BPTT); sums over t are one product
    "rnn_layer": ("G @ {2}, every step at once", "G_1 @ {3}", "G.T @ {0}, over all steps",
                  "G.T @ [{1}; h_1 .. h_(T-1)]", "G summed over steps and rows",
                  "G summed over steps and rows"),
    "lstm_layer": ("G @ {3}, every step at once", "G_1 @ {4}", "dL/dc_1 * f_1, carried back through time",
                   "G.T @ {0}, over all steps", "G.T @ [{1}; h_1 .. h_(T-1)]",
                   "G summed over steps and rows", "G summed over steps and rows"),
    "gru_layer": ("G_x @ {2}, every step at once", "dL/dh_1 * z_1 + G_h,1 @ {3}",
                  "G_x.T @ {0}, over all steps", "G_h.T @ [{1}; h_1 .. h_(T-1)]",
                  "G_x summed over steps and rows", "G_h summed over steps and rows"),
}
_ANY_NUMBER_OF_INPUTS = {"cat", "stack"}
# fmt: on


def expression_text(node: Any, name: Callable[[Any], str]) -> str:
    """How ``node`` was computed from its inputs, e.g. ``a * b``, ``a - 1``, ``tanh(a)``;
    ``name(x)`` names an input.

    >>> from tinygrad_edu import Value
    >>> a = Value(1.0, label='a')
    >>> [expression_text(v, lambda x: x.label) for v in (a - 1, a ** 2, a.tanh(), a * a)]
    ['a - 1', 'a**2', 'tanh(a)', 'a * a']
    """
    inputs = [name(x) for x in node._prev]
    op, ctx = node._op, getattr(node, "_ctx", None)
    if op in _INFIX and len(inputs) == 2:
        return f"{inputs[0]} {_INFIX[op]} {inputs[1]}"
    if op == "neg" and len(inputs) == 1:
        return f"-{inputs[0]}"
    if isinstance(ctx, float) and len(inputs) == 1:
        if op == "+" and ctx < 0:
            return f"{inputs[0]} - {-ctx:g}"
        op = "**" if op.startswith("**") else op  # a Value's "**3"
        if op in _WITH_CONSTANT:
            return f"{inputs[0]} {_WITH_CONSTANT[op]} {ctx:g}".replace(" ** ", "**")
        return f"{op}({inputs[0]}, {ctx:g})"  # e.g. leaky_relu(a, 0.1)
    return f"{op}({', '.join(inputs)})"


def rule_text(node: Any, x: Any, name: Callable[[Any], str]) -> str:
    """The formula for dL/dx of a Tensor node's input ``x``, in terms of g = dL/d(node)
    (an input used twice, as in ``a * a``, gets both terms).

    >>> from tinygrad_edu import Tensor
    >>> W = Tensor([[1.0, 2.0]], requires_grad=True, label='W'); x = Tensor([3.0, 4.0], label='x')
    >>> rule_text(W @ x, W, lambda t: t.label)
    'g @ x.T'
    """
    formulas = _TENSOR_RULES.get(node._op, ())
    ctx = getattr(node, "_ctx", None)
    k = f"{ctx:g}" if isinstance(ctx, float) else "k"  # the exponent of a ** k
    if node._op in _ANY_NUMBER_OF_INPUTS:
        formulas = formulas * len(node._prev)
    names = [name(each) for each in node._prev]
    terms = [
        formulas[i].format(*names, out=name(node), x=name(x), k=k)
        if i < len(formulas)
        else f"(the {node._op} rule)"
        for i, each in enumerate(node._prev)
        if each is x
    ]
    return " + ".join(terms)


# ***** the stepper *****


def backward_steps(root: Any) -> Iterator[Step]:
    """Backpropagate from ``root`` one node at a time: a generator of ``Step``.

    ``root`` is a ``Value`` or a one-element ``Tensor``. Its grad is seeded with 1 as in
    ``backward()``, then one ``Step`` is yielded for every node that has inputs, in the order
    ``backward()`` applies them, each step already applied. When the generator is exhausted
    every gradient equals what ``backward()`` gives.

    >>> from tinygrad_edu import Value
    >>> x = Value(3.0, label='x'); y = x * x; y.label = 'y'
    >>> for step in backward_steps(y):
    ...     print(step, '| x.grad =', x.grad)
    y = x * x: dL/dx += 6 * 1 = 6 | x.grad = 6.0
    """
    if isinstance(root, Value):
        return _value_steps(root)
    if isinstance(root, Tensor):
        if root.data.size != 1:
            raise ValueError(
                f"backward_steps needs a one-element output (a loss), got shape {root.shape}; "
                "reduce it first with .sum() or .mean()"
            )
        if not root.requires_grad:
            raise RuntimeError(
                "backward_steps: nothing in this graph requires grad; create the parameters "
                "with Tensor(..., requires_grad=True)"
            )
        return _tensor_steps(root)
    raise TypeError(f"backward_steps needs a Value or a one-element Tensor, got {type(root).__name__}")


def _distinct(nodes: Sequence[Any]) -> List[Any]:
    """The inputs of a node, each once, in order (``a * a`` has one input, ``a``)."""
    unique: Dict[int, Any] = {}
    for x in nodes:
        unique.setdefault(id(x), x)
    return list(unique.values())


def _value_steps(root: Value) -> Iterator[Step]:
    order = topological_order(root)
    names = node_names(order)
    steps = [node for node in reversed(order) if node._prev]
    root.grad = 1.0  # dL/dL = 1, exactly as backward() seeds it
    rules = value.BACKWARD_RULES
    for index, node in enumerate(steps, start=1):
        inputs = _distinct(node._prev)
        local = _local_derivatives(node, inputs)
        g = node.grad
        rules[node._op](node)  # the chain-rule step itself, as backward() applies it
        entries = tuple((x, d, d * g) for x, d in zip(inputs, local, strict=True))
        yield Step(index, len(steps), node, node._op, g, entries, names)


def _local_derivatives(node: Value, inputs: Sequence[Value]) -> List[float]:
    """d(node)/d(input) for each input: the node's rule run with dL/d(node) = 1 and the
    inputs' grads at 0 leaves exactly that in each input's grad. Every grad is restored."""
    saved, saved_grad = [x.grad for x in inputs], node.grad
    try:
        for x in inputs:
            x.grad = 0.0
        node.grad = 1.0
        value.BACKWARD_RULES[node._op](node)
        return [x.grad for x in inputs]
    finally:
        for x, g in zip(inputs, saved, strict=True):
            x.grad = g
        node.grad = saved_grad


def _tensor_steps(root: Tensor) -> Iterator[Step]:
    order = topological_order(root)
    names = node_names(order)
    steps = [node for node in reversed(order) if node._prev]
    for node in order:  # as in Tensor.backward(): intermediate results start afresh
        if node._prev:
            node.grad = None
    root._add_grad(np.ones_like(root.data))
    rules = tensor.BACKWARD_RULES
    for index, node in enumerate(steps, start=1):
        g = node.grad
        if g is None:  # no rule passed anything to this node: backward() skips it too
            yield Step(index, len(steps), node, node._op, None, (), names)
            continue
        inputs = [x for x in _distinct(node._prev) if x.requires_grad]
        before = [None if x.grad is None else x.grad.copy() for x in inputs]
        rules[node._op](node, g)  # the chain-rule step itself, as backward() applies it
        entries = tuple((x, None, _received(x, b)) for x, b in zip(inputs, before, strict=True))
        yield Step(index, len(steps), node, node._op, g, entries, names)


def _received(x: Tensor, before: Optional[np.ndarray]) -> np.ndarray:
    """What a Tensor's grad received in one step: its grad after minus before (a copy)."""
    after = x.grad
    if after is None:  # the rule passed nothing to this input
        return np.zeros_like(x.data)
    if before is None:
        return after.copy()
    with np.errstate(invalid="ignore"):  # inf - inf: nan, as in the grads themselves
        return after - before
