"""benchmarks/missions.py runs end to end (--quick: 12 x 12, hashing embedder).

It prints greedy and CP-SAT side by side on the same fits; no time is asserted.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import missions  # noqa: E402


def test_the_quick_run_compares_greedy_and_cp_sat(capsys):
    missions.main(["--quick", "--workers", "2"])
    out = capsys.readouterr().out
    assert "12 LV x 12 KR: 24 real profiles from data/, 0 SYNTHETIC" in out
    assert "| greedy |" in out and "| CP-SAT |" in out
    assert "CP-SAT / greedy total fit:" in out


def test_real_profiles_are_topped_up_with_marked_synthetic_ones_only_when_short():
    profiles, synthetic = missions.participants(200)  # data/ has fewer than 200 LV
    assert synthetic > 0
    made_up = [p for p in profiles if p.id.startswith("syn-")]
    assert len(made_up) == synthetic and all(p.name.startswith("Synthetic") for p in made_up)
    assert sum(p.country == "LV" for p in profiles) == sum(p.country == "KR" for p in profiles)
