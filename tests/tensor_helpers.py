"""Shared helpers for the Tensor tests: random inputs, and the two oracles.

Every op is checked two ways: against numeric central differences (the project's
``gradcheck``), and against PyTorch in float64 (skipped when torch is not installed).
"""

from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_edu import Tensor, gradcheck

# shapes with up to 3 axes of size 1..4 (0-d scalars included), and broadcastable pairs
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
nonscalar_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
broadcast_pairs = hnp.mutually_broadcastable_shapes(
    num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=4
)
seeds = st.integers(0, 2**32 - 1)


def random_array(rng: np.random.Generator, shape: Sequence[int], domain: str = "any") -> np.ndarray:
    """Inputs where the op is smooth, so finite differences are meaningful.

    'any': uniform in [-2, 2]; 'pos': [0.5, 2]; 'kink': |x| in [0.05, 2] (away from relu's 0).
    """
    shape = tuple(shape)
    if domain == "any":
        return rng.uniform(-2.0, 2.0, size=shape)
    if domain == "pos":
        return rng.uniform(0.5, 2.0, size=shape)
    if domain == "kink":
        return rng.uniform(0.05, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    raise ValueError(domain)


def draw_axis(data: st.DataObject, ndim: int) -> Optional[Union[int, Tuple[int, ...]]]:
    """An ``axis=`` for a reduction over ``ndim`` axes: None, one axis (possibly negative), or a
    tuple of distinct axes (``data`` is hypothesis's ``st.data()``)."""
    if ndim == 0:
        return None
    kind = data.draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return None
    if kind == "int":
        return data.draw(st.integers(-ndim, ndim - 1))
    return tuple(data.draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)))


def torch_reduction(name: str, axis: Optional[Union[int, Tuple[int, ...]]], keepdims: bool) -> Callable:
    """PyTorch's reduction ``name`` (``sum``, ``mean``, ``amax``, ``amin``) over ``axis`` as
    tinygrad_edu takes it (None: every axis); a 0-d tensor is its own reduction."""

    def fn(t):
        if t.ndim == 0:
            return t
        return getattr(t, name)(dim=tuple(range(t.ndim)) if axis is None else axis, keepdim=keepdims)

    return fn


def torch_or_none():
    """torch if it is installed, else None (the torch half of a check is then skipped)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def require_torch():
    """For tests whose only oracle is torch: skip cleanly without it."""
    return pytest.importorskip("torch")


def check_op(
    fn: Callable[..., Tensor],
    torch_fn: Optional[Callable],
    arrays: List[np.ndarray],
    rng: np.random.Generator,
    numeric: bool = True,
) -> None:
    """Check ``fn``'s values and gradients on ``arrays``.

    Gradients are taken of L = sum(out * W) for a random W, i.e. backward(W): every entry of
    the output gets a different weight, so a wrong index or a wrong broadcast cannot hide.
    """
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    weights = rng.standard_normal(out.shape)
    out.backward(weights)
    grads = [x.grad.copy() for x in xs]
    for x, g in zip(xs, grads, strict=True):
        assert g.shape == x.shape and g.dtype == np.float64
    torch = torch_or_none()
    if torch is not None and torch_fn is not None:
        ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
        t_out = torch_fn(*ts)
        np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
        t_out.backward(torch.from_numpy(np.asarray(weights, dtype=np.float64)))
        for g, t in zip(grads, ts, strict=True):
            np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-9, atol=1e-12)
    if numeric:
        w = Tensor(weights)
        assert gradcheck(lambda *ts: (fn(*ts) * w).sum(), xs)


def assert_ties_split_evenly(name: str, torch_name: str, axis, keepdims: bool, shape, rng) -> None:
    """``max`` or ``min`` (``name``) over small integers, so many entries tie: each entry equal
    to its slice's extreme gets 1 / (number of such entries) of the gradient (the closed form),
    as PyTorch's ``amax``/``amin`` (``torch_name``) give too."""
    x = rng.integers(0, 3, size=shape).astype(np.float64)  # small integers: many ties
    t = Tensor(x, requires_grad=True)
    getattr(t, name)(axis=axis, keepdims=keepdims).sum().backward()
    is_extreme = x == getattr(x, name)(axis=axis, keepdims=True)
    np.testing.assert_array_equal(t.grad, is_extreme / is_extreme.sum(axis=axis, keepdims=True))
    check_op(
        lambda t: getattr(t, name)(axis=axis, keepdims=keepdims),
        torch_reduction(torch_name, axis, keepdims),
        [x],
        rng,
        numeric=False,
    )
