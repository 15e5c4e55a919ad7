"""The player's JSON document: every frame of the forward and the backward pass, as text.

Python computes everything the page shows (STYLE point 17): the numbers, the sentences, which
node is highlighted, which edges carry which local derivative, what each gradient reads after
each step. The page's script only puts those strings on the screen. The frames are:

* frame 0: the graph, nothing computed yet;
* one frame per node in topological order: the forward pass, each value appearing;
* the seed, dL/dL = 1 on the output;
* one frame per ``Step`` of ``backward_steps``: the node, its inputs' new gradients;
* the last frame: every leaf's gradient.

The document is built from a run of ``backward_steps`` on the graph from zero gradients;
every gradient is put back as it was afterwards, so ``play(y)`` changes nothing in the graph.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..draw import _number, _summary, cell_texts, input_edge_id
from ..steps import Step, backward_steps, expression_text, node_names, rule_text
from ..value import Value

Frame = Dict[str, Any]


def _exact(x: Any) -> str:
    """The full-precision number shown on hover (a summary for an array)."""
    return repr(x) if isinstance(x, float) else _summary(x)


def _sign_and_size(grad: Any) -> Tuple[Optional[int], float]:
    """(sign, magnitude) of a gradient, for its colour: the sign is None for nan."""
    if isinstance(grad, float):
        total, size = grad, abs(grad)
    else:
        total, size = float(np.sum(grad)), float(np.mean(np.abs(grad))) if np.size(grad) else 0.0
    if math.isnan(total):
        return None, 0.0
    return (total > 0) - (total < 0), size if math.isfinite(size) else 0.0


class _Recorder:
    """Builds the frames while ``backward_steps`` runs: knows each node's index and name."""

    def __init__(self, order: Sequence[Any]) -> None:
        self.order = order
        self.index = {id(node): i for i, node in enumerate(order)}
        self.names = node_names(order)
        self.sizes: List[Dict[str, Any]] = []  # every grad update, to scale its colour at the end
        self.shown: Dict[int, str] = {}  # each node's gradient so far, as text (absent: none yet)

    def name(self, node: Any) -> str:
        return self.names[id(node)]

    def grad_update(self, node: Any, grad: Any) -> Dict[str, Any]:
        sign, size = _sign_and_size(grad)
        update = {"node": self.index[id(node)], "text": cell_texts(node, grad)[-1], "sign": sign}
        update.update(exact=_exact(grad), size=size)
        self.sizes.append(update)
        return update

    def edges(self, node: Any, x: Any, label: str) -> List[Dict[str, str]]:
        """The edges from input ``x`` into ``node``'s op (two for a * a), with a label."""
        i, j = self.index[id(node)], self.index[id(x)]
        uses = sum(1 for each in node._prev if each is x)
        ids = [input_edge_id(f"n{j}", use, f"n{i}") for use in range(1, uses + 1)]
        return [{"id": edge, "label": label if k == 0 else ""} for k, edge in enumerate(ids)]

    # ***** the forward pass *****

    def forward_frame(self, i: int, node: Any) -> Frame:
        scalar = isinstance(node, Value)
        if not node._prev:
            what = _number(node.data) if scalar else _tensor_text(node.data)
            text = f"{self.name(node)} = {what}   (a leaf: given, not computed)"
        elif scalar:
            with_names = expression_text(node, self.name)
            with_numbers = expression_text(node, lambda x: _in_parentheses(x.data))
            text = f"{self.name(node)} = {with_names} = {with_numbers} = {_number(node.data)}"
        else:
            text = f"{self.name(node)} = {expression_text(node, self.name)}: {_tensor_text(node.data)}"
        inputs = sorted({self.index[id(x)] for x in node._prev})
        edges = [{"id": input_edge_id(f"n{j}", 1, f"n{i}"), "label": ""} for j in inputs]
        if node._op:
            edges.append({"id": f"e_n{i}_op_n{i}", "label": ""})
        return {
            "phase": f"forward {i + 1} / {len(self.order)}",
            "node": i,
            "reveal": i,
            "marks": inputs,
            "text": text,
            "lines": [],
            "edges": edges,
        }

    # ***** the backward pass *****

    def seed_frame(self, root: Any) -> Frame:
        name = self.name(root)
        return {
            "phase": "backward: the seed",
            "node": self.index[id(root)],
            "text": f"dL/d{name} = 1: the backward pass starts at the output, L = {name}",
            "lines": ["every other gradient is filled in from this one, by the chain rule, node by node"],
            "grads": [self.grad_update(root, root.grad)],
        }

    def backward_frame(self, step: Step) -> Frame:
        node, name = step.node, self.name(step.node)
        lines = [f"g = dL/d{name} = {_grad_text(step.grad)}, the gradient arriving from above"]
        grads, edges, marks, accumulate = [], [], [], []
        for x, local, contribution in step.inputs:
            j, x_name = self.index[id(x)], self.name(x)
            marks.append(j)
            if local is not None:  # a Value: the local derivative is a number
                line = f"dL/d{x_name} += d{name}/d{x_name} * g = {_number(local)} * {_number(step.grad)}"
                line += f" = {_number(contribution)}"
                label = f"local {_number(local)}"
            else:
                formula = rule_text(node, x, self.name)
                line = f"dL/d{x_name} += {formula}: shape {tuple(np.shape(contribution))}, "
                line += _summary(contribution)
                label = formula
            if j in self.shown:  # x feeds several nodes: this contribution adds to the others'
                line += f"; {x_name} is used more than once, so its gradients add up: "
                line += f"{self.shown[j]} + {_grad_text(contribution)} = {_grad_text(x.grad)}"
                accumulate.append(j)
                label = "+= " + label
            self.shown[j] = _grad_text(x.grad)
            lines.append(line)
            edges += self.edges(node, x, label)
            grads.append(self.grad_update(x, x.grad))
        return {
            "phase": f"backward {step.index} / {step.total}",
            "node": self.index[id(node)],
            "marks": marks,
            "accumulate": accumulate,
            "text": str(step),
            "lines": lines,
            "edges": edges,
            "grads": grads,
        }

    def done_frame(self, root: Any) -> Frame:
        leaves = [node for node in self.order if not node._prev and node.grad is not None]
        return {
            "phase": "done",
            "node": None,
            "text": f"The backward pass is done: every gradient is what {self.name(root)}.backward() gives.",
            "lines": [f"dL/d{self.name(leaf)} = {_grad_text(leaf.grad)}" for leaf in leaves],
        }


