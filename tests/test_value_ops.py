"""Every Value operation, one line each, checked against central differences and PyTorch.

Each row of OPS gives: a name, the function on Values, the same function on torch tensors,
and the input domain where it is smooth (so that finite differences are meaningful).
"""

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tinygrad_edu import Value, gradcheck

finite = st.floats(-3.0, 3.0, allow_nan=False)
positive = st.floats(0.1, 3.0)


def away_from_kink(x: float) -> bool:
    return abs(x) > 1e-3


# name, Value function, torch function, strategies for the inputs, extra condition
OPS = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, (finite, finite), None),
    ("radd", lambda a: 2.5 + a, lambda a: 2.5 + a, (finite,), None),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, (finite, finite), None),
    ("rsub", lambda a: 2.5 - a, lambda a: 2.5 - a, (finite,), None),
    ("sub_const", lambda a: a - 2.5, lambda a: a - 2.5, (finite,), None),
    ("neg", lambda a: -a, lambda a: -a, (finite,), None),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, (finite, finite), None),
    ("rmul", lambda a: -1.5 * a, lambda a: -1.5 * a, (finite,), None),
    ("div", lambda a, b: a / b, lambda a, b: a / b, (finite, positive), None),
    ("rdiv", lambda a: 2.0 / a, lambda a: 2.0 / a, (positive,), None),
    ("div_const", lambda a: a / 1.7, lambda a: a / 1.7, (finite,), None),
    ("pow2", lambda a: a**2, lambda a: a**2, (finite,), None),
    ("pow3", lambda a: a**3, lambda a: a**3, (finite,), None),
    ("pow_neg", lambda a: a**-1.5, lambda a: a**-1.5, (positive,), None),
    ("pow_half", lambda a: a**0.5, lambda a: a**0.5, (positive,), None),
    ("pow_value", lambda a, b: a**b, lambda a, b: a**b, (positive, finite), None),
    ("rpow", lambda a: 2.0**a, lambda a: 2.0**a, (finite,), None),
    ("exp", lambda a: a.exp(), lambda a: a.exp(), (finite,), None),
    ("log", lambda a: a.log(), lambda a: a.log(), (positive,), None),
    ("tanh", lambda a: a.tanh(), lambda a: a.tanh(), (finite,), None),
    ("sigmoid", lambda a: a.sigmoid(), lambda a: a.sigmoid(), (finite,), None),
    ("relu", lambda a: a.relu(), lambda a: a.relu(), (finite,), away_from_kink),
    ("leaky_relu", lambda a: a.leaky_relu(), lambda a: _torch_leaky(a, 0.01), (finite,), away_from_kink),
    (
        "leaky_relu_0.2",
        lambda a: a.leaky_relu(0.2),
        lambda a: _torch_leaky(a, 0.2),
        (finite,),
        away_from_kink,
    ),
]


def _torch_leaky(a, slope):
    import torch.nn.functional as F

    return F.leaky_relu(a, slope)


def _inputs(data, strategies, condition):
    xs = [data.draw(s) for s in strategies]
    if condition is not None:
        assume(all(condition(x) for x in xs))
    return xs


@pytest.mark.parametrize("name,fn,_,strategies,condition", OPS, ids=[op[0] for op in OPS])
@given(data=st.data())
def test_gradient_matches_central_differences(name, fn, _, strategies, condition, data):
    xs = _inputs(data, strategies, condition)
    assert gradcheck(fn, [Value(x) for x in xs], atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("name,fn,torch_fn,strategies,condition", OPS, ids=[op[0] for op in OPS])
@given(data=st.data())
def test_value_and_gradient_match_torch(torch, name, fn, torch_fn, strategies, condition, data):
    xs = _inputs(data, strategies, condition)
    values = [Value(x) for x in xs]
    out = fn(*values)
    out.backward()
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    expected = torch_fn(*tensors)
    expected.backward()
    assert out.data == pytest.approx(expected.item(), rel=1e-12, abs=1e-12)
    for v, t in zip(values, tensors, strict=True):
        assert v.grad == pytest.approx(t.grad.item(), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("x", [-1e4, -800.0, -40.0, 40.0, 800.0, 1e4])
def test_sigmoid_and_tanh_saturate_quietly(torch, x, recwarn):
    for method in ("sigmoid", "tanh"):
        v = Value(x)
        out = getattr(v, method)()
        out.backward()
        t = torch.tensor(x, requires_grad=True)
        ref = getattr(t, method)()
        ref.backward()
        assert out.data == pytest.approx(ref.item(), abs=1e-300)
        assert v.grad == pytest.approx(t.grad.item(), abs=1e-300)
    assert not recwarn.list


@pytest.mark.parametrize(
    "expr",
    [
        lambda x: x / 0.0,
        lambda x: (-x) / 0.0,
        lambda x: (x - x) / 0.0,
        lambda x: (x - x).log(),
        lambda x: (-x).log(),
        lambda x: (x * 1000).exp(),
        lambda x: (x - x) ** -1,
        lambda x: (-x) ** 0.5,
        lambda x: (x * 1e200) ** 2,
    ],
    ids=["pos/0", "neg/0", "0/0", "log0", "log_neg", "exp_overflow", "0**-1", "neg**0.5", "overflow**2"],
)
def test_ieee_edge_cases_match_torch(torch, expr):
    out = expr(Value(2.0))
    ref = expr(torch.tensor(2.0))
    assert math.isnan(out.data) == math.isnan(ref.item())
    if not math.isnan(ref.item()):
        assert out.data == ref.item()


@pytest.mark.parametrize("method", ["exp", "log", "tanh", "sigmoid", "relu", "leaky_relu", "__neg__"])
def test_nan_propagates_through_every_unary_op(method):
    x = Value(float("nan"))
    out = getattr(x, method)() * 2.0 + 1.0
    out.backward()
    assert math.isnan(out.data)


def test_nan_propagates_through_binary_ops():
    nan = Value(float("nan"))
    for out in (nan + 1, 1 - nan, nan * 0.0, nan / 2, 2 / nan, nan**2, 2**nan, Value(2.0) ** nan):
        assert math.isnan(out.data)
