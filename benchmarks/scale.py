"""Scale benchmark: encoding, partner matching and free-text search at 1k to 100k companies.

Run from the repository root::

    .venv/bin/python benchmarks/scale.py            # 1k, 10k and 100k profiles
    .venv/bin/python benchmarks/scale.py --quick    # smoke run, under a minute

All profiles are synthetic (see ``benchmarks/synthetic.py``). Every figure is
printed next to a baseline measured in the same process on the same vectors,
because the machines are shared and absolute times drift from run to run:
encoding all matchmaker fields is compared with encoding the whole-profile text
only, and ``PartnerRanker.match`` / ``query`` with plain sentence-transformers
``util.semantic_search`` over whole-profile vectors (what a user would otherwise
run). Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import platform
import pstats
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `benchmarks.synthetic` importable
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from scipy import sparse  # noqa: E402

import matchmaker  # noqa: E402
from benchmarks.synthetic import (  # noqa: E402
    Vectors,
    composition_fidelity,
    describe_vectors,
    encode_exact,
    make_profiles,
    make_vectors,
)
from matchmaker import fitted_state  # noqa: E402
from matchmaker.embedding import Embedder  # noqa: E402
from matchmaker.engine import make_embedder  # noqa: E402
from matchmaker.profiles import Profile  # noqa: E402
from matchmaker.ranking import PartnerRanker  # noqa: E402
from matchmaker.ranking.approximate import EXACT_BELOW, FirstStage  # noqa: E402
from matchmaker.texts import FIELDS, profile_text  # noqa: E402

#: Environment variables that change BLAS/OpenMP behaviour: printed, never set here.
ENV_SHOWN = ("OPENBLAS_CORETYPE", "OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS")
TOP = 10
WARM_UP = 2
MIN_CALLS = 5
MB = 1024 * 1024


@dataclass
class Latency:
    """Timings of one operation at one size, with its baseline, in seconds."""

    operation: str
    size: int
    times: list[float]
    baseline: list[float]
    encode: list[float]

    def row(self) -> list[str]:
        mine, base = _ms(self.times), _ms(self.baseline)
        encode = f"{np.median(self.encode) * 1e3:.1f}" if self.encode else "-"
        ratio = np.median(self.times) / np.median(self.baseline)
        return [
            self.operation,
            f"{self.size:,}",
            str(len(self.times)),
            f"{mine[0]:.1f}",
            f"{mine[1]:.1f}",
            encode,
            f"{base[0]:.1f}",
            f"{base[1]:.1f}",
            f"{ratio:.1f}x",
        ]


@dataclass
class Fit:
    """Fit time and memory of the ranker at one size."""

    size: int
    seconds: float
    array_bytes: int
    rss_peak: int | None
    rss_kept: int | None
    vocabulary: int

    def row(self) -> list[str]:
        return [
            f"{self.size:,}",
            f"{self.seconds:.1f}",
            f"{self.array_bytes / MB:,.0f}",
            _mb(self.rss_peak),
            _mb(self.rss_kept),
            f"{self.vocabulary:,}",
        ]


class TimedEmbedder:
    """Wraps an embedder and records how long each encode takes, to split query latency."""

    def __init__(self, inner: Embedder):
        self.inner = inner
        self.model_id = inner.model_id
        self.seconds: list[float] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        start = time.perf_counter()
        vectors = self.inner.encode(texts)
        self.seconds.append(time.perf_counter() - start)
        return vectors


# -- command line -------------------------------------------------------------


#: Defaults of a full run and of --quick; an option given on the command line wins over both.
FULL = {"sizes": "1000,10000,100000", "queries": 50, "sample": 500, "budget": 300.0}
QUICK = {"sizes": "300,1000", "queries": 5, "sample": 100, "budget": 10.0}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help=f"comma-separated N (default {FULL['sizes']})")
    parser.add_argument("--queries", type=int, help="query companies per size (default 50)")
    parser.add_argument(
        "--sample", type=int, help="profiles encoded field by field, and timed (default 500)"
    )
    parser.add_argument(
        "--budget",
        type=float,
        help="seconds per operation and size after which timing stops early "
        f"(default 300; at least {MIN_CALLS} calls are always made)",
    )
    parser.add_argument("--model", default=None, help="model folder, or 'hashing' (tests)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true", help="cProfile the largest size")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 300 and 1000 profiles, 5 queries"
    )
    parser.add_argument(
        "--approximate",
        action="store_true",
        help="also build the approximate stage 1 at each size and measure it against the "
        "exact one (latency, identical top 10, index build, saving and loading the fit)",
    )
    parser.add_argument(
        "--exact-below",
        type=int,
        default=EXACT_BELOW,
        help=f"eligible companies below which stage 1 scans exactly (default {EXACT_BELOW})",
    )
    args = parser.parse_args(argv)
    for name, default in (QUICK if args.quick else FULL).items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    args.sizes = sorted({int(s) for s in str(args.sizes).split(",") if s.strip()})
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Print the environment, then the three parts of the benchmark, then summary tables."""
    args = parse_args(argv)
    _section("matchmaker scale benchmark (all profiles are SYNTHETIC)")
    for line in environment():
        print(line)
    embedder = make_embedder(args.model)
    profiles = make_profiles(max(args.sizes), args.seed)
    sample = profiles[: args.sample]

    _section(f"1. encode throughput ({embedder.model_id}, {len(sample)} synthetic profiles)")
    encoded = encode_throughput(sample, embedder)

    _section("vectors")
    vectors = build_vectors(profiles, embedder, args.sample, encoded)

    fits, latencies, approximations = [], [], []
    for size in args.sizes:
        _section(f"2-3. {size:,} profiles")
        ranker, fit = fit_ranker(profiles[:size], vectors, TimedEmbedder(embedder))
        fits.append(fit)
        print("fit: " + ", ".join(f"{h} {v}" for h, v in zip(FIT_HEADER, fit.row(), strict=True)))
        latencies.extend(measure_latency(ranker, size, args))
        if args.approximate:
            approximations.append(measure_approximate(ranker, size, args))
        if args.profile and size == args.sizes[-1]:
            profile_hot_spots(ranker, args)
        del ranker
        gc.collect()

    _section("summary (markdown)")
    print(f"at the end: {_load_average()}\n")
    print(_table(FIT_HEADER, [f.row() for f in fits]))
    print()
    print(_table(LATENCY_HEADER, [lat.row() for lat in latencies]))
    if approximations:
        print()
        print(_table(APPROXIMATE_HEADER, approximations))


