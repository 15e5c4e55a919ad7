"""Whole expressions: random trees mixing every op, with shared nodes (fan-out, diamonds),
checked against PyTorch float64 and central differences; micrograd-style sanity checks."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu import Value, gradcheck


def leaky_relu(a, slope):
    if isinstance(a, Value):
        return a.leaky_relu(slope)
    import torch.nn.functional as F

    return F.leaky_relu(a, slope)


# Ops are written so every intermediate stays in the op's smooth domain:
# log and division only see inputs >= 0.5, powers with a Value exponent a base >= 1.
UNARY = {
    "neg": lambda a: -a,
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "exp_tanh": lambda a: a.tanh().exp(),
    "log_pos": lambda a: (a * a + 0.5).log(),
    "square": lambda a: a**2,
    "cube_scaled": lambda a: (a * 0.5) ** 3,
    "recip": lambda a: 1.0 / (a * a + 0.5),
    "relu": lambda a: a.relu(),
    "leaky": lambda a: leaky_relu(a, 0.1),
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 0.5),
    "pow": lambda a, b: (a * a + 1.0) ** b.tanh(),
    "rsub_const": lambda a, b: 1.5 - a * b,
}
SMOOTH_UNARY = [k for k in UNARY if k not in ("relu", "leaky")]


@st.composite
def programs(draw, unary_ops):
    """A straight-line program over 3 inputs: each step applies an op to earlier results,
    so any result can be used many times (fan-out) and paths can meet again (diamonds)."""
    steps = []
    n_steps = draw(st.integers(1, 12))
    for i in range(n_steps):
        available = 3 + i
        if draw(st.booleans()):
            steps.append((draw(st.sampled_from(unary_ops)), draw(st.integers(0, available - 1))))
        else:
            steps.append(
                (
                    draw(st.sampled_from(sorted(BINARY))),
                    draw(st.integers(0, available - 1)),
                    draw(st.integers(0, available - 1)),
                )
            )
    return steps


def run(program, inputs):
    """Evaluate the program; the output sums the last three results (more sharing)."""
    results = list(inputs)
    for op, *args in program:
        fn = UNARY[op] if op in UNARY else BINARY[op]
        results.append(fn(*(results[j] for j in args)))
    return results[-1] + results[-2] * 0.5 + results[-3]


inputs3 = st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3)


@given(program=programs(sorted(UNARY)), xs=inputs3)
def test_random_expression_matches_torch(torch, program, xs):
    values = [Value(x) for x in xs]
    out = run(program, values)
    out.backward()
    tensors = [torch.tensor(x, requires_grad=True) for x in xs]
    ref = run(program, tensors)
    ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=1e-9, abs=1e-12)
    for v, t in zip(values, tensors, strict=True):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert v.grad == pytest.approx(expected, rel=1e-8, abs=1e-10)


@given(program=programs(SMOOTH_UNARY), xs=inputs3)
def test_random_smooth_expression_passes_gradcheck(program, xs):
    assert gradcheck(lambda *v: run(program, v), [Value(x) for x in xs], atol=1e-5, rtol=1e-4)


def test_micrograd_style_sanity_check(torch):
    # a mix of every binary op, with reuse, evaluated in both engines
    def f(x):
        z = 3 * x + 2 + x
        q = z.relu() + z * x
        h = (z * z).relu()
        y = h + q + q * x
        return y

    x = Value(-3.5)
    y = f(x)
    y.backward()
    xt = torch.tensor(-3.5, requires_grad=True)
    yt = f(xt)
    yt.backward()
    assert y.data == pytest.approx(yt.item())
    assert x.grad == pytest.approx(xt.grad.item())


def test_micrograd_style_more_ops(torch):
    def f(a, b):
        c = a + b
        d = a * b + b**3
        c = c + c + 1
        c = c + 1 + c + (-a)
        d = d + d * 2 + (b + a).relu()
        d = d + 3 * d + (b - a).relu()
        e = c - d
        f = e**2
        g = f / 2.0
        g = g + 10.0 / f
        return g

    a, b = Value(-4.0), Value(2.0)
    g = f(a, b)
    g.backward()
    at, bt = torch.tensor(-4.0, requires_grad=True), torch.tensor(2.0, requires_grad=True)
    gt = f(at, bt)
    gt.backward()
    assert g.data == pytest.approx(gt.item(), rel=1e-12)
    assert a.grad == pytest.approx(at.grad.item(), rel=1e-12)
    assert b.grad == pytest.approx(bt.grad.item(), rel=1e-12)


def test_diamond_accumulates_both_paths():
    # x feeds y = x*3 and z = x*x; out = y + z, so d out/dx = 3 + 2x
    x = Value(1.5)
    out = x * 3 + x * x
    out.backward()
    assert x.grad == pytest.approx(3 + 2 * 1.5)


def test_same_node_twice_in_one_op():
    x = Value(-2.0)
    (x * x).backward()
    assert x.grad == 2 * -2.0
    y = Value(0.7)
    (y + y).backward()
    assert y.grad == 2.0


def test_second_backward_accumulates_like_micrograd():
    x = Value(2.0)
    y = x * x
    y.backward()
    y.backward()
    assert x.grad == 2 * (2 * 2.0)  # dy/dx = 4, accumulated twice
    assert y.grad == 1.0  # the root is set, not accumulated


def test_inplace_operators_rebind():
    a = Value(2.0)
    b = a
    b += 3
    b *= 2
    b -= 1
    b /= 3
    assert a.data == 2.0 and b is not a
    b.backward()
    assert a.grad == pytest.approx(2 / 3)


def test_numpy_scalars_mix_in():
    np = pytest.importorskip("numpy")
    x = Value(np.float32(1.5))
    assert type(x.data) is float
    out = np.float64(2.0) * x + np.int64(1)
    assert isinstance(out, Value) and out.data == 4.0
