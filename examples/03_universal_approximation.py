"""Example 3: universal approximation, and shallow vs deep networks (tensor engine).

What it shows, on a 1-D "waveform" f(x) = sin(3x) + 0.5 sin(7x) (a tone and a harmonic):
  1. Universal approximation: ONE hidden layer of tanh units can fit any continuous function
     on an interval as closely as we like, given enough units. We fit f with widths
     1, 2, 4, 8 and 32 and watch the error fall as the width grows.
  2. Shallow vs deep at the same budget: 1 -> 197 -> 1 (592 parameters) against
     1 -> 16 -> 16 -> 16 -> 1 (593 parameters), trained the same way. Composing layers
     reuses bends; on this target the deep network ends with a much lower error.
Every network is trained full-batch on the mean squared error with Adam.

Run:   python examples/03_universal_approximation.py [--quick] [--out out/] [--watch]
Writes: out/universal_approximation.png (needs matplotlib): fits and loss curves
        with --watch also out/universal_approximation.html: the width-8 network learning, frame
        by frame (its curve bending towards f, each hidden unit's tanh along x)
"""

import argparse
from pathlib import Path

import numpy as np

from tinygrad_edu import Tensor, nn, no_grad, optim, watch

WIDTHS = (1, 2, 4, 8, 32)


def target(x):
    return np.sin(3 * x) + 0.5 * np.sin(7 * x)


def shallow_net(width):
    """h = tanh(W1 x + b1), y = W2 h + b2: one hidden layer of ``width`` units."""
    return nn.Sequential(nn.Linear(1, width), nn.Tanh(), nn.Linear(width, 1))


def deep_net(width=16, hidden_layers=3):
    layers = [nn.Linear(1, width), nn.Tanh()]
    for _ in range(hidden_layers - 1):
        layers += [nn.Linear(width, width), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(width, 1))


def count_parameters(model):
    return sum(p.data.size for p in model.parameters())


def fit(model, x, y, steps, lr=0.01, w=None):
    """Adam on the mean squared error, the step size decaying from lr to lr/10; returns the losses.
    With a Watch ``w``, each step is recorded for the training page."""
    inputs, targets = Tensor(x), Tensor(y)  # (n, 1) each
    optimizer = optim.Adam(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        optimizer.lr = lr * (1 - 0.9 * step / steps)  # smaller steps near the end: no spikes
        loss = nn.mse_loss(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        if w is not None:
            w.record(loss)
        optimizer.step()
        losses.append(loss.item())
    return losses


def predict(model, x):
    with no_grad():
        return model(Tensor(x)).numpy()


def plot(x, y, results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    axes[0].plot(x, y, color="black", linewidth=2.5, alpha=0.3, label="target")
    for width, fitted in results["width_fits"].items():
        axes[0].plot(x, fitted, label=f"width {width}")
    axes[0].set_title("one hidden layer, growing width")
    axes[0].legend(fontsize=7)
    for width, losses in results["width_losses"].items():
        axes[1].plot(losses, label=f"width {width}")
    for name, style in (("shallow", "--"), ("deep", "-")):
        axes[1].plot(
            results[f"{name}_losses"],
            style,
            color="black",
            linewidth=1,
            label=f"{name} ({results[f'{name}_parameters']} params)",
        )
    axes[1].set_yscale("log")
    axes[1].set_xlabel("step")
    axes[1].set_title("training loss (mean squared error)")
    axes[1].legend(fontsize=7)
    # both fits look perfect at this scale, so plot how far each is from the target
    axes[2].plot(x, np.abs(results["shallow_fit"] - y), "--", label="shallow 1-197-1")
    axes[2].plot(x, np.abs(results["deep_fit"] - y), label="deep 1-16-16-16-1")
    axes[2].set_yscale("log")
    axes[2].set_title("same parameter budget: |fit - target|")
    axes[2].legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return path


def main(out="out", quick=False, watching=False):
    """Fit every network; print and return the final errors and the files written."""
    steps = 500 if quick else 3000
    x = np.linspace(-1, 1, 200).reshape(-1, 1)  # (200, 1): one input feature per row
    y = target(x)  # (200, 1)
    results = {"width_errors": {}, "width_fits": {}, "width_losses": {}}
    print(f"one hidden layer of tanh units, {steps} Adam steps:")
    for width in WIDTHS:
        np.random.seed(0)  # nn.Linear draws its weights from numpy
        model = shallow_net(width)
        w = watch(model, x, y, every=steps // 100) if watching and width == 8 else None
        losses = fit(model, x, y, steps, w=w)
        if w is not None:
            results["page"] = w.save(
                Path(out) / "universal_approximation.html", title="8 tanh units fit a waveform"
            )
            print(f"  the width-8 network's training, frame by frame: {results['page']}")
        fitted = predict(model, x)
        results["width_errors"][width] = float(np.mean((fitted - y) ** 2))
        results["width_fits"][width] = fitted
        results["width_losses"][width] = losses
        print(
            f"  width {width:3d} ({count_parameters(model):4d} parameters): "
            f"mean squared error {results['width_errors'][width]:.2e}"
        )

    print("same budget, shallow vs deep:")
    for name, make in (("shallow", lambda: shallow_net(197)), ("deep", deep_net)):
        np.random.seed(0)
        model = make()
        results[f"{name}_losses"] = fit(model, x, y, steps)
        results[f"{name}_fit"] = predict(model, x)
        results[f"{name}_error"] = float(np.mean((results[f"{name}_fit"] - y) ** 2))
        results[f"{name}_parameters"] = count_parameters(model)
        print(
            f"  {name:<7} {results[f'{name}_parameters']} parameters: "
            f"mean squared error {results[f'{name}_error']:.2e}"
        )

    results["files"] = []
    try:
        results["files"].append(plot(x, y, results, Path(out) / "universal_approximation.png"))
        print(f"picture written to {results['files'][-1]}")
    except ImportError:
        print("matplotlib is not installed: pip install matplotlib to get the picture")
    results["x"], results["y"] = x, y
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for the pictures (default: out/)")
    parser.add_argument("--quick", action="store_true", help="500 steps instead of 3000")
    parser.add_argument("--watch", action="store_true", help="also write the training page of width 8")
    arguments = parser.parse_args()
    main(arguments.out, arguments.quick, arguments.watch)
