"""Lay the graph out with Graphviz's ``dot`` program: DOT text in, SVG text out.

The page inlines the SVG, and its script finds every node by the id ``layout_graph`` gave
it (``n3``, ``n3_op``, ``e_n1_n3_op``). The ``svg:core`` renderer (plain ``-Tsvg``) keeps
those ids; what comes before the ``<svg>`` element (the XML declaration, the DOCTYPE) and the
comments (which repeat node names) are dropped so it can sit inside an HTML page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any, Sequence

import graphviz

from ..draw import layout_graph
from ..steps import node_names

INSTALL_HINT = (
    "install it with: apt-get install graphviz (Debian, Ubuntu), brew install graphviz (macOS) "
    "or conda install -c conda-forge graphviz, then try again"
)
DOT_TIMEOUT = 120.0  # seconds; a graph of a thousand values takes about one
_COMMENT = re.compile(r"<!--.*?-->", re.S)


class GraphvizError(RuntimeError):
    """Graphviz's ``dot`` program is missing, failed, or took too long."""


def layout_svg(order: Sequence[Any], grads: Sequence[Any], rankdir: str = "LR") -> str:
    """The picture of the nodes in topological ``order`` showing ``grads``, as SVG: the
    drawing of ``draw_dot``, with every node named and numbered by its place in the order."""
    name_of = node_names(order)
    graph = layout_graph(order, rankdir, names=[name_of[id(node)] for node in order], grads=grads)
    graph.graph_attr["ranksep"] = "1.2"  # longer edges than draw_dot's: room for their labels
    return svg_of(graph)


def svg_of(graph: graphviz.Digraph) -> str:
    """The SVG of ``graph`` laid out by ``dot``, ready to inline into HTML."""
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizError(
            "the player needs Graphviz's dot program to lay out the graph, and it is not on PATH: "
            + INSTALL_HINT
        )
    try:
        result = subprocess.run(
            [dot, "-Tsvg"], input=graph.source.encode("utf-8"), capture_output=True, timeout=DOT_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        raise GraphvizError(
            f"Graphviz's dot took more than {DOT_TIMEOUT:g} s to lay out this graph; "
            "play a smaller or less tangled one"
        ) from None
    except OSError as error:  # found on PATH but not runnable
        raise GraphvizError(f"cannot run Graphviz's dot ({dot}): {error}; {INSTALL_HINT}") from None
    if result.returncode != 0 or b"<svg" not in result.stdout:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GraphvizError(
            f"Graphviz's dot could not lay out the graph: {message[0] if message else 'no output'}"
        )
    svg = result.stdout.decode("utf-8")
    return _COMMENT.sub("", svg[svg.index("<svg") :]).strip()
