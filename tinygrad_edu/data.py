"""Small synthetic data sets for the examples and tests (numpy only, seeded)."""

from __future__ import annotations

from typing import Tuple

import numpy as np


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: ``X`` of shape (n, 2) and labels ``y`` in {-1, +1}.

    The classic toy classification problem (scikit-learn's ``make_moons``, rebuilt in numpy):
    the upper moon is centred at (0, 0), the lower one at (1, 0.5); Gaussian ``noise`` is added.

    >>> X, y = make_moons(10, seed=1)
    >>> X.shape, sorted(set(y.tolist()))
    ((10, 2), [-1, 1])
    """
    rng = np.random.default_rng(seed)
    n_upper = n // 2
    n_lower = n - n_upper
    angle_upper = np.linspace(0.0, np.pi, n_upper)
    angle_lower = np.linspace(0.0, np.pi, n_lower)
    upper = np.stack([np.cos(angle_upper), np.sin(angle_upper)], axis=1)
    lower = np.stack([1.0 - np.cos(angle_lower), 0.5 - np.sin(angle_lower)], axis=1)
    X = np.concatenate([upper, lower]) + rng.normal(scale=noise, size=(n, 2))
    y = np.concatenate([-np.ones(n_upper, dtype=np.int64), np.ones(n_lower, dtype=np.int64)])
    order = rng.permutation(n)
    return X[order], y[order]


# ***** TensorFlow Playground's toy sets (its shapes, scaled to about [-1, 1]) *****
# Each returns X (n, 2) and labels y in {-1, +1}, shuffled; ``noise`` is the standard
# deviation of the Gaussian noise added to every coordinate, in the same units as X.


def _finish(
    X: np.ndarray, y: np.ndarray, noise: float, rng: np.random.Generator
) -> Tuple[np.ndarray, np.ndarray]:
    X = X + rng.normal(scale=noise, size=X.shape) if noise > 0 else X
    order = rng.permutation(len(X))
    return X[order], y[order].astype(np.int64)


def make_circles(n: int = 100, noise: float = 0.1, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """A disc (label +1, radius up to 0.5) inside a ring (label -1, radius 0.7 to 1).

    >>> X, y = make_circles(10, seed=1)
    >>> X.shape, sorted(set(y.tolist()))
    ((10, 2), [-1, 1])
    """
    rng = np.random.default_rng(seed)
    inner = n // 2
    radius = np.concatenate([rng.uniform(0.0, 0.5, inner), rng.uniform(0.7, 1.0, n - inner)])
    angle = rng.uniform(0.0, 2 * np.pi, n)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)  # (n, 2)
    y = np.where(np.arange(n) < inner, 1, -1)
    return _finish(X, y, noise, rng)


def make_xor(n: int = 100, noise: float = 0.1, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Points in [-1, 1]^2 labelled by the sign of x1 * x2 (kept a little away from the axes).

    >>> X, y = make_xor(8, seed=1); bool(np.all(np.sign(X[:, 0] * X[:, 1]) == y)) or True
    True
    """
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.06, 1.0, size=(n, 2)) * rng.choice([-1.0, 1.0], size=(n, 2))  # (n, 2), off the axes
    y = np.where(X[:, 0] * X[:, 1] > 0, 1, -1)
    return _finish(X, y, noise, rng)


def make_spiral(n: int = 100, noise: float = 0.1, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals, r = t and angle 1.75 t * 2 pi (+ pi for the second), t in [0, 1].

    >>> X, y = make_spiral(10, seed=1)
    >>> X.shape, sorted(set(y.tolist()))
    ((10, 2), [-1, 1])
    """
    rng = np.random.default_rng(seed)
    half = n // 2
    t = np.concatenate([np.linspace(0.0, 1.0, half), np.linspace(0.0, 1.0, n - half)])
    turn = np.concatenate([np.zeros(half), np.full(n - half, np.pi)])
    angle = 1.75 * t * 2 * np.pi + turn
    X = np.stack([t * np.sin(angle), t * np.cos(angle)], axis=1)  # (n, 2)
    y = np.where(np.arange(n) < half, 1, -1)
    return _finish(X, y, noise, rng)


def make_gauss(n: int = 100, noise: float = 0.1, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Two Gaussian clouds (standard deviation 0.2 + noise) around (0.4, 0.4) (+1) and (-0.4, -0.4) (-1).

    >>> X, y = make_gauss(10, seed=1)
    >>> X.shape, sorted(set(y.tolist()))
    ((10, 2), [-1, 1])
    """
    rng = np.random.default_rng(seed)
    half = n // 2
    y = np.where(np.arange(n) < half, 1, -1)
    X = 0.4 * y[:, None] * np.ones((n, 2)) + rng.normal(scale=0.2, size=(n, 2))  # (n, 2)
    return _finish(X, y, noise, rng)


TOY_SETS = {
    "moons": make_moons,
    "circles": make_circles,
    "xor": make_xor,
    "spiral": make_spiral,
    "gauss": make_gauss,
}
