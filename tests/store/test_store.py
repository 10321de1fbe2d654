"""The SQLite store: pragmas, migrations, atomic writes, stale edits, soft delete,
durability seen from a second connection.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
import time

import numpy as np
import pytest
from pg_server import WriteLockHolder, integrity_errors, shorten_busy_timeout

from matchmaker import engine
from matchmaker.embedding import HashingEmbedder
from matchmaker.judgements import Judgement, JudgementInputError
from matchmaker.profiles import validate_profile
from matchmaker.ranking import Filters
from matchmaker.store import (
    BUSY_TIMEOUT_MS,
    MIGRATIONS,
    BusyError,
    NotFoundError,
    StaleEditError,
    Store,
    StoreError,
    VectorRow,
    connect,
)
from matchmaker.store import schema as store_module
from matchmaker.texts import FIELDS

MODEL = HashingEmbedder.model_id


def fictional(company_id: str, **fields):
    return validate_profile(
        {
            "id": company_id,
            "name": f"{company_id} (fictional)",
            "country": "LV",
            "description": "Fictional company for store tests.",
            "offers": "tablets",
            "source": "test fixture (fictional)",
            **fields,
        }
    )


# -- connection and schema ----------------------------------------------------------


@pytest.mark.sqlite_only
def test_every_connection_sets_wal_busy_timeout_and_foreign_keys(store, tmp_db_path):
    for conn in (store.db.conn, connect(tmp_db_path)):
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_foreign_keys_are_enforced(store):
    orphan = VectorRow("no-such-company", "profile", "h", np.zeros((1, 4), np.float32), ["x"])
    with pytest.raises(integrity_errors()):
        store.save_vectors(MODEL, [orphan])


def test_migrations_are_safe_to_rerun(store, tmp_db_path, db_dump):
    before = db_dump(store)
    assert store.migrate() == []
    with Store.open(tmp_db_path) as again:
        assert again.migrate() == []
        versions = [r[0] for r in again.db.execute("SELECT version FROM migrations")]
    assert versions == [v for v, _ in MIGRATIONS]
    assert db_dump(store) == before


def test_a_migration_may_be_a_named_function_run_once_in_its_own_transaction(
    store, tmp_db_path, monkeypatch
):
    """SQL text and functions mix in MIGRATIONS; a failing step leaves nothing behind."""
    calls = []

    def add_notes(conn):
        calls.append(1)
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")

    def half_done(conn):
        conn.execute("CREATE TABLE half (id INTEGER)")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store_module, "MIGRATIONS", [*MIGRATIONS, (901, add_notes)])
    assert store.migrate() == [901]
    assert store.migrate() == [] and calls == [1]
    assert store.db["notes"].exists()
    monkeypatch.setattr(store_module, "MIGRATIONS", [*store_module.MIGRATIONS, (902, half_done)])
    with pytest.raises((StoreError, sqlite3.Error)):
        store.migrate()
    assert not store.db["half"].exists()
    assert 902 not in {r[0] for r in store.db.execute("SELECT version FROM migrations")}


def test_a_new_database_is_migrated_on_open(tmp_path):
    path = tmp_path / "nested" / "dir" / "new.db"
    with Store.open(path, create=True) as db:
        assert db.list() == [] and db.revision() == 0
    assert path.exists()


def test_a_missing_database_is_refused_without_create(tmp_path):
    path = tmp_path / "missing.db"
    with pytest.raises(StoreError, match="no database at"):
        Store.open(path)
    assert not path.exists()


@pytest.mark.parametrize("content", [b"hello, this is not a database\n" * 50, b"\x00" * 4096])
def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path, content):
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    with pytest.raises(StoreError, match="cannot open the database"):
        Store.open(path)
    assert path.read_bytes() == content


# -- writes --------------------------------------------------------------------------


def test_upsert_many_is_one_transaction(store, tmp_db_path, db_dump):
    """A row the database refuses mid-batch rolls back the rows before it."""
    before = db_dump(store)
    good = [fictional("txn-a"), fictional("txn-b")]
    bad = dataclasses.replace(fictional("txn-c"), country="XX")  # bypasses validation
    with pytest.raises(integrity_errors()):
        store.upsert_many([*good, bad], actor="test")
    assert db_dump(store) == before
    with Store.open(tmp_db_path) as other:
        assert not other.exists("txn-a")
    store.upsert_many(good, actor="test")  # the connection is still usable
    assert store.exists("txn-b")


def test_revision_moves_only_on_real_changes(store, mini_profiles):
    revision = store.revision()
    store.upsert_many(mini_profiles, actor="test")
    assert store.revision() == revision
    store.save(dataclasses.replace(mini_profiles[0], city="Jūrmala"), actor="test")
    assert store.revision() == revision + 1


def test_save_records_who_changed_what(store):
    profile = store.get("vidzeme-wood")
    saved = store.save(
        dataclasses.replace(profile, city="Valmiera", employees=120),
        actor="anna",
        expected_version=profile.version,
    )
    assert saved.version == profile.version + 1 and saved.city == "Valmiera"
    entry = store.history("vidzeme-wood")[0]
    assert (entry["actor"], entry["action"]) == ("anna", "edit")
    assert entry["changed"] == ["city", "employees"]
    assert entry["before"] == {"city": "Cēsis", "employees": None}
    assert entry["after"] == {"city": "Valmiera", "employees": 120}


def test_saving_an_unchanged_profile_is_a_no_op(store, db_dump):
    before = db_dump(store)
    profile = store.get("vidzeme-wood")
    assert store.save(profile, actor="anna", expected_version=profile.version) == profile
    assert db_dump(store) == before


def test_a_stale_edit_is_refused(store, db_dump):
    loaded = store.get("jeju-cosmetics")
    store.save(dataclasses.replace(loaded, city="Seogwipo"), actor="first")
    before = db_dump(store)
    with pytest.raises(StaleEditError) as info:
        store.save(
            dataclasses.replace(loaded, city="Jeju City"),
            actor="second",
            expected_version=loaded.version,
        )
    assert (info.value.expected, info.value.actual) == (loaded.version, loaded.version + 1)
    assert "reload" in str(info.value)
    assert db_dump(store) == before
    assert store.get("jeju-cosmetics").city == "Seogwipo"
    with pytest.raises(StaleEditError):
        store.set_deleted("jeju-cosmetics", True, actor="second", expected_version=loaded.version)
    assert not store.is_deleted("jeju-cosmetics")


def test_create_refuses_a_taken_id(store, db_dump):
    before = db_dump(store)
    with pytest.raises(StoreError, match="already exists"):
        store.create(fictional("vidzeme-wood"), actor="test")
    assert db_dump(store) == before
    created = store.create(fictional("brand-new"), actor="test")
    assert created.version == 1 and created.created_at == created.updated_at
    assert store.history("brand-new")[0]["action"] == "create"


def test_a_busy_database_waits_instead_of_failing(store, tmp_db_path):
    """busy_timeout: a writer waits for another process's write lock to go away."""
    holder = WriteLockHolder(tmp_db_path)
    release = threading.Timer(0.3, holder.commit)
    release.start()
    try:
        started = time.monotonic()
        store.save(fictional("waited"), actor="test")
        assert time.monotonic() - started >= 0.2  # it really did wait for the lock
    finally:
        release.join()
        holder.close()
    assert store.exists("waited")


