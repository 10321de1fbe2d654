"""The pgvector index is built after the vectors' write commits, outside the write lock.

Run with MATCHMAKER_TEST_DB=postgresql. Building an HNSW graph over many vectors takes
minutes; inside the store's write lock every edit and import would wait for it. Here
the build runs with ``CREATE INDEX CONCURRENTLY`` after the commit: the test holds
the build up (an older transaction it must wait for) and checks that another writer
writes meanwhile.

Where this server's pgvector dies of SIGILL computing distances (pg_server.py: no
AVX-512), the same partial index is built as a B-tree instead of HNSW: what is
tested is when, how and by whom the index is built, which is the same statement
but for its access method. With a working pgvector the real HNSW index is built.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import psycopg
import pytest
from pg_server import on_postgres, pgvector_distances_work, shorten_busy_timeout

from matchmaker.store import Store, pg_vectors
from matchmaker.store.records import VectorRow

pytestmark = pytest.mark.skipif(not on_postgres(), reason="MATCHMAKER_TEST_DB=postgresql only")

MODEL, DIM = "index-test-model", 16


@pytest.fixture(autouse=True)
def vector_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """MATCHMAKER_VECTOR_INDEX=hnsw; a B-tree in its place where pgvector cannot run here."""
    monkeypatch.setenv("MATCHMAKER_VECTOR_INDEX", "hnsw")
    if not pgvector_distances_work():
        monkeypatch.setattr(pg_vectors, "_index_statement", _btree_statement)


def _btree_statement(kind: str, name: str, model_id: str, dim: int) -> str:
    literal = model_id.replace("'", "''")
    return (
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON vectors (company_id) "
        f"WHERE model_id = '{literal}' AND field = '{pg_vectors.NEAREST_FIELD}'"
    )


def _rows(store: Store, count: int = 5) -> list[VectorRow]:
    """One profile vector each for ``count`` companies (random: only the index is tested)."""
    vectors = np.random.default_rng(0).normal(size=(count, DIM)).astype(np.float32)
    return [
        VectorRow(profile.id, "profile", f"h{i}", vectors[i : i + 1], ["text"])
        for i, profile in enumerate(store.list()[:count])
    ]


def _index() -> str:
    return pg_vectors._index_name(MODEL, DIM, "hnsw")


def test_saving_vectors_builds_the_index_once_committed(store):
    assert store._index_valid(_index()) is None
    store.save_vectors(MODEL, _rows(store))
    assert store._index_valid(_index()) is True
    store.save_vectors(MODEL, _rows(store, 2))  # already there: nothing to build
    assert store._index_valid(_index()) is True


def test_other_writers_write_while_the_index_builds(store, tmp_db_path):
    """The build waits for an older transaction; an edit meanwhile takes the write lock."""
    rows = _rows(store)
    older = psycopg.connect(str(tmp_db_path))  # a long read, as a report's would be
    older.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ  # one snapshot throughout
    older.execute("SELECT count(*) FROM companies").fetchone()
    failures: list[BaseException] = []

    def save() -> None:
        try:
            with Store.open(tmp_db_path, migrate=False) as builder:
                builder.save_vectors(MODEL, rows)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)

    saver = threading.Thread(target=save)
    saver.start()
    try:
        _wait_for_the_build(str(tmp_db_path))
        with Store.open(tmp_db_path, migrate=False) as writer:
            shorten_busy_timeout(writer, 2000)
            profile = writer.get(rows[0].company_id)
            edited = profile.__class__(**{**vars(profile), "offers": "EU-GMP tablets"})
            writer.upsert_many([edited], actor="editor")  # not queued behind the build
            assert store._index_valid(_index()) is False  # still building
    finally:
        older.rollback()
        older.close()
        saver.join(timeout=120)
    assert not saver.is_alive() and failures == []
    assert store._index_valid(_index()) is True
    assert store.get(rows[0].company_id).offers == "EU-GMP tablets"


def _wait_for_the_build(url: str, limit: float = 60) -> None:
    """Until another session runs CREATE INDEX CONCURRENTLY (and waits on our transaction)."""
    deadline = time.monotonic() + limit
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            found = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                " AND query LIKE 'CREATE INDEX CONCURRENTLY%%'"
            ).fetchone()[0]
            if found:
                return
            time.sleep(0.05)
    raise AssertionError("no concurrent index build started")


def test_an_interrupted_build_is_dropped_and_built_again(store):
    store.save_vectors("another-model", _rows(store))  # rows to make a unique index fail on
    with (
        psycopg.connect(str(store.path), autocommit=True) as conn,
        pytest.raises(psycopg.errors.UniqueViolation),  # and an invalid index is left behind
    ):
        conn.execute(f"CREATE UNIQUE INDEX CONCURRENTLY {_index()} ON vectors (model_id)")
    assert store._index_valid(_index()) is False
    assert store.ensure_vector_index(MODEL, DIM) == _index()
    assert store._index_valid(_index()) is True


def test_an_index_another_process_is_building_is_left_to_it(store, tmp_db_path):
    with Store.open(tmp_db_path, migrate=False) as other, other._index_builder(_index()) as ours:
        assert ours
        assert store.ensure_vector_index(MODEL, DIM) is None  # no wait, no second build
        assert store._index_valid(_index()) is None
    assert store.ensure_vector_index(MODEL, DIM) == _index()


def test_no_index_is_built_inside_a_callers_transaction(store):
    with store._immediate():
        assert store.ensure_vector_index(MODEL, DIM) is None
    assert store._index_valid(_index()) is None
