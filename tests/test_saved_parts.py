"""The lazily read parts of a saved fit behave as the list, object and matrix they stand for."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from matchmaker.profiles import Profile
from matchmaker.saved_parts import Deferred, SavedCsr, SavedRows, write_rows


@pytest.fixture
def items() -> list:
    return [
        Profile(id=f"c{i}", name=f"Company {i}", country="LV", description="Makes tablets.")
        for i in range(5)
    ] + [["two", "phrases"], "", None, {"ko": "한국어"}]


@pytest.fixture
def rows(items, tmp_path) -> SavedRows:
    assert write_rows(items, tmp_path / "items.rows") == len(items)
    return SavedRows.open(tmp_path / "items.rows")


def test_saved_rows_read_as_the_list(rows, items):
    assert len(rows) == len(items)
    assert rows[0] == items[0] and rows[-1] == items[-1] and rows[np.int64(2)] == items[2]
    assert rows[1:4] == items[1:4] and rows[::-1] == items[::-1]
    assert list(rows) == items and rows == items and rows != items[:-1]
    with pytest.raises(IndexError):
        rows[len(items)]
    with pytest.raises(TypeError):
        rows["0"]


def test_an_item_is_decoded_once(rows):
    assert rows[3] is rows[3]


def test_saved_rows_grow_like_a_list_without_decoding(rows, items):
    more = Profile(id="new", name="New", country="KR", description="Sells kits.")
    grown = rows + [more]
    assert isinstance(grown, SavedRows) and len(grown) == len(items) + 1 and len(rows) == len(items)
    assert grown[-1] == more and list(grown) == [*items, more]
    assert ["first", *items] == ["first"] + rows


def test_saved_rows_pickle_and_copy_as_a_plain_list(rows, items):
    assert pickle.loads(pickle.dumps(rows)) == items
    assert type(pickle.loads(pickle.dumps(rows))) is list
    assert copy.deepcopy(rows) == items


def test_a_damaged_rows_file_is_refused(items, tmp_path):
    path = tmp_path / "items.rows"
    write_rows(items, path)
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(ValueError, match="offsets"):
        SavedRows.open(path)


def test_a_deferred_object_loads_on_first_use_only():
    calls = []

    def load():
        calls.append(1)
        return {"vocabulary": 3}

    deferred = Deferred(load)
    assert calls == [] and "not loaded" in repr(deferred)
    assert deferred.get("vocabulary") == 3 and deferred.keys() == {"vocabulary": 3}.keys()
    assert calls == [1]
    assert pickle.loads(pickle.dumps(deferred)) == {"vocabulary": 3}


def test_a_saved_csr_matrix_reads_rows_and_computes_as_scipy_does():
    dense = np.array([[0, 1.5, 0, 2], [0, 0, 0, 0], [3, 0, 0.5, 0]])
    real = csr_matrix(dense)
    saved = SavedCsr(real.data, real.indices, real.indptr, real.shape, True)
    assert saved._matrix is None  # rows are read from the arrays, no SciPy matrix built
    assert saved.shape == (3, 4) and saved.dtype == real.dtype
    vector = np.array([1.0, 2.0, 3.0, 4.0])
    assert np.allclose(saved @ vector, real @ vector)
    assert np.allclose((saved @ saved[2].T).toarray(), (real @ real[2].T).toarray())
    assert np.allclose(saved.toarray(), dense) and saved.nnz == real.nnz
    assert np.allclose(pickle.loads(pickle.dumps(saved)).toarray(), dense)
