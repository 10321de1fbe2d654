"""What only PostgreSQL does: pgvector's nearest(), report jobs claimed with SKIP LOCKED,
several app processes on one database, and the SQLite-only commands refused clearly.

Run with MATCHMAKER_TEST_DB=postgresql (./scripts/test does, after the SQLite run);
skipped otherwise. The rest of the storage, web and CLI tests run on both engines.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from pg_server import on_postgres, pgvector_distances_work
from serving import clean_env, serving

from matchmaker import engine
from matchmaker.cli import cli
from matchmaker.fit_location import state_root
from matchmaker.ranking import Filters
from matchmaker.store import Store, StoreError

pytestmark = pytest.mark.skipif(not on_postgres(), reason="MATCHMAKER_TEST_DB=postgresql only")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def pgvector() -> None:
    if not pgvector_distances_work():
        pytest.skip("this server's pgvector dies of SIGILL computing distances on this CPU")


def _exact_nearest(store: Store, model_id: str, query: np.ndarray, k: int, keep) -> list[str]:
    rows = store.load_vectors(model_id, "profile")
    ids = [cid for cid in sorted(rows) if keep(store.get(cid))]
    matrix = np.vstack([rows[cid].vectors[0] for cid in ids])
    similarity = matrix @ query / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(query))
    return [ids[i] for i in np.argsort(-similarity, kind="stable")[:k]]


def test_nearest_agrees_with_an_exact_scan_and_applies_filters_first(
    pgvector, store, hashing_embedder
):
    model = hashing_embedder.model_id
    query = hashing_embedder.encode(["generic medicines distributor in Korea"])[0]
    found = store.nearest(model, query, k=3)
    assert [cid for cid, _ in found] == _exact_nearest(store, model, query, 3, lambda p: True)
    assert all(-1.0 <= score <= 1.0 for _, score in found)

    korean = store.nearest(model, query, k=50, filters=Filters(country="KR"))
    live_korean = [p.id for p in store.list(country="KR")]
    assert sorted(cid for cid, _ in korean) == sorted(live_korean)  # k passed, k came back
    assert [cid for cid, _ in korean] == _exact_nearest(
        store, model, query, 50, lambda p: p.country == "KR"
    )


def test_nearest_leaves_out_deleted_and_excluded_companies(pgvector, store, hashing_embedder):
    model = hashing_embedder.model_id
    query = hashing_embedder.encode(["anything at all"])[0]
    store.set_deleted("han-generics", True, actor="test")
    found = {cid for cid, _ in store.nearest(model, query, k=50, filters=Filters(
        exclude=["baltic-generics"]))}
    assert "han-generics" not in found and "baltic-generics" not in found
    assert len(found) == 8


def test_an_edit_fills_the_vector_column_of_the_new_text(store, hashing_embedder):
    profile = store.get("han-generics")
    edited = dataclasses.replace(profile, description="Zebrafish toxicology laboratory.")
    engine.save_and_embed(store, hashing_embedder, edited, "test", profile.version)
    query = hashing_embedder.encode([edited.description])[0]
    rows = store.load_vectors(hashing_embedder.model_id, "profile")
    stored = store.db.raw_execute(
        "SELECT embedding::text FROM vectors WHERE company_id = 'han-generics' "
        "AND field = 'profile'"
    ).fetchone()[0]
    assert np.allclose(json.loads(stored), rows["han-generics"].vectors[0], atol=1e-6)
    if pgvector_distances_work():
        nearest = store.nearest(hashing_embedder.model_id, query, k=1)
        assert [cid for cid, _ in nearest] == _exact_nearest(
            store, hashing_embedder.model_id, query, 1, lambda p: True
        )


def test_report_jobs_are_claimed_with_skip_locked(store):
    store.add_report_job(
        {"id": "job-1", "owner": "ann", "format": "csv", "request": "{}", "runner": "gone"}, 5
    )
    fresh = store.get_report_job("job-1")["updated_at"]
    assert store.claim_report_jobs("me", 3, "resumed", str, stale_before=fresh) == []
    again = store.claim_report_jobs("me", 3, "resumed", lambda n: f"failed after {n}")
    assert again == ["job-1"] and store.get_report_job("job-1")["runner"] == "me"
    assert [job["id"] for job in store.report_jobs_of("ann")] == ["job-1"]


def test_backup_and_restore_say_to_use_pg_dump(store, tmp_path, runner, cli_env):
    with pytest.raises(StoreError, match="pg_dump"):
        store.backup_to(tmp_path / "copy.db")
    result = runner.invoke(cli, ["backup", str(tmp_path / "copy.db")])
    assert result.exit_code == 1 and "pg_dump" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_read_command_on_a_database_never_migrated_says_to_migrate(runner, cli_env):
    result = runner.invoke(cli, ["stats"])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "has no matchmaker tables yet" in result.output and "matchmaker migrate" in result.output


def test_migrate_creates_the_schema_once(runner, cli_env):
    first = runner.invoke(cli, ["migrate"])
    assert first.exit_code == 0 and "applied 1, 2, 3" in first.output, first.output
    assert "password" not in first.output  # the URL is shown without its password
    second = runner.invoke(cli, ["migrate"])
    assert second.exit_code == 0 and "up to date" in second.output


def _scores(base: str, text: str) -> dict[str, float]:
    """Every Korean company's score for a text search, as one server ranks it now."""
    query = urllib.parse.urlencode({"q": text, "country": "KR", "top": 50})
    with urllib.request.urlopen(f"{base}/api/search?{query}", timeout=10) as response:
        return {m["id"]: m["score"] for m in json.load(response)}


