"""The report benchmark runs end to end at tiny sizes (hashing embedder, synthetic data).

No time is asserted: a benchmark never fails the suite on a slow machine. What is
checked is that it measures what it says: both sizes, a baseline on the same
queries, agreement with match(), and the profile of where the time goes.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import reports as bench  # noqa: E402


def test_quick_run_measures_both_sizes_against_the_loop(capsys):
    runs = bench.main(
        ["--quick", "--model", "hashing", "--sizes", "12x30,12x60", "--sample", "6",
         "--budget", "0.001", "--exact", "10"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out
    assert [(r.queries, r.candidates) for r in runs] == [(12, 30), (12, 60)]
    for run in runs:
        assert run.measured == 6  # the tiny budget forces sampling, and the output says so
        assert run.identical == 6  # the report agrees with match() for every company
        assert run.report_seconds > 0 and run.loop_seconds > 0
    assert "measuring 6 and scaling" in out
    assert "| 12 x 60 | 6, extrapolated |" in out
    assert "where the time goes" in out and "_rerank" in out
    assert "stage 1 alone, all 12 companies" in out
    assert "candidates=50" in out
