"""The player in a real browser: Debian's chromium, driven by Playwright (never `playwright install`).

Each test reads the page the way a person does: it presses keys and buttons, reads the step
counter, the side panel and the boxes of the graph, and looks for anything the page should
never do: console errors, page errors, dialogs, requests that leave file:/data:/about:.
Without chromium or playwright the tests skip with the reason, except with CI=true in the
environment, where they must run and so fail instead. The lecture's neuron plays with both
layouts (Graphviz's dot where installed, and the Python one); the screenshot goes to a
temporary folder (scripts/refresh_pictures.py makes the README's picture).
"""

import math
import os
import re
import shutil
import statistics

import numpy as np
import pytest
from test_cli import neuron_args, run_module

from tinygrad_edu import Tensor, Value, nn, play
from tinygrad_edu.graph import topological_order

B = "6.8813735870195432"  # the lecture's bias: n = 0.8814, y = 1/sqrt(2), dy/dn = 1/2
RAN = []  # the browser tests that ran, reported at the end of the module
FIGURES = {}  # per-step times, reported too


def missing():
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if shutil.which("chromium") is None:
        return "Debian's chromium is not installed (apt-get install chromium fonts-liberation)"
    return None


@pytest.fixture(scope="module")
def browser(request):
    reason = missing()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; with CI=true the browser tests must run, not skip")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=shutil.which("chromium"))
        yield chromium
        version = chromium.version
        chromium.close()
    lines = [f"browser tests: {len(RAN)} ran in chromium {version}"]
    lines += [f"  {name}: {value}" for name, value in FIGURES.items()]
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # past pytest's capturing, onto the terminal
            reporter.write_line("")
            for line in lines:
                reporter.write_line(line)


class Watched:
    """A page, and everything it did that it should not have."""

    def __init__(self, page):
        self.page = page
        self.console_errors, self.page_errors, self.dialogs, self.left = [], [], [], []

    def clean(self):
        return {
            "console errors": self.console_errors,
            "page errors": self.page_errors,
            "dialogs": self.dialogs,
            "requests that left file:/data:/about:": self.left,
        }


LOCAL = ("file:", "data:", "about:")


