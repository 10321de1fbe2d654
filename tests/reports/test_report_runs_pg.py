"""Chunk claims on PostgreSQL: ``FOR UPDATE SKIP LOCKED``, outside the store's write lock.

Run with ``MATCHMAKER_TEST_DB=postgresql``. The end-to-end runs (two workers give the
one-process bytes, a killed run resumes to them) are in test_report_runs.py and run
on either engine; these are the behaviours only PostgreSQL's claim has: a chunk
another worker's claim has locked is skipped, not waited for, and a claim does not
queue behind the write lock that edits and imports take.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import psycopg
import pytest
from pg_server import WriteLockHolder, on_postgres, shorten_busy_timeout

from matchmaker.store import Store

pytestmark = pytest.mark.skipif(not on_postgres(), reason="MATCHMAKER_TEST_DB=postgresql only")

CHUNKS = 6


@pytest.fixture
def run_db(tmp_db_path) -> str:
    with Store.open(tmp_db_path, create=True) as store:
        store.create_report_run(
            {"id": "r1", "request": {}, "meta": {}, "data_revision": 0, "model_id": "m",
             "chunk_size": 1},  # fmt: skip
            [[f"c{i}"] for i in range(CHUNKS)],
        )
    return str(tmp_db_path)


def test_a_chunk_locked_by_another_claim_is_skipped_not_waited_for(run_db):
    """Another worker's claim holds chunk 0's row: this claim takes chunk 1 at once."""
    with psycopg.connect(run_db) as other:  # a transaction left open on chunk 0's row
        other.execute("SELECT seq FROM report_chunks WHERE seq = 0 FOR UPDATE")
        with Store.open(run_db, migrate=False) as store:
            shorten_busy_timeout(store)
            assert store.claim_report_chunk("r1", "w1", lease_seconds=900) == (1, ["c1"])
        other.rollback()
    with Store.open(run_db, migrate=False) as store:
        assert store.claim_report_chunk("r1", "w2", lease_seconds=900) == (0, ["c0"])


def test_a_claim_does_not_queue_behind_the_write_lock(run_db):
    """An import holding the write lock does not stop workers from taking chunks."""
    holder = WriteLockHolder(run_db)
    try:
        with Store.open(run_db, migrate=False) as store:
            shorten_busy_timeout(store)
            assert store.claim_report_chunk("r1", "w1", lease_seconds=900)[0] == 0
    finally:
        holder.rollback()
        holder.close()


HOLDER = textwrap.dedent(
    """
    import sys, time
    from matchmaker.store import Store
    with Store.open(sys.argv[1], migrate=False) as store:
        print(store.claim_report_chunk("r1", "doomed", lease_seconds=1.0)[0], flush=True)
        time.sleep(600)  # ranking, until killed
    """
)


def test_a_killed_workers_chunk_is_claimed_again_when_its_lease_runs_out(run_db):
    worker = subprocess.Popen(
        [sys.executable, "-c", HOLDER, run_db], stdout=subprocess.PIPE, text=True
    )
    try:
        assert worker.stdout.readline().strip() == "0"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    with Store.open(run_db, migrate=False) as store:
        assert store.report_chunk_holders("r1") == ["doomed"]  # the claim outlived its worker
        assert store.claim_report_chunk("r1", "w1", lease_seconds=900)[0] == 1  # still leased
        time.sleep(1.1)
        assert store.claim_report_chunk("r1", "w2", lease_seconds=900) == (0, ["c0"])
        assert store.finish_report_chunk("r1", 0, b"rows")
        claims = store.db.execute("SELECT claims FROM report_chunks WHERE seq = 0").fetchone()
        assert claims[0] == 2
