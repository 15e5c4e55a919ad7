"""How fast is backpropagation through time with nn.RNNCell next to hand-written numpy (and PyTorch)?

    python benchmarks/bench_rnn.py          # about 30 seconds; --quick for a smoke test

The step: an Elman RNN h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) over T = 50 time
steps from h_0 = 0, batch 16, 8 inputs, hidden 32 and 128; a linear readout of h_T to 4
classes, softmax cross-entropy (mean over the batch) and plain SGD (lr 0.05), in float64 with
one BLAS thread. One step = forward over the sequence + loss + backward through time + update.
Every engine starts from the same weights and sees the same sequences; the first steps run in
lock-step and their losses must agree to 1e-9.

Engines:
  numpy             BPTT derived by hand (no graph): the input projections of all steps in
                    one product, one product + tanh per step forward, one multiply + product
                    per step backward, each weight gradient one product over all steps
  tinygrad_edu      a Python loop over nn.RNNCell (one graph node per step), nn.Linear,
                    nn.cross_entropy, optim.SGD: what a learner writes
  tinygrad_edu nn.RNN  the whole sequence in one call (one node, hand-written BPTT)
  torch RNNCell     the same loop in PyTorch, if it is installed
  torch nn.RNN      PyTorch's whole-sequence module, if it is installed

Engines run side by side in rounds (see timing.py); the ratios are medians of per-round
ratios, so a busy machine slows everyone alike. Python's garbage collector stays on.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import timing  # noqa: E402  (first: it sets one BLAS thread before numpy loads)

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numpy as np  # noqa: E402

from tinygrad_edu import Tensor, nn, optim  # noqa: E402

STEPS, BATCH, INPUTS, CLASSES = 50, 16, 8, 4
LR = 0.05
CHECK_STEPS = 3
TARGETS = {"tinygrad_edu RNNCell loop": 2.5, "tinygrad_edu nn.RNN": 1.15}  # the bar: at most x numpy


def make_problem(hidden: int, seed: int = 0):
    """Fixed sequences X (T, batch, inputs), labels from a random linear teacher on the summed
    inputs, and weights in PyTorch's RNNCell/Linear layouts drawn from U(-1/sqrt(hidden), ..)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((STEPS, BATCH, INPUTS))
    y = np.argmax(X.sum(axis=0) @ rng.standard_normal((INPUTS, CLASSES)), axis=1)
    bound = 1 / np.sqrt(hidden)
    shapes = [(hidden, INPUTS), (hidden, hidden), (hidden,), (hidden,), (CLASSES, hidden), (CLASSES,)]
    return X, y, [rng.uniform(-bound, bound, s) for s in shapes]


class NumpyStep:
    """BPTT written out by hand: the recurrence forward, then the chain rule back through time."""

    def __init__(self, X, y, weights):
        self.X, self.y, self.rows = X, y, np.arange(len(y))
        self.params = [w.copy() for w in weights]

    def __call__(self) -> float:
        W_ih, W_hh, b_ih, b_hh, W_out, b_out = self.params
        X, y, rows = self.X, self.y, self.rows
        T, B, _ = X.shape
        hidden = len(b_ih)
        # forward: the input part of every step at once, then the recurrence step by step
        xw = (X.reshape(T * B, -1) @ W_ih.T + (b_ih + b_hh)).reshape(T, B, hidden)  # (T, B, H)
        hs = np.zeros((T + 1, B, hidden))  # hs[0] = h_0 = 0, hs[t + 1] = h after step t
        for t in range(T):
            np.tanh(xw[t] + hs[t] @ W_hh.T, out=hs[t + 1])  # (B, H)
        z = hs[T] @ W_out.T + b_out  # (B, classes) logits
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        total = e.sum(axis=1, keepdims=True)
        loss = np.log(total[:, 0]).mean() - z[rows, y].mean()
        dz = e / total  # softmax - one_hot, over the batch size
        dz[rows, y] -= 1.0
        dz /= B
        # backward through time: g_a_t = dh_t * (1 - h_t^2), dh_{t-1} = g_a_t W_hh
        tanh_slope = 1.0 - hs[1:] ** 2  # (T, B, H): every step's 1 - h_t^2 at once
        g_a = np.empty((T, B, hidden))
        dh = dz @ W_out  # dL/dh_T (B, H)
        for t in range(T - 1, -1, -1):
            np.multiply(dh, tanh_slope[t], out=g_a[t])
            dh = g_a[t] @ W_hh
        G = g_a.reshape(T * B, hidden)  # every step's rows stacked: sums over t become one product
        db = G.sum(axis=0)
        grads = (G.T @ X.reshape(T * B, -1), G.T @ hs[:-1].reshape(T * B, hidden), db, db)
        grads += (dz.T @ hs[T], dz.sum(axis=0))
        for p, g in zip(self.params, grads, strict=True):
            p -= LR * g
        return float(loss)


