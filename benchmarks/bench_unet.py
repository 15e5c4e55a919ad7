"""How fast is a tiny U-Net training step in tinygrad_edu next to hand-written numpy (and PyTorch)?

    python benchmarks/bench_unet.py          # about 30 seconds; --quick for a smoke test

The network (one encoder level, one decoder level, one skip connection), NCHW, 32x32 images:

    e1 = ReLU(conv 3x3, 1 -> 8, padding 1)(x)                  (B, 8, 32, 32)
    e2 = ReLU(conv 3x3, 8 -> 16, padding 1)(max-pool 2x2 (e1))  (B, 16, 16, 16)
    u  = ConvTranspose2d(16 -> 8, kernel 2, stride 2)(e2)      (B, 8, 32, 32)
    d  = ReLU(conv 3x3, 16 -> 8, padding 1)(cat([u, e1]))      (B, 8, 32, 32)   the skip
    y  = conv 1x1 (8 -> 1)(d)                                  (B, 1, 32, 32)

mean squared error against a target image, plain SGD (lr 0.05), float64, one BLAS thread,
batches of 8 and 32. The data is a fixed denoising batch: smooth targets (sums of three plane
waves) and the same images plus Gaussian noise as inputs. One step = forward + loss +
backward + update. Every engine starts from the same weights and sees the same batch; the
first steps run in lock-step and their losses must agree to 1e-9.

Engines:
  numpy         the forward and backward derived by hand (no graph at all), with bench_conv.py's
                helpers: activations kept as (C, H, W, batch), im2col and one matrix product per
                3x3 convolution, the transposed convolution as one product and one strided copy
                (its stamps do not overlap). The reference for the ratios.
  tinygrad_edu  nn.Conv2d, nn.MaxPool2d, nn.ConvTranspose2d, Tensor.relu, Tensor.cat(axis=1),
                nn.mse_loss, optim.SGD: what a learner writes
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
from bench_conv import patches_3x3, patches_3x3_adjoint, pool_2x2  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tinygrad_edu import Tensor, nn, optim  # noqa: E402

C1, C2 = 8, 16
LR = 0.05
CHECK_STEPS = 3
TARGETS = {8: 1.5, 32: 1.3}  # issue 19's bar: at most this many times the numpy step


def make_problem(batch: int, image: int = 32, seed: int = 0):
    """A fixed denoising batch (B, 1, N, N) of inputs and targets, and the weights in PyTorch's
    layouts, drawn from PyTorch's default init ranges U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:image, 0:image] / image  # (N, N) each, in [0, 1)
    k = rng.uniform(-3, 3, size=(batch, 3, 2, 1, 1))  # three wave vectors per image
    phase = rng.uniform(0, 2 * np.pi, size=(batch, 3, 1, 1))
    amplitude = rng.uniform(0.5, 1.0, size=(batch, 3, 1, 1))
    waves = amplitude * np.cos(2 * np.pi * (k[:, :, 0] * cols + k[:, :, 1] * rows) + phase)  # (B, 3, N, N)
    target = waves.sum(axis=1)[:, None]  # (B, 1, N, N)
    X = target + 0.5 * rng.standard_normal(target.shape)  # (B, 1, N, N)
    # ConvTranspose2d's weight is (in, out, kh, kw) and PyTorch's fan_in for it is out * kh * kw
    shapes = [(C1, 1, 3, 3), (C1,), (C2, C1, 3, 3), (C2,), (C2, C1, 2, 2), (C1,),
              (C1, 2 * C1, 3, 3), (C1,), (1, C1, 1, 1), (1,)]  # fmt: skip
    fan_ins = [9, 9, 9 * C1, 9 * C1, 4 * C1, 4 * C1, 18 * C1, 18 * C1, C1, C1]
    weights = [rng.uniform(-1, 1, size=s) / np.sqrt(f) for s, f in zip(shapes, fan_ins, strict=True)]
    return X, target, weights


# ***** the hand-written step *****


