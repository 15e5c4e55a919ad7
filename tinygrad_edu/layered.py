"""layered_svg: lay a computation graph out in Python, without Graphviz, and draw it as SVG.

The drawing is ``draw_dot``'s: a box per value (label | data | grad), an oval per operation,
edges input -> op -> output. It carries the player's ids (``n3``, ``n3_op``, ``e_n1_n3_op``,
``e_n3_op_n3``) and Graphviz's classes (``node``, ``edge``), so the player's page script finds
the same pieces whichever program laid the graph out. All user text is escaped; a label
longer than ``MAX_LABEL`` characters is shortened in its box (cut, with '…').

Algorithm notes: a *layered* drawing (Sugiyama's method, the one behind Graphviz's ``dot``).

1. Layers. Nodes go in columns (rows for ``rankdir='TB'``) so that every edge points forward.
   A node's layer is set by the longest path from it to the output: the output is in the
   last layer and every other node sits one layer before the earliest node that uses it, so
   an input sits right next to its first use.
2. Long edges. An edge that jumps over layers gets a *virtual point* in every layer it
   crosses: the point holds a slot there, so no box is drawn on top of the edge. Points are
   shared by all the edges that leave one value: a value used twenty times draws one line
   that branches, not twenty. Past a budget of points the remaining long edges are straight.
3. Order within a layer. Barycentre sweeps: every node moves to the mean place of its
   neighbours in the layer before (a forward sweep), then in the layer after (a backward
   sweep); the order with the fewest crossings seen is kept.
4. Places. Each layer is packed in that order, every node as near as it can be to the mean
   of its neighbours' places, with gaps between them: a least-squares fit under ordering
   constraints, which pool-adjacent-violators solves exactly in one pass per layer.
5. Edges are smooth curves through their virtual points, leaving and entering the boxes
   along the direction of the layers, each ending in an arrowhead.

>>> from tinygrad_edu import Value
>>> x = Value(2.0, label='x'); y = x * x + 1
>>> svg = layered_svg([x, y._prev[0], y])
>>> svg.startswith('<svg'), svg.count('class="node"'), svg.count('class="edge"')
(True, 5, 5)
"""

from __future__ import annotations

import html
import unicodedata
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from .draw import MAX_LABEL, _op_text, cell_texts, input_edge_id

FONT = 14.0  # points
CHAR = 0.6 * FONT  # the advance of one character in a monospace font
FONT_FAMILY = "DejaVu Sans Mono, Liberation Mono, Menlo, Consolas, monospace"
PAD = 6.0  # space left and right of the text in a cell
BOX_H, OP_H, OP_MIN_W = 26.0, 30.0, 50.0
LAYER_GAP, NODE_GAP, POINT_GAP = 90.0, 20.0, 6.0  # room for the edge labels between layers
ARROW, MARGIN = 9.0, 8.0
SWEEPS = 4  # forward and backward barycentre sweeps
POINTS_PER_NODE = 3  # the budget of virtual points, per real node (their cost grows with it)
LONG = 8  # an edge that jumps more layers is drawn from its trunk's last point only


class _Node:
    """A box, an oval or a virtual point; ``along``/``across`` are its extents along the
    layers and across them, ``place`` its centre across them."""

    __slots__ = ("kind", "svg_id", "cells", "title", "w", "h", "layer", "along", "across", "place")

    def __init__(self, kind: str, svg_id: str, cells: List[Tuple[str, str]], title: str, layer: int = 0):
        self.kind, self.svg_id, self.cells, self.title, self.layer = kind, svg_id, cells, title, layer
        if kind == "value":
            self.w, self.h = sum(text_width(text) + 2 * PAD for text, _ in cells), BOX_H
        elif kind == "op":
            self.w, self.h = max(OP_MIN_W, text_width(cells[0][0]) + 24.0), OP_H
        else:  # a virtual point
            self.w = self.h = 2.0
        self.along, self.across, self.place = self.w, self.h, 0.0


