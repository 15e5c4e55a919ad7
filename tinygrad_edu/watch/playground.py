"""TensorFlow Playground's experiment, with this engine: a small network on a 2-D toy set.

    tinygrad-edu playground --data spiral --hidden 8,8 --activation tanh --steps 500 -o spiral.html

``playground(...)`` builds the data (``tinygrad_edu.data``: moons, circles, xor, spiral,
gauss; 200 training and 200 test points), a ``Sequential`` of ``Linear`` layers with the
activation between them and two outputs (cross-entropy), trains it full batch with Adam
(L2 ``weight_decay`` as PyTorch's), and returns the ``Watch`` of the run.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import nn, optim
from ..data import TOY_SETS
from ..tensor import Tensor
from .watcher import Watch, watch

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}


def playground(
    data: str = "moons",
    *,
    noise: float = 0.1,
    hidden: Sequence[int] = (8, 8),
    activation: str = "tanh",
    lr: float = 0.03,
    steps: int = 500,
    seed: int = 0,
    every: int = 1,
    weight_decay: float = 0.0,
    points: int = 200,
) -> Watch:
    """Train a network on a toy set and return the ``Watch`` of its training.

    >>> w = playground("xor", hidden=[4], steps=3)
    >>> [f["step"] for f in w.frames]
    [0, 1, 2]
    """
    if data not in TOY_SETS:
        raise ValueError(f"unknown data set {data!r}: choose one of {', '.join(TOY_SETS)}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}: choose one of {', '.join(ACTIVATIONS)}")
    if noise < 0 or lr <= 0 or weight_decay < 0 or steps < 1 or points < 2:
        raise ValueError(
            "noise and weight decay must be >= 0, the learning rate > 0, steps >= 1, points >= 2"
        )
    if any(int(h) < 1 for h in hidden):
        raise ValueError(f"every hidden layer needs at least one unit, got {list(hidden)}")
    make = TOY_SETS[data]
    X, y = make(points, noise=noise, seed=seed)
    X_test, y_test = make(points, noise=noise, seed=seed + 1000)
    labels, labels_test = (y > 0).astype(np.int64), (y_test > 0).astype(np.int64)  # {-1, +1} -> {0, 1}
    rng = np.random.default_rng(seed)
    sizes = [2, *[int(h) for h in hidden]]
    layers: list = []
    for nin, nout in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(nin, nout, rng=rng), ACTIVATIONS[activation]()]
    model = nn.Sequential(*layers, nn.Linear(sizes[-1], 2, rng=rng))
    optimizer = optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    w = watch(model, X, labels, test=(X_test, labels_test), every=every)
    inputs = Tensor(X)
    for _ in range(steps):
        loss = nn.cross_entropy(model(inputs), labels)
        optimizer.zero_grad()
        loss.backward()
        w.record(loss)
        optimizer.step()
    return w