def _grad_text(grad: Any) -> str:
    return _number(grad) if isinstance(grad, float) else _summary(grad)


def _in_parentheses(x: float) -> str:
    text = f"{x:.4g}"
    return f"({text})" if text.startswith("-") else text


def _tensor_text(data: np.ndarray) -> str:
    return f"shape {tuple(data.shape)}, {_summary(data)}"


def build_document(root: Any, order: Sequence[Any]) -> Tuple[Dict[str, Any], List[Any]]:
    """The JSON-ready document for ``root`` (its nodes in topological ``order``), and each
    node's final gradient (the picture is laid out with those, so the boxes fit them)."""
    recorder = _Recorder(order)
    saved = [node.grad for node in order]
    scalar = isinstance(root, Value)
    for node in order:  # one backward pass from zero gradients
        node.grad = 0.0 if scalar else None
    try:
        frames: List[Frame] = [_start_frame(recorder, root)]
        frames += [recorder.forward_frame(i, node) for i, node in enumerate(order)]
        steps = backward_steps(root)
        first = next(steps, None)  # (the seed happens when the generator starts)
        frames.append(recorder.seed_frame(root))
        if first is not None:
            frames.append(recorder.backward_frame(first))
            frames += [recorder.backward_frame(step) for step in steps]
        frames.append(recorder.done_frame(root))
        final = [node.grad for node in order]
        reached = [node.grad is not None for node in order]
    finally:
        for node, grad in zip(order, saved, strict=True):
            node.grad = grad
    _scale_colours(recorder.sizes)
    nodes = []
    for node, got_grad, grad in zip(order, reached, final, strict=True):
        texts = cell_texts(node, grad)
        nodes.append(
            {
                "name": recorder.name(node),
                "data": texts[-2],
                "data0": "data ?",
                "grad0": "grad ?" if got_grad else texts[-1],
                "exact": f"data {_exact(node.data)}",
            }
        )
    title = f"Backpropagation through {recorder.name(root)}"
    document = {"title": title, "kind": type(root).__name__, "nodes": nodes, "frames": frames}
    return document, final


def _start_frame(recorder: _Recorder, root: Any) -> Frame:
    values = len(recorder.order)
    ops = sum(1 for node in recorder.order if node._prev)
    return {
        "phase": "start",
        "node": None,
        "text": f"The graph of L = {recorder.name(root)}: {values} values, {ops} operations.",
        "lines": [
            "next (or the right arrow key): the forward pass computes each value from its inputs",
            "then the backward pass sends dL/d(value) from the output back to every input",
            "a box reads: name | data | grad; an edge label is the local derivative d(output)/d(input)",
        ],
    }


def _scale_colours(updates: List[Dict[str, Any]]) -> None:
    """Turn each update's raw size into 'mag' in [0, 1], relative to the largest one."""
    largest = max((u["size"] for u in updates), default=0.0)
    for u in updates:
        size = u.pop("size")
        u["mag"] = round(size / largest, 3) if largest > 0 else 0.0