def test_a_lock_held_past_the_busy_timeout_is_a_clear_store_error(store, tmp_db_path, db_dump):
    before = db_dump(store)
    shorten_busy_timeout(store, 100)  # instead of waiting the full 5 s
    holder = WriteLockHolder(tmp_db_path)
    try:
        with pytest.raises(BusyError, match="busy with another write.*try again"):
            store.save(fictional("never-written"), actor="test")
    finally:
        holder.rollback()
        holder.close()
    assert db_dump(store) == before
    store.save(fictional("written-later"), actor="test")  # the connection is still usable
    assert store.exists("written-later")


# -- soft delete ---------------------------------------------------------------------


def test_soft_delete_hides_a_profile_everywhere_but_history(store, hashing_embedder):
    store.set_deleted("seoul-pharma-distribution", True, actor="curator")
    assert "seoul-pharma-distribution" not in {p.id for p in store.list()}
    with pytest.raises(NotFoundError):
        store.get("seoul-pharma-distribution")
    deleted = store.get("seoul-pharma-distribution", include_deleted=True)
    assert [p.id for p in store.list(deleted_only=True)] == ["seoul-pharma-distribution"]
    assert "seoul-pharma-distribution" not in store.load_vectors(MODEL, "profile")
    assert [e["action"] for e in store.history("seoul-pharma-distribution")] == [
        "delete",
        "import",
    ]
    assert store.stats()["deleted"] == 1 and store.stats()["companies"] == 9

    ranker = engine.build_ranker(store, hashing_embedder)
    ids = {m.id for m in ranker.match("baltic-generics", top=50)}
    ids |= {m.id for m in ranker.query("pharmacy distribution", country="KR", top=50).matches}
    ids |= {m.id for m in ranker.similar("baltic-generics", top=50, filters=Filters())}
    assert "seoul-pharma-distribution" not in ids

    restored = store.set_deleted("seoul-pharma-distribution", False, actor="curator")
    assert restored.version == deleted.version + 1
    assert store.get("seoul-pharma-distribution").content() == deleted.content()
    assert store.history("seoul-pharma-distribution")[0]["action"] == "restore"


def test_reimporting_a_deleted_profile_restores_it(store, mini_profiles):
    store.set_deleted("vidzeme-wood", True, actor="curator")
    summary = store.upsert_many(mini_profiles, actor="import")
    assert summary.changed_ids == ["vidzeme-wood"] and summary.unchanged == 9
    assert not store.is_deleted("vidzeme-wood")
    assert store.history("vidzeme-wood")[0]["action"] == "restore"


def test_unknown_ids_are_not_found(store):
    with pytest.raises(NotFoundError, match="no company with id 'nope'"):
        store.get("nope")
    with pytest.raises(NotFoundError):
        store.set_deleted("nope", True, actor="test")


