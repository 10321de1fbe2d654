"""The load test runs end to end for a few seconds and finds no error (SQLite, hashing).

Two apps (each with its own ranking snapshot, as two processes have) share one
database under real waitress servers; readers fetch every kind of page and
writers edit with optimistic versions and verify. No time is asserted: a slow
machine must never fail the suite; an error (a 5xx, a dropped connection, a
409 no other writer explains, an edit the other app never shows) must.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benchmarks/ is not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import load_test  # noqa: E402


def test_a_short_load_run_on_sqlite_has_no_errors(capsys):
    argv = ["--backend", "sqlite", "--model", "hashing", "--in-process"]
    argv += ["--readers", "4", "--writers", "2", "--seconds", "3", "--hot", "3"]
    [run] = load_test.main(argv)
    out = capsys.readouterr().out
    assert run.errors == [], run.errors
    kinds = {s.kind for s in run.record.samples}
    assert kinds & {"api match", "results page", "company page", "staff list", "text search"}
    assert kinds & {"api edit", "staff verify"}, "no writer got a write through"
    assert all(v.seconds is not None for v in run.record.visibility)
    assert "| request | count | p50 ms | p95 ms | p99 ms |" in out
    assert "0 errors" in out
