"""Where the memory of a PartnerRanker fit goes, step by step (issue 14).

A million profiles cannot be fitted on this machine if the fit holds every
vector at once, so this script measures, for each size, in a fresh process:

* the input: the profiles, and the vectors (``benchmarks/synthetic.py``, hashing
  vectors by default: the fit never reads their values, only their shapes);
* each step of the fit (field matrices, phrase tables, roles, focus, each lexical
  matrix and vectorizer, the first-stage index) and saving the fit: its wall time,
  how far the process's resident memory rose above where it was when the step
  began (peak) and what the step left behind (kept), in total and for the
  process's own (anonymous) memory alone. File pages of memory-mapped arrays count
  in the total, not in the anonymous figure, and the kernel may drop them at will.

RSS is read from /proc/self/status by a thread every few milliseconds, so steps
nested inside others are measured too; a spike shorter than the interval can be
missed. ``--bounded`` measures the memory-bounded fit instead: vectors come chunk
by chunk from a generator (never one dict of every company's arrays) and the fit
writes its dense arrays straight into the saved-fit folder. ``--compare`` runs
both for each size and prints their ratios.

    PYTHONPATH=src python benchmarks/fit_memory.py --sizes 2000,5000
    PYTHONPATH=src python benchmarks/fit_memory.py --sizes 20000,50000 --compare
"""

from __future__ import annotations

import argparse
import gc
import inspect
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `benchmarks.synthetic` importable
    sys.path.insert(0, str(ROOT))

MB = 1024 * 1024
#: Seconds between two readings of /proc/self/status.
INTERVAL = 0.005


# -- reading RSS ---------------------------------------------------------------------------


def rss() -> tuple[int, int]:
    """(resident, of which anonymous) bytes of this process, from /proc/self/status."""
    found = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon"):
                found[key] = int(value.split()[0]) * 1024
    return found["VmRSS"], found["RssAnon"]


class Sampler(threading.Thread):
    """Reads RSS every ``interval`` seconds; :meth:`peak` gives the highest in a time span."""

    def __init__(self, interval: float = INTERVAL):
        super().__init__(daemon=True)
        self.interval = interval
        self.samples: list[tuple[float, int, int]] = []
        self.running = True

    def run(self) -> None:
        while self.running:
            self.read()
            time.sleep(self.interval)

    def read(self) -> tuple[float, int, int]:
        sample = (time.perf_counter(), *rss())
        self.samples.append(sample)
        return sample

    def peak(self, start: float, end: float) -> tuple[int, int]:
        inside = [s for s in self.samples if start <= s[0] <= end]
        return max(s[1] for s in inside), max(s[2] for s in inside)


@dataclass
class Step:
    """One measured call: wall seconds and RSS figures relative to its start, in bytes."""

    label: str
    depth: int
    seconds: float
    peak: int
    kept: int
    peak_anon: int
    kept_anon: int
    #: tracemalloc's peak of the step's allocations above its start (``--tracemalloc``)
    traced_peak: int = 0


