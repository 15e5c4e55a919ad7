"""Refresh the README's pictures of the player and of a drawn graph, in docs/img/.

    python scripts/refresh_pictures.py            # writes docs/img/player.png and neuron.png
    python scripts/refresh_pictures.py --out DIR  # somewhere else, e.g. to compare first

The test suite never writes into the repository; this script is the one place that does.
player.png is the step-through player of the lecture's neuron at step 16 (the step into
w1 * x1), in a 1560 x 600 window of Debian's chromium driven by Playwright; neuron.png is
``tinygrad-edu draw`` of the same neuron (it needs Graphviz's ``dot`` for a PNG).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from tinygrad_edu.cli import main

ROOT = Path(__file__).resolve().parents[1]
NEURON = ["tanh(w1*x1 + w2*x2 + b)", "--set", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]


def player_picture(out: Path) -> Path:
    """The player mid-backward-pass, as the README shows it."""
    from playwright.sync_api import sync_playwright  # (only this script needs it)

    with tempfile.TemporaryDirectory() as folder:
        page_path = Path(folder) / "neuron.html"
        if main(["play", *NEURON, "-o", str(page_path)]) != 0:
            raise SystemExit("tinygrad-edu play failed")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"))
            page = browser.new_page(viewport={"width": 1560, "height": 600})
            page.goto(page_path.as_uri() + "#step=16")
            target = out / "player.png"
            page.screenshot(path=str(target))
            browser.close()
    return target


def graph_picture(out: Path) -> Path:
    """The graph of the neuron, drawn by ``tinygrad-edu draw``."""
    target = out / "neuron.png"
    if main(["draw", *NEURON, "-o", str(target)]) != 0:
        raise SystemExit("tinygrad-edu draw failed")
    return target


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="folder (default: docs/img)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for written in (player_picture(args.out), graph_picture(args.out)):
        print(f"wrote {written}")
