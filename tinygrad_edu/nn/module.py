"""Module: what every layer and network shares: its parameters, zero_grad, save and load."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Tuple, Union

import numpy as np

from ..value import Value

Parameter = Any  # a Value, or a Tensor with requires_grad=True


def _npz_path(path: Union[str, "os.PathLike[str]"]) -> str:
    path = os.fspath(path)
    return path if path.endswith(".npz") else path + ".npz"


class Module:
    """Base class: subclasses say which parameters they own in ``named_parameters()``.

    Names are dotted paths in a stable order, as in PyTorch: ``layers.0.neurons.1.w.0``,
    ``0.weight``. ``parameters()``, ``zero_grad()``, ``save()`` and ``load()`` all build on them.
    """

    def named_parameters(self) -> List[Tuple[str, Parameter]]:
        """(name, parameter) pairs; a module without parameters returns []."""
        return []

    def parameters(self) -> List[Parameter]:
        """Every trainable parameter, in a stable order (what an optimiser updates).

        >>> from tinygrad_edu import nn
        >>> len(nn.MLP(2, [3, 1]).parameters())  # (2 weights + 1 bias) * 3 + (3 + 1) * 1
        13
        """
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Reset gradients before the next backward(): 0.0 for Values, None for Tensors
        (as PyTorch's ``zero_grad()`` does; backward() then fills them in anew)."""
        for p in self.parameters():
            p.grad = 0.0 if isinstance(p, Value) else None

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Write every parameter to a numpy ``.npz`` file (the suffix is added if missing)."""
        arrays = {name: np.asarray(p.data) for name, p in self.named_parameters()}
        np.savez(_npz_path(path), **arrays)

    def load(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Read parameters saved by ``save()``; never unpickles anything.

        The file must hold exactly this module's parameter names with the same shapes;
        otherwise a ``ValueError`` says which names are missing, unexpected or mis-shaped,
        and no parameter is changed.
        """
        named = self.named_parameters()
        with np.load(_npz_path(path), allow_pickle=False) as npz:
            stored: Dict[str, np.ndarray] = {name: npz[name] for name in npz.files}
        expected = [name for name, _ in named]
        missing = [n for n in expected if n not in stored]
        unexpected = sorted(set(stored) - set(expected))
        problems = []
        if missing:
            problems.append(f"missing from the file: {missing}")
        if unexpected:
            problems.append(f"in the file but not in this {type(self).__name__}: {unexpected}")
        for name, p in named:
            want = np.shape(p.data)
            if name in stored and stored[name].shape != want:
                problems.append(
                    f"{name!r} has shape {stored[name].shape} in the file, this module expects {want}"
                )
        if problems:
            raise ValueError(
                f"cannot load {_npz_path(path)!r} into {type(self).__name__}: " + "; ".join(problems)
            )
        for name, p in named:
            if isinstance(p, Value):
                p.data = float(stored[name])
            else:
                p.data[...] = stored[name]  # in place: the optimiser's references stay valid


def prefixed(prefix: str, module: Module) -> List[Tuple[str, Parameter]]:
    """A child module's named parameters with ``prefix.`` in front of each name."""
    return [(f"{prefix}.{name}", p) for name, p in module.named_parameters()]
