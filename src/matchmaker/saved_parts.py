"""Parts of a saved fit that are read when used, not when loaded: a cold start in milliseconds.

A CLI ``match`` loads the saved fit (:mod:`fitted_state`) and ranks one company:
it reads a few hundred candidates' profiles and phrases, and no vectorizer. Yet
unpickling the whole ranker decoded all 10,000 profiles and every per-company
list (0.4 s of CPU at 10k companies), and the scikit-learn vectorizers inside
it imported scikit-learn (over 1 s). Issue 14 gives a cold ``match`` 0.5 s. So
two kinds of part are saved beside the ranker's pickle and read on first use:

* :class:`SavedRows`: a per-company list (profiles, their phrase lists, their
  texts), each item pickled on its own after the previous one, with an array of
  offsets. ``rows[i]`` decodes item i from the memory-mapped file (about 20 µs)
  and keeps it; ``len`` needs nothing decoded. It is a read-only
  :class:`~collections.abc.Sequence`; ``rows + [more]`` gives another one (what
  an incremental update does), and pickling it gives a plain list.
* :class:`Deferred`: an object whose class needs a heavy library (scikit-learn's
  vectorizers), in its own pickle, unpickled on first attribute access. Free-text
  search uses the vectorizers; matching a known company never does.
* :class:`SavedCsr`: a sparse (CSR) matrix as its three memory-mapped arrays.
  Ranking a company reads rows straight from ``indptr``, ``indices`` and ``data``
  (ranking.lexical), which needs no SciPy; importing SciPy's sparse module costs
  0.2 s. Anything else (a product, a slice) builds the SciPy matrix over the
  same arrays, once.

An incremental update (ranking.incremental) works on a loaded fit as it is:
``SavedRows`` grow by a tail, a ``SavedCsr``'s arrays are saved with spare rows
and grow in place (ranking.growing.grow_csr, which hands back a SciPy matrix),
and the new texts go through the Deferred vectorizers. So the first update
imports SciPy and scikit-learn and unpickles the vectorizers (1.5 s of CPU in a
process that had neither). A CLI call pays that only when the database changed
since the saved fit (engine.brought_forward); a web process warms them up in the
background after loading (:func:`resolve_all`, live_index).
"""

from __future__ import annotations

import mmap
import operator
import pickle
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

_MISSING = object()


def write_rows(items: Iterable[Any], path: Path) -> int:
    """Write each item pickled on its own to ``path``, offsets to ``<path>.offsets.npy``.

    Returns how many items were written.
    """
    offsets = [0]
    with open(path, "wb") as out:
        for item in items:
            offsets.append(offsets[-1] + out.write(pickle.dumps(item, pickle.HIGHEST_PROTOCOL)))
    np.save(_offsets_path(path), np.array(offsets, dtype=np.int64), allow_pickle=False)
    return len(offsets) - 1


def _offsets_path(path: Path) -> Path:
    return path.with_name(path.name + ".offsets.npy")


class _RowsFile:
    """The file of a :class:`SavedRows`: mapped once, decoded items kept (shared by copies)."""

    def __init__(self, path: Path):
        self.offsets = np.load(_offsets_path(path), mmap_mode="r", allow_pickle=False)
        with open(path, "rb") as source:
            self.data = mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ)
        if int(self.offsets[-1]) != len(self.data):
            raise ValueError(f"{path} does not match its offsets")
        self.decoded: list[Any] = [_MISSING] * (len(self.offsets) - 1)

    def item(self, i: int) -> Any:
        found = self.decoded[i]
        if found is _MISSING:  # two threads may both decode it: equal results, no harm
            found = pickle.loads(self.data[int(self.offsets[i]) : int(self.offsets[i + 1])])
            self.decoded[i] = found
        return found


