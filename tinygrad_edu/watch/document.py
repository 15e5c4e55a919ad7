"""The watch page's JSON document, and the page itself.

Python has computed every frame (``record.py``); this file packs the frames for the page:

* the per-frame numbers (losses, accuracies, gradient norms) as JSON lists, nan and inf as
  the strings 'nan', 'inf', '-inf' (JSON has no such numbers; the page shows them as text);
* the per-frame arrays (weights, gradients, one example's activations) as float32, and the
  8-bit images (heatmaps) as differences from the previous frame, each deflated (zlib) and
  written in base64: consecutive frames differ little, so a few hundred frames stay small.
  The page inflates them once with the browser's own ``DecompressionStream``;
* for a few frames (the first, the last and one between), the step-through player's page of
  training example 0's loss, which the page shows in a sandboxed iframe.

The page is one file: ``watch.html`` with ``watch.css`` and ``watch.js`` filled in, and a
Content-Security-Policy that lets its own script and style run (by their sha256 hashes, plus
the player's, for the backprop view) and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import re
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List

import numpy as np

from ..player import GraphvizError
from .record import MAX_UNITS

if TYPE_CHECKING:  # (the Watch class imports this module: the name is for the type checker only)
    from .watcher import Watch

_HERE = Path(__file__).resolve().parent
_SLOT = re.compile(r"\{\{ (\w+) \}\}")
PLAYER_FRAMES = 3  # the backprop view: the first frame, the last and one between
MAX_POINTS = 1000  # data points drawn on the boundary


def _num(v: float) -> Any:
    """A number for JSON: 6 significant digits, nan and inf as text."""
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return float(f"{v:.6g}")


def _packed(array: np.ndarray) -> str:
    return base64.b64encode(zlib.compress(array.tobytes(), 6)).decode("ascii")


def frames_offering(kept: List[int], most: int = PLAYER_FRAMES) -> List[int]:
    """Up to ``most`` of the ``kept`` frames: the first, the last, and evenly between."""
    if len(kept) <= most:
        return list(kept)
    picks = {kept[0], kept[-1]}
    for k in range(1, most - 1):
        target = kept[0] + (kept[-1] - kept[0]) * k / (most - 1)
        picks.add(min(kept, key=lambda f: abs(f - target)))
    return sorted(picks)


def build_document(w: "Watch", title: str) -> Dict[str, Any]:
    """The JSON-ready document for the page of ``w``."""
    rec, frames = w._recorder, w.frames
    task, probe = rec.task, rec.probe
    floats = np.stack(rec.floats) if rec.floats else np.zeros((0, rec.layout["nfloats"]), np.float32)
    images = np.stack(rec.bytes) if rec.bytes else np.zeros((0, rec.layout["nbytes"]), np.uint8)
    deltas = images.copy()
    deltas[1:] = images[1:] - images[:-1]  # uint8: differences wrap around mod 256, as the page adds them
    layers = []
    for k, view in enumerate(probe.layers):
        spot = rec.layout["floats"].get(f"W{k}")
        largest = 0.0
        if spot is not None and len(floats):
            part = floats[:, spot[0] : spot[0] + spot[1]]
            finite = part[np.isfinite(part)]
            largest = float(np.max(np.abs(finite))) if finite.size else 0.0
        layers.append(
            {
                "name": view.name,
                "nin": view.nin,
                "nout": view.nout,
                "activation": view.activation,
                "units": view.nout <= MAX_UNITS,
                "edges": spot is not None,
                "wmax": _num(largest),
            }
        )
    x = rec.x
    d = int(np.prod(x.shape[1:]))
    points: List[List[Any]] = []
    if rec.dim:
        labels = task.index(rec.y) if task.kind == "class" and rec.y is not None else rec.y
        for i in range(min(len(x), MAX_POINTS)):
            target = None if labels is None else _num(float(np.ravel(labels[i])[0]))
            points.append([_num(float(v)) for v in x[i, : rec.dim]] + [target, 0])
        tl = task.index(rec.ty) if task.kind == "class" and rec.ty is not None else rec.ty
        for i in range(min(len(rec.tx), MAX_POINTS)):
            target = None if tl is None else _num(float(np.ravel(tl[i])[0]))
            points.append([_num(float(v)) for v in rec.tx[i, : rec.dim]] + [target, 1])
    series = {
        key: [_num(f[key]) for f in frames]
        for key in ("loss", "train_loss", "test_loss", "train_accuracy", "test_accuracy")
    }
    offered = frames_offering(w.offered())
    players, player_note = [], ""
    if rec.y is not None:
        for index in offered:
            try:
                page = w.player(index, 0).html()
            except GraphvizError as error:
                player_note = f"The backprop view needs Graphviz's dot program: {error}"
                break
            except ValueError as error:
                player_note = f"The backprop view is not available for this model: {error}"
                break
            players.append({"frame": index, "example": 0, "html": page})
    else:
        player_note = "The backprop view needs targets: watch(model, inputs, targets)."
    return {
        "title": title,
        "kind": task.kind,
        "outputs": task.outputs,
        "classes": [str(c) for c in task.classes],
        "scalar": w.scalar,
        "every": w.every,
        "steps": [f["step"] for f in frames],
        "series": series,
        "groups": [name for name, _ in probe.groups],
        "gradnorms": [[_num(v) for v in f["grad_norms"]] for f in frames],
        "input": {"d": d, "x0": [_num(float(v)) for v in np.ravel(x[0])[:MAX_UNITS]]},
        "layers": layers,
        "floats": rec.layout["floats"],
        "nfloats": rec.layout["nfloats"],
        "fblob": _packed(floats.astype("<f4")),
        "images": rec.layout["images"],
        "nbytes": rec.layout["nbytes"],
        "bblob": _packed(deltas),
        "grid": {"dim": rec.dim, "side": rec.side, "extent": rec.extent, "scalar": w.scalar},
        "image": list(rec.image_shape) if rec.image_shape else None,
        "points": points,
        "players": players,
        "playerNote": player_note,
    }


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _json_for_html(document: Dict[str, Any]) -> str:
    """JSON that cannot end its <script> block: <, > and & as \\u escapes."""
    text = json.dumps(document, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _player_sources(document: Dict[str, Any]) -> List[str]:
    """The script and style hashes of the embedded players' pages (from their own policy)."""
    found: List[str] = []
    for player in document["players"]:
        for source in re.findall(r"'(sha256-[A-Za-z0-9+/=]+)'", player["html"]):
            if source not in found:
                found.append(source)
    return found


