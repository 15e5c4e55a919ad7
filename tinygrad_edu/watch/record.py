"""Recording a training run: one frame every ``every`` calls of ``w.record(loss)``.

A frame is what the page shows at one step, computed here in Python (STYLE point 17): the
loss, the training and test loss and accuracy (the model in evaluation mode on the whole
sets), each parameter group's gradient norm, the weights and gradients of the layers the
page draws, and, for two-dimensional inputs, the model's output and every hidden unit's
activation over a grid that covers the data, stored as 8-bit images.

Algorithm notes. One evaluation per frame covers everything: the training inputs, the test
inputs and the grid points go through the model as one batch (in evaluation mode every row
is computed on its own, so this is the same as three batches). The 8-bit images keep a
heatmap's colour: 0 .. 255 stands for -s .. +s, where s is the largest |activation| in that
layer at that frame (so a dead ReLU unit is white and a busy one is coloured).
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ..value import Value
from .probe import Probe, gradient_norm

MAX_UNITS = 32  # a layer wider than this is drawn as one box with its shape
MAX_EDGES = 640  # weights drawn one by one (as edges), over all layers; later layers are one band
MAX_HEATMAPS = 64  # hidden-unit heatmaps per frame (the first layers' units, in order)
GRID_TENSOR, GRID_SCALAR, GRID_LINE = 40, 15, 100  # points per side (2-D) or along the line (1-D)
SNAPSHOT_ALL = 20_000  # with at most this many parameters every frame keeps its weights


def _grid(inputs: np.ndarray, n: int) -> Tuple[np.ndarray, List[List[float]]]:
    """Grid points (n*n, 2) row by row from the top (y falling), x rising along a row, over
    the data's range widened by 10 % on every side; and the range [[x0, x1], [y0, y1]]."""
    lo, hi = inputs.min(axis=0), inputs.max(axis=0)
    pad = np.maximum((hi - lo) * 0.1, 0.5)
    lo, hi = lo - pad, hi + pad
    if inputs.shape[1] == 1:
        return np.linspace(lo[0], hi[0], n)[:, None], [[float(lo[0]), float(hi[0])]]
    xs = np.linspace(lo[0], hi[0], n)
    ys = np.linspace(hi[1], lo[1], n)
    gx, gy = np.meshgrid(xs, ys)  # (n, n) each: row r is y = ys[r]
    points = np.stack([gx.ravel(), gy.ravel()], axis=1)  # (n*n, 2)
    return points, [[float(lo[0]), float(hi[0])], [float(lo[1]), float(hi[1])]]


def _to_bytes(values: np.ndarray, scale: float) -> np.ndarray:
    """-scale .. +scale -> 0 .. 255 (127.5 is zero), as uint8."""
    s = scale if scale > 0 and math.isfinite(scale) else 1.0
    q = np.nan_to_num(127.5 + 127.5 * values / s, nan=127.5)
    return np.clip(np.rint(q), 0, 255).astype(np.uint8)


