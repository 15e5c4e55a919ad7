"""Side-by-side timing for the comparison scripts in this folder.

Timing one engine, then another, is unfair on a shared machine: if the machine gets busier
halfway, the second engine looks slower. So every engine runs in the same process, in rounds
(A B C, then B C A, then C A B, ...), and each round gives a ratio against a reference engine
*measured in that same round*. The median of those ratios is what we report.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from typing import Callable, Dict, List

# one BLAS thread, set before numpy loads: a busy 2-core machine makes extra threads spin
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def time_block(step: Callable[[], object], repeats: int) -> float:
    """Seconds per call of ``step``, over ``repeats`` calls (GC on, as a user runs it)."""
    gc.collect()  # untimed: no block starts with another engine's garbage pending
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - start) / repeats


def compare(
    steps: Dict[str, Callable[[], object]], reference: str, rounds: int = 7, block_seconds: float = 0.1
) -> Dict[str, Dict[str, float]]:
    """Median seconds per step and median paired ratio to ``reference``, for each engine.

    >>> r = compare({'a': lambda: sum(range(100)), 'b': lambda: sum(range(200))}, 'a', rounds=3)
    >>> sorted(r), r['a']['ratio']
    (['a', 'b'], 1.0)
    """
    names = list(steps)
    repeats = {}
    for name in names:  # warm up, and choose how many calls make one block
        once = time_block(steps[name], 1)
        repeats[name] = max(1, int(block_seconds / max(once, 1e-9)))
    samples: Dict[str, List[float]] = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            samples[name].append(time_block(steps[name], repeats[name]))
    result = {}
    for name in names:
        ratios = [t / ref for t, ref in zip(samples[name], samples[reference], strict=True)]
        result[name] = {"seconds": statistics.median(samples[name]), "ratio": statistics.median(ratios)}
    return result


def print_table(title: str, result: Dict[str, Dict[str, float]], reference: str) -> None:
    """One line per engine: ms per step and the ratio to the reference engine."""
    print(title)
    for name, r in result.items():
        ratio = r["ratio"]
        shown = f"{ratio:.2f}x" if ratio >= 1 else f"{ratio:.3f}x (1/{1 / ratio:.1f})"
        print(f"  {name:28s} {r['seconds'] * 1e3:10.3f} ms/step   {shown} of {reference}")


def add_torch_engines(engines: Dict[str, Callable], torch_engines: Dict[str, Callable], skip: bool) -> None:
    """Add PyTorch's engines to ``engines`` when torch is installed (and not ``skip``-ped)."""
    if skip:
        return
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch is not installed: comparing with hand-written numpy only")
        return
    engines.update(torch_engines)


def check_losses_agree(steps: Dict[str, Callable[[], float]], reference: str, n: int, rtol: float) -> None:
    """Run every engine ``n`` steps in lock step; stop the benchmark unless every engine's losses
    match the reference's to ``rtol`` (a fast engine that computes something else counts for nothing)."""
    losses = {name: [step() for _ in range(n)] for name, step in steps.items()}
    want = losses[reference]
    for name, got in losses.items():
        worst = max(abs(a - b) / abs(b) for a, b in zip(got, want, strict=True))
        if worst > rtol:
            raise SystemExit(f"{name}'s losses {got} disagree with {reference}'s {want}")
