"""ModuleList: a list of modules that registration finds, as PyTorch's ``nn.ModuleList``."""

from __future__ import annotations

from typing import Iterable, Iterator, List, Optional, Tuple

from .module import Module


class ModuleList(Module):
    """A list of modules whose parameters are registered, named by position (``0``, ``1``, ...).

    As PyTorch's ``nn.ModuleList``: it holds modules; it has no ``forward`` of its own (a
    model loops over it in its ``forward``).

    >>> from tinygrad_edu import nn
    >>> blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    >>> len(blocks), [name for name, _ in blocks.named_parameters()][:2]
    (3, ['0.weight', '0.bias'])
    """

    def __init__(self, modules: Optional[Iterable[Module]] = None) -> None:
        self._items: List[Module] = []
        for module in modules or []:
            self.append(module)

    def append(self, module: Module) -> "ModuleList":
        """Add one module at the end; returns the list."""
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList holds modules, got {type(module).__name__}")
        self._items.append(module)
        return self

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        """Add every module of ``modules`` at the end; returns the list."""
        for module in modules:
            self.append(module)
        return self

    def named_children(self) -> List[Tuple[str, Module]]:
        return [(str(i), m) for i, m in enumerate(self._items)]  # '0', '1', ... as in PyTorch

    def __getitem__(self, i: int) -> Module:
        return self._items[i]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._items)
