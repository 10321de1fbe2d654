"""Report benchmark: top-10 partner reports for 10k companies against 10k and 100k candidates.

Run from the repository root::

    .venv/bin/python benchmarks/reports.py           # 10k x 10k and 10k x 100k
    .venv/bin/python benchmarks/reports.py --quick   # smoke run, well under a minute

"Q x C" means Q Latvian query companies, each ranked against C Korean
candidates, as ``matchmaker report --direction lv-kr --top 10`` does. All
profiles are SYNTHETIC (``benchmarks/synthetic.py``); vectors exist before the
clock starts (the target is "after embeddings exist"), and fitting the ranker
is timed apart as setup.

The report (``reports.build_report``: selection, ``PartnerRanker.match_many``,
ordering, rows, then the CSV file) is compared with the straightforward loop,
``PartnerRanker.match`` once per company, in the same process on the same
queries. The report runs over all queries unless a pilot run projects more than
``--budget`` seconds; then it runs over the first ``--sample`` queries and is
scaled up linearly. The loop always runs over the first ``--sample`` queries and
is scaled up. The output says which figures were scaled. Peak memory is the process's
peak resident size above what it held when the phase began (Linux
``/proc/self/clear_refs``). Nothing here asserts a time.

Then, for whoever tunes ``matchmaker/ranking/``: where the time goes (cProfile of the
sampled report, by function), stage 1 alone over all queries, and what a
smaller candidate pool would gain and lose (set on the fitted ranker in this
process only).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `benchmarks.synthetic` importable
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.scale import (  # noqa: E402
    _reset_peak_rss,
    _rss,
    _section,
    _table,
    environment,
)
from benchmarks.synthetic import describe_vectors, make_profile, make_vectors  # noqa: E402
from matchmaker.engine import make_embedder  # noqa: E402
from matchmaker.profiles import Profile  # noqa: E402
from matchmaker.ranking import Filters, PartnerRanker, batch  # noqa: E402
from matchmaker.reports import Report, ReportSpec, build_report, write_report  # noqa: E402

MB = 1024 * 1024
TOP = 10
TARGET_SECONDS = 60.0
PILOT = 128  # one full block, so per-call costs (masks, gathering) do not skew the projection
PROFILED = 48  # companies profiled, and measured for each what-if (cProfile is slow)
SYNTHETIC_DATA = {"data_revision": 0, "data_changed_at": None, "companies_in_database": None}

FULL = {"sizes": "10000x10000,10000x100000", "sample": 128, "budget": 900.0, "what_if": True}
QUICK = {"sizes": "40x60,40x200", "sample": 16, "budget": 20.0, "what_if": True}


@dataclass
class Run:
    """One measured report size: what was timed, on how many queries, and the baseline."""

    queries: int
    candidates: int
    fit_seconds: float
    measured: int  # queries actually run; < queries means extrapolated
    report_seconds: float  # for all queries (extrapolated if measured < queries)
    write_seconds: float
    report_peak: int | None
    looped: int  # queries run through the per-company loop (the first of the measured ones)
    loop_seconds: float  # the loop for all queries, extrapolated from ``looped``
    identical: int  # of the looped companies, those whose top-K ids equal match()'s

    @property
    def total(self) -> float:
        return self.report_seconds + self.write_seconds

    def row(self) -> list[str]:
        how = "all" if self.measured == self.queries else f"{self.measured}, extrapolated"
        return [
            f"{self.queries:,} x {self.candidates:,}",
            how,
            f"{self.fit_seconds:.0f}",
            f"{self.report_seconds:.1f}",
            f"{self.write_seconds:.1f}",
            f"{self.total / self.queries * 1e3:.1f}",
            _mb(self.report_peak),
            f"{self.loop_seconds:.1f} ({self.looped:,} measured)",
            f"{self.loop_seconds / self.report_seconds:.2f}x",
            "yes" if self.total <= TARGET_SECONDS else "no",
        ]


HEADER = [
    "queries x candidates",
    "queries measured",
    "fit s (setup)",
    "report s",
    "CSV s",
    "ms / company",
    "peak MB",
    "per-company loop s",
    "speed-up",
    f"under {TARGET_SECONDS:.0f} s",
]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help=f"QxC pairs, comma-separated (default {FULL['sizes']})")
    parser.add_argument("--sample", type=int, help="queries measured when extrapolating (128)")
    parser.add_argument(
        "--budget", type=float, help="longest full report to run, in seconds (default 900)"
    )
    parser.add_argument("--model", default=None, help="model folder, or 'hashing' (tests)")
    parser.add_argument("--exact", type=int, default=200, help="profiles encoded in full")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-what-if", dest="what_if", action="store_false", default=None)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, hashing-friendly")
    args = parser.parse_args(argv)
    for name, default in (QUICK if args.quick else FULL).items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    args.sizes = [tuple(int(x) for x in s.lower().split("x")) for s in args.sizes.split(",")]
    return args


def main(argv: Sequence[str] | None = None) -> list[Run]:
    args = parse_args(argv)
    _section("matchmaker report benchmark (all profiles are SYNTHETIC)")
    for line in environment():
        print(line)
    embedder = make_embedder(args.model)
    queries_n = max(q for q, _ in args.sizes)
    candidates_n = max(c for _, c in args.sizes)
    start = time.perf_counter()
    lv, kr = synthetic_companies(queries_n, candidates_n, args.seed)
    vectors = make_vectors(
        lv + kr, embedder, sample=args.exact, progress=lambda m: print(f"  {m}", flush=True)
    )
    print(
        f"data: {len(lv):,} LV and {len(kr):,} KR synthetic profiles, {embedder.model_id}; "
        f"{describe_vectors(len(lv) + len(kr), args.exact)}; built in "
        f"{time.perf_counter() - start:.0f} s (not timed below)"
    )
    runs = []
    for queries, candidates in args.sizes:
        _section(f"{queries:,} LV companies x {candidates:,} KR candidates, top {TOP}")
        profiles = lv[:queries] + kr[:candidates]
        runs.append(measure(profiles, queries, candidates, vectors, embedder, args))
        gc.collect()
    _section("summary (markdown)")
    print(_table(HEADER, [r.row() for r in runs]))
    return runs


def synthetic_companies(lv: int, kr: int, seed: int) -> tuple[list[Profile], list[Profile]]:
    """The first ``lv`` Latvian and ``kr`` Korean synthetic profiles (stable per seed)."""
    found: dict[str, list[Profile]] = {"LV": [], "KR": []}
    wanted = {"LV": lv, "KR": kr}
    i = 0
    while any(len(found[c]) < wanted[c] for c in found):
        profile = make_profile(i, seed)
        if len(found[profile.country]) < wanted[profile.country]:
            found[profile.country].append(profile)
        i += 1
    return found["LV"], found["KR"]


def measure(
    profiles: list[Profile],
    queries: int,
    candidates: int,
    vectors: dict,
    embedder,
    args: argparse.Namespace,
) -> Run:
    wanted = {p.id for p in profiles}
    subset = {
        field: {k: v for k, v in rows.items() if k in wanted} for field, rows in vectors.items()
    }
    start = time.perf_counter()
    ranker = PartnerRanker(embedder=embedder).fit(profiles, subset)
    fit_seconds = time.perf_counter() - start
    print(f"fit: {fit_seconds:.1f} s (setup: the report starts from a fitted ranker)")
    ids = [p.id for p in profiles[:queries]]

    pilot = min(PILOT, queries)
    pilot_seconds, _, _ = timed_report(ranker, ids[:pilot])
    projected = pilot_seconds * queries / pilot
    measured = queries if projected <= args.budget else min(args.sample, queries)
    print(
        f"pilot: {pilot} companies in {pilot_seconds:.2f} s, full report projected at "
        f"{projected:.0f} s: "
        + ("running it in full" if measured == queries else f"measuring {measured} and scaling")
    )
    seconds, peak, report = timed_report(ranker, ids[:measured])
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        write_report(report, "csv", Path(folder) / "report.csv")
        write_seconds = time.perf_counter() - start
    scale = queries / measured
    print(
        f"report: {measured:,} companies in {seconds:.1f} s ({seconds / measured * 1e3:.1f} ms "
        f"each), CSV {write_seconds:.2f} s, peak memory {_mb(peak)} MB above the fitted ranker"
        + (f"; x{scale:.1f} for all {queries:,}: {seconds * scale:.0f} s" if scale > 1 else "")
    )

    looped = min(args.sample, measured)
    loop_seconds, identical = per_company_loop(ranker, ids[:looped], report)
    loop_scale = queries / looped
    print(
        f"baseline, ranker.match once per company on the first {looped:,} of them: "
        f"{loop_seconds:.1f} s ({loop_seconds / looped * 1e3:.1f} ms each)"
        + (f"; x{loop_scale:.1f} for all {queries:,}: {loop_seconds * loop_scale:.0f} s")
        + f"; speed-up {loop_seconds * loop_scale / (seconds * scale):.2f}x; same top-{TOP} "
        f"partners for {identical} of {looped} companies"
    )
    run = Run(
        queries,
        candidates,
        fit_seconds,
        measured,
        seconds * scale,
        write_seconds * scale,
        peak,
        looped,
        loop_seconds * loop_scale,
        identical,
    )
    profiled = ids[: min(measured, PROFILED)]
    where_time_goes(ranker, profiled)
    stage_one_alone(ranker, ids)
    if args.what_if:
        what_if(ranker, profiled)
    return run


def timed_report(ranker: PartnerRanker, ids: list[str]) -> tuple[float, int | None, Report]:
    """Seconds and peak extra memory of one report over exactly these companies."""
    spec = ReportSpec(top=TOP, direction="lv-kr", company_ids=tuple(ids))
    gc.collect()
    before = _rss("VmRSS")
    reset = _reset_peak_rss()
    start = time.perf_counter()
    report = build_report(ranker, spec, SYNTHETIC_DATA)
    seconds = time.perf_counter() - start
    peak = _rss("VmHWM") - before if reset and before is not None else None
    return seconds, peak, report


def per_company_loop(ranker: PartnerRanker, ids: list[str], report: Report) -> tuple[float, int]:
    """The straightforward way: match() per company; also checks the report agrees with it."""
    start = time.perf_counter()
    results = {cid: ranker.match(cid, top=TOP) for cid in ids}
    seconds = time.perf_counter() - start
    identical = sum(
        sorted(m.id for m in results[s.company.id]) == sorted(e.match.id for e in s.entries)
        for s in report.sections
        if s.company.id in results
    )
    return seconds, identical


def where_time_goes(ranker: PartnerRanker, ids: list[str], rows: int = 14) -> None:
    """cProfile of match_many's per-chunk work on these companies, in this thread.

    match_many runs chunks in worker threads, which cProfile does not follow, so
    this calls the per-chunk function (stage 1 and stage 2) directly, one thread.
    """
    positions = [ranker.index_[cid] for cid in ids]
    masks: dict = {}
    profiler = cProfile.Profile()
    profiler.enable()
    for first in range(0, len(positions), 128):
        batch.match_block(ranker, positions[first : first + 128], TOP, Filters(), masks)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    total = stats.total_tt
    print(
        f"\nwhere the time goes: cProfile of the chunks of match_many over {len(ids)} companies, "
        f"one thread, {total:.1f} s"
    )
    print("(profiling slows Python-heavy code more than numpy; read the shares, not the seconds)")
    entries = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:rows]
    table = []
    for (filename, line, name), (_, calls, own, cumulative, _) in entries:
        where = f"{Path(filename).name}:{line} {name}" if line else name
        table.append(
            [where, f"{calls:,}", f"{own:.2f}", f"{100 * own / total:.0f}%", f"{cumulative:.2f}"]
        )
    print(_table(["function", "calls", "own s", "share", "cumulative s"], table))
    cumulative = {name: value[3] for (_, _, name), value in stats.stats.items()}
    for name in ("coarse_block", "_rerank", "partner_signals", "_explain_partners"):
        if name in cumulative:
            share = 100 * cumulative[name] / total
            print(f"  {name}: {cumulative[name]:.2f} s cumulative ({share:.0f}%)")


def stage_one_alone(ranker: PartnerRanker, ids: list[str], chunk: int = 128) -> None:
    """Stage 1 (chunked matrix products and partial sorts) over all queries, nothing else.

    Calls ``ranking.batch.coarse_block`` exactly as match_many does, to show what the
    batched part costs at full size.
    Memory is the peak of traced allocations (numpy reports to tracemalloc): it is
    bounded by one chunk, whatever the number of queries.
    """
    positions = [ranker.index_[cid] for cid in ids]
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    try:
        masks: dict = {}
        for first in range(0, len(positions), chunk):
            batch.coarse_block(ranker, positions[first : first + chunk], Filters(), masks)
    finally:
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    candidates = int(np.count_nonzero(ranker.countries_ == "KR"))
    one_matrix = chunk * candidates * 4
    print(
        f"stage 1 alone, all {len(ids):,} companies (pools of {ranker.candidates} candidates): "
        f"{seconds:.1f} s; peak allocations {peak / MB:,.0f} MB, i.e. "
        f"{peak / one_matrix:.1f}x one {chunk} x {candidates:,} float32 block"
    )


def what_if(ranker: PartnerRanker, ids: list[str]) -> None:
    """A smaller candidate pool: how much faster, and how much of the top K it keeps."""
    print(f"\nwhat if: smaller candidate pools, one worker ({len(ids)} companies, this process):")
    shipped = ranker.candidates
    seconds, _, full = timed_report(ranker, ids)
    reference = {s.company.id: {e.match.id for e in s.entries} for s in full.sections}
    print(f"  candidates={shipped} (shipped): {seconds / len(ids) * 1e3:.1f} ms per company")
    start = time.perf_counter()
    for _ in ranker.match_many(ids, top=TOP, workers=1):
        pass
    single = time.perf_counter() - start
    print(f"  (the same with one worker thread: {single / len(ids) * 1e3:.1f} ms per company)")
    try:
        for pool in (100, 50):
            ranker.candidates = pool
            seconds, _, smaller = timed_report(ranker, ids)
            overlap = np.mean(
                [
                    len(reference[s.company.id] & {e.match.id for e in s.entries}) / TOP
                    for s in smaller.sections
                ]
            )
            print(
                f"  candidates={pool}: {seconds / len(ids) * 1e3:.1f} ms per company; keeps "
                f"{overlap:.1%} of the top {TOP}"
            )
    finally:
        ranker.candidates = shipped


# -- helpers --------------------------------------------------------------------


def _mb(value: int | None) -> str:
    return "n/a" if value is None else f"{value / MB:,.0f}"


if __name__ == "__main__":
    main()