# -- environment --------------------------------------------------------------


def environment() -> list[str]:
    """Date, CPU, threads and BLAS: what a reader needs to compare two runs."""
    import torch

    lines = [
        f"date: {datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"cpu: {_cpu_model()}, {len(os.sched_getaffinity(0))} usable of {os.cpu_count()} "
        "logical CPUs",
        f"python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads)",
        _load_average(),
        _code_version(),
        ", ".join(f"{name}={os.environ.get(name, '(unset)')}" for name in ENV_SHOWN),
    ]
    return lines + _thread_pools()


def _load_average() -> str:
    """Other work on a shared machine slows every figure; the load says how much there was."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1 / 5 / 15 min)"


def _code_version() -> str:
    """The checkout's commit, its uncommitted core changes, and where matchmaker came from.

    On a shared checkout the core may change mid-run; a run can pin a commit by
    putting an exported copy first on PYTHONPATH, which the last part shows.
    """
    source = Path(matchmaker.__file__).resolve().parent
    where = "" if source == ROOT / "src" / "matchmaker" else f"; matchmaker imported from {source}"

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        changed = git("diff", "--name-only", "HEAD", "--", "src/matchmaker").split()
    except (OSError, subprocess.CalledProcessError):
        return "code: not a git checkout" + where
    dirty = f", uncommitted changes in {', '.join(changed)}" if changed else ""
    return f"code: checkout at commit {commit}{dirty}{where}"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _thread_pools() -> list[str]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["thread pools: threadpoolctl not installed"]
    return [
        f"thread pool: {pool['internal_api']} {pool.get('version') or ''} "
        f"({pool['user_api']}, {pool['num_threads']} threads"
        + (f", core type {pool['architecture']}" if pool.get("architecture") else "")
        + f") from {Path(pool['filepath']).name}"
        for pool in threadpool_info()
    ]


# -- 1. encoding --------------------------------------------------------------


def encode_throughput(sample: list[Profile], embedder: Embedder) -> Vectors:
    """Time matchmaker's field-by-field encoding against whole-profile text only.

    Returns the encoded vectors, which become the exact part of the benchmark data.
    """
    start = time.perf_counter()
    embedder.encode(["warm-up"])
    print(f"model load and first call: {time.perf_counter() - start:.1f} s")

    texts = sum(len(texts_of(p)) for p in sample for texts_of in FIELDS.values())
    start = time.perf_counter()
    encoded = encode_exact(sample, embedder)
    fields = time.perf_counter() - start
    start = time.perf_counter()
    embedder.encode([profile_text(p) for p in sample])
    whole = time.perf_counter() - start

    n = len(sample)
    print(
        f"matchmaker, {len(FIELDS)} fields ({texts} texts): {fields:.1f} s, "
        f"{n / fields:.1f} profiles/s, {texts / fields:.0f} texts/s"
    )
    print(
        f"baseline, whole-profile text only ({n} texts): {whole:.1f} s, {n / whole:.1f} profiles/s"
    )
    print(f"ratio: matchmaker takes {fields / whole:.1f}x the baseline's time per profile")
    return encoded


def build_vectors(
    profiles: list[Profile], embedder: Embedder, sample: int, encoded: Vectors
) -> Vectors:
    """All vectors for the largest size, saying how they were made and how faithful they are."""
    start = time.perf_counter()
    vectors = make_vectors(profiles, embedder, sample=sample, encoded=encoded, progress=print)
    seconds = time.perf_counter() - start
    total = sum(m.nbytes for rows in vectors.values() for m in rows.values())
    print(f"how: {describe_vectors(len(profiles), sample)}")
    print(f"built in {seconds:.1f} s, {total / MB:,.0f} MB of float32")
    if len(profiles) > sample:
        fidelity = composition_fidelity(profiles[:sample], vectors, embedder)
        print(
            f"fidelity, cosine(composed, encoded) over the {sample} encoded profiles: "
            + "; ".join(
                f"{field} median {np.median(c):.3f}, 5th percentile {np.percentile(c, 5):.3f}"
                for field, c in fidelity.items()
            )
        )
    return vectors


# -- 2. latency ---------------------------------------------------------------


def measure_latency(ranker: PartnerRanker, size: int, args: argparse.Namespace) -> list[Latency]:
    """match and query latency over random query companies, each next to its baseline."""
    from sentence_transformers import util

    profiles = ranker.profiles_
    rng = np.random.default_rng(args.seed)
    chosen = rng.choice(size, size=min(args.queries, size), replace=False)
    corpora = {c: _Corpus(ranker, np.flatnonzero(ranker.countries_ == c)) for c in ("LV", "KR")}

    def match(i: int) -> None:
        ranker.match(profiles[i].id, top=TOP)

    def match_baseline(i: int) -> None:
        corpus = corpora[_other(profiles[i].country)]
        util.semantic_search(
            corpus.tensor(ranker.profile_vecs_[i : i + 1]),
            corpus.vectors,
            top_k=TOP,
            score_function=util.dot_score,
        )

    def query(i: int) -> None:
        ranker.query(_query_text(profiles[i]), country=_other(profiles[i].country), top=TOP)

    def query_baseline(i: int) -> None:
        corpus = corpora[_other(profiles[i].country)]
        vector = ranker.embedder.inner.encode([_query_text(profiles[i])])
        util.semantic_search(
            corpus.tensor(vector), corpus.vectors, top_k=TOP, score_function=util.dot_score
        )

    results = []
    for name, mine, base in (
        ("match", match, match_baseline),
        ("query", query, query_baseline),
    ):
        ranker.embedder.seconds.clear()
        times = _time_calls(mine, chosen, args.budget)
        encode = list(ranker.embedder.seconds) if name == "query" else []
        baseline = _time_calls(base, chosen[: len(times)], args.budget)
        result = Latency(name, size, times, baseline, encode[WARM_UP:])
        print(_describe(result))
        results.append(result)
    return results


class _Corpus:
    """One country's whole-profile vectors as a torch tensor, built once per size (untimed)."""

    def __init__(self, ranker: PartnerRanker, rows: np.ndarray):
        import torch

        self._torch = torch
        self.vectors = torch.from_numpy(np.ascontiguousarray(ranker.profile_vecs_[rows]))

    def tensor(self, array: np.ndarray):
        return self._torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))


