"""Durability benchmark: what ``MATCHMAKER_SYNCHRONOUS=FULL`` costs against ``NORMAL``.

Run from the repository root::

    .venv/bin/python benchmarks/durability.py            # 500 edits, 5 imports of 2,000 rows
    .venv/bin/python benchmarks/durability.py --quick    # smoke run, a few seconds

Under WAL, ``synchronous=NORMAL`` syncs the log only at checkpoints, so a power
cut can lose the last commits; ``FULL`` syncs the log at every commit. Both are
measured in the same process, on the same kind of disk, in alternating rounds
(NORMAL, FULL, NORMAL, FULL...) so that other load on a shared machine falls on
both alike:

- **edits/s**: ``Store.save`` of one changed profile, one transaction each (with
  its audit entry and version bump), as a staff edit or a PATCH does. Embedding is
  left out: it costs the same at either level and would hide the difference.
- **import rows/s**: ``Store.upsert_many`` of a file of new SYNTHETIC profiles
  (``benchmarks/synthetic.py``) in one transaction, as ``matchmaker import`` does
  before it embeds.

Figures are medians over rounds; the ratio is FULL's throughput over NORMAL's.
Nothing here asserts a time. fsync is what FULL pays for, so the file system
matters: the run prints it, and warns on tmpfs, where fsync is free.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `benchmarks.synthetic` importable
    sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import make_profiles  # noqa: E402
from matchmaker.store import Store  # noqa: E402

LEVELS = ("NORMAL", "FULL")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=500, help="edits per round and level")
    parser.add_argument("--rows", type=int, default=2000, help="rows per import")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per level")
    parser.add_argument("--dir", default=None, help="folder for the databases (default: $TMPDIR)")
    parser.add_argument("--quick", action="store_true", help="50 edits, 200 rows, 2 rounds")
    args = parser.parse_args(argv)
    if args.quick:
        args.edits, args.rows, args.rounds = 50, 200, 2
    return args


def file_system(folder: Path) -> str:
    """The mount (device, type) holding ``folder``, from /proc/mounts."""
    best = ("?", "?", "")
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return "unknown"
    resolved = str(folder.resolve())
    for line in mounts:
        device, point, kind = line.split()[:3]
        if resolved.startswith(point) and len(point) >= len(best[2]):
            best = (device, kind, point)
    return f"{best[0]} ({best[1]}, mounted at {best[2]})"


def environment(folder: Path) -> list[str]:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    return [
        f"date: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"commit: {commit or 'unknown'}",
        f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        f"CPUs: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}",
        f"databases in: {folder} on {file_system(folder)}",
    ]


def measure_edits(path: Path, level: str, count: int, seed: int) -> float:
    """Edits per second: one changed profile saved per transaction."""
    with Store.open(path, synchronous=level) as store:
        profiles = store.list()
        started = time.perf_counter()
        for i in range(count):
            profile = profiles[i % len(profiles)]
            profile.seeks = f"edit {seed}-{i} of the durability benchmark"
            profile = store.save(profile, "benchmark", expected_version=profile.version)
            profiles[i % len(profiles)] = profile
        return count / (time.perf_counter() - started)


def measure_import(path: Path, level: str, rows: int, seed: int) -> float:
    """Rows per second of one import transaction of new profiles."""
    profiles = make_profiles(rows, seed=seed)
    for profile in profiles:
        profile.id = f"{profile.id}-r{seed}"
    with Store.open(path, synchronous=level) as store:
        started = time.perf_counter()
        store.upsert_many(profiles, actor="benchmark")
        return rows / (time.perf_counter() - started)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    folder = Path(args.dir or tempfile.gettempdir())
    work = Path(tempfile.mkdtemp(prefix="matchmaker-durability-", dir=folder))
    print("Durability benchmark: MATCHMAKER_SYNCHRONOUS=FULL vs NORMAL (SYNTHETIC profiles)")
    for line in environment(work):
        print(f"  {line}")
    if "tmpfs" in file_system(work):
        print("  warning: tmpfs keeps files in memory, where fsync costs nothing; use --dir")
    print(f"  per round and level: {args.edits} edits, one import of {args.rows} rows")
    print(f"  rounds: {args.rounds}, levels alternating")
    edits: dict[str, list[float]] = {level: [] for level in LEVELS}
    imports: dict[str, list[float]] = {level: [] for level in LEVELS}
    try:
        paths = {}
        for level in LEVELS:  # the same starting database for both levels
            paths[level] = work / f"{level.lower()}.db"
            with Store.open(paths[level], create=True) as store:
                store.upsert_many(make_profiles(200, seed=1), actor="setup")
        for round_number in range(args.rounds):
            order = LEVELS if round_number % 2 == 0 else LEVELS[::-1]
            for level in order:
                seed = 100 + round_number
                edits[level].append(measure_edits(paths[level], level, args.edits, seed))
                imports[level].append(measure_import(paths[level], level, args.rows, seed))
    finally:
        for leftover in work.iterdir():
            leftover.unlink()
        work.rmdir()
    print()
    print("| synchronous | edits/s (median) | import rows/s (median) |")
    print("|---|---|---|")
    for level in LEVELS:
        print(
            f"| {level} | {statistics.median(edits[level]):,.0f} | "
            f"{statistics.median(imports[level]):,.0f} |"
        )
    edit_ratio = statistics.median(edits["FULL"]) / statistics.median(edits["NORMAL"])
    import_ratio = statistics.median(imports["FULL"]) / statistics.median(imports["NORMAL"])
    print(f"| FULL / NORMAL | {edit_ratio:.2f}x | {import_ratio:.2f}x |")
    print()
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
