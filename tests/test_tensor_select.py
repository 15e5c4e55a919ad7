"""abs, clip, min, argmax/argmin, comparisons and Tensor.where (tensor_select.py), over random
shapes, against PyTorch float64 and central differences (gradcheck); kinks (|x| at 0, clip
bounds, ties in min) are kept out of the random data by construction and tested on their own."""

import operator

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
    seeds,
    shapes,
    torch_reduction,
)

from tinygrad_edu import Tensor

# ***** abs *****


@given(shape=shapes, seed=seeds)
def test_abs(shape, seed):
    rng = np.random.default_rng(seed)
    check_op(lambda t: t.abs(), lambda t: t.abs(), [random_array(rng, shape, "kink")], rng)  # |x| >= 0.05


def test_abs_at_zero_has_gradient_zero_as_in_torch(torch):
    x, tx = Tensor([-1.0, 0.0, 2.0], requires_grad=True), torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    x.abs().sum().backward()
    tx.abs().sum().backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())
    assert x.grad.tolist() == [-1.0, 0.0, 1.0]


def test_abs_of_nan_is_nan_with_a_nan_gradient():
    x = Tensor([np.nan, -np.inf], requires_grad=True)
    y = x.abs()
    assert np.isnan(y.data[0]) and y.data[1] == np.inf
    y.sum().backward()
    assert np.isnan(x.grad[0]) and x.grad[1] == -1.0  # (PyTorch gives 0 at nan: documented)


# ***** clip *****

# bounds on a grid of tenths; data at k/10 + 0.05 +- 0.01, so every entry is >= 0.04 from a bound
BOUNDS = st.sampled_from([None, -1.5, -0.5, 0.0, 0.3, 1.0, 2.5])


def _off_grid(rng, shape):
    shape = tuple(shape)
    return rng.integers(-25, 25, size=shape) / 10 + 0.05 + rng.uniform(-0.01, 0.01, size=shape)


@given(shape=shapes, seed=seeds, low=BOUNDS, high=BOUNDS)
def test_clip(shape, seed, low, high):
    if low is None and high is None:
        low = 0.0
    rng = np.random.default_rng(seed)
    # includes low > high: every entry becomes high, and no gradient passes (as torch.clamp)
    check_op(lambda t: t.clip(low, high), lambda t: t.clamp(low, high), [_off_grid(rng, shape)], rng)


def test_clip_keywords_and_integer_bounds():
    x = Tensor([-3.0, 0.5, 7.0])
    assert x.clip(min=0).data.tolist() == [0.0, 0.5, 7.0]
    assert x.clip(max=1).data.tolist() == [-3.0, 0.5, 1.0]
    assert x.clip(np.int64(-1), np.float64(2.0)).data.tolist() == [-1.0, 0.5, 2.0]


def test_clip_gradient_on_the_bounds_is_one_as_in_torch(torch):
    data = [-1.0, 0.0, 0.5, 1.0, 2.0]  # 0 and 1 sit exactly on the bounds
    for low, high in [(0.0, 1.0), (0.0, None), (None, 1.0), (2.0, 1.0)]:
        x, tx = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        x.clip(low, high).sum().backward()
        tx.clamp(low, high).sum().backward()
        np.testing.assert_array_equal(x.grad, tx.grad.numpy(), err_msg=str((low, high)))
    x = Tensor(data, requires_grad=True)
    x.clip(0.0, 1.0).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


def test_clip_keeps_nan_and_float32():
    x = Tensor(np.array([np.nan, -5.0, 5.0], dtype=np.float32), requires_grad=True)
    y = x.clip(-1.0, 1.0)
    assert y.data.dtype == np.float32 and np.isnan(y.data[0]) and y.data[1:].tolist() == [-1.0, 1.0]
    y.backward(np.array([3.0, 3.0, 3.0]))
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [3.0, 0.0, 0.0]  # nan passes, as relu


def test_clip_errors():
    x = Tensor([1.0])
    with pytest.raises(ValueError, match="min, max or both"):
        x.clip()
    with pytest.raises(TypeError, match="clip: min must be a number or None, got str"):
        x.clip("0")
    with pytest.raises(TypeError, match="clip: max must be a number or None, got bool"):
        x.clip(0.0, True)
    with pytest.raises(TypeError, match="got ndarray"):
        x.clip(np.zeros(1))


# ***** min *****


