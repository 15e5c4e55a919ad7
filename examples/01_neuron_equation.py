"""Example 1: the neuron equation y = phi(w . x + b), one step at a time.

What it shows: a neuron with two inputs and phi = tanh, computed node by node (forward),
the local derivative of every node, the chain rule multiplied out by hand, and the same
gradients from ``backward()``, side by side (they must agree). A nudge test confirms a
gradient's meaning: moving w1 by a little h moves y by about h * dy/dw1. Finally the graph
is drawn, every box showing a value's data and grad.

Run:   python examples/01_neuron_equation.py [--out out/]
Writes: out/neuron_equation.svg (or .dot text if Graphviz's dot program is missing)
"""

import argparse
import math
from pathlib import Path

from tinygrad_edu import Value, draw_dot
from tinygrad_edu.cli import save_graph


def main(out="out", quick=False):
    """Print the step-by-step computation; return the hand-made and backward() gradients.

    ``quick`` changes nothing here (the example is instant) but is accepted like everywhere.
    """
    # ---- forward: the neuron equation n = w1*x1 + w2*x2 + b, y = tanh(n) ----
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")  # the inputs
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")  # the weights
    b = Value(6.8813735870195432, label="b")  # the bias
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    weighted_sum = x1w1 + x2w2
    weighted_sum.label = "x1*w1 + x2*w2"
    n = weighted_sum + b
    n.label = "n"
    y = n.tanh()
    y.label = "y"

    print("forward pass")
    for node in (x1w1, x2w2, weighted_sum, n, y):
        print(f"  {node.label:>15} = {node.data: .6f}")

    # ---- local derivatives: how each node's output moves with each of its inputs ----
    local = {
        "dy/dn": 1 - y.data**2,  # tanh'(n) = 1 - tanh(n)**2
        "dn/d(weighted_sum)": 1.0,  # n = weighted_sum + b
        "dn/db": 1.0,
        "d(weighted_sum)/d(x1*w1)": 1.0,  # a sum passes gradients through unchanged
        "d(weighted_sum)/d(x2*w2)": 1.0,
        "d(x1*w1)/dw1": x1.data,
        "d(x1*w1)/dx1": w1.data,  # a product gives each input
        "d(x2*w2)/dw2": x2.data,
        "d(x2*w2)/dx2": w2.data,  # the other input's value
    }
    print("\nlocal derivatives")
    for name, value in local.items():
        print(f"  {name:>26} = {value: .6f}")

    # ---- the chain rule by hand: multiply the local derivatives along the path to y ----
    dy_dsum = local["dy/dn"] * local["dn/d(weighted_sum)"]
    by_hand = {
        "w1": dy_dsum * local["d(weighted_sum)/d(x1*w1)"] * local["d(x1*w1)/dw1"],
        "x1": dy_dsum * local["d(weighted_sum)/d(x1*w1)"] * local["d(x1*w1)/dx1"],
        "w2": dy_dsum * local["d(weighted_sum)/d(x2*w2)"] * local["d(x2*w2)/dw2"],
        "x2": dy_dsum * local["d(weighted_sum)/d(x2*w2)"] * local["d(x2*w2)/dx2"],
        "b": local["dy/dn"] * local["dn/db"],
    }

    # ---- the same numbers from backpropagation ----
    y.backward()
    from_backward = {v.label: v.grad for v in (w1, x1, w2, x2, b)}
    print("\ngradients dy/d(.)      by hand     backward()")
    for name in by_hand:
        print(f"  {name:>18}  {by_hand[name]: .6f}   {from_backward[name]: .6f}")
        assert math.isclose(by_hand[name], from_backward[name], rel_tol=1e-12, abs_tol=1e-12)

    # ---- what a gradient means: nudge w1 and watch y ----
    h = 1e-4
    nudged_y = math.tanh((w1.data + h) * x1.data + w2.data * x2.data + b.data)
    print(f"\nnudge w1 by h = {h}: y moves by {nudged_y - y.data:.3e}, and h * dy/dw1 = {h * w1.grad:.3e}")

    written, hint = save_graph(draw_dot(y), Path(out) / "neuron_equation.svg")
    print(f"\ngraph written to {written}")
    if hint:
        print(hint)
    return {
        "y": y.data,
        "by_hand": by_hand,
        "backward": from_backward,
        "nudge": (nudged_y - y.data) / h,
        "files": [written],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for the pictures (default: out/)")
    parser.add_argument("--quick", action="store_true", help="accepted for symmetry; already instant")
    arguments = parser.parse_args()
    main(arguments.out, arguments.quick)
