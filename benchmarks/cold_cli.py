"""A CLI ``match`` from cold: a new process that loads the saved fit (issue 14: ≤ 0.5 s at 10k).

Run from the repository root::

    .venv/bin/python benchmarks/cold_cli.py                          # 10,000 profiles, 7 runs
    .venv/bin/python benchmarks/cold_cli.py --compare /path/to/other/src   # before/after
    .venv/bin/python benchmarks/cold_cli.py --size 1000 --runs 3 --keep /tmp/cold

Builds a temporary database of SYNTHETIC profiles (benchmarks/synthetic.py),
embedded with the hashing embedder by default (``--model``: the figure is about
loading, not the model, and encoding 10k profiles with a real model takes
minutes); ``--keep DIR`` keeps it there and reuses it next time. Then times
``python -m matchmaker match ID`` as a user runs it, each call a new process:
the first call fits and saves (what every call did before the fit was saved),
the next ``--runs`` load the saved fit. ``--compare SRC`` runs another checkout's
``src`` (say, the main branch's) on its own copy of the database in the same run,
as the baseline of the ratio. Children write bytecode as a normal install has it
(``PYTHONDONTWRITEBYTECODE`` is dropped; the first call writes it).

Printed: wall and CPU time (user + system: what a shared machine distorts least),
medians and minima, which heavy libraries a cold call imported (from ``-X
importtime``), and its slowest imports. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
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
from matchmaker.engine import make_embedder  # noqa: E402
from matchmaker.indexing import embed_profiles  # noqa: E402
from matchmaker.store import Store  # noqa: E402

#: libraries a cold ``match`` should not need (a model, fitting, the web app, dataframes)
HEAVY = ("torch", "sentence_transformers", "lightgbm", "sklearn", "scipy", "pandas", "flask")


def build_database(path: Path, size: int, model: str) -> str:
    """A database of ``size`` synthetic profiles with their vectors; returns one company id."""
    profiles = make_profiles(size, seed=0)
    if path.exists():
        print(f"database: reusing {path}", flush=True)
        return profiles[0].id
    embedder = make_embedder(model)
    start = time.perf_counter()
    with Store.open(path, create=True) as store:
        store.upsert_many(profiles, actor="benchmark")
        embed_profiles(store, embedder)
    print(f"database: {size:,} synthetic profiles, {model} vectors, built in "
          f"{time.perf_counter() - start:.0f} s", flush=True)
    return profiles[0].id


def copy_database(source: Path, target: Path) -> Path:
    """A copy through SQLite's backup API; each code tree keeps its saved fit beside its own."""
    if not target.exists():
        original, copy = sqlite3.connect(source), sqlite3.connect(target)
        try:
            original.backup(copy)
        finally:
            original.close()
            copy.close()
    return target


def run_match(src: Path, path: Path, company_id: str, model: str, importtime: bool = False):
    """Wall and CPU seconds of one ``matchmaker match`` in a new process, and its stderr."""
    env = {**os.environ, "MATCHMAKER_DB": str(path), "MATCHMAKER_MODEL": model}
    env["PYTHONPATH"] = str(src)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "matchmaker"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [*command, "match", company_id], env=env, cwd=ROOT, capture_output=True, text=True,
        check=True,
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


def measure(label: str, src: Path, path: Path, company: str, args) -> dict:
    """First call (fits and saves), then ``args.runs`` cold calls loading the saved fit."""
    shutil.rmtree(f"{path}.fitted", ignore_errors=True)  # a kept database fits again too
    first = run_match(src, path, company, args.model)[:2]
    loads = np.array([run_match(src, path, company, args.model)[:2] for _ in range(args.runs)])
    *_, stderr = run_match(src, path, company, args.model, importtime=True)
    roots = {name.split(".")[0] for name in imported_modules(stderr)}
    return {"label": label, "first": first, "wall": loads[:, 0], "cpu": loads[:, 1],
            "heavy": [name for name in HEAVY if name in roots], "stderr": stderr}  # fmt: skip


def report(results: list[dict]) -> None:
    print("| code | first call, fits (wall / CPU) | saved fit: wall median (min) | "
          "CPU median (min) | heavy imports |")
    print("|---|---|---|---|---|")
    for r in results:
        wall, cpu = r["wall"], r["cpu"]
        print(f"| {r['label']} | {r['first'][0]:.1f} s / {r['first'][1]:.1f} s | "
              f"{np.median(wall):.2f} s ({wall.min():.2f}) | {np.median(cpu):.2f} s "
              f"({cpu.min():.2f}) | {', '.join(r['heavy']) or 'none'} |")
    if len(results) == 2:
        this, base = results
        ratio = np.median(this["cpu"]) / np.median(base["cpu"])
        print(f"ratio (CPU medians, {this['label']} / {base['label']}): {ratio:.2f}")
    for r in results:
        print(f"slowest imports, {r['label']} (cumulative ms, wall):")
        for ms, name in top_imports(r["stderr"]):
            print(f"  {ms:8.1f}  {name}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--model", default="hashing")
    parser.add_argument("--compare", type=Path, help="another checkout's src/, the baseline")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the databases here")
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()}", flush=True)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="matchmaker-cold-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        source = folder / f"synthetic-{args.size}.db"
        company = build_database(source, args.size, args.model)
        trees = [("this checkout", ROOT / "src")]
        if args.compare:
            trees.append((f"baseline {args.compare}", args.compare.resolve()))
        results = []
        for n, (label, src) in enumerate(trees):
            path = copy_database(source, folder / f"tree{n}.db")
            results.append(measure(label, src, path, company, args))
        report(results)
        print(f"load average {os.getloadavg()}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