def test_two_app_processes_see_each_others_edits_through_the_data_revision(
    store, tmp_db_path, hashing_embedder, tmp_path
):
    """Two ``matchmaker serve`` processes on one database: an edit saved by another process
    (as an app process saves it: written and embedded) shows in both servers' searches
    within seconds, through the revision each request reads."""
    command = [sys.executable, "-m", "matchmaker"]
    env = clean_env(MATCHMAKER_MODEL="hashing", MATCHMAKER_VECTOR_INDEX="none")
    words = "zebrafish toxicology screening"
    with serving(command, tmp_db_path, env, ROOT) as first, serving(
        command, tmp_db_path, env, ROOT
    ) as second:
        before = _scores(first, words)["han-generics"]
        assert _scores(second, words)["han-generics"] == before
        profile = store.get("han-generics")
        edited = dataclasses.replace(profile, description=f"{words.capitalize()} laboratory.")
        engine.save_and_embed(store, hashing_embedder, edited, "editor", profile.version)
        saved = time.monotonic()
        seen: dict[str, float] = {}
        while len(seen) < 2 and time.monotonic() - saved < 30:
            for name, base in (("first", first), ("second", second)):
                if name not in seen and _scores(base, words)["han-generics"] != before:
                    seen[name] = time.monotonic() - saved
            time.sleep(0.05)
    print(f"edit visible after: {seen}")
    assert set(seen) == {"first", "second"}, seen
    assert max(seen.values()) < 5.0, seen  # about 0.1-0.5 s on an idle machine
    # the servers saved their fit in the test's folder, never the user's cache (clean_env)
    fits = Path(os.environ["MATCHMAKER_FIT_DIR"])  # the session's (conftest.fit_folder)
    assert fits.parent == tmp_path.parent, fits  # pytest's folder, not ~/.cache
    assert state_root(str(tmp_db_path)).is_dir(), "no fit saved in the test's folder"


def _hold_every_connection(url: str) -> list:
    """Take the pool's connections until none is left (the store fixture holds one)."""
    from matchmaker.store import postgres

    pool = postgres.pool_for(url)
    stats = pool.get_stats()
    in_use = stats.get("pool_size", 0) - stats.get("pool_available", 0)
    return [postgres.PgDatabase(url) for _ in range(pool.max_size - in_use)]


def test_an_exhausted_pool_is_busy_not_a_crash(store, tmp_db_path, monkeypatch):
    """Every pooled connection in use: a BusyError (503, "try again") after a short wait,
    not psycopg_pool's PoolTimeout (a 500), and the pool works again once one is back."""
    from matchmaker.store import BusyError, postgres

    monkeypatch.setattr(postgres, "POOL_WAIT_S", 0.3)
    held = _hold_every_connection(str(tmp_db_path))
    try:
        with pytest.raises(BusyError, match="MATCHMAKER_DB_POOL"):
            postgres.PgDatabase(str(tmp_db_path))
    finally:
        for db in held:
            db.close()
    assert Store.open(str(tmp_db_path)).stats()["companies"] == 10


def test_serve_makes_the_pool_at_least_its_threads_plus_two(monkeypatch):
    from matchmaker.store import postgres

    monkeypatch.setattr(postgres, "_minimum_pool_size", 1)
    monkeypatch.setenv("MATCHMAKER_DB_POOL", "10")
    assert postgres.pool_size() == 10
    postgres.reserve_connections(16 + 2)
    assert postgres.pool_size() == 18