def _time_calls(call: Callable[[int], None], chosen: np.ndarray, budget: float) -> list[float]:
    """Per-call seconds after a warm-up; stops early once the budget is spent."""
    for i in chosen[:WARM_UP]:
        call(int(i))
    times: list[float] = []
    for i in chosen:
        start = time.perf_counter()
        call(int(i))
        times.append(time.perf_counter() - start)
        if sum(times) > budget and len(times) >= MIN_CALLS:
            break
    return times


def _query_text(profile: Profile) -> str:
    """A realistic free-text need: what the query company seeks, or its description."""
    return profile.seeks or profile.description


def _describe(result: Latency) -> str:
    mine, base = _ms(result.times), _ms(result.baseline)
    encode = (
        f" (encoding the text: median {np.median(result.encode) * 1e3:.1f} ms)"
        if result.encode
        else ""
    )
    return (
        f"{result.operation}: {len(result.times)} calls, median {mine[0]:.1f} ms, "
        f"p95 {mine[1]:.1f} ms{encode}; semantic_search baseline median {base[0]:.1f} ms, "
        f"p95 {base[1]:.1f} ms; ratio {np.median(result.times) / np.median(result.baseline):.1f}x"
    )


# -- 2b. approximate stage 1 -----------------------------------------------------


def measure_approximate(ranker: PartnerRanker, size: int, args: argparse.Namespace) -> list[str]:
    """The approximate stage 1 against the exact one on the same fitted ranker, in one run.

    The index is built on the fitted ranker (timed), then each query company is
    matched with and without it, alternately; the final top 10 is compared. The fit
    is then saved as a process would save it and loaded back (the start-up of the
    next process), and the loaded ranker's resident memory is reported.
    """
    start = time.perf_counter()
    stage = FirstStage.build(
        ranker.offer_vecs_, ranker.seek_vecs_, ranker.profile_vecs_, ranker.countries_
    )
    stage.exact_below = args.exact_below
    build = time.perf_counter() - start
    chosen = np.random.default_rng(args.seed + 2).choice(size, min(args.queries, size), False)
    profiles = ranker.profiles_

    def match(i: int, index: FirstStage | None) -> list[str]:
        ranker.first_stage_ = index
        return [m.id for m in ranker.match(profiles[i].id, top=TOP)]

    def query(i: int, index: FirstStage | None) -> list[str]:
        ranker.first_stage_ = index
        text, country = _query_text(profiles[i]), _other(profiles[i].country)
        return [m.id for m in ranker.query(text, country=country, top=TOP).matches]

    figures = [f"{size:,}", f"{build:.1f}"]
    for call in (match, query):
        for i in chosen[:WARM_UP]:
            call(int(i), stage)
            call(int(i), None)
        fast, slow, same = [], [], 0
        for i in chosen:
            t0 = time.perf_counter()
            found = call(int(i), stage)
            t1 = time.perf_counter()
            exact = call(int(i), None)
            slow.append(time.perf_counter() - t1)
            fast.append(t1 - t0)
            same += found == exact
        encode = np.median(ranker.embedder.seconds[-len(chosen) :]) if call is query else 0.0
        mine, base = _ms(fast), _ms(slow)
        figures += [
            f"{mine[0]:.1f} / {mine[1]:.1f}",
            f"{base[0]:.1f} / {base[1]:.1f}",
            f"{same / len(chosen):.0%}",
        ]
        if call is query:
            figures[-3] += f" (encoding {encode * 1e3:.0f})"
        print(f"{call.__name__}: approximate {mine[0]:.1f} / {mine[1]:.1f} ms (median / p95), "
              f"exact {base[0]:.1f} / {base[1]:.1f} ms, top 10 identical for "
              f"{same}/{len(chosen)}", flush=True)
    ranker.first_stage_ = stage
    figures += _save_and_load(ranker)
    return figures


