"""The Value API's contract: construction, errors, repr, lean nodes, deep graphs."""

import gc
import math
import sys
from fractions import Fraction

import pytest

from tinygrad_edu import Value


@pytest.mark.parametrize("data,expected", [(3, 3.0), (2.5, 2.5), (Fraction(1, 4), 0.25), (-0, 0.0)])
def test_numbers_become_floats(data, expected):
    v = Value(data)
    assert type(v.data) is float and v.data == expected
    assert v.grad == 0.0 and type(v.grad) is float and v.label == ""


@pytest.mark.parametrize("bad", [True, False, "1.5", None, [1.0], {"a": 1}, object(), 1 + 2j, (1.0,)])
def test_bad_data_raises_typeerror_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_numpy_bool_and_arrays_are_rejected():
    np = pytest.importorskip("numpy")
    for bad in (np.bool_(True), np.array([1.0, 2.0])):
        with pytest.raises(TypeError, match=type(bad).__name__):
            Value(bad)


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_string_operand_raises_typeerror(op):
    v = Value(1.0)
    for expr in (f"v {op} '2'", f"'2' {op} v"):
        with pytest.raises(TypeError, match="str"):
            eval(expr, {"v": v})


def test_label_can_be_set_later_and_shows_in_repr():
    y = Value(1.25)
    assert repr(y) == "Value(data=1.25, grad=0.0)"
    y.label = "y"
    assert repr(y) == "Value(data=1.25, grad=0.0, label='y')"
    assert Value(1.0, label="w").label == "w"
    with pytest.raises(TypeError, match="int"):
        Value(1.0, label=3)


def test_graph_attributes():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    assert c._prev == (a, b) and c._op == "*"
    assert a._prev == () and a._op == ""
    assert type(c._prev) is tuple


def test_nodes_are_lean():
    v = Value(1.0) + 2
    assert not hasattr(v, "__dict__")  # __slots__ only
    # the only GC-tracked objects a node owns: itself and its tuple of inputs
    owned_tracked = [r for r in gc.get_referents(v) if gc.is_tracked(r) and not isinstance(r, (Value, type))]
    assert owned_tracked == [v._prev]


def test_finished_graph_leaves_no_cyclic_garbage():
    gc.collect()
    gc.disable()
    try:
        w = [Value(0.1 * i) for i in range(20)]
        out = Value(0.0)
        for i in range(2000):
            out = (out + w[i % 20] * w[(i * 7) % 20]).tanh()
        out.backward()
        del out
        found = gc.collect()  # everything was freed by reference counting already
    finally:
        gc.enable()
    assert found == 0


def test_million_step_chain_at_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000
    x0 = Value(0.5)
    x = x0
    n = 1_000_000
    for _ in range(n):
        x = x * 0.99 + 0.01
    x.backward()
    # x_n = 0.99**n * (x0 - 1) + 1, so dx_n/dx0 = 0.99**n
    assert x.data == pytest.approx(0.99**n * (0.5 - 1) + 1, abs=1e-9)
    assert x0.grad == pytest.approx(0.99**n, rel=1e-9, abs=1e-300)


def test_deep_tanh_chain_gradient_matches_closed_form():
    x0 = Value(0.3)
    x = x0
    xs = [0.3]
    for _ in range(50_000):
        x = x.tanh()
        xs.append(math.tanh(xs[-1]))
    x.backward()
    expected = 1.0
    for t in xs[1:]:
        expected *= 1 - t * t
    assert x0.grad == pytest.approx(expected, rel=1e-9)