class Task:
    """What the targets say: classification (integer labels) or regression (numbers)."""

    def __init__(self, targets: Optional[np.ndarray], outputs: int) -> None:
        self.kind = "none" if targets is None else ("class" if targets.dtype.kind in "iub" else "regression")
        self.outputs = outputs
        self.classes: List[Any] = []
        if self.kind == "class":
            assert targets is not None
            found = sorted(set(np.asarray(targets).ravel().tolist()))
            if outputs == 1:
                if len(found) > 2:
                    raise ValueError(
                        f"watch: a model with one output separates two classes, the targets have {len(found)}"
                    )
                self.classes = found if len(found) == 2 else [found[0] - 1, found[0]]
            else:
                if found[0] < 0 or found[-1] >= outputs:
                    raise ValueError(
                        f"watch: class labels must be 0 .. {outputs - 1} for a model with {outputs} "
                        f"outputs (cross-entropy), got labels from {found[0]} to {found[-1]}"
                    )
                self.classes = list(range(outputs))

    def index(self, targets: np.ndarray) -> np.ndarray:
        """Class labels -> 0 .. C-1 (for one output: 1 means the positive class)."""
        return np.searchsorted(np.asarray(self.classes), np.asarray(targets).ravel())

    def metrics(self, out: np.ndarray, targets: Optional[np.ndarray]) -> Tuple[float, float]:
        """(loss, accuracy) of outputs (N, C): cross-entropy (from logits) and accuracy for
        classes, mean squared error (accuracy nan) for regression."""
        if targets is None or len(out) == 0 or self.kind == "none":
            return math.nan, math.nan
        with np.errstate(all="ignore"):
            if self.kind == "regression":
                t = np.asarray(targets, dtype=np.float64).reshape(out.shape)
                return float(np.mean((out - t) ** 2)), math.nan
            labels = self.index(targets)
            if self.outputs == 1:  # binary cross-entropy from the logit s: log(1 + e^s) - t s
                s = out[:, 0]
                loss = float(np.mean(np.logaddexp(0.0, s) - labels * s))
                return loss, float(np.mean((s > 0) == (labels == 1)))
            shifted = out - out.max(axis=1, keepdims=True)  # log-softmax, stable
            logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            loss = float(-np.mean(logp[np.arange(len(out)), labels]))
            return loss, float(np.mean(out.argmax(axis=1) == labels))

    def output_image(self, out: np.ndarray, targets: Optional[np.ndarray]) -> np.ndarray:
        """The grid's output as bytes: P(positive class) for two classes, the predicted class
        for more, the value over the targets' range for regression."""
        with np.errstate(all="ignore"):
            if self.kind == "class" and self.outputs == 1:
                p = 1.0 / (1.0 + np.exp(-np.clip(out[:, 0], -60, 60)))
                return np.rint(np.nan_to_num(p, nan=0.5) * 255).astype(np.uint8)
            if self.kind == "class" and self.outputs == 2:
                d = np.clip(out[:, 1] - out[:, 0], -60, 60)  # softmax of two logits
                p = 1.0 / (1.0 + np.exp(-d))
                return np.rint(np.nan_to_num(p, nan=0.5) * 255).astype(np.uint8)
            if self.kind == "class":
                return out.argmax(axis=1).astype(np.uint8)
            v = out[:, 0]
            if targets is not None:
                lo, hi = float(np.min(targets)), float(np.max(targets))
                mid, half = (lo + hi) / 2, max((hi - lo) / 2, 1e-12)
                return _to_bytes(v - mid, half)
            return _to_bytes(v, float(np.nanmax(np.abs(v))) if v.size else 1.0)


