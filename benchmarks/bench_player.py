"""How long does ``play`` take to build the page for a graph of a thousand values?

    python benchmarks/bench_player.py            # about half a minute; --quick for one round
    python benchmarks/bench_player.py --width 8  # a smaller graph

The graph is one example through a scalar MLP(3, [16, 16, 1]) and a squared error: 1,027
Values, the size the player promises to play. ``play`` does three things, timed apart:

1. steps: the forward frames and a run of ``backward_steps``, turned into the JSON document;
2. dot: Graphviz lays the graph out as SVG (a separate program: its CPU time is shown too,
   since a busy machine stretches the wall-clock time);
3. page: the JSON is embedded, the policy's hashes are computed, the file is written.

The goal is under 3 s in all, most of it dot. (The time of one step in the browser is
measured by tests/test_player_browser.py, with performance.now(), and reported there.)
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from typing import Dict, List

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tinygrad_edu import Value, nn, play  # noqa: E402
from tinygrad_edu.graph import topological_order  # noqa: E402
from tinygrad_edu.player import Player  # noqa: E402
from tinygrad_edu.player.document import build_document  # noqa: E402
from tinygrad_edu.player.layout import layout_svg  # noqa: E402


def mlp_loss(width: int) -> Value:
    """(MLP(3, [width, width, 1])(x) - 1)**2 for one example x, with fixed weights."""
    random.seed(0)
    model = nn.MLP(3, [width, width, 1])
    return (model([0.5, -0.3, 0.2]) - 1.0) ** 2


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_round(loss: Value, folder: str) -> Dict[str, float]:
    """Seconds for each part of one play(loss).save(...), done as play does it."""
    start = time.perf_counter()
    order = topological_order(loss)
    document, grads = build_document(loss, order)
    after_steps = time.perf_counter()
    cpu_before = children_cpu()
    svg = layout_svg(order, grads)
    after_dot = time.perf_counter()
    dot_cpu = children_cpu() - cpu_before
    Player(document, svg).save(os.path.join(folder, "page.html"))
    end = time.perf_counter()
    return {
        "steps": after_steps - start,
        "dot": after_dot - after_steps,
        "dot (CPU)": dot_cpu,
        "page": end - after_dot,
        "total": end - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--width", type=int, default=16, help="neurons per hidden layer (default 16)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one round")
    args = parser.parse_args()
    loss = mlp_loss(args.width)
    values = len(topological_order(loss))
    rounds = 1 if args.quick else args.rounds
    results: List[Dict[str, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        play(loss)  # once untimed: imports, file caches
        for _ in range(rounds):
            results.append(one_round(loss, folder))
        size = os.path.getsize(os.path.join(folder, "page.html"))
    frames = len(play(loss).document["frames"])
    model = f"MLP(3, [{args.width}, {args.width}, 1])"
    print(f"play() on {model} + squared error: {values} values, {frames} frames,")
    print(f"a page of {size / 1e6:.2f} MB; median of {rounds} round(s), seconds:")
    medians = {part: statistics.median(r[part] for r in results) for part in results[0]}
    parts = medians["steps"] + medians["dot"] + medians["page"]
    for part, seconds in medians.items():
        share = "" if part in ("total", "dot (CPU)") else f"  ({seconds / parts:.0%})"
        print(f"  {part:<10} {seconds:6.3f}{share}")
    verdict = "under" if medians["total"] < 3.0 else "OVER"
    print(
        f"  -> {verdict} the 3 s goal (load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
