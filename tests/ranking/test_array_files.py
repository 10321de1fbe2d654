"""Arrays appended to files are the files a save writes (ranking.array_files).

A saved fit stores each large array with ``np.save(growing.padded(array))``; a fit
given an :class:`ArrayFolder` appends rows to such files itself. Here the bytes
must be equal for every dtype and shape a fit writes, for a header of another
length, and for a sparse matrix appended a block of rows at a time.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse import random as sparse_random

from matchmaker.ranking.array_files import ArrayFolder, CsrFile, RowFile
from matchmaker.ranking.growing import padded


def saved_bytes(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, padded(array), allow_pickle=False)
    return out.getvalue()


@pytest.mark.parametrize(
    "array",
    [
        np.arange(300 * 7, dtype=np.float32).reshape(300, 7) / 3,
        np.linspace(0, 1, 1000),  # float64, one dimension: a sparse matrix's data
        np.arange(5000, dtype=np.int32),  # its indices and indptr
        np.ones((9,) + (1,) * 24, dtype=np.float32),  # a header longer than reserved
    ],
)
def test_appended_rows_make_the_file_np_save_makes(tmp_path, array):
    rows = RowFile(tmp_path / "a.npy", array.dtype)
    for start in range(0, len(array), 64):
        rows.add(array[start : start + 64])
    found = rows.finish(array.shape[1:])
    assert isinstance(found, np.memmap) and np.array_equal(found, array)
    assert (tmp_path / "a.npy").read_bytes() == saved_bytes(array)


def test_small_and_empty_arrays_stay_in_memory_and_leave_no_file(tmp_path):
    folder = ArrayFolder(tmp_path, mapped_from=1024)
    small, large = folder.rows(), folder.rows()
    (tmp_path / "other").mkdir()
    empty = ArrayFolder(tmp_path / "other").rows()  # mapped_from 0: only its emptiness keeps it
    small.add(np.ones((2, 3), dtype=np.float32))
    large.add(np.ones((100, 3), dtype=np.float32))
    assert type(small.finish((3,))) is np.ndarray
    assert isinstance(large.finish((3,)), np.memmap)
    assert type(empty.finish((3,))) is np.ndarray  # a save writes such an array itself
    assert sorted(p.name for p in tmp_path.rglob("*.npy")) == ["fit-2.npy"]


def test_a_sparse_matrix_appended_by_blocks_is_the_whole_one(tmp_path):
    whole = csr_matrix(sparse_random(500, 40, density=0.1, format="csr", random_state=3))
    whole.sort_indices()
    matrix = CsrFile(ArrayFolder(tmp_path))
    for start in range(0, 500, 77):
        matrix.add(whole[start : start + 77])
    found = matrix.finish(40)
    assert type(found) is type(whole) and found.shape == whole.shape
    for part in ("data", "indices", "indptr"):
        mine, theirs = getattr(found, part), getattr(whole, part)
        assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs)
        assert Path(mine.base.filename).read_bytes() == saved_bytes(theirs)
    assert found.has_sorted_indices
    assert (found @ whole.T).toarray().tolist() == (whole @ whole.T).toarray().tolist()