class _Edge:
    """An edge u -> v (node indices), its svg id, its sideways shift (a * a draws two edges
    side by side) and ``last``: its last virtual point (-1: none needed; None: drawn straight)."""

    __slots__ = ("u", "v", "svg_id", "shift", "last")

    def __init__(self, u: int, v: int, svg_id: str, shift: float):
        self.u, self.v, self.svg_id, self.shift = u, v, svg_id, shift
        self.last: Optional[int] = -1


def display_text(text: Any, limit: Optional[int] = None) -> str:
    """``text`` as a box can show it: one line, no control characters, no lone surrogates
    (they become '?'), and at most ``limit`` characters (cut with '…').

    >>> display_text('a\\nb'), display_text('x' * 50, 10)
    ('a b', 'xxxxxxxxx…')
    """
    text = str(text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    if text.isascii() and text.isprintable():  # (the common case, quickly)
        return text
    text = text.encode("utf-8", "replace").decode("utf-8")
    return "".join(" " if ord(ch) < 32 or ord(ch) == 127 or ch in "\ufffe\uffff" else ch for ch in text)


def text_width(text: str) -> float:
    """The width of ``text`` in the monospace font: wide (CJK) characters take two cells,
    combining accents none."""
    if text.isascii():
        return len(text) * CHAR
    cells = 0
    for ch in text:
        if not unicodedata.combining(ch):
            cells += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return cells * CHAR


def _build(
    order: Sequence[Any], names: Optional[Sequence[str]], grads: Optional[Sequence[Any]]
) -> Tuple[List[_Node], List[_Edge]]:
    """The nodes (in topological order: each op just before its value) and the edges."""
    nodes: List[_Node] = []
    edges: List[_Edge] = []
    where: Dict[int, Tuple[int, int]] = {}  # id(value) -> (place in order, node index)
    for i, value in enumerate(order):
        cells = []
        name = names[i] if names is not None else ""
        if value.label:
            cells.append((display_text(value.label, MAX_LABEL), "label"))
        elif name:
            cells.append((display_text(name, MAX_LABEL), "name"))
        grad = value.grad if grads is None else grads[i]
        cells += [(display_text(text), "") for text in cell_texts(value, grad)]
        title = display_text(value.label or name or f"n{i}", 200)
        if value._op:
            op = len(nodes)
            nodes.append(_Node("op", f"n{i}_op", [(display_text(_op_text(value), MAX_LABEL), "")], title))
            total: Dict[int, int] = {}
            for child in value._prev:
                total[id(child)] = total.get(id(child), 0) + 1
            uses: Dict[int, int] = {}
            for child in value._prev:
                j, u = where[id(child)]
                uses[id(child)] = use = uses.get(id(child), 0) + 1
                shift = (use - (total[id(child)] + 1) / 2) * 6.0  # a * a: two edges side by side
                edges.append(_Edge(u, op, input_edge_id(f"n{j}", use, f"n{i}"), shift))
            edges.append(_Edge(op, op + 1, f"e_n{i}_op_n{i}", 0.0))
        where[id(value)] = (i, len(nodes))
        nodes.append(_Node("value", f"n{i}", cells, title))
    return nodes, edges


def _assign_layers(nodes: List[_Node], edges: List[_Edge]) -> None:
    """Step 1: the longest path to the output, counted backwards (the output is the last node)."""
    first_use = [0] * len(nodes)  # the layer of a node's earliest use, counted from the output
    used = [False] * len(nodes)
    consumers: List[List[int]] = [[] for _ in nodes]
    for e in edges:
        consumers[e.u].append(e.v)
    for k in range(len(nodes) - 1, -1, -1):  # reverse topological order: uses come first
        if consumers[k]:
            first_use[k] = min(first_use[v] for v in consumers[k]) - 1
            used[k] = True
    low = min(first_use)
    for k, node in enumerate(nodes):
        node.layer = first_use[k] - low


def _add_trunks(nodes: List[_Node], edges: List[_Edge]) -> Dict[int, List[int]]:
    """Step 2: virtual points. Each value whose edges jump over layers gets one *trunk*: a
    point in every layer from the one after it to the last one its edges cross; an edge
    leaves the trunk at the point just before its target. Trunks are made shortest first
    while the budget lasts; edges whose value gets none are drawn straight."""
    reach: Dict[int, int] = {}  # value -> the last layer its trunk must cross
    for e in edges:
        if nodes[e.v].layer - nodes[e.u].layer > 1:
            reach[e.u] = max(reach.get(e.u, 0), nodes[e.v].layer - 1)
    trunks: Dict[int, List[int]] = {}
    budget = POINTS_PER_NODE * len(nodes) + 1000
    for u in sorted(reach, key=lambda u: reach[u] - nodes[u].layer):
        first = nodes[u].layer + 1
        if reach[u] - first + 1 > budget:
            continue
        budget -= reach[u] - first + 1
        trunks[u] = list(range(len(nodes), len(nodes) + reach[u] - first + 1))
        nodes.extend(_Node("point", "", [], "", layer) for layer in range(first, reach[u] + 1))
    for e in edges:
        span = nodes[e.v].layer - nodes[e.u].layer
        if span > 1:
            e.last = trunks[e.u][span - 2] if e.u in trunks else None
    return trunks


def virtual_points(order: Sequence[Any]) -> int:
    """How many virtual points a layered drawing of the nodes in ``order`` needs: how far its
    edges jump, all told, and so how hard it is to lay out (for Graphviz's ``dot`` too).

    >>> from tinygrad_edu import Value
    >>> x = Value(1.0); y = (x * 2).tanh() * x   # x's second use jumps over 4 layers:
    >>> virtual_points([x, y._prev[0]._prev[0], y._prev[0], y])  # (* 2), x*2, (tanh), tanh
    4
    """
    nodes, edges = _build(order, None, None)
    _assign_layers(nodes, edges)
    reach: Dict[int, int] = {}
    for e in edges:
        reach[e.u] = max(reach.get(e.u, 0), nodes[e.v].layer - nodes[e.u].layer - 1)
    return sum(reach.values())


def _neighbours(
    nodes: List[_Node], edges: List[_Edge], trunks: Dict[int, List[int]]
) -> Tuple[List[List[int]], List[List[int]]]:
    """(before, after): each node's neighbours in the layer before it and in the layer after."""
    pairs: Set[Tuple[int, int]] = set()
    for u, trunk in trunks.items():
        path = [u, *trunk]
        pairs.update(zip(path, path[1:], strict=False))
    for e in edges:
        if e.last is not None:
            pairs.add((e.u if e.last == -1 else e.last, e.v))
    before: List[List[int]] = [[] for _ in nodes]
    after: List[List[int]] = [[] for _ in nodes]
    for u, v in sorted(pairs):
        after[u].append(v)
        before[v].append(u)
    return before, after


def _crossings(layers: List[List[int]], after: List[List[int]], pos: List[int]) -> int:
    """Edge crossings between neighbouring layers: inversions, counted with a Fenwick tree."""
    total = 0
    for layer, next_layer in zip(layers, layers[1:], strict=False):
        pairs = sorted((pos[u], pos[v]) for u in layer for v in after[u])
        tree = [0] * (len(next_layer) + 1)
        for seen, (_, q) in enumerate(pairs):
            i, at_most_q = q + 1, 0
            while i > 0:
                at_most_q += tree[i]
                i -= i & -i
            total += seen - at_most_q  # earlier edges that end below this one cross it
            i = q + 1
            while i < len(tree):
                tree[i] += 1
                i += i & -i
    return total


def _order_layers(nodes: List[_Node], before: List[List[int]], after: List[List[int]]) -> List[List[int]]:
    """Step 3: barycentre sweeps; returns each layer's nodes in order, fewest crossings seen."""
    layers: List[List[int]] = [[] for _ in range(max(node.layer for node in nodes) + 1)]
    for k, node in enumerate(nodes):
        layers[node.layer].append(k)
    pos = [0] * len(nodes)
    for layer in layers:
        for p, k in enumerate(layer):
            pos[k] = p

    def sweep(indices: range, neighbours: List[List[int]]) -> None:
        for index in indices:
            layer = layers[index]
            key = {
                k: sum(pos[j] for j in neighbours[k]) / len(neighbours[k]) if neighbours[k] else pos[k]
                for k in layer
            }
            layer.sort(key=key.__getitem__)
            for p, k in enumerate(layer):
                pos[k] = p

    best, fewest = [list(layer) for layer in layers], None
    for _ in range(SWEEPS):
        sweep(range(1, len(layers)), before)
        sweep(range(len(layers) - 2, -1, -1), after)
        crossings = _crossings(layers, after, pos)
        if fewest is None or crossings < fewest:
            best, fewest = [list(layer) for layer in layers], crossings
        if crossings == 0:
            break
    return best


def _pack(nodes: List[_Node], layer: List[int], wanted: List[float]) -> None:
    """Step 4 for one layer: places in this order, gaps kept, each as near as it can be to
    ``wanted`` (least squares; virtual points weigh more, which keeps long edges straight)."""
    if len(layer) == 1:  # (often so: a quick way out)
        nodes[layer[0]].place = wanted[0]
        return
    offsets = [0.0]
    for a, b in zip(layer, layer[1:], strict=False):
        gap = POINT_GAP if nodes[a].kind == nodes[b].kind == "point" else NODE_GAP
        offsets.append(offsets[-1] + (nodes[a].across + nodes[b].across) / 2 + gap)
    blocks: List[List[float]] = []  # pool adjacent violators: [mean, weight, count]
    for k, target, offset in zip(layer, wanted, offsets, strict=True):
        blocks.append([target - offset, 4.0 if nodes[k].kind == "point" else 1.0, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            mean, weight, count = blocks.pop()
            blocks[-1][0] = (blocks[-1][0] * blocks[-1][1] + mean * weight) / (blocks[-1][1] + weight)
            blocks[-1][1] += weight
            blocks[-1][2] += count
    places = [mean for mean, _, count in blocks for _ in range(int(count))]
    for k, place, offset in zip(layer, places, offsets, strict=True):
        nodes[k].place = place + offset


def _assign_places(
    nodes: List[_Node], layers: List[List[int]], before: List[List[int]], after: List[List[int]]
) -> None:
    """Step 4: pack every layer, then pull each towards its neighbours, forwards and back."""
    for layer in layers:
        _pack(nodes, layer, [0.0] * len(layer))
    passes = [(range(1, len(layers)), before), (range(len(layers) - 2, -1, -1), after)] * 2

    def mean_place(k: int, neighbours: List[int]) -> float:
        return sum(nodes[j].place for j in neighbours) / len(neighbours) if neighbours else nodes[k].place

    for indices, neighbours in passes:
        for index in indices:
            layer = layers[index]
            _pack(nodes, layer, [mean_place(k, neighbours[k]) for k in layer])


# ***** the picture *****


def layered_svg(
    order: Sequence[Any],
    rankdir: str = "LR",
    names: Optional[Sequence[str]] = None,
    grads: Optional[Sequence[Any]] = None,
) -> str:
    """The SVG drawing of the nodes in topological ``order``, laid out in Python.

    ``rankdir`` is 'LR' (left to right), 'TB', 'RL' or 'BT'. With ``names`` (one per node) a
    box without a label shows its name in grey; ``grads`` replaces the gradients shown. Node
    i of the order has the id ``n{i}``, its op ``n{i}_op``, the edges ``e_n{j}_n{i}_op``
    (``_2`` for a second use) and ``e_n{i}_op_n{i}``, as ``draw.layout_graph`` names them.
    Sizes are in points (``<svg width="..pt">``), text in a monospace font.

    >>> from tinygrad_edu import Value
    >>> a = Value(2.0, label='<a>'); b = a * a
    >>> svg = layered_svg([a, b], names=['<a>', 'v1'])
    >>> '&lt;a&gt;' in svg and '<a>' not in svg, 'id="e_n0_n1_op_2"' in svg
    (True, True)
    """
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    nodes, edges = _build(order, names, grads)
    sideways = rankdir in ("LR", "RL")  # layers are columns: a box's width lies along them
    for node in nodes:
        node.along, node.across = (node.w, node.h) if sideways else (node.h, node.w)
    _assign_layers(nodes, edges)
    trunks = _add_trunks(nodes, edges)
    before, after = _neighbours(nodes, edges, trunks)
    layers = _order_layers(nodes, before, after)
    _assign_places(nodes, layers, before, after)

    # along the layers: each layer as thick as its thickest node, LAYER_GAP between layers
    thick = [max(nodes[k].along for k in layer) for layer in layers]
    start, along = [], MARGIN
    for t in thick:
        start.append(along)
        along += t + LAYER_GAP
    length = along - LAYER_GAP + MARGIN
    low = min(node.place - node.across / 2 for node in nodes)
    breadth = max(node.place + node.across / 2 for node in nodes) - low + 2 * MARGIN
    for node in nodes:
        node.place += MARGIN - low

    def xy(a: float, c: float) -> Tuple[float, float]:
        """(along, across) -> (x, y) on the page."""
        a = length - a if rankdir in ("RL", "BT") else a
        return (a, c) if sideways else (c, a)

    def centre(k: int) -> Tuple[float, float]:
        layer = nodes[k].layer
        return start[layer] + thick[layer] / 2, nodes[k].place

    width, height = (length, breadth) if sideways else (breadth, length)
    parts = [
        f'<svg width="{width:.0f}pt" height="{height:.0f}pt" viewBox="0 0 {width:.1f} {height:.1f}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<g id="graph0" class="graph" font-family="{FONT_FAMILY}" font-size="{FONT:g}">',
        f'<polygon fill="white" stroke="transparent" points="0,0 {width:.1f},0 {width:.1f},{height:.1f} '
        f'0,{height:.1f}"/>',
    ]
    parts += _edges_svg(nodes, edges, trunks, start, thick, xy)  # under the boxes
    parts += [_node_svg(node, *xy(*centre(k))) for k, node in enumerate(nodes) if node.kind != "point"]
    parts.append("</g>\n</svg>")
    return "\n".join(parts)


def _f(x: float, y: float) -> str:
    return f"{x:.1f},{y:.1f}"


def _path(a: float, c: float, stops: List[Tuple[float, Optional[float], float]], xy: Any) -> str:
    """SVG path data from (a, c) through each stop (enter, leave, across): a curve that leaves
    and arrives along the layers' direction, then straight on through the stop's layer."""
    d = "M" + _f(*xy(a, c))
    for enter, leave, across in stops:
        half = (enter - a) / 2
        if abs(across - c) < 0.05 and leave is not None:  # straight on: the line goes on below
            pass
        elif abs(across - c) < 0.05:
            d += "L" + _f(*xy(enter, across))
        else:
            d += f"C{_f(*xy(a + half, c))} {_f(*xy(enter - half, across))} {_f(*xy(enter, across))}"
        a, c = enter, across
        if leave is not None:
            d += "L" + _f(*xy(leave, across))
            a = leave
    return d


def _edges_svg(
    nodes: List[_Node],
    edges: List[_Edge],
    trunks: Dict[int, List[int]],
    start: List[float],
    thick: List[float],
    xy: Any,
) -> List[str]:
    """The trunks (one per value with long edges), then every edge: from its value, or for a
    long jump from its trunk's last point, to an arrowhead at its target's near side."""

    def stop(k: int) -> Tuple[float, Optional[float], float]:
        layer = nodes[k].layer
        return start[layer], start[layer] + thick[layer], nodes[k].place

    def exit_of(u: int) -> Tuple[float, float]:  # the far side of u, along the layers
        layer = nodes[u].layer
        return start[layer] + (thick[layer] + nodes[u].along) / 2, nodes[u].place

    parts = []
    for u, trunk in trunks.items():
        d = _path(*exit_of(u), [stop(k) for k in trunk], xy)
        parts.append(f'<g class="edge"><path fill="none" stroke="black" d="{d}"/></g>')
    for e in edges:
        layer = nodes[e.v].layer
        tip, across = start[layer] + (thick[layer] - nodes[e.v].along) / 2, nodes[e.v].place + e.shift
        a, c = exit_of(e.u)
        stops = []
        if e.last is not None and e.last >= 0:
            span = layer - nodes[e.u].layer
            if span <= LONG:
                stops = [stop(k) for k in trunks[e.u][: span - 1]]  # the whole way, through the trunk
            else:  # only from the trunk's last point: a long edge stays a few bytes
                a, _, c = stop(e.last)
                stops = [stop(e.last)]
        d = _path(a, c + (e.shift if e.last == -1 else 0.0), stops + [(tip - ARROW, None, across)], xy)
        head = " ".join(
            _f(*xy(*p)) for p in [(tip - ARROW, across - 3.5), (tip, across), (tip - ARROW, across + 3.5)]
        )
        parts.append(
            f'<g id="{e.svg_id}" class="edge">'
            f"<title>{nodes[e.u].svg_id}&#45;&gt;{nodes[e.v].svg_id}</title>\n"
            f'<path fill="none" stroke="black" d="{d}"/>\n'
            f'<polygon fill="black" stroke="black" points="{head}"/>\n</g>'
        )
    return parts


_STYLE = {"label": ' font-weight="bold"', "name": ' font-style="italic" fill="#777777"', "": ""}


def _node_svg(node: _Node, x: float, y: float) -> str:
    """A value's box (one cell per text: the page reads the last two) or an op's oval."""
    title = html.escape(node.title, quote=True)
    parts = [f'<g id="{node.svg_id}" class="node"><title>{title}</title>']
    if node.kind == "op":
        text = html.escape(node.cells[0][0], quote=True)
        parts.append(
            f'<ellipse fill="white" stroke="black" cx="{x:.1f}" cy="{y:.1f}" '
            f'rx="{node.w / 2:.1f}" ry="{node.h / 2:.1f}"/>'
        )
        parts.append(f'<text text-anchor="middle" x="{x:.1f}" y="{y + FONT * 0.35:.1f}">{text}</text>')
    else:
        left, top, bottom = x - node.w / 2, y - node.h / 2, y + node.h / 2
        parts.append(
            f'<rect x="{left:.1f}" y="{top:.1f}" width="{node.w:.1f}" height="{node.h:.1f}" '
            'fill="white" stroke="none"/>'
        )
        for text, style in node.cells:
            right = left + text_width(text) + 2 * PAD
            corners = [(left, bottom), (left, top), (right, top), (right, bottom), (left, bottom)]
            parts.append(
                f'<polygon fill="none" stroke="black" points="{" ".join(_f(*p) for p in corners)}"/>'
            )
            parts.append(
                f'<text x="{left + PAD:.1f}" y="{y + FONT * 0.35:.1f}"{_STYLE[style]}>'
                f"{html.escape(text, quote=True)}</text>"
            )
            left = right
    parts.append("</g>")
    return "\n".join(parts)
