"""Module: what every layer and network shares: its parameters and sub-modules, training or
evaluation mode, zero_grad, state_dict and load_state_dict, save and load."""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any, Callable, Dict, Iterator, List, Mapping, NamedTuple, Tuple, TypeVar, Union

import numpy as np

from ..value import Value

Parameter = Any  # a Value, or a Tensor with requires_grad=True
M = TypeVar("M", bound="Module")


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` returns, as PyTorch does: the names this module has that the
    state dict lacked, and the names in the state dict that this module does not have."""

    missing_keys: List[str]
    unexpected_keys: List[str]


def _npz_path(path: Union[str, "os.PathLike[str]"]) -> str:
    path = os.fspath(path)
    return path if path.endswith(".npz") else path + ".npz"


def _as_numpy(value: Any) -> Union[np.ndarray, None]:
    """A numpy array from an array, a number, a Tensor or a torch tensor (None if impossible)."""
    value = value.detach() if hasattr(value, "detach") else value  # no graph (torch, Tensor)
    value = value.numpy() if hasattr(value, "numpy") else value
    try:
        return np.asarray(value)
    except (TypeError, ValueError):  # e.g. a ragged list
        return None


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

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Every parameter as a numpy array COPY, by name, in ``named_parameters()`` order.

        For ``Sequential``, ``Linear``, ``Conv2d`` and ``RNNCell`` the names and shapes are
        PyTorch's, so a PyTorch model of the same layers loads it (see the README's "Moving on
        to PyTorch"). A scalar module's Values become 0-d arrays under their own names.

        >>> from tinygrad_edu import nn
        >>> {k: v.shape for k, v in nn.Linear(3, 2).state_dict().items()}
        {'weight': (2, 3), 'bias': (2,)}
        >>> nn.Neuron(2).state_dict()["b"]
        array(0.)
        """
        return OrderedDict((name, np.array(p.data)) for name, p in self.named_parameters())

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy the arrays in ``state`` into this module's parameters, in place (an optimiser
        built on the parameters keeps working). Values may be numpy arrays, numbers, or anything
        with ``.numpy()`` such as a tinygrad_edu Tensor or a (CPU) torch tensor.

        ``strict=True``: the names must be exactly this module's and the shapes must match;
        otherwise one ``ValueError`` lists every problem and no parameter is changed.
        ``strict=False``: the names that match are loaded (shapes must still match, as in
        PyTorch) and the others are returned. Either way the result is
        ``IncompatibleKeys(missing_keys, unexpected_keys)``, as PyTorch returns.

        >>> from tinygrad_edu import nn
        >>> layer = nn.Linear(2, 1)
        >>> layer.load_state_dict({"weight": [[1.0, 2.0]]}, strict=False)
        IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])
        >>> layer.weight.data.tolist()
        [[1.0, 2.0]]
        """
        if type(strict) is not bool:
            raise TypeError(f"strict must be True or False, got {type(strict).__name__}")
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict takes a dict of name -> array, got {type(state).__name__}")
        return self._assign(dict(state), "the state dict", strict)

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Write ``state_dict()`` to a numpy ``.npz`` file (the suffix is added if missing)."""
        # typed Any for numpy's stubs, which would let **arrays fill savez's allow_pickle flag
        arrays: Dict[str, Any] = self.state_dict()
        np.savez(_npz_path(path), **arrays)

    def load(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Read parameters saved by ``save()``; never unpickles anything.

        The file must hold exactly this module's parameter names with the same shapes;
        otherwise a ``ValueError`` says which names are missing, unexpected or mis-shaped,
        and no parameter is changed (the same checks as ``load_state_dict``).
        """
        with np.load(_npz_path(path), allow_pickle=False) as npz:
            stored: Dict[str, Any] = {name: npz[name] for name in npz.files}
        self._assign(stored, "the file", strict=True, what=repr(_npz_path(path)))

    def _assign(self, stored: Dict[str, Any], source: str, strict: bool, what: str = "") -> IncompatibleKeys:
        """The checks shared by ``load`` and ``load_state_dict``: find every problem first,
        raise them all in one ValueError, and only then write the arrays (all or nothing)."""
        named = self.named_parameters()
        expected = {name for name, _ in named}
        missing = [name for name, _ in named if name not in stored]
        unexpected = [name for name in stored if name not in expected]
        problems = []
        if strict and missing:
            problems.append(f"missing from {source}: {missing}")
        if strict and unexpected:
            problems.append(f"in {source} but not in this {type(self).__name__}: {unexpected}")
        arrays: Dict[str, np.ndarray] = {}
        for name, p in named:
            if name not in stored:
                continue
            array, want = _as_numpy(stored[name]), np.shape(p.data)
            if array is None or array.dtype.kind not in "fiu":
                kind = type(stored[name]).__name__ if array is None else f"dtype {array.dtype}"
                problems.append(f"{name!r} is not an array of numbers in {source} ({kind})")
            elif array.shape != want:
                problems.append(f"{name!r} has shape {array.shape} in {source}, this module expects {want}")
            else:
                arrays[name] = array
        if problems:
            raise ValueError(
                f"cannot load {what or source} into {type(self).__name__}: {'; '.join(problems)}"
            )
        for name, p in named:
            if name not in arrays:
                continue
            if isinstance(p, Value):
                p.data = float(arrays[name])
            else:
                p.data[...] = arrays[name]  # in place: the optimiser's references stay valid
        return IncompatibleKeys(missing, unexpected)


def prefixed(prefix: str, module: Module) -> List[Tuple[str, Parameter]]:
    """A child module's named parameters with ``prefix.`` in front of each name."""
    return [(f"{prefix}.{name}", p) for name, p in module.named_parameters()]
