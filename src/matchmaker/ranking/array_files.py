"""Arrays a fit appends to ``.npy`` files, laid out exactly as a saved fit stores them.

A saved fit (``fitted_state``) keeps each large array in a ``.npy`` file of its
own: the array's rows, then :func:`growing.spare_rows` zero rows for incremental
updates. A fit given an :class:`ArrayFolder` writes its large arrays that way as
it builds them, a chunk of rows at a time, and the save adopts the files instead
of writing the arrays again: the fit never holds a whole array in memory, and the
files are the bytes ``np.save`` would have written.

Files are written, not mapped for writing: dirty pages of a writable mapping
would count as the process's resident memory until the kernel writes them back.
The finished file is mapped read-only.
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np

from .growing import spare_rows

#: Zero rows written at once (spare rows, rows of companies read before any vector).
ZERO_BLOCK = 4_096


class ArrayFolder:
    """Where a fit writes its large arrays, and the size below which one stays in memory.

    ``mapped_from``: arrays smaller than this many bytes are kept in memory, as a
    save keeps them inside its pickle (``fitted_state.MAPPED_BYTES``).
    """

    def __init__(self, path: Path, mapped_from: int = 0):
        self.path = Path(path)
        self.mapped_from = mapped_from
        self._names = itertools.count(1)

    def rows(self, dtype=np.float32) -> RowFile:
        """A new file to append rows of ``dtype`` to."""
        return RowFile(self.path / f"fit-{next(self._names)}.npy", dtype, self.mapped_from)


class RowFile:
    """Rows appended to a ``.npy`` file; its header is written last, over reserved bytes.

    numpy pads a header so that its length does not depend on the number of rows
    (``numpy.lib.format``, GROWTH_AXIS_MAX_DIGITS), so the header of an empty
    array reserves exactly the space the final one takes.
    """

    def __init__(self, path: Path, dtype, mapped_from: int = 0):
        self.path = path
        self.dtype = np.dtype(dtype)
        self.mapped_from = mapped_from
        self.file = open(path, "wb")  # noqa: SIM115 - closed by finish()
        self.reserved = len(header(self.dtype, (0,)))
        self.file.write(bytes(self.reserved))
        self.rows = 0

    def add_zeros(self, rows: int, row_shape: tuple[int, ...] = ()) -> None:
        for start in range(0, rows, ZERO_BLOCK):
            count = min(ZERO_BLOCK, rows - start)
            self.add(np.zeros((count, *row_shape), dtype=self.dtype))

    def add(self, block: np.ndarray) -> None:
        self.file.write(np.ascontiguousarray(block, dtype=self.dtype).data)
        self.rows += len(block)

    def finish(self, row_shape: tuple[int, ...] = ()) -> np.ndarray:
        """The rows, mapped read-only (the file's spare rows follow them); in memory
        instead, and no file, below ``mapped_from`` bytes or without rows."""
        rows = self.rows
        self.add_zeros(spare_rows(rows), row_shape)
        final = header(self.dtype, (self.rows, *row_shape))
        if len(final) == self.reserved:
            self.file.seek(0)
            self.file.write(final)
            self.file.close()
        else:  # a header of another length (a row shape of many dimensions): copy once
            self.file.close()
            _rewrite(self.path, self.reserved, final)
        size = rows * int(np.prod(row_shape, dtype=np.int64)) * self.dtype.itemsize
        if rows == 0 or size < self.mapped_from:  # an empty view of a file is not a mapping
            array = np.load(self.path, allow_pickle=False)[:rows].copy()
            self.path.unlink()
            return array
        return np.load(self.path, mmap_mode="r", allow_pickle=False)[:rows]


def _rewrite(path: Path, skip: int, head: bytes, block: int = 1 << 24) -> None:
    """Give the file at ``path`` the header ``head`` in place of its first ``skip`` bytes."""
    moved = path.with_name(path.name + ".tmp")
    with open(path, "rb") as source, open(moved, "wb") as target:
        target.write(head)
        source.seek(skip)
        while data := source.read(block):
            target.write(data)
    moved.replace(path)


def header(dtype, shape: tuple[int, ...]) -> bytes:
    """The ``.npy`` header of a C-ordered array of ``dtype`` and ``shape``, as np.save writes it."""
    from numpy.lib import format as npy

    described = {
        "descr": npy.dtype_to_descr(np.dtype(dtype)),
        "fortran_order": False,
        "shape": tuple(int(n) for n in shape),
    }
    out = io.BytesIO()
    npy.write_array_header_1_0(out, described)
    return out.getvalue()


class CsrFile:
    """A CSR matrix appended a block of rows at a time: its data, indices and indptr
    each in a file of its own, as a save stores a sparse matrix's three arrays."""

    def __init__(self, folder: ArrayFolder, dtype=np.float64, index_dtype=np.int32):
        self.index_dtype = np.dtype(index_dtype)
        self.data, self.indices = folder.rows(dtype), folder.rows(index_dtype)
        self.indptr = folder.rows(index_dtype)
        self.indptr.add(np.zeros(1, dtype=index_dtype))
        self.entries, self.sorted = 0, True

    def add(self, block) -> None:
        """Rows below the ones added so far (a SciPy CSR matrix of the same columns)."""
        if self.entries + len(block.indices) > np.iinfo(self.index_dtype).max:
            raise ValueError(
                f"a sparse matrix of more than {np.iinfo(self.index_dtype).max:,} entries: "
                "the bounded fit writes 32-bit indices"
            )
        self.data.add(block.data)
        self.indices.add(block.indices)
        self.indptr.add(block.indptr[1:].astype(np.int64) + self.entries)
        self.entries += len(block.indices)
        self.sorted = self.sorted and bool(block.has_sorted_indices)

    def finish(self, columns: int):
        """The SciPy matrix over the three mapped arrays (set directly: the constructor
        may copy index arrays)."""
        from scipy.sparse import csr_matrix

        data, indices, indptr = self.data.finish(), self.indices.finish(), self.indptr.finish()
        matrix = csr_matrix((len(indptr) - 1, int(columns)), dtype=data.dtype)
        matrix.data, matrix.indices, matrix.indptr = data, indices, indptr
        matrix.has_sorted_indices = self.sorted
        return matrix
