"""The memory-bounded fit saves what a fit in memory followed by a save does (issue 14).

``fitted_state.fit_and_save`` reads vectors a chunk at a time and writes the
field matrices and phrase tables straight into the saved-fit folder
(ranking.dense_fit). Here both ways run on the same data, with real stores, the
hashing embedder and real files: every saved file must be equal byte for byte
(the approximate index aside: usearch builds it on several threads, and two
builds of the same vectors differ even with the in-memory fit), and the loaded
fits must answer ``match`` and ``query`` alike, on the shipped profiles and on
1,500 synthetic ones read from a generator of chunks.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from pathlib import Path

import numpy as np
import pytest
from databases import copy_database
from mapped_arrays import memory_mapped

from matchmaker import engine, fitted_state
from matchmaker.embedding import HashingEmbedder
from matchmaker.errors import NotFound
from matchmaker.importing import parse_file
from matchmaker.ranking import PartnerRanker
from matchmaker.ranking.incremental import apply_changes
from matchmaker.store import Store

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benchmarks/ is not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import synthetic  # noqa: E402

SHIPPED = ROOT / "data" / "companies.jsonl"
#: the approximate indexes: built on several threads, never the same bytes twice
NOT_COMPARED = ".usearch"


def saved_files(folder: Path) -> dict[str, str]:
    """Every file of a saved fit (path under the folder -> SHA-256), the index aside."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.endswith(NOT_COMPARED)
    }


def answers(ranker: PartnerRanker, ids: list[str], texts: list[tuple[str, str]]) -> list:
    """Everything match and query show: ids, scores, parts, reasons, in order."""
    matched = [[vars(m) for m in ranker.match(cid, top=10)] for cid in ids]
    queried = [
        [vars(m) for m in ranker.query(text, country=country, top=10).matches]
        for text, country in texts
    ]
    return [matched, queried]


@pytest.fixture(scope="module")
def shipped_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("shipped-hashing") / "shipped.db"
    with Store.open(path, create=True) as db:
        engine.import_profiles(db, HashingEmbedder(), parse_file(SHIPPED), actor="test")
    return path


@pytest.fixture
def shipped(shipped_db, tmp_path) -> Path:
    """A copy of the shipped-profiles database of its own, with no saved fit yet."""
    return copy_database(shipped_db, tmp_path / "shipped.db")


@pytest.mark.parametrize("mapped_bytes", [0, fitted_state.MAPPED_BYTES])
def test_the_bounded_fit_saves_the_same_folder_on_the_shipped_data(
    shipped, hashing_embedder, tmp_path, monkeypatch, mapped_bytes
):
    """0: every array through a file (the shipped arrays are small); the default: the
    small ones kept in the pickle, as a save keeps them."""
    monkeypatch.setattr(fitted_state, "MAPPED_BYTES", mapped_bytes)
    with Store.open(shipped) as store:
        revision = store.revision()
        in_memory = engine.build_ranker(store, hashing_embedder)
        before = fitted_state.save(in_memory, tmp_path / "in-memory.db", revision)
        bounded, folder = fitted_state.fit_and_save(
            PartnerRanker(embedder=hashing_embedder),
            store.list(),
            engine.vector_source(store, hashing_embedder.model_id),
            store.path,
            revision,
            chunk=7,  # 102 companies: 15 chunks, the last one short
        )
        assert folder is not None and folder.parent == fitted_state.state_root(shipped)
        assert saved_files(folder) == saved_files(before)
        loaded = engine.load_saved_ranker(store, hashing_embedder, revision)
        assert loaded is not None
    ids = [p.id for p in in_memory.profiles_]
    texts = [("Korean distributor for our PCR kits", "KR"), ("EU clinical trial sites", "LV")]
    expected = answers(in_memory, ids, texts)
    assert answers(bounded, ids, texts) == expected  # as fitted, arrays mapped from the files
    assert answers(loaded, ids, texts) == expected  # as the next process loads it


def test_build_ranker_saves_as_it_fits_and_returns_the_loaded_copy(shipped, hashing_embedder):
    with Store.open(shipped) as store:
        revision = store.revision()
        ranker = engine.build_ranker(store, hashing_embedder, saved_as=revision)
        saved = list(fitted_state.state_root(shipped).iterdir())
        assert [p.name.startswith(f"r{revision}-") for p in saved] == [True]
        assert not any(p.name.startswith("fit-") for p in (saved[0] / "arrays").iterdir())
        assert type(ranker.offer_phrases_.vectors) is np.ndarray  # the loaded copy: a view
        assert memory_mapped(ranker.offer_phrases_.vectors)  # of the mapped file
        top = ranker.match("grindeks", top=5)
        assert top == engine.build_ranker(store, hashing_embedder).match("grindeks", top=5)


