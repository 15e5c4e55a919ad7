"""Example 4: classification with the scalar engine: two moons, as in micrograd's demo.

What it shows: the whole training loop written out. An MLP 2 -> 16 -> 16 -> 1 (ReLU) gives
each point a real-valued *score*; the predicted class is its sign. The loss is the SVM
"max-margin" loss, mean(relu(1 - y * score)) with y in {-1, +1}: zero once every point is on
the right side with a margin of 1, plus a small L2 penalty alpha * sum(w**2) that keeps the
boundary smooth. Plain SGD with a learning rate decaying from 1.0 to 0.1. (Regression, in
example 6, predicts the number itself and uses the squared error instead.)

Run:   python examples/04_moons_classification.py [--quick] [--out out/]
Writes: out/moons_classification.png (needs matplotlib): the decision boundary and the loss curve
"""

import argparse
import random
from pathlib import Path

import numpy as np

from tinygrad_edu import nn, optim
from tinygrad_edu.data import make_moons
from tinygrad_edu.graph import gc_paused


def loss_and_accuracy(model, X, y, alpha=1e-4):
    scores = [model([float(a), float(b)]) for a, b in X]  # one Value per point
    margins = [(1 - label * score).relu() for label, score in zip(y.tolist(), scores, strict=True)]
    data_loss = sum(margins) / len(margins)  # max-margin (hinge) loss
    l2 = alpha * sum(p * p for p in model.parameters())  # weight decay
    correct = [(label > 0) == (score.data > 0) for label, score in zip(y.tolist(), scores, strict=True)]
    return data_loss + l2, sum(correct) / len(correct)


def train(n_points=100, steps=100, seed=1337):
    random.seed(seed)  # initial weights come from Python's random
    X, y = make_moons(n_points, noise=0.1, seed=1)
    model = nn.MLP(2, [16, 16, 1])  # ReLU hidden layers, linear output
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    losses, accuracies = [], []
    # Our graphs have no reference cycles (reference counting frees them), so Python's cyclic
    # garbage collector, which would rescan memory again and again, is paused while we train.
    with gc_paused():
        for step in range(steps):
            loss, accuracy = loss_and_accuracy(model, X, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.lr = 1.0 - 0.9 * step / steps
            optimizer.step()
            losses.append(loss.data)
            accuracies.append(accuracy)
            if step % 10 == 0 or step == steps - 1:
                print(f"step {step:3d}  loss {loss.data:.4f}  accuracy {accuracy:.1%}")
        final_loss, final_accuracy = loss_and_accuracy(model, X, y)
    return model, X, y, losses, final_loss.data, final_accuracy


def plot(model, X, y, losses, path, resolution):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = np.linspace(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5, resolution)
    ys = np.linspace(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    scores = np.array(
        [model([float(a), float(b)]).data for a, b in zip(grid_x.ravel(), grid_y.ravel(), strict=True)]
    ).reshape(grid_x.shape)
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.8))
    left.contourf(grid_x, grid_y, scores, levels=[-1e9, 0, 1e9], colors=["#9ecae1", "#fdae6b"], alpha=0.8)
    left.contour(grid_x, grid_y, scores, levels=[-1, 1], colors="grey", linestyles="dashed", linewidths=0.8)
    left.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=16, edgecolors="k", linewidths=0.4)
    left.set_title("decision boundary (dashed: score = +-1)")
    right.plot(losses)
    right.set_yscale("log")
    right.set_xlabel("step")
    right.set_title("training loss")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def main(out="out", quick=False):
    """Train, print progress, draw; return the final loss, accuracy, model and data."""
    n_points, steps = (40, 25) if quick else (100, 100)
    model, X, y, losses, loss, accuracy = train(n_points, steps)
    print(f"final: loss {loss:.4f}, training accuracy {accuracy:.1%} on {n_points} points")
    files = []
    try:
        files.append(
            plot(model, X, y, losses, Path(out) / "moons_classification.png", resolution=20 if quick else 50)
        )
        print(f"picture written to {files[-1]}")
    except ImportError:
        print("matplotlib is not installed: pip install matplotlib to get the picture")
    return {
        "loss": loss,
        "accuracy": accuracy,
        "losses": losses,
        "model": model,
        "X": X,
        "y": y,
        "files": files,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for the pictures (default: out/)")
    parser.add_argument("--quick", action="store_true", help="40 points, 25 steps: a few seconds")
    arguments = parser.parse_args()
    main(arguments.out, arguments.quick)
