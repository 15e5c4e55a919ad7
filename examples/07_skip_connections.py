"""Example 7: deeper is not always better: skip connections (tensor engine).

What it shows: why a very deep plain network hardly learns, and how a skip connection fixes it.
  * The task: fit the wavy surface y = sin(3 x1) cos(2 x2) from 512 points in [-1, 1]^2.
  * Two networks with 20 hidden layers of 16 tanh units between an input layer (2 -> 16) and an
    output layer (16 -> 1): a plain stack, where each hidden layer computes h = tanh(W h + b),
    and a residual stack, where each computes h = h + tanh(W h + b) (``nn.Residual``). The skip
    adds no weights: both have exactly the same 5,505 parameters, the same initial weights,
    the same optimiser (SGD with momentum, full batch) and the same number of steps.
  * Why the plain stack is stuck: backpropagation multiplies the gradient by W^T * phi'(z) at
    every layer on its way down. With PyTorch's initial weights that factor shrinks it by about
    half per layer, so after 20 layers the first layer gets a gradient ~10^5 times smaller than
    the last (the vanishing gradient). With sigmoid it is far worse: sigmoid'(z) is at most 1/4
    (tanh'(z) is at most 1), and sigmoid's outputs are all positive, so the signal drifts
    instead of staying centred: ~10^17 times smaller. A skip connection gives the gradient a
    path with factor 1 around every block: dL/dh = dL/dh' (1 + W^T phi'(z)).
It prints the gradient norm of every layer at initialisation and the loss of both networks
during training, and draws both.

Run:   python examples/07_skip_connections.py [--quick] [--out out/] [--watch]
Writes: out/skip_connections.png (needs matplotlib): loss curves, gradient norms per layer, slopes
        with --watch also out/skip_plain.html and out/skip_residual.html: both runs frame by frame;
        in the plain stack's "gradient norm of each layer" the first layers' lines lie orders of
        magnitude below the last ones (vanishing), in the residual stack's they stay together
"""

import argparse
from pathlib import Path

import numpy as np

from tinygrad_edu import Tensor, nn, no_grad, optim, watch

DEPTH, WIDTH = 20, 16  # hidden layers, units per hidden layer
ACTIVATIONS = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def wavy_surface(n, rng):
    """n points x in [-1, 1]^2 (n, 2) and their targets y = sin(3 x1) cos(2 x2) (n, 1)."""
    x = rng.uniform(-1, 1, size=(n, 2))
    return x, np.sin(3 * x[:, :1]) * np.cos(2 * x[:, 1:])


def deep_stack(residual, activation="tanh", depth=DEPTH, width=WIDTH, seed=0):
    """Linear(2, width), ``depth`` hidden blocks tanh(W h + b) (each inside nn.Residual when
    ``residual``), Linear(width, 1). The same seed gives both kinds the same weights."""
    rng = np.random.default_rng(seed)
    layers = [nn.Linear(2, width, rng=rng)]
    for _ in range(depth):
        block = nn.Sequential(nn.Linear(width, width, rng=rng), ACTIVATIONS[activation]())
        layers.append(nn.Residual(block) if residual else block)
    layers.append(nn.Linear(width, 1, rng=rng))
    return nn.Sequential(*layers)


def weight_gradient_norms(model, x, y):
    """The norm of dL/dW for every weight matrix, from the input layer to the output layer."""
    model.zero_grad()
    nn.mse_loss(model(Tensor(x)), Tensor(y)).backward()
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    return np.array([np.linalg.norm(w.grad) for w in weights])


