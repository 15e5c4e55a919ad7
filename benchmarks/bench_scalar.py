"""How fast and how small is tinygrad_edu.Value next to micrograd?

    pip install -e ".[bench]"          # micrograd 0.1.0, the engine we compare with
    python benchmarks/bench_scalar.py  # about a minute; --quick for a smoke test

Three measurements, each run side by side in this one process (see timing.py):

1. micrograd's demo training step: MLP(2, [16, 16, 1]) on 100 two-moons points, SVM
   max-margin loss + L2, SGD. Same data, same initial weights, losses checked to agree.
   A hand-written numpy forward/backward of the same step is the "how fast can it be" line.
2. A deep chain x = x * 0.99 + 0.01, N times, then backward: micrograd's recursive
   topological sort fails past about 500 steps; ours has no recursion.
3. Bytes of Python heap per graph node (tracemalloc), for x = x + y chains.

Python's cyclic garbage collector stays ON throughout, as it is for a user.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import tracemalloc
from itertools import pairwise

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import timing  # noqa: E402  (sets BLAS threads before numpy loads)

# isort: split
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tinygrad_edu import Value, nn  # noqa: E402
from tinygrad_edu.data import make_moons  # noqa: E402

SIZES = [2, 16, 16, 1]
L2 = 1e-4
LR = 0.05


def initial_weights(seed: int = 0):
    """One weight matrix (nin, nout) and bias per layer, shared by every engine."""
    rng = np.random.default_rng(seed)
    return [(rng.uniform(-1, 1, size=(nin, nout)), np.zeros(nout)) for nin, nout in pairwise(SIZES)]


def load_into_scalar_mlp(model, weights) -> None:
    """Copy the shared weights into a micrograd-layout MLP (layers[].neurons[].w / .b)."""
    for layer, (W, b) in zip(model.layers, weights, strict=True):
        for j, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.w):
                w.data = float(W[i, j])
            neuron.b.data = float(b[j])


class ScalarStep:
    """The demo's training step for any micrograd-style engine (Value class + MLP class)."""

    def __init__(self, value_cls, mlp_cls, X, y, weights):
        self.Value = value_cls
        self.model = mlp_cls(SIZES[0], SIZES[1:])
        load_into_scalar_mlp(self.model, weights)
        self.rows, self.labels = X.tolist(), [float(v) for v in y]

    def __call__(self) -> float:
        Value, model = self.Value, self.model
        scores = [model([Value(a), Value(b)]) for a, b in self.rows]
        hinge = [(1 + -yi * si).relu() for yi, si in zip(self.labels, scores, strict=True)]
        loss = sum(hinge) * (1.0 / len(hinge)) + L2 * sum(p * p for p in model.parameters())
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= LR * p.grad
        return loss.data


class NumpyStep:
    """The same step, derived by hand: forward, then the chain rule written out per layer."""

    def __init__(self, X, y, weights):
        self.X, self.y = X, y.astype(float).reshape(-1, 1)  # (n, 2), (n, 1)
        self.params = [a.copy() for pair in weights for a in pair]

    def __call__(self) -> float:
        W1, b1, W2, b2, W3, b3 = self.params
        X, y, n = self.X, self.y, len(self.X)
        z1 = X @ W1 + b1
        h1 = np.maximum(z1, 0)  # (n, 16)
        z2 = h1 @ W2 + b2
        h2 = np.maximum(z2, 0)  # (n, 16)
        score = h2 @ W3 + b3  # (n, 1)
        margin = 1 - y * score
        loss = np.maximum(margin, 0).mean() + L2 * sum((p * p).sum() for p in self.params)
        d_score = np.where(margin > 0, -y, 0.0) / n
        d_z2 = (d_score @ W3.T) * (z2 > 0)
        d_z1 = (d_z2 @ W2.T) * (z1 > 0)
        grads = [X.T @ d_z1, d_z1.sum(0), h1.T @ d_z2, d_z2.sum(0), h2.T @ d_score, d_score.sum(0)]
        for p, g in zip(self.params, grads, strict=True):
            p -= LR * (g + 2 * L2 * p)
        return float(loss)


def deep_chain(value_cls, n: int) -> float:
    x0 = value_cls(0.5)
    x = x0
    for _ in range(n):
        x = x * 0.99 + 0.01
    x.backward()
    return x0.grad


def bytes_per_node(value_cls, n: int = 50_000) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    x, y = value_cls(0.0), value_cls(1.0)
    for _ in range(n):
        x = x + y
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del x
    return used / n


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a few seconds; the numbers mean little")
    args = parser.parse_args(argv)
    rounds = 3 if args.quick else 9
    try:
        import micrograd.engine
        import micrograd.nn

        peers = {"micrograd": (micrograd.engine.Value, micrograd.nn.MLP)}
    except ImportError:
        print("micrograd is not installed (pip install -e '.[bench]'): comparing with numpy only")
        peers = {}

    X, y = make_moons(100, noise=0.1, seed=1337)
    weights = initial_weights()
    random.seed(0)
    steps = {"tinygrad_edu.Value": ScalarStep(Value, nn.MLP, X, y, weights)}
    steps.update({name: ScalarStep(V, M, X, y, weights) for name, (V, M) in peers.items()})
    steps["hand-written numpy"] = NumpyStep(X, y, weights)
    losses = {name: [step() for _ in range(2)] for name, step in steps.items()}
    reference_losses = losses["hand-written numpy"]
    for name, ls in losses.items():
        agree = np.allclose(ls, reference_losses, rtol=1e-9)
        print(f"  first losses, {name}: {', '.join(f'{v:.12f}' for v in ls)}{'' if agree else '  MISMATCH'}")

    reference = "micrograd" if "micrograd" in steps else "hand-written numpy"
    result = timing.compare(steps, reference, rounds=rounds, block_seconds=0.2 if not args.quick else 0.05)
    timing.print_table(
        "\n1. micrograd's demo step, MLP 2-16-16-1 on 100 points (ms per step)", result, reference
    )
    numpy_ratio = result["tinygrad_edu.Value"]["seconds"] / result["hand-written numpy"]["seconds"]
    print(f"  (tinygrad_edu.Value is {numpy_ratio:,.0f}x the hand-written numpy step)")

    n = 2_000 if args.quick else 100_000
    chain = {"tinygrad_edu.Value": lambda: deep_chain(Value, n)}
    print(f"\n2. deep chain, N = {n:,}")
    for name, (V, _) in peers.items():
        try:
            deep_chain(V, n)
            chain[name] = lambda V=V: deep_chain(V, n)
        except RecursionError:
            print(f"  {name}: RecursionError (recursive topological sort) at N = {n:,}")
    grad = deep_chain(Value, n)
    print(f"  tinygrad_edu.Value: d x_N / d x_0 = {grad:.6e} (closed form 0.99**N = {0.99**n:.6e})")
    chain_result = timing.compare(chain, "tinygrad_edu.Value", rounds=3, block_seconds=0.05)
    timing.print_table("  ms per chain (build + backward)", chain_result, "tinygrad_edu.Value")

    print("\n3. Python heap per node of an x = x + y chain (tracemalloc)")
    memory = {"tinygrad_edu.Value": bytes_per_node(Value)}
    memory.update({name: bytes_per_node(V) for name, (V, _) in peers.items()})
    for name, b in memory.items():
        print(f"  {name:28s} {b:8.0f} bytes per node")
    return {"demo_step": result, "chain": chain_result, "bytes_per_node": memory}


if __name__ == "__main__":
    main()
