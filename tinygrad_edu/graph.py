"""Walking a computation graph: the one topological sort that backward() and draw_dot share.

Every node (a scalar ``Value`` or a ``Tensor``) keeps ``_prev``, the tuple of nodes it was
computed from. Backpropagation must visit a node only after every node that uses it, i.e.
in reverse *topological order*. The textbook way is a recursive depth-first search::

    def build(node):                      # the idea (micrograd's build_topo) ...
        if node not in visited:
            visited.add(node)
            for child in node._prev:
                build(child)
            order.append(node)            # ... a node goes in after all of its inputs

but recursion fails past ~1,000 levels (Python's recursion limit), and a chain of a million
operations is 1,000,000 levels deep. So we run the same search with an explicit stack.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Any, Iterator, List


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector inside a ``with`` block.

    Our graphs hold no reference cycles, so reference counting frees every node as soon as
    nothing refers to it; the cyclic collector has nothing to find in them. But it still wakes
    up every few hundred new objects and, in a big process (Jupyter, pytest, with torch
    loaded), rescans everything alive: building or walking a graph of 100,000 Values can
    take twice as long. Training loops on the scalar engine may wrap themselves in this too.

    >>> with gc_paused():
    ...     gc.isenabled()
    False
    """
    collector_was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collector_was_on:
            gc.enable()


def topological_order(root: Any) -> List[Any]:
    """Every node reachable from ``root``, each one listed after all of its inputs.

    Iterative depth-first search: the stack holds (node, iterator over its inputs), so a
    node is appended to ``order`` when its last input is done, exactly as the recursive
    version above would, but with no recursion at all.

    >>> from tinygrad_edu import Value
    >>> a = Value(2.0, label='a'); b = a * a; c = b + a
    >>> [n.label or n._op for n in topological_order(c)]
    ['a', '*', '+']
    """
    order: List[Any] = []
    visited = {root}
    stack = [(root, iter(root._prev))]
    # On a deep graph millions of (node, iterator) pairs are alive at once; they form no
    # cycles, so the cyclic collector, which would rescan the whole graph as they pile up,
    # is paused for the walk.
    with gc_paused():
        while stack:
            node, inputs = stack[-1]
            for child in inputs:
                if child not in visited:
                    visited.add(child)
                    if child._prev:
                        stack.append((child, iter(child._prev)))
                        break  # go deeper first; this node's iterator resumes later
                    order.append(child)  # a leaf has no inputs: it is done at once
            else:  # every input of `node` is already in `order`
                stack.pop()
                order.append(node)
    return order
