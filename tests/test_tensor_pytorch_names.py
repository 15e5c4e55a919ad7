"""PyTorch's everyday names on Tensor (issue 21): in-place updates under no_grad(), the
conversions, the constructors with dtype= and device=, and the quiet edge cases of issue 20.
The oracle is torch in float64 (or a hand computation)."""

import ast
import operator
import pathlib
import warnings

import numpy as np
import pytest

import tinygrad_edu
from tinygrad_edu import Tensor, no_grad

# ***** in-place updates *****

UPDATES = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv}


def _data(rng):
    x = rng.standard_normal((32, 3))
    y = x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3 + 0.01 * rng.standard_normal((32, 1))
    return x, y


def test_a_training_loop_with_in_place_updates_learns_as_torch_does(torch):
    rng = np.random.default_rng(0)
    x, y = _data(rng)
    w0, b0 = rng.standard_normal((3, 1)) * 0.1, np.zeros(1)
    w, b = Tensor(w0, requires_grad=True), Tensor(b0, requires_grad=True)
    tw = torch.tensor(w0, requires_grad=True)
    tb = torch.tensor(b0, requires_grad=True)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    lr, losses = 0.1, []
    w_array, same = w.data, (w, b)
    for _ in range(50):
        loss = ((Tensor(x) @ w + b - Tensor(y)) ** 2).mean()
        loss.backward()
        with no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = b.grad = None
        losses.append(loss.item())
        t_loss = ((tx @ tw + tb - ty) ** 2).mean()
        t_loss.backward()
        with torch.no_grad():
            tw -= lr * tw.grad
            tb -= lr * tb.grad
        tw.grad = tb.grad = None
        assert losses[-1] == pytest.approx(t_loss.item(), rel=1e-10)
    assert w is same[0] and b is same[1] and w.data is w_array  # the same objects and arrays
    assert w.requires_grad and b.requires_grad and not w._prev
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(b.data, tb.detach().numpy(), rtol=1e-10)
    assert losses[-1] < 0.01 * losses[0]  # it learns


@pytest.mark.parametrize("update", ["+=", "-=", "*=", "/="])
def test_each_update_in_place_matches_torch(torch, update):
    a, c = np.array([[1.0, -2.0], [3.0, 4.0]]), np.array([2.0, -0.5])  # c broadcasts over rows
    p, t = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    array = p.data
    step, same = UPDATES[update], p  # step(p, x) is `p += x` (or -= *= /=)
    with no_grad():
        p = step(p, Tensor(c))
        p = step(p, 2.0)
    with torch.no_grad():
        t = step(step(t, torch.from_numpy(c)), 2.0)
    assert p is same and p.data is array and p.requires_grad
    np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-15)


@pytest.mark.parametrize("update", ["+=", "-=", "*=", "/="])
def test_updating_a_parameter_outside_no_grad_is_refused_as_in_torch(torch, update):
    p, before = Tensor([1.0, 2.0], requires_grad=True), [1.0, 2.0]
    with pytest.raises(RuntimeError, match=r"requires grad.*with no_grad\(\)") as ours:
        UPDATES[update](p, 1.0)
    assert p.tolist() == before  # nothing changed
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        UPDATES[update](torch.tensor(before, requires_grad=True), 1.0)
    assert update in str(ours.value)
    with pytest.raises(RuntimeError, match=r"zero_\(\).*no_grad"):
        p.zero_()