def _drop_every_connection(url: str) -> None:
    """What a server restart does to a process's pool: every connection is cut."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def test_connections_the_server_dropped_are_an_error_then_replaced(store, tmp_db_path):
    """A connection cut under a store (server restart): its next query is the store's
    DatabaseFileError (a 503), not psycopg's raw OperationalError (a 500); the pool's
    idle connections are checked when handed out, so the next request just works."""
    from matchmaker.store import DatabaseFileError

    second = Store.open(str(tmp_db_path))
    _drop_every_connection(str(tmp_db_path))
    with pytest.raises(DatabaseFileError, match="cannot use the database"):
        list(store.db.query("SELECT COUNT(*) AS n FROM companies"))
    with pytest.raises(DatabaseFileError, match="cannot use the database"):
        second.db.executemany("UPDATE meta SET value = ? WHERE key = ?", [("x", "none")])
    store.close()
    second.close()
    for _ in range(3):  # every idle pooled connection is dead too: each is replaced
        reopened = Store.open(str(tmp_db_path))
        assert reopened.stats()["companies"] == 10
        reopened.close()


def test_a_server_that_refuses_writes_is_the_store_s_error_not_a_500(store, tmp_db_path):
    """A read-only server (a standby) raises ReadOnlySqlTransaction, an InternalError:
    once the web app stopped treating every psycopg error as a 503, it became a 500."""
    from matchmaker.store import DatabaseFileError

    url = str(tmp_db_path)
    option = "options=-c%20default_transaction_read_only%3Don"
    read_only = url + ("&" if "?" in url else "?") + option
    standby = Store.open(read_only, migrate=False)
    try:
        assert standby.stats()["companies"] == 10  # reads work
        with pytest.raises(DatabaseFileError, match="refuses this .*nothing was written"):
            standby.add_user("reader", "not-a-real-hash")
    finally:
        standby.close()
    assert store.get_user("reader") is None


HOLD_LEASE = """
import sys, time
from matchmaker.store import Store
store = Store.open(sys.argv[1])
store.take_embedding_lease("another-host:4242")
print("holding", flush=True)
time.sleep(600)
"""


def test_a_lease_held_by_a_killed_importer_on_another_host_is_dead(store, tmp_db_path):
    """The lease names a process on another host, which no pid check can reach: on
    PostgreSQL its advisory lock says whether it lives. A real process takes the lease
    and is killed with SIGKILL; the server's refresh must stop waiting for it."""
    import os
    import signal
    import subprocess

    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_LEASE, str(tmp_db_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "holding"
        assert store.embedding_lease() == "another-host:4242"
        assert engine.embedding_lease_state(store) == "alive"
        assert engine.embedding_lease_state(store) == "alive"  # testing it did not take it
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        deadline = time.monotonic() + 10
        while engine.embedding_lease_state(store) != "dead" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert engine.embedding_lease_state(store) == "dead"
    finally:
        child.kill()
        child.wait()


def test_restore_on_postgresql_refuses_before_showing_the_url(tmp_path, runner, monkeypatch):
    """The confirm prompt used to print MATCHMAKER_DB, password included, and only then
    refuse; now the refusal comes first and no message carries the password."""
    backup = tmp_path / "backup.db"
    Store.open(backup, create=True).close()  # a real, migrated SQLite backup
    monkeypatch.setenv("MATCHMAKER_DB", "postgresql://ann:s3cret-pw@db.invalid:5432/matchmaker")
    result = runner.invoke(cli, ["restore", str(backup)], input="n\n")
    assert result.exit_code == 1 and "pg_dump" in result.output, result.output
    assert "s3cret-pw" not in result.output and "Replace" not in result.output


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://ann:s3cret-pw@db.internal/matchmaker",
        "postgres://ann:s3cret-pw@db.internal:5432/matchmaker?sslmode=require",
        "postgresql://db.internal/matchmaker?user=ann&password=s3cret-pw",
        "postgresql://ann@db.internal/matchmaker?sslmode=verify-full&sslpassword=s3cret-pw",
    ],
)
def test_database_urls_are_shown_without_their_password(url):
    from matchmaker.store.connection import shown

    assert "s3cret-pw" not in shown(url) and "db.internal" in shown(url)


def test_the_name_lookup_benchmark_prints_a_kept_database_without_its_password(
    tmp_db_path, tmp_path, capsys
):
    """``name_lookup --db URL`` says which database it builds, then reuses; a password in
    the URL must not reach the terminal (nor a figure pasted into docs/benchmarks.md)."""
    if str(ROOT) not in sys.path:  # benchmarks/ is not an installed package
        sys.path.insert(0, str(ROOT))
    from benchmarks import name_lookup

    url = f"{tmp_db_path}{'&' if '?' in str(tmp_db_path) else '?'}password=s3cret-pw"
    argv = ["--engine", "postgresql", "--db", url, "--sizes", "60", "--repeat", "1"]
    argv += ["--upsert-sample", "5", "--skip-baseline", "--tmp", str(tmp_path)]
    name_lookup.main(argv)  # builds the kept database
    name_lookup.main(argv)  # reuses it
    out = capsys.readouterr().out
    assert "reusing postgresql://" in out and "s3cret-pw" not in out
