"""Arrays that grow at the end without copying what they hold: the ranker's incremental updates.

An incremental update (:mod:`ranking.incremental`) appends a few rows to every
per-company array of a fitted ranker: vectors, phrase tables, lexical rows. A
new array per update would copy the whole matrix each time (600 MB of vectors
at 100k companies, for one edit). Instead the first update copies each array
once into a buffer with spare rows, and later updates write into the spare
rows and hand out a longer view of the same buffer.

That is copy-on-write for readers: a snapshot still serving holds the view it
was given, ``buffer[:n]``, and new rows are only ever written at ``n`` and
beyond, where it never looks. A buffer is grown in place only by the holder of
its longest view (the latest snapshot), so two updates never write the same rows.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

#: Spare rows given to a new buffer: this share of its rows (at least MIN_SPARE). A full
#: refit replaces everything after 5% changed rows (live_index.REFIT_SHARE), so a buffer
#: rarely needs a second copy before then.
SPARE_SHARE = 1 / 16
MIN_SPARE = 64

#: id(buffer) -> [weak reference to the buffer, rows in use]
_IN_USE: dict[int, list] = {}
_LOCK = threading.Lock()


def grow(current: np.ndarray, rows) -> np.ndarray:
    """``current`` followed by ``rows`` (along axis 0), sharing current's memory when it can."""
    rows = np.asarray(rows, dtype=current.dtype).reshape(-1, *current.shape[1:])
    n, k = len(current), len(rows)
    with _LOCK:
        buffer = _growable_buffer(current, k)
        if buffer is not None:
            buffer[n : n + k] = rows
            _IN_USE[id(buffer)][1] = n + k
            return buffer[: n + k]
        capacity = n + k + max(k, spare_rows(n))
        buffer = np.empty((capacity, *current.shape[1:]), dtype=current.dtype)
        buffer[:n] = current
        buffer[n : n + k] = rows
        key = id(buffer)
        _IN_USE[key] = [weakref.ref(buffer), n + k]
        weakref.finalize(buffer, _IN_USE.pop, key, None)
        return buffer[: n + k]


def spare_rows(rows: int) -> int:
    """Spare rows to give an array of ``rows`` rows (also when it is saved to disk)."""
    return max(int(rows * SPARE_SHARE), MIN_SPARE)


def padded(array: np.ndarray) -> np.ndarray:
    """The array followed by :func:`spare_rows` zero rows: how a saved fit stores it.

    Loaded memory-mapped (copy-on-write), the spare rows cost disk, not memory,
    and :func:`adopt` lets updates write into them: only the touched pages are
    copied, never the whole array a process maps.
    """
    spare = np.zeros((spare_rows(len(array)), *array.shape[1:]), dtype=array.dtype)
    return np.concatenate([array, spare])


def adopt(buffer: np.ndarray, rows: int) -> np.ndarray:
    """The first ``rows`` rows of ``buffer`` (a loaded :func:`padded` array), growable in place."""
    with _LOCK:
        key = id(buffer)
        _IN_USE[key] = [weakref.ref(buffer), rows]
        weakref.finalize(buffer, _IN_USE.pop, key, None)
    return buffer[:rows]


def _growable_buffer(current: np.ndarray, k: int) -> np.ndarray | None:
    """The buffer behind ``current`` if current is its longest view and k more rows fit."""
    base = current.base
    if base is None or not isinstance(base, np.ndarray):
        return None
    entry = _IN_USE.get(id(base))
    if entry is None or entry[0]() is not base:
        return None
    if base.ndim != current.ndim or len(current) == 0:
        return None
    same_start = current.__array_interface__["data"][0] == base.__array_interface__["data"][0]
    if not same_start or entry[1] != len(current) or len(current) + k > len(base):
        return None
    return base


def grow_csr(matrix, rows):
    """The CSR ``matrix`` (SciPy's or a saved_parts.SavedCsr) with ``rows`` below it, its
    arrays grown by :func:`grow`; a SciPy matrix.

    SciPy is imported here, not with the module: a cold CLI process ranks a loaded
    fit without it (saved_parts) and never updates one.
    """
    from scipy.sparse import csr_matrix

    rows = csr_matrix(rows)
    rows.sort_indices()
    data = grow(matrix.data, rows.data)
    indices = grow(matrix.indices, rows.indices)
    indptr = grow(matrix.indptr, rows.indptr[1:] + matrix.indptr[-1])
    shape = (matrix.shape[0] + rows.shape[0], matrix.shape[1])
    # set the arrays directly: the constructor may convert (copy) the index arrays
    grown = csr_matrix(shape, dtype=matrix.dtype)
    grown.data, grown.indices, grown.indptr = data, indices, indptr
    grown.has_sorted_indices = bool(matrix.has_sorted_indices)
    return grown
