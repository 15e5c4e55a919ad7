"""Pictures meant to show one backward pass obey the chain rule: a drawn gradient equals
the product the chain rule gives, computed from the numbers drawn beside it (the oracle)."""

import html
import io
import json
import re
from pathlib import Path

import pytest

ROW = re.compile(r"<B>([^<]+)</B></TD><TD>data (\S+)</TD><TD>grad (\S+)</TD>")


def drawn_numbers(picture):
    """label -> (data, grad) for every labelled box of a draw_dot picture: its DOT source, or
    the SVG that Graphviz drew from it (one <g class="node"> per box, one <text> per cell)."""
    if not picture.lstrip().startswith("<?xml"):
        return {label: (float(data), float(grad)) for label, data, grad in ROW.findall(picture)}
    numbers = {}
    for node in picture.split('class="node"')[1:]:
        cells = [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", node.split("</g>")[0])]
        if len(cells) == 3 and cells[1].startswith("data ") and cells[2].startswith("grad "):
            numbers[cells[0]] = (float(cells[1][5:]), float(cells[2][5:]))
    return numbers


def check_relu_neuron(numbers):
    """h = relu(w1*x1 + w2*x2 + b): dh/dwi = xi * relu'(n), dh/dxi = wi * relu'(n), dh/db = relu'(n)."""
    h = numbers["h"][0]
    slope = 1.0 if h > 0 else 0.0  # relu'(n)
    for i in ("1", "2"):
        (x, x_grad), (w, w_grad) = numbers["x" + i], numbers["w" + i]
        assert w_grad == pytest.approx(x * slope, abs=2e-4), (i, numbers)
        assert x_grad == pytest.approx(w * slope, abs=2e-4), (i, numbers)
    assert numbers["b"][1] == pytest.approx(slope, abs=1e-4)
    assert h > 0  # a neuron that fires, so the gradients are not all zero


def test_the_demos_trained_neuron_shows_one_backward_pass(tmp_path):
    from tinygrad_edu.demo import run_demo

    results = run_demo(out_dir=tmp_path, quick=True, stdout=io.StringIO())
    written = results["files"][-1]  # moons_neuron.svg (its DOT text next to it without dot)
    assert written.stem == "moons_neuron"
    numbers = drawn_numbers(written.read_text())
    assert set(numbers) == {"x1", "x2", "w1", "w2", "b", "h"}
    check_relu_neuron(numbers)


def test_the_notebooks_trained_neuron_cell_starts_from_zeroed_gradients():
    notebook = json.loads((Path(__file__).parents[1] / "examples" / "walkthrough.ipynb").read_text())
    sources = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    cell = next(s for s in sources if "h.backward()" in s and "model.layers[0]" in s)
    # run the cell on a small trained model: its grads hold what the last training step left
    import random

    import numpy as np

    from tinygrad_edu import Value, draw_dot, nn

    random.seed(0)
    model = nn.MLP(2, [4, 1])
    X = np.array([[0.9, 0.4], [-0.3, 0.8]])
    for p in model.parameters():
        p.grad = 0.37  # leftovers of training
    for unit in model.layers[0].neurons:  # make every unit fire on the first point
        unit.b.data = 5.0
    scope = {"model": model, "X": X, "Value": Value, "draw_dot": draw_dot}
    exec(cell, scope)  # noqa: S102 - the repository's own notebook cell
    check_relu_neuron(drawn_numbers(draw_dot(scope["h"]).source))
