"""Making tensors (zeros, ones, randn), joining them (Tensor.cat, Tensor.stack), flatten and
len(): shapes, dtypes and errors, and values and gradients against PyTorch float64 and
central differences (gradcheck) over random shapes, axes and numbers of inputs."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tensor_helpers import check_op, random_array, seeds, shapes

from tinygrad_edu import Tensor

# ***** zeros, ones, randn *****


@pytest.mark.parametrize("name,value", [("zeros", 0.0), ("ones", 1.0)])
@given(shape=shapes, as_tuple=st.booleans(), requires_grad=st.booleans())
def test_zeros_and_ones(name, value, shape, as_tuple, requires_grad):
    make = getattr(Tensor, name)
    t = (
        make(tuple(shape), requires_grad=requires_grad)
        if as_tuple
        else make(*shape, requires_grad=requires_grad)
    )
    assert isinstance(t, Tensor) and t.shape == tuple(shape) and t.dtype == np.float64
    assert t.requires_grad is requires_grad and t.grad is None and t._prev == ()
    np.testing.assert_array_equal(t.data, np.full(shape, value))


def test_constructors_take_lists_empty_shapes_and_numpy_ints(torch):
    assert Tensor.zeros([2, 3]).shape == (2, 3) == tuple(torch.zeros([2, 3]).shape)
    assert Tensor.ones().shape == () == tuple(torch.ones(()).shape) and Tensor.ones().item() == 1.0
    assert Tensor.zeros(0, 3).shape == (0, 3) and Tensor.randn(np.int64(2), rng=0).shape == (2,)


def test_a_constructed_parameter_learns():
    w = Tensor.randn(3, 2, requires_grad=True, rng=1)
    b = Tensor.zeros(2, requires_grad=True)
    ((Tensor.ones(4, 3) @ w + b) ** 2).sum().backward()
    np.testing.assert_allclose(b.grad, 2 * 4 * w.data.sum(axis=0))  # d/db sum((1 w + b)^2), b = 0


@pytest.mark.parametrize("name", ["zeros", "ones", "randn"])
def test_constructor_shape_errors(name):
    make = getattr(Tensor, name)
    with pytest.raises(ValueError, match=rf"Tensor.{name}: sizes cannot be negative, got shape \(2, -1\)"):
        make(2, -1)
    for bad, type_name in [(2.0, "float"), ("3", "str"), (True, "bool"), (None, "NoneType")]:
        with pytest.raises(TypeError, match=rf"Tensor.{name}: a shape holds ints, got {type_name}"):
            make(2, bad)
    with pytest.raises(TypeError, match="got ndarray"):
        make(np.array([2, 3]))
    with pytest.raises(TypeError, match="requires_grad must be True or False"):
        make(2, requires_grad=1)


def test_randn_is_standard_normal_and_reproducible():
    a = Tensor.randn(4, 5, rng=42)
    assert a.shape == (4, 5) and a.dtype == np.float64 and not a.requires_grad
    np.testing.assert_array_equal(a.data, np.random.default_rng(42).standard_normal((4, 5)))
    np.testing.assert_array_equal(Tensor.randn((4, 5), rng=42).data, a.data)
    g1, g2 = np.random.default_rng(7), np.random.default_rng(7)
    first, second = Tensor.randn(3, rng=g1), Tensor.randn(3, rng=g1)  # a Generator moves on
    np.testing.assert_array_equal(first.data, g2.standard_normal(3))
    np.testing.assert_array_equal(second.data, g2.standard_normal(3))
    assert not np.array_equal(first.data, second.data)
    np.random.seed(3)
    from_global = Tensor.randn(2, 2)
    np.random.seed(3)
    np.testing.assert_array_equal(from_global.data, np.random.standard_normal((2, 2)))
    big = Tensor.randn(100_000, rng=0).data  # mean 0 and standard deviation 1 (5 sigma bounds)
    assert abs(big.mean()) < 5 / np.sqrt(big.size) and abs(big.std() - 1) < 0.02
    assert Tensor.randn(rng=0).shape == ()


def test_randn_rng_errors():
    with pytest.raises(ValueError, match="seed must be >= 0, got -1"):
        Tensor.randn(2, rng=-1)
    for bad, type_name in [
        (1.5, "float"),
        (True, "bool"),
        ("0", "str"),
        (np.random.RandomState(0), "RandomState"),
    ]:
        with pytest.raises(
            TypeError, match=f"rng must be an int seed, a numpy.random.Generator or None, got {type_name}"
        ):
            Tensor.randn(2, rng=bad)


# ***** cat and stack *****


@st.composite
def cat_case(draw):
    """n tensors of ndim axes whose shapes differ only along `axis`."""
    ndim = draw(st.integers(1, 3))
    n = draw(st.integers(1, 4))
    axis = draw(st.integers(-ndim, ndim - 1))
    base = draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim))
    shapes = []
    for _ in range(n):
        shape = list(base)
        shape[axis] = draw(st.integers(1, 3))
        shapes.append(tuple(shape))
    return shapes, axis


@given(case=cat_case(), seed=seeds)
def test_cat(torch, case, seed):
    shape_list, axis = case
    rng = np.random.default_rng(seed)
    arrays = [random_array(rng, s) for s in shape_list]
    check_op(lambda *ts: Tensor.cat(list(ts), axis=axis), lambda *ts: torch.cat(ts, dim=axis), arrays, rng)


@given(shape=shapes, n=st.integers(1, 4), data=st.data(), seed=seeds)
def test_stack(torch, shape, n, data, seed):
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))  # the new axis may be last
    rng = np.random.default_rng(seed)
    arrays = [random_array(rng, shape) for _ in range(n)]
    check_op(lambda *ts: Tensor.stack(ts, axis=axis), lambda *ts: torch.stack(ts, dim=axis), arrays, rng)


@pytest.mark.parametrize("name", ["cat", "stack"])
def test_join_the_same_tensor_twice_and_a_constant(name):
    x = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([5.0, 6.0])  # no grad wanted: left alone
    y = getattr(Tensor, name)([x, c, x])
    weights = np.arange(6.0).reshape(y.shape)
    y.backward(weights)
    parts = [weights[0:2], weights[4:6]] if name == "cat" else [weights[0], weights[2]]
    np.testing.assert_array_equal(x.grad, parts[0] + parts[1])  # both uses add up
    assert c.grad is None and y.data.reshape(-1).tolist() == [1.0, 2.0, 5.0, 6.0, 1.0, 2.0]


def test_join_float32_with_float64_gives_float64_and_grads_keep_each_dtype():
    a = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    b = Tensor(np.ones(2), requires_grad=True)
    for join in [Tensor.cat, Tensor.stack]:
        a.grad = b.grad = None
        y = join([a, b])
        assert y.dtype == np.float64
        y.sum().backward()
        assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64 and a.grad.tolist() == [1.0, 1.0]
    assert Tensor.cat([a, a]).dtype == np.float32


def test_cat_errors():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))
    with pytest.raises(
        ValueError, match=r"cat: shapes \(2, 3\), \(2, 4\) must agree on every axis except axis 0"
    ):
        Tensor.cat([a, b])
    assert Tensor.cat([a, b], axis=1).shape == (2, 7) and Tensor.cat([a, b], axis=-1).shape == (2, 7)
    with pytest.raises(ValueError, match=r"\(2, 3\), \(3,\) must agree"):
        Tensor.cat([a, Tensor(np.ones(3))])
    with pytest.raises(ValueError, match="0-d tensors have no axis"):
        Tensor.cat([Tensor(1.0), Tensor(2.0)])
    with pytest.raises(ValueError, match=r"cat: axis 2 is out of range, the valid axes are -2..1"):
        Tensor.cat([a, a], axis=2)
    with pytest.raises(TypeError, match="cat: axis must be an int, got float"):
        Tensor.cat([a, a], axis=1.0)


def test_stack_errors():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"stack: all tensors need the same shape, got \(2, 3\), \(3, 2\)"):
        Tensor.stack([a, b])
    with pytest.raises(ValueError, match=r"stack: axis -4 is out of range, the valid axes are -3..2"):
        Tensor.stack([a, a], axis=-4)
    assert Tensor.stack([Tensor(1.0), Tensor(2.0)]).data.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("name", ["cat", "stack"])
def test_join_argument_errors(name):
    join, a = getattr(Tensor, name), Tensor([1.0])
    with pytest.raises(TypeError, match=rf"{name} takes a list or tuple of Tensors, got Tensor"):
        join(a, a)
    with pytest.raises(TypeError, match="got generator"):
        join(t for t in [a])
    with pytest.raises(ValueError, match=f"{name} needs at least one tensor, got an empty list"):
        join([])
    with pytest.raises(TypeError, match=rf"{name}: entry 1 is a ndarray, not a Tensor"):
        join([a, np.ones(1)])
    with pytest.raises(TypeError, match=rf"{name}: entry 0 is a float, not a Tensor"):
        join((1.0, a))


# ***** flatten and len *****


@given(shape=shapes, data=st.data(), seed=seeds)
def test_flatten(torch, shape, data, seed):
    ndim = max(len(shape), 1)
    start = data.draw(st.integers(-ndim, ndim - 1))
    rng = np.random.default_rng(seed)
    check_op(
        lambda t: t.flatten(start),
        lambda t: torch.flatten(t, start_dim=start),
        [random_array(rng, shape)],
        rng,
    )


def test_flatten_shapes_with_zero_sizes_and_default(torch):
    for shape, start in [((0, 3), 1), ((2, 0, 3), 1), ((2, 0, 3), 0), ((), 0), ((), -1), ((4, 1, 2, 2), 1)]:
        expected = tuple(torch.flatten(torch.zeros(shape), start_dim=start).shape)
        assert Tensor(np.zeros(shape)).flatten(start).shape == expected, (shape, start)
    assert Tensor(np.zeros((2, 3, 4))).flatten().shape == (24,)
    assert Tensor(np.zeros((2, 3, 4))).flatten(start_axis=-1).shape == (2, 3, 4)


def test_flatten_errors():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"flatten: axis 2 is out of range, the valid axes are -2..1"):
        x.flatten(2)
    with pytest.raises(ValueError, match=r"valid axes are -1..0"):
        Tensor(1.0).flatten(1)
    with pytest.raises(TypeError, match="flatten: axis must be an int, got NoneType"):
        x.flatten(None)


def test_len_is_the_size_of_the_first_axis_as_numpy():
    for shape in [(3,), (2, 5), (0, 4), (1, 1, 1)]:
        assert len(Tensor(np.zeros(shape))) == len(np.zeros(shape)) == shape[0]
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(Tensor(2.0))
    with pytest.raises(TypeError):
        len(np.zeros(()))  # numpy does the same


def test_a_tensor_stays_true_in_if_even_when_empty_or_zero():
    # __len__ would otherwise make an empty tensor false and `if` on a 0-d tensor raise
    assert bool(Tensor(0.0)) and bool(Tensor(np.zeros(0))) and bool(Tensor([0.0]))
    t = Tensor(np.zeros(0))
    assert (t or None) is t