def _save_and_load(ranker: PartnerRanker) -> list[str]:
    """Seconds to save the fit and to load it back, and the resident memory added by loading."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="matchmaker-fit-") as folder:
        db_path = Path(folder) / "bench.db"
        start = time.perf_counter()
        saved = fitted_state.save(ranker, db_path, revision=1)
        save = time.perf_counter() - start
        gc.collect()
        before = _rss("VmRSS")
        start = time.perf_counter()
        loaded = fitted_state._read(saved, ranker.embedder, None)
        load = time.perf_counter() - start
        loaded.match(loaded.profiles_[0].id, top=TOP)  # touches what one match reads
        added = _rss("VmRSS") - before if before is not None else None
        on_disk = sum(f.stat().st_size for f in saved.rglob("*") if f.is_file())
        del loaded
    return [f"{save:.1f}", f"{load:.1f}", _mb(added), f"{on_disk / MB:,.0f}"]


APPROXIMATE_HEADER = [
    "profiles",
    "index build (s)",
    "match approx. median / p95 (ms)",
    "match exact median / p95 (ms)",
    "match top 10 identical",
    "query approx. median / p95 (ms)",
    "query exact median / p95 (ms)",
    "query top 10 identical",
    "save fit (s)",
    "load fit (s)",
    "RSS added by load + 1 match (MB)",
    "saved on disk (MB)",
]


# -- 3. fit -------------------------------------------------------------------


def fit_ranker(
    profiles: list[Profile], vectors: Vectors, embedder: TimedEmbedder
) -> tuple[PartnerRanker, Fit]:
    """Fit a ranker, timing it and measuring what it keeps and the process's peak growth."""
    gc.collect()
    before = _rss("VmRSS")
    can_reset = _reset_peak_rss()
    start = time.perf_counter()
    ranker = PartnerRanker(embedder=embedder).fit(profiles, vectors)
    seconds = time.perf_counter() - start
    peak = _rss("VmHWM") - before if can_reset and before is not None else None
    kept = _rss("VmRSS") - before if before is not None else None
    vocabulary = len(ranker.vectorizer_.vocabulary_)
    return ranker, Fit(len(profiles), seconds, array_bytes(ranker), peak, kept, vocabulary)