def test_what_an_update_does_to_other_tensors():
    # a tensor that does not require grad: in place, with or without no_grad()
    t = Tensor([1.0, 2.0])
    same = t
    t += 1.0
    t *= np.array([2.0, 3.0])
    assert t is same and t.tolist() == [4.0, 9.0]
    # a computed node: `total += loss` is `total = total + loss`, a new node (the old one
    # keeps its numbers, which its graph needs), so the gradient of the sum is right
    w = Tensor([1.0, 2.0], requires_grad=True)
    total = w * 3.0
    first, first_data = total, total.data.copy()
    total += w * w
    assert total is not first and np.array_equal(first.data, first_data)
    total.sum().backward()
    assert w.grad.tolist() == [5.0, 7.0]  # 3 + 2w
    # a constant updated by a tensor that requires grad: a new node too, gradients flow
    c = Tensor([1.0, 1.0])
    c_same = c
    c -= w
    assert c is not c_same and c_same.tolist() == [1.0, 1.0] and c.requires_grad
    # inside no_grad() a computed node is still not changed in place (its graph needs it)
    node = w * 2.0
    with no_grad():
        node2 = node
        node2 += 1.0
    assert node2 is not node and node.tolist() == [2.0, 4.0] and not node2.requires_grad


def test_update_errors_name_the_shapes_and_types():
    t = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"shape \(4,\) cannot update a tensor of shape \(2, 3\)"):
        t += np.ones(4)
    with pytest.raises(ValueError, match=r"shape \(2, 3\) cannot update a tensor of shape \(3,\)"):
        small = Tensor(np.zeros(3))
        small += np.ones((2, 3))  # the result would need a bigger array
    with pytest.raises(TypeError, match="str"):
        t += "1"
    f = Tensor(np.ones(2, dtype=np.float32))
    f /= 0.0  # IEEE: inf, quietly; float32 stays float32
    assert f.dtype == np.float32 and np.isinf(f.data).all()


def test_zero_and_requires_grad_in_place():
    p = Tensor([1.0, -2.0])
    assert p.zero_() is p and p.tolist() == [0.0, 0.0]
    assert p.requires_grad_() is p and p.requires_grad
    with no_grad():
        p += 3.0
        assert p.zero_() is p and p.tolist() == [0.0, 0.0]
    assert p.requires_grad_(False) is p and not p.requires_grad
    node = Tensor([1.0], requires_grad=True) * 2.0
    assert node.requires_grad_() is node  # True on a computed node: nothing to do
    with pytest.raises(RuntimeError, match="only leaves"):
        node.requires_grad_(False)
    with pytest.raises(RuntimeError, match="zeros_like"):
        node.zero_()
    with pytest.raises(TypeError, match="requires_grad must be True or False"):
        p.requires_grad_(1)


def test_conversions_for_one_element_tensors(torch):
    for value in [2.7, -2.7, 0.0, 1e300]:
        for shape in [(), (1,), (1, 1)]:
            a = np.full(shape, value)
            assert float(Tensor(a)) == float(torch.from_numpy(a))
            assert int(Tensor(a)) == int(torch.from_numpy(a))
    with pytest.raises(ValueError, match=r"one element, got shape \(2,\)"):
        float(Tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="one element"):
        int(Tensor([1.0, 2.0]))
    assert Tensor([[1.0, 2.0]]).tolist() == [[1.0, 2.0]] and Tensor(3.0).tolist() == 3.0


def test_pow_and_matmul_methods_refuse_other_types():
    x = Tensor([[1.0, 2.0]])
    with pytest.raises(TypeError, match="matmul: other must be a Tensor or a numpy array, got float"):
        x.matmul(2.0)
    with pytest.raises(TypeError, match="matmul: .*got str"):
        x.matmul("W")
    with pytest.raises(TypeError, match="pow: the exponent must be .* got str"):
        x.pow("2")
    with pytest.raises(TypeError, match="maximum: other must be .* got str"):
        x.maximum("0")
    assert x.matmul(np.array([[1.0], [1.0]])).tolist() == [[3.0]]
    assert x.clamp(max=1.5).tolist() == [[1.0, 1.5]]


# ***** constructors *****


