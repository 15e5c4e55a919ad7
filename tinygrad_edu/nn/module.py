"""Module: what every layer and network shares: its parameters and sub-modules, training or
evaluation mode, zero_grad, save and load."""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, Iterator, List, Tuple, TypeVar, Union

import numpy as np

from ..value import Value

Parameter = Any  # a Value, or a Tensor with requires_grad=True
M = TypeVar("M", bound="Module")


def _npz_path(path: Union[str, "os.PathLike[str]"]) -> str:
    path = os.fspath(path)
    return path if path.endswith(".npz") else path + ".npz"


class Module:
    """Base class: subclasses say which parameters they own in ``named_parameters()``.

    Names are dotted paths in a stable order, as in PyTorch: ``layers.0.neurons.1.w.0``,
    ``0.weight``. ``parameters()``, ``zero_grad()``, ``save()`` and ``load()`` all build on them.

    ``training`` is True for a new module; ``eval()`` and ``train()`` switch it for the module
    and everything inside it (only layers such as ``Dropout`` behave differently).
    """

    training: bool = True  # the class default: every module starts in training mode
    __call__: Callable[..., Any]  # every module is called on its input; each subclass says how

    def named_children(self) -> List[Tuple[str, "Module"]]:
        """The modules directly inside this one, with their names: each attribute that is a
        Module, and each Module in an attribute that is a list (named ``attr.0``, ``attr.1``).

        >>> from tinygrad_edu import nn
        >>> [name for name, _ in nn.MLP(2, [3, 1]).named_children()]
        ['layers.0', 'layers.1']
        """
        children: List[Tuple[str, Module]] = []
        for attr, value in vars(self).items():
            if isinstance(value, Module):
                children.append((attr, value))
            elif isinstance(value, (list, tuple)):
                children += [(f"{attr}.{i}", m) for i, m in enumerate(value) if isinstance(m, Module)]
        return children

    def named_modules(self, prefix: str = "") -> Iterator[Tuple[str, "Module"]]:
        """This module (named ``prefix``) and every module inside it, parents before children,
        without recursion (a stack, as in graph.py)."""
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            yield name, module
            children = module.named_children()
            stack += [(f"{name}.{child}" if name else child, m) for child, m in reversed(children)]

    def train(self: M, mode: bool = True) -> M:
        """Put this module and all modules inside it in training mode (``mode=False``: evaluation
        mode); returns the module, so ``model = Net().train()`` works.

        >>> from tinygrad_edu import nn
        >>> net = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
        >>> net.eval().training, net[0].training, net.train().training
        (False, False, True)
        """
        if type(mode) is not bool:
            raise TypeError(f"train(mode) takes True or False, got {type(mode).__name__}")
        for _, module in self.named_modules():
            module.training = mode
        return self

    def eval(self: M) -> M:
        """Evaluation mode for this module and all inside it (``train(False)``); returns it."""
        return self.train(False)

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
        # name -> array; typed Any for numpy's stubs, which let **arrays fill savez's allow_pickle flag
        arrays: Dict[str, Any] = {name: np.asarray(p.data) for name, p in self.named_parameters()}
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
