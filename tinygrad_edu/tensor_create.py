"""Making tensors, as PyTorch does: ``Tensor.zeros(2, 3)``, ``Tensor.arange(5)``, ``Tensor.eye(3)``.

Each constructor is a plain function whose first argument ``cls`` is the class to build;
``Tensor`` (tensor.py) binds it as a class method, so ``Tensor.zeros(2, 3)`` calls
``zeros(Tensor, 2, 3)``. None of them has a backward rule: a made tensor is a leaf.

They take PyTorch's keywords: ``dtype`` (float32 or float64; float64 is the default here,
where PyTorch's is float32), ``device`` (only ``'cpu'``: the arrays are numpy's) and
``requires_grad``. A shape is given either way PyTorch takes one, ``(2, 3)`` or ``((2, 3),)``.

>>> from tinygrad_edu import Tensor
>>> Tensor.arange(4).tolist(), Tensor.full((2,), 7.0).tolist()
([0.0, 1.0, 2.0, 3.0], [7.0, 7.0])
>>> Tensor.zeros(2, 3, dtype='float32').dtype, Tensor.eye(2).tolist()
(dtype('float32'), [[1.0, 0.0], [0.0, 1.0]])
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, Tuple, Type, Union

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor

Shape = Union[int, Sequence[int]]
DType = Any  # np.float32, np.float64, 'float32', 'float64' or a numpy dtype of those two
RandomSource = Union[None, int, np.random.Generator]  # an int seed, a Generator, or None


# ***** the keywords every constructor takes: dtype, device *****


def float_dtype(dtype: DType, who: str) -> np.dtype:
    """The numpy dtype for ``dtype=``: float64 for None, else float32 or float64.

    >>> float_dtype(None, 'demo'), float_dtype('float32', 'demo'), float_dtype(np.float64, 'demo')
    (dtype('float64'), dtype('float32'), dtype('float64'))
    """
    if dtype is None:
        return np.dtype(np.float64)
    try:
        chosen: np.dtype = np.dtype(dtype)
    except TypeError:  # not a dtype at all: 'cuda', an object
        chosen = np.dtype(object)
    if chosen.name not in ("float32", "float64"):
        raise TypeError(f"{who}: dtype must be float32 or float64, got {dtype!r}")
    return chosen


def check_device(device: object, who: str) -> None:
    """Accept ``device='cpu'`` (or None); any other device is a clear error."""
    if device is not None and str(device) != "cpu":
        raise ValueError(
            f"{who}: device {device!r} is not available: tinygrad_edu computes with numpy, "
            "on the CPU only (use device='cpu' or leave it out)"
        )


def shape_arg(args: Tuple[Shape, ...], who: str) -> Tuple[int, ...]:
    """The shape given to a constructor, ``(2, 3)`` or ``((2, 3),)``, checked: ints >= 0.

    >>> shape_arg((2, 3), 'demo'), shape_arg(([2, 3],), 'demo'), shape_arg((), 'demo')
    ((2, 3), (2, 3), ())
    """
    sizes = tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else tuple(args)
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"{who}: a shape holds ints, got {type(n).__name__} {n!r}")
        if n < 0:
            raise ValueError(f"{who}: sizes cannot be negative, got shape {sizes}")
    return tuple(int(n) for n in sizes)  # type: ignore[arg-type]  # (ints, checked above)


def _make(
    cls: Type[Tensor], data: np.ndarray, dtype: DType, device: object, requires_grad: bool, who: str
) -> Tensor:
    check_device(device, who)
    return cls(data.astype(float_dtype(dtype, who), copy=False), requires_grad=requires_grad)


def _check_numbers(who: str, **arguments: object) -> None:
    """A TypeError naming the first argument that is not a real number (True is not one here)."""
    for name, x in arguments.items():
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"{who}: {name} must be a number, got {type(x).__name__}")


# ***** filled with one number *****


def zeros(
    cls: Type[Tensor], *shape: Shape, dtype: DType = None, device: object = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of zeros of the given shape: ``Tensor.zeros(2, 3)`` or ``Tensor.zeros((2, 3))``.

    >>> from tinygrad_edu import Tensor
    >>> Tensor.zeros(2, 3).shape, Tensor.zeros((2,)).tolist()
    ((2, 3), [0.0, 0.0])
    """
    return _make(
        cls, np.zeros(shape_arg(shape, "Tensor.zeros")), dtype, device, requires_grad, "Tensor.zeros"
    )


