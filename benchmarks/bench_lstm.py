"""How fast is BPTT with nn.LSTM and nn.LSTMCell next to hand-written numpy (and PyTorch)?

    python benchmarks/bench_lstm.py          # about 40 seconds; --quick for a smoke test

bench_rnn.py's step with PyTorch's LSTM (gate rows i, f, g, o; c_t = f c_(t-1) + i g,
h_t = o tanh(c_t)): T = 50 time steps from h_0 = c_0 = 0, batch 16, 8 inputs, hidden 32 and 128;
a linear readout of h_T to 4 classes, softmax cross-entropy and plain SGD (lr 0.05), float64,
one BLAS thread. Every engine starts from the same weights; the first steps run in lock-step
and their losses must agree to 1e-9.

Engines:
  numpy             BPTT derived by hand (no graph): the input projections of all steps in one
                    product, per step one product and the gates, per step backward a few
                    multiplies and one product, each weight gradient one product over all steps
  tinygrad_edu nn.LSTM       the whole sequence in one call (one node, hand-written BPTT)
  tinygrad_edu LSTMCell loop a Python loop over nn.LSTMCell (one node per step)
  torch nn.LSTM, torch LSTMCell loop (if PyTorch is installed)
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import timing  # noqa: E402  (first: it sets one BLAS thread before numpy loads)

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numpy as np  # noqa: E402
from bench_rnn import BATCH, CLASSES, INPUTS, LR, STEPS, TorchCellStep, time_hidden_sizes  # noqa: E402

from tinygrad_edu import Tensor, nn, optim  # noqa: E402

TARGETS = {"tinygrad_edu LSTMCell loop": 2.5, "tinygrad_edu nn.LSTM": 1.15}


def make_problem(hidden: int, seed: int = 0):
    """bench_rnn's sequences and labels; weights in nn.LSTM's layout (4*hidden rows)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((STEPS, BATCH, INPUTS))
    y = np.argmax(X.sum(axis=0) @ rng.standard_normal((INPUTS, CLASSES)), axis=1)
    bound = 1 / np.sqrt(hidden)
    shapes = [
        (4 * hidden, INPUTS),
        (4 * hidden, hidden),
        (4 * hidden,),
        (4 * hidden,),
        (CLASSES, hidden),
        (CLASSES,),
    ]
    return X, y, [rng.uniform(-bound, bound, s) for s in shapes]


def sigmoid(a):
    return 0.5 + 0.5 * np.tanh(0.5 * a)


class NumpyStep:
    """LSTM BPTT written out by hand."""

    def __init__(self, X, y, weights):
        self.X, self.y, self.rows = X, y, np.arange(len(y))
        self.params = [w.copy() for w in weights]

    def __call__(self) -> float:
        W_ih, W_hh, b_ih, b_hh, W_out, b_out = self.params
        X, y, rows = self.X, self.y, self.rows
        T, B, _ = X.shape
        n = W_hh.shape[1]
        A = (X.reshape(T * B, -1) @ W_ih.T + (b_ih + b_hh)).reshape(T, B, 4 * n)  # (T, B, 4H)
        hs, cs = np.zeros((T + 1, B, n)), np.zeros((T + 1, B, n))
        tc = np.empty((T, B, n))
        for t in range(T):
            a = A[t]
            a += hs[t] @ W_hh.T
            a[:, : 2 * n] = sigmoid(a[:, : 2 * n])
            a[:, 3 * n :] = sigmoid(a[:, 3 * n :])
            np.tanh(a[:, 2 * n : 3 * n], out=a[:, 2 * n : 3 * n])
            i, f, g, o = a[:, :n], a[:, n : 2 * n], a[:, 2 * n : 3 * n], a[:, 3 * n :]
            cs[t + 1] = f * cs[t] + i * g
            np.tanh(cs[t + 1], out=tc[t])
            np.multiply(o, tc[t], out=hs[t + 1])
        z = hs[T] @ W_out.T + b_out
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        total = e.sum(axis=1, keepdims=True)
        loss = np.log(total[:, 0]).mean() - z[rows, y].mean()
        dz = e / total
        dz[rows, y] -= 1.0
        dz /= B
        q = A.reshape(T, B, 4, n)
        i, f, g, o = q[:, :, 0], q[:, :, 1], q[:, :, 2], q[:, :, 3]
        S = q * (1 - q)  # the local slopes of every step at once
        S[:, :, 0] *= g
        S[:, :, 1] *= cs[:-1]
        S[:, :, 2] = i * (1 - g * g)
        S[:, :, 3] *= tc
        K = o * (1 - tc * tc)
        dA = np.empty_like(q)
        dh, dc = dz @ W_out, np.zeros((B, n))
        for t in range(T - 1, -1, -1):
            dc += dh * K[t]
            np.multiply(dc[:, None, :], S[t, :, :3], out=dA[t, :, :3])
            np.multiply(dh, S[t, :, 3], out=dA[t, :, 3])
            dc *= f[t]
            dh = dA[t].reshape(B, 4 * n) @ W_hh
        G = dA.reshape(T * B, 4 * n)
        db = G.sum(axis=0)
        grads = (
            G.T @ X.reshape(T * B, -1),
            G.T @ hs[:-1].reshape(T * B, n),
            db,
            db,
            dz.T @ hs[T],
            dz.sum(axis=0),
        )
        for p, grad in zip(self.params, grads, strict=True):
            p -= LR * grad
        return float(loss)


