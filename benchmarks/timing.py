"""Side-by-side timing for the comparison scripts in this folder.

Timing one engine, then another, is unfair on a shared machine: if the machine gets busier
halfway, the second engine looks slower. So every engine runs in the same process, in rounds
(A B C, then B C A, then C A B, ...), and each round gives a ratio against a reference engine
*measured in that same round*. The median of those ratios is what we report.

A comparison script (bench_tensor.py, bench_rnn.py, ...) reads, with the pieces below:

    args = timing.parser(__doc__, "--batch-sizes", "32,256").parse_args(argv)
    engines = timing.with_torch({REFERENCE: NumpyStep, "tinygrad_edu.Tensor": TensorStep},
                                {"torch": TorchStep}, skip=args.no_torch)
    for batch in args.batch_sizes:
        result = timing.run(engines, make_problem(batch), f"MLP, batch {batch}", 3, args.quick)
        print(timing.ratio_line(result, "tinygrad_edu.Tensor", target=1.6))

Each engine is a class built on the problem (``Engine(*problem)``) whose call is one training
step returning the loss; ``TrainStep`` writes that call once for engines with an optimiser.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

# one BLAS thread, set before numpy loads: a busy 2-core machine makes extra threads spin
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

REFERENCE = "numpy (by hand)"  # the engine every ratio is taken against: no graph at all


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


# ***** what every comparison script shares: its options, its loop body, its engines' step *****


def sizes(text: str) -> List[int]:
    """A comma-separated list of sizes, as an option's ``type``: ``sizes("32,256") == [32, 256]``."""
    return [int(size) for size in text.split(",")]


def parser(
    doc: str, sizes_option: str, default: str, sizes_help: str = "comma-separated"
) -> argparse.ArgumentParser:
    """A parser that shows the script's docstring, with the options every comparison takes:
    ``--quick`` (a smoke test), ``--no-torch``, and ``sizes_option`` (a list of sizes).

    >>> parser("Demo.", "--batch-sizes", "32,256").parse_args(["--quick"]).batch_sizes
    [32, 256]
    """
    made = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    made.add_argument("--quick", action="store_true", help="a few seconds; the numbers mean little")
    made.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if installed")
    made.add_argument(sizes_option, type=sizes, default=sizes(default), help=sizes_help)
    return made


def with_torch(engines: Dict[str, Any], torch_engines: Dict[str, Any], skip: bool) -> Dict[str, Any]:
    """``engines`` and, when torch is installed and not ``skip``-ped, ``torch_engines`` too."""
    engines = dict(engines)
    add_torch_engines(engines, torch_engines, skip)
    return engines


def run(
    engines: Dict[str, Callable[..., Callable[[], float]]],
    problem: Sequence[Any],
    title: str,
    check_steps: int,
    quick: bool,
) -> Dict[str, Dict[str, float]]:
    """Build every engine on ``problem``, stop unless their first ``check_steps`` losses agree
    with the reference's to 1e-9, time them side by side and print the table under ``title``."""
    steps = {name: make(*problem) for name, make in engines.items()}
    check_losses_agree(steps, REFERENCE, check_steps, rtol=1e-9)
    rounds, block = (3, 0.05) if quick else (15, 0.1)
    result = compare(steps, REFERENCE, rounds=rounds, block_seconds=block)
    print_table(f"\n{title} (losses agree to 1e-9 over {check_steps} steps):", result, REFERENCE)
    return result


def ratio_line(
    result: Dict[str, Dict[str, float]], ours: str, target: Optional[float] = None, named: bool = False
) -> str:
    """Our engine's time as a multiple of the numpy step's (against the ``target``, if any) and
    of each torch engine's; ``named`` starts the line with our engine's name.

    >>> r = {"numpy (by hand)": {"ratio": 1.0}, "ours": {"ratio": 1.5}, "torch": {"ratio": 3.0}}
    >>> ratio_line(r, "ours", target=2)
    '  tinygrad_edu / numpy = 1.50x (target: at most 2x); tinygrad_edu / torch = 0.50x'
    """
    ratio = result[ours]["ratio"]
    line = f"  {ours}: " if named else "  "
    line += f"tinygrad_edu / numpy = {ratio:.2f}x"
    if target is not None:
        line += f" (target: at most {target}x)"
    for name in result:
        if name.startswith("torch"):
            line += f"; tinygrad_edu / {name} = {ratio / result[name]['ratio']:.2f}x"
    return line


def torch_one_thread() -> Any:
    """The torch module, set to one thread as numpy is (imported only when a torch engine runs)."""
    import torch

    torch.set_num_threads(1)
    return torch


class TrainStep:
    """One training step of an engine with an optimiser (tinygrad_edu's or PyTorch's, which
    read alike): a subclass sets ``self.opt`` and defines ``loss()``, the forward pass."""

    opt: Any

    def loss(self) -> Any:
        """The forward pass and the loss, a one-element tensor of the engine's kind."""
        raise NotImplementedError

    def __call__(self) -> float:
        self.opt.zero_grad()
        loss = self.loss()
        loss.backward()
        self.opt.step()
        return loss.item()
