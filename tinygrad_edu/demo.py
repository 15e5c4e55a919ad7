"""``tinygrad-edu demo``: the lecture in one command.

Part 1 is the neuron equation y = tanh(w1*x1 + w2*x2 + b) with the numbers from the lecture
(and micrograd): the forward values, the backward pass, every gradient, the graph, and a page
that steps through the backward pass (``out/neuron_backprop.html``).
Part 2 trains a scalar MLP, 2 -> 16 -> 16 -> 1, on two moons as micrograd's demo does:
an SVM "max-margin" loss, mean(relu(1 - y * score)), plus a small L2 penalty on the
weights, minimised by SGD with a learning rate that decays from 1.0 to 0.1. Then it draws the
decision boundary (with matplotlib, if installed), the graph of one trained neuron, and the
training page that steps through the run frame by frame (``out/training.html``, ``watch``).

matplotlib is imported only inside ``plot_decision_boundary``: the package never needs it.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Dict, Optional, TextIO, Tuple, cast

import numpy as np

from . import nn, optim
from .data import make_moons
from .draw import draw_dot, save_graph
from .graph import gc_paused
from .player import play
from .value import Value
from .watch import Watch, watch

MATPLOTLIB_HINT = (
    "matplotlib is not installed, so no picture was drawn: "
    "pip install matplotlib (or pip install -e '.[examples]')"
)


def neuron_equation(out_dir: Path, stdout: TextIO) -> Dict[str, object]:
    """Part 1: forward, backward and the graph of y = tanh(w1*x1 + w2*x2 + b)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")  # chosen so that n = 0.8814 and y = 1/sqrt(2)
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    y = n.tanh()
    y.label = "y"
    y.backward()
    say = lambda text="": print(text, file=stdout)  # noqa: E731
    say("1. The neuron equation  y = tanh(w1*x1 + w2*x2 + b)")
    say(
        f"   forward:  n = w1*x1 + w2*x2 + b = ({w1.data:g})({x1.data:g}) + ({w2.data:g})"
        f"({x2.data:g}) + {b.data:.4f} = {n.data:.4f}"
    )
    say(f"             y = tanh(n) = {y.data:.4f}")
    say(f"   backward: dy/dn = 1 - y**2 = {n.grad:.4f}; then dy/dwi = xi * dy/dn and dy/dxi = wi * dy/dn")
    say("             " + "   ".join(f"dy/d{v.label} = {v.grad:.4f}" for v in (w1, x1, w2, x2, b)))
    written, hint = save_graph(draw_dot(y), out_dir / "neuron.svg")
    say(f"   graph written to {written}")
    if hint:
        say(f"   {hint}")
    numbers: Dict[str, object] = {"y": y.data, "w1.grad": w1.grad, "x1.grad": x1.grad, "b.grad": b.grad}
    numbers["graph"] = written
    page = play(y).save(out_dir / "neuron_backprop.html")  # (laid out in Python where `dot` is missing)
    say(f"   step through the backward pass in a browser: {page}")
    numbers["player"] = page
    return numbers


def _progress(text: str, stdout: TextIO, last: bool) -> None:
    """A live progress line: rewritten in place on a terminal, plain lines in a log."""
    if getattr(stdout, "isatty", lambda: False)():
        stdout.write("\r" + text + ("\n" if last else ""))
        stdout.flush()
    else:
        print(text, file=stdout)


def svm_loss(model: nn.MLP, X: np.ndarray, y: np.ndarray, alpha: float = 1e-4) -> Tuple[Value, float]:
    """(loss Value, accuracy) of the max-margin loss mean(relu(1 - y*score)) + alpha * sum(w**2)."""
    labels = y.tolist()
    scores = [cast(Value, model([float(a), float(b)])) for a, b in X]  # one output: a Value
    margins = [(1 + -label * score).relu() for label, score in zip(labels, scores, strict=True)]
    data_loss = sum(margins) * (1.0 / len(margins))
    l2 = alpha * sum(p * p for p in model.parameters())  # keeps the weights small: a smoother boundary
    accuracy = sum(
        (label > 0) == (score.data > 0) for label, score in zip(labels, scores, strict=True)
    ) / len(labels)
    return data_loss + l2, accuracy


