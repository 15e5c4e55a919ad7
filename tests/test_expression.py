"""The expression language of `tinygrad-edu draw`, called directly: what it refuses (and where it
points), and constant parts computed with IEEE arithmetic. Columns are counted by hand in the
text; values come from Python's math module."""

import math

import pytest

from tinygrad_edu.expression import ExpressionError, build, parse, parse_assignments


def refusal(text):
    with pytest.raises(ExpressionError) as caught:
        build(text, {"x": 2.0, "y": 3.0})
    return str(caught.value)


@pytest.mark.parametrize(
    "text, words",
    [
        ("not x", ["operator 'not' is not allowed", "column 1", "use - for negation"]),
        ("y + ~x", ["operator ~ is not allowed", "column 5"]),
        ("x * " + "9" * 400, ["number too large", "column 5"]),
        ("x + __y", ["the name '__y' is not allowed", "column 5"]),
        ("tanh(*x)", ["'*' unpacking is not allowed in tanh(...)"]),
        ("x\0", ["null bytes"]),
    ],
)
def test_refused_with_what_and_where(text, words):
    message = refusal(text)
    assert "\n" not in message
    for word in words:
        assert word in message, (word, message)


def test_leading_spaces_count_in_the_column():
    # the user typed three spaces: the attribute access starts in column 4 of what they typed
    assert "at column 4: 'x.real'" in refusal("   x.real")
    assert "at column 8: 'y.imag'" in refusal("   x + y.imag")


def test_only_text_is_an_expression():
    with pytest.raises(TypeError, match="must be a str, got bytes"):
        parse(b"x + 1")


def test_constant_parts_use_ieee_arithmetic():
    graph = build("x * (1/0) + 2**3", {"x": 2.0})
    assert graph.output.data == math.inf  # 2 * inf + 8
    graph = build("(0/0) * x", {"x": 1.0})
    assert math.isnan(graph.output.data)
    graph = build("x + 2**3 * 3", {"x": 1.5})  # the constant 24 is folded, x stays the one input
    assert graph.output.data == 25.5 and graph.output._prev == (graph.variables["x"],)


def test_a_constant_expression_is_a_leaf_value():
    graph = build("2 * 3 - 1", {})
    assert graph.output.data == 5.0 and graph.output._prev == () and graph.variables == {}


def test_a_variable_given_twice_is_refused():
    with pytest.raises(ExpressionError, match="--set gives x twice"):
        parse_assignments(["x=1", "y=2", "x=3"])