class NumpyStep:
    """The training step written out by hand, in the (C, H, W, batch) layout of bench_conv.py."""

    def __init__(self, X, target, weights):
        self.x = np.ascontiguousarray(X.transpose(1, 2, 3, 0))  # (1, N, N, B)
        self.target = target[:, 0].transpose(1, 2, 0).reshape(1, -1)  # (1, N*N*B), same order
        self.params = [w.copy() for w in weights]

    def __call__(self) -> float:
        W1, b1, W2, b2, Wu, bu, W3, b3, W4, b4 = self.params
        _, N, _, B = self.x.shape
        M = N // 2
        # ----- forward -----
        cols1 = patches_3x3(self.x)  # (9, N*N*B)
        z1 = W1.reshape(C1, -1) @ cols1 + b1[:, None]  # (8, N*N*B)
        e1 = np.maximum(z1, 0.0)
        p1, mask1 = pool_2x2(e1, C1, N, N)  # (8, M, M, B) and the float mask of the maxima
        cols2 = patches_3x3(p1)  # (72, M*M*B)
        z2 = W2.reshape(C2, -1) @ cols2 + b2[:, None]  # (16, M*M*B)
        e2 = np.maximum(z2, 0.0)
        # transposed conv, kernel 2 = stride 2: u[o, 2h + i, 2w + j] = sum_c e2[c, h, w] Wu[c, o, i, j]
        stamps = Wu.reshape(C2, -1).T @ e2  # (8*2*2, M*M*B), rows (o, i, j)
        u = stamps.reshape(C1, 2, 2, M, M, B).transpose(0, 3, 1, 4, 2, 5).reshape(C1, N, N, B)
        skip = np.concatenate([u + bu[:, None, None, None], e1.reshape(C1, N, N, B)])  # (16, N, N, B)
        cols3 = patches_3x3(skip)  # (144, N*N*B)
        z3 = W3.reshape(C1, -1) @ cols3 + b3[:, None]  # (8, N*N*B)
        d = np.maximum(z3, 0.0)
        diff = W4.reshape(1, C1) @ d + b4[:, None] - self.target  # (1, N*N*B): prediction - target
        loss = np.vdot(diff, diff) / diff.size
        # ----- backward -----
        dy = diff * (2.0 / diff.size)  # dL/dprediction (1, N*N*B)
        dz3 = W4.reshape(C1, 1) * dy * (z3 > 0)  # (8, N*N*B), through the ReLU
        d_skip = patches_3x3_adjoint(dz3, W3, skip.shape)  # (16, N, N, B): [du, de1]
        du = d_skip[:C1].reshape(C1, M, 2, M, 2, B).transpose(0, 2, 4, 1, 3, 5).reshape(4 * C1, -1)
        dz2 = (Wu.reshape(C2, -1) @ du) * (z2 > 0)  # (16, M*M*B), rows of du: (o, i, j)
        dp1 = patches_3x3_adjoint(dz2, W2, p1.shape)  # (8, M, M, B)
        de1 = (mask1 * dp1[:, :, None, :, None]).reshape(C1, N, N, B) + d_skip[C1:]  # pool + skip
        dz1 = de1.reshape(C1, -1) * (z1 > 0)  # (8, N*N*B)
        grads = [
            (dz1 @ cols1.T).reshape(W1.shape),
            dz1.sum(axis=1),
            (dz2 @ cols2.T).reshape(W2.shape),
            dz2.sum(axis=1),
            (e2 @ du.T).reshape(Wu.shape),  # (16, M*M*B) @ (M*M*B, 32)
            du.reshape(C1, -1).sum(axis=1),
            (dz3 @ cols3.T).reshape(W3.shape),
            dz3.sum(axis=1),
            (dy @ d.T).reshape(W4.shape),
            dy.sum(axis=1),
        ]
        for p, g in zip(self.params, grads, strict=True):
            p -= LR * g
        return float(loss)


# ***** the same step in tinygrad_edu and PyTorch *****


class TensorStep(timing.TrainStep):
    """The same step with tinygrad_edu: what a learner would write."""

    def __init__(self, X, target, weights):
        self.enc1, self.enc2 = nn.Conv2d(1, C1, 3, padding=1), nn.Conv2d(C1, C2, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ConvTranspose2d(C2, C1, 2, stride=2)
        self.dec, self.head = nn.Conv2d(2 * C1, C1, 3, padding=1), nn.Conv2d(C1, 1, 1)
        modules = (self.enc1, self.enc2, self.up, self.dec, self.head)
        self.params = [p for m in modules for p in (m.weight, m.bias)]  # PyTorch's order
        for p, w in zip(self.params, weights, strict=True):
            p.data[...] = w
        self.X, self.target = Tensor(X), Tensor(target)
        self.opt = optim.SGD(self.params, lr=LR)

    def loss(self):
        e1 = self.enc1(self.X).relu()
        e2 = self.enc2(self.pool(e1)).relu()
        d = self.dec(Tensor.cat([self.up(e2), e1], axis=1)).relu()
        return nn.mse_loss(self.head(d), self.target)


class TorchStep(timing.TrainStep):
    """The same step in PyTorch (float64, CPU, one thread)."""

    def __init__(self, X, target, weights):
        self.torch = torch = timing.torch_one_thread()
        tnn = torch.nn
        self.enc1, self.enc2 = tnn.Conv2d(1, C1, 3, padding=1), tnn.Conv2d(C1, C2, 3, padding=1)
        self.pool = tnn.MaxPool2d(2)
        self.up = tnn.ConvTranspose2d(C2, C1, 2, stride=2)
        self.dec, self.head = tnn.Conv2d(2 * C1, C1, 3, padding=1), tnn.Conv2d(C1, 1, 1)
        modules = (self.enc1, self.enc2, self.up, self.dec, self.head)
        params = [p for m in modules for p in (m.weight, m.bias)]
        with torch.no_grad():
            for p, w in zip(params, weights, strict=True):
                p.data = torch.from_numpy(w.copy())  # float64
        self.X, self.target = torch.from_numpy(X), torch.from_numpy(target)
        self.opt = torch.optim.SGD(params, lr=LR)

    def loss(self):
        relu = self.torch.relu
        e1 = relu(self.enc1(self.X))
        e2 = relu(self.enc2(self.pool(e1)))
        d = relu(self.dec(self.torch.cat([self.up(e2), e1], dim=1)))
        return self.torch.nn.functional.mse_loss(self.head(d), self.target)


def main(argv=None) -> dict:
    parser = timing.parser(__doc__, "--batch-sizes", "8,32", "comma-separated batch sizes")
    parser.add_argument("--image", type=int, default=32, help="image side, even (default 32)")
    args = parser.parse_args(argv)
    ours = "tinygrad_edu.Tensor"
    engines = timing.with_torch(
        {timing.REFERENCE: NumpyStep, ours: TensorStep}, {"torch": TorchStep}, skip=args.no_torch
    )
    results = {}
    for batch in args.batch_sizes:
        title = f"Tiny U-Net training step, {args.image}x{args.image} images, batch {batch}, float64"
        problem = make_problem(batch, args.image)
        results[batch] = result = timing.run(engines, problem, title, CHECK_STEPS, args.quick)
        print(timing.ratio_line(result, ours, TARGETS.get(batch)))
    return results


if __name__ == "__main__":
    main()
