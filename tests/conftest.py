"""Shared test set-up: a hypothesis profile, and torch as an optional float64 reference."""
import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", deadline=None, max_examples=500,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def torch():
    """PyTorch, configured as the float64 oracle; tests using it skip when it is absent."""
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float64)
    return torch
