"""A PyTorch learner's first hour: programs written as PyTorch tutorials write them, run here
with only the import changed, and compared with the same program in torch float64 step by step.

Each workload is written once, as a function of a namespace ``lib`` that is either
``tinygrad_edu`` or ``torch`` (the only difference a learner would make), so both sides run
literally the same lines. (The programs are our own, in the style of the usual first lessons:
a cubic fitted to sin(x) by hand-written gradient descent, softmax regression from scratch,
and a character-level recurrent network.)
"""

import math
import types

import numpy as np

import tinygrad_edu
from tinygrad_edu import Tensor, no_grad


def ours():
    """The names a tutorial reaches for, from tinygrad_edu (what `import torch` gives there)."""
    return types.SimpleNamespace(
        tensor=lambda data, requires_grad=False: Tensor(np.asarray(data, dtype=np.float64), requires_grad),
        linspace=Tensor.linspace,
        zeros=Tensor.zeros,
        normal=Tensor.normal,
        no_grad=no_grad,
        nn=tinygrad_edu.nn,
        F=tinygrad_edu.nn.functional,
        cat=Tensor.cat,
        labels=lambda codes: np.asarray(codes),  # class labels are integer arrays here
    )


def theirs(torch):
    return types.SimpleNamespace(
        tensor=lambda data, requires_grad=False: torch.tensor(
            np.asarray(data, dtype=np.float64), requires_grad=requires_grad
        ),
        linspace=lambda start, end, steps: torch.linspace(start, end, steps, dtype=torch.float64),
        zeros=lambda *shape, requires_grad=False: torch.zeros(
            *shape, dtype=torch.float64, requires_grad=requires_grad
        ),
        normal=lambda mean, std, size: torch.normal(mean, std, size),
        no_grad=torch.no_grad,
        nn=torch.nn,
        F=types.SimpleNamespace(
            one_hot=lambda labels, n: torch.nn.functional.one_hot(labels, n).double(),
            cross_entropy=torch.nn.functional.cross_entropy,
        ),
        cat=torch.cat,
        labels=lambda codes: torch.as_tensor(np.asarray(codes), dtype=torch.int64),
    )


def cubic_fit_by_hand(lib, start, steps=40, lr=1e-6):
    """y = a + b x + c x^2 + d x^3 fitted to sin(x) on [-pi, pi] with raw autograd and a
    hand-written update (in place, under no_grad), as the first tutorial does."""
    x = lib.linspace(-math.pi, math.pi, 2000)
    y = x.sin()
    a, b, c, d = (lib.tensor(v, requires_grad=True) for v in start)
    losses = []
    for _ in range(steps):
        prediction = a + b * x + c * x.pow(2) + d * x**3
        loss = (prediction - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with lib.no_grad():
            for p in (a, b, c, d):
                p -= lr * p.grad
                p.grad = None
    return losses, [p.item() for p in (a, b, c, d)]


def test_cubic_fit_with_raw_autograd_matches_torch(torch):
    start = np.random.default_rng(0).normal(size=4)
    our_losses, our_weights = cubic_fit_by_hand(ours(), start)
    their_losses, their_weights = cubic_fit_by_hand(theirs(torch), start)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-10)
    np.testing.assert_allclose(our_weights, their_weights, rtol=1e-10)
    assert our_losses[-1] < our_losses[0] / 10  # it learned


def softmax_regression(lib, features, labels, W0, steps=15, lr=0.5):
    """Softmax regression from scratch: the softmax written out, cross-entropy by picking each
    row's true class, and plain SGD on the weights in place."""
    X, y = lib.tensor(features), lib.labels(labels)
    W = lib.tensor(W0, requires_grad=True)
    b = lib.zeros(W0.shape[1], requires_grad=True)
    n = len(labels)
    losses = []
    for _ in range(steps):
        exp = (X.matmul(W) + b).exp()
        probabilities = exp / exp.sum(1, keepdim=True)  # each row sums to 1
        loss = -probabilities[np.arange(n), labels].log().mean()
        losses.append(loss.item())
        loss.backward()
        with lib.no_grad():
            for p in (W, b):
                p -= lr * p.grad
                p.grad = None
    with lib.no_grad():
        correct = float((X.matmul(W).argmax(1) == y).sum())
    return losses, correct / n


def test_softmax_regression_from_scratch_matches_torch(torch):
    rng = np.random.default_rng(1)
    centers = rng.normal(scale=3.0, size=(3, 4))
    labels = rng.integers(0, 3, 90)
    features = centers[labels] + rng.normal(size=(90, 4))
    W0 = rng.normal(scale=0.01, size=(4, 3))
    our_losses, our_accuracy = softmax_regression(ours(), features, labels, W0)
    their_losses, their_accuracy = softmax_regression(theirs(torch), features, labels, W0)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-10)
    assert our_accuracy == their_accuracy > 0.8 and our_losses[-1] < 0.5 * our_losses[0]


def character_rnn(lib, text, weights, steps=8, lr=1.0, clip=1.0):
    """A character-level recurrent network from scratch: one-hot characters, h_t = tanh(x_t
    W_xh + h_(t-1) W_hh + b_h), a readout to the next character, cross-entropy over the
    sequence, the gradients clipped to a total norm, and SGD in place."""
    vocabulary = sorted(set(text))
    codes = np.array([vocabulary.index(ch) for ch in text])
    inputs, targets = codes[:-1], codes[1:]
    W_xh, W_hh, b_h, W_hq, b_q = (lib.tensor(w, requires_grad=True) for w in weights)
    params = [W_xh, W_hh, b_h, W_hq, b_q]
    losses = []
    for _ in range(steps):
        X = lib.F.one_hot(lib.labels(inputs), len(vocabulary))  # (T, vocabulary)
        h = lib.zeros(1, W_hh.shape[0])
        outputs = []
        for t in range(len(inputs)):
            h = (X[t : t + 1].matmul(W_xh) + h.matmul(W_hh) + b_h).tanh()  # the feedback loop
            outputs.append(h.matmul(W_hq) + b_q)
        logits = lib.cat(outputs, 0)  # (T, vocabulary)
        loss = lib.F.cross_entropy(logits, lib.labels(targets))
        losses.append(loss.item())
        loss.backward()
        with lib.no_grad():
            norm = math.sqrt(sum(float((p.grad**2).sum()) for p in params))
            for p in params:
                if norm > clip:
                    p.grad *= clip / norm
                p -= lr * p.grad
                p.grad = None
    return losses


def test_character_rnn_from_scratch_matches_torch(torch):
    text = "hello world, hello tinygrad"
    rng = np.random.default_rng(2)
    v, hidden = len(set(text)), 16
    shapes = [(v, hidden), (hidden, hidden), (hidden,), (hidden, v), (v,)]
    weights = [rng.normal(scale=0.1, size=shape) for shape in shapes]
    our_losses = character_rnn(ours(), text, weights)
    their_losses = character_rnn(theirs(torch), text, weights)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-9)
    assert our_losses[-1] < our_losses[0]
