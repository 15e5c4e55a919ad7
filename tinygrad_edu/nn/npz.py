"""Reading and writing ``.npz`` files by hand, so a hostile or broken file costs nothing.

An ``.npz`` file is a zip archive with one member ``<name>.npy`` per array; a ``.npy`` member
is a short text header (``{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}``)
followed by the raw numbers. ``numpy.load`` reads an array when it is asked for, and
``Module.load`` would have to ask for every array to learn its shape. Here the names come
from the archive's index and the shapes from each member's header, so ``Module.load`` can
refuse a file (an unexpected name, a wrong shape, a header that declares a gigabyte) before
a single number is read. The numbers are then read with exactly the length the header
declares, and never unpickled. Writing by hand (``write_npz``) keeps every name, even one
that ``numpy.savez`` would take for its own argument (``file``, ``allow_pickle``).

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "demo.npz")
>>> write_npz(path, {"allow_pickle": np.arange(3.0)})
>>> with NpzReader(path) as archive:
...     header = archive.header("allow_pickle")
...     header.shape, archive.read("allow_pickle", header).tolist()
((3,), [0.0, 1.0, 2.0])
"""

from __future__ import annotations

import math
import os
import zipfile
import zlib
from typing import Any, Dict, List, Mapping, NamedTuple, Tuple

import numpy as np
from numpy.lib import format as npy

# the errors a damaged zip member raises while it is read (a wrong checksum, broken deflate data)
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError)


class ArrayHeader(NamedTuple):
    """What a ``.npy`` header declares, and where the numbers start."""

    shape: Tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool
    offset: int  # bytes before the numbers: magic string, version, header
    nbytes: int  # bytes of numbers the shape and dtype call for


def write_npz(path: str, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` as an ``.npz`` file (``numpy.load`` reads it), every name kept as it is.

    The archive is written next to ``path`` and moved over it when complete, so a save that
    fails halfway leaves any earlier file at ``path`` as it was.
    """
    partial = path + ".partial"
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            for name, array in arrays.items():
                with archive.open(name + ".npy", "w", force_zip64=True) as member:
                    npy.write_array(member, np.asarray(array), allow_pickle=False)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


class NpzReader:
    """An ``.npz`` file opened for reading: its names at once, from the archive's index; a
    member's header or numbers only when asked. Each problem is a ``ValueError`` that says
    what is wrong (the caller adds the file's name); use it in a ``with`` block.
    """

    def __init__(self, path: str) -> None:
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, EOFError, ValueError) as e:  # an .npy, a text file, empty, cut short
            raise ValueError(_not_a_zip(path, e)) from None
        self.members: Dict[str, zipfile.ZipInfo] = {}
        for info in self._zip.infolist():
            name = info.filename[:-4]
            if not info.filename.endswith(".npy"):
                self.close()
                raise ValueError(f"it holds {info.filename!r}, which is not a .npy array")
            if name in self.members:
                self.close()
                raise ValueError(f"it holds the array {name!r} twice")
            self.members[name] = info

    @property
    def names(self) -> List[str]:
        """The arrays' names, in the archive's order."""
        return list(self.members)

    def header(self, name: str) -> ArrayHeader:
        """The shape and dtype that the array ``name`` declares, checked against the size the
        archive's index gives its member; no number is read."""
        info = self.members[name]
        try:
            with self._zip.open(info) as member:
                version = npy.read_magic(member)
                if version == (1, 0):
                    shape, fortran_order, dtype = npy.read_array_header_1_0(member)
                elif version == (2, 0):
                    shape, fortran_order, dtype = npy.read_array_header_2_0(member)
                else:
                    raise ValueError(f"format version {version[0]}.{version[1]}")
                offset = member.tell()
        except _DAMAGED as e:
            raise ValueError(f"{name!r} is damaged ({e})") from None
        except (ValueError, SyntaxError, TypeError):  # numpy's words for a bad header
            raise ValueError(f"{name!r} does not start with a valid .npy header") from None
        if any(n < 0 for n in shape):
            raise ValueError(f"{name!r} declares the impossible shape {shape}")
        if dtype.hasobject:
            raise ValueError(f"{name!r} holds Python objects ({dtype}), and load never unpickles")
        nbytes = math.prod(shape) * dtype.itemsize
        if info.file_size != offset + nbytes:
            raise ValueError(
                f"{name!r} declares shape {shape} of {dtype} ({nbytes} bytes of numbers), "
                f"but its member holds {info.file_size - offset}"
            )
        return ArrayHeader(shape, dtype, fortran_order, offset, nbytes)

    def read(self, name: str, header: ArrayHeader) -> np.ndarray:
        """The array ``name`` (a read-only array), reading exactly the bytes ``header`` declares."""
        try:
            with self._zip.open(self.members[name]) as member:
                member.read(header.offset)
                raw = member.read(header.nbytes)  # the zip checks its checksum at the end
        except _DAMAGED as e:
            raise ValueError(f"{name!r} is damaged ({e})") from None
        if len(raw) != header.nbytes:
            raise ValueError(f"{name!r} is cut short: {len(raw)} of {header.nbytes} bytes")
        flat = np.frombuffer(raw, dtype=header.dtype)
        if header.fortran_order:  # stored column by column: the transpose of the reversed shape
            return flat.reshape(header.shape[::-1]).T
        return flat.reshape(header.shape)

    def close(self) -> None:
        """Close the file."""
        self._zip.close()

    def __enter__(self) -> "NpzReader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _not_a_zip(path: str, error: BaseException) -> str:
    """Why the file at ``path`` is not an ``.npz`` archive, in words."""
    with open(path, "rb") as f:
        start = f.read(len(npy.MAGIC_PREFIX))
    if not start:
        return "the file is empty"
    if start == npy.MAGIC_PREFIX:
        return "it is a single .npy array (numpy.save), not an .npz archive of named arrays"
    return f"it is not an .npz file (a zip archive of .npy arrays), or it is cut short ({error})"
