"""Lay the player's graph out: with Graphviz's ``dot`` where it is present and fast enough,
else with the Python layout of ``tinygrad_edu.layered``. Graph in, SVG text out.

The page inlines the SVG, and its script finds every node by the ids both layouts give it
(``n3``, ``n3_op``, ``e_n1_n3_op``). Which one draws (``layout=``):

* ``"auto"`` (the default): ``dot`` for a graph of up to ``DOT_MAX_VALUES`` values whose long
  edges need at most ``DOT_MAX_POINTS`` virtual points (what makes ``dot`` slow: a value used
  all over the graph took it 32 s at 301 values, and crashed it at 667), stopped after
  ``DOT_TIMEOUT`` seconds; the Python layout when ``dot`` is missing, fails, crashes, times
  out or the graph is past those limits. It never fails for want of Graphviz.
* ``"python"``: always the Python layout (a 2,000-value graph takes about a second).
* ``"dot"``: always ``dot``, and a ``GraphvizError`` saying what went wrong if it cannot.

``dot``'s SVG (plain ``-Tsvg``, whose ``svg:core`` renderer keeps the ids) loses what comes
before the ``<svg>`` element (the XML declaration, the DOCTYPE) and its comments (which repeat
node names), so it can sit inside an HTML page.
"""

from __future__ import annotations

import re
import shutil
from typing import Any, Optional, Sequence, Tuple

import graphviz

from ..draw import INSTALL_HINT, GraphvizError, layout_graph, run_dot
from ..layered import layered_svg, virtual_points
from ..steps import node_names

__all__ = ["GraphvizError", "INSTALL_HINT", "LAYOUTS", "dot_fits", "layout_svg", "svg_of"]

LAYOUTS = ("auto", "dot", "python")
DOT_MAX_VALUES = 500  # "auto" asks dot only up to these sizes (dot took 34 s on 298 values with 590 points)
DOT_MAX_POINTS = 250
DOT_TIMEOUT = 10.0  # seconds
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def layout_svg(
    order: Sequence[Any],
    grads: Optional[Sequence[Any]] = None,
    rankdir: str = "LR",
    layout: str = "auto",
    for_player: bool = True,
) -> Tuple[str, str]:
    """(svg, which): the picture of the nodes in topological ``order`` showing ``grads``, and
    which layout drew it ('dot' or 'python'). ``layout`` is 'auto', 'dot' or 'python' (see
    the module's docstring). For the player every node is named and numbered by its place in
    the order, with room for edge labels; ``for_player=False`` gives ``draw_dot``'s drawing."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be 'auto', 'dot' or 'python', got {layout!r}")
    names = None
    if for_player:
        name_of = node_names(order)
        names = [name_of[id(node)] for node in order]
    if layout == "auto" and not dot_fits(order):
        layout = "python"
    if layout != "python":
        graph = layout_graph(order, rankdir, names=names, grads=grads)
        if for_player:
            graph.graph_attr["ranksep"] = "1.2"  # longer edges than draw_dot's: room for their labels
        try:
            return svg_of(graph), "dot"
        except GraphvizError:
            if layout == "dot":
                raise
    return layered_svg(order, rankdir, names=names, grads=grads), "python"


def dot_fits(order: Sequence[Any]) -> bool:
    """Whether 'auto' asks ``dot``: at most ``DOT_MAX_VALUES`` values whose long edges need at
    most ``DOT_MAX_POINTS`` virtual points (``layered.virtual_points``), and dot installed."""
    if len(order) > DOT_MAX_VALUES or shutil.which("dot") is None:
        return False
    return virtual_points(order) <= DOT_MAX_POINTS


def svg_of(graph: graphviz.Digraph) -> str:
    """The SVG of ``graph`` laid out by ``dot`` within ``DOT_TIMEOUT`` seconds, ready to
    inline into HTML; ``GraphvizError`` saying why if dot is missing, fails or is too slow."""
    svg = run_dot(graph.source.encode("utf-8", "replace"), "svg", DOT_TIMEOUT).decode("utf-8")
    if "<svg" not in svg:
        raise GraphvizError("Graphviz's dot could not lay out the graph: no <svg> in its output")
    return _COMMENT.sub("", svg[svg.index("<svg") :]).strip()