# -- durability --------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_writes_are_visible_from_a_second_connection_after_closing(tmp_db_path, mini_profiles):
    with Store.open(tmp_db_path, create=True) as first:
        first.upsert_many(mini_profiles, actor="writer")
        first.save(dataclasses.replace(mini_profiles[0], city="Ogre"), actor="writer")
        first.save_vectors(
            MODEL,
            [
                VectorRow(
                    "baltic-generics", "profile", "h1", np.eye(2, 3, dtype=np.float32), ["a", "b"]
                )
            ],
        )
    raw = sqlite3.connect(tmp_db_path)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert raw.execute("SELECT COUNT(*) FROM companies").fetchone()[0] == 10
        assert raw.execute(
            "SELECT city FROM companies WHERE id = 'baltic-generics'"
        ).fetchone() == ("Ogre",)
    finally:
        raw.close()
    with Store.open(tmp_db_path) as second:
        assert {p.id for p in second.list()} == {p.id for p in mini_profiles}
        assert second.get("baltic-generics").version == 2
        row = second.load_vectors(MODEL, "profile")["baltic-generics"]
        assert np.array_equal(row.vectors, np.eye(2, 3, dtype=np.float32)) and row.texts == [
            "a",
            "b",
        ]


def test_vectors_round_trip_exactly(store, hashing_embedder):
    texts = FIELDS["offer_phrases"](store.get("riga-clinical-research"))
    stored = store.load_vectors(MODEL, "offer_phrases")["riga-clinical-research"]
    assert stored.vectors.dtype == np.float32 and len(texts) == 3
    assert np.array_equal(stored.vectors, hashing_embedder.encode(texts))
    assert stored.texts == texts


def test_stats_count_what_users_see(store):
    figures = store.stats(model_id=MODEL)
    assert figures["companies"] == 10
    assert figures["by_country"] == {"LV": 4, "KR": 6}
    assert figures["incomplete"] == 1  # quiet-holding states neither offers nor seeks
    assert figures["embedded_companies"] == 10
    assert figures["audit_entries"] == 10 and figures["deleted"] == 0


# -- staff judgements of matches ---------------------------------------------------------


def test_every_grade_is_kept_and_the_newest_is_current(store):
    store.add_judgement(Judgement("KR", "han-generics", 1, "baltic-generics"), "ann")
    store.add_judgement(Judgement("KR", "han-generics", 0, "baltic-generics"), "ben")
    store.add_judgement(Judgement("KR", "han-generics", 2, query_text="generic tablets"), "ann")
    current = store.current_judgements()
    assert [(r["query_company"], r["query_text"], r["grade"], r["actor"]) for r in current] == [
        ("baltic-generics", None, 0, "ben"),
        (None, "generic tablets", 2, "ann"),
    ]
    assert store.db["judgements"].count == 3
    assert [r["grade"] for r in store.current_judgements("baltic-generics", None, "KR")] == [0]
    assert store.current_judgements("baltic-generics", None, "LV") == []


@pytest.mark.parametrize(
    ("judgement", "error", "message"),
    [
        (Judgement("KR", "nobody", 1, "baltic-generics"), NotFoundError, "no company"),
        (Judgement("KR", "han-generics", 1, "nobody"), NotFoundError, "no company"),
        (Judgement("LV", "han-generics", 1, "baltic-generics"), JudgementInputError, "not in LV"),
    ],
)
def test_a_grade_for_an_unknown_or_misplaced_company_writes_nothing(
    store, db_dump, judgement, error, message
):
    before = db_dump(store)
    with pytest.raises(error, match=message):
        store.add_judgement(judgement, "ann")
    assert db_dump(store) == before


def test_the_database_refuses_a_grade_outside_the_scale(store):
    with pytest.raises(integrity_errors()):
        store.db.execute(
            "INSERT INTO judgements (query_text, target_country, candidate_id, grade, actor,"
            " created_at) VALUES ('x', 'KR', 'han-generics', 3, 'ann', 'now')"
        )


def test_a_database_from_before_judgements_gets_the_table_on_open(tmp_db_path):
    with Store.open(tmp_db_path, create=True) as old:
        old.db.execute("DROP TABLE judgements")
        old.db.execute("DELETE FROM migrations WHERE version = 2")
        old.db.conn.commit()
    with Store.open(tmp_db_path) as reopened:
        assert reopened.current_judgements() == []


def test_grades_of_a_deleted_company_leave_the_set_and_come_back_on_restore(store):
    store.add_judgement(Judgement("KR", "han-generics", 2, "baltic-generics"), "ann")
    store.add_judgement(Judgement("KR", "seoul-pharma-distribution", 1, query_text="x"), "ann")
    query = store.set_deleted("baltic-generics", True, "ann")
    candidate = store.set_deleted("seoul-pharma-distribution", True, "ann")
    assert store.current_judgements() == []
    with pytest.raises(NotFoundError):
        store.add_judgement(Judgement("KR", "han-generics", 1, "baltic-generics"), "ann")
    store.set_deleted("baltic-generics", False, "ann", expected_version=query.version)
    store.set_deleted("seoul-pharma-distribution", False, "ann", expected_version=candidate.version)
    assert len(store.current_judgements()) == 2
