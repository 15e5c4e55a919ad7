"""What does watching cost? The README's moons model, trained with and without ``watch``.

    python benchmarks/bench_watch.py            # about a minute; --quick for a short check
    python benchmarks/bench_watch.py --browser  # also the time of one frame step in Chromium

The model: Linear(2, 16), tanh, Linear(16, 16), tanh, Linear(16, 2) on 200 moons points (and
200 test points), cross-entropy, 300 full-batch Adam steps. Timed side by side, round after
round (the machine is shared and noisy: only the ratios mean something):

1. training alone;
2. training with ``w.record(loss)`` every step, and with ``every=10``: the cost the training
   loop pays (record copies the weights and gradients; the frames are evaluated later);
3. reading the frames (the evaluations of the model on the data and a 40 x 40 grid) and
   writing the page; the page's size.

Goals (issue 17): recording every step adds at most 100 % to the training time, every=10 at
most 20 %, the page is at most 3 MB, and one frame step renders in under 16 ms in Chromium
(median over a full pass with the arrow key).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tinygrad_edu import Tensor, nn, optim, watch  # noqa: E402
from tinygrad_edu.data import make_moons  # noqa: E402


def moons_model() -> Any:
    rng = np.random.default_rng(0)
    return nn.Sequential(
        nn.Linear(2, 16, rng=rng), nn.Tanh(), nn.Linear(16, 16, rng=rng), nn.Tanh(), nn.Linear(16, 2, rng=rng)
    )


def run(steps: int, every: Optional[int]) -> Dict[str, Any]:
    """Train (recording every ``every`` steps, or not at all); the times and the Watch."""
    X, y = make_moons(200, noise=0.1, seed=0)
    Xt, yt = make_moons(200, noise=0.1, seed=1)
    y, yt = (y > 0).astype(np.int64), (yt > 0).astype(np.int64)
    model = moons_model()
    optimizer = optim.Adam(model.parameters(), lr=0.03)
    w = watch(model, X, y, test=(Xt, yt), every=every) if every else None
    inputs = Tensor(X)
    start = time.perf_counter()
    for _ in range(steps):
        loss = nn.cross_entropy(model(inputs), y)
        optimizer.zero_grad()
        loss.backward()
        if w is not None:
            w.record(loss)
        optimizer.step()
    result: Dict[str, Any] = {"train": time.perf_counter() - start, "watch": w, "final": model.parameters()}
    return result


def frame_step_ms(path: str) -> Optional[float]:
    """The median time of one ArrowRight step over a full pass, in Chromium (None without it)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if shutil.which("chromium") is None:
        return None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"))
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto("file://" + path)
        page.wait_for_selector("body[data-ready]")
        times: List[float] = page.evaluate(
            """() => {
                const times = [], n = Number(document.getElementById("slider").max);
                for (let k = 0; k < n; k++) {
                    const t0 = performance.now();
                    document.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight", bubbles: true}));
                    document.body.getBoundingClientRect();
                    times.push(performance.now() - t0);
                }
                return times;
            }"""
        )
        browser.close()
    return statistics.median(times)


def main(argv: Optional[List[str]] = None) -> Dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 steps, 2 rounds")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--browser", action="store_true", help="also time a frame step in Chromium")
    args = parser.parse_args(argv)
    steps, rounds = (60, 2) if args.quick else (300, args.rounds)
    times: Dict[str, List[float]] = {"plain": [], "every=1": [], "every=10": []}
    for _ in range(rounds):  # interleaved, so a busy spell hits all three alike
        plain = run(steps, None)
        times["plain"].append(plain["train"])
        for every in (1, 10):
            recorded = run(steps, every)
            times[f"every={every}"].append(recorded["train"])
            pairs = zip(plain["final"], recorded["final"], strict=True)
            same = all(np.array_equal(a.data, b.data) for a, b in pairs)
            assert same, "recording changed the training: the final weights differ"
    w = run(steps, 1)["watch"]
    start = time.perf_counter()
    frames = len(w.frames)
    evaluate = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "moons.html")
        start = time.perf_counter()
        w.save(path)
        write = time.perf_counter() - start
        size = os.path.getsize(path)
        step_ms = frame_step_ms(path) if args.browser else None
    base = statistics.median(times["plain"])
    figures = {
        "every=1 overhead": statistics.median(times["every=1"]) / base - 1,
        "every=10 overhead": statistics.median(times["every=10"]) / base - 1,
        "page MB": size / 1e6,
    }
    print(f"moons 2-16-16-2, 200 points, {steps} Adam steps, {rounds} rounds (medians):")
    for name, values in times.items():
        ratio = statistics.median(values) / base
        print(f"  training, {name:<9} {statistics.median(values):7.3f} s   {ratio:5.2f}x")
    print(f"  reading the {frames} frames (model on data + grid): {evaluate:.2f} s")
    print(f"  writing the page: {write:.2f} s")
    print(f"  page: {size / 1e6:.2f} MB")
    if step_ms is not None:
        figures["frame step ms"] = step_ms
        print(f"  one frame step in Chromium (median of a full pass): {step_ms:.2f} ms")
    print("  recording changed no weight: the final weights are bit-identical with and without watch")
    return figures


if __name__ == "__main__":
    main()
