"""How fast is a LeNet-style training step in tinygrad_edu next to hand-written numpy (and PyTorch)?

    python benchmarks/bench_conv.py          # about 30 seconds; --quick for a smoke test

The step, on grey images in NCHW: conv 3x3 (1 -> 8 channels, padding 1) -> ReLU -> max-pool 2x2
-> conv 3x3 (8 -> 16, padding 1) -> ReLU -> max-pool 2x2 -> flatten -> linear (-> 10 classes),
softmax cross-entropy (mean over the batch) and plain SGD (lr 0.05), float64, one BLAS thread.
Two sizes: 8x8 images (scikit-learn's digits) in batches of 64, and 28x28 (MNIST) in batches
of 32. One step = forward + loss + backward + update. Every engine starts from the same weights
and sees the same batch; the first steps run in lock-step and their losses must agree to 1e-9.

Engines:
  numpy         the forward and backward derived by hand (no graph at all), written for speed:
                activations kept as (C, H, W, batch) so every slice is a long contiguous run,
                im2col and one matrix product per convolution, and pooling *before* the bias
                and ReLU (the same numbers, on a quarter of the data). The "how fast can a
                numpy engine be" line, and the reference for the ratios.
  tinygrad_edu  nn.Sequential(nn.Conv2d, nn.ReLU, nn.MaxPool2d, ..., nn.Flatten, nn.Linear) +
                nn.cross_entropy + optim.SGD: what a learner writes
  torch         the same model in PyTorch, if it is installed

Engines run side by side in rounds (see timing.py); the ratios are medians of per-round ratios,
so a busy machine slows everyone alike. Python's garbage collector stays on.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import timing  # noqa: E402, I001  (first: it sets one BLAS thread before numpy loads)
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tinygrad_edu import Tensor, nn, optim  # noqa: E402

C1, C2, CLASSES = 8, 16, 10
LR = 0.05
CHECK_STEPS = 3
CONFIGS = {8: 64, 28: 32}  # image size -> batch size
TARGETS = {8: 1.35, 28: 1.25}  # issue 19's bar: at most this many times the numpy step


def make_problem(image: int, seed: int = 0):
    """A fixed batch (standard-normal images, labels from a random linear teacher) and the
    weights in PyTorch's layouts, drawn from PyTorch's default init ranges."""
    rng = np.random.default_rng(seed)
    batch = CONFIGS[image]
    X = rng.standard_normal((batch, 1, image, image))  # (N, 1, H, W)
    y = np.argmax(X.reshape(batch, -1) @ rng.standard_normal((image * image, CLASSES)), axis=1)
    n_flat = C2 * (image // 4) ** 2
    shapes = [(C1, 1, 3, 3), (C1,), (C2, C1, 3, 3), (C2,), (CLASSES, n_flat), (CLASSES,)]
    fan_ins = [9, 9, 9 * C1, 9 * C1, n_flat, n_flat]
    weights = [rng.uniform(-1, 1, size=s) / np.sqrt(f) for s, f in zip(shapes, fan_ins, strict=True)]
    return X, y, weights


# ***** the hand-written step *****


def patches_3x3(a):
    """(C, H, W, N) activations -> the patch matrix (C*9, H*W*N) of a 3x3 conv with padding 1:
    row (c, i, j), column (h, w, n) holds the padded a[c, h + i, w + j, n]."""
    C, H, W, N = a.shape
    padded = np.zeros((C, H + 2, W + 2, N))
    padded[:, 1:-1, 1:-1] = a
    cols = np.empty((C, 3, 3, H, W, N))
    for i in range(3):
        for j in range(3):
            cols[:, i, j] = padded[:, i : i + H, j : j + W]  # (C, H, W, N), runs of W*N numbers
    return cols.reshape(C * 9, H * W * N)


def patches_3x3_adjoint(d_out, weight, shape):
    """Gradient for the (C, H, W, N) input of a 3x3 padding-1 conv from d_out (F, H*W*N):
    each kernel offset's share, weight[:, :, i, j].T @ d_out, added back where it was read."""
    C, H, W, N = shape
    d_padded = np.zeros((C, H + 2, W + 2, N))
    for i in range(3):
        for j in range(3):
            d_padded[:, i : i + H, j : j + W] += (weight[:, :, i, j].T @ d_out).reshape(shape)
    return d_padded[:, 1:-1, 1:-1]