def array_bytes(obj: object, depth: int = 3) -> int:
    """Bytes of the numpy and scipy.sparse arrays an object holds (its fitted state)."""
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if sparse.issparse(obj):
        return sum(getattr(obj, a).nbytes for a in ("data", "indices", "indptr") if hasattr(obj, a))
    if depth == 0 or not hasattr(obj, "__dict__"):
        return 0
    return sum(array_bytes(value, depth - 1) for value in vars(obj).values())


def _rss(key: str) -> int | None:
    """A memory figure of this process from /proc (Linux), in bytes."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """Reset VmHWM so the peak after fit belongs to the fit (Linux 4.0+)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


# -- hot spots ----------------------------------------------------------------


def profile_hot_spots(ranker: PartnerRanker, args: argparse.Namespace, calls: int = 5) -> None:
    """cProfile a few match and query calls and print the functions that take the time."""
    chosen = np.random.default_rng(args.seed + 1).choice(len(ranker.profiles_), calls)
    for name, call in (
        ("match", lambda p: ranker.match(p.id, top=TOP)),
        ("query", lambda p: ranker.query(_query_text(p), country=_other(p.country), top=TOP)),
    ):
        profiler = cProfile.Profile()
        profiler.enable()
        for i in chosen:
            call(ranker.profiles_[int(i)])
        profiler.disable()
        print(f"\ncProfile, {calls} {name} calls at {len(ranker.profiles_):,} profiles:")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(8)


# -- output -------------------------------------------------------------------

FIT_HEADER = [
    "profiles",
    "fit (s)",
    "ranker arrays (MB)",
    "RSS peak growth in fit (MB)",
    "RSS kept after fit (MB)",
    "TF-IDF terms",
]
LATENCY_HEADER = [
    "operation",
    "profiles",
    "calls",
    "median (ms)",
    "p95 (ms)",
    "of which encoding, median (ms)",
    "semantic_search median (ms)",
    "semantic_search p95 (ms)",
    "ratio (medians)",
]


def _section(title: str) -> None:
    print(f"\n== {title} ==", flush=True)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _ms(times: list[float]) -> tuple[float, float]:
    """Median and 95th percentile, in milliseconds."""
    return float(np.median(times) * 1e3), float(np.percentile(times, 95) * 1e3)


def _mb(value: int | None) -> str:
    return "n/a" if value is None else f"{value / MB:,.0f}"


def _other(country: str) -> str:
    return "KR" if country == "LV" else "LV"


if __name__ == "__main__":
    main()
