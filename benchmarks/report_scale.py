"""Chunked batch reports at scale: 1 vs 2 worker processes, and a kill-and-resume check.

Run from the repository root::

    .venv/bin/python benchmarks/report_scale.py                      # 10k x 10k
    .venv/bin/python benchmarks/report_scale.py --sizes 100000x100000
    .venv/bin/python benchmarks/report_scale.py --quick --model hashing   # smoke run

"Q x C" means Q Latvian companies, each given its top 10 of C Korean candidates, as
``matchmaker report --direction lv-kr --top 10`` does. All profiles are SYNTHETIC
(``benchmarks/synthetic.py``); they and their vectors are written to a temporary
database before any clock starts. Each figure is the wall time of a real
``matchmaker report`` command, fit and CSV included, in this order on the same
database: one process as today (the baseline), ``--workers 1``, ``--workers 2``, and
``--workers 2`` killed (SIGKILL to its process group, workers included) once a third
of its chunks are done, then ``--resume RUN_ID --workers 2``. Every CSV is compared
byte for byte with the baseline's. Ratios are against the baseline of the same run.
``--commands workers-2,resumed`` runs only some of them (the first one run is then
the baseline); ``--db PATH`` keeps the database (and the saved fit) at PATH and
reuses it when it exists, so a 100k x 100k run need not build it again.
Nothing here asserts a time. The machine may be shared: the load average is printed
at the start and after each command.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `benchmarks.synthetic` importable
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.reports import synthetic_companies  # noqa: E402
from benchmarks.scale import _table, environment  # noqa: E402
from benchmarks.synthetic import describe_vectors, make_vectors  # noqa: E402
from matchmaker import engine  # noqa: E402
from matchmaker.indexing import text_hash  # noqa: E402
from matchmaker.profiles import Profile  # noqa: E402
from matchmaker.store import Store, VectorRow  # noqa: E402
from matchmaker.texts import FIELDS  # noqa: E402

TOP = 10
#: The commands measured, in the order they run.
COMMANDS = ("one", "workers-1", "workers-2", "resumed")
HEADER = ["queries x candidates", "command", "wall s", "vs baseline", "CSV identical", "load"]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000x10000", help="QxC pairs, comma-separated")
    parser.add_argument("--model", default=None, help="model folder, or 'hashing' (tests)")
    parser.add_argument("--exact", type=int, default=200, help="profiles encoded in full")
    parser.add_argument("--chunk-size", type=int, default=1024, help="companies per chunk")
    parser.add_argument("--kill-at", type=float, default=1 / 3, help="share of chunks done")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="400x400, chunks of 128")
    parser.add_argument(
        "--commands",
        default=",".join(COMMANDS),
        help=f"which of {', '.join(COMMANDS)} to run (default all)",
    )
    parser.add_argument(
        "--db", type=Path, help="keep the database here; reuse it if present (one size only)"
    )
    args = parser.parse_args(argv)
    args.commands = [c.strip() for c in args.commands.split(",") if c.strip()]
    unknown = sorted(set(args.commands) - set(COMMANDS))
    if unknown or not args.commands:
        parser.error(f"--commands takes some of {', '.join(COMMANDS)}, not {unknown}")
    if args.quick:
        args.sizes, args.chunk_size, args.exact = "400x400", 128, 50
    args.sizes = [tuple(int(x) for x in s.lower().split("x")) for s in args.sizes.split(",")]
    if args.db and len(args.sizes) > 1:
        parser.error("--db keeps one database: give one size")
    return args


def main(argv: Sequence[str] | None = None) -> list[list[str]]:
    args = parse_args(argv)
    if args.model:  # the report commands below must rank with the model that embedded
        os.environ["MATCHMAKER_MODEL"] = args.model
    print("chunked report benchmark (all profiles are SYNTHETIC)")
    for line in environment():
        print(line)
    rows = []
    for queries, candidates in args.sizes:
        size = f"{queries:,} x {candidates:,}"
        with tempfile.TemporaryDirectory(prefix="report-scale-") as folder:
            db = args.db or Path(folder) / "synthetic.db"
            if args.db and db.exists():
                print(f"data: reusing {db} (its profiles and vectors, and any saved fit)")
            else:
                build_database(db, queries, candidates, args)
            rows += measure(db, Path(folder), size, args)
    print("\nsummary (markdown)")
    print(_table(HEADER, rows))
    return rows


def build_database(db: Path, queries: int, candidates: int, args: argparse.Namespace) -> None:
    """Synthetic profiles and their vectors in a fresh database, as an import would leave it."""
    started = time.perf_counter()
    embedder = engine.make_embedder(args.model)
    lv, kr = synthetic_companies(queries, candidates, args.seed)
    profiles = lv + kr
    vectors = make_vectors(profiles, embedder, sample=args.exact,
                           progress=lambda m: print(f"  {m}", flush=True))  # fmt: skip
    with Store.open(db, create=True, synchronous="NORMAL") as store:
        store.upsert_many(profiles, actor="benchmark")
        store.save_vectors(embedder.model_id, vector_rows(profiles, vectors, embedder.model_id))
        stale = engine.count_stale(store, embedder)
    if stale:
        raise SystemExit(f"{stale} fields would be embedded again: the benchmark is broken")
    print(
        f"data: {len(lv):,} LV and {len(kr):,} KR synthetic profiles, {embedder.model_id}; "
        f"{describe_vectors(len(profiles), args.exact)}; built in "
        f"{time.perf_counter() - started:.0f} s (not timed)"
    )


def vector_rows(profiles: list[Profile], vectors: dict, model_id: str) -> list[VectorRow]:
    """The stored form of the vectors, hashed as indexing hashes them (so nothing is stale)."""
    dimension = next(m.shape[1] for rows in vectors.values() for m in rows.values())
    rows = []
    for profile in profiles:
        for field, texts_of in FIELDS.items():
            texts = texts_of(profile)
            matrix = vectors[field].get(profile.id)
            if matrix is None:  # no text (5% seek nothing): stored empty, as indexing does
                matrix = np.zeros((0, dimension), dtype=np.float32)
            rows.append(VectorRow(profile.id, field, text_hash(model_id, texts), matrix, texts))
    return rows


def measure(db: Path, folder: Path, size: str, args: argparse.Namespace) -> list[list[str]]:
    """Each command of ``args.commands`` in turn; the first one run is the baseline."""
    report = ["report", "--direction", "lv-kr", "--top", str(TOP), "--db", str(db)]
    chunked = ["--chunk-size", str(args.chunk_size)]
    rows: list[list[str]] = []
    baseline: tuple[float, bytes] | None = None
    for name in args.commands:
        out = folder / f"{name}.csv"
        if name == "resumed":
            killed, run_id = run_and_kill(report + chunked + ["--workers", "2", "--out", str(out)],
                                          db, args.kill_at)  # fmt: skip
            resumed = timed(["report", "--resume", run_id, "--workers", "2", "--db", str(db)])
            seconds = killed + resumed
            label = f"--workers 2, killed after {killed:.0f} s, then --resume --workers 2"
            shown = f"{seconds:.0f} ({killed:.0f} + {resumed:.0f})"
        else:
            workers = [] if name == "one" else ["--workers", name.split("-")[1]]
            seconds = timed(report + (chunked if workers else []) + workers + ["--out", str(out)])
            label = (
                "report (one process, as before)"
                if name == "one"
                else f"report {workers[0]} {workers[1]}"
            )
            shown = f"{seconds:.0f}"
        if baseline is None:
            baseline = (seconds, out.read_bytes())
            rows.append([size, label + " (baseline)", shown, "1.00", "-", load()])
        else:
            rows.append([size, label, shown, f"{baseline[0] / seconds:.2f}",
                         same(out, baseline[1]), load()])  # fmt: skip
        print(" | ".join(rows[-1]), flush=True)
    return rows


def command(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "matchmaker", *args]


def timed(args: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command(args), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    print(f"{' '.join(args)}: {seconds:.1f} s; {done.stdout.strip()}", flush=True)
    return seconds


def run_and_kill(args: list[str], db: Path, share: float) -> tuple[float, str]:
    """Start a chunked report, SIGKILL it and its workers once ``share`` of chunks are done."""
    started = time.perf_counter()
    child = subprocess.Popen(command(args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)  # fmt: skip
    while True:
        time.sleep(0.5)
        if child.poll() is not None:
            raise SystemExit("the report finished before it could be killed; lower --kill-at")
        with Store.open(db, migrate=False) as store:
            runs = store.db.execute(
                "SELECT id FROM report_runs WHERE state = 'ranking' ORDER BY created_at DESC"
            ).fetchall()
            states = store.report_chunk_states(runs[0][0]) if runs else None
        if states and states["done"] >= share * sum(states.values()):
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            seconds = time.perf_counter() - started
            print(f"killed after {seconds:.1f} s with {states}", flush=True)
            return seconds, runs[0][0]


def same(out: Path, expected: bytes) -> str:
    return "yes" if out.read_bytes() == expected else "NO"


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


if __name__ == "__main__":
    main()
