"""Edit-visible benchmark: from the commit of an edit to a ranking that reflects it.

Run from the repository root::

    PYTHONPATH=src .venv/bin/python benchmarks/edit_visible.py             # 5k and 100k
    PYTHONPATH=src .venv/bin/python benchmarks/edit_visible.py --sizes 2000  # a smoke run

Issue 14: one edit visible in ranking within 1 s, in the process that wrote it
and in every other one sharing the database. For each size, a real SQLite
database of synthetic profiles (``benchmarks/synthetic.py``), embedded with the
hashing embedder at the model's width (384: fitting costs what it costs with
the model; embedding one edited profile with the model adds ~20-50 ms, printed
when ``--model`` names one). Then, in one run:

* **full refit** (the baseline, what every write cost before): read every
  profile and vector from the database, fit the ranker and save it, as the
  live index did after every write (and still does at start-up);
* **incremental**, this process: the edit is committed and embedded as the write
  path does (``engine.save_and_embed``); the time runs from the commit to the
  end of a ``match`` of the edited company from ``LiveIndex.current``, which
  reads what changed from the database and applies it;
* **incremental, another process**: a second :class:`LiveIndex` with its own
  connection, started from the saved fit (as another app server is), applies
  the same edit; timed from its request to the end of its ``match``.

``--edits`` edits per size; the first edit after a start copies each array once
into a growable buffer (ranking.growing), so it is shown apart. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("MATCHMAKER_LEARNED_MODEL", "none")

from benchmarks.synthetic import make_profiles  # noqa: E402
from matchmaker import engine  # noqa: E402
from matchmaker.embedding import HashingEmbedder  # noqa: E402
from matchmaker.indexing import embed_profiles  # noqa: E402
from matchmaker.live_index import LiveIndex  # noqa: E402
from matchmaker.store import Store  # noqa: E402

WIDTH = 384  # all-MiniLM-L6-v2's


def build_database(path: Path, size: int, embedder) -> float:
    """The database of ``size`` synthetic profiles, embedded; returns seconds taken."""
    started = time.perf_counter()
    with Store.open(path, create=True) as store:
        store.upsert_many(make_profiles(size), actor="bench")
        embed_profiles(store, embedder)
    return time.perf_counter() - started


def edit_one(store: Store, embedder, company_id: str, n: int) -> float:
    """Commit an edit of one company and embed it (the write path); the commit's time."""
    profile = store.get(company_id)
    edited = dataclasses.replace(profile, offers=f"{profile.offers}; cold-chain lot {n}")
    store.save(edited, actor="bench", expected_version=profile.version)
    committed = time.perf_counter()
    embed_profiles(store, embedder, [store.get(company_id)])
    return committed


def visible(index: LiveIndex, store: Store, embedder, company_id: str, n: int) -> float:
    """Seconds until this index ranks the edited company with the edit."""
    started = time.perf_counter()
    snapshot = index.current(store, embedder)
    ranker = snapshot.ranker
    ranker.match(company_id)
    assert ranker.profiles_[ranker.index_[company_id]].offers.endswith(f"lot {n}")
    return time.perf_counter() - started


def measure(size: int, edits: int, embedder, folder: Path) -> dict:
    path = folder / f"edit-{size}.db"
    setup = build_database(path, size, embedder)
    print(f"\n{size:,} profiles: database built and embedded in {setup:.0f} s", flush=True)
    with Store.open(path) as store, Store.open(path) as other_store:
        started = time.perf_counter()
        writer = LiveIndex(str(path))
        writer.refresh(store, embedder)  # a full fit, saved: what every write cost before
        full = time.perf_counter() - started
        print(f"  full refit (baseline), saved for restarts: {full:.2f} s", flush=True)
        started = time.perf_counter()
        other = LiveIndex(str(path))
        other.refresh(other_store, embedder)  # another process: loads the saved fit
        loaded = time.perf_counter() - started
        print(f"  another process's start from the saved fit: {loaded:.2f} s", flush=True)
        ids = [p.id for p in store.list()[:: max(1, size // edits)]][:edits]
        here, there = [], []
        for n, company_id in enumerate(ids):
            committed = edit_one(store, embedder, company_id, n)
            here.append(
                time.perf_counter() - committed + visible(writer, store, embedder, company_id, n)
            )
            there.append(visible(other, other_store, embedder, company_id, n))
            print(
                f"  edit {n + 1}: this process {here[-1] * 1e3:.0f} ms, "
                f"another {there[-1] * 1e3:.0f} ms",
                flush=True,
            )
    return {"size": size, "full": full, "loaded": loaded, "here": here, "there": there}


def row(result: dict) -> str:
    here, there = result["here"], result["there"]
    later_here = statistics.median(here[1:]) if len(here) > 1 else here[0]
    later_there = statistics.median(there[1:]) if len(there) > 1 else there[0]
    return (
        f"| {result['size']:,} | {result['full']:.2f} s | {here[0] * 1e3:.0f} ms | "
        f"{later_here * 1e3:.0f} ms | {there[0] * 1e3:.0f} ms | {later_there * 1e3:.0f} ms | "
        f"{result['full'] / later_here:.0f}x |"
    )


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="5000,100000")
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--model", help="also time embedding one edited profile with this model")
    args = parser.parse_args(argv)
    embedder = HashingEmbedder(dim=WIDTH)
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    if args.model:
        model = engine.make_embedder(args.model)
        texts = [t for t in make_profiles(1)[0].offer_phrases]
        model.encode(texts)
        started = time.perf_counter()
        for _ in range(5):
            model.encode(texts)
        print(
            f"embedding one profile's offer phrases with {model.model_id}: "
            f"{(time.perf_counter() - started) / 5 * 1e3:.0f} ms"
        )
    results = []
    with tempfile.TemporaryDirectory(prefix="edit-visible-") as folder:
        for size in (int(s) for s in args.sizes.split(",")):
            results.append(measure(size, args.edits, embedder, Path(folder)))
    print(
        "\n| profiles | full refit | 1st edit, this process | later edits (median) "
        "| 1st edit, another process | later (median) | refit / incremental |"
    )
    print("|---|---|---|---|---|---|---|")
    for result in results:
        print(row(result))
    return results


if __name__ == "__main__":
    main()