@given(data=st.data(), shape=shapes, seed=seeds, keepdims=st.booleans())
def test_min(data, shape, seed, keepdims):
    rng = np.random.default_rng(seed)
    axis = draw_axis(data, len(shape))
    # distinct values 0.1 apart (ties are tested separately), so gradcheck never crosses one
    x = rng.permutation(np.arange(int(np.prod(shape)))).reshape(shape) * 0.1 + rng.uniform(0, 0.01, shape)
    check_op(lambda t: t.min(axis=axis, keepdims=keepdims), torch_reduction("amin", axis, keepdims), [x], rng)


@given(data=st.data(), shape=nonscalar_shapes, seed=seeds, keepdims=st.booleans())
def test_min_splits_the_gradient_evenly_among_ties(data, shape, seed, keepdims):
    axis = draw_axis(data, len(shape))
    assert_ties_split_evenly("min", "amin", axis, keepdims, shape, np.random.default_rng(seed))


def test_min_propagates_nan_and_checks_keepdims():
    x = Tensor([[1.0, np.nan], [2.0, 3.0]], requires_grad=True)
    y = x.min(axis=1)
    assert np.isnan(y.data[0]) and y.data[1] == 2.0
    with pytest.raises(TypeError, match="keepdims must be True or False"):
        x.min(keepdims=1)


# ***** argmax and argmin *****


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@given(data=st.data(), shape=shapes, seed=seeds)
def test_argmax_argmin_match_torch_including_ties(torch, name, data, shape, seed):
    rng = np.random.default_rng(seed)
    x = np.asarray(rng.integers(0, 3, size=shape), dtype=np.float64)  # many ties: the first wins
    axis = None if not shape else data.draw(st.none() | st.integers(-len(shape), len(shape) - 1))
    t = Tensor(x, requires_grad=True)
    got = getattr(t, name)(axis=axis)
    expected = getattr(torch.from_numpy(x), name)(dim=axis).numpy()
    assert isinstance(got, np.ndarray) and got.dtype.kind == "i"
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


def test_argmax_argmin_with_nan_as_torch(torch):
    x = np.array([[1.0, np.nan, 3.0], [0.5, 2.0, -1.0]])
    for name in ["argmax", "argmin"]:
        for axis in [None, 0, 1, -1]:
            expected = getattr(torch.from_numpy(x), name)(dim=axis).numpy()
            np.testing.assert_array_equal(getattr(Tensor(x), name)(axis=axis), expected)


def test_argmax_axis_errors():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="argmax: axis must be an int or None, got tuple"):
        x.argmax(axis=(0, 1))
    with pytest.raises(TypeError, match="argmin: axis must be an int or None, got bool"):
        x.argmin(axis=True)
    assert x.argmax(axis=np.int64(1)).tolist() == [0, 0]


# ***** comparisons *****

COMPARISONS = ["<", "<=", ">", ">="]


@pytest.mark.parametrize("op", COMPARISONS)
@given(shape_pair=broadcast_pairs, seed=seeds)
def test_comparisons_between_tensors_broadcast_like_torch(torch, op, shape_pair, seed):
    rng = np.random.default_rng(seed)
    a_shape, b_shape = shape_pair.input_shapes
    a, b = (
        np.asarray(rng.integers(0, 3, size=a_shape) * 1.0),
        np.asarray(rng.integers(0, 3, size=b_shape) * 1.0),
    )
    got = eval(f"x {op} y", {"x": Tensor(a, requires_grad=True), "y": Tensor(b)})
    expected = eval(f"x {op} y", {"x": torch.from_numpy(a), "y": torch.from_numpy(b)}).numpy()
    assert isinstance(got, np.ndarray) and got.dtype == np.bool_  # an array (0-d too), no graph
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("op", COMPARISONS)
@pytest.mark.parametrize("other", [1.0, 1, np.float64(1.0), np.array([0.0, 1.0, 2.0]), np.array([[1], [2]])])
def test_comparisons_with_numbers_and_arrays_on_either_side(torch, op, other):
    data = np.array([0.0, 1.0, 2.0])
    t, tt = Tensor(data), torch.from_numpy(data)
    other_torch = torch.from_numpy(np.asarray(other, dtype=np.float64))
    for expr in [f"t {op} o", f"o {op} t"]:
        got = eval(expr, {"t": t, "o": other})
        expected = eval(expr, {"t": tt, "o": other_torch}).numpy()
        assert isinstance(got, np.ndarray) and got.dtype == np.bool_, expr
        np.testing.assert_array_equal(got, expected, err_msg=expr)