def test_constructors_match_torch(torch):
    f64 = torch.float64
    cases = [
        (Tensor.arange(5), torch.arange(5, dtype=f64)),
        (Tensor.arange(1, 3, 0.5), torch.arange(1, 3, 0.5, dtype=f64)),
        (Tensor.arange(3, 0, -1), torch.arange(3, 0, -1, dtype=f64)),
        (Tensor.linspace(-1, 1, 5), torch.linspace(-1, 1, 5, dtype=f64)),
        (Tensor.linspace(0, 1, 1), torch.linspace(0, 1, 1, dtype=f64)),
        (Tensor.eye(3), torch.eye(3, dtype=f64)),
        (Tensor.eye(2, 4), torch.eye(2, 4, dtype=f64)),
        (Tensor.full((2, 3), 1.5), torch.full((2, 3), 1.5, dtype=f64)),
        (Tensor.full([2], -1), torch.full([2], -1, dtype=f64)),
        (Tensor.zeros(2, 3), torch.zeros(2, 3, dtype=f64)),
        (Tensor.ones((3,)), torch.ones((3,), dtype=f64)),
        (Tensor.zeros_like(Tensor([[1.0, 2.0]])), torch.zeros_like(torch.ones(1, 2, dtype=f64))),
        (Tensor.ones_like(Tensor([[1.0, 2.0]])), torch.ones_like(torch.ones(1, 2, dtype=f64))),
    ]
    for ours, theirs in cases:
        assert ours.dtype == np.float64 and ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-15, atol=0)


def test_dtype_and_device_keywords():
    made = [
        Tensor([1, 2], dtype=np.float32),
        Tensor.zeros(2, dtype="float32"),
        Tensor.ones(2, dtype=np.dtype("float32")),
        Tensor.arange(3, dtype=np.float32),
        Tensor.linspace(0, 1, 3, dtype=np.float32),
        Tensor.eye(2, dtype=np.float32),
        Tensor.full((2,), 1.0, dtype=np.float32),
        Tensor.randn(2, dtype=np.float32, rng=0),
        Tensor.rand(2, dtype=np.float32, rng=0),
        Tensor.normal(0.0, 1.0, (2,), dtype=np.float32, rng=0),
        Tensor.zeros_like(Tensor(np.zeros(2, dtype=np.float32))),  # the other's dtype
        Tensor.ones_like(Tensor([1.0]), dtype=np.float32),
        Tensor.zeros_like(np.zeros(2, dtype=np.float32)),  # a numpy array works too
    ]
    assert all(t.dtype == np.float32 for t in made)
    assert Tensor(np.ones(2, dtype=np.float32), dtype="float64").dtype == np.float64
    assert Tensor.zeros(2, device="cpu", requires_grad=True).requires_grad
    assert Tensor([1.0], device="cpu").tolist() == [1.0]
    for bad in ["int64", np.int32, "cuda", object()]:
        with pytest.raises(TypeError, match="dtype must be float32 or float64"):
            Tensor.zeros(2, dtype=bad)
    with pytest.raises(TypeError, match=r"Tensor\(\): dtype must be float32 or float64"):
        Tensor([1.0], dtype="float16")
    for maker in [lambda d: Tensor([1.0], device=d), lambda d: Tensor.arange(3, device=d)]:
        with pytest.raises(ValueError, match="device 'cuda' is not available.*CPU only"):
            maker("cuda")


def test_random_constructors():
    u = Tensor.rand(4000, rng=1)
    assert u.shape == (4000,) and 0.0 <= u.data.min() and u.data.max() < 1.0
    assert abs(u.data.mean() - 0.5) < 0.02  # the mean of U(0, 1), within 4 standard errors
    n = Tensor.normal(3.0, 2.0, (4000,), rng=2)
    assert abs(n.data.mean() - 3.0) < 0.13 and abs(n.data.std() - 2.0) < 0.1
    assert np.array_equal(Tensor.rand(3, rng=5).data, Tensor.rand(3, rng=5).data)
    np.random.seed(0)
    first = Tensor.rand(2, 2).data
    np.random.seed(0)
    assert np.array_equal(first, Tensor.rand((2, 2)).data)
    assert Tensor.normal(0.0, 0.0, 3, rng=0).tolist() == [0.0, 0.0, 0.0]


