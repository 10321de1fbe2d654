"""Which approximate index serves stage 1: hnswlib, faiss-cpu or usearch, measured.

Run from the repository root::

    .venv/bin/python benchmarks/ann_choice.py --sizes 100000            # about 10 minutes
    .venv/bin/python benchmarks/ann_choice.py --sizes 100000,1000000    # hours on 2 cores

The vectors are SYNTHETIC: clustered unit vectors of the stage-1 shape (three
384-dimensional fields side by side, see ``ranking.approximate``), so that
neighbours exist the way they do among real profiles (uniform random vectors
have none and flatter every index). Each library builds an HNSW graph with the
same parameters (M 16, ef_construction 128) in a child process of its own, so
the resident memory it reports is its own. Recall is measured against the exact
inner-product top K of the same vectors, at K = 10 and at the over-fetch K that
stage 1 asks for (``--fetch``). Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
from collections.abc import Sequence

import numpy as np

FIELDS = 3
DIM = 384
M = 16
EF_CONSTRUCTION = 128


def clustered(n: int, seed: int, clusters: int = 2000, spread: float = 0.08) -> np.ndarray:
    """n synthetic stage-1 vectors: each field a unit vector near one of ``clusters`` centres."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, FIELDS * DIM), dtype=np.float32)
    for f in range(FIELDS):
        centres = rng.standard_normal((clusters, DIM)).astype(np.float32)
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
        for start in range(0, n, 100_000):
            rows = min(100_000, n - start)
            block = centres[rng.integers(0, clusters, rows)]
            block += spread * rng.standard_normal((rows, DIM)).astype(np.float32)
            block /= np.linalg.norm(block, axis=1, keepdims=True)
            out[start : start + rows, f * DIM : (f + 1) * DIM] = block
    return out


def queries_of(data: np.ndarray, count: int, seed: int) -> np.ndarray:
    """Stage-1 queries: a company's seeks against offers, offers against seeks, 0.2 profile."""
    rows = data[np.random.default_rng(seed + 1).choice(len(data), count, replace=False)]
    q = np.empty_like(rows)
    q[:, :DIM], q[:, DIM : 2 * DIM] = rows[:, DIM : 2 * DIM], rows[:, :DIM]
    q[:, 2 * DIM :] = 0.2 * rows[:, 2 * DIM :]
    return q


def rss() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def run_library(name: str, n: int, seed: int, count: int, fetch: int, out) -> None:
    """Build, query and measure one library in this (child) process; send the figures back."""
    data = clustered(n, seed)
    queries = queries_of(data, count, seed)
    exact = np.argsort(-(queries @ data.T), axis=1)[:, :fetch]
    before = rss()
    start = time.perf_counter()
    search = BUILDERS[name](data)
    build = time.perf_counter() - start
    memory = rss() - before  # the index's graph and its own copy of the vectors
    del data
    times, hits10, hits_fetch = [], 0, 0
    for q, truth in zip(queries, exact, strict=True):
        start = time.perf_counter()
        found = search(q, fetch)
        times.append(time.perf_counter() - start)
        hits10 += len(set(found[:10].tolist()) & set(truth[:10].tolist()))
        hits_fetch += len(set(found.tolist()) & set(truth.tolist()))
    out.send(
        {
            "library": name,
            "n": n,
            "build_s": build,
            "query_median_ms": float(np.median(times) * 1e3),
            "query_p95_ms": float(np.percentile(times, 95) * 1e3),
            "recall@10": hits10 / (10 * count),
            f"recall@{fetch}": hits_fetch / (fetch * count),
            "memory_mb": memory / 2**20,
        }
    )


def build_hnswlib(data: np.ndarray):
    import hnswlib

    index = hnswlib.Index(space="ip", dim=data.shape[1])
    index.init_index(max_elements=len(data), ef_construction=EF_CONSTRUCTION, M=M)
    index.add_items(data, np.arange(len(data)), num_threads=os.cpu_count())

    def search(q: np.ndarray, k: int) -> np.ndarray:
        index.set_ef(max(k, 64))
        return index.knn_query(q, k=k, num_threads=1)[0][0]

    return search


def build_faiss(data: np.ndarray):
    import faiss

    index = faiss.IndexHNSWFlat(data.shape[1], M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = EF_CONSTRUCTION
    index.add(data)

    def search(q: np.ndarray, k: int) -> np.ndarray:
        index.hnsw.efSearch = max(k, 64)
        return index.search(q[None, :], k)[1][0]

    return search


def _build_usearch(dtype: str):
    def build(data: np.ndarray):
        from usearch.index import Index

        index = Index(
            ndim=data.shape[1],
            metric="ip",
            dtype=dtype,
            connectivity=M,
            expansion_add=EF_CONSTRUCTION,
        )
        index.add(np.arange(len(data)), data, threads=os.cpu_count())

        def search(q: np.ndarray, k: int) -> np.ndarray:
            index.expansion_search = max(k, 64)
            return np.asarray(index.search(q, k).keys)

        return search

    return build


BUILDERS = {
    "hnswlib": build_hnswlib,
    "faiss-cpu": build_faiss,
    "usearch f32": _build_usearch("f32"),
    "usearch f16": _build_usearch("f16"),
    "usearch i8": _build_usearch("i8"),
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000", help="comma-separated N (default 100000)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--fetch", type=int, default=600, help="over-fetch K of stage 1")
    parser.add_argument("--libraries", default=",".join(BUILDERS))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print("SYNTHETIC clustered vectors, stage-1 shape", FIELDS, "x", DIM, flush=True)
    print(f"load average {os.getloadavg()}", flush=True)
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        for name in args.libraries.split(","):
            receive, send = multiprocessing.Pipe(duplex=False)
            child = multiprocessing.Process(
                target=run_library, args=(name, n, args.seed, args.queries, args.fetch, send)
            )
            child.start()
            result = receive.recv()
            child.join()
            print(json.dumps(result), flush=True)
            rows.append(result)
    keys = list(rows[0])
    print("\n| " + " | ".join(keys) + " |\n|" + "---|" * len(keys))
    for row in rows:
        cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row.values()]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
