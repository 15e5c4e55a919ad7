"""``watch(model, inputs, targets)``: record a training run, then look at it in a page.

    w = watch(model, X, y, test=(X_test, y_test))
    for step in range(300):
        loss = nn.cross_entropy(model(Tensor(X)), y)
        optimizer.zero_grad(); loss.backward()
        w.record(loss)                 # after backward, before the step
        optimizer.step()
    w.save('training.html')            # in Jupyter: just `w`

Recording changes nothing in the model: every evaluation runs under ``no_grad()`` in
evaluation mode with each module's flag put back, and the hooks it adds are removed again.
A run with ``watch`` ends with bit-identical weights to one without.
"""

from __future__ import annotations

import copy
import math
import numbers
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np

from .. import nn
from ..draw import write_atomically
from ..player import Player, play
from ..tensor import Tensor
from ..value import Value
from .document import page_html, repr_html
from .record import SNAPSHOT_ALL, Recorder

__all__ = ["watch", "Watch"]


def _array(data: Any, what: str) -> np.ndarray:
    if isinstance(data, (str, bytes, dict)) or data is None or isinstance(data, bool):
        raise TypeError(
            f"watch: {what} must be an array, a Tensor or a list of numbers, got {type(data).__name__}"
        )
    if isinstance(data, Tensor):
        return np.asarray(data.data)
    try:
        array = np.asarray(data)
    except ValueError as error:  # ragged lists
        raise ValueError(f"watch: {what} must be a rectangular array of numbers ({error})") from None
    if array.dtype.kind not in "iufb":
        raise TypeError(f"watch: {what} must hold numbers, got an array of {array.dtype}")
    return array


