"""gradcheck: compare backward()'s gradients with numeric central differences.

For every input entry x_i the slope of f is estimated as

    (f(x_i + eps) - f(x_i - eps)) / (2 * eps)

whose error shrinks like eps**2 (a one-sided difference only shrinks like eps). If backward()
is right, both numbers agree to within ``atol + rtol * |numeric|``.
"""

from __future__ import annotations

from typing import Any, Callable, List, Sequence

import numpy as np

from .value import Value


class GradcheckError(AssertionError):
    """backward() disagrees with finite differences; the message lists every mismatch."""


def _is_tensor(x: Any) -> bool:
    return type(x).__name__ == "Tensor" and hasattr(x, "requires_grad")


def _output_number(out: Any) -> float:
    if isinstance(out, Value):
        return out.data
    if _is_tensor(out) and out.data.size == 1:
        return float(out.data.reshape(-1)[0])
    shape = getattr(getattr(out, "data", None), "shape", None)
    raise TypeError(
        f"gradcheck: fn must return a Value or a one-element Tensor, got "
        f"{type(out).__name__}" + (f" of shape {shape}" if shape is not None else "")
    )


def gradcheck(
    fn: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3
) -> bool:
    """Check the gradients of ``fn(*inputs)`` with respect to every input, entry by entry.

    ``inputs`` are Values or Tensors (Tensors need ``requires_grad=True``; use float64, since
    float32 cannot resolve a step of 1e-6). Returns True, or raises ``GradcheckError`` whose
    message names each mismatching input and entry with the analytic and numeric values.

    >>> from tinygrad_edu import Value
    >>> gradcheck(lambda a, b: (a * b).tanh(), [Value(0.3), Value(-1.2)])
    True
    """
    inputs = list(inputs)
    if not inputs:
        raise ValueError("gradcheck needs at least one input")
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            continue
        if not _is_tensor(x):
            raise TypeError(f"gradcheck: input {i} must be a Value or a Tensor, got {type(x).__name__}")
        if not x.requires_grad:
            raise ValueError(f"gradcheck: Tensor input {i} has requires_grad=False, so it gets no gradient")

    # analytic gradients from one backward pass
    for x in inputs:
        x.grad = 0.0 if isinstance(x, Value) else None
    out = fn(*inputs)
    _output_number(out)  # type check before backward
    out.backward()
    analytic = [
        np.array(x.grad, dtype=np.float64) if x.grad is not None else np.zeros(np.shape(x.data))
        for x in inputs
    ]

    def f() -> float:
        return _output_number(fn(*inputs))

    mismatches: List[str] = []
    for i, x in enumerate(inputs):
        name = f"input {i}" + (f" ({x.label!r})" if getattr(x, "label", "") else "")
        if isinstance(x, Value):
            original = x.data
            x.data = original + eps
            f_plus = f()
            x.data = original - eps
            f_minus = f()
            x.data = original
            entries = [((), analytic[i].item(), (f_plus - f_minus) / (2 * eps))]
        else:
            entries = []
            for index in np.ndindex(x.data.shape):
                original = x.data[index]
                x.data[index] = original + eps
                f_plus = f()
                x.data[index] = original - eps
                f_minus = f()
                x.data[index] = original
                entries.append((index, float(analytic[i][index]), (f_plus - f_minus) / (2 * eps)))
        for index, a, n in entries:
            both_nan = a != a and n != n
            if not both_nan and not abs(a - n) <= atol + rtol * abs(n):
                where = f"{name}[{', '.join(map(str, index))}]" if index else name
                mismatches.append(f"  {where}: backward {a!r}, numeric {n!r}")
    if mismatches:
        raise GradcheckError(
            f"gradcheck: {len(mismatches)} gradient(s) disagree with central "
            f"differences (eps={eps}, atol={atol}, rtol={rtol}):\n" + "\n".join(mismatches)
        )
    return True
