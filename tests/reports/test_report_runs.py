"""Chunked report runs: real worker processes on a real database give the one-process file.

The end-to-end tests run ``matchmaker`` as subprocesses on a copy of the shipped data
(embedded with the hashing model), Latvian companies only (155: two chunks of 128), and
compare the CSV bytes with a one-process ``matchmaker report`` on the same copy. The
claim tests run several processes against one run of many chunks.

Every test runs on the session's engine: with ``MATCHMAKER_TEST_DB=postgresql`` the
workers share a PostgreSQL database (tests/pg_server.py) and claim chunks with
``SELECT ... FOR UPDATE SKIP LOCKED``; the claim tests only PostgreSQL can run are
in test_report_runs_pg.py.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from databases import copy_database
from pg_server import clone_database, drop_database, new_database, on_postgres

from matchmaker import engine
from matchmaker.embedding import HashingEmbedder
from matchmaker.importing import parse_file
from matchmaker.reports import ReportError
from matchmaker.reports.runs import _reopen_dead_workers, assemble
from matchmaker.store import Store

SRC = Path(__file__).resolve().parents[2] / "src"
REPORT = ["report", "--direction", "lv-kr", "--top", "5"]


def matchmaker(*args: str, db: Path) -> list[str]:
    return [sys.executable, "-m", "matchmaker", *args, "--db", str(db)]


def environment() -> dict[str, str]:
    """The test's settings, and this checkout's code, for child processes."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MATCHMAKER_LEARNED_MODEL": "none"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH")) if p)
    env.pop("MATCHMAKER_DB", None)
    env["MATCHMAKER_MODEL"] = "hashing"  # the model shipped_copy was embedded with
    return env