def test_a_fit_the_database_moved_past_is_not_saved(shipped, hashing_embedder):
    with Store.open(shipped) as store:
        ranker = engine.build_ranker(
            store, hashing_embedder, saved_as=store.revision(), keep_if=lambda: False
        )
        assert ranker.match("grindeks", top=3)  # still ranks, from the unlinked files
    root = fitted_state.state_root(shipped)
    assert not root.is_dir() or list(root.iterdir()) == []


def test_a_bounded_fit_takes_edits_like_any_fit(shipped, hashing_embedder):
    """Its arrays are mapped read-only: an update copies them instead of writing in."""
    with Store.open(shipped) as store:
        revision = store.revision()
        fitted, _ = fitted_state.fit_and_save(
            PartnerRanker(embedder=hashing_embedder),
            store.list(),
            engine.vector_source(store, hashing_embedder.model_id),
            store.path,
            revision,
        )
        grindeks = store.get("grindeks")
        vectors = store.load_vectors_of(hashing_embedder.model_id, ["grindeks"])
    before = fitted.match("grindeks", top=5)
    updated = apply_changes(fitted, [grindeks], [], vectors)
    assert updated.match("grindeks", top=5) == before
    assert fitted.match("grindeks", top=5) == before


def test_a_generator_of_synthetic_chunks_saves_what_one_dict_does(hashing_embedder, tmp_path):
    """1,500 profiles read 400 at a time from a generator (never one dict of all), the
    approximate index built from the mapped arrays (approximate_from=0)."""
    profiles = synthetic.make_profiles(1500, seed=5)
    vectors = synthetic.make_vectors(profiles, hashing_embedder, sample=100)
    chunks = synthetic.vector_chunks(profiles, hashing_embedder, sample=100)
    one = profiles[100:103] + profiles[1400:1402]
    assert _same(chunks(one), vectors, one)
    in_memory = PartnerRanker(embedder=hashing_embedder, approximate_from=0).fit(
        profiles, vectors
    )
    before = fitted_state.save(in_memory, tmp_path / "one-dict.db", 1)
    bounded, folder = fitted_state.fit_and_save(
        PartnerRanker(embedder=hashing_embedder, approximate_from=0),
        profiles,
        chunks,
        tmp_path / "chunks.db",
        1,
        chunk=400,
    )
    assert list((folder / "first_stage").glob("*.usearch"))
    assert saved_files(folder) == saved_files(before)
    ids = [p.id for p in profiles[::100]]
    texts = [("cold chain logistics partner in Korea", "KR")]
    assert answers(bounded, ids, texts) == answers(in_memory, ids, texts)


def _same(found, vectors, part) -> bool:
    """The chunk's vectors equal the whole dict's rows of those profiles, field by field."""
    return all(
        set(found[f]) == {p.id for p in part if p.id in rows}
        and all(np.array_equal(found[f][cid], rows[cid]) for cid in found[f])
        for f, rows in vectors.items()
    )


def test_no_profiles_is_refused_alike(hashing_embedder, tmp_path):
    for fit in (
        lambda: PartnerRanker(embedder=hashing_embedder).fit([], {}),
        lambda: fitted_state.fit_and_save(
            PartnerRanker(embedder=hashing_embedder), [], {}, tmp_path / "x.db", 1
        ),
    ):
        with pytest.raises(NotFound, match="no companies to rank"):
            fit()
    assert [p.name for p in (tmp_path / "x.db.fitted").iterdir()] == []  # no leftovers


def test_an_empty_phrase_table_is_saved_as_a_save_writes_it(
    shipped, hashing_embedder, tmp_path, monkeypatch
):
    """No company seeks anything: the seek phrase table has no rows."""
    monkeypatch.setattr(fitted_state, "MAPPED_BYTES", 0)  # even empty arrays get files
    with Store.open(shipped) as store:
        profiles = [dataclasses.replace(p, seeks="") for p in store.list()]
        vectors = engine.load_vectors(store, hashing_embedder.model_id)
    vectors = {f: rows for f, rows in vectors.items() if f not in ("seeks", "seek_phrases")}
    in_memory = PartnerRanker(embedder=hashing_embedder).fit(profiles, vectors)
    assert in_memory.seek_phrases_.vectors.shape[0] == 0
    before = fitted_state.save(in_memory, tmp_path / "in-memory.db", 1)
    _, folder = fitted_state.fit_and_save(
        PartnerRanker(embedder=hashing_embedder), profiles, vectors, tmp_path / "b.db", 1, chunk=9
    )
    assert saved_files(folder) == saved_files(before)