class TinygradSeqStep(timing.TrainStep):
    """nn.LSTM over the whole sequence in one call, nn.Linear, nn.cross_entropy, optim.SGD."""

    def __init__(self, X, y, weights):
        hidden = weights[1].shape[1]
        self.rec, self.readout = self.build(hidden), nn.Linear(hidden, CLASSES)
        params = self.rec.parameters() + self.readout.parameters()
        for p, w in zip(params, weights, strict=True):
            p.data[...] = w
        self.X, self.xs, self.y = Tensor(X), [Tensor(x) for x in X], y
        self.opt = optim.SGD(params, lr=LR)

    def build(self, hidden):
        return nn.LSTM(INPUTS, hidden)

    def last_state(self):
        return self.rec(self.X)[1][0][0]  # h_n[0]

    def loss(self):
        return nn.cross_entropy(self.readout(self.last_state()), self.y)


class TinygradCellStep(TinygradSeqStep):
    """A Python loop over nn.LSTMCell: what a learner writes."""

    def build(self, hidden):
        return nn.LSTMCell(INPUTS, hidden)

    def last_state(self):
        state = None
        for x in self.xs:
            state = self.rec(x, state)
        return state[0]


class TorchLSTMCellStep(TorchCellStep):
    def build(self, torch, rows):  # rows of weight_hh: 4*hidden
        self.cell = torch.nn.LSTMCell(INPUTS, rows // 4).double()
        self.readout = torch.nn.Linear(rows // 4, CLASSES).double()
        self.params = list(self.cell.parameters()) + list(self.readout.parameters())

    def last_state(self):
        state = None
        for x in self.xs:
            state = self.cell(x, state)
        return state[0]


class TorchLSTMStep(TorchCellStep):
    def build(self, torch, rows):  # rows of weight_hh: 4*hidden
        self.lstm = torch.nn.LSTM(INPUTS, rows // 4).double()
        self.readout = torch.nn.Linear(rows // 4, CLASSES).double()
        self.params = list(self.lstm.parameters()) + list(self.readout.parameters())

    def last_state(self):
        return self.lstm(self.X)[1][0][0]


def main(argv=None) -> dict:
    ours = {"tinygrad_edu LSTMCell loop": TinygradCellStep, "tinygrad_edu nn.LSTM": TinygradSeqStep}
    torch_engines = {"torch LSTMCell loop": TorchLSTMCellStep, "torch nn.LSTM": TorchLSTMStep}
    return time_hidden_sizes(argv, __doc__, "LSTM", make_problem, NumpyStep, ours, torch_engines, TARGETS)


if __name__ == "__main__":
    main()