def ones(
    cls: Type[Tensor], *shape: Shape, dtype: DType = None, device: object = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of ones of the given shape.

    >>> from tinygrad_edu import Tensor
    >>> Tensor.ones(2).tolist()
    [1.0, 1.0]
    """
    return _make(cls, np.ones(shape_arg(shape, "Tensor.ones")), dtype, device, requires_grad, "Tensor.ones")


def full(
    cls: Type[Tensor],
    size: Shape,
    fill_value: float,
    *,
    dtype: DType = None,
    device: object = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of shape ``size`` with every entry ``fill_value``.

    >>> from tinygrad_edu import Tensor
    >>> Tensor.full((2, 2), -1.5).tolist()
    [[-1.5, -1.5], [-1.5, -1.5]]
    """
    _check_numbers("Tensor.full", fill_value=fill_value)
    data = np.full(shape_arg((size,), "Tensor.full"), float(fill_value))
    return _make(cls, data, dtype, device, requires_grad, "Tensor.full")


def zeros_like(
    cls: Type[Tensor],
    other: "Tensor",
    *,
    dtype: DType = None,
    device: object = None,
    requires_grad: bool = False,
) -> Tensor:
    """Zeros of ``other``'s shape and dtype (another dtype if given).

    >>> from tinygrad_edu import Tensor
    >>> Tensor.zeros_like(Tensor([[1.0, 2.0]])).tolist()
    [[0.0, 0.0]]
    """
    return _filled_like(cls, np.zeros_like, other, dtype, device, requires_grad, "Tensor.zeros_like")


def ones_like(
    cls: Type[Tensor],
    other: "Tensor",
    *,
    dtype: DType = None,
    device: object = None,
    requires_grad: bool = False,
) -> Tensor:
    """Ones of ``other``'s shape and dtype (another dtype if given).

    >>> from tinygrad_edu import Tensor
    >>> Tensor.ones_like(Tensor([1.0, 2.0])).tolist()
    [1.0, 1.0]
    """
    return _filled_like(cls, np.ones_like, other, dtype, device, requires_grad, "Tensor.ones_like")


def _filled_like(
    cls: Type[Tensor],
    fill: Callable[[np.ndarray], np.ndarray],
    other: object,
    dtype: DType,
    device: object,
    requires_grad: bool,
    who: str,
) -> Tensor:
    """``fill`` (``np.zeros_like``, ``np.ones_like``) of the array of ``other``, a Tensor (whose
    ``data`` is one) or a numpy array, in its dtype unless ``dtype`` says another."""
    data = getattr(other, "data", None)  # (an ndarray's own .data is a memoryview)
    data = data if isinstance(data, np.ndarray) else other
    if not isinstance(data, np.ndarray):
        raise TypeError(f"{who} takes a Tensor, got {type(other).__name__}")
    return _make(cls, fill(data), data.dtype if dtype is None else dtype, device, requires_grad, who)


# ***** ranges and the identity matrix *****


def arange(
    cls: Type[Tensor],
    start: float,
    end: Optional[float] = None,
    step: float = 1,
    *,
    dtype: DType = None,
    device: object = None,
    requires_grad: bool = False,
) -> Tensor:
    """start, start + step, ... up to but not including ``end``; ``arange(n)`` is 0 .. n-1.

    >>> from tinygrad_edu import Tensor
    >>> Tensor.arange(3).tolist(), Tensor.arange(1, 2, 0.25).tolist()
    ([0.0, 1.0, 2.0], [1.0, 1.25, 1.5, 1.75])
    """
    if end is None:
        start, end = 0, start
    _check_numbers("Tensor.arange", start=start, end=end, step=step)
    if step == 0:
        raise ValueError("Tensor.arange: step must not be 0")
    data = np.arange(float(start), float(end), float(step))
    return _make(cls, data, dtype, device, requires_grad, "Tensor.arange")


def linspace(
    cls: Type[Tensor],
    start: float,
    end: float,
    steps: int,
    *,
    dtype: DType = None,
    device: object = None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` evenly spaced numbers from ``start`` to ``end``, both included.

    >>> from tinygrad_edu import Tensor
    >>> Tensor.linspace(0, 1, 5).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise TypeError(f"Tensor.linspace: steps must be an int >= 0, got {steps!r}")
    _check_numbers("Tensor.linspace", start=start, end=end)
    data = np.linspace(float(start), float(end), int(steps))
    return _make(cls, data, dtype, device, requires_grad, "Tensor.linspace")


def eye(
    cls: Type[Tensor],
    n: int,
    m: Optional[int] = None,
    *,
    dtype: DType = None,
    device: object = None,
    requires_grad: bool = False,
) -> Tensor:
    """The (n, m) identity matrix (m = n if left out): ones on the diagonal, zeros elsewhere.

    >>> from tinygrad_edu import Tensor
    >>> Tensor.eye(2, 3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    rows, cols = shape_arg((n, n if m is None else m), "Tensor.eye")
    return _make(cls, np.eye(rows, cols), dtype, device, requires_grad, "Tensor.eye")


# ***** random tensors *****


def random_source(rng: RandomSource, who: str) -> Any:
    """Where random numbers come from, for ``Tensor.randn`` and the layers' ``rng=``: a Generator
    as it is, a new Generator seeded with an int, or numpy's global generator (``np.random``,
    which ``np.random.seed`` makes repeatable) for None. All three have ``.uniform``,
    ``.random``, ``.normal`` and ``.standard_normal``.

    >>> random_source(0, "demo").uniform() == random_source(0, "demo").uniform()
    True
    """
    if rng is None:
        return np.random
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"{who}: an rng seed must be >= 0, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{who}: rng must be an int seed, a numpy.random.Generator or None, got {type(rng).__name__}"
    )


def randn(
    cls: Type[Tensor],
    *shape: Shape,
    dtype: DType = None,
    device: object = None,
    requires_grad: bool = False,
    rng: RandomSource = None,
) -> Tensor:
    """Samples from the standard normal distribution N(0, 1).

    ``rng`` is an int seed or a ``numpy.random.Generator``; without it numpy's global
    random state is used (``np.random.seed(0)`` makes that repeatable).

    >>> from tinygrad_edu import Tensor
    >>> Tensor.randn(2, 3, rng=0).shape
    (2, 3)
    >>> np.array_equal(Tensor.randn(3, rng=7).data, Tensor.randn(3, rng=7).data)
    True
    """
    data = random_source(rng, "Tensor.randn").standard_normal(shape_arg(shape, "Tensor.randn"))
    return _make(cls, data, dtype, device, requires_grad, "Tensor.randn")


def rand(
    cls: Type[Tensor],
    *shape: Shape,
    dtype: DType = None,
    device: object = None,
    requires_grad: bool = False,
    rng: RandomSource = None,
) -> Tensor:
    """Samples from the uniform distribution on [0, 1).

    >>> from tinygrad_edu import Tensor
    >>> x = Tensor.rand(1000, rng=0); bool((x >= 0).all() and (x < 1).all())
    True
    """
    data = random_source(rng, "Tensor.rand").random(shape_arg(shape, "Tensor.rand"))
    return _make(cls, data, dtype, device, requires_grad, "Tensor.rand")


def normal(
    cls: Type[Tensor],
    mean: float,
    std: float,
    size: Shape,
    *,
    dtype: DType = None,
    device: object = None,
    requires_grad: bool = False,
    rng: RandomSource = None,
) -> Tensor:
    """Samples from the normal distribution N(mean, std**2), of shape ``size``
    (PyTorch's ``torch.normal(mean, std, size)`` with numbers for mean and std).

    >>> from tinygrad_edu import Tensor
    >>> x = Tensor.normal(5.0, 0.1, (10000,), rng=0); round(x.mean().item(), 1), round(x.std().item(), 2)
    (5.0, 0.1)
    """
    _check_numbers("Tensor.normal", mean=mean, std=std)
    if std < 0:
        raise ValueError(f"Tensor.normal: std must be >= 0, got {std}")
    source = random_source(rng, "Tensor.normal")
    data = source.normal(float(mean), float(std), shape_arg((size,), "Tensor.normal"))
    return _make(cls, np.asarray(data), dtype, device, requires_grad, "Tensor.normal")
