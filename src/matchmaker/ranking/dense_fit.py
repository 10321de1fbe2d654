"""The dense arrays of a fit, built a chunk of companies at a time (issue 14).

A fit turns every company's vectors into four field matrices (one row per
company) and two phrase tables (every offer and seek phrase stacked). Built from
one dict of every company's arrays, the input alone is 15 GB at a million
companies with multilingual-e5-small (1.5 GB measured at 100k), and the matrices
as much again. So the vectors are read a chunk of companies at a time, from
whatever holds them:

* a mapping ``vectors[field][company_id]`` (what tests and evaluation pass), or
* a callable that returns that mapping for one chunk of profiles (the database,
  ``engine.vector_source``; a benchmark's generator), so only a chunk is in memory.

Each chunk's rows are appended to their array: in memory, or, given an
:class:`~.array_files.ArrayFolder`, to ``.npy`` files in the saved-fit folder laid
out as a save writes them (:mod:`.array_files`), which the save then adopts
(``fitted_state``): the fit never holds a whole matrix in memory, and the saved
folder is the same, byte for byte, as a fit in memory followed by a save.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidInput
from ..profiles import Profile
from .array_files import ArrayFolder, RowFile
from .phrases import PhraseTable

#: vectors[field][company_id] -> one row per text of that field
Vectors = Mapping[str, Mapping[str, np.ndarray]]
#: The vectors of a chunk of profiles (at least theirs; more is harmless).
VectorChunks = Callable[[Sequence[Profile]], Vectors]
#: What a fit reads vectors from: the whole mapping, or a reader of chunks.
VectorInput = Vectors | VectorChunks

#: Companies whose vectors are read and written at once (e5: about 90 MB of vectors).
FIT_CHUNK = 5_000
#: The whole-field vectors, one row per company, in the order the ranker keeps them.
FIELD_MATRICES = ("profile", "offers", "seeks", "identity")


@dataclass
class DenseArrays:
    """What :func:`fit_dense` built: the width, the field matrices, the phrase tables."""

    dim: int
    fields: dict[str, np.ndarray]
    offer_phrases: PhraseTable
    seek_phrases: PhraseTable


def fit_dense(
    profiles: Sequence[Profile],
    vectors: VectorInput,
    out: ArrayFolder | None = None,
    chunk: int = FIT_CHUNK,
) -> DenseArrays:
    """Field matrices and phrase tables of ``profiles``, reading vectors ``chunk`` at a time."""
    if chunk < 1:
        raise InvalidInput(f"the fit's chunk size must be at least 1, not {chunk}")
    read = chunk_reader(vectors)
    fields = {f: _rows_out(out, len(profiles)) for f in FIELD_MATRICES}
    phrases = {k: _PhraseOut(_rows_out(out)) for k in ("offer_phrases", "seek_phrases")}
    dim, unread = None, 0  # companies read before any vector told the width
    for start in range(0, len(profiles), chunk):
        part = profiles[start : start + chunk]
        found = read(part)
        if dim is None:
            dim = _width(found)
            if dim is None:
                unread += len(part)
                for table in phrases.values():
                    table.add_empty(len(part))
                continue
            for rows in fields.values():
                rows.add_zeros(unread, dim)
        for name, rows in fields.items():
            rows.add(field_rows(part, found.get(name, {}), dim))
        for kind, table in phrases.items():
            table.add(part, found.get(kind, {}), dim)
    if dim is None:  # no vector at all: one zero column, as before
        dim = 1
        for rows in fields.values():
            rows.add_zeros(unread, dim)
    return DenseArrays(
        dim,
        {name: rows.finish(dim) for name, rows in fields.items()},
        phrases["offer_phrases"].finish(dim),
        phrases["seek_phrases"].finish(dim),
    )


def chunk_reader(vectors: VectorInput) -> VectorChunks:
    """A reader of chunks: the callable itself, or the whole mapping for every chunk."""
    if callable(vectors):
        return vectors
    return lambda _part: vectors


def field_rows(part: Sequence[Profile], rows: Mapping[str, np.ndarray], dim: int) -> np.ndarray:
    """One row per profile: the first vector of its field, zeros where it has none."""
    matrix = np.zeros((len(part), dim), dtype=np.float32)
    for i, profile in enumerate(part):
        vec = rows.get(profile.id)
        if vec is not None and len(vec):
            _check_width(vec, dim, profile.id)
            matrix[i] = vec[0]
    return matrix


def _width(vectors: Vectors) -> int | None:
    """The vectors' width: that of the first matrix with columns, None if there is none."""
    for rows in vectors.values():
        for matrix in rows.values():
            if matrix.ndim == 2 and matrix.shape[1]:
                return int(matrix.shape[1])
    return None


