"""Example 2: activation functions, their derivatives, and why a network needs them.

What it shows:
  1. sigmoid, tanh, ReLU and leaky ReLU, with each derivative phi'(z) computed by the engine:
     for every z we build y = phi(Value(z)), call y.backward() and read z.grad. Plotted.
  2. Without activations a network is linear (affine, with biases): a 2-layer "linear MLP"
     computes exactly W2 (W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2), i.e. ONE layer, and
     obeys superposition g(a + b) = g(a) + g(b) for g(x) = f(x) - f(0). With tanh in
     between, superposition fails by a wide margin: that bend is what lets depth help.

Run:   python examples/02_activations.py [--quick] [--out out/]
Writes: out/activations.png (needs matplotlib)
"""

import argparse
import random
from pathlib import Path

import numpy as np

from tinygrad_edu import Value, nn

ACTIVATIONS = {
    "sigmoid": lambda v: v.sigmoid(),
    "tanh": lambda v: v.tanh(),
    "relu": lambda v: v.relu(),
    "leaky_relu (slope 0.1)": lambda v: v.leaky_relu(0.1),
}


def curves(zs):
    """{name: (phi(z) for each z, phi'(z) from backward() for each z)}."""
    table = {}
    for name, phi in ACTIVATIONS.items():
        values, slopes = [], []
        for z in zs:
            z_value = Value(float(z))
            y = phi(z_value)
            y.backward()  # dy/dz lands in z_value.grad
            values.append(y.data)
            slopes.append(z_value.grad)
        table[name] = (np.array(values), np.array(slopes))
    return table


def layer_matrices(layer):
    """A scalar Layer's weights as the lecture writes them: W (nout, nin) and b (nout,)."""
    W = np.array([[w.data for w in neuron.w] for neuron in layer.neurons])
    b = np.array([neuron.b.data for neuron in layer.neurons])
    return W, b


def run(model, x):
    return np.array([v.data for v in model([float(xi) for xi in x])])


def linearity(seed=0):
    """Collapse a 2-layer linear MLP into one matrix, and test superposition with and without tanh."""
    random.seed(seed)
    rng = np.random.default_rng(seed)
    linear = nn.MLP(3, [4, 2], nonlin=False)  # x -> W1 x + b1 -> W2 (.) + b2
    with_tanh = nn.MLP(3, [4, 2], activation="tanh")  # x -> tanh(W1 x + b1) -> W2 (.) + b2
    for neuron in linear.layers[0].neurons + with_tanh.layers[0].neurons:
        neuron.b.data = random.uniform(-1, 1)  # micrograd starts biases at 0; make them count

    W1, b1 = layer_matrices(linear.layers[0])  # (4, 3), (4,)
    W2, b2 = layer_matrices(linear.layers[1])  # (2, 4), (2,)
    W, b = W2 @ W1, W2 @ b1 + b2  # the single equivalent layer: (2, 3), (2,)
    inputs = rng.normal(size=(20, 3))
    collapse_error = max(np.abs(run(linear, x) - (W @ x + b)).max() for x in inputs)

    def superposition_error(model):
        zero = run(model, np.zeros(3))
        g = lambda x: run(model, x) - zero  # noqa: E731  (remove the bias: g is linear if f is affine)
        errors = [
            np.abs(g(a + c) - (g(a) + g(c))).max() for a, c in zip(inputs[:10], inputs[10:], strict=True)
        ]
        return max(errors)

    return {
        "collapse_error": collapse_error,
        "single_matrix": W,
        "superposition_error_linear": superposition_error(linear),
        "superposition_error_tanh": superposition_error(with_tanh),
    }


def plot(zs, table, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    for name, (values, slopes) in table.items():
        left.plot(zs, values, label=name)
        right.plot(zs, slopes, label=name)
    left.set_title("phi(z)")
    right.set_title("phi'(z), from backward()")
    for axes in (left, right):
        axes.axhline(0, color="grey", linewidth=0.5)
        axes.axvline(0, color="grey", linewidth=0.5)
        axes.set_xlabel("z")
    left.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def main(out="out", quick=False):
    """Print the derivative table and the linearity checks; return the numbers and files."""
    zs = np.linspace(-4, 4, 41 if quick else 161)
    table = curves(zs)
    print("phi'(z) from backward() at z = -2, 0.5, 2:")
    for name, (_, slopes) in table.items():
        picks = [slopes[np.argmin(np.abs(zs - z))] for z in (-2, 0.5, 2)]
        print(f"  {name:<24}" + "  ".join(f"{s: .4f}" for s in picks))

    checks = linearity()
    print("\nwithout activations, two layers are one matrix:")
    print(f"  max |MLP(x) - (W x + b)| with W = W2 W1, b = W2 b1 + b2: {checks['collapse_error']:.2e}")
    print(f"  superposition g(a+c) - g(a) - g(c), linear MLP: {checks['superposition_error_linear']:.2e}")
    print(f"  superposition g(a+c) - g(a) - g(c), tanh MLP:   {checks['superposition_error_tanh']:.2e}")

    files = []
    try:
        files.append(plot(zs, table, Path(out) / "activations.png"))
        print(f"\nplot written to {files[-1]}")
    except ImportError:
        print("\nmatplotlib is not installed: pip install matplotlib to get the plot")
    return {"z": zs, "curves": table, **checks, "files": files}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for the pictures (default: out/)")
    parser.add_argument("--quick", action="store_true", help="fewer points on each curve")
    arguments = parser.parse_args()
    main(arguments.out, arguments.quick)
