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

The walk can also hold *terms left for the end* (below): sums of many small products that a
backward rule leaves to be added up in one product once the walk is done.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple


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


# ***** terms left for the end of the walk *****
#
# Some gradients are sums of many small matrix products, one per use of a weight. An RNN cell
# used at T time steps adds g_t^T h_(t-1) to dL/dW_hh at every step: T products of
# (hidden, batch) @ (batch, hidden). Stacking the factors makes them ONE product,
#
#     sum_t A_t^T B_t  =  A^T B    with A = [A_1; ...; A_T] and B = [B_1; ...; B_T] stacked by rows,
#
# the same numbers (up to rounding) for a fraction of the cost: that is how hand-written BPTT
# does it. So a backward rule may leave such terms for the end of the walk. It asks
# ``terms_for_end(tensors, start)`` for the place where the running walk keeps the terms for
# those tensors: an object made by ``start(tensors)`` the first time, the same object every
# time after. The rule adds its terms to it; when the walk is done, every such object's
# ``finish()`` returns the (tensor, gradient) pairs its terms sum to, and they are added to
# the tensors' grads. Only terms for *leaves* may wait: a leaf has no rule of its own, so
# nothing reads its gradient before the walk is over.

TermsLeft = Dict[Tuple[Any, ...], Any]  # tensors -> the object holding their terms (has finish())


class _Walk(threading.local):
    """Where this thread's running walk collects terms (None: nowhere). Per thread, so walks
    in two threads never hand their terms to each other."""

    terms_left: Optional[TermsLeft] = None


_walk = _Walk()


def terms_for_end(tensors: Tuple[Any, ...], start: Callable[[Tuple[Any, ...]], Any]) -> Any:
    """Where the running walk keeps the terms for ``tensors`` until its end (made by
    ``start(tensors)`` on first use), or None when no walk is collecting terms or one of the
    tensors is not a leaf: the rule then adds its gradients itself, now.

    >>> terms_for_end((), list) is None   # no walk is running here
    True
    """
    terms_left = _walk.terms_left
    if terms_left is None:
        return None
    terms = terms_left.get(tensors)
    if terms is None:
        for t in tensors:
            if t._prev:
                return None
        terms = terms_left[tensors] = start(tensors)
    return terms


@contextmanager
def collecting_terms(terms: Optional[TermsLeft] = None) -> Iterator[TermsLeft]:
    """Collect the terms that rules leave for the end in ``terms`` (a new dict if None) inside
    a ``with`` block; ``add_finished_terms`` then adds up what they come to.

    >>> import numpy as np
    >>> from tinygrad_edu import Tensor
    >>> w = Tensor([0.0], requires_grad=True)
    >>> class Total(list):   # made as Total((w,)); holds numbers whose sum is dL/dw
    ...     def __init__(self, tensors): super().__init__()
    ...     def finish(self): return [(w, np.array([float(sum(self))]))]
    >>> with collecting_terms() as terms:
    ...     terms_for_end((w,), Total).append(2)
    ...     terms_for_end((w,), Total).append(3)
    >>> add_finished_terms(terms); w.grad.tolist()
    [5.0]
    """
    outer = _walk.terms_left
    _walk.terms_left = collecting = {} if terms is None else terms
    try:
        yield collecting
    finally:
        _walk.terms_left = outer


def add_finished_terms(terms: TermsLeft) -> None:
    """Add every (tensor, gradient) pair the collected terms sum to into the tensor's grad, in
    the order the terms were started: backward() at the end of its walk, and backward_steps
    after every step, so both end with the same numbers."""
    for kept in terms.values():
        for tensor, grad in kept.finish():
            tensor._add_grad(grad)