def _check_width(vec: np.ndarray, dim: int, company_id: str) -> None:
    if vec.ndim != 2 or vec.shape[1] != dim:
        raise InvalidInput(
            f"the vectors of {company_id} have shape {vec.shape}, the others {dim} columns: "
            "were they embedded with another model? Run 'matchmaker reembed'"
        )


class _PhraseOut:
    """A phrase table being written: its rows, and each company's count of them."""

    def __init__(self, rows: _MemoryRows | _FileRows):
        self.rows = rows
        self.lengths: list[int] = []

    def add_empty(self, companies: int) -> None:
        self.lengths.extend([0] * companies)

    def add(self, part: Sequence[Profile], found: Mapping[str, np.ndarray], dim: int) -> None:
        blocks = []
        for profile in part:
            block = found.get(profile.id)
            n = 0 if block is None or block.size == 0 else len(block)
            if n:
                _check_width(block, dim, profile.id)  # a file takes rows of any width
                blocks.append(block)
            self.lengths.append(n)
        if blocks:
            self.rows.add(np.vstack(blocks).astype(np.float32))

    def finish(self, dim: int) -> PhraseTable:
        lengths = np.array(self.lengths, dtype=np.int64)
        ends = np.cumsum(lengths)
        return PhraseTable(self.rows.finish(dim), ends - lengths, ends)


def _rows_out(out: ArrayFolder | None, rows: int | None = None) -> _MemoryRows | _FileRows:
    return _MemoryRows(rows) if out is None else _FileRows(out.rows(np.float32))


@dataclass
class _MemoryRows:
    """Rows appended in memory; ``rows`` known in advance fills one array, no second copy."""

    rows: int | None = None
    blocks: list[np.ndarray] = field(default_factory=list)
    matrix: np.ndarray | None = None
    filled: int = 0

    def add_zeros(self, rows: int, dim: int) -> None:
        if rows:
            self.add(np.zeros((rows, dim), dtype=np.float32))

    def add(self, block: np.ndarray) -> None:
        if self.rows is None:
            self.blocks.append(block)
            return
        if self.matrix is None:
            self.matrix = np.zeros((self.rows, block.shape[1]), dtype=np.float32)
        self.matrix[self.filled : self.filled + len(block)] = block
        self.filled += len(block)

    def finish(self, dim: int) -> np.ndarray:
        if self.matrix is not None:
            return self.matrix
        if self.rows is not None:  # no company at all
            return np.zeros((self.rows, dim), dtype=np.float32)
        return np.vstack(self.blocks) if self.blocks else np.zeros((0, dim), np.float32)


class _FileRows:
    """Rows of ``dim`` float32 numbers appended to a file (:class:`~.array_files.RowFile`)."""

    def __init__(self, file: RowFile):
        self.file = file

    def add_zeros(self, rows: int, dim: int) -> None:
        self.file.add_zeros(rows, (dim,))

    def add(self, block: np.ndarray) -> None:
        self.file.add(block)

    def finish(self, dim: int) -> np.ndarray:
        return self.file.finish((dim,))