def pool_2x2(z, F, H, W):
    """A conv output z (F, H*W*N) -> its 2x2 maxima (F, H/2, W/2, N) and where they are."""
    z6 = z.reshape(F, H // 2, 2, W // 2, 2, -1)  # (F, h, i, w, j, N): window (h, w), offset (i, j)
    top = np.maximum(
        np.maximum(z6[:, :, 0, :, 0], z6[:, :, 0, :, 1]), np.maximum(z6[:, :, 1, :, 0], z6[:, :, 1, :, 1])
    )
    return top, (z6 == top[:, :, None, :, None]).astype(z.dtype)  # no ties in random data


class NumpyStep:
    """The training step written out by hand. Each block computes conv -> pool -> + bias -> ReLU,
    which equals conv + bias -> ReLU -> pool (one bias per window, and ReLU and max commute)."""

    def __init__(self, X, y, weights):
        self.X, self.y, self.rows = X, y, np.arange(len(y))
        self.params = [w.copy() for w in weights]

    def __call__(self) -> float:
        W1, b1, W2, b2, W3, b3 = self.params
        N, _, H, W = self.X.shape
        cols1 = patches_3x3(self.X.transpose(1, 2, 3, 0))  # (9, H*W*N)
        p1, mask1 = pool_2x2(W1.reshape(C1, -1) @ cols1, C1, H, W)  # (8, H/2, W/2, N)
        h1 = p1 + b1[:, None, None, None]
        a1 = np.maximum(h1, 0.0)
        cols2 = patches_3x3(a1)  # (72, H/2 * W/2 * N)
        p2, mask2 = pool_2x2(W2.reshape(C2, -1) @ cols2, C2, H // 2, W // 2)  # (16, H/4, W/4, N)
        h2 = p2 + b2[:, None, None, None]
        a2 = np.maximum(h2, 0.0)
        flat = a2.reshape(-1, N)  # (16 * H/4 * W/4, N): PyTorch's flatten order (c, h, w), transposed
        z = (W3 @ flat).T + b3  # (N, 10) logits
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        total = e.sum(axis=1, keepdims=True)
        loss = np.log(total[:, 0]).mean() - z[self.rows, self.y].mean()
        dz = e / total  # softmax - one_hot, over the batch size
        dz[self.rows, self.y] -= 1.0
        dz /= N
        dh2 = (W3.T @ dz.T).reshape(a2.shape) * (h2 > 0)  # (16, H/4, W/4, N), through the ReLU
        dz2 = (mask2 * dh2[:, :, None, :, None]).reshape(C2, -1)  # to each window's maximum
        dh1 = patches_3x3_adjoint(dz2, W2, a1.shape) * (h1 > 0)  # (8, H/2, W/2, N)
        dz1 = (mask1 * dh1[:, :, None, :, None]).reshape(C1, -1)
        grads = [
            (dz1 @ cols1.T).reshape(W1.shape),
            dh1.sum(axis=(1, 2, 3)),
            (dz2 @ cols2.T).reshape(W2.shape),
            dh2.sum(axis=(1, 2, 3)),
            dz.T @ flat.T,
            dz.sum(axis=0),
        ]
        for p, g in zip(self.params, grads, strict=True):
            p -= LR * g
        return float(loss)


# ***** the same step in tinygrad_edu and PyTorch *****


class TensorStep(timing.TrainStep):
    """The same step with tinygrad_edu: what a learner would write."""

    def __init__(self, X, y, weights):
        conv1, conv2 = nn.Conv2d(1, C1, 3, padding=1), nn.Conv2d(C1, C2, 3, padding=1)
        fc = nn.Linear(weights[4].shape[1], CLASSES)
        self.model = nn.Sequential(
            conv1, nn.ReLU(), nn.MaxPool2d(2), conv2, nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), fc
        )
        # PyTorch's layouts, in PyTorch's order
        for p, w in zip(self.model.parameters(), weights, strict=True):
            p.data[...] = w
        self.X, self.y = Tensor(X), y
        self.opt = optim.SGD(self.model.parameters(), lr=LR)

    def loss(self):
        return nn.cross_entropy(self.model(self.X), self.y)


class TorchStep(timing.TrainStep):
    """The same step in PyTorch (float64, CPU, one thread)."""

    def __init__(self, X, y, weights):
        self.torch = torch = timing.torch_one_thread()
        tnn = torch.nn
        self.model = tnn.Sequential(
            tnn.Conv2d(1, C1, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
            tnn.Conv2d(C1, C2, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
            tnn.Flatten(), tnn.Linear(weights[4].shape[1], CLASSES),
        ).double()  # fmt: skip
        with torch.no_grad():
            for p, w in zip(self.model.parameters(), weights, strict=True):
                p.copy_(torch.from_numpy(w))
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR)

    def loss(self):
        return self.torch.nn.functional.cross_entropy(self.model(self.X), self.y)


def main(argv=None) -> dict:
    parser = timing.parser(__doc__, "--sizes", "8,28", "comma-separated image sizes, from 8 and 28")
    args = parser.parse_args(argv)
    ours = "tinygrad_edu.Tensor"
    engines = timing.with_torch(
        {timing.REFERENCE: NumpyStep, ours: TensorStep}, {"torch": TorchStep}, skip=args.no_torch
    )
    results = {}
    for image in args.sizes:
        title = f"LeNet-style training step, {image}x{image} images, batch {CONFIGS[image]}, float64"
        results[image] = result = timing.run(engines, make_problem(image), title, CHECK_STEPS, args.quick)
        print(timing.ratio_line(result, ours, TARGETS[image]))
    return results


if __name__ == "__main__":
    main()
