"""A module's state, checked and copied: what ``load_state_dict``, ``save`` and ``load`` do.

A module's state is every parameter and buffer by name, in PyTorch's order (``Module``
finds them; ``state_dict()`` copies them out as numpy arrays). Putting state back in checks,
before a single number is written:

* the names: the module's names missing from the state, and names the module lacks
  (``strict=True`` refuses either; ``strict=False`` loads the names that match and returns
  the others as ``IncompatibleKeys``, as PyTorch does);
* each value: it is an array of numbers (not text, not Python objects), it has its
  target's shape, and, for an integer buffer, it holds whole numbers that fit the dtype;
* for a file (``load``): the same checks, made on the archive's index and each array's
  header before any array is read (see npz.py), so a huge or hostile file costs nothing.

Why a refused load changes nothing: every problem is collected first and raised in one
``ValueError``; only when there is none are the arrays written. By then each value is an
array already cast to its target's dtype, so the writes are copies between arrays of one
shape and dtype, which cannot fail halfway. A model is never left half old, half new, and
the writes go into the arrays the parameters already hold, so an optimiser built on them
keeps working.

A *target* is a triple ``(name, owner, slot)``: the state's name, the parameter or buffer,
and what a stored value is written into (a Tensor's array, a buffer itself, or a Value's
float). ``Module._targets()`` lists them; nothing here needs to know what a Module is.

>>> slot = np.zeros(2)
>>> load_targets([("w", slot, slot)], {"w": [1, 2]}, "the state dict", True, "Demo")
IncompatibleKeys(missing_keys=[], unexpected_keys=[])
>>> slot.tolist()
[1.0, 2.0]
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, NamedTuple, Sequence, Tuple, Union

import numpy as np

from .npz import NpzReader

Target = Tuple[str, Any, Any]  # (name, parameter or buffer, the array or float written into)


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` returns, as PyTorch does: the names this module has that the
    state dict lacked, and the names in the state dict that this module does not have."""

    missing_keys: List[str]
    unexpected_keys: List[str]


def npz_path(path: Union[str, "os.PathLike[str]"]) -> str:
    """The file ``save`` and ``load`` use: ``path`` with ``.npz`` added if it lacks it.

    >>> npz_path("model"), npz_path("model.npz")
    ('model.npz', 'model.npz')
    """
    path = os.fspath(path)
    return path if path.endswith(".npz") else path + ".npz"


def read_npz(path: str, targets: Sequence[Target], module_name: str) -> Dict[str, np.ndarray]:
    """The arrays of the ``.npz`` file at ``path``, once its names and every array's header
    fit ``targets`` exactly; otherwise a ``ValueError`` naming the file lists every problem.

    Only the archive's index and the headers are read before the checks pass, so a file with
    a wrong name or a huge array is refused before any of its numbers are read.
    """
    refused = f"cannot load {path!r} into {module_name}"
    try:
        reader = NpzReader(path)
    except ValueError as e:
        raise ValueError(f"{refused}: {e}") from None
    with reader:
        missing, unexpected = _compare_names([name for name, _, _ in targets], reader.names)
        problems = _name_problems(missing, unexpected, "the file", module_name)
        headers = {}
        for name, _, slot in targets:
            if name in reader.members:
                try:
                    header = headers[name] = reader.header(name)
                except ValueError as e:
                    problems.append(str(e))
                    continue
                problems += _array_problems(name, header.shape, header.dtype, slot, "the file")
        if problems:
            raise ValueError(f"{refused}: {'; '.join(problems)}")
        try:
            return {name: reader.read(name, header) for name, header in headers.items()}
        except ValueError as e:
            raise ValueError(f"{refused}: {e}") from None


