"""Value speaks micrograd's names (issue 21): ``_op`` is '+', '*', '**2', ..., and
``node._backward()`` applies one node's chain-rule step, so the lecture's "backpropagate by
hand, node by node" cells run. Oracles: the hand computation of the lecture and backward()."""

import math

import pytest

from tinygrad_edu import Value, backward_steps, draw_dot
from tinygrad_edu import value as value_module
from tinygrad_edu.steps import expression_text


def lecture_neuron():
    """The micrograd lecture's neuron, built step by step with its labels."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    return [x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o]


def test_backpropagating_by_hand_node_by_node_as_in_the_lecture():
    x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o = lecture_neuron()
    o.grad = 1.0
    o._backward()  # do/dn = 1 - o**2 = 0.5
    assert n.grad == pytest.approx(0.5)
    n._backward()  # a + passes the gradient on unchanged
    b._backward()  # a leaf: nothing happens
    x1w1x2w2._backward()
    x2w2._backward()
    x1w1._backward()
    by_hand = [v.grad for v in (x1, x2, w1, w2, b)]
    # the lecture's numbers: x1.grad = w1 * 0.5, w1.grad = x1 * 0.5, x2.grad = w2 * 0.5, w2.grad = 0
    assert by_hand == pytest.approx([-1.5, 0.5, 1.0, 0.0, 0.5])
    fresh = lecture_neuron()
    fresh[-1].backward()
    assert by_hand == [v.grad for v in fresh[:5]]  # exactly what backward() computes


def test_the_lecture_tanh_written_with_exp_by_hand():
    # o = (e - 1) / (e + 1) with e = exp(2n): ops '*', 'exp', '+', '/'
    n = Value(0.8813735870195432, label="n")
    two_n = 2 * n
    e = two_n.exp()
    top, bottom = e - 1, e + 1
    o = top / bottom
    assert [two_n._op, e._op, top._op, bottom._op, o._op] == ["*", "exp", "+", "+", "/"]
    o.grad = 1.0
    for node in [o, bottom, top, e, two_n]:  # each after every node that uses it
        node._backward()
    assert n.grad == pytest.approx(1 - math.tanh(n.data) ** 2, rel=1e-12)


@pytest.mark.parametrize(
    "make,op,ctx",
    [
        (lambda a, b: a + b, "+", None),
        (lambda a, b: a + 2, "+", 2.0),
        (lambda a, b: a - 2, "+", -2.0),  # a - c is a + (-c)
        (lambda a, b: a - b, "-", None),
        (lambda a, b: a * b, "*", None),
        (lambda a, b: a * 3, "*", 3.0),
        (lambda a, b: 3 * a, "*", 3.0),
        (lambda a, b: a / b, "/", None),
        (lambda a, b: a / 4, "/", 4.0),
        (lambda a, b: a**2, "**2", 2.0),
        (lambda a, b: a**-1, "**-1", -1.0),
        (lambda a, b: a**0.5, "**0.5", 0.5),
        (lambda a, b: a**b, "pow", None),
        (lambda a, b: -a, "neg", None),
        (lambda a, b: a.tanh(), "tanh", None),
        (lambda a, b: a.exp(), "exp", None),
        (lambda a, b: a.relu(), "relu", None),
        (lambda a, b: a.leaky_relu(0.1), "leaky_relu", 0.1),
    ],
)
def test_op_names_are_micrographs_and_constants_stay_in_ctx(make, op, ctx):
    a, b = Value(1.5, label="a"), Value(2.0, label="b")
    node = make(a, b)
    assert node._op == op and node._ctx == ctx
    assert node._prev == ((a,) if ctx is not None or op in ("neg", "tanh", "exp", "relu") else (a, b))
    # one node's rule by hand gives what backward() gives
    node.grad = 1.0
    node._backward()
    by_hand = (a.grad, b.grad)
    a2, b2 = Value(1.5), Value(2.0)
    make(a2, b2).backward()
    assert by_hand == (a2.grad, b2.grad)


def test_drawings_and_sentences_read_as_before():
    a = Value(3.0, label="a")
    cases = [(a**2, "**2", "a**2"), (a - 1, "- 1", "a - 1"), (a + 2, "+ 2", "a + 2"), (a * 3, "* 3", "a * 3")]
    cases += [(a / 4, "/ 4", "a / 4"), (a**-1.5, "**-1.5", "a**-1.5"), (a * a, "*", "a * a")]
    for node, drawn, sentence in cases:
        assert f"label={drawn}" in draw_dot(node).source or f'label="{drawn}"' in draw_dot(node).source
        assert expression_text(node, lambda x: x.label) == sentence
    y = a**2
    y.label = "y"
    (step,) = backward_steps(y)
    assert str(step) == "y = a**2: dL/da += 6 * 1 = 6" and step.op == "**2"


def test_every_power_finds_the_one_rule_and_unknown_ops_are_key_errors():
    rules = value_module.BACKWARD_RULES
    assert rules["**2"] is rules["**-0.5"] is rules["**"]
    with pytest.raises(KeyError):
        rules["no such op"]
    leaf = Value(1.0)
    leaf._backward()  # a leaf: nothing to do, no error
    assert leaf.grad == 0.0