class Recorder:
    """Builds the frames of one run: ``capture(step, loss)`` returns the frame's public dict
    and keeps its arrays (floats and bytes) for the page."""

    def __init__(self, model: Any, x: np.ndarray, y: Optional[np.ndarray], test: Any, scalar: bool) -> None:
        self.model, self.x, self.y = model, x, y
        self.tx: np.ndarray = test[0] if test is not None else x[:0]
        self.ty: Optional[np.ndarray] = test[1] if test is not None else None
        self.probe = Probe(model, x[:2])
        first = self.probe.evaluate(x[:1])[0]
        self.task = Task(y, first.shape[1])
        self.params = model.parameters()
        self.dim = x.shape[1] if x.ndim == 2 and x.shape[1] in (1, 2) else 0
        self.grid: Optional[np.ndarray] = None
        self.extent: List[List[float]] = []
        self.side = 0
        if self.dim:
            self.side = GRID_LINE if self.dim == 1 else (GRID_SCALAR if scalar else GRID_TENSOR)
            self.grid, self.extent = _grid(x, self.side)
        self.step_hidden = 2 if self.dim == 2 and not scalar else 1  # hidden heatmaps: every 2nd point
        self.layout = self._plan()
        self.floats: List[np.ndarray] = []
        self.bytes: List[np.ndarray] = []

    def _plan(self) -> Dict[str, Any]:
        """Which arrays each frame keeps, and where: name -> [offset, length] in the frame."""
        floats: Dict[str, List[int]] = {}
        images: List[Dict[str, Any]] = []
        fo = bo = 0

        def add_f(name: str, n: int) -> None:
            nonlocal fo
            floats[name] = [fo, n]
            fo += n

        def add_b(entry: Dict[str, Any], n: int) -> None:
            nonlocal bo
            entry["at"] = [bo, n]
            images.append(entry)
            bo += n

        layers = self.probe.layers
        edges = MAX_EDGES
        for k, view in enumerate(layers):
            if view.nout <= MAX_UNITS:
                add_f(f"z{k}", view.nout)
                add_f(f"h{k}", view.nout)
            if view.nout <= MAX_UNITS and view.nin <= MAX_UNITS and view.nout * view.nin <= edges:
                edges -= view.nout * view.nin
                for part in ("W", "b", "gW", "gb"):
                    add_f(f"{part}{k}", view.nout * view.nin if part in ("W", "gW") else view.nout)
        side = self.side
        if self.dim == 2:
            add_b({"what": "output", "w": side, "h": side}, side * side)
        if self.dim == 1:
            add_f("curve", side)
        budget = MAX_HEATMAPS
        if self.dim:
            hs = (side + self.step_hidden - 1) // self.step_hidden
            n_pixels = hs * hs if self.dim == 2 else side
            for k, view in enumerate(layers[:-1]):
                if view.nout > MAX_UNITS or view.nout > budget:
                    break
                budget -= view.nout
                add_f(f"scale{k}", 1)
                for j in range(view.nout):
                    add_b(
                        {
                            "what": "unit",
                            "layer": k,
                            "unit": j,
                            "w": hs if self.dim == 2 else side,
                            "h": hs if self.dim == 2 else 1,
                        },
                        n_pixels,
                    )
        self.image_shape = _image_shape(self.x)
        if self.image_shape and layers and layers[0].nin == self.image_shape[0] * self.image_shape[1]:
            add_f("filterscale", 1)
            for j in range(min(layers[0].nout, 16)):
                h, w = self.image_shape
                add_b({"what": "filter", "unit": j, "w": w, "h": h}, h * w)
        return {"floats": floats, "images": images, "nfloats": fo, "nbytes": bo}

    def capture(self, step: int, loss: float) -> Dict[str, Any]:
        n, nt = len(self.x), len(self.tx)
        batch = [self.x, self.tx] + ([self.grid] if self.grid is not None else [])
        out, zs, hs = self.probe.evaluate(np.concatenate(batch) if nt or self.grid is not None else self.x)
        train_loss, train_acc = self.task.metrics(out[:n], self.y)
        test_loss, test_acc = self.task.metrics(out[n : n + nt], self.ty) if nt else (math.nan, math.nan)
        f = np.zeros(self.layout["nfloats"], dtype=np.float32)
        b = np.zeros(self.layout["nbytes"], dtype=np.uint8)
        spots = self.layout["floats"]

        def put(name: str, values: Any) -> None:
            at, length = spots[name]
            f[at : at + length] = np.ravel(values)[:length]

        for k, view in enumerate(self.probe.layers):
            if f"z{k}" in spots:
                put(f"z{k}", zs[k][0] if zs[k].size else np.zeros(view.nout))
                h = hs[k]
                put(f"h{k}", h[0] if h is not None else np.full(view.nout, np.nan))
            if f"W{k}" in spots:
                w, bias, gw, gb = view.arrays()
                for part, values in (("W", w), ("b", bias), ("gW", gw), ("gb", gb)):
                    put(f"{part}{k}", values)
        grid_start = n + nt
        for entry in self.layout["images"]:
            at, length = entry["at"]
            if entry["what"] == "output":
                b[at : at + length] = self.task.output_image(out[grid_start:], self.y)
            elif entry["what"] == "filter":
                w = self.probe.layers[0].arrays()[0]
                scale = float(np.max(np.abs(w))) if w.size else 1.0
                put("filterscale", scale)
                b[at : at + length] = _to_bytes(w[entry["unit"]], scale)
        if self.dim == 1:
            put("curve", out[grid_start:, 0])
        for k in range(len(self.probe.layers) - 1):
            hidden = hs[k]
            if f"scale{k}" not in spots or hidden is None:
                continue
            on_grid = hidden[grid_start:]  # (side*side, nout) or (side, nout)
            if self.dim == 2:
                side = self.side
                on_grid = on_grid.reshape(side, side, -1)[:: self.step_hidden, :: self.step_hidden]
                on_grid = on_grid.reshape(-1, on_grid.shape[-1])
            scale = float(np.nanmax(np.abs(on_grid))) if on_grid.size else 1.0
            put(f"scale{k}", scale)
            q = _to_bytes(on_grid, scale)  # (pixels, nout)
            for entry in self.layout["images"]:
                if entry["what"] == "unit" and entry["layer"] == k:
                    at, length = entry["at"]
                    b[at : at + length] = q[:, entry["unit"]]
        self.floats.append(f)
        self.bytes.append(b)
        return {
            "step": step,
            "loss": loss,
            "train_loss": train_loss,
            "test_loss": test_loss,
            "train_accuracy": train_acc,
            "test_accuracy": test_acc,
            "grad_norms": [gradient_norm(params) for _, params in self.probe.groups],
        }

    def snapshot(self) -> List[Any]:
        """A copy of every parameter's values (for ``Watch.player``)."""
        return [p.data if isinstance(p, Value) else p.data.copy() for p in self.params]


def _image_shape(x: np.ndarray) -> Optional[Tuple[int, int]]:
    """(h, w) when the inputs are images: (N, H, W), (N, 1, H, W), or (N, d) with d a square >= 16."""
    if x.ndim == 3:
        return x.shape[1], x.shape[2]
    if x.ndim == 4 and x.shape[1] == 1:
        return x.shape[2], x.shape[3]
    if x.ndim == 2 and x.shape[1] >= 16:
        side = math.isqrt(x.shape[1])
        if side * side == x.shape[1]:
            return side, side
    return None