def watch(model: Any, inputs: Any, targets: Any = None, *, test: Any = None, every: int = 1) -> "Watch":
    """A ``Watch`` that records the training of ``model`` on ``inputs`` (N, d).

    ``targets``: integer class labels (classification) or numbers (regression), one per
    input; ``test=(inputs, targets)`` adds a held-out set; ``every``: record a frame on every
    ``every``-th call of ``record``. A scalar ``nn.MLP`` takes a list of examples.

    >>> import numpy as np
    >>> from tinygrad_edu import nn, watch
    >>> model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2))
    >>> w = watch(model, np.zeros((3, 2)), np.array([0, 1, 1]))
    >>> len(w.frames)
    0
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"watch needs a model (an nn.Module), got {type(model).__name__}")
    if isinstance(every, bool) or not isinstance(every, numbers.Integral):
        raise TypeError(f"watch: every must be a whole number, got {type(every).__name__}")
    if every < 1:
        raise ValueError(f"watch: every must be at least 1 (a frame every `every` steps), got {every}")
    x = _array(inputs, "inputs").astype(np.float64)
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(
            f"watch: inputs must be (N, d) with N >= 1 (one row per example), got shape {x.shape}"
        )
    y = _checked_targets(targets, len(x), "targets", "inputs")
    test_pair = None
    if test is not None:
        if not isinstance(test, (tuple, list)) or len(test) != 2:
            raise TypeError(f"watch: test must be a pair (inputs, targets), got {type(test).__name__}")
        tx = _array(test[0], "test inputs").astype(np.float64)
        if tx.shape[1:] != x.shape[1:]:
            raise ValueError(
                f"watch: test inputs have shape {tx.shape}, the inputs {x.shape}: the rows must match"
            )
        ty = _checked_targets(test[1], len(tx), "test targets", "test inputs")
        test_pair = (tx, ty)
    return Watch(model, x, y, test_pair, int(every))


def _checked_targets(targets: Any, n: int, what: str, of: str) -> Optional[np.ndarray]:
    if targets is None:
        return None
    y = _array(targets, what)
    if y.ndim == 0 or len(y) != n:
        shape = y.shape if y.ndim else "a single number"
        raise ValueError(f"watch: {n} {of} but {what} of shape {shape}: one target per input")
    return y.astype(np.int64) if y.dtype.kind in "iub" else y.astype(np.float64)


class Watch:
    """A recorded training run: ``record(loss)`` each step, ``frames``, ``save(path)``,
    ``player(frame, example)``; in Jupyter it shows the page inline."""

    def __init__(self, model: Any, x: np.ndarray, y: Optional[np.ndarray], test: Any, every: int) -> None:
        self.model, self.every = model, every
        self.scalar = isinstance(model, nn.MLP)
        self._params = model.parameters()
        self._size = sum(1 if isinstance(p, Value) else int(p.data.size) for p in self._params)
        # The evaluations run on a twin of the model (a deep copy), given each frame's weights and
        # gradients when the frames are read: the training loop only pays for copying them.
        # A big model, or one that cannot be copied, is evaluated at once, on itself.
        self._twin = _twin(model) if self._size <= SNAPSHOT_ALL else None
        self._recorder = Recorder(self._twin or model, x, y, test, self.scalar)
        self._buffers = [name for name, _ in model.named_buffers()]
        self._calls = 0
        self._frames: List[Dict[str, Any]] = []
        self._pending: List[Tuple[int, float, List[Any], List[Any], Dict[str, np.ndarray]]] = []
        self._snapshots: Dict[int, List[Any]] = {}

    def __repr__(self) -> str:
        frames = self.frames
        last = f", last loss {frames[-1]['loss']:.4g}" if frames else ""
        return f"<Watch: {len(frames)} frames of {self._calls} steps{last}>"

    @property
    def frames(self) -> List[Dict[str, Any]]:
        """The recorded frames, each a dict: ``step``, ``loss``, ``train_loss``, ``test_loss``,
        ``train_accuracy``, ``test_accuracy`` (nan where there is none) and ``grad_norms``
        (one per parameter group, in the order of ``groups``)."""
        self._settle()
        return self._frames

    @property
    def groups(self) -> List[str]:
        """The names of the parameter groups (one per layer) whose gradient norms are recorded."""
        return [name for name, _ in self._recorder.probe.groups]

    def record(self, loss: Any) -> None:
        """Record this step (every ``every``-th call): call it after ``loss.backward()`` and
        before the optimiser's step, with the loss you called ``backward()`` on."""
        if not isinstance(loss, (Value, Tensor)):
            kind = type(loss).__name__
            raise TypeError(f"record needs the loss (a Value or a one-element Tensor), got {kind}")
        if isinstance(loss, Tensor) and loss.data.size != 1:
            raise ValueError(
                f"record needs a one-element loss, got shape {loss.shape}; reduce it with .mean()"
            )
        if not loss._prev:
            raise ValueError(
                "record needs the loss computed from the model (a graph with the parameters in it), "
                "got a leaf: pass the loss you called backward() on"
            )
        step = self._calls
        self._calls += 1
        if step % self.every:
            return
        value = float(loss.data) if isinstance(loss, Value) else float(np.asarray(loss.data).ravel()[0])
        index = len(self._frames) + len(self._pending)
        values = [p.data if isinstance(p, Value) else p.data.copy() for p in self._params]
        grads = [p.grad if isinstance(p, Value) or p.grad is None else p.grad.copy() for p in self._params]
        buffers = (
            {name: np.array(b, copy=True) for name, b in self.model.named_buffers()} if self._buffers else {}
        )
        self._snapshots[index] = values
        previous = index - 1
        if self._size > SNAPSHOT_ALL and previous > 0 and previous % 10:
            self._snapshots.pop(previous, None)  # big models: the first frame, every tenth, the latest
        self._pending.append((step, value, values, grads, buffers))
        if self._twin is None:
            self._settle()

    def _settle(self) -> None:
        """Evaluate the frames recorded since the last time (on the twin, with their weights)."""
        pending, self._pending = self._pending, []
        for step, value, values, grads, buffers in pending:
            if self._twin is not None:
                for p, v, g in zip(self._twin.parameters(), values, grads, strict=True):
                    p.data, p.grad = v, g
                if buffers:
                    self._twin.load_state_dict(buffers, strict=False)
            self._frames.append(self._recorder.capture(step, value))

    def offered(self) -> List[int]:
        """The frames whose weights were kept, so that ``player(frame)`` can rebuild them."""
        return sorted(self._snapshots)

    def _frame_index(self, frame: Any) -> int:
        if isinstance(frame, bool) or not isinstance(frame, numbers.Integral):
            raise TypeError(f"frame must be a whole number, got {type(frame).__name__}")
        n, frame = len(self.frames), int(frame)
        if not -n <= frame < n:
            raise ValueError(f"frame {frame} is out of range: {n} frames were recorded (0 .. {n - 1}, or -1)")
        return frame % n

    def player(self, frame: int = -1, example: int = 0) -> Player:
        """The step-through ``Player`` of one training example's loss with the weights of
        ``frame``, built on a copy of the model (the model itself is not touched)."""
        index = self._frame_index(frame)
        n = len(self._recorder.x)
        if isinstance(example, bool) or not isinstance(example, numbers.Integral):
            raise TypeError(f"example must be a whole number, got {type(example).__name__}")
        if not 0 <= example < n:
            raise ValueError(
                f"example {example} is out of range: there are {n} training examples (0 .. {n - 1})"
            )
        if index not in self._snapshots:
            raise ValueError(f"frame {index} kept no weights; these frames did: {self.offered()}")
        if self._recorder.y is None:
            raise ValueError("player needs targets: watch(model, inputs, targets) to build a loss")
        return play(self._example_loss(index, int(example)))

    def _example_loss(self, index: int, example: int) -> Any:
        copied = copy.deepcopy(self.model)
        for p, saved in zip(copied.parameters(), self._snapshots[index], strict=True):
            p.data = saved if isinstance(p, Value) else np.array(saved, copy=True)
        copied.eval()
        rec = self._recorder
        x, target = rec.x[example], rec.y[example]  # type: ignore[index]
        task = rec.task
        if self.scalar:
            out = copied([float(v) for v in x])
            if task.kind == "class" and task.outputs == 1:
                sign = 1.0 if task.index(np.array([target]))[0] == 1 else -1.0
                loss = (1 + (-sign * out).exp()).log()  # logistic loss log(1 + e^(-y s)), y = +-1
            elif task.kind == "class":
                label = int(target)
                loss = sum((s.exp() for s in out), Value(0.0)).log() - out[label]  # -log softmax
            else:
                outs = out if isinstance(out, list) else [out]
                loss = sum(
                    ((s - float(t)) ** 2 for s, t in zip(outs, np.ravel(target), strict=True)), Value(0.0)
                )
                loss = loss / len(outs)
        else:
            out = copied(Tensor(x[None]))
            if task.kind == "class" and task.outputs == 1:
                loss = nn.binary_cross_entropy(
                    out, task.index(np.array([target])).reshape(out.shape).astype(float)
                )
            elif task.kind == "class":
                loss = nn.cross_entropy(out, np.array([int(target)]))
            else:
                loss = nn.mse_loss(out, Tensor(np.asarray(target, dtype=np.float64).reshape(out.shape)))
        loss.label = "L"
        return loss

    # ***** the page *****

    def html(self, title: str = "Watching a network learn") -> str:
        """The whole page: one self-contained HTML document."""
        return page_html(self, title)

    def save(self, path: Union[str, Path], title: str = "Watching a network learn") -> Path:
        """Write the page to ``path`` (folders are created); returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # to a temporary file, then renamed: a failed save leaves the old page as it was; a
        # lone surrogate in user text becomes '?'
        write_atomically(path, self.html(title).encode("utf-8", "replace"))
        return path

    def _repr_html_(self) -> str:
        return repr_html(self)

    def summary_line(self) -> str:
        """One line: frames, steps and the last loss (the page's text where scripts cannot run)."""
        if not self.frames:
            return "no frames recorded yet: call w.record(loss) after loss.backward()"
        last = self.frames[-1]
        loss = last["loss"]
        shown = f"{loss:.4g}" if math.isfinite(loss) else str(loss)
        return (
            f"{len(self.frames)} frames over {self._calls} steps; at step {last['step']} the loss is {shown}"
        )


def _twin(model: Any) -> Any:
    """A deep copy of ``model`` to evaluate frames on, or None when it cannot be copied."""
    try:
        return copy.deepcopy(model)
    except Exception:  # a module holding something deepcopy refuses (a file, a lock): evaluate at once
        return None
