"""draw_dot: structure read back from the DOT text, valid DOT for any label, real renders."""

import json
import re
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_edu import Value, draw_dot
from tinygrad_edu.graph import topological_order

HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz's dot program is not installed")

NODE = re.compile(r'^\s*"?([\w]+)"?\s*\[label=(.*)\]\s*$')
EDGE = re.compile(r'^\s*"?([\w]+)"?\s*->\s*"?([\w]+)"?\s*$')


def parse(source):
    """Nodes {id: label text} and edges [(tail, head)] from the DOT text draw_dot writes."""
    nodes, edges = {}, []
    for line in source.splitlines():
        m = EDGE.match(line)
        if m:
            edges.append(m.groups())
            continue
        m = NODE.match(line)
        if m:
            nodes[m.group(1)] = m.group(2)
    return nodes, edges


def op_text(label):
    """The text of an op node's label, as written: tanh, or "* 0.5" (quoted when needed)."""
    text = label.rsplit(" shape=", 1)[0]
    return text[1:-1] if text.startswith('"') else text


def neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    y = n.tanh()
    y.label = "y"
    y.backward()
    return y, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, n=n)


def test_neuron_graph_structure():
    y, leaves = neuron()
    nodes, edges = parse(draw_dot(y).source)
    order = topological_order(y)
    values = {str(id(v)): v for v in order}
    ops = {str(id(v)) + "_op": v for v in order if v._op}
    # one box per value, one oval per op, nothing else
    assert set(nodes) == set(values) | set(ops)
    # edges: input -> op -> output, exactly
    expected = {(op_id, op_id[:-3]) for op_id in ops}
    expected |= {(str(id(c)), op_id) for op_id, v in ops.items() for c in v._prev}
    assert set(edges) == expected and len(edges) == len(expected)
    # each box shows label, data and grad to 4 decimals
    for name, v in leaves.items():
        label = nodes[str(id(v))]
        assert f"<B>{name}</B>" in label
        assert f"data {v.data:.4f}" in label and f"grad {v.grad:.4f}" in label
    assert op_text(nodes[str(id(y)) + "_op"]) == "tanh"


def test_rankdir_is_honoured_and_checked():
    y, _ = neuron()
    assert "rankdir=TB" in draw_dot(y, rankdir="TB").source
    assert "rankdir=LR" in draw_dot(y).source
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(y, rankdir="sideways")
    with pytest.raises(TypeError, match="float"):
        draw_dot(1.5)


@pytest.mark.parametrize(
    "make,text",
    [
        (lambda x: x**2, "**2"),
        (lambda x: x * 0.5, "* 0.5"),
        (lambda x: x - 1, "- 1"),
        (lambda x: 2 + x, "+ 2"),
        (lambda x: x / 4, "/ 4"),
        (lambda x: x.leaky_relu(0.2), "leaky_relu(0.2)"),
    ],
)
def test_constant_ops_show_their_constant(make, text):
    x = Value(3.0, label="x")
    y = make(x)
    assert y._prev == (x,)
    nodes, edges = parse(draw_dot(y).source)
    assert text in [op_text(label) for label in nodes.values()]
    assert len(nodes) == 3 and len(edges) == 2


def test_deep_graph_draws_without_recursion():
    x = Value(1.0)
    for _ in range(3000):  # 3,001 value nodes, 3,000 op nodes
        x = x * 1.0001
    nodes, edges = parse(draw_dot(x).source)
    assert len(nodes) == 3001 + 3000 and len(edges) == 2 * 3000
    assert [op_text(label) for label in nodes.values()].count("* 1.0001") == 3000


odd_text = (
    st.text(alphabet=st.sampled_from(list("ab\"{}<>|\\\n\t\r\x00&;[]='# -")), max_size=12)
    | st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=6)
    | st.text(max_size=8)
)


@needs_dot
@settings(max_examples=25)
@given(labels=st.lists(odd_text, min_size=3, max_size=3))
def test_any_label_gives_valid_dot(labels):
    a, b = Value(1.0, label=labels[0]), Value(-2.0, label=labels[1])
    c = (a * b).tanh()
    c.label = labels[2]
    c.backward()
    result = subprocess.run(
        ["dot", "-Tjson"], input=draw_dot(c).source, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    graph = json.loads(result.stdout)
    # dot read back the same graph: 4 values (a, b, a*b, tanh) + 2 ops, 5 edges
    assert len(graph["objects"]) == 6 and len(graph["edges"]) == 5


@needs_dot
@pytest.mark.parametrize("fmt,magic", [("svg", b"<svg"), ("png", b"\x89PNG")])
def test_render_writes_real_files(tmp_path, fmt, magic):
    y, _ = neuron()
    path = draw_dot(y).render(tmp_path / "neuron", format=fmt)
    data = open(path, "rb").read()
    assert magic in data[:400]