class SavedRows(Sequence):
    """A per-company list read from disk item by item (see the module docstring)."""

    def __init__(self, source: _RowsFile, tail: Sequence[Any] = ()):
        self._source = source
        self._saved = len(source.decoded)
        self._tail = list(tail)

    @classmethod
    def open(cls, path: Path) -> SavedRows:
        return cls(_RowsFile(path))

    def __len__(self) -> int:
        return self._saved + len(self._tail)

    def __getitem__(self, index):
        if type(index) is int and 0 <= index < self._saved:  # ranking's case: an item read
            found = self._source.decoded[index]  # before, many times per report company
            if found is not _MISSING:
                return found
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        i = operator.index(index)  # numpy integers too
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("saved rows index out of range")
        return self._source.item(i) if i < self._saved else self._tail[i - self._saved]

    def __iter__(self) -> Iterator[Any]:
        for i in range(self._saved):
            yield self._source.item(i)
        yield from self._tail

    def __add__(self, other: Iterable[Any]) -> SavedRows:
        """These rows and ``other`` after them; the file is shared, nothing is decoded."""
        return SavedRows(self._source, [*self._tail, *other])

    def __radd__(self, other: Iterable[Any]) -> list[Any]:
        return [*other, *self]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (SavedRows, list)):  # as a list: never equal to a tuple
            return len(self) == len(other) and all(
                a == b for a, b in zip(self, other, strict=True)
            )
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # a list is not hashable either

    def __reduce__(self):
        """Pickled (for another process, or a copy) as the plain list it stands for."""
        return (list, (list(self),))

    def __repr__(self) -> str:
        return f"SavedRows({len(self)} items)"


class Deferred:
    """An object unpickled on first use; attribute access goes to it (module docstring)."""

    __slots__ = ("_load", "_target", "_lock")

    def __init__(self, load: Callable[[], Any]):
        object.__setattr__(self, "_load", load)
        object.__setattr__(self, "_target", _MISSING)
        object.__setattr__(self, "_lock", threading.Lock())

    def resolve(self) -> Any:
        """The object itself, unpickled now if it was not yet."""
        if self._target is _MISSING:
            with self._lock:
                if self._target is _MISSING:
                    object.__setattr__(self, "_target", self._load())
        return self._target

    def __getattr__(self, name: str) -> Any:
        return getattr(self.resolve(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.resolve(), name, value)

    def __reduce__(self):
        """Pickled (or copied) as the object itself."""
        return (_same, (self.resolve(),))

    def __repr__(self) -> str:
        shown = "not loaded" if self._target is _MISSING else repr(self._target)
        return f"Deferred({shown})"


def _same(target: Any) -> Any:
    return target


def resolve_all(obj: Any, depth: int = 3) -> int:
    """Unpickle every :class:`Deferred` among ``obj``'s attributes, ``depth`` levels down
    (a ranker's vectorizers, its BM25 parts' vectorizers); how many were found.

    Lists, arrays and saved rows are not walked: only objects with attributes.
    """
    found = 0
    for value in list(getattr(obj, "__dict__", {}).values()):
        if isinstance(value, Deferred):
            value.resolve()
            found += 1
        elif depth > 1 and hasattr(value, "__dict__") and not isinstance(value, type):
            found += resolve_all(value, depth - 1)
    return found


def resolved(obj: Any) -> Any:
    """``obj`` itself, or what a :class:`Deferred` stands for."""
    return obj.resolve() if isinstance(obj, Deferred) else obj


class SavedCsr:
    """A CSR matrix whose arrays are read without SciPy; the SciPy matrix on other use."""

    def __init__(self, data, indices, indptr, shape: tuple[int, int], has_sorted_indices: bool):
        self.data, self.indices, self.indptr = data, indices, indptr
        self.shape = tuple(shape)
        self.has_sorted_indices = has_sorted_indices
        self._matrix = None

    @property
    def dtype(self):
        return self.data.dtype

    def matrix(self):
        """The SciPy matrix over the same arrays (built once, nothing copied)."""
        if self._matrix is None:
            from scipy.sparse import csr_matrix

            matrix = csr_matrix(self.shape, dtype=self.data.dtype)
            # set the arrays directly: the constructor may convert (copy) the index arrays
            matrix.data, matrix.indices, matrix.indptr = self.data, self.indices, self.indptr
            matrix.has_sorted_indices = self.has_sorted_indices
            self._matrix = matrix
        return self._matrix

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_matrix":
            raise AttributeError(name)
        return getattr(self.matrix(), name)

    def __reduce__(self):
        """Pickled (or copied) as the SciPy matrix."""
        return (_same, (self.matrix(),))

    def __repr__(self) -> str:
        return f"SavedCsr(shape={self.shape}, nnz={len(self.data)})"


def _delegate(name: str) -> Callable:
    def method(self: SavedCsr, *args):
        return getattr(self.matrix(), name)(*args)

    method.__name__ = name
    return method


for _name in (
    "__matmul__", "__rmatmul__", "__mul__", "__rmul__", "__add__", "__radd__",
    "__sub__", "__rsub__", "__neg__", "__truediv__", "__getitem__", "__len__",
):
    setattr(SavedCsr, _name, _delegate(_name))