def test_constructor_errors():
    with pytest.raises(ValueError, match="step must not be 0"):
        Tensor.arange(0, 1, 0)
    with pytest.raises(TypeError, match="arange: end must be a number, got str"):
        Tensor.arange(0, "5")
    with pytest.raises(TypeError, match="linspace: steps must be an int >= 0"):
        Tensor.linspace(0, 1, 2.5)
    with pytest.raises(TypeError, match="linspace: steps must be an int >= 0"):
        Tensor.linspace(0, 1, -1)
    with pytest.raises(TypeError, match="linspace: start must be a number, got NoneType"):
        Tensor.linspace(None, 1, 3)
    with pytest.raises(TypeError, match="full: fill_value must be a number, got bool"):
        Tensor.full((2,), True)
    with pytest.raises(ValueError, match="sizes cannot be negative"):
        Tensor.eye(-1)
    with pytest.raises(TypeError, match="normal: std must be a number, got str"):
        Tensor.normal(0.0, "1", (2,))
    with pytest.raises(ValueError, match="std must be >= 0"):
        Tensor.normal(0.0, -1.0, (2,))
    with pytest.raises(TypeError, match="zeros_like takes a Tensor, got list"):
        Tensor.zeros_like([1.0])
    with pytest.raises(TypeError, match="a shape holds ints, got float"):
        Tensor.rand(2.0)


# ***** issue 20: no warnings from numpy *****


def test_no_warnings_from_the_edges_of_mean_and_log_softmax(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning fails the test
        empty = Tensor(np.zeros((0, 3)), requires_grad=True)
        assert np.isnan(empty.mean().item())
        means = empty.mean(axis=0)
        assert np.isnan(means.data).all() and means.shape == (3,)
        means.sum().backward()
        assert empty.grad.shape == (0, 3)
        assert np.isnan(Tensor(np.zeros((2, 0))).mean(axis=1).data).all()
        big = np.array([[1e308, -1e308], [-1e308, 1e308], [1e308, 1e308]])
        x = Tensor(big, requires_grad=True)
        ours = x.log_softmax(dim=1)
        ours.sum().backward()
        probabilities = x.softmax(dim=1).data
        z = Tensor(np.zeros((2, 0)))
        assert z.var(1).shape == (2,) and z.std().shape == ()
    t = torch.from_numpy(big).requires_grad_()
    theirs = t.log_softmax(dim=1)
    theirs.sum().backward()
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(probabilities, t.softmax(dim=1).detach().numpy())


# ***** the package reads top-down *****


def test_no_import_inside_a_function_in_the_tensor_files():
    package = pathlib.Path(tinygrad_edu.__file__).parent
    files = sorted(package.glob("tensor*.py"))
    assert len(files) >= 8
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
                assert not inner, f"{path.name}: {node.name} imports inside the function"


def test_where_cat_and_stack_build_tensors_without_importing():
    a = Tensor([1.0, -2.0], requires_grad=True)
    assert Tensor.where(a > 0, a, 0.0).tolist() == [1.0, 0.0]
    assert Tensor.cat([a, a]).shape == (4,) and Tensor.stack([a, a]).shape == (2, 2)
    with pytest.raises(TypeError, match="entry 1 is a ndarray, not a Tensor"):
        Tensor.cat([a, np.zeros(2)])


def test_every_result_holds_an_array_even_when_numpy_gives_a_scalar():
    x = Tensor(np.arange(6.0).reshape(2, 3) + 1, requires_grad=True)
    results = [
        x.std(),
        x.abs().sum().sqrt(),
        x[0, 0].exp().log().tanh().sigmoid().relu(),
        x.clamp(0, 1).sum().pow(2),
        x[0, 0].sin().cos(),
        x.mean() * 2 - 1,
    ]
    for y in results:
        assert type(y.data) is np.ndarray and y.data.shape == ()
