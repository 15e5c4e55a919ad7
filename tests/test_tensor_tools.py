"""draw_dot and gradcheck on Tensor graphs."""

import re
import shutil
import subprocess

import numpy as np
import pytest

from tinygrad_edu import GradcheckError, Tensor, draw_dot, gradcheck, nn
from tinygrad_edu.graph import topological_order
from tinygrad_edu.tensor import BACKWARD_RULES

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")


def _layer():
    W = Tensor(np.arange(6.0).reshape(3, 2) / 10, requires_grad=True, label="W")
    b = Tensor(np.zeros(3), requires_grad=True, label="b")
    x = Tensor(np.array([[1.0, -2.0], [0.5, 0.5]]), label='x <"input">')
    loss = (x @ W.T + b).tanh().sum()
    loss.backward()
    return loss, W, b, x


def test_draw_dot_shows_every_tensor_with_its_shape_and_every_op():
    loss, W, b, x = _layer()
    source = draw_dot(loss).source
    # nodes: W, x, W.T, @, b, +, tanh, sum = 8 tensors, of which 5 were computed by an op
    assert source.count("shape=plaintext") == 8 and source.count("shape=ellipse") == 5
    # edges: op -> output (5) plus inputs -> op: T(1) @(2) +(2) tanh(1) sum(1)
    assert len(re.findall(r"->", source)) == 5 + 7
    for shape in ["(3, 2)", "(2, 3)", "(2, 2)", "(3,)", "shape ()"]:
        assert shape in source
    assert "&lt;&quot;input&quot;&gt;" in source  # the label is escaped, not raw
    assert "grad None" in source  # x does not require grad
    for op in ["@", "tanh", "sum", "transpose"]:
        assert f"label={op} " in source or f'label="{op}" ' in source


@needs_dot
def test_draw_dot_tensor_graph_renders_with_graphviz(tmp_path):
    loss, *_ = _layer()
    dot = draw_dot(loss)
    result = subprocess.run(["dot", "-Tsvg"], input=dot.source, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "<svg" in result.stdout


def test_draw_dot_on_a_training_step_graph_and_topological_order():
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3))
    loss = nn.cross_entropy(model(Tensor(np.ones((5, 2)))), np.array([0, 1, 2, 0, 1]))
    order = topological_order(loss)
    assert [n._op for n in order if n._op] == ["linear", "relu", "linear", "cross_entropy"]
    assert "cross_entropy" in draw_dot(loss).source and "(5, 3)" in draw_dot(loss).source


def test_gradcheck_passes_for_correct_tensor_gradients():
    rng = np.random.default_rng(0)
    a = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = Tensor(rng.standard_normal((3,)), requires_grad=True)
    assert gradcheck(lambda a, b: (a * b).sigmoid().sum(axis=0).max(), [a, b])


def test_gradcheck_names_each_mismatching_tensor_entry(monkeypatch):
    # a deliberately wrong rule for exp: it forgets to multiply by e**x (says d/dx e**x = 1)
    monkeypatch.setitem(BACKWARD_RULES, "exp", lambda out, g: out._prev[0]._add_grad(g.copy()))
    x = Tensor(np.array([[0.0, 1.0], [-1.0, 0.0]]), requires_grad=True, label="x")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: x.exp().sum(), [x])
    message = str(info.value)
    # e**0 = 1 happens to be right; the entries at 1 and -1 are wrong, and named by index
    assert "[0, 1]" in message and "[1, 0]" in message
    assert "[0, 0]" not in message and "[1, 1]" not in message
    assert "'x'" in message and "2 gradient(s)" in message
    assert f"{np.e!r}"[:8] in message  # the numeric value e**1 is shown


def test_gradcheck_rejects_tensors_without_requires_grad_and_non_scalar_outputs():
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda x: x.sum(), [Tensor([1.0])])
    with pytest.raises(TypeError, match=r"\(2,\)"):
        gradcheck(lambda x: x * 2, [Tensor([1.0, 2.0], requires_grad=True)])
