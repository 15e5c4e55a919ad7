"""play: step through the forward and backward pass of a graph, in a browser or in Jupyter.

    from tinygrad_edu import Value, play
    x, w = Value(2.0, label='x'), Value(-3.0, label='w')
    y = (w * x).tanh(); y.label = 'y'
    play(y).save('y.html')    # open it in a browser; in Jupyter, play(y) shows it inline

The player has two halves that meet in one JSON document. Python (``document.py``) computes
every frame: the forward pass in topological order, then each ``Step`` of
``backward_steps``. The page (``player.html``, ``player.css``, ``player.js``, files in this
folder that you can open and read) only shows those frames on the graph that ``draw_dot``
draws. ``layout.py`` lays it out: with Graphviz's ``dot`` where it is installed and the graph
is small and untangled enough for it, else (or if ``dot`` fails, crashes or takes more than
10 s) with the Python layout of ``tinygrad_edu.layered``; no Graphviz is needed to play.

The page is one file that loads nothing from anywhere. User text (labels) is only ever text:
the JSON sits in a ``<script type="application/json">`` with ``<``, ``>`` and ``&`` escaped,
the script writes it with ``textContent``, and a Content-Security-Policy lets the page run
its own script and nothing else (it is allowed by its sha256 hash).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from pathlib import Path
from typing import Any, Dict, Union

from ..draw import write_atomically
from ..graph import topological_order
from ..tensor import Tensor
from ..value import Value
from .document import build_document
from .layout import GraphvizError, layout_svg

__all__ = ["Player", "play", "MAX_NODES", "GraphvizError"]

MAX_NODES = 2000  # values (boxes) in one player; the layout and the page stay quick below this
_HERE = Path(__file__).resolve().parent
_SLOT = re.compile(r"\{\{ (\w+) \}\}")  # the places in player.html where the pieces go


def play(root: Any, rankdir: str = "LR", layout: str = "auto") -> "Player":
    """A ``Player`` for the graph of a ``Value`` or a one-element ``Tensor``.

    The forward pass (each value in topological order) and then the backward pass (each
    ``Step`` of ``backward_steps``), on the graph as ``draw_dot`` draws it. The steps are
    computed from zero gradients and every grad is put back afterwards: playing a graph
    changes nothing in it. Graphs of up to ``MAX_NODES`` (2,000) values play; a bigger one
    raises ``ValueError``. ``layout`` picks who lays the graph out: ``"auto"`` (Graphviz's
    ``dot`` where it is installed and the graph small and untangled enough, else or if it
    fails the Python layout), ``"python"`` (always the Python one) or ``"dot"`` (only
    ``dot``: ``GraphvizError`` if it is missing or fails); ``player.layout`` says which drew.

    >>> from tinygrad_edu import Value
    >>> x = Value(2.0, label='x'); y = x * x; y.label = 'y'
    >>> player = play(y)                           # doctest: +SKIP
    >>> player.save('square.html')                 # doctest: +SKIP
    PosixPath('square.html')
    """
    if not isinstance(root, (Value, Tensor)):
        raise TypeError(f"play needs a Value or a one-element Tensor, got {type(root).__name__}")
    if isinstance(root, Tensor) and root.data.size != 1:
        raise ValueError(
            f"play needs a one-element output (a loss), got shape {root.shape}; "
            "reduce it with .sum() or .mean()"
        )
    order = topological_order(root)
    if len(order) > MAX_NODES:
        raise ValueError(
            f"play shows graphs of up to {MAX_NODES} values, and this one has {len(order)}: "
            "play a smaller piece of it, e.g. one example instead of a batch, fewer or narrower "
            "layers, or Tensors instead of Values (a whole layer is then one node)"
        )
    document, final_grads = build_document(root, order)  # the steps, as text
    svg, used = layout_svg(order, final_grads, rankdir, layout)  # the picture
    return Player(document, svg, used)


class Player:
    """A step-through player: ``save(path)`` writes the page, Jupyter shows it inline.

    ``document`` is the JSON-ready dict of frames, ``svg`` the laid-out graph (with the
    final values and gradients: also the static picture where scripts cannot run),
    ``layout`` which layout drew it: 'dot' or 'python'.
    """

    def __init__(self, document: Dict[str, Any], svg: str, layout: str = "dot") -> None:
        self.document = document
        self.svg = svg
        self.layout = layout

    def __repr__(self) -> str:
        return f"<Player: {self.document['title']}, {len(self.document['frames'])} frames>"

    def html(self) -> str:
        """The whole page: one self-contained HTML document."""
        script = (_HERE / "player.js").read_text(encoding="utf-8")
        style = (_HERE / "player.css").read_text(encoding="utf-8")
        policy = (
            f"default-src 'none'; script-src '{_sha256(script)}'; style-src '{_sha256(style)}'; "
            "base-uri 'none'; form-action 'none'"
        )
        pieces = {
            "csp": policy,
            "title": html.escape(self.document["title"]),
            "style": style,
            "svg": self.svg,
            "json": _json_for_html(self.document),
            "script": script,
        }
        template = (_HERE / "player.html").read_text(encoding="utf-8")
        page = _SLOT.sub(lambda slot: pieces[slot.group(1)], template)  # one pass: nothing is re-read
        return page.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate in a label: '?'

    def save(self, path: Union[str, Path]) -> Path:
        """Write the page to ``path`` (folders are created); returns the path.

        The page is written to a temporary file beside ``path`` and then renamed over it, so
        a save that fails (a full disk, an interrupt) leaves whatever was there before."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, self.html().encode("utf-8"))
        return path

    def _repr_html_(self) -> str:
        """Jupyter: the page in a sandboxed iframe, over a static picture of the graph that
        stays when the notebook is not trusted (its sanitizer removes the iframe)."""
        picture = base64.b64encode(self.svg.encode("utf-8")).decode("ascii")
        match = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', self.svg)
        height_px = float(match.group(2)) * 4 / 3 if match else 300.0
        box = int(min(max(height_px + 260, 360), 760))  # the graph plus the controls, within reason
        return (
            f'<div style="position:relative;height:{box}px;overflow:auto">'
            f'<img alt="the graph, with its final values and gradients" '
            f'src="data:image/svg+xml;base64,{picture}" style="max-width:100%">'
            f'<iframe sandbox="allow-scripts" srcdoc="{html.escape(self.html(), quote=True)}" '
            'style="position:absolute;top:0;left:0;width:100%;height:100%;border:0;background:#fff">'
            "</iframe></div>"
        )


def _sha256(text: str) -> str:
    """A CSP source for exactly this inline script or style."""
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _json_for_html(document: Dict[str, Any]) -> str:
    """JSON that cannot end its <script> block: no NaN (JSON has none; numbers are text
    here anyway), and <, > and & written as \\u escapes, so '</script>' or '<!--' in a label
    stays a string."""
    text = json.dumps(document, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