def test_comparisons_with_nan_are_false_and_float32_compares_in_float32():
    t = Tensor([np.nan, 1.0])
    for result in [t < 2, t <= 2, t > 0, t >= 0, 2 > t]:
        assert result.tolist() == [False, True]
    x = Tensor(np.array([0.1], dtype=np.float32))
    assert (x >= 0.1).tolist() == [True]  # the number is compared in the tensor's float32


def test_comparison_errors():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((4,)))
    with pytest.raises(ValueError, match=r"<: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        _ = a < b
    for other in ["1", None, [1.0], True]:
        with pytest.raises(TypeError):
            _ = a < other
        with pytest.raises(TypeError):
            _ = other >= a


@pytest.mark.parametrize("op", ["==", "!="])
@given(shape_pair=broadcast_pairs, seed=seeds)
def test_equality_compares_entries_with_broadcasting_as_torch_does(torch, op, shape_pair, seed):
    rng = np.random.default_rng(seed)
    a_shape, b_shape = shape_pair.input_shapes
    # few distinct values, so that equal entries are common; a nan never equals anything
    a, b = (rng.integers(0, 3, size=s).astype(float) for s in (a_shape, b_shape))
    a[a == 2.0] = np.nan
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    compare = operator.eq if op == "==" else operator.ne
    for ours, theirs in [
        (compare(Tensor(a), Tensor(b)), compare(ta, tb)),
        (compare(Tensor(a), b), compare(ta, tb)),  # a numpy array on either side
        (compare(a, Tensor(b)), compare(ta, tb)),
        (compare(Tensor(a), 1.0), compare(ta, 1.0)),  # a number on either side
        (compare(1.0, Tensor(b)), compare(1.0, tb)),
    ]:
        assert isinstance(ours, np.ndarray) and ours.dtype == bool
        np.testing.assert_array_equal(ours, theirs.numpy())


def test_equality_is_by_entry_while_hashing_stays_by_identity():
    t, t2 = Tensor([1.0, 2.0]), Tensor([1.0, 3.0])
    assert (t == t2).tolist() == [True, False] and (t != t2).tolist() == [False, True]
    assert (t == t).tolist() == [True, True]  # entry by entry even for the same tensor
    assert (Tensor([np.nan]) == Tensor([np.nan])).tolist() == [False]
    # sets and dicts still find a tensor by identity (graph walks rely on it)
    same = Tensor([1.0, 2.0])
    assert t in {t} and same not in {t} and {t: 1, same: 2}[same] == 2 and len({t, same}) == 2
    assert hash(t) == object.__hash__(t)
    # anything that is not a number, array or Tensor is simply not equal (no error)
    assert (t == "t") is False and (t != None) is True  # noqa: E711
    with pytest.raises(ValueError, match=r"==: shapes \(2,\) and \(3,\)"):
        _ = t == Tensor([1.0, 2.0, 3.0])


# ***** Tensor.where *****

three_shapes = hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, min_side=1, max_side=3)


@given(shapes3=three_shapes, seed=seeds)
def test_where_broadcasting_condition_a_and_b(torch, shapes3, seed):
    rng = np.random.default_rng(seed)
    c_shape, a_shape, b_shape = shapes3.input_shapes
    condition = rng.random(c_shape) < 0.5
    arrays = [random_array(rng, a_shape), random_array(rng, b_shape)]
    check_op(
        lambda a, b: Tensor.where(condition, a, b),
        lambda a, b: torch.where(torch.from_numpy(np.asarray(condition)), a, b),
        arrays,
        rng,
    )


@given(shape=shapes, seed=seeds, number=st.sampled_from([0, -1.5, 2.0]), side=st.sampled_from(["a", "b"]))
def test_where_with_a_number_on_either_side(torch, shape, seed, number, side):
    rng = np.random.default_rng(seed)
    x = random_array(rng, shape, "kink")
    if side == "a":
        ours, theirs = (lambda t: Tensor.where(t > 0, number, t)), (lambda t: torch.where(t > 0, number, t))
    else:
        ours, theirs = (lambda t: Tensor.where(t > 0, t, number)), (lambda t: torch.where(t > 0, t, number))
    check_op(ours, theirs, [x], rng)


def test_where_condition_forms_tensor_list_ints_and_a_scalar():
    a, b = Tensor([1.0, 2.0, 3.0]), Tensor([-1.0, -2.0, -3.0])
    expected = [1.0, -2.0, 3.0]
    for condition in [
        [True, False, True],
        np.array([1, 0, 7]),
        Tensor([1.0, 0.0, 0.5]),  # a Tensor: nonzero means True, as in numpy
        np.array([True, False, True]),
    ]:
        assert Tensor.where(condition, a, b).data.tolist() == expected
    assert Tensor.where(False, a, b).data.tolist() == [-1.0, -2.0, -3.0]
    assert Tensor.where(np.array([[True], [False]]), a, b).shape == (2, 3)


