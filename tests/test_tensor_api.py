"""Tensor construction, dtypes, errors, no_grad, backward() semantics and graph shapes."""

import sys
import warnings

import numpy as np
import pytest
from tensor_helpers import check_op, require_torch

from tinygrad_edu import Tensor, no_grad

# ***** construction and dtypes *****


@pytest.mark.parametrize(
    "data",
    [1, 2.5, [1, 2], [[1.0, 2.0]], np.arange(3), np.float16(1.5), np.arange(4, dtype=np.int8), np.uint32(7)],
)
def test_numbers_become_float64(data):
    t = Tensor(data)
    assert t.data.dtype == np.float64
    np.testing.assert_array_equal(t.data, np.asarray(data, dtype=np.float64))
    assert t.grad is None and t.requires_grad is False and t.label == "" and t._prev == ()


def test_float32_stays_float32_through_ops_and_backward():
    x = Tensor(np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32), requires_grad=True)
    w = Tensor(np.array([[1.0], [-2.0]], dtype=np.float32), requires_grad=True)
    y = ((x @ w).tanh() * 2 + 1 - x.sigmoid() / 3).relu() ** 2
    z = (y.exp().log().sqrt() + x.leaky_relu().softmax().log_softmax(axis=0)).max(axis=1).mean()
    assert y.data.dtype == np.float32 and z.data.dtype == np.float32
    z.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_float32_mixed_with_float64_gives_float64_but_grads_keep_each_dtype():
    a = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    b = Tensor(np.ones(2), requires_grad=True)
    (a * b).sum().backward()
    assert (a * b).data.dtype == np.float64
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_data_is_copied_from_the_callers_array():
    raw = np.zeros(3)
    t = Tensor(raw)
    t.data += 1
    assert raw.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    "data,name",
    [
        ("1.5", "str"),
        (None, "NoneType"),
        ({"a": 1}, "dict"),
        (True, "bool"),
        (np.array([True]), "bool"),
        (np.array([object()]), "object"),
        ([1, "a"], "str"),
        (1 + 2j, "complex"),
        (object(), "object"),
    ],
)
def test_bad_data_raises_type_error_naming_the_type(data, name):
    with pytest.raises(TypeError, match=name):
        Tensor(data)


def test_bad_requires_grad_and_label():
    with pytest.raises(TypeError, match="requires_grad"):
        Tensor(1.0, requires_grad=1)
    with pytest.raises(TypeError, match="label"):
        Tensor(1.0, label=3)


def test_properties_and_conversions():
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="t")
    assert t.shape == (2, 3) and t.ndim == 2 and t.T.shape == (3, 2) and t.dtype == np.float64
    assert t.numpy() is t.data
    assert Tensor([[4.0]]).item() == 4.0 and isinstance(Tensor([[4.0]]).item(), float)
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        t.item()
    d = (t * 2).detach()
    assert d.requires_grad is False and d._prev == () and d.data.tolist() == [[0, 2, 4], [6, 8, 10]]
    assert "requires_grad=True" in repr(t) and "'t'" in repr(t) and repr(Tensor([1.0])) == "Tensor([1.])"


# ***** operand types and shape errors *****


@pytest.mark.parametrize("other", ["2", None, [1.0], True, object()])
@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**", "@"])
def test_wrong_operand_types_raise_type_error(op, other):
    t = Tensor([1.0, 2.0])  # noqa: F841 (used by eval)
    with pytest.raises(TypeError):
        eval(f"t {op} other")
    with pytest.raises(TypeError):
        eval(f"other {op} t")


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_broadcast_mismatch_names_both_shapes(op):
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((5, 7)))  # noqa: F841 (used by eval)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(5, 7\)"):
        eval(f"a {op} b")
    with pytest.raises(ValueError, match=r"\(5, 7\).*\(2, 3\)"):
        eval(f"b {op} a")


@pytest.mark.parametrize(
    "a_shape,b_shape",
    [((2, 3), (5, 7)), ((4, 2, 3), (2, 2)), ((3,), (4,)), ((), (3,)), ((2, 2, 3), (3, 3, 1))],
)
def test_matmul_mismatch_names_both_shapes(a_shape, b_shape):
    a, b = Tensor(np.ones(a_shape)), Tensor(np.ones(b_shape))
    with pytest.raises(ValueError) as info:
        a @ b
    assert str(a_shape) in str(info.value) and str(b_shape) in str(info.value)


def test_reshape_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        Tensor(np.ones((2, 3))).reshape(4)


def test_numpy_arrays_and_scalars_on_either_side():
    t = Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0]) * t + t * np.float64(2.0) - np.float32(1.0) + 1 / t
    y.backward(np.ones(2))
    np.testing.assert_allclose(t.grad, [3 + 2 - 1, 4 + 2 - 0.25])


def test_python_sum_and_scalar_times_tensor_as_in_the_scalar_benchmark():
    # the exact pattern of shared/bench/scalar_mlp.py's tensor engine, against torch
    torch = require_torch()
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((3, 2)), rng.standard_normal((3,)), rng.standard_normal((4, 1))]
    y = np.sign(rng.standard_normal((4, 1)))

    def loss(W, b, scores, y, lib_sum=sum):
        return (1 + -y * scores).relu().mean() + 1e-4 * lib_sum((p * p).sum() for p in (W, b))

    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = loss(*ours, Tensor(y))
    t_out = loss(*theirs, torch.from_numpy(y))
    out.backward()
    t_out.backward()
    assert abs(out.item() - t_out.item()) < 1e-12
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-12)


