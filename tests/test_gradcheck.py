"""gradcheck returns True for correct gradients and names every wrong one with both numbers."""

import re

import pytest

from tinygrad_edu import GradcheckError, Value, gradcheck
from tinygrad_edu import value as value_module


def test_correct_gradients_pass():
    assert gradcheck(lambda a, b: (a * b + a.exp()).tanh() / (b * b + 1), [Value(0.2), Value(-0.7)])


def test_wrong_rule_is_reported_with_both_numbers(monkeypatch):
    def wrong_mul_backward(out):  # d(a*b)/da should be b: this gives 2b, and nothing to b
        a, b = out._prev
        a.grad += 2 * b.data * out.grad

    monkeypatch.setitem(value_module.BACKWARD_RULES, "*", wrong_mul_backward)
    a, b, c = Value(1.5, label="a"), Value(-2.0, label="b"), Value(0.5, label="c")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b, c: a * b + c, [a, b, c])
    message = str(info.value)
    assert "2 gradient(s)" in message
    # the analytic and the numeric value of each mismatch, computed by hand here
    rows = dict(re.findall(r"(input \d \('\w'\)): (backward .*)", message))
    assert set(rows) == {"input 0 ('a')", "input 1 ('b')"}
    analytic_a, numeric_a = map(float, re.findall(r"-?\d+\.\d+(?:e-?\d+)?", rows["input 0 ('a')"]))
    assert analytic_a == 2 * -2.0 and numeric_a == pytest.approx(-2.0, abs=1e-6)
    analytic_b, numeric_b = map(float, re.findall(r"-?\d+\.\d+(?:e-?\d+)?", rows["input 1 ('b')"]))
    assert analytic_b == 0.0 and numeric_b == pytest.approx(1.5, abs=1e-6)


def test_bad_arguments():
    with pytest.raises(TypeError, match="float"):
        gradcheck(lambda a: a, [1.5])
    with pytest.raises(TypeError, match="float"):
        gradcheck(lambda a: 2.0, [Value(1.0)])
    with pytest.raises(ValueError):
        gradcheck(lambda: Value(1.0), [])