@pytest.fixture
def watched(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    w = Watched(page)
    page.on(
        "console", lambda message: w.console_errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: w.page_errors.append(str(error)))

    def on_dialog(dialog):
        w.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_route(route):
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            w.left.append(route.request.url)
            route.abort()

    page.on("dialog", on_dialog)
    page.on("request", lambda r: None if r.url.startswith(LOCAL) else w.left.append(r.url))
    context.route("**/*", on_route)
    yield w
    context.close()
    RAN.append(request.node.name)


NOTHING_WRONG = {
    "console errors": [],
    "page errors": [],
    "dialogs": [],
    "requests that left file:/data:/about:": [],
}


# ***** reading the page like a person *****


def counter(page):
    """(step, last step) from the counter 'step k / n'."""
    match = re.search(r"step (\d+) / (\d+)", page.get_by_role("navigation").inner_text())
    return int(match[1]), int(match[2])


def panel(page):
    return page.get_by_role("complementary").inner_text()


def current_node(page):
    match = re.search(r"current node: (.+)", panel(page))
    return match[1] if match else None


def box(page, label):
    """The texts of the box whose first cell reads `label`: [label, (shape), data, grad]."""
    return page.evaluate(
        """label => {
            for (const g of document.querySelectorAll("svg g.node")) {
                const texts = [...g.querySelectorAll("text")].map(t => t.textContent);
                if (texts[0] === label) return texts;
            }
            return null;
        }""",
        label,
    )


def neuron_page(tmp_path, layout="auto"):
    """The page the command line writes for the lecture's neuron."""
    target = tmp_path / "neuron.html"
    result = run_module("play", *neuron_args(B), "-o", str(target), "--layout", layout)
    assert result.returncode == 0, result.stderr
    return target


@pytest.mark.parametrize("layout", ["auto", "python"])
def test_neuron_forward_and_backward_with_keys_then_back_with_buttons(watched, tmp_path, layout):
    page = watched.page
    page.goto(neuron_page(tmp_path, layout).as_uri())
    assert counter(page) == (0, 17)
    assert box(page, "w1")[1:] == ["data ?", "grad ?"]
    # the oracle, by hand: y = tanh(n), dy/dn = 1 - tanh(n)**2, dy/dw1 = x1 dy/dn, dy/dx1 = w1 dy/dn
    n = 2.0 * -3.0 + 0.0 * 1.0 + float(B)
    dn = 1 - math.tanh(n) ** 2
    dw1, dx1 = 2.0 * dn, -3.0 * dn
    visited = []
    for k in range(1, 18):
        page.keyboard.press("ArrowRight")
        assert counter(page) == (k, 17)
        visited.append(current_node(page))
        if k == 12:  # the first backward step
            assert "f = tanh(v8): dL/dv8 += 0.5 * 1 = 0.5" in panel(page)
        if k == 16:  # mid-backward: the inputs of w1 * x1 get their gradients
            assert box(page, "x1")[-1] == f"grad {dx1:.4f}" and box(page, "w2")[-1] == "grad 0.0000"
            assert "v2 = w1 * x1: dL/dw1 += 2 * 0.5 = 1; dL/dx1 += -3 * 0.5 = -1.5" in panel(page)
    assert visited[:10] == ["w1", "x1", "v2", "w2", "x2", "v5", "v6", "b", "v8", "f"]  # topological
    assert visited[10:] == ["f", "f", "v8", "v6", "v5", "v2", None]  # seed, 5 steps, done
    shown = panel(page)
    assert f"dL/dw1 = {dw1:.4f}" in shown and f"dL/dx1 = {dx1:.4f}" in shown
    assert "dL/dw1 = 1.0000" in shown and "dL/dx1 = -1.5000" in shown  # the lecture's numbers
    assert box(page, "w1")[1:] == ["data -3.0000", "grad 1.0000"]
    assert box(page, "x1")[1:] == ["data 2.0000", "grad -1.5000"]
    page.keyboard.press("ArrowRight")  # past the end: nothing moves
    assert counter(page) == (17, 17)
    assert page.get_by_role("button", name="next step").is_disabled()
    previous = page.get_by_role("button", name="previous step")
    for k in range(16, -1, -1):
        previous.click()
        assert counter(page) == (k, 17)
    assert previous.is_disabled() and box(page, "w1")[1:] == ["data ?", "grad ?"]
    page.keyboard.press("End")
    assert counter(page) == (17, 17)
    page.keyboard.press("Home")
    assert counter(page) == (0, 17)
    assert watched.clean() == NOTHING_WRONG


def test_a_link_to_a_step_and_playing(watched, tmp_path):
    page = watched.page
    url = neuron_page(tmp_path).as_uri()
    page.goto(url + "#step=12")
    assert counter(page) == (12, 17) and "backward 1 / 5" in panel(page)
    # the README's picture: mid-backward, the step into w1 and x1, in a wide window
    page.set_viewport_size({"width": 1560, "height": 600})
    page.goto("about:blank")
    page.goto(url + "#step=16")  # (a fresh load: the graph is fitted to the wider window)
    assert counter(page) == (16, 17) and current_node(page) == "v2"
    page.screenshot(path=str(tmp_path / "player.png"))
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(url + "#step=12")
    link = page.get_by_role("link", name="link to step 12")
    assert link.get_attribute("href") == "#step=12"
    page.get_by_role("slider", name="step").fill("3")
    assert counter(page) == (3, 17)
    page.goto(url + "#step=5")  # a new link in the same page: the player follows it
    assert counter(page) == (5, 17)
    page.get_by_role("button", name="play").click()
    page.get_by_text(re.compile(r"step (7|8|9|1\d) / 17")).wait_for(timeout=10_000)
    page.keyboard.press(" ")  # pause
    paused = counter(page)
    page.wait_for_timeout(1500)
    assert counter(page) == paused
    assert page.get_by_role("button", name="play").is_visible()
    assert watched.clean() == NOTHING_WRONG


HOSTILE = [
    '<img src=x onerror="window.pwned=1">',
    "</script><script>window.pwned=2</script>",
    "<!-- not a comment",
    "<b>bold?</b> & &amp;",
]


def test_hostile_labels_show_as_text_and_run_nothing(watched, tmp_path):
    values = [Value(float(i + 1), label=label) for i, label in enumerate(HOSTILE)]
    out = values[0] * values[1] + values[2] * values[3]
    out.label = HOSTILE[1]
    target = play(out).save(tmp_path / "hostile.html")
    page = watched.page
    page.goto(target.as_uri())
    page.keyboard.press("End")
    for label in HOSTILE:
        assert box(page, label) is not None, label  # the label, as text, in its box
    assert HOSTILE[1] in page.title()
    page.keyboard.press("Home")
    shown = []
    for _ in range(counter(page)[1]):
        page.keyboard.press("ArrowRight")
        shown.append(current_node(page))
    assert set(HOSTILE) <= set(shown)  # each one was the current node, named as text
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.evaluate("document.querySelectorAll('img, b, iframe').length") == 0
    assert page.evaluate("document.scripts.length") == 2  # the JSON block and the player
    assert watched.clean() == NOTHING_WRONG


def test_the_policy_blocks_a_script_that_got_in_anyway(watched, tmp_path):
    # the second layer: even an inline script added to the page does not run
    page = watched.page
    page.goto(neuron_page(tmp_path).as_uri())
    page.evaluate(
        """() => { const s = document.createElement("script");
                  s.textContent = "window.pwned = 3"; document.body.appendChild(s); }"""
    )
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert any("Content Security Policy" in e for e in watched.console_errors), watched.console_errors


def test_a_tensor_graph_shows_shapes_and_its_gradients(watched, tmp_path):
    rng = np.random.default_rng(0)
    layer = nn.Linear(2, 16)
    layer.weight.label = "W"
    x_data, t_data = rng.normal(size=(5, 2)), rng.normal(size=(5, 16))
    loss = nn.mse_loss(layer(Tensor(x_data, label="x")).tanh(), Tensor(t_data, label="t"))
    target = play(loss).save(tmp_path / "tensor.html")
    page = watched.page
    page.goto(target.as_uri())
    page.keyboard.press("End")
    # the oracle with numpy: h = tanh(x W^T + b), L = mean((h - t)**2)
    h = np.tanh(x_data @ layer.weight.data.T + layer.bias.data)
    dz = 2 * (h - t_data) / h.size * (1 - h**2)
    dW = dz.T @ x_data
    summary = f"mean {dW.mean():.4f}, [{dW.min():.4f}, {dW.max():.4f}]"
    assert f"dL/dW = {summary}" in panel(page)
    assert box(page, "W") == ["W", "shape (16, 2)", box(page, "W")[2], f"grad {summary}"]
    assert box(page, "x")[-1] == "grad None"  # an input: no gradient asked for
    assert watched.clean() == NOTHING_WRONG


def test_a_thousand_values_play_within_a_frame_per_step(watched, tmp_path):
    import random

    random.seed(0)
    model = nn.MLP(3, [16, 16, 1])  # one example through it and a squared error: 1,027 values
    loss = (model([0.5, -0.3, 0.2]) - 1.0) ** 2
    assert len(topological_order(loss)) >= 1000
    target = play(loss).save(tmp_path / "mlp.html")
    page = watched.page
    page.goto(target.as_uri())
    _, last = counter(page)
    times = page.evaluate(
        """last => {
            const times = [];
            for (let k = 0; k < last; k++) {
                const t0 = performance.now();
                document.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight", bubbles: true}));
                document.body.getBoundingClientRect();  // style and layout, as a frame would
                void document.body.offsetHeight;
                times.push(performance.now() - t0);
            }
            return times;
        }""",
        last,
    )
    assert counter(page) == (last, last) and len(times) == last
    median, worst = statistics.median(times), max(times)
    p95 = sorted(times)[int(0.95 * len(times))]
    FIGURES["per-step time, 1,000-value graph"] = (
        f"median {median:.2f} ms, 95th percentile {p95:.2f} ms, max {worst:.2f} ms over {last} steps"
    )
    assert median < 16 * 4 and worst < 500  # generous: this machine is shared; the figure is reported
    assert "The backward pass is done" in panel(page)
    assert watched.clean() == NOTHING_WRONG