def load_targets(
    targets: Sequence[Target],
    stored: Dict[str, Any],
    source: str,
    strict: bool,
    module_name: str,
    what: str = "",
) -> IncompatibleKeys:
    """Write ``stored`` (name -> value) into ``targets``, all or nothing: find every problem
    first (``source`` says where the values came from, ``what`` names it in the message), raise
    them in one ``ValueError``, and only then write. ``strict=False`` lets names differ."""
    missing, unexpected = _compare_names([name for name, _, _ in targets], list(stored))
    problems = _name_problems(missing, unexpected, source, module_name) if strict else []
    ready: Dict[str, Any] = {}  # name -> the array (or float, for a Value) to write
    for name, _, slot in targets:
        if name not in stored:
            continue
        try:
            array = _as_numpy(stored[name])
        except Exception as e:  # whatever the object's own conversion raises, named
            kind = type(stored[name]).__name__
            problems.append(f"{name!r} is not an array of numbers in {source} ({kind}: {e})")
            continue
        found = _array_problems(name, array.shape, array.dtype, slot, source)
        if found:
            problems += found
        elif isinstance(slot, np.ndarray):
            with np.errstate(invalid="ignore", over="ignore"):  # checked just below
                ready[name] = converted = array.astype(slot.dtype)
            if _whole_numbers_lost(array, converted):
                problems.append(f"{name!r} in {source} is not exact {slot.dtype} (whole numbers in range)")
        else:  # a Value's float
            ready[name] = float(array)
    if problems:
        raise ValueError(f"cannot load {what or source} into {module_name}: {'; '.join(problems)}")
    for name, owner, slot in targets:  # every check passed: now write, in place
        if name not in ready:
            continue
        if isinstance(slot, np.ndarray):
            slot[...] = ready[name]  # in place: the optimiser's references stay valid
        else:
            owner.data = ready[name]  # a Value
    return IncompatibleKeys(missing, unexpected)


def _as_numpy(value: Any) -> np.ndarray:
    """A numpy array from an array, a number, a Tensor or a (CPU) torch tensor; raises
    TypeError or ValueError (or the torch error) when there is none."""
    value = value.detach() if hasattr(value, "detach") else value  # no graph (torch, Tensor)
    if hasattr(value, "numpy"):
        try:
            value = value.numpy()
        except TypeError:  # a torch dtype numpy lacks (bfloat16): float32 holds it exactly
            if not hasattr(value, "float"):
                raise
            value = value.float().numpy()
    return np.asarray(value)


def _whole_numbers_lost(array: np.ndarray, converted: np.ndarray) -> bool:
    """True when casting ``array`` to an integer dtype changed a number (a fraction, nan, inf,
    or a number out of the dtype's range): an integer buffer takes only exact values."""
    return converted.dtype.kind in "iu" and not np.array_equal(converted, array)


def _compare_names(expected: List[str], found: List[str]) -> Tuple[List[str], List[str]]:
    """(missing, unexpected): the expected names not found, and the found names not expected."""
    known, present = set(expected), set(found)
    return [name for name in expected if name not in present], [name for name in found if name not in known]


def _name_problems(missing: List[str], unexpected: List[str], source: str, module_name: str) -> List[str]:
    """What is wrong with the names in ``source``, as ``strict`` loading sees it."""
    problems = []
    if missing:
        problems.append(f"missing from {source}: {missing}")
    if unexpected:
        problems.append(f"in {source} but not in this {module_name}: {unexpected}")
    return problems


def _array_problems(name: str, shape: Tuple[int, ...], dtype: np.dtype, slot: Any, source: str) -> List[str]:
    """Why an array of ``shape`` and ``dtype`` cannot be written into ``slot`` (a parameter's
    array, a buffer, or a Value's float), if it cannot."""
    if not isinstance(slot, (np.ndarray, float)):  # e.g. a buffer replaced by a plain number
        kind = type(slot).__name__
        return [f"{name!r} in this module is not an array but {kind}, so nothing can be loaded into it"]
    if isinstance(slot, np.ndarray) and not slot.flags.writeable:
        return [f"{name!r} is read-only in this module, so nothing can be loaded into it"]
    if dtype.kind not in "fiu":
        return [f"{name!r} is not an array of numbers in {source} (dtype {dtype})"]
    if shape != np.shape(slot):
        return [f"{name!r} has shape {shape} in {source}, this module expects {np.shape(slot)}"]
    return []
