"""Shared test set-up: a hypothesis profile, and torch as an optional float64 reference."""

import os

# One BLAS thread: on a busy 2-core machine OpenBLAS's worker threads spin and get descheduled,
# making small matrix products 10-50x slower (set before anything imports numpy).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "default", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", deadline=None, max_examples=500, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def torch():
    """PyTorch, configured as the float64 oracle; tests using it skip when it is absent."""
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float64)
    return torch