def test_ieee_inf_and_nan_propagate_quietly_in_functions():
    x = Tensor([0.0, -1.0, np.nan, 1000.0, np.inf], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # log(0), sqrt(-1), e**1000, 1/0: no warning, no error
        terms = [x.log(), x.sqrt(), x.exp(), 1 / x, x**-1.0, x.sigmoid(), x.tanh(), x.relu()]
        for t in terms:
            t.backward(np.ones(5))
    log, sqrt, exp, inv, inv2, sig, tanh, relu = (t.data for t in terms)
    assert log[0] == -np.inf and np.isnan(log[1]) and np.isnan(sqrt[1]) and exp[3] == np.inf
    assert inv[0] == np.inf and inv2[0] == np.inf and sig[4] == 1.0 and tanh[4] == 1.0
    assert all(np.isnan(t.data[2]) for t in terms)  # nan in, nan out
    assert np.isnan(x.grad[2])


# ***** backward() semantics *****


def test_backward_on_a_non_scalar_without_grad_says_so():
    x = Tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"one-element.*\(2, 2\)"):
        (x * 2).backward()


def test_backward_with_a_grad_of_the_wrong_shape_names_both_shapes():
    x = Tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 2\)"):
        (x * 2).backward(np.ones(3))


def test_backward_when_nothing_requires_grad_says_so():
    x = Tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="requires grad"):
        (x * 2).sum().backward()


def test_backward_on_one_element_non_scalar_and_with_explicit_grad_tensor():
    x = Tensor([[3.0]], requires_grad=True)
    (x * x).backward()
    assert x.grad.tolist() == [[6.0]]
    x.grad = None
    (x * x).backward(Tensor([[2.0]]))
    assert x.grad.tolist() == [[12.0]]


def test_leaf_grads_accumulate_and_intermediate_grads_are_per_pass():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    loss = (h * h).sum()
    loss.backward()
    loss.backward()
    np.testing.assert_array_equal(x.grad, 2 * (18 * np.array([1.0, 2.0])))  # d/dx (3x)^2 = 18x, twice
    np.testing.assert_array_equal(h.grad, 2 * 3 * np.array([1.0, 2.0]))  # this pass only


def test_only_tensors_that_require_grad_get_one():
    a = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    (a * c).sum().backward()
    assert c.grad is None and a.grad.tolist() == [3.0, 4.0]


def test_result_requires_grad_iff_an_input_does():
    a, c = Tensor([1.0], requires_grad=True), Tensor([2.0])
    assert (a + c).requires_grad and (c + a).requires_grad and not (c * c).requires_grad
    assert (c * c)._prev == () and (c * c)._op == ""
    assert (a + c)._prev == (a, c) and (a + c)._op == "+"


def test_no_grad_records_nothing_and_restores_state():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        y = (w * 2).exp().sum()
        with no_grad():
            z = w + 1
        leaf = Tensor([1.0], requires_grad=True)  # explicit leaves still require grad
    assert not y.requires_grad and y._prev == () and not z.requires_grad and leaf.requires_grad
    assert (w * 2).requires_grad

    @no_grad()
    def evaluate(t):
        return t * 3

    assert not evaluate(w).requires_grad and (w * 3).requires_grad


def test_a_10000_op_deep_graph_backpropagates_without_recursion():
    x = Tensor(np.array([0.5, -0.25]), requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001 - 0.0001 * y  # each step multiplies by exactly 1.0000 (in exact arithmetic)
    assert sys.getrecursionlimit() < 10_000  # far fewer than the graph's depth
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, 1.0], rtol=1e-9)


def test_diamond_graph_gradients_add_up():
    rng = np.random.default_rng(3)
    a0 = rng.standard_normal((3, 2))

    def diamond(a):
        b = a.tanh()
        c, d = b * 2, b.exp()
        return (c * d + b).sum()

    check_op(diamond, diamond, [a0], rng)


@pytest.mark.parametrize(
    "expr,derivative",
    [
        (lambda x: x * x, lambda x: 2 * x),
        (lambda x: x + x, lambda x: 2 + 0 * x),
        (lambda x: x - x, lambda x: 0 * x),
        (lambda x: x / x, lambda x: 0 * x),
        (lambda x: x @ x, lambda x: 2 * x),
    ],
)
def test_same_tensor_used_twice(expr, derivative):
    x0 = np.array([1.5, -2.0, 0.5])
    x = Tensor(x0, requires_grad=True)
    out = expr(x)
    out.backward(np.ones(out.shape))
    np.testing.assert_allclose(x.grad, derivative(x0), atol=1e-15)


def test_no_two_tensors_share_a_grad_array():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.ones((2, 3)), requires_grad=True)
    s = a + b  # add passes its gradient through unchanged ...
    r = s.reshape(3, 2)  # ... and so does reshape
    t = r.T
    t.backward(np.arange(6.0).reshape(2, 3))
    grads = [a.grad, b.grad, s.grad, r.grad, t.grad]
    for i, g in enumerate(grads):
        for h in grads[i + 1 :]:
            assert not np.shares_memory(g, h)
    a.grad *= 0  # changing one tensor's grad in place leaves every other one alone
    assert b.grad.sum() == 15.0 and s.grad.sum() == 15.0


def test_a_leaf_used_in_two_branches_accumulates_without_corrupting_others():
    x = Tensor(np.ones(3), requires_grad=True)
    y = Tensor(np.ones(3), requires_grad=True)
    z = x + y
    loss = (z + x).sum()  # x gets 1 (via z) + 1 (direct)
    loss.backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0] and y.grad.tolist() == [1.0, 1.0, 1.0]
    assert z.grad.tolist() == [1.0, 1.0, 1.0]
