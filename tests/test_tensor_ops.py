"""Every Tensor op, over random shapes (broadcasting pairs included), checked against central
differences (gradcheck) and PyTorch float64. One table row per op, as in test_value_ops.py."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tensor_helpers import (
    assert_ties_split_evenly,
    broadcast_pairs,
    check_op,
    draw_axis,
    nonscalar_shapes,
    random_array,
    require_torch,
    seeds,
    shapes,
    torch_reduction,
)

from tinygrad_edu import Tensor

# name, our function, torch's function, domain of each input
BINARY = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, ("any", "any")),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, ("any", "any")),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, ("any", "any")),
    ("div", lambda a, b: a / b, lambda a, b: a / b, ("any", "pos")),
    ("pow", lambda a, b: a**b, lambda a, b: a**b, ("pos", "any")),
    ("pow_method", lambda a, b: a.pow(b), lambda a, b: a.pow(b), ("pos", "any")),
    ("maximum", lambda a, b: a.maximum(b), lambda a, b: a.maximum(b), ("any", "any")),
    ("maximum_number", lambda a, b: a.maximum(0.5) * b, lambda a, b: a.clamp(min=0.5) * b, ("any", "any")),
    (
        "chain",
        lambda a, b: (a * b - b / (a * a + 1)).tanh(),
        lambda a, b: (a * b - b / (a * a + 1)).tanh(),
        ("any", "any"),
    ),
]

UNARY = [
    ("neg", lambda a: -a, lambda a: -a, "any"),
    ("radd", lambda a: 2.5 + a, lambda a: 2.5 + a, "any"),
    ("rsub", lambda a: 2.5 - a, lambda a: 2.5 - a, "any"),
    ("rmul", lambda a: -1.5 * a, lambda a: -1.5 * a, "any"),
    ("rdiv", lambda a: 2.0 / a, lambda a: 2.0 / a, "pos"),
    ("sub_number", lambda a: a - 0.5, lambda a: a - 0.5, "any"),
    ("div_number", lambda a: a / 4, lambda a: a / 4, "any"),
    ("pow2", lambda a: a**2, lambda a: a**2, "any"),
    ("pow3", lambda a: a**3, lambda a: a**3, "any"),
    ("pow_neg", lambda a: a**-1.5, lambda a: a**-1.5, "pos"),
    ("pow_half", lambda a: a**0.5, lambda a: a**0.5, "pos"),
    ("rpow", lambda a: 2.0**a, lambda a: 2.0**a, "any"),
    ("exp", lambda a: a.exp(), lambda a: a.exp(), "any"),
    ("log", lambda a: a.log(), lambda a: a.log(), "pos"),
    ("sqrt", lambda a: a.sqrt(), lambda a: a.sqrt(), "pos"),
    ("tanh", lambda a: a.tanh(), lambda a: a.tanh(), "any"),
    ("sigmoid", lambda a: a.sigmoid(), lambda a: a.sigmoid(), "any"),
    ("relu", lambda a: a.relu(), lambda a: a.relu(), "kink"),
    ("leaky_relu", lambda a: a.leaky_relu(), lambda a: _torch_leaky(a, 0.01), "kink"),
    ("leaky_relu_0.2", lambda a: a.leaky_relu(0.2), lambda a: _torch_leaky(a, 0.2), "kink"),
    ("sin", lambda a: a.sin(), lambda a: a.sin(), "any"),
    ("cos", lambda a: a.cos(), lambda a: a.cos(), "any"),
    ("clone", lambda a: a.clone() * a, lambda a: a.clone() * a, "any"),
    ("pow_method_number", lambda a: a.pow(3), lambda a: a.pow(3), "any"),
    ("clamp", lambda a: a.clamp(-1.0, 1.0), lambda a: a.clamp(-1.0, 1.0), "any"),
    ("unsqueeze", lambda a: a.unsqueeze(0), lambda a: a.unsqueeze(0), "any"),
    ("unsqueeze_last", lambda a: a.unsqueeze(-1), lambda a: a.unsqueeze(-1), "any"),
    (
        "squeeze",
        lambda a: a.unsqueeze(1 % (a.ndim + 1)).squeeze(),
        lambda a: a.unsqueeze(1 % (a.ndim + 1)).squeeze(),
        "any",
    ),
    ("view", lambda a: a.view(-1), lambda a: a.view(-1), "any"),
    ("var_biased", lambda a: a.var(unbiased=False), lambda a: a.var(unbiased=False), "any"),
    ("T", lambda a: a.T, lambda a: a.permute(tuple(reversed(range(a.ndim)))), "any"),
    ("square_twice", lambda a: a * a + a, lambda a: a * a + a, "any"),
]


def _torch_leaky(a, slope):
    import torch.nn.functional as F

    return F.leaky_relu(a, slope)


@pytest.mark.parametrize("name,fn,torch_fn,domains", BINARY, ids=[op[0] for op in BINARY])
@given(shape_pair=broadcast_pairs, seed=seeds)
def test_binary_op_with_broadcasting(name, fn, torch_fn, domains, shape_pair, seed):
    rng = np.random.default_rng(seed)
    a_shape, b_shape = shape_pair.input_shapes
    arrays = [random_array(rng, a_shape, domains[0]), random_array(rng, b_shape, domains[1])]
    check_op(fn, torch_fn, arrays, rng)


@pytest.mark.parametrize("name,fn,torch_fn,domain", UNARY, ids=[op[0] for op in UNARY])
@given(shape=shapes, seed=seeds)
def test_unary_op(name, fn, torch_fn, domain, shape, seed):
    rng = np.random.default_rng(seed)
    check_op(fn, torch_fn, [random_array(rng, shape, domain)], rng)


@pytest.mark.parametrize("name", ["sum", "mean", "max"])
@given(data=st.data(), shape=shapes, seed=seeds, keepdims=st.booleans())
def test_reduction(name, data, shape, seed, keepdims):
    rng = np.random.default_rng(seed)
    axis = draw_axis(data, len(shape))
    # distinct values for max (ties are tested separately), far enough apart for gradcheck
    x = rng.permutation(np.arange(int(np.prod(shape)))).reshape(shape) * 0.1 + rng.uniform(0, 0.01, shape)
    check_op(
        lambda t: getattr(t, name)(axis=axis, keepdims=keepdims),
        torch_reduction("amax" if name == "max" else name, axis, keepdims),
        [x],
        rng,
    )


@given(data=st.data(), shape=nonscalar_shapes, seed=seeds, keepdims=st.booleans())
def test_max_splits_the_gradient_evenly_among_ties(data, shape, seed, keepdims):
    axis = draw_axis(data, len(shape))
    assert_ties_split_evenly("max", "amax", axis, keepdims, shape, np.random.default_rng(seed))


@given(
    a_batch_b_batch=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3),
    nkm=st.tuples(*[st.integers(1, 4)] * 3),
    vectors=st.sampled_from(["", "a", "b", "ab"]),
    seed=seeds,
)
def test_matmul(a_batch_b_batch, nkm, vectors, seed):
    rng = np.random.default_rng(seed)
    n, k, m = nkm
    a_batch, b_batch = a_batch_b_batch.input_shapes
    a_shape = (k,) if "a" in vectors else a_batch + (n, k)
    b_shape = (k,) if "b" in vectors else b_batch + (k, m)
    arrays = [random_array(rng, a_shape), random_array(rng, b_shape)]
    check_op(lambda a, b: a @ b, lambda a, b: a @ b, arrays, rng)


def test_matmul_with_a_constant_array_on_either_side():
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    check_op(lambda b: A @ b, lambda b: __import__("torch").from_numpy(A) @ b, [B], rng)
    check_op(lambda a: a @ B, lambda a: a @ __import__("torch").from_numpy(B), [A], rng)


@given(shape=shapes, seed=seeds, target=st.sampled_from(["flat", "reversed", "column", "tuple"]))
def test_reshape(shape, seed, target):
    rng = np.random.default_rng(seed)
    new = {
        "flat": (-1,),
        "reversed": tuple(reversed(shape)),
        "column": (-1, 1),
        "tuple": (1,) + tuple(shape),
    }[target]
    fn = (lambda t: t.reshape(new)) if target == "tuple" else (lambda t: t.reshape(*new))
    check_op(fn, lambda t: t.reshape(new), [random_array(rng, shape)], rng)


@given(shape=nonscalar_shapes, seed=seeds)
def test_permute_and_transpose_of_a_full_order(shape, seed):
    # permute(*order) and permute(order) put axis order[i] at place i; so does transpose with
    # one tuple, or with three or more axes (numpy's meaning, kept)
    rng = np.random.default_rng(seed)
    perm = tuple(int(i) for i in rng.permutation(len(shape)))
    check_op(lambda t: t.permute(*perm), lambda t: t.permute(perm), [random_array(rng, shape)], rng)
    check_op(lambda t: t.transpose(perm), lambda t: t.permute(perm), [random_array(rng, shape)], rng)
    if len(shape) >= 3:
        check_op(lambda t: t.transpose(*perm), lambda t: t.permute(perm), [random_array(rng, shape)], rng)


@given(shape=nonscalar_shapes, seed=seeds, data=st.data())
def test_transpose_of_two_axes_swaps_them_as_pytorch_does(shape, seed, data):
    rng = np.random.default_rng(seed)
    a = data.draw(st.integers(-len(shape), len(shape) - 1))
    b = data.draw(st.integers(-len(shape), len(shape) - 1))
    check_op(lambda t: t.transpose(a, b), lambda t: t.transpose(a, b), [random_array(rng, shape)], rng)


@given(shape=nonscalar_shapes, seed=seeds, kind=st.sampled_from(["int", "slice", "array", "mixed", "neg"]))
def test_indexing(shape, seed, kind):
    rng = np.random.default_rng(seed)
    x = random_array(rng, shape)
    size = shape[0]
    if kind == "int":
        index = int(rng.integers(size))
    elif kind == "neg":
        index = -1
    elif kind == "slice":
        index = slice(int(rng.integers(size)), None, 2)
    elif kind == "array":  # repeated indices: their gradients must add up
        index = rng.integers(size, size=5)
    else:
        index = (
            (slice(None), rng.integers(shape[1], size=3)) if len(shape) > 1 else rng.integers(size, size=3)
        )

    def torch_index(t):
        import torch

        def as_torch(i):
            return torch.from_numpy(i) if isinstance(i, np.ndarray) else i

        return t[tuple(map(as_torch, index)) if isinstance(index, tuple) else as_torch(index)]

    check_op(lambda t: t[index], torch_index, [x], rng)


def test_repeated_indices_accumulate_closed_form():
    x = Tensor(np.arange(4.0), requires_grad=True)
    x[np.array([1, 1, 1, 3])].backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [0.0, 6.0, 0.0, 4.0])


def test_index_with_an_int_tensor_and_a_list():
    x = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    y = x[Tensor([2, 0, 2])][:, [1, 1]]
    np.testing.assert_array_equal(y.data, [[5.0, 5.0], [1.0, 1.0], [5.0, 5.0]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 2.0], [0.0, 0.0], [0.0, 4.0]])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(shape=nonscalar_shapes, seed=seeds, data=st.data())
def test_softmax(name, shape, seed, data):
    rng = np.random.default_rng(seed)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = random_array(rng, shape) * 3
    check_op(lambda t: getattr(t, name)(axis=axis), lambda t: getattr(t, name)(dim=axis), [x], rng)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("scale", [1e3, -1e3, 1e5, 1e300])
def test_softmax_is_stable_for_huge_logits(name, scale):
    torch = require_torch()
    rng = np.random.default_rng(1)
    x = np.array([[1.0, 0.5, -0.3], [0.2, 0.2, 0.9]]) * scale + rng.uniform(-1, 1, (2, 3))
    t = Tensor(x, requires_grad=True)
    out = getattr(t, name)()
    weights = rng.standard_normal((2, 3))
    out.backward(weights)
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(t.grad))
    tx = torch.tensor(x, requires_grad=True)
    t_out = getattr(tx, name)(dim=-1)
    t_out.backward(torch.from_numpy(weights))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t.grad, tx.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_softmax_rows_sum_to_one_and_match_the_definition():
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]])
    expected = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)  # fine for small x
    np.testing.assert_allclose(Tensor(x).softmax().data, expected, rtol=1e-14)
    np.testing.assert_allclose(Tensor(x).log_softmax().data, np.log(expected), rtol=1e-14)


def test_relu_and_leaky_relu_gradients_at_exactly_zero_match_torch():
    torch = require_torch()
    x0 = np.array([-1.0, 0.0, 2.0])
    for name, ours, theirs in [
        ("relu", lambda t: t.relu(), lambda t: t.relu()),
        ("leaky", lambda t: t.leaky_relu(0.1), lambda t: torch.nn.functional.leaky_relu(t, 0.1)),
    ]:
        x, tx = Tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
        ours(x).sum().backward()
        theirs(tx).sum().backward()
        np.testing.assert_array_equal(x.grad, tx.grad.numpy(), err_msg=name)


# ***** random expression trees: ops composed in any order, on broadcasting operands *****

UNARY_STEPS = [
    lambda t: t.tanh(),
    lambda t: t.sigmoid(),
    lambda t: t.relu(),
    lambda t: (t * 0.5).exp(),
    lambda t: (t * t + 1).log(),
    lambda t: -t,
    lambda t: t**2,
    lambda t: (t * t + 1).sqrt(),
]
BINARY_STEPS = [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b,
    lambda a, b: a / (b * b + 1),
    lambda a, b: 0.5 * a + b * 2,
]


@given(
    shapes3=hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3),
    program=st.lists(
        st.tuples(st.booleans(), st.integers(0, 99), st.integers(0, 99)), min_size=1, max_size=12
    ),
    seed=seeds,
)
def test_random_expression_trees_match_torch(shapes3, program, seed):
    torch = require_torch()
    rng = np.random.default_rng(seed)
    arrays = [random_array(rng, s) for s in shapes3.input_shapes]
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    pool_ours, pool_theirs = list(ours), list(theirs)  # every intermediate can be reused: DAGs
    for binary, i, j in program:
        i, j = i % len(pool_ours), j % len(pool_ours)
        if binary:
            step = BINARY_STEPS[(i + j) % len(BINARY_STEPS)]
            pool_ours.append(step(pool_ours[i], pool_ours[j]))
            pool_theirs.append(step(pool_theirs[i], pool_theirs[j]))
        else:
            step = UNARY_STEPS[j % len(UNARY_STEPS)]
            pool_ours.append(step(pool_ours[i]))
            pool_theirs.append(step(pool_theirs[i]))
    out, t_out = pool_ours[-1].sum(), pool_theirs[-1].sum()
    out.backward()
    t_out.backward()
    np.testing.assert_allclose(out.item(), t_out.item(), rtol=1e-10, atol=1e-12)
    for x, t in zip(ours, theirs, strict=True):
        expected = t.grad.numpy() if t.grad is not None else np.zeros(x.shape)
        actual = x.grad if x.grad is not None else np.zeros(x.shape)
        np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["var", "std"])
@given(data=st.data(), seed=seeds, unbiased=st.booleans(), keepdim=st.booleans())
def test_var_and_std_over_dims_as_torch(name, data, seed, unbiased, keepdim):
    # sides of at least 2, so every average has two entries or more (with one, the unbiased
    # variance is 0/0 = nan, tested apart)
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=4))
    dim = draw_axis(data, len(shape))
    rng = np.random.default_rng(seed)
    dims = tuple(range(len(shape))) if dim is None else dim

    def theirs(t):
        return getattr(t, name)(dim=dims, unbiased=unbiased, keepdim=keepdim)

    check_op(
        lambda t: getattr(t, name)(dim, unbiased, keepdim=keepdim), theirs, [random_array(rng, shape)], rng
    )


def test_var_and_std_of_one_entry_are_nan_as_in_torch(torch):
    x = Tensor([[1.0], [2.0]], requires_grad=True)
    assert np.isnan(x.var(dim=1).data).all() and np.isnan(x.std(1).data).all()
    assert x.var(1, unbiased=False).tolist() == [0.0, 0.0]
    assert np.isnan(Tensor(np.zeros(0)).var().item())
    assert torch.isnan(torch.ones(2, 1, dtype=torch.float64).var(dim=1)).all()
    with pytest.raises(TypeError, match="unbiased must be True or False"):
        x.std(1, unbiased=1)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "var", "std"])
def test_dim_and_keepdim_are_axis_and_keepdims(torch, name):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3, 4))
    x, t = Tensor(a), torch.from_numpy(a)
    reduce = getattr(x, name)
    expected = {
        "max": lambda **k: t.amax(**k),
        "min": lambda **k: t.amin(**k),
    }.get(name, getattr(t, name))
    for dim in [1, -1, (0, 2), [0, 2]]:
        torch_dim = tuple(dim) if isinstance(dim, list) else dim
        for keep in [False, True]:
            want = expected(dim=torch_dim, keepdim=keep).numpy()
            by_axis = reduce(axis=dim, keepdims=keep).data
            by_dim = reduce(dim=dim, keepdim=keep).data
            np.testing.assert_allclose(by_axis, want, rtol=1e-12)
            np.testing.assert_array_equal(by_dim, by_axis)
        np.testing.assert_array_equal(reduce(1).data, reduce(dim=1).data)  # positionally: x.sum(1)
    with pytest.raises(TypeError, match="not both"):
        reduce(axis=0, dim=1)
    with pytest.raises(TypeError, match="keepdims must be True or False"):
        reduce(dim=0, keepdim="yes")


def test_dim_wherever_axis_is_taken(torch):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 3))
    x, t = Tensor(a), torch.from_numpy(a)
    np.testing.assert_allclose(x.softmax(dim=0).data, t.softmax(dim=0).numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.log_softmax(dim=0).data, t.log_softmax(dim=0).numpy(), rtol=1e-12)
    assert x.argmax(dim=0).tolist() == t.argmax(dim=0).tolist()
    assert x.argmin(dim=1).tolist() == t.argmin(dim=1).tolist()
    assert Tensor.cat([x, x], dim=1).shape == tuple(torch.cat([t, t], dim=1).shape)
    assert Tensor.stack([x, x], dim=2).shape == tuple(torch.stack([t, t], dim=2).shape)
    b = np.zeros((2, 3, 4, 5))
    for start, end in [(1, 2), (0, -1), (2, 3), (-2, -1)]:
        want = tuple(torch.flatten(torch.from_numpy(b), start_dim=start, end_dim=end).shape)
        assert Tensor(b).flatten(start_dim=start, end_dim=end).shape == want
        assert Tensor(b).flatten(start, end).shape == want
    with pytest.raises(ValueError, match="comes after the end axis"):
        Tensor(b).flatten(3, 1)
    with pytest.raises(TypeError, match="not both"):
        x.softmax(0, dim=1)


def test_transpose_semantics_as_torch(torch):
    a = np.arange(24.0).reshape(2, 3, 4)
    x, t = Tensor(a), torch.from_numpy(a)
    for axes in [(0, 1), (1, 0), (0, 2), (-1, 0), (1, 1)]:  # two axes: a swap, as in PyTorch
        np.testing.assert_array_equal(x.transpose(*axes).data, t.transpose(*axes).numpy())
    m = Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(m.transpose(0, 1).data, m.data.T)  # (not the identity order)
    np.testing.assert_array_equal(x.transpose().data, a.transpose())  # none: reversed, as .T
    np.testing.assert_array_equal(x.transpose(2, 0, 1).data, t.permute(2, 0, 1).numpy())  # 3+: an order
    np.testing.assert_array_equal(x.permute(1, 2, 0).data, t.permute(1, 2, 0).numpy())
    np.testing.assert_array_equal(x.permute((1, 2, 0)).data, t.permute((1, 2, 0)).numpy())
    for bad in [(0, 1), (0, 0, 1), (0, 1, 2, 0)]:
        with pytest.raises(ValueError, match="not an order of all the axes"):
            x.permute(*bad)
    with pytest.raises(ValueError, match="out of range"):
        x.transpose(0, 3)


def test_shape_methods_as_torch(torch):
    a = np.zeros((2, 1, 3, 1))
    x, t = Tensor(a), torch.from_numpy(a)
    for dim in [None, 0, 1, 3, -1, -3]:
        want = t.squeeze() if dim is None else t.squeeze(dim)
        assert x.squeeze(dim).shape == tuple(want.shape)
    for dim in [0, 2, 4, -1, -5]:
        assert x.unsqueeze(dim).shape == tuple(t.unsqueeze(dim).shape)
    assert Tensor(2.0).squeeze(0).shape == () and Tensor(2.0).unsqueeze(0).shape == (1,)
    assert x.view(3, 2).shape == (3, 2) and x.view((6,)).shape == (6,) and x.view(-1, 2).shape == (3, 2)
    with pytest.raises(ValueError, match="out of range"):
        x.unsqueeze(5)
    with pytest.raises(ValueError, match=r"cannot reshape \(2, 1, 3, 1\)"):
        x.view(4, 2)
    assert x.size() == (2, 1, 3, 1) and x.size(2) == 3 and x.size(-1) == 1
    assert x.numel() == 6 and x.dim() == 4 and Tensor(1.0).numel() == 1 and Tensor(1.0).dim() == 0
    with pytest.raises(ValueError, match="out of range"):
        x.size(4)
