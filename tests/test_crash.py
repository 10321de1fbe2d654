"""Crash safety, the way SQLite tests it: kill an importing process with SIGKILL at a
random moment and check that the database holds all or nothing of that import.

A child process imports a few hundred generated fictional profiles (and edits the ten
it finds) through ``engine.import_profiles`` with the hashing embedder. The parent waits
until the child is about to write, sleeps a random fraction of a calibrated import
time, kills it, and then inspects the file from a fresh connection.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from matchmaker import engine
from matchmaker.embedding import HashingEmbedder
from matchmaker.importing import parse_file
from matchmaker.store import Store

COMPANIES = 400
#: Fractions of the calibrated import time at which the child is killed (plus jitter).
KILL_POINTS = (0.05, 0.2, 0.35, 0.5, 0.7)
SEED = 20240611

CHILD = r"""
import sys
from matchmaker import engine
from matchmaker.embedding import HashingEmbedder
from matchmaker.importing import ParsedFile
from matchmaker.profiles import validate_profile
from matchmaker.store import Store

db_path, count = sys.argv[1], int(sys.argv[2])
profiles = [
    validate_profile({
        "id": f"crash-{i:04d}",
        "name": f"Crash Test Company {i} (fictional)",
        "country": "LV" if i % 2 else "KR",
        "city": "Rīga" if i % 2 else "서울",
        "description": f"Fictional company number {i}, generated for the crash test.",
        "offers": f"product line {i}; service {i % 7}",
        "seeks": f"distributor for product line {i}",
        "source": "test fixture (fictional)",
    })
    for i in range(count)
]
store = Store.open(db_path)
for profile in store.list():
    profile.description += " (edited by the crash test)"
    profiles.append(profile)
parsed = ParsedFile(profiles=profiles, rows=list(range(1, len(profiles) + 1)))
print("ready", flush=True)
engine.import_profiles(store, HashingEmbedder(), parsed, actor="crash-test")
print("done", flush=True)
store.close()
"""


def make_database(path: Path, mini_path: Path) -> None:
    with Store.open(path, create=True) as db:
        engine.import_profiles(db, HashingEmbedder(), parse_file(mini_path), actor="setup")


def start_child(path: Path) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(COMPANIES)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = child.stdout.readline()  # blocks until the child is about to write
    if line.strip() != "ready":
        child.kill()
        pytest.fail(f"child did not start: {line!r} {child.stderr.read()}")
    return child


@pytest.fixture(scope="module")
def import_seconds(tmp_path_factory) -> float:
    """How long the child's import takes on this machine, from 'ready' to 'done'."""
    path = tmp_path_factory.mktemp("calibrate") / "calibrate.db"
    make_database(path, Path(__file__).parent / "fixtures" / "mini.jsonl")
    child = start_child(path)
    started = time.monotonic()
    assert child.stdout.readline().strip() == "done"
    elapsed = time.monotonic() - started
    assert child.wait(timeout=60) == 0, child.stderr.read()
    return elapsed


def inspect(path: Path) -> dict:
    """What a fresh connection sees after the crash (SQLite recovers the WAL on open).

    Plain sqlite3, not Store, so the check does not depend on the code under test.
    """
    conn = sqlite3.connect(path)
    try:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "integrity": one("PRAGMA integrity_check"),
            "new": one("SELECT COUNT(*) FROM companies WHERE id LIKE 'crash-%'"),
            "edited": one(
                "SELECT COUNT(*) FROM companies "
                "WHERE description LIKE '%(edited by the crash test)'"
            ),
            "versions": one("SELECT SUM(version) FROM companies WHERE id NOT LIKE 'crash-%'"),
            "audit": one("SELECT COUNT(*) FROM audit WHERE actor = 'crash-test'"),
            "revision": int(one("SELECT value FROM meta WHERE key = 'revision'")),
        }
    finally:
        conn.close()


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_killed_import_leaves_all_or_nothing(tmp_path, mini_path, import_seconds, point):
    rng = random.Random(f"{SEED}-{point}")
    delay = import_seconds * (point + rng.uniform(0, 0.1))
    path = tmp_path / "crash.db"
    make_database(path, mini_path)
    before = inspect(path)

    child = start_child(path)
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    after = inspect(path)

    assert after["integrity"] == "ok"
    nothing = {**before}
    everything = {
        **before,
        "new": COMPANIES,
        "edited": 10,
        "versions": before["versions"] + 10,
        "audit": COMPANIES + 10,
        "revision": before["revision"] + 1,
    }
    assert after in (nothing, everything), f"partial import after {delay:.3f}s: {after}"

    # Whatever was left, the store opens and 'matchmaker embed' completes the vectors.
    with Store.open(path) as db:
        engine.build_ranker(db, HashingEmbedder())
        assert engine.count_stale(db, HashingEmbedder()) == 0
        assert len(db.list()) == 10 + after["new"]
