"""The `tinygrad-edu` command line: `draw` (gradients, graph files, rejected input) and `demo`.

The oracle for gradients is independent of the engine: each expression is written a second
time as a plain Python function using `math`, and its slopes are central differences.
"""

import io
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu.cli import main

ROOT = Path(__file__).resolve().parents[1]
HAVE_DOT = shutil.which("dot") is not None


def neuron_args(b="6.88"):
    """The command-line words for the lecture's neuron, tanh(w1*x1 + w2*x2 + b), at its point."""
    return ("tanh(w1*x1 + w2*x2 + b)", "--set", "x1=2", "x2=0", "w1=-3", "w2=1", f"b={b}")


def run_main(*argv):
    """main() in-process: (status, stdout text, stderr text)."""
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def run_module(*argv, env=None):
    """`python -m tinygrad_edu ...` in a fresh interpreter."""
    environment = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "tinygrad_edu", *argv],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def printed_table(stdout):
    """{name: (value, grad)} from the table `draw` prints under its header line."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("variable"))
    table = {}
    for line in lines[start + 1 :]:
        match = re.fullmatch(r"(\w+)\s+(\S+)\s+(\S+)", line)
        if not match:
            break
        table[match[1]] = (float(match[2]), float(match[3]))
    return table


def printed_output(stdout):
    """The value of f, printed on the second line (the first shows the expression)."""
    second = stdout.splitlines()[1]
    assert second.startswith("f = ")
    return float(second[len("f = ") :])


def central_differences(f, point, h=1e-6):
    slopes = {}
    for name in point:
        up, down = dict(point), dict(point)
        up[name] += h
        down[name] -= h
        slopes[name] = (f(up) - f(down)) / (2 * h)
    return slopes


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


# (expression, the same function in plain Python, a point)
CASES = [
    (
        "tanh(w1*x1 + w2*x2 + b)",
        lambda v: math.tanh(v["w1"] * v["x1"] + v["w2"] * v["x2"] + v["b"]),
        {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.88},
    ),
    (
        "sigmoid(a*b - c/d) + exp(-a) * log(c)",
        lambda v: sigmoid(v["a"] * v["b"] - v["c"] / v["d"]) + math.exp(-v["a"]) * math.log(v["c"]),
        {"a": 0.7, "b": -1.3, "c": 2.5, "d": 1.7},
    ),
    (
        "relu(x*y + 1) ** 2 + leaky_relu(x - 3, 0.1) * y",
        lambda v: (
            max(0.0, v["x"] * v["y"] + 1) ** 2 + (v["x"] - 3 if v["x"] > 3 else 0.1 * (v["x"] - 3)) * v["y"]
        ),
        {"x": 1.2, "y": 0.8},
    ),
    (
        "x * x * x - 2 / x + -(+x) ** 3",  # one variable used many times: gradients accumulate
        lambda v: v["x"] ** 3 - 2 / v["x"] - v["x"] ** 3,
        {"x": 1.5},
    ),
    (
        "leaky_relu(u) + u ** v",  # default slope 0.01, and a variable exponent
        lambda v: (v["u"] if v["u"] > 0 else 0.01 * v["u"]) + v["u"] ** v["v"],
        {"u": 1.3, "v": 2.2},
    ),
    ("leaky_relu(-u, 0.2) * 3", lambda v: 0.2 * -v["u"] * 3, {"u": 0.9}),
]


@pytest.mark.parametrize("expression, f, point", CASES, ids=[c[0] for c in CASES])
def test_printed_values_and_gradients_match_central_differences(expression, f, point):
    status, out, err = run_main("draw", expression, "--set", *[f"{k}={v!r}" for k, v in point.items()])
    assert (status, err) == (0, "")
    assert printed_output(out) == pytest.approx(f(point), rel=1e-9, abs=1e-12)
    table = printed_table(out)
    assert set(table) == set(point)
    numeric = central_differences(f, point)
    for name, (value, grad) in table.items():
        assert value == point[name]
        assert grad == pytest.approx(numeric[name], rel=1e-5, abs=1e-6), name


def test_variables_are_listed_in_order_of_first_appearance():
    status, out, _ = run_main("draw", "b*a + c*a", "--set", "a=1", "c=2", "b=3")
    assert status == 0
    assert list(printed_table(out)) == ["b", "a", "c"]
    assert printed_table(out)["a"] == (1.0, 5.0)  # d(ba + ca)/da = b + c


def test_console_entry_via_python_dash_m():
    result = run_module("draw", "w*x + b", "--set", "w=-3", "x=2", "b=1")
    assert result.returncode == 0, result.stderr
    assert printed_output(result.stdout) == -5.0
    assert printed_table(result.stdout) == {"w": (-3.0, 2.0), "x": (2.0, -3.0), "b": (1.0, 1.0)}


@pytest.mark.skipif(
    shutil.which("tinygrad-edu") is None,
    reason="the package is not pip-installed, so there is no console script",
)
def test_installed_console_script_does_the_same():
    result = subprocess.run(
        ["tinygrad-edu", "draw", "w*x + b", "--set", "w=-3", "x=2", "b=1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert printed_table(result.stdout) == {"w": (-3.0, 2.0), "x": (2.0, -3.0), "b": (1.0, 1.0)}


# ***** rejected input: status 2, one line on stderr, no traceback, pointing at the problem *****


def col(expression, piece):
    """The 1-based column where `piece` starts in `expression`."""
    return f"column {expression.index(piece) + 1}"


REJECTED = [
    # (argv after 'draw', words the message must contain)
    (["x + y.real", "--set", "x=1", "y=2"], ["attribute", col("x + y.real", "y.real")]),
    (["x[0] * 2", "--set", "x=1"], ["indexing", col("x[0] * 2", "x[0]")]),
    (["1 + (lambda: 0)()"], ["lambda", col("1 + (lambda: 0)()", "lambda")]),
    (["x", "--set"], ["--set", "expected at least one"]),
    (["__import__('os').system('true')"], ["__import__"]),
    (
        ["exp(x) + __import__('os')", "--set", "x=1"],
        ["__import__", col("exp(x) + __import__('os')", "__import__")],
    ),
    (["x < 1", "--set", "x=1"], ["comparison", "column 1"]),
    (["tanh(x=1)"], ["keyword", col("tanh(x=1)", "x=1")]),
    (["x * sin(x)", "--set", "x=1"], ["unknown function", "'sin'", col("x * sin(x)", "sin")]),
    (["x.__class__.__bases__", "--set", "x=1"], ["attribute"]),
    (["os.system('ls')"], ["function name", "column 1"]),
    (["x // 2", "--set", "x=1"], ["//", col("x // 2", "//")]),
    (["'abc' * 2"], ["string"]),
    (["True + 1"], ["True"]),
    (["2j * x", "--set", "x=1"], ["complex"]),
    (["x if x else 1", "--set", "x=1"], ["else"]),
    (["tanh(x, 2)", "--set", "x=1"], ["tanh", "one argument"]),
    (["exp + 1"], ["'exp'", "function"]),
    (["w*x + b", "--set", "w=1", "x=2"], ["b", "--set b="]),  # unknown name: no value
    (["w*x + b", "--set", "w=1", "x"], ["'x'", "="]),  # --set without '='
    (["w*x", "--set", "w=1", "x=two"], ["'two'", "not a number"]),  # --set not a number
    (["w*x", "--set", "w=1", "=3", "x=1"], ["not a variable name"]),
    (["x +* 2", "--set", "x=1"], ["syntax", "column 4"]),
    (["(x + 1", "--set", "x=1"], ["syntax", "never closed"]),
    ([""], ["empty"]),
    (["(" * 300 + "x" + ")" * 300, "--set", "x=1"], ["nested"]),  # the parser refuses
    (["x" + "+x" * 9990, "--set", "x=1"], ["nested too deeply"]),  # RecursionError in ast
    (["-" * 19990 + "x", "--set", "x=1"], ["nested too deeply"]),  # MemoryError in ast
    (["x" + "+x" * 15000, "--set", "x=1"], ["30,001 characters", "limit is 20,000"]),  # refused unparsed
    (["x", "--set", "x=1", "-o", "graph.jpg"], ["graph.jpg", ".svg"]),
    (["leaky_relu(x, y)", "--set", "x=1", "y=2"], ["slope", col("leaky_relu(x, y)", "y)")]),
]


@pytest.mark.parametrize("argv, words", REJECTED, ids=[a[0][:40] for a, _ in REJECTED])
def test_rejected_input_exits_2_with_one_line(argv, words, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run_main("draw", *argv)
    assert status == 2
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err and err.startswith("tinygrad-edu draw: error: "), err
    for word in words:
        assert word in err, (word, err)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_rejected_input_in_a_fresh_process_has_no_traceback():
    for argv in (["os.system('true')"], ["x" + "+x" * 30000, "--set", "x=1"], ["x", "--set", "x"]):
        result = run_module("draw", *argv)
        assert result.returncode == 2
        assert result.stdout == ""
        assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_command_line_mistakes_are_one_line_with_status_2():
    for argv, words in ((["bogus"], "invalid choice: 'bogus'"), (["draw"], "expression"), ([], "draw,demo")):
        status, out, err = run_main(*argv)
        assert status == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err
        assert err.startswith("tinygrad-edu") and words in err, err


@pytest.mark.parametrize(
    "argv",
    [
        ["-x**2 + 1", "--set", "x=3"],
        ["--set", "x=3", "-o", "g.dot", "-x**2 + 1"],
        ["--set", "x=3", "--", "-x**2 + 1"],
        ["-x**2 + 1", "--set=x=3"],
    ],
)
def test_an_expression_may_start_with_a_minus(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run_main("draw", *argv)
    assert (status, err) == (0, "")
    assert printed_output(out) == -8.0 and printed_table(out) == {"x": (3.0, -6.0)}


def test_deep_but_parsable_nesting_is_evaluated_without_recursion():
    # 2,000 additions nest 2,000 levels deep in the syntax tree; 251 negations as well
    status, out, err = run_main("draw", "+".join(["x"] * 2000), "--set", "x=0.5")
    assert (status, err) == (0, "")
    assert printed_table(out) == {"x": (0.5, 2000.0)}
    status, out, _ = run_main("draw", "-" * 251 + "x", "--set", "x=0.5")
    assert status == 0 and printed_output(out) == -0.5 and printed_table(out) == {"x": (0.5, -1.0)}


def test_an_unwritable_output_is_one_line_with_status_1(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    status, _, err = run_main("draw", "x", "--set", "x=1", "-o", str(blocker / "graph.dot"))
    assert status == 1 and err.count("\n") == 1 and "cannot write" in err and "Traceback" not in err


# ***** output files *****


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz's dot program is not installed")
@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf"])
def test_rendered_graph_files_are_real(tmp_path, suffix):
    target = tmp_path / "sub" / f"neuron{suffix}"
    status, out, _ = run_main("draw", *neuron_args(), "-o", str(target))
    assert status == 0 and str(target) in out
    data = target.read_bytes()
    if suffix == ".svg":
        text = data.decode()
        assert text.startswith("<?xml") or "<svg" in text
        for label in ("x1", "x2", "w1", "w2", "b", "tanh"):  # every variable and the op
            assert f">{label}<" in text
    elif suffix == ".png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000
    else:
        assert data.startswith(b"%PDF")


def test_dot_text_output_is_valid_dot(tmp_path):
    target = tmp_path / "graph.dot"
    status, _, _ = run_main("draw", "exp(a) * a", "--set", "a=1", "-o", str(target))
    assert status == 0
    source = target.read_text()
    assert source.lstrip().startswith("digraph") and source.count("->") == 5  # a->exp->e, a,e->*->out
    if HAVE_DOT:
        check = subprocess.run(["dot", "-Tsvg", str(target)], capture_output=True)
        assert check.returncode == 0 and b"<svg" in check.stdout


def test_without_dot_an_svg_is_laid_out_in_python_and_a_png_falls_back_to_dot_text(tmp_path):
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    target = tmp_path / "neuron.svg"
    result = run_module("draw", "tanh(x)", "--set", "x=0.5", "-o", str(target), env={"PATH": str(empty_bin)})
    assert result.returncode == 0, result.stderr
    svg = target.read_text()
    assert svg.startswith("<svg") and ">x<" in svg and "tanh" in svg and f"{math.tanh(0.5):.4f}" in svg
    target = tmp_path / "neuron.png"
    result = run_module("draw", "tanh(x)", "--set", "x=0.5", "-o", str(target), env={"PATH": str(empty_bin)})
    assert result.returncode == 0, result.stderr
    fallback = tmp_path / "neuron.dot"
    assert not target.exists() and fallback.read_text().lstrip().startswith("digraph")
    hint = [line for line in result.stdout.splitlines() if "dot -Tpng" in line]
    assert len(hint) == 1 and str(fallback) in hint[0]


# ***** demo *****


def test_demo_quick_in_a_fresh_process(tmp_path):
    result = run_module("demo", "--quick", "--out", str(tmp_path / "pictures"))
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stdout  # not a terminal: plain progress lines
    steps = re.findall(r"step\s+(\d+)/(\d+)\s+loss (\S+)\s+accuracy\s+(\S+)%", result.stdout)
    assert len(steps) >= 2 and steps[-1][0] == steps[-1][1]
    assert float(steps[-1][2]) < float(steps[0][2])  # training lowered the loss
    # the neuron equation from the lecture: y = tanh(0.8814) = 1/sqrt(2), dy/dw1 = x1 * (1 - y**2) = 1
    assert re.search(r"y = tanh\(n\) = 0\.7071", result.stdout)
    assert re.search(r"dy/dw1 = 1\.0000\s+dy/dx1 = -1\.5000", result.stdout)
    pictures = tmp_path / "pictures"
    names = sorted(p.name for p in pictures.iterdir())
    if HAVE_DOT:
        assert names == [
            "moons_boundary.png",
            "moons_neuron.svg",
            "neuron.svg",
            "neuron_backprop.html",
            "training.html",
        ]
        page = pictures / "neuron_backprop.html"
        assert f"step through the backward pass in a browser: {page}" in result.stdout
        assert page.read_text().startswith("<!DOCTYPE html>")
        training = pictures / "training.html"  # the run, frame by frame (watch): a frame every 2 of 25 steps
        assert f"the training, frame by frame, in {training}" in result.stdout
        assert '"steps":[0,2,4,6,8,10,12,14,16,18,20,22,24]' in training.read_text()
    assert (pictures / "moons_boundary.png").read_bytes().startswith(b"\x89PNG")


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_demo_full_run_reaches_95_percent_and_shows_a_live_line(tmp_path):
    from tinygrad_edu.demo import run_demo

    terminal = FakeTerminal()
    results = run_demo(out_dir=tmp_path, quick=False, stdout=terminal)
    # accuracy recomputed here from the trained model's raw scores
    model, X, y = results["model"], results["X"], results["y"]
    predictions = np.array([1 if model([float(a), float(b)]).data > 0 else -1 for a, b in X])
    accuracy = float(np.mean(predictions == y))
    assert accuracy >= 0.95 and len(y) == 100
    assert accuracy == pytest.approx(results["accuracy"])
    assert terminal.getvalue().count("\r") >= 100  # one rewrite of the progress line per step
    assert all(Path(f).exists() for f in results["files"])
