"""draw_dot: a graphviz picture of a computation graph (Values or Tensors).

Each value becomes a box showing its label, data and grad; each operation becomes a small
oval between its inputs and its output, so the neuron y = tanh(w*x + b) reads left to right
exactly as it is computed. Labels are HTML-escaped, so any text a learner types (quotes,
braces, ``<``, ``|``, newlines) still gives valid DOT.
"""

from __future__ import annotations

import html
from typing import Any

import graphviz
import numpy as np

from .graph import topological_order


def _text(s: str) -> str:
    """User text made safe inside a graphviz HTML label: markup characters escaped, a newline
    becomes a line break, other control characters and unencodable ones become spaces or '?'."""
    s = str(s).encode("utf-8", "replace").decode("utf-8")
    s = "".join(" " if (ord(ch) < 32 and ch != "\n") or ord(ch) == 127 else ch for ch in s)
    s = html.escape(s, quote=True).replace("[", "&#91;").replace("]", "&#93;")  # dot trips on a leading ']'
    return "<BR/>".join(s.split("\n"))


def _number(x: float) -> str:
    return f"{x:.4f}" if x == x and abs(x) < 1e5 else f"{x:.4g}"


def _summary(a: Any) -> str:
    """A short description of an array: the value itself if tiny, else mean and range."""
    if a is None:
        return "None"
    a = np.asarray(a)
    if a.size == 1:
        return _number(float(a.reshape(-1)[0]))
    if a.size <= 4:
        return "[" + " ".join(_number(float(v)) for v in a.reshape(-1)) + "]"
    return f"mean {_number(float(a.mean()))}, [{_number(float(a.min()))}, {_number(float(a.max()))}]"


# ops that carry a plain-number constant in _ctx, and how to show it: a * 2 reads "* 2"
_CONSTANT_OPS = {
    "+c": "+ {:g}",
    "*c": "* {:g}",
    "/c": "/ {:g}",
    "**": "**{:g}",
    "leaky_relu": "leaky_relu({:g})",
}


def _op_text(node: Any) -> str:
    """The op's name, with the constant it carries (a**2 shows '**2', a - 1 shows '- 1')."""
    ctx = getattr(node, "_ctx", None)
    if node._op in _CONSTANT_OPS and isinstance(ctx, float):
        if node._op == "+c" and ctx < 0:
            return f"- {-ctx:g}"
        return _CONSTANT_OPS[node._op].format(ctx)
    return node._op


def _value_label(node: Any) -> str:
    """An HTML table: label | data | grad for a scalar; label | shape | data | grad for a tensor."""
    cells = []
    if node.label:
        cells.append(f"<B>{_text(node.label)}</B>")
    if isinstance(node.data, float):  # a scalar Value
        cells += [f"data {_number(node.data)}", f"grad {_number(node.grad)}"]
    else:  # a Tensor
        cells += [
            f"shape {tuple(node.data.shape)}",
            f"data {_text(_summary(node.data))}",
            f"grad {_text(_summary(node.grad))}",
        ]
    row = "".join(f"<TD>{c}</TD>" for c in cells)
    return f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4"><TR>{row}</TR></TABLE>>'


def draw_dot(root: Any, rankdir: str = "LR") -> graphviz.Digraph:
    """Build a ``graphviz.Digraph`` of everything ``root`` was computed from.

    One box per value (label, data, grad; tensors show shape and a summary), one oval per
    operation, and edges input -> op -> output. ``rankdir`` is 'LR' (left to right) or 'TB'.
    In Jupyter the result displays inline; ``.render('graph', format='svg')`` writes a file
    where Graphviz's ``dot`` program is installed; ``.source`` is the DOT text.

    >>> from tinygrad_edu import Value
    >>> x = Value(2.0, label='x'); y = (x * 3).tanh(); y.backward()
    >>> dot = draw_dot(y)
    >>> dot.source.count('->')  # x -> (* 3) -> x*3 -> (tanh) -> y
    4
    """
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    if not hasattr(root, "_prev"):
        raise TypeError(f"draw_dot needs a Value or a Tensor, got {type(root).__name__}")
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": rankdir})
    for node in topological_order(root):
        uid = str(id(node))
        dot.node(uid, label=_value_label(node), shape="plaintext")
        if node._op:  # computed by an operation: draw the op, then inputs -> op -> node
            op_id = uid + "_op"
            dot.node(op_id, label=_text(_op_text(node)), shape="ellipse")
            dot.edge(op_id, uid)
            for child in node._prev:
                dot.edge(str(id(child)), op_id)
    return dot