def test_where_with_numbers_and_arrays_only_makes_a_constant_of_the_right_dtype():
    y = Tensor.where([True, False], 1, 2.5)
    assert y.data.tolist() == [1.0, 2.5] and y.dtype == np.float64 and not y.requires_grad
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    z = Tensor.where([True, False], x, 0.1)
    assert z.dtype == np.float32 and z.requires_grad
    w = Tensor.where([True, False], np.array([5, 6]), x)
    assert w.data.tolist() == [5.0, 2.0] and w.dtype == np.float64
    w.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0] and x.grad.dtype == np.float32


def test_where_gives_zero_gradient_to_the_branch_not_taken_even_if_nan():
    a = Tensor([np.nan, np.inf, 1.0], requires_grad=True)
    b = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = Tensor.where([False, False, True], a, b)
    assert y.data.tolist() == [1.0, 2.0, 1.0]  # the nan and the inf are not picked
    y.backward(np.array([5.0, 6.0, 7.0]))
    assert a.grad.tolist() == [0.0, 0.0, 7.0] and b.grad.tolist() == [5.0, 6.0, 0.0]
    z = Tensor.where([True, False], Tensor([np.nan, 1.0]), 0.0)
    assert np.isnan(z.data[0]) and z.data[1] == 0.0  # a nan that is picked stays nan


def test_where_does_not_shield_an_op_before_it_from_nan_same_as_torch(torch):
    # the classic trap: where(x > 0, sqrt(x), x) at x <= 0 hands sqrt a gradient of 0, but
    # sqrt's backward computes 0 / (2 sqrt(x)) = nan there; PyTorch gives the same nans
    data = np.array([0.0, 4.0, -1.0])
    x, tx = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    Tensor.where(x > 0, x.sqrt(), x).sum().backward()
    torch.where(tx > 0, tx.sqrt(), tx).sum().backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())  # (nan equals nan here)
    assert np.isnan(x.grad[0]) and x.grad[1] == 0.25 and np.isnan(x.grad[2])


def test_where_same_tensor_in_both_branches_gets_the_whole_gradient():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    Tensor.where([True, False, True], x, x * 10).backward(np.array([1.0, 2.0, 3.0]))
    assert x.grad.tolist() == [1.0, 20.0, 3.0]


def test_where_errors():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones(3))
    with pytest.raises(ValueError, match=r"condition shape \(4,\), a shape \(2, 3\) and b shape \(3,\)"):
        Tensor.where(np.ones(4, dtype=bool), a, b)
    with pytest.raises(TypeError, match="where: condition must be booleans"):
        Tensor.where(np.array(["yes", "no", "yes"]), a, b)
    with pytest.raises(TypeError, match="where: condition must be booleans"):
        Tensor.where(None, a, b)
    with pytest.raises(TypeError, match="where: condition is not an array of booleans"):
        Tensor.where([[True], [True, False]], a, b)
    with pytest.raises(TypeError, match="where: a must be a Tensor, a number or a numpy array, got list"):
        Tensor.where([True, False, True], [1.0, 2.0, 3.0], b)
    with pytest.raises(TypeError, match="where: b must be .*, got bool"):
        Tensor.where([True, False, True], a, True)
    with pytest.raises(TypeError, match="ndarray of bool"):
        Tensor.where([True, False, True], a, np.array([True, False, True]))


def test_everyday_ops_compose_with_the_rest_like_torch(torch):
    # a hinge-like loss with clip, where, abs and min over a batch, as a learner might write it
    rng = np.random.default_rng(5)
    scores, targets = rng.uniform(-2, 2, (4, 3)), np.where(rng.random((4, 3)) < 0.5, -1.0, 1.0)
    x, tx = Tensor(scores, requires_grad=True), torch.tensor(scores, requires_grad=True)
    margin = (1.0 - x * targets).clip(min=0.0)
    ours = Tensor.where(margin > 0.5, margin, (x * 2).abs()).min(axis=1).sum()
    t_margin = (1.0 - tx * torch.from_numpy(targets)).clamp(min=0.0)
    theirs = torch.where(t_margin > 0.5, t_margin, (tx * 2).abs()).amin(1).sum()
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)
