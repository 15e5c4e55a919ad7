"""Module: what every layer and network shares: its parameters and sub-modules, training or
evaluation mode, forward hooks, zero_grad, state_dict and load_state_dict, save and load.

Here a module finds its parameters and buffers and names them; the checks made when state is
put back in (names, shapes, dtypes, all or nothing) are in state.py, and the ``.npz`` file
format in npz.py. ``ModuleList`` is in module_list.py."""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple, TypeVar, Union

import numpy as np

from ..tensor import Tensor
from ..value import Value
from .npz import write_npz
from .state import IncompatibleKeys, Target, load_targets, npz_path, read_npz

M = TypeVar("M", bound="Module")


class Parameter(Tensor):
    """A Tensor that is a module's weight: ``requires_grad=True`` unless you say otherwise.

    As PyTorch's ``nn.Parameter``: set one as an attribute of a module and ``parameters()``
    finds it. (Any Tensor with ``requires_grad=True`` in an attribute is found the same way.)

    >>> from tinygrad_edu import nn
    >>> w = nn.Parameter(np.zeros(3)); w.requires_grad, w.shape
    (True, (3,))
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, label: str = "") -> None:
        if isinstance(data, Tensor):  # nn.Parameter(some_tensor): a new leaf with its numbers
            data = data.data
        super().__init__(data, requires_grad=requires_grad, label=label)


class RemovableHandle:
    """What ``register_forward_hook`` returns: ``handle.remove()`` stops the hook."""

    def __init__(self, hooks: Dict["RemovableHandle", Callable[..., Any]]) -> None:
        self._hooks = hooks

    def remove(self) -> None:
        """Stop the hook; removing twice does nothing."""
        self._hooks.pop(self, None)


def _is_parameter(value: object) -> bool:
    """What registration finds: a Value (scalar modules), or a Tensor that requires grad."""
    return isinstance(value, Value) or (isinstance(value, Tensor) and value.requires_grad)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _forward_unimplemented(self: "Module", *args: Any) -> Any:
    raise NotImplementedError(
        f"{type(self).__name__} has no forward(): define `def forward(self, x)` in the class"
    )


class Module:
    """Base class of every layer and network, as PyTorch's ``nn.Module``.

    Write a model the PyTorch way: layers as attributes in ``__init__``, the computation in
    ``forward``. Calling the module runs ``forward`` and then its forward hooks. Registration
    needs nothing more: every attribute that is a Module, a list of Modules (``nn.ModuleList``),
    an ``nn.Parameter``, a Tensor with ``requires_grad=True`` or a Value is found, in attribute
    order, each once, and named as PyTorch names it: ``0.weight``, ``fc1.bias``,
    ``layers.0.neurons.1.w.0``. Buffers (``register_buffer``) are state that is not trained,
    such as BatchNorm's running statistics: in ``state_dict()``, never in ``parameters()``.

    ``training`` is True for a new module; ``eval()`` and ``train()`` switch it for the module
    and everything inside it (only layers such as ``Dropout`` behave differently).

    >>> from tinygrad_edu import Tensor, nn
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc1, self.fc2 = nn.Linear(2, 4), nn.Linear(4, 1)
    ...     def forward(self, x):
    ...         return self.fc2(self.fc1(x).relu())
    >>> net = Net()
    >>> [name for name, _ in net.named_parameters()]
    ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    >>> net(Tensor(np.zeros((3, 2)))).shape
    (3, 1)
    """

    training: bool = True  # the class default: every module starts in training mode
    # the computation; each subclass defines it with its own arguments (as in PyTorch)
    forward: Callable[..., Any] = _forward_unimplemented

    def __init__(self) -> None:
        """Nothing to set up: registration reads the attributes when it is asked (so a
        subclass that forgets ``super().__init__()`` still works)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """``forward(*args)``, then each forward hook; a hook's non-None result replaces the output."""
        output = self.forward(*args, **kwargs)
        for hook in list(vars(self).get("_forward_hooks", {}).values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Call ``hook(module, inputs, output)`` after every call of this module (``inputs`` is
        the tuple of positional arguments); returns a handle whose ``.remove()`` stops it.

        >>> from tinygrad_edu import Tensor, nn
        >>> layer, seen = nn.Linear(2, 3), []
        >>> handle = layer.register_forward_hook(lambda m, inputs, out: seen.append(out.shape))
        >>> _ = layer(Tensor(np.zeros((5, 2)))); handle.remove(); _ = layer(Tensor(np.zeros((1, 2))))
        >>> seen
        [(5, 3)]
        """
        if not callable(hook):
            raise TypeError(f"register_forward_hook takes a function, got {type(hook).__name__}")
        hooks: Dict[RemovableHandle, Callable[..., Any]] = vars(self).setdefault("_forward_hooks", {})
        handle = RemovableHandle(hooks)
        hooks[handle] = hook
        return handle

    def register_buffer(self, name: str, array: Optional[np.ndarray]) -> None:
        """Keep ``array`` as ``self.<name>``: state saved in ``state_dict()`` but not trained.

        >>> from tinygrad_edu import nn
        >>> m = nn.Module(); m.register_buffer("running_mean", np.zeros(2))
        >>> list(m.state_dict()), m.parameters()
        (['running_mean'], [])
        """
        if type(name) is not str or not name or "." in name:
            raise ValueError(f"a buffer's name is a non-empty str without '.', got {name!r}")
        if array is not None and not isinstance(array, np.ndarray):
            raise TypeError(f"register_buffer takes a numpy array (or None), got {type(array).__name__}")
        names: List[str] = vars(self).setdefault("_buffer_names", [])
        if name not in names:
            names.append(name)
        setattr(self, name, array)

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

    def children(self) -> List["Module"]:
        """The modules directly inside this one (``named_children()`` without the names)."""
        return [m for _, m in self.named_children()]

    def named_modules(
        self, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[Tuple[str, "Module"]]:
        """This module (named ``prefix``) and every module inside it, parents before children,
        without recursion (a stack, as in graph.py). A module held under two names is listed
        once, unless ``remove_duplicate=False`` (what ``state_dict`` uses, as PyTorch does); a
        module that holds one of its own parents is never entered again."""
        stack: List[Tuple[str, Module, Tuple[int, ...]]] = [(prefix, self, ())]
        seen = set()
        while stack:
            name, module, parents = stack.pop()
            if (remove_duplicate and id(module) in seen) or id(module) in parents:
                continue
            seen.add(id(module))
            yield name, module
            inside = parents + (id(module),)
            stack += [(_join(name, child), m, inside) for child, m in reversed(module.named_children())]

    def modules(self) -> List["Module"]:
        """This module and every module inside it, parents first."""
        return [m for _, m in self.named_modules()]

    def _named_state(self, remove_duplicate: bool = True) -> List[Tuple[str, Any, bool]]:
        """(name, parameter or buffer, is_buffer) in PyTorch's order: module by module, parents
        first, each module's own parameters (in attribute order) and then its buffers; each
        parameter once (``remove_duplicate=False``: under every name). A module that lists its
        own parameters (the first release's way, by overriding ``named_parameters``) is asked."""
        found: List[Tuple[str, Any, bool]] = []
        seen, spoken_for = set(), set()
        for prefix, module in self.named_modules(remove_duplicate=remove_duplicate):
            if id(module) in spoken_for:
                continue
            if module is not self and type(module).named_parameters is not Module.named_parameters:
                own = [(n, p, False) for n, p in module.named_parameters()]  # it speaks for its insides
                spoken_for |= {id(m) for _, m in module.named_modules()}
            else:
                own = []
                for attr, value in vars(module).items():
                    if _is_parameter(value):
                        own.append((attr, value, False))
                    elif isinstance(value, (list, tuple)):  # e.g. a Neuron's weights w.0, w.1, ...
                        own += [(f"{attr}.{i}", v, False) for i, v in enumerate(value) if _is_parameter(v)]
            for name in vars(module).get("_buffer_names", []):
                if getattr(module, name) is not None:
                    own.append((name, getattr(module, name), True))
            for name, p, is_buffer in own:
                if is_buffer or not remove_duplicate or id(p) not in seen:
                    seen.add(id(p))
                    found.append((_join(prefix, name), p, is_buffer))
        return found

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

    def named_parameters(self) -> List[Tuple[str, Any]]:
        """(name, parameter) pairs, found by registration (see the class docstring).

        >>> from tinygrad_edu import nn
        >>> net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
        >>> [name for name, _ in net.named_parameters()]
        ['0.weight', '0.bias', '2.weight', '2.bias']
        """
        return [(name, p) for name, p, is_buffer in self._named_state() if not is_buffer]

    def named_buffers(self) -> List[Tuple[str, np.ndarray]]:
        """(name, array) for every buffer of this module and the modules inside it."""
        return [(name, b) for name, b, is_buffer in self._named_state() if is_buffer]

    def buffers(self) -> List[np.ndarray]:
        """Every buffer's array (``named_buffers()`` without the names)."""
        return [b for _, b in self.named_buffers()]

    def parameters(self) -> List[Any]:
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
        """Every parameter and buffer as a numpy array COPY, by name, in PyTorch's order (module
        by module: its parameters, then its buffers).

        For ``Sequential``, ``Linear``, ``Conv2d`` and ``RNNCell`` the names and shapes are
        PyTorch's, so a PyTorch model of the same layers loads it (see the README's "Moving on
        to PyTorch"). A scalar module's Values become 0-d arrays under their own names.

        >>> from tinygrad_edu import nn
        >>> {k: v.shape for k, v in nn.Linear(3, 2).state_dict().items()}
        {'weight': (2, 3), 'bias': (2,)}
        >>> nn.Neuron(2).state_dict()["b"]
        array(0.)
        """
        return OrderedDict(
            (name, np.array(p if is_buffer else p.data))
            for name, p, is_buffer in self._named_state(remove_duplicate=False)
        )

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
        return load_targets(self._targets(), dict(state), "the state dict", strict, type(self).__name__)

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Write ``state_dict()`` to a numpy ``.npz`` file (the suffix is added if missing).

        Every name is kept as it is (even ``file`` or ``allow_pickle``, which
        ``numpy.savez`` would take for its own arguments), and ``numpy.load`` reads the file.
        """
        write_npz(npz_path(path), self.state_dict())

    def load(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Read parameters and buffers saved by ``save()``; never unpickles anything.

        The file must hold exactly this module's names with the same shapes; otherwise a
        ``ValueError`` names the file and says which names are missing, unexpected or
        mis-shaped, and nothing in the module is changed (the checks of ``load_state_dict``).
        Names and shapes are checked from the archive's index and the arrays' headers before
        any array is read, so a file with a huge extra array is refused at once; a file that
        is not an ``.npz`` archive, or a damaged one, is a ``ValueError`` naming the file too.
        """
        path = npz_path(path)
        stored = read_npz(path, self._targets(), type(self).__name__)
        load_targets(self._targets(), stored, "the file", True, type(self).__name__, what=repr(path))

    def _targets(self) -> List[Target]:
        """(name, parameter or buffer, what a stored array is written into: a Tensor's array, a
        buffer itself, or a Value's float) for everything ``state_dict()`` holds."""
        return [
            (name, p, p.data if isinstance(p, (Value, Tensor)) else p)
            for name, p, _ in self._named_state(remove_duplicate=False)
        ]

    # ***** how a module prints: its tree of children, as PyTorch prints it *****

    def extra_repr(self) -> str:
        """This module's own settings, shown inside its parentheses (``Linear`` shows
        ``in_features=2, out_features=8, bias=True``); a layer overrides it, as in PyTorch."""
        return ""

    def __repr__(self) -> str:
        """``Name(settings)``, or, for a module with children, one indented ``(name): child``
        line per child. Equal modules in a row of a list print once, as ``(0-2): 3 x ...``
        (PyTorch does this for ``ModuleList``).

        >>> from tinygrad_edu import nn
        >>> print(nn.Sequential(nn.Linear(2, 8), nn.ReLU()))
        Sequential(
          (0): Linear(in_features=2, out_features=8, bias=True)
          (1): ReLU()
        )
        """
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        runs: List[List[Any]] = []  # [list name, first index, last index, child's text]
        for name, child in self.named_children():
            text = repr(child).replace("\n", "\n  ")  # a child's own lines, indented once more
            head, _, index = name.rpartition(".")
            in_a_list = index.isdigit() and (bool(head) or type(self).__name__ == "ModuleList")
            last = runs[-1] if runs else None
            if in_a_list and last and last[0] == head and last[2] == int(index) - 1 and last[3] == text:
                last[2] = int(index)  # the same module again: one more in the run
            else:
                runs.append([head, int(index), int(index), text] if in_a_list else [name, None, None, text])
        for head, first, last, text in runs:
            if first is None or first == last:
                label = head if first is None else _join(head, str(first))
                lines.append(f"({label}): {text}")
            else:
                lines.append(f"({_join(head, f'{first}-{last}')}): {last - first + 1} x {text}")
        if not runs and len(lines) <= 1:
            return f"{type(self).__name__}({extra})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


def prefixed(prefix: str, module: Module) -> List[Tuple[str, Any]]:
    """A child module's named parameters with ``prefix.`` in front of each name."""
    return [(f"{prefix}.{name}", p) for name, p in module.named_parameters()]
