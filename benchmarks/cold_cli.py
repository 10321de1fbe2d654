"""A CLI ``match`` from cold: a new process, with the saved fit, against refitting (issue 14).

Run from the repository root::

    .venv/bin/python benchmarks/cold_cli.py                 # 10,000 profiles, 5 runs
    .venv/bin/python benchmarks/cold_cli.py --size 1000 --runs 2

Builds a temporary database of SYNTHETIC profiles (benchmarks/synthetic.py),
embedded with the hashing embedder by default (``--model``: the figure is about
loading, not the model, and encoding 10k profiles with a real model takes
minutes), then times ``python -m matchmaker match ID`` as a user runs it, each
call a new process: with the fit saved next to the database (what a second call
finds), and, as the baseline in the same run, with the saved fit removed first
(what every call did before). ``-X importtime`` says whether torch was imported.
Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.synthetic import make_profiles  # noqa: E402
from matchmaker import fitted_state  # noqa: E402
from matchmaker.engine import make_embedder  # noqa: E402
from matchmaker.indexing import embed_profiles  # noqa: E402
from matchmaker.store import Store  # noqa: E402


def build_database(path: Path, size: int, model: str) -> str:
    """A database of ``size`` synthetic profiles with their vectors; returns one company id."""
    profiles = make_profiles(size, seed=0)
    embedder = make_embedder(model)
    start = time.perf_counter()
    with Store.open(path, create=True) as store:
        store.upsert_many(profiles, actor="benchmark")
        embed_profiles(store, embedder)
    print(f"database: {size:,} synthetic profiles, {model} vectors, built in "
          f"{time.perf_counter() - start:.0f} s", flush=True)
    return profiles[0].id


def run_match(path: Path, company_id: str, model: str, importtime: bool = False):
    """Wall and CPU seconds of one ``matchmaker match`` in a new process, and its stderr.

    CPU time (user + system) is printed beside wall time: on a shared machine the
    wall time mostly measures the other processes.
    """
    env = {**os.environ, "MATCHMAKER_DB": str(path), "MATCHMAKER_MODEL": model}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    command = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "matchmaker"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [*command, "match", company_id], env=env, capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, done.stderr


def top_imports(stderr: str, count: int = 8) -> list[tuple[float, str]]:
    """The top-level imports that cost most, from ``-X importtime`` (cumulative)."""
    rows = []
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|")
            if cumulative.strip().isdigit() and not name.startswith("   "):
                rows.append((int(cumulative) / 1000, name.strip()))
    return sorted(rows, reverse=True)[:count]


def imported_modules(stderr: str) -> set[str]:
    return {line.split("|")[-1].strip() for line in stderr.splitlines() if "|" in line}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--model", default="hashing")
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()}", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="matchmaker-cold-"))
    try:
        path = folder / "bench.db"
        company = build_database(path, args.size, args.model)
        refit, saved = [], []
        for _ in range(args.runs):
            shutil.rmtree(fitted_state.state_root(path), ignore_errors=True)
            refit.append(run_match(path, company, args.model)[:2])  # fits, then saves
            saved.append(run_match(path, company, args.model)[:2])  # loads the saved fit
        *_, stderr = run_match(path, company, args.model, importtime=True)
        modules = imported_modules(stderr)
        torch = "torch" in modules
        for label, runs in (("with the saved fit", saved), ("baseline, refitting", refit)):
            wall, cpu = np.array(runs).T
            print(f"{label}: wall median {np.median(wall):.2f} s (max {wall.max():.2f}), "
                  f"CPU median {np.median(cpu):.2f} s (max {cpu.max():.2f}), {len(runs)} runs")
        print(f"torch imported with the saved fit: {'yes' if torch else 'no'}")
        ratio = np.median(np.array(saved)[:, 1]) / np.median(np.array(refit)[:, 1])
        print(f"ratio (CPU medians, saved fit / refitting): {ratio:.2f}")
        print("slowest imports (cumulative ms):")
        for ms, name in top_imports(stderr):
            print(f"  {ms:8.1f}  {name}")
        print(f"load average {os.getloadavg()}", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