class TinygradStep(timing.TrainStep):
    """The same step with tinygrad_edu: a loop over nn.RNNCell, what a learner would write."""

    def __init__(self, X, y, weights):
        hidden = weights[1].shape[0]
        self.cell, self.readout = nn.RNNCell(INPUTS, hidden), nn.Linear(hidden, CLASSES)
        params = self.cell.parameters() + self.readout.parameters()
        for p, w in zip(params, weights, strict=True):
            p.data[...] = w
        self.xs = [Tensor(x) for x in X]  # one (batch, inputs) tensor per time step
        self.y = y
        self.opt = optim.SGD(params, lr=LR)

    def loss(self):
        h = None  # h_0 = 0
        for x in self.xs:
            h = self.cell(x, h)
        return nn.cross_entropy(self.readout(h), self.y)


class TinygradSeqStep(TinygradStep):
    """The same step with nn.RNN over the whole (T, batch, inputs) sequence in one call."""

    def __init__(self, X, y, weights):
        hidden = weights[1].shape[0]
        self.rnn, self.readout = nn.RNN(INPUTS, hidden), nn.Linear(hidden, CLASSES)
        params = self.rnn.parameters() + self.readout.parameters()
        for p, w in zip(params, weights, strict=True):
            p.data[...] = w
        self.X, self.y = Tensor(X), y
        self.opt = optim.SGD(params, lr=LR)

    def loss(self):
        _, h_n = self.rnn(self.X)
        return nn.cross_entropy(self.readout(h_n[0]), self.y)


class TorchCellStep(timing.TrainStep):
    """The loop over torch.nn.RNNCell (float64, CPU, one thread)."""

    def __init__(self, X, y, weights):
        self.torch = torch = timing.torch_one_thread()
        hidden = weights[1].shape[0]
        self.build(torch, hidden)
        with torch.no_grad():
            for p, w in zip(self.params, weights, strict=True):
                p.copy_(torch.from_numpy(w))
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)
        self.xs = list(self.X.unbind(0))
        self.opt = torch.optim.SGD(self.params, lr=LR)

    def build(self, torch, hidden):
        self.cell = torch.nn.RNNCell(INPUTS, hidden).double()
        self.readout = torch.nn.Linear(hidden, CLASSES).double()
        self.params = list(self.cell.parameters()) + list(self.readout.parameters())

    def last_state(self):
        h = None
        for x in self.xs:
            h = self.cell(x, h)
        return h

    def loss(self):
        return self.torch.nn.functional.cross_entropy(self.readout(self.last_state()), self.y)


class TorchRNNStep(TorchCellStep):
    """torch.nn.RNN over the whole sequence in one call."""

    def build(self, torch, hidden):
        self.rnn = torch.nn.RNN(INPUTS, hidden).double()
        self.readout = torch.nn.Linear(hidden, CLASSES).double()
        r = self.rnn
        self.params = [r.weight_ih_l0, r.weight_hh_l0, r.bias_ih_l0, r.bias_hh_l0]
        self.params += list(self.readout.parameters())

    def last_state(self):
        return self.rnn(self.X)[1][0]  # h_T of the one layer, (batch, hidden)


def time_hidden_sizes(argv, doc, cell, make_problem, reference, ours, torch_engines, targets) -> dict:
    """For each ``--hidden-sizes`` entry, time the ``reference`` numpy step, ``ours`` and the
    torch engines side by side on ``make_problem(hidden)``, and print each of ours' ratios against
    its bar in ``targets``. bench_lstm.py times its LSTM engines with this too."""
    args = timing.parser(doc, "--hidden-sizes", "32,128").parse_args(argv)
    engines = timing.with_torch({timing.REFERENCE: reference, **ours}, torch_engines, skip=args.no_torch)
    results = {}
    for hidden in args.hidden_sizes:
        title = f"{cell}, BPTT over {STEPS} steps, batch {BATCH}, hidden {hidden}, float64"
        results[hidden] = result = timing.run(engines, make_problem(hidden), title, CHECK_STEPS, args.quick)
        for name, bar in targets.items():
            print(timing.ratio_line(result, name, bar, named=True))
    return results


def main(argv=None) -> dict:
    ours = {"tinygrad_edu RNNCell loop": TinygradStep, "tinygrad_edu nn.RNN": TinygradSeqStep}
    torch_engines = {"torch RNNCell loop": TorchCellStep, "torch nn.RNN": TorchRNNStep}
    return time_hidden_sizes(
        argv, __doc__, "Elman RNN", make_problem, NumpyStep, ours, torch_engines, TARGETS
    )


if __name__ == "__main__":
    main()
