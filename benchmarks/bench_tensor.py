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


class TensorStep(timing.TrainStep):
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

    def loss(self):
        return nn.cross_entropy(self.model(self.X), self.y)


class TorchStep(timing.TrainStep):
    """The same step in PyTorch (float64, CPU, one thread)."""

    def __init__(self, X, y, weights):
        self.torch = torch = timing.torch_one_thread()
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

    def loss(self):
        return self.torch.nn.functional.cross_entropy(self.model(self.X), self.y)


def main(argv=None) -> dict:
    args = timing.parser(__doc__, "--batch-sizes", "32,256", "comma-separated, from 32 and 256").parse_args(
        argv
    )
    ours = "tinygrad_edu.Tensor"
    engines = timing.with_torch(
        {timing.REFERENCE: NumpyStep, ours: TensorStep}, {"torch": TorchStep}, skip=args.no_torch
    )
    results = {}
    for batch in args.batch_sizes:
        title = f"MLP 64-128-128-10 training step, batch {batch}, float64"
        results[batch] = result = timing.run(engines, make_problem(batch), title, CHECK_STEPS, args.quick)
        print(timing.ratio_line(result, ours, TARGETS.get(batch)))
    return results


if __name__ == "__main__":
    main()
