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