def train_moons(
    n_points: int, steps: int, stdout: TextIO, seed: int = 1337, every: int = 0
) -> Tuple[nn.MLP, np.ndarray, np.ndarray, float, float, Optional[Watch]]:
    """Train MLP(2, [16, 16, 1]) on ``n_points`` moons for ``steps`` full-batch SGD steps;
    with ``every`` > 0, also a ``Watch`` of the run (a frame every ``every`` steps)."""
    random.seed(seed)  # the MLP's initial weights come from Python's random module
    X, y = make_moons(n_points, noise=0.1, seed=1)
    model = nn.MLP(2, [16, 16, 1])
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    w = watch(model, X, y, every=every) if every else None  # the training page
    # Each step builds ~65,000 Values with no reference cycles: Python's cyclic garbage
    # collector has nothing to find in them, so it is paused while we train (see gc_paused).
    with gc_paused():
        for step in range(steps):
            loss, accuracy = svm_loss(model, X, y)
            optimizer.zero_grad()
            loss.backward()
            if w is not None:
                w.record(loss)
            optimizer.lr = 1.0 - 0.9 * step / steps  # decay the step size as we get closer
            optimizer.step()
            last = step == steps - 1
            if getattr(stdout, "isatty", lambda: False)() or step % 10 == 0 or last:
                _progress(
                    f"   step {step + 1:3d}/{steps}  loss {loss.data:.4f}  accuracy {accuracy:6.1%}",
                    stdout,
                    last,
                )
        final_loss, final_accuracy = svm_loss(model, X, y)  # after the last update
    return model, X, y, final_loss.data, final_accuracy, w


def plot_decision_boundary(
    model: nn.MLP, X: np.ndarray, y: np.ndarray, path: Path, resolution: int = 40
) -> Optional[Path]:
    """Colour the plane by the sign of the model's score; returns None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # draw to files, no window
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    xs = np.linspace(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5, resolution)
    ys = np.linspace(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)  # (resolution, resolution) each
    scores = np.array(
        [
            cast(Value, model([float(a), float(b)])).data
            for a, b in zip(grid_x.ravel(), grid_y.ravel(), strict=True)
        ]
    ).reshape(grid_x.shape)
    figure, axes = plt.subplots(figsize=(5, 4))
    axes.contourf(
        grid_x, grid_y, scores > 0, levels=[-0.5, 0.5, 1.5], colors=["#9ecae1", "#fdae6b"], alpha=0.8
    )
    axes.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=18, edgecolors="k", linewidths=0.4)
    axes.set_title("MLP(2, [16, 16, 1]) on two moons: decision boundary")
    axes.set_xlabel("x1")
    axes.set_ylabel("x2")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def run_demo(
    out_dir: "str | Path" = "out", quick: bool = False, stdout: Optional[TextIO] = None
) -> Dict[str, object]:
    """Run both parts; returns the key numbers, the files written, and the trained model and data.

    ``quick`` uses 40 points and 25 steps (seconds) instead of 100 points and 100 steps.
    """
    stdout = sys.stdout if stdout is None else stdout
    out_dir = Path(out_dir)
    neuron_numbers = neuron_equation(out_dir, stdout)
    results: Dict[str, object] = {"neuron": neuron_numbers}
    n_points, steps = (40, 25) if quick else (100, 100)
    print(
        f"\n2. Training MLP(2, [16, 16, 1]) on {n_points} two-moons points "
        f"(max-margin loss + L2, SGD, {steps} steps)",
        file=stdout,
    )
    model, X, y, loss, accuracy, w = train_moons(n_points, steps, stdout, every=max(steps // 10, 1))
    print(f"   final: loss {loss:.4f}, training accuracy {accuracy:.1%}", file=stdout)
    files = [neuron_numbers["graph"]] + ([neuron_numbers["player"]] if "player" in neuron_numbers else [])
    picture = plot_decision_boundary(
        model, X, y, out_dir / "moons_boundary.png", resolution=20 if quick else 40
    )
    if picture is None:
        print(f"   {MATPLOTLIB_HINT}", file=stdout)
    else:
        print(f"   decision boundary drawn in {picture}", file=stdout)
        files.append(picture)
    if w is not None:  # the training page: the run, frame by frame (tinygrad_edu.watch)
        page = w.save(out_dir / "training.html", title="MLP(2, [16, 16, 1]) learns two moons")
        print(f"   the training, frame by frame, in {page} (open it in a browser)", file=stdout)
        files.append(page)
    # one neuron of the first hidden layer that fires on the first training point, applied to it
    inputs = [Value(float(X[0, 0]), label="x1"), Value(float(X[0, 1]), label="x2")]
    hidden = model.layers[0].neurons
    neuron = next((unit for unit in hidden if cast(Value, unit(inputs)).data > 0), hidden[0])
    neuron.zero_grad()  # training left its last gradients here: the picture shows ONE backward pass
    output = cast(Value, neuron(inputs))
    output.label = "h"
    output.backward()  # so dh/dw1 = x1 * relu'(n), as the chain rule says
    written, hint = save_graph(draw_dot(output), out_dir / "moons_neuron.svg")
    print(f"   one trained neuron, h = relu(w1*x1 + w2*x2 + b), drawn in {written}", file=stdout)
    if hint:
        print(f"   {hint}", file=stdout)
    files.append(written)
    results.update(loss=loss, accuracy=accuracy, files=files, model=model, X=X, y=y)
    return results