def train(model, x, y, steps, lr=0.005, momentum=0.9, w=None):
    """Full-batch SGD with momentum; the training loss (mean squared error) before every step.
    With a Watch ``w``, each step is recorded for the training page."""
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    losses = []
    for step in range(steps):
        loss = nn.mse_loss(model(Tensor(x)), Tensor(y))
        optimizer.zero_grad()
        loss.backward()
        if w is not None:
            w.record(loss)
        optimizer.step()
        losses.append(loss.item())
        if step % (steps // 4) == 0:
            print(f"  step {step:4d}  loss {losses[-1]:.5f}")
    return losses


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    axes[0].plot(results["plain_losses"], label=f"plain stack of {DEPTH}")
    axes[0].plot(results["residual_losses"], label=f"residual stack of {DEPTH}")
    axes[0].axhline(results["y"].var(), color="grey", linestyle=":", label="predicting the mean")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("step")
    axes[0].set_title("training loss (same parameters, same SGD)")
    axes[0].legend(fontsize=8)
    layers = np.arange(1, DEPTH + 3)
    for key, label in (
        ("plain_tanh", "plain, tanh"),
        ("plain_sigmoid", "plain, sigmoid"),
        ("residual_tanh", "residual, tanh"),
    ):
        axes[1].semilogy(layers, results["gradient_norms"][key], "o-", markersize=3, label=label)
    axes[1].set_xlabel("layer (1 = input layer)")
    axes[1].set_title("|dL/dW| per layer at initialisation")
    axes[1].legend(fontsize=8)
    z = np.linspace(-5, 5, 201)
    sigmoid = 1 / (1 + np.exp(-z))
    axes[2].plot(z, 1 - np.tanh(z) ** 2, label="tanh'(z), at most 1")
    axes[2].plot(z, sigmoid * (1 - sigmoid), label="sigmoid'(z), at most 1/4")
    axes[2].set_xlabel("z")
    axes[2].set_title("why sigmoid vanishes faster: its slope")
    axes[2].legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return path


def main(out="out", quick=False, watching=False):
    """Gradient norms at initialisation, then train both stacks; return the curves and results."""
    steps = 300 if quick else 2000
    x, y = wavy_surface(512, np.random.default_rng(0))
    print(f"{DEPTH} hidden layers of {WIDTH} units, {len(x)} points, {steps} steps of SGD")
    norms = {
        f"{kind}_{activation}": weight_gradient_norms(deep_stack(kind == "residual", activation), x, y)
        for kind, activation in (("plain", "tanh"), ("plain", "sigmoid"), ("residual", "tanh"))
    }
    print("|dL/dW| at initialisation, input layer ... output layer:")
    for key, values in norms.items():
        ratio = values[-1] / values[0]
        print(f"  {key:>14}: first {values[0]:.1e}, last {values[-1]:.1e}, last/first {ratio:.1e}")

    results = {"x": x, "y": y, "gradient_norms": norms, "steps": steps}
    for kind in ("plain", "residual"):
        model = deep_stack(residual=kind == "residual")
        results[f"{kind}_parameters"] = sum(p.data.size for p in model.parameters())
        results[f"{kind}_initial_state"] = model.state_dict()
        print(f"{kind} stack ({results[f'{kind}_parameters']} parameters):")
        w = watch(model, x, y, every=steps // 50) if watching else None
        results[f"{kind}_losses"] = train(model, x, y, steps, w=w)
        if w is not None:
            page = w.save(
                Path(out) / f"skip_{kind}.html", title=f"the {kind} stack of {DEPTH} hidden layers learns"
            )
            results[f"{kind}_page"] = page
            norms_now = w.frames[-1]["grad_norms"]
            print(
                f"  training page: {page} (last frame: gradient norm of the first layer "
                f"{norms_now[0]:.1e}, of the last {norms_now[-1]:.1e})"
            )
        with no_grad():
            results[f"{kind}_predictions"] = model(Tensor(x)).numpy()  # (512, 1)
        results[f"{kind}_final_loss"] = float(np.mean((results[f"{kind}_predictions"] - y) ** 2))
        print(f"  final training loss {results[f'{kind}_final_loss']:.5f}")
    print(
        f"predicting the mean: {y.var():.5f}; the residual stack ends "
        f"{results['plain_final_loss'] / results['residual_final_loss']:.0f}x lower than the plain one"
    )
    results["files"] = []
    try:
        results["files"].append(plot(results, Path(out) / "skip_connections.png"))
        print(f"picture written to {results['files'][-1]}")
    except ImportError:
        print("matplotlib is not installed: pip install matplotlib to get the picture")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for the pictures (default: out/)")
    parser.add_argument("--quick", action="store_true", help="300 steps instead of 2000: a few seconds")
    parser.add_argument("--watch", action="store_true", help="also write a training page for each stack")
    arguments = parser.parse_args()
    main(arguments.out, arguments.quick, arguments.watch)