@dataclass
class Recorder:
    """Measures calls (nested ones too) with one :class:`Sampler`."""

    sampler: Sampler
    steps: list[Step] = field(default_factory=list)
    depth: int = 0
    #: tracemalloc peaks seen so far by each open step (tracemalloc has one peak to reset)
    traced: list[int] = field(default_factory=list)

    def measure(self, label: str, call: Callable, *args, **kwargs):
        gc.collect()
        t0, rss0, anon0 = self.sampler.read()
        traced0 = self._enter_traced()
        position = len(self.steps)
        self.depth += 1
        try:
            result = call(*args, **kwargs)
        finally:
            self.depth -= 1
        traced_peak = self._leave_traced() - traced0
        t1, rss1, anon1 = self.sampler.read()
        peak, peak_anon = self.sampler.peak(t0, t1)
        step = Step(label, self.depth, t1 - t0, peak - rss0, rss1 - rss0,
                    peak_anon - anon0, anon1 - anon0, traced_peak)
        self.steps.insert(position, step)  # before the steps nested in it
        print(f"  {'  ' * self.depth}{label}: {step.seconds:.1f} s, peak +{step.peak / MB:,.0f} MB "
              f"(anon +{step.peak_anon / MB:,.0f}), kept {step.kept / MB:,.0f} MB",
              file=sys.stderr, flush=True)  # progress, for long runs
        return result

    def _enter_traced(self) -> int:
        """Start a step's tracemalloc peak; the traced bytes now (0 when not tracing)."""
        if not tracemalloc.is_tracing():
            return 0
        current, peak = tracemalloc.get_traced_memory()
        if self.traced:
            self.traced[-1] = max(self.traced[-1], peak)
        tracemalloc.reset_peak()
        self.traced.append(current)
        return current

    def _leave_traced(self) -> int:
        """The step's traced peak (its nested steps' included), handed on to the open step."""
        if not tracemalloc.is_tracing():
            return 0
        peak = max(self.traced.pop(), tracemalloc.get_traced_memory()[1])
        if self.traced:
            self.traced[-1] = max(self.traced[-1], peak)
        return peak

    def wrap(self, owner, name: str, labels: Sequence[str]) -> None:
        """Measure every call of ``owner.name``; call i is labelled ``labels[i]``."""
        static = inspect.getattr_static(owner, name, None)
        if static is None:
            return
        kind = type(static) if isinstance(static, (classmethod, staticmethod)) else None
        original = static.__func__ if kind else static
        calls = iter(range(10**9))

        def measured(*args, **kwargs):
            i = next(calls)
            label = labels[i] if i < len(labels) else f"{labels[-1]} #{i + 1}"
            return self.measure(label, original, *args, **kwargs)

        setattr(owner, name, kind(measured) if kind else measured)