def page_html(w: "Watch", title: str) -> str:
    """The whole page: watch.html with its style, script, policy and document filled in."""
    document = build_document(w, title)
    script = (_HERE / "watch.js").read_text(encoding="utf-8")
    style = (_HERE / "watch.css").read_text(encoding="utf-8")
    extra = " ".join(f"'{s}'" for s in _player_sources(document))
    policy = (
        f"default-src 'none'; script-src '{_sha256(script)}' {extra}; style-src '{_sha256(style)}' {extra}; "
        "base-uri 'none'; form-action 'none'"
    )
    pieces = {
        "csp": policy,
        "title": html.escape(title),
        "style": style,
        "json": _json_for_html(document),
        "script": script,
    }
    template = (_HERE / "watch.html").read_text(encoding="utf-8")
    return _SLOT.sub(lambda slot: pieces[slot.group(1)], template)


def repr_html(w: "Watch") -> str:
    """Jupyter: the page in a sandboxed iframe, over one line of text that stays where the
    notebook is not trusted (its sanitizer removes the iframe)."""
    return (
        '<div style="position:relative;height:900px;overflow:auto">'
        f"<p>Watching a network learn: {html.escape(w.summary_line())} (run the cell to see the page)</p>"
        f'<iframe sandbox="allow-scripts" srcdoc="{html.escape(w.html(), quote=True)}" '
        'style="position:absolute;top:0;left:0;width:100%;height:100%;border:0;background:#fff">'
        "</iframe></div>"
    )
