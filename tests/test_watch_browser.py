"""The training page in a real browser (Debian's chromium through Playwright), read as a person
reads it: keys pressed, the step and the loss read as text, the colour under the data points,
a hover, the backprop view opened; and nothing the page should never do (a request, an error).
The fixtures (one browser per module, every request outside file:/data:/about: recorded and
aborted) are the player's."""

import math
import re
import statistics

import numpy as np
import pytest
from test_player_browser import FIGURES, NOTHING_WRONG, browser, watched  # noqa: F401 (fixtures)

from tinygrad_edu import Tensor, nn, optim, watch
from tinygrad_edu.data import make_moons


def moons_run(steps=40, widths=(2, 8, 8, 2), nan_at=None):
    X, y = make_moons(120, noise=0.1, seed=0)
    Xt, yt = make_moons(60, noise=0.1, seed=1)
    y, yt = (y > 0).astype(int), (yt > 0).astype(int)
    rng = np.random.default_rng(0)
    layers = []
    for a, b in zip(widths[:-2], widths[1:-1], strict=True):
        layers += [nn.Linear(a, b, rng=rng), nn.Tanh()]
    model = nn.Sequential(*layers, nn.Linear(widths[-2], widths[-1], rng=rng))
    opt = optim.Adam(model.parameters(), lr=0.05)
    w = watch(model, X, y, test=(Xt, yt))
    for step in range(steps):
        loss = nn.cross_entropy(model(Tensor(X)), y)
        if step == nan_at:
            loss = loss * float("nan")
        opt.zero_grad()
        loss.backward()
        w.record(loss)
        if step != nan_at:
            opt.step()
    return w, X, y


def status(page):
    text = page.locator("#status").inner_text()
    step = int(re.search(r"step (\d+)", text)[1])
    loss = re.search(r"loss (\S+)", text)[1]
    return step, loss


def open_page(w, path, page, fragment=""):
    w.save(path)
    page.goto(path.as_uri() + fragment)
    page.wait_for_selector("body[data-ready]")


def test_keys_text_boundary_hover_and_backprop(watched, tmp_path):  # noqa: F811 (the fixture)
    w, X, y = moons_run()
    page = watched.page
    open_page(w, tmp_path / "moons.html", page)
    assert status(page)[0] == 0
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert status(page)[0] == 3
    page.keyboard.press("ArrowLeft")
    assert status(page)[0] == 2
    page.keyboard.press("End")
    step, loss = status(page)
    assert step == 39 and float(loss) == pytest.approx(w.frames[-1]["loss"], rel=1e-3)
    accuracy = float(re.search(r"training accuracy (\S+),", page.locator("#status").inner_text())[1])
    assert accuracy == pytest.approx(w.frames[-1]["train_accuracy"], abs=1e-4)
    # the colour under each training point at the last frame is its class's (orange 0, blue 1)
    colours = page.evaluate(
        """points => {
            const c = document.getElementById("surface"), ctx = c.getContext("2d");
            const box = c.getBoundingClientRect(), dots = document.getElementById("dots");
            return points.map(([x, y]) => {
                const px = Math.floor(x / box.width * c.width), py = Math.floor(y / box.height * c.height);
                return Array.from(ctx.getImageData(px, py, 1, 1).data.slice(0, 3));
            });
        }""",
        [[float(v) for v in _to_canvas(w, p)] for p in X],
    )
    right = [(c[2] > c[0]) == (label == 1) for c, label in zip(colours, y, strict=True)]
    assert np.mean(right) > 0.9, np.mean(right)
    page.keyboard.press("Home")
    assert status(page)[0] == 0
    page.goto((tmp_path / "moons.html").as_uri() + "#frame=7")
    page.wait_for_selector("body[data-ready]")
    assert status(page)[0] == 7 and page.locator("#counter").inner_text() == "frame 7 / 39"
    # hovering a hidden unit shows its value, its formula with numbers, its gradient
    page.locator(".unit").nth(3).hover()
    tip = page.locator("#tip").inner_text()
    assert (
        "z = (sum of 2 products)" not in tip and re.search(r"z = .* \* .* \+ .* = ", tip) and "dL/db" in tip
    )
    # into backpropagation: the player of example 0's loss at frame 0
    assert "frames 0 (step 0), 19 (step 19), 39 (step 39)" in page.locator("#bp-note").inner_text()
    page.get_by_role("button", name="frame 0", exact=True).click()
    assert status(page)[0] == 0
    player = page.frame_locator("#bp-view")
    nav = player.get_by_role("navigation")
    assert re.search(r"step 0 / \d+", nav.inner_text())
    player.get_by_role("button", name="next step").click()
    assert re.search(r"step 1 / \d+", nav.inner_text())
    page.screenshot(path=str(tmp_path / "watch.png"), full_page=True)
    assert watched.clean() == NOTHING_WRONG


def _to_canvas(w, point):
    (x0, x1), (y0, y1) = w._recorder.extent
    return (point[0] - x0) / (x1 - x0) * 320, (y1 - point[1]) / (y1 - y0) * 320


def test_a_nan_loss_is_text_and_the_page_keeps_working(watched, tmp_path):  # noqa: F811 (the fixture)
    w, _, _ = moons_run(steps=6, nan_at=3)
    page = watched.page
    open_page(w, tmp_path / "nan.html", page, "#frame=3")
    assert status(page) == (3, "nan")
    page.keyboard.press("ArrowRight")
    assert status(page)[0] == 4
    assert watched.clean() == NOTHING_WRONG


def test_one_frame_step_renders_within_an_animation_frame(watched, tmp_path):  # noqa: F811 (the fixture)
    w, _, _ = moons_run(steps=100, widths=(2, 16, 16, 2))
    page = watched.page
    open_page(w, tmp_path / "speed.html", page)
    times = page.evaluate(
        """n => {
            const times = [];
            for (let k = 0; k < n; k++) {
                const t0 = performance.now();
                document.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight", bubbles: true}));
                document.body.getBoundingClientRect();  // the layout the step causes
                times.push(performance.now() - t0);
            }
            return times;
        }""",
        len(w.frames) - 1,
    )
    assert status(page)[0] == 99
    median = statistics.median(times)
    FIGURES["watch frame step (median ms, 2-16-16-2, 100 frames)"] = round(median, 2)
    assert median < 16, median
    assert not math.isnan(median) and watched.clean() == NOTHING_WRONG