def run_ok(command: list[str]) -> subprocess.CompletedProcess:
    done = subprocess.run(command, env=environment(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    return done


@pytest.fixture(scope="module")
def shipped_copy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The shipped data, embedded with the hashing model: chunking never looks at the model,
    and worker processes start in seconds instead of loading it (tests copy this database)."""
    data = Path(__file__).resolve().parents[2] / "data"
    path = new_database() if on_postgres() else tmp_path_factory.mktemp("runs") / "shipped.db"
    with Store.open(path, create=True) as store:
        for source in [data / "companies.jsonl", *sorted((data / "batches").glob("*.jsonl"))]:
            engine.import_profiles(store, HashingEmbedder(), parse_file(source), actor="setup")
    yield path
    if on_postgres():
        drop_database(str(path))


@pytest.fixture
def copy_of(tmp_path: Path) -> Iterator[Callable[[Path, str], Path]]:
    """``copy_of(shipped_copy, name)``: a copy this test may write, on the session's engine."""
    made = []

    def copy(source: Path, name: str) -> Path:
        if on_postgres():
            made.append(clone_database(str(source)))
            return made[-1]
        return copy_database(source, tmp_path / name)

    yield copy
    for url in made:
        drop_database(url)


@pytest.fixture(scope="module")
def one_process_csv(shipped_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The report as one process writes it today (no --workers)."""
    out = tmp_path_factory.mktemp("one-process") / "one-process.csv"
    run_ok(matchmaker(*REPORT, "--out", str(out), db=shipped_copy))
    return out.read_bytes()


def only_run(db: Path) -> str:
    with Store.open(db, migrate=False) as store:
        ids = [row[0] for row in store.db.execute("SELECT id FROM report_runs")]
    assert len(ids) == 1, ids
    return ids[0]


def test_two_workers_write_the_same_bytes_as_one_process(
    shipped_copy, one_process_csv, tmp_path, copy_of
):
    db = copy_of(shipped_copy, "two.db")
    out = tmp_path / "two-workers.csv"
    done = run_ok(matchmaker(*REPORT, "--workers", "2", "--chunk-size", "128", "--out", str(out),
                             db=db))  # fmt: skip
    assert done.stdout.startswith("Report: 155 companies, 775 matches in ")
    assert out.read_bytes() == one_process_csv
    with Store.open(db, migrate=False) as store:
        chunks = store.db.execute(
            "SELECT seq, state, worker, claims FROM report_chunks ORDER BY seq"
        ).fetchall()
        assert store.get_report_run(only_run(db))["state"] == "written"
    assert [(seq, state, claims) for seq, state, _, claims in chunks] == [
        (0, "done", 1),
        (1, "done", 1),
    ]


def test_a_worker_killed_mid_run_is_resumed_to_the_same_bytes(
    shipped_copy, one_process_csv, tmp_path, copy_of
):
    db = copy_of(shipped_copy, "killed.db")
    out = tmp_path / "resumed.csv"
    command = matchmaker(*REPORT, "--workers", "1", "--chunk-size", "128", "--out", str(out), db=db)
    child = subprocess.Popen(command, env=environment(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)  # fmt: skip
    try:
        states = wait_for_a_done_chunk(db, child)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert not out.exists(), "the run finished before the kill; the test proved nothing"
    assert states["done"] == 1, states
    run_ok(matchmaker("report", "--resume", only_run(db), db=db))
    assert out.read_bytes() == one_process_csv
    with Store.open(db, migrate=False) as store:
        claims = store.db.execute("SELECT claims FROM report_chunks ORDER BY seq").fetchall()
    assert claims[0] == (1,)  # the finished chunk was not ranked again


def wait_for_a_done_chunk(db: Path, child: subprocess.Popen, limit: float = 600) -> dict:
    """Poll the run from a second connection until one chunk is done (the child works on)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert child.poll() is None, child.stderr.read().decode()[-3000:]
        with Store.open(db, migrate=False) as store:
            ids = [row[0] for row in store.db.execute("SELECT id FROM report_runs")]
            states = store.report_chunk_states(ids[0]) if ids else {"done": 0}
        if states["done"]:
            return states
        time.sleep(0.05)
    raise AssertionError("no chunk was done in time")


# -- claiming -----------------------------------------------------------------------------

CHUNKS = 120


@pytest.fixture
def run_db(tmp_db_path) -> Path:
    """A run of CHUNKS one-company chunks (rows are made up: only claiming is tested)."""
    path = tmp_db_path
    with Store.open(path, create=True) as store:
        store.create_report_run(
            {"id": "r1", "request": {}, "meta": {}, "data_revision": 0, "model_id": "m",
             "chunk_size": 1},  # fmt: skip
            [[f"c{i}"] for i in range(CHUNKS)],
        )
    return path


CLAIMER = textwrap.dedent(
    """
    import json, os, sys, time
    from matchmaker.store import Store
    taken = []
    while not os.path.exists(sys.argv[3]):  # every worker starts claiming at once
        time.sleep(0.01)
    with Store.open(sys.argv[1], migrate=False) as store:
        while (claimed := store.claim_report_chunk("r1", sys.argv[2], 900)) is not None:
            taken.append(claimed[0])
            time.sleep(0.005)  # a chunk's work: without it one worker can drain the run
            assert store.finish_report_chunk("r1", claimed[0], b"rows")
    print(json.dumps(taken))
    """
)


def test_workers_in_separate_processes_never_take_the_same_chunk(run_db, tmp_path):
    go = tmp_path / "go"
    workers = [
        subprocess.Popen([sys.executable, "-c", CLAIMER, str(run_db), f"w{n}", str(go)],
                         env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)  # fmt: skip
        for n in range(4)
    ]
    go.touch()
    taken = []
    for worker in workers:
        stdout, stderr = worker.communicate(timeout=600)
        assert worker.returncode == 0, stderr[-3000:]
        taken.append(json.loads(stdout))
    every = [seq for chunks in taken for seq in chunks]
    assert sorted(every) == list(range(CHUNKS))  # each chunk exactly once
    assert sum(1 for chunks in taken if chunks) >= 2  # they really shared the run
    with Store.open(run_db, migrate=False) as store:
        assert store.report_chunk_states("r1") == {"open": 0, "claimed": 0, "done": CHUNKS}


def test_an_expired_lease_is_claimed_again_and_rows_are_written_once(run_db):
    with Store.open(run_db, migrate=False) as first, Store.open(run_db, migrate=False) as second:
        assert first.claim_report_chunk("r1", "slow", lease_seconds=-1)[0] == 0  # expires at once
        assert second.claim_report_chunk("r1", "quick", lease_seconds=900)[0] == 0
        assert first.claim_report_chunk("r1", "slow", lease_seconds=900)[0] == 1  # 0 is leased
        assert second.finish_report_chunk("r1", 0, b"quick rows")
        assert not first.finish_report_chunk("r1", 0, b"late rows")  # done already
        assert first.report_chunk_rows("r1") == [b"quick rows"]
        claims = first.db.execute("SELECT claims FROM report_chunks WHERE seq = 0").fetchone()
        assert claims == (2,)


def test_chunks_of_a_dead_process_are_reopened(run_db):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    holder = f"{socket.gethostname()}:{dead.pid}"
    alive = f"{socket.gethostname()}:{os.getpid()}"
    with Store.open(run_db, migrate=False) as store:
        store.claim_report_chunk("r1", holder, lease_seconds=900)
        store.claim_report_chunk("r1", alive, lease_seconds=900)
        assert sorted(store.report_chunk_holders("r1")) == sorted([holder, alive])
        _reopen_dead_workers(store, "r1")
        assert store.report_chunk_holders("r1") == [alive]
        assert store.claim_report_chunk("r1", "another", lease_seconds=900)[0] == 0


def test_an_unfinished_run_is_not_assembled(run_db):
    with Store.open(run_db, migrate=False) as store:
        with pytest.raises(ReportError, match="not finished: 0 of 120 chunks done"):
            assemble(store, "r1")
        with pytest.raises(ReportError, match="no report run with id 'nope'"):
            assemble(store, "nope")


# -- the command line's clear errors -------------------------------------------------------


def test_run_options_are_checked_before_any_work(runner, cli_env, mini_path, tmp_path):
    from matchmaker.cli import cli

    assert runner.invoke(cli, ["import", str(mini_path)]).exit_code == 0
    out = str(tmp_path / "r.csv")
    cases = {
        ("--out", out, "--workers", "2", "--chunk-size", "200"): "multiple of 128, not 200",
        ("--resume", "nope"): "no report run with id 'nope'",
        ("--resume", "nope", "--top", "3"): "--resume takes the run's own options; drop --top",
        ("--workers", "2"): "Missing option '--out'",
    }
    for args, message in cases.items():
        result = runner.invoke(cli, ["report", *args])
        assert result.exit_code != 0 and message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    result = runner.invoke(cli, ["report-worker", "nope"])
    assert result.exit_code == 1 and "no report run with id 'nope'" in result.output


def test_the_scale_benchmark_database_needs_no_embedding(tmp_path, hashing_embedder):
    """benchmarks/report_scale.py times ranking, not embedding: its vectors must be fresh."""
    root = Path(__file__).resolve().parents[2]
    if str(root) not in sys.path:  # benchmarks/ is not an installed package
        sys.path.insert(0, str(root))
    from benchmarks import report_scale

    args = report_scale.parse_args(["--quick", "--model", "hashing"])
    report_scale.build_database(tmp_path / "bench.db", 12, 15, args)  # exits if anything is stale
    with Store.open(tmp_path / "bench.db") as store:
        assert store.stats()["by_country"] == {"LV": 12, "KR": 15}
        assert engine.count_stale(store, hashing_embedder) == 0
