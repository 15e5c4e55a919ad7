"""play: the page read as text (one script, allowed by its hash; the JSON; hostile labels that
stay inert), the size limit, Graphviz errors, Jupyter's iframe, and `tinygrad-edu play`.
(tests/test_player_browser.py opens the pages in a real browser.)"""

import base64
import hashlib
import html
import io
import json
import math
import os
import re
import shutil
import stat
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pytest
from test_cli import neuron_args, run_main, run_module

import tinygrad_edu.player.layout as layout
from tinygrad_edu import Player, Tensor, Value, nn, play
from tinygrad_edu.player import MAX_NODES, GraphvizError

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(2)</script>",
    "<!-- a comment",
    "& &amp; \"quotes\" 'too'",
    "{{ json }}",
]


class Page(HTMLParser):
    """The parts of a page that matter here: scripts (attributes, text), meta tags, iframes."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.scripts, self.metas, self.elements, self._script = [], [], [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag == "script":
            self._script = [dict(attrs), ""]
        elif tag == "meta":
            self.metas.append(dict(attrs))

    def handle_data(self, data):
        if self._script is not None:
            self._script[1] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self.scripts.append(tuple(self._script))
            self._script = None


def neuron(b=6.8813735870195432):
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    bias = Value(b, label="b")
    n = x1 * w1 + x2 * w2 + bias
    n.label = "n"
    y = n.tanh()
    y.label = "y"
    return y, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=bias)


def strict_json(text):
    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def document_of(page_text):
    ((attrs, text),) = [s for s in Page(page_text).scripts if s[0].get("type") == "application/json"]
    return strict_json(text)


@pytest.fixture(scope="module")
def neuron_page():
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")
    y, leaves = neuron()
    return play(y), leaves


def sha256_source(text):
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_one_script_runs_and_the_policy_allows_exactly_it(neuron_page):
    player, _ = neuron_page
    text = player.html()
    page = Page(text)
    runnable = [body for attrs, body in page.scripts if attrs.get("type") != "application/json"]
    assert len(runnable) == 1 and len(page.scripts) == 2
    assert all("src" not in attrs for attrs, _ in page.scripts)
    (policy,) = [m["content"] for m in page.metas if m.get("http-equiv") == "Content-Security-Policy"]
    rules = dict(rule.strip().split(" ", 1) for rule in policy.split(";"))
    assert rules["default-src"] == "'none'"
    assert rules["script-src"] == sha256_source(runnable[0])
    style = re.search(r"<style>(.*?)</style>", text, re.S).group(1)
    assert rules["style-src"] == sha256_source(style)
    # it loads nothing: the only URLs are the SVG namespaces, no link, img or iframe
    assert set(re.findall(r"https?://[^\s\"'<>]+", text)) <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }
    assert not [tag for tag, _ in page.elements if tag in ("link", "img", "iframe", "object", "embed")]
    assert text.index("Content-Security-Policy") < text.index("<script")


def test_the_document_holds_the_lectures_numbers(neuron_page):
    player, _ = neuron_page
    document = document_of(player.html())
    assert document == player.document
    frames = document["frames"]
    # start, 10 values forward, the seed, 5 operations backward, done
    assert len(frames) == 1 + 10 + 1 + 5 + 1
    assert [f["phase"] for f in frames[1:3]] == ["forward 1 / 10", "forward 2 / 10"]
    assert frames[12]["phase"] == "backward 1 / 5" and frames[-1]["phase"] == "done"
    # the oracle: y = tanh(n), dy/dn = 1 - tanh(n)**2, dy/dw1 = x1 dy/dn, dy/dx1 = w1 dy/dn
    n = 2.0 * -3.0 + 0.0 * 1.0 + 6.8813735870195432
    dn = 1 - math.tanh(n) ** 2
    expected = {"x1": -3.0 * dn, "w1": 2.0 * dn, "x2": 1.0 * dn, "w2": 0.0, "b": dn}
    assert sorted(frames[-1]["lines"]) == sorted(f"dL/d{k} = {v:.4f}" for k, v in expected.items())
    assert "dL/dw1 = 1.0000" in frames[-1]["lines"] and "dL/dx1 = -1.5000" in frames[-1]["lines"]
    names = [node["name"] for node in document["nodes"]]
    assert names[:3] == ["x1", "w1", "v2"]  # unlabelled values are named by their place
    assert frames[3]["text"] == "v2 = x1 * w1 = 2 * (-3) = -6.0000"


def test_every_id_the_frames_use_is_in_the_picture(neuron_page):
    player, _ = neuron_page
    ids = set(re.findall(r'<g id="([^"]+)"', player.svg))
    used = {e["id"] for f in player.document["frames"] for e in f.get("edges", [])}
    used |= {f"n{i}" for i in range(len(player.document["nodes"]))}
    assert used <= ids and "e_n8_op_n9" not in ids
    assert "<?xml" not in player.svg and "<!--" not in player.svg and player.svg.startswith("<svg")


def test_playing_changes_no_gradient():
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")
    y, leaves = neuron()
    leaves["w1"].grad = 42.0  # whatever was there stays there
    play(y)
    assert leaves["w1"].grad == 42.0 and leaves["x1"].grad == 0.0 and y.grad == 0.0


@needs_dot
def test_hostile_labels_stay_text():
    values = [Value(float(i + 1), label=label) for i, label in enumerate(HOSTILE)]
    out = values[0]
    for v in values[1:]:
        out = out * v
    out.label = HOSTILE[1]
    page = play(out).html()
    template = open(os.path.join(os.path.dirname(layout.__file__), "player.html")).read()
    assert "<img" not in page and "onerror=alert(1)>" not in page.replace("onerror=alert(1)\\u003e", "")
    assert page.count("</script") == 2  # the ends of the two script blocks, nothing else
    assert page.count("<script") == 2 and page.count("<!--") == template.count("<!--")
    assert "<iframe" not in page
    names = [node["name"] for node in document_of(page)["nodes"]]
    assert set(HOSTILE) <= set(names)
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert html.unescape(title) == f"Backpropagation through {HOSTILE[1]}"


@needs_dot
def test_nan_and_inf_are_text_in_strict_json():
    x = Value(0.0, label="x")
    out = x.log() * x  # log(0) = -inf, and -inf * 0 = nan
    document = document_of(play(out).html())
    texts = json.dumps(document)
    assert "data -inf" in texts and "grad nan" in texts
    signs = [u["sign"] for f in document["frames"] for u in f.get("grads", [])]
    assert None in signs  # nan has no sign: shown in its own colour


@needs_dot
def test_tensor_graphs_show_shapes_and_summaries():
    np.random.seed(0)
    layer = nn.Linear(2, 16)
    layer.weight.label = "W"
    x = Tensor(np.random.randn(5, 2), label="x")
    loss = nn.mse_loss(layer(x).tanh(), Tensor(np.zeros((5, 16))))
    document = play(loss).document
    assert document["kind"] == "Tensor"
    frames = {f["phase"]: f for f in document["frames"]}
    assert "x = shape (5, 2), mean" in frames["forward 1 / 9"]["text"]
    steps = " ".join(f["text"] for f in document["frames"])
    assert "dL/dW += g.T @ x   (16, 2)" in steps
    done = frames["done"]["lines"]
    assert len(done) == 2 and done[0].startswith("dL/dW = mean ")  # the two parameters
    constants = [n for n in document["nodes"] if n["grad0"] == "grad None"]
    assert len(constants) == 2  # x and the target never get a gradient


def test_a_graph_past_the_limit_is_refused_with_the_limit_and_what_to_do():
    x = Value(1.0)
    out = x
    for _ in range(MAX_NODES):
        out = out + x
    with pytest.raises(ValueError) as error:
        play(out)
    assert f"up to {MAX_NODES} values" in str(error.value) and f"has {MAX_NODES + 1}" in str(error.value)
    assert "smaller" in str(error.value)
    with pytest.raises(TypeError, match="int"):
        play(3)
    with pytest.raises(ValueError, match=r"\(2,\)"):
        play(Tensor([1.0, 2.0], requires_grad=True) * 2)


def fake_dot(folder, script):
    folder.mkdir(exist_ok=True)
    dot = folder / "dot"
    dot.write_text(script)
    dot.chmod(dot.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return folder


def test_without_dot_the_python_layout_draws_and_asking_for_dot_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    player = play(Value(1.0, label="x") * 2)
    assert player.layout == "python" and ">x<" in player.svg and 'id="e_n0_n1_op"' in player.svg
    with pytest.raises(GraphvizError) as error:
        play(Value(1.0) * 2, layout="dot")
    message = str(error.value)
    assert isinstance(error.value, RuntimeError)
    for command in ("apt-get install graphviz", "brew install graphviz", "conda install"):
        assert command in message
    with pytest.raises(ValueError, match="'auto', 'dot' or 'python', got 'neato'"):
        play(Value(1.0) * 2, layout="neato")


BAD_DOTS = {  # a fake dot program, and what asking for dot alone reports
    "slow": (f"#!/bin/sh\nexec {shutil.which('sleep')} 5\n", "took more than 0.2 s"),
    "fails": ("#!/bin/sh\necho 'Error: boom' >&2\nexit 3\n", "could not lay out the graph: Error: boom"),
    "crashes": ("#!/bin/sh\nkill -SEGV $$\n", r"could not lay out the graph: it crashed \(signal 11\)"),
    "silent": ("#!/bin/sh\necho 'not svg'\n", "no <svg> in its output"),
    "broken": ("\x7fELF not really a program", "cannot run"),
}


@pytest.mark.parametrize("kind", BAD_DOTS)
def test_a_slow_failing_crashing_or_broken_dot_is_reported_or_replaced(kind, tmp_path, monkeypatch):
    script, message = BAD_DOTS[kind]
    monkeypatch.setenv("PATH", str(fake_dot(tmp_path / kind, script)))
    monkeypatch.setattr(layout, "DOT_TIMEOUT", 0.2)
    with pytest.raises(GraphvizError, match=message):
        play(Value(1.0) * 2, layout="dot")
    player = play(Value(1.0, label="x") * 2)  # "auto": the Python layout takes over
    assert player.layout == "python" and ">x<" in player.svg


def test_jupyter_shows_the_page_in_a_sandboxed_iframe_over_a_picture(neuron_page):
    player, _ = neuron_page
    output = player._repr_html_()
    elements = Page(output).elements
    (iframe,) = [attrs for tag, attrs in elements if tag == "iframe"]
    assert iframe["sandbox"] == "allow-scripts"  # scripts, but no access to the notebook
    assert iframe["srcdoc"] == player.html()  # the attribute unescapes to the very page
    (img,) = [attrs for tag, attrs in elements if tag == "img"]
    prefix = "data:image/svg+xml;base64,"
    assert img["src"].startswith(prefix)
    picture = base64.b64decode(img["src"][len(prefix) :]).decode()
    assert picture == player.svg and ">w1<" in picture and "grad 1.0000" in picture
    assert "<script" not in output.replace(html.escape("<script"), "")  # only inside srcdoc
    assert repr(player) == "<Player: Backpropagation through y, 18 frames>"


def test_save_writes_the_page_and_makes_folders(neuron_page, tmp_path):
    player, _ = neuron_page
    written = player.save(tmp_path / "a" / "b" / "page.html")
    assert written.read_text(encoding="utf-8") == player.html()
    assert isinstance(player, Player)


# ***** tinygrad-edu play *****


@needs_dot
def test_cli_play_writes_the_page_and_prints_the_table(tmp_path):
    target = tmp_path / "neuron.html"
    status, out, err = run_main("play", *neuron_args(), "-o", str(target))
    assert (status, err) == (0, "")
    assert f"player written to {target}" in out
    dn = 1 - math.tanh(2 * -3 + 6.88) ** 2  # with b = 6.88: dy/dw1 = 2 dn = 1.0019...
    assert re.search(r"^w1\s+-3\s+(\S+)$", out, re.M).group(1) == f"{2 * dn:.12g}"
    lines = document_of(target.read_text())["frames"][-1]["lines"]
    assert f"dL/dw1 = {2 * dn:.4f}" in lines and f"dL/dx1 = {-3 * dn:.4f}" in lines


@needs_dot
def test_cli_play_takes_an_expression_starting_with_a_minus(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, _ = run_main("play", "-x**2", "--set", "x=3")
    assert status == 0 and (tmp_path / "player.html").exists()  # the default file name


PLAY_REJECTED = [
    (["x.real", "--set", "x=1"], ["attribute", "column 1"]),
    (["x + y", "--set", "x=1"], ["no value for y"]),
    (["x", "--set", "x=one"], ["'one'", "not a number"]),
    (["x", "--set", "x=1", "-o", "page.svg"], ["page.svg", ".html"]),
    (["+".join(["x"] * (MAX_NODES + 5)), "--set", "x=1"], [f"up to {MAX_NODES} values", "smaller"]),
]


@pytest.mark.parametrize("argv, words", PLAY_REJECTED, ids=[a[0][:20] for a, _ in PLAY_REJECTED])
def test_cli_play_rejects_input_with_status_2_and_one_line(argv, words, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run_main("play", *argv)
    assert status == 2 and out == ""
    assert err.startswith("tinygrad-edu play: error: ") and err.count("\n") == 1, err
    for word in words:
        assert word in err, (word, err)
    assert list(tmp_path.iterdir()) == []


def test_cli_play_without_dot_writes_the_page_laid_out_in_python(tmp_path):
    result = run_module(
        "play", "x*2", "--set", "x=1", "-o", str(tmp_path / "p.html"), env={"PATH": str(tmp_path)}
    )
    assert result.returncode == 0 and result.stderr == "" and "player written to" in result.stdout
    assert 'id="n0"' in (tmp_path / "p.html").read_text()
    result = run_module(
        "play",
        "x*2",
        "--set",
        "x=1",
        "--layout",
        "dot",
        "-o",
        str(tmp_path / "q.html"),
        env={"PATH": str(tmp_path)},
    )
    assert result.returncode == 1 and result.stdout == ""
    assert "apt-get install graphviz" in result.stderr and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr and not (tmp_path / "q.html").exists()


def test_the_browser_tests_skip_without_chromium_except_in_ci(tmp_path):
    """tests/test_player_browser.py with no chromium on PATH: skipped with the reason, but
    with CI=true they fail, so that CI never passes without having run them."""
    folder = tmp_path / "bin"
    folder.mkdir()
    if shutil.which("dot"):
        (folder / "dot").symlink_to(shutil.which("dot"))  # Graphviz yes, chromium no
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(PATH=str(folder), PYTHONPATH=os.pathsep.join([root, env.get("PYTHONPATH", "")]))
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-cov", "-k", "policy"]
    command.append(os.path.join(root, "tests", "test_player_browser.py"))
    skipped = subprocess.run(command, env=env, cwd=root, capture_output=True, text=True, timeout=300)
    assert skipped.returncode == 0 and "1 skipped" in skipped.stdout, skipped.stdout
    assert "is not installed" in skipped.stdout
    failed = subprocess.run(
        command, env=dict(env, CI="true"), cwd=root, capture_output=True, text=True, timeout=300
    )
    assert failed.returncode == 1 and "must run, not skip" in failed.stdout, failed.stdout


def test_without_dot_the_play_command_and_the_demo_write_their_pages(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot anywhere
    status, out, err = run_main("play", "x*2", "--set", "x=1", "-o", str(tmp_path / "p.html"))
    assert status == 0 and err == "" and (tmp_path / "p.html").exists()
    status, out, err = run_main(
        "play", "x*2", "--set", "x=1", "--layout", "dot", "-o", str(tmp_path / "q.html")
    )
    assert status == 1 and out == "" and "apt-get install graphviz" in err and err.count("\n") == 1
    from tinygrad_edu.demo import neuron_equation

    numbers = neuron_equation(tmp_path / "out", io.StringIO())
    assert numbers["player"].exists() and (tmp_path / "out" / "neuron.dot").exists()  # the drawing as text
