"""How fast is a tinygrad_edu.Tensor training step next to hand-written numpy (and PyTorch)?

    python benchmarks/bench_tensor.py          # about 20 seconds; --quick for a smoke test

The step: an MLP 64 -> 128 -> 128 -> 10 with ReLU, softmax cross-entropy (mean over the
batch) and plain SGD (lr 0.1), in float64 with one BLAS thread, for batches of 32 and 256.
One step = forward + loss + backward + update. Every engine starts from the same weights and
sees the same batch; the first steps run in lock-step and their losses must agree to 1e-9.

Engines:
  numpy         the forward and backward derived by hand (no graph at all): the "how fast can
                a numpy engine be" line, and the reference for the ratios
  tinygrad_edu  nn.Sequential(nn.Linear, nn.ReLU, ...) + nn.cross_entropy + optim.SGD
  torch         the same model in PyTorch, if it is installed

Engines run side by side in rounds (see timing.py); the ratios are medians of per-round
ratios, so a busy machine slows everyone alike. Python's garbage collector stays on.
"""

from __future__ import annotations

import argparse
import os
import sys
from itertools import pairwise

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import timing  # noqa: E402  (sets BLAS threads before numpy loads)

# isort: split
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tinygrad_edu import Tensor, nn, optim  # noqa: E402

SIZES = [64, 128, 128, 10]
LR = 0.1
CHECK_STEPS = 3
TARGETS = {32: 1.6, 256: 1.25}  # the project's bar: at most this many times the numpy step


def make_problem(batch: int, seed: int = 0):
    """A fixed batch (standard-normal inputs, labels from a random linear teacher) and weights
    W (nin, nout), b (nout,) per layer, drawn like PyTorch's default init."""
    rng = np.random.default_rng(seed)
    teacher = rng.standard_normal((SIZES[0], SIZES[-1]))
    X = rng.standard_normal((batch, SIZES[0]))
    y = np.argmax(X @ teacher, axis=1)
    weights = []
    for nin, nout in pairwise(SIZES):
        bound = 1 / np.sqrt(nin)
        weights.append((rng.uniform(-bound, bound, (nin, nout)), rng.uniform(-bound, bound, nout)))
    return X, y, weights


class NumpyStep:
    """The training step written out by hand: forward, loss, then the chain rule per layer."""

    def __init__(self, X, y, weights):
        self.X, self.y, self.rows = X, y, np.arange(len(y))
        self.params = [a.copy() for W, b in weights for a in (W, b)]

    def __call__(self) -> float:
        X, y, rows = self.X, self.y, self.rows
        W1, b1, W2, b2, W3, b3 = self.params
        h1 = X @ W1 + b1  # (B, 128)
        a1 = np.maximum(h1, 0.0)
        h2 = a1 @ W2 + b2  # (B, 128)
        a2 = np.maximum(h2, 0.0)
        z = a2 @ W3 + b3  # (B, 10) logits
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        total = e.sum(axis=1, keepdims=True)
        loss = np.log(total[:, 0]).mean() - z[rows, y].mean()
        dz = e / total  # softmax - one_hot, over the batch size
        dz[rows, y] -= 1.0
        dz /= len(y)
        dh2 = (dz @ W3.T) * (h2 > 0)
        dh1 = (dh2 @ W2.T) * (h1 > 0)
        grads = (X.T @ dh1, dh1.sum(axis=0), a1.T @ dh2, dh2.sum(axis=0), a2.T @ dz, dz.sum(axis=0))
        for p, g in zip(self.params, grads, strict=True):
            p -= LR * g
        return float(loss)


class TensorStep:
    """The same step with tinygrad_edu: what a learner would write."""

    def __init__(self, X, y, weights):
        self.model = nn.Sequential(
            nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10)
        )
        for layer, (W, b) in zip([self.model[0], self.model[2], self.model[4]], weights, strict=True):
            layer.weight.data[...] = W.T  # ours is (nout, nin), like PyTorch
            layer.bias.data[...] = b
        self.X, self.y = Tensor(X), y
        self.opt = optim.SGD(self.model.parameters(), lr=LR)

    def __call__(self) -> float:
        self.opt.zero_grad()
        loss = nn.cross_entropy(self.model(self.X), self.y)
        loss.backward()
        self.opt.step()
        return loss.item()


class TorchStep:
    """The same step in PyTorch (float64, CPU)."""

    def __init__(self, X, y, weights):
        import torch

        torch.set_num_threads(1)
        self.torch = torch
        self.model = torch.nn.Sequential(
            torch.nn.Linear(64, 128),
            torch.nn.ReLU(),
            torch.nn.Linear(128, 128),
            torch.nn.ReLU(),
            torch.nn.Linear(128, 10),
        ).double()
        with torch.no_grad():
            for layer, (W, b) in zip([self.model[0], self.model[2], self.model[4]], weights, strict=True):
                layer.weight.copy_(torch.from_numpy(W.T.copy()))
                layer.bias.copy_(torch.from_numpy(b))
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR)

    def __call__(self) -> float:
        self.opt.zero_grad()
        loss = self.torch.nn.functional.cross_entropy(self.model(self.X), self.y)
        loss.backward()
        self.opt.step()
        return loss.item()


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a few seconds; the numbers mean little")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if installed")
    parser.add_argument("--batch-sizes", default="32,256", help="comma-separated, from 32 and 256")
    args = parser.parse_args(argv)
    rounds, block = (3, 0.05) if args.quick else (15, 0.1)
    engines = {"numpy (by hand)": NumpyStep, "tinygrad_edu.Tensor": TensorStep}
    timing.add_torch_engines(engines, {"torch": TorchStep}, skip=args.no_torch)
    results = {}
    for batch in (int(b) for b in args.batch_sizes.split(",")):
        X, y, weights = make_problem(batch)
        steps = {name: make(X, y, weights) for name, make in engines.items()}
        timing.check_losses_agree(steps, "numpy (by hand)", CHECK_STEPS, rtol=1e-9)
        result = timing.compare(steps, "numpy (by hand)", rounds=rounds, block_seconds=block)
        timing.print_table(
            f"\nMLP 64-128-128-10 training step, batch {batch}, float64 "
            f"(losses agree to 1e-9 over {CHECK_STEPS} steps):",
            result,
            "numpy (by hand)",
        )
        ratio = result["tinygrad_edu.Tensor"]["ratio"]
        target = f" (target: at most {TARGETS[batch]}x)" if batch in TARGETS else ""
        print(
            f"  tinygrad_edu / numpy = {ratio:.2f}x{target}"
            + (
                f"; tinygrad_edu / torch = {ratio / result['torch']['ratio']:.2f}x"
                if "torch" in result
                else ""
            )
        )
        results[batch] = result
    return results


if __name__ == "__main__":
    main()