def install(recorder: Recorder) -> None:
    """Measure the steps a fit is made of, by their names in this tree or in main before
    the bounded fit (``--baseline``): whichever exist are wrapped."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from matchmaker import fitted_state
    from matchmaker.focus_fit import FocusFit
    from matchmaker.ranking import lexical, partner, phrases
    from matchmaker.role_fit import RoleFit

    ranker = partner.PartnerRanker
    fields = [f"field matrix: {f}" for f in ("profile", "offers", "seeks", "identity")]
    recorder.wrap(ranker, "_field_matrix", fields)  # before: one call per field
    recorder.wrap(phrases.PhraseTable, "build", ["phrase table: offers", "phrase table: seeks"])
    recorder.wrap(partner, "fit_dense", ["field matrices and phrase tables"])  # now: one call
    recorder.wrap(RoleFit, "fit", ["roles and markets"])
    recorder.wrap(FocusFit, "fit", ["areas and product types"])
    recorder.wrap(ranker, "_fit_lexical", ["lexical, all of it"])
    recorder.wrap(lexical.WordsAndConcepts, "fit", ["BM25 words and concepts"])
    recorder.wrap(lexical.BM25, "fit", ["BM25 over words", "BM25 over concepts"])
    vocabularies = ["TF-IDF vocabulary (1-2 grams)", "peer TF-IDF vocabulary"]
    rows = ["TF-IDF rows: profiles", "peer TF-IDF rows", "TF-IDF rows: offers",
            "TF-IDF rows: seeks"]
    owner = lexical if hasattr(lexical, "fit_lexical") else partner
    recorder.wrap(owner, "fit_vocabulary", vocabularies)
    if hasattr(lexical, "transform"):  # now: one call per matrix, chunks inside
        recorder.wrap(lexical, "transform", rows)
    else:
        recorder.wrap(TfidfVectorizer, "transform", rows)
    recorder.wrap(ranker, "_fit_first_stage", ["first-stage index"])
    recorder.wrap(fitted_state, "_finish", ["save: pickle, lists, rename"])


# -- one size, in a child process ------------------------------------------------------------


def child(size: int, args: argparse.Namespace) -> dict:
    """Profiles, vectors, fit and save at ``size``, every step measured; a JSON-able dict."""
    from benchmarks.synthetic import make_profiles, make_vectors, vector_chunks
    from matchmaker import fitted_state
    from matchmaker.engine import make_embedder
    from matchmaker.ranking import PartnerRanker

    if args.tracemalloc:
        tracemalloc.start()
    sampler = Sampler()
    sampler.start()
    recorder = Recorder(sampler)
    embedder = make_embedder(args.model)
    embedder.encode(["warm-up"])
    start = sampler.read()
    profiles = recorder.measure("input: profiles", make_profiles, size, args.seed)
    ranker = PartnerRanker(embedder=embedder, approximate_from=args.approximate_from)
    folder = Path(args.keep) if args.keep else Path(
        tempfile.mkdtemp(prefix="fit-memory-", dir=args.tmp)
    )
    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "bench.db"
    if args.bounded:
        vectors = recorder.measure(
            "input: a reader of vector chunks", vector_chunks, profiles, embedder, args.sample
        )
        install(recorder)
        ranker, saved = recorder.measure(
            "fit and save, bounded", fitted_state.fit_and_save,
            ranker, profiles, vectors, db_path, 1, chunk=args.chunk,
        )
    else:
        vectors = recorder.measure(
            "input: vectors (one dict)", make_vectors, profiles, embedder, sample=args.sample
        )
        install(recorder)
        ranker = recorder.measure("fit", ranker.fit, profiles, vectors)
        saved = recorder.measure("save the fit", fitted_state.save, ranker, db_path, 1)
    end = sampler.read()
    if saved is None:
        raise SystemExit(f"the fit was not saved in {folder} (see the log above)")
    disk = _disk(saved)
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    sampler.running = False
    whole = sampler.peak(start[0], end[0])
    return {
        "size": size,
        "mode": "bounded" if args.bounded else "today",
        "whole": [whole[0] - start[1], whole[1] - start[2], end[0] - start[0]],
        "steps": [asdict(s) for s in recorder.steps],
        "disk": disk,
        "saved": str(saved) if args.keep else "",
        "vocabulary": len(ranker.vectorizer_.vocabulary_),
        "phrases": [len(ranker.offer_phrases_.vectors), len(ranker.seek_phrases_.vectors)],
    }


def _disk(folder: Path | None) -> dict[str, int]:
    """Bytes on disk of a saved fit, by part (arrays, rows, deferred objects, index, pickle)."""
    if folder is None:
        return {}
    parts: dict[str, int] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            part = path.relative_to(folder).parts[0]
            parts[part] = parts.get(part, 0) + path.stat().st_size
    return parts


# -- the parent: one child per size, then tables ----------------------------------------------


def run_child(size: int, argv: Sequence[str], src: Path = ROOT / "src") -> dict:
    """One size in a fresh process, with the matchmaker of ``src``; its JSON result."""
    command = [sys.executable, __file__, "--child", str(size), *argv]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(ROOT)])}
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=env, check=False)
    if done.returncode:  # its stderr (progress, traceback) went to ours
        raise SystemExit(f"size {size} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def baseline_src(folder: Path, ref: str) -> Path:
    """The ``src`` of git ref ``ref`` (``git archive``): today's fit, before this change."""
    archive = subprocess.run(["git", "archive", ref, "src"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def table(results: list[dict]) -> Iterator[str]:
    """Per step and run: seconds, peak and kept growth (total / anonymous), in MB."""
    yield "| step | " + " | ".join(
        f"{r['size']:,} {r['mode']}: s, peak / kept MB (anon peak / kept)" for r in results
    ) + " |"
    yield "|---|" + "---|" * len(results)
    labels = list(dict.fromkeys(s["label"] for r in results for s in r["steps"]))
    for label in labels:
        cells, depth = [], 0
        for r in results:
            found = [s for s in r["steps"] if s["label"] == label]
            if not found:
                cells.append("-")
                continue
            s = found[0]
            depth = s["depth"]
            traced = f", traced {s['traced_peak'] / MB:,.0f}" if s.get("traced_peak") else ""
            cells.append(
                f"{s['seconds']:.1f} s, {s['peak'] / MB:,.0f} / {s['kept'] / MB:,.0f} "
                f"({s['peak_anon'] / MB:,.0f} / {s['kept_anon'] / MB:,.0f}{traced})"
            )
        yield f"| {'  ' * (depth - 1)}{label} | " + " | ".join(cells) + " |"
    yield "| **whole run: peak above the start, s** | " + " | ".join(
        f"**{r['whole'][2]:.0f} s, {r['whole'][0] / MB:,.0f} MB (anon {r['whole'][1] / MB:,.0f})**"
        for r in results
    ) + " |"


def ratios(results: list[dict]) -> Iterator[str]:
    """Bounded against today's fit at each size: peak RSS above the start and wall time."""
    by = {(r["size"], r["mode"]): r for r in results}
    for size in dict.fromkeys(r["size"] for r in results):
        today, bounded = by.get((size, "today")), by.get((size, "bounded"))
        if today and bounded:
            t, b = today["whole"], bounded["whole"]
            yield (
                f"{size:,}: peak above start {b[0] / MB:,.0f} against {t[0] / MB:,.0f} MB "
                f"(ratio {b[0] / t[0]:.2f}; anonymous {b[1] / MB:,.0f} against "
                f"{t[1] / MB:,.0f}, {b[1] / t[1]:.2f}); wall {b[2]:.0f} against {t[2]:.0f} s "
                f"({b[2] / t[2]:.2f})"
            )


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2000,5000", help="comma-separated N")
    parser.add_argument("--model", default="hashing", help="embedder setting (default hashing)")
    parser.add_argument("--sample", type=int, default=500,
                        help="profiles encoded field by field; the rest composed (synthetic.py)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--approximate-from", type=int, default=0,
                        help="profiles from which the first-stage index is built (default 0: "
                        "always, so its memory is measured)")
    parser.add_argument("--bounded", action="store_true",
                        help="the memory-bounded fit: vectors from a reader of chunks, arrays "
                        "written into the saved fit (fitted_state.fit_and_save)")
    parser.add_argument("--compare", action="store_true",
                        help="today's fit and the bounded one, each size, in separate processes")
    parser.add_argument("--baseline", default="main",
                        help="git ref whose fit is today's (default main); '' for this tree's "
                        "fit in memory")
    parser.add_argument("--chunk", type=int, default=5000, help="companies per chunk (bounded)")
    parser.add_argument("--keep", help="write the saved fit here and keep it (one size)")
    parser.add_argument("--tmp", default=None, help="folder for the saved fit (default: /tmp)")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also trace allocations (exact per-step peaks, 2-3x slower)")
    parser.add_argument("--json", help="also write every measurement to this file")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    passed = list(sys.argv[1:] if argv is None else argv)
    forwarded = [a for a in passed if not a.startswith("--sizes") and a != args.sizes]
    return args, forwarded


def main(argv: Sequence[str] | None = None) -> None:
    args, forwarded = parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args)))
        return
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    modes = [False, True] if args.compare else [args.bounded]
    forwarded = [a for a in forwarded if a not in ("--compare", "--bounded")]
    results = []
    with tempfile.TemporaryDirectory(prefix="fit-memory-baseline-") as tmp:
        before = ROOT / "src"
        if False in modes and args.baseline:
            before = baseline_src(Path(tmp), args.baseline)
        for size in sizes:
            for bounded in modes:
                name = "bounded" if bounded else f"today's ({args.baseline or 'this tree'})"
                print(f"{name} fit of {size:,} synthetic profiles in a child process ...",
                      flush=True)
                flag = ["--bounded"] if bounded else []
                results.append(run_child(size, [*forwarded, *flag], ROOT / "src" if bounded
                                         else before))
                if args.json:
                    Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    print()
    for line in table(results):
        print(line)
    print()
    for r in results:
        disk = ", ".join(f"{k} {v / MB:,.0f}" for k, v in sorted(r["disk"].items()))
        print(f"{r['size']:,} {r['mode']}: TF-IDF terms {r['vocabulary']:,}, phrase rows "
              f"{r['phrases'][0]:,} offers / {r['phrases'][1]:,} seeks; saved MB: {disk}"
              + (f"; kept in {r['saved']}" if r["saved"] else ""))
    for line in ratios(results):
        print(line)


if __name__ == "__main__":
    main()
