"""The dense part of a fit read a chunk at a time (ranking.dense_fit): the same arrays.

A fit from one dict of every company's vectors and a fit reading chunks from a
callable, in memory or into files, must give the same field matrices and phrase
tables, bit for bit, whatever the chunk size; what is missing or malformed is
treated the same way (zeros for a company without vectors, a clear error for
vectors of another width).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from matchmaker import engine
from matchmaker.errors import InvalidInput
from matchmaker.ranking import PartnerRanker
from matchmaker.ranking.array_files import ArrayFolder
from matchmaker.ranking.dense_fit import fit_dense
from matchmaker.ranking.growing import padded


@pytest.fixture
def profiles_and_vectors(store):
    return store.list(), engine.load_vectors(store, "hashing-v1")


def reader(vectors, calls: list | None = None):
    """A callable source that hands out only the asked chunk's vectors."""

    def read(part):
        if calls is not None:
            calls.append(len(part))
        ids = {p.id for p in part}
        return {f: {c: m for c, m in rows.items() if c in ids} for f, rows in vectors.items()}

    return read


def assert_same(left, right) -> None:
    assert left.dim == right.dim
    for name in left.fields:
        a, b = left.fields[name], right.fields[name]
        assert a.dtype == b.dtype == np.float32 and np.array_equal(a, b), name
    tables = ((left.offer_phrases, right.offer_phrases), (left.seek_phrases, right.seek_phrases))
    for a, b in tables:
        assert a.vectors.dtype == b.vectors.dtype and np.array_equal(a.vectors, b.vectors)
        assert a.starts.dtype == b.starts.dtype and np.array_equal(a.starts, b.starts)
        assert np.array_equal(a.ends, b.ends)


@pytest.mark.parametrize("chunk", [1, 3, 10, 1000])
def test_chunks_from_a_callable_give_the_arrays_of_one_dict(profiles_and_vectors, chunk):
    profiles, vectors = profiles_and_vectors
    calls: list[int] = []
    chunked = fit_dense(profiles, reader(vectors, calls), chunk=chunk)
    assert_same(chunked, fit_dense(profiles, vectors))
    assert max(calls) == min(chunk, len(profiles)) and sum(calls) == len(profiles)


def test_files_hold_the_arrays_as_a_save_writes_them(profiles_and_vectors, tmp_path):
    profiles, vectors = profiles_and_vectors
    in_memory = fit_dense(profiles, vectors)
    small = in_memory.fields["identity"].nbytes + 1  # the field matrices stay in memory
    folder = tmp_path / "arrays"
    folder.mkdir()
    to_files = fit_dense(profiles, reader(vectors), ArrayFolder(folder, small), chunk=4)
    assert_same(to_files, in_memory)
    assert type(to_files.fields["profile"]) is np.ndarray
    mapped = to_files.offer_phrases.vectors
    assert isinstance(mapped, np.memmap) and not mapped.flags.writeable
    saved = io.BytesIO()
    np.save(saved, padded(in_memory.offer_phrases.vectors), allow_pickle=False)
    assert Path(mapped.filename).read_bytes() == saved.getvalue()
    assert len(list(folder.iterdir())) == 2  # the two phrase tables; nothing else left


def test_a_company_without_vectors_gets_zeros_in_every_way(profiles_and_vectors, tmp_path):
    profiles, vectors = profiles_and_vectors
    gone = profiles[4].id
    without = {f: {c: m for c, m in rows.items() if c != gone} for f, rows in vectors.items()}
    for dense in (
        fit_dense(profiles, without),
        fit_dense(profiles, reader(without), ArrayFolder(tmp_path), chunk=3),
    ):
        assert not dense.fields["profile"][4].any() and dense.fields["profile"][3].any()
        assert dense.offer_phrases.starts[4] == dense.offer_phrases.ends[4]
    ranker = PartnerRanker().fit(profiles, reader(without), chunk=2)
    assert [m.id for m in ranker.match(profiles[0].id)] == [
        m.id for m in PartnerRanker().fit(profiles, without).match(profiles[0].id)
    ]


def test_chunks_before_the_first_vector_are_zeros_of_the_right_width(profiles_and_vectors):
    profiles, vectors = profiles_and_vectors
    late = {p.id for p in profiles[6:]}
    only_late = {f: {c: m for c, m in rows.items() if c in late} for f, rows in vectors.items()}
    chunked = fit_dense(profiles, reader(only_late), chunk=2)
    assert_same(chunked, fit_dense(profiles, only_late))
    assert chunked.fields["offers"].shape == (len(profiles), 256)


def test_no_vectors_at_all_give_one_zero_column(profiles_and_vectors, tmp_path):
    profiles, _ = profiles_and_vectors
    for dense in (fit_dense(profiles, {}), fit_dense(profiles, {}, ArrayFolder(tmp_path), 3)):
        assert dense.dim == 1 and dense.fields["seeks"].shape == (len(profiles), 1)
        assert dense.offer_phrases.vectors.shape == (0, 1)


def test_vectors_of_another_width_are_refused_clearly(profiles_and_vectors):
    profiles, vectors = profiles_and_vectors
    odd = profiles[7].id
    mixed = {f: dict(rows) for f, rows in vectors.items()}
    mixed["profile"][odd] = np.ones((1, 384), dtype=np.float32)
    with pytest.raises(InvalidInput, match=f"vectors of {odd} have shape"):
        fit_dense(profiles, reader(mixed), chunk=4)
    with pytest.raises(InvalidInput, match="chunk size"):
        fit_dense(profiles, vectors, chunk=0)


def test_phrase_vectors_of_another_width_are_refused_in_files_too(profiles_and_vectors, tmp_path):
    """A file takes rows of any width: the check must come before the write."""
    profiles, vectors = profiles_and_vectors
    odd = next(p.id for p in profiles if p.id in vectors["offer_phrases"])
    mixed = {f: dict(rows) for f, rows in vectors.items()}
    mixed["offer_phrases"][odd] = np.ones((2, 384), dtype=np.float32)
    for out in (None, ArrayFolder(tmp_path)):
        with pytest.raises(InvalidInput, match=f"vectors of {odd} have shape"):
            fit_dense(profiles, reader(mixed), out, chunk=5)
