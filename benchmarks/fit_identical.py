"""The bounded fit saves what the code before it saved: file by file, against main (issue 14).

The tests (tests/test_bounded_fit.py) compare this tree's in-memory fit with its
bounded one. This script compares this tree's bounded fit
(``fitted_state.fit_and_save``: vectors read a chunk at a time, arrays written
straight into the folder) with the fit and save of ``--baseline`` (``git archive``
of its ``src``; default main), each in a fresh process with the same hash seed, on
the shipped profiles and on synthetic ones (hashing vectors): every saved file
must be byte for byte the same, except the approximate indexes (usearch builds them
on several threads; two builds of one tree differ too) and the scikit-learn
vectorizers' pickles, which hold ``id(self.stop_words)``, a memory address; those
are compared attribute by attribute without it. ``match`` and ``query`` answers
are compared too.

    PYTHONPATH=src python benchmarks/fit_identical.py --sizes 3000
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "companies.jsonl"
#: saved files not compared byte for byte (see the module docstring)
NOT_BYTES = (".usearch",)


def child(which: str, bounded: bool, out: Path, chunk: int) -> None:
    """In a fresh process: fit ``which`` (shipped, or a size) and save it under ``out``."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.synthetic import make_profiles, make_vectors
    from matchmaker import fitted_state
    from matchmaker.engine import make_embedder
    from matchmaker.importing import parse_file
    from matchmaker.ranking import PartnerRanker

    embedder = make_embedder("hashing")
    if which == "shipped":
        profiles = parse_file(SHIPPED).profiles
        sample = len(profiles)
    else:
        profiles, sample = make_profiles(int(which)), 100
    vectors = make_vectors(profiles, embedder, sample=sample)
    fitted_state.MAPPED_BYTES = 0  # every array in a file of its own, even the small ones
    ranker = PartnerRanker(embedder=embedder, approximate_from=0)
    if bounded:
        ranker, _ = fitted_state.fit_and_save(
            ranker, profiles, lambda part: vectors, out / "x.db", 1, chunk=chunk
        )
    else:
        fitted_state.save(ranker.fit(profiles, vectors), out / "x.db", 1)
    step = max(1, len(profiles) // 50)
    answers = {
        "match": {p.id: [[m.id, m.score, m.reasons] for m in ranker.match(p.id)]
                  for p in profiles[::step]},
        "query": [[m.id, m.score] for m in
                  ranker.query("Korean distributor for our PCR kits", country="KR").matches],
    }
    (out / "answers.json").write_text(json.dumps(answers), encoding="utf-8")


def compare(baseline: Path, bounded: Path) -> list[str]:
    """What differs between two runs' saved fits and answers (empty: nothing)."""
    folders = [next((side / "x.db.fitted").iterdir()) for side in (baseline, bounded)]
    files = [{str(p.relative_to(f)): p for p in f.rglob("*") if p.is_file()} for f in folders]
    problems = []
    if set(files[0]) != set(files[1]):
        problems.append(f"different files: {sorted(set(files[0]) ^ set(files[1]))}")
    for name in sorted(set(files[0]) & set(files[1])):
        left, right = files[0][name], files[1][name]
        if name.endswith(NOT_BYTES) or left.read_bytes() == right.read_bytes():
            continue
        if not (name.startswith("deferred/") and _state(left) == _state(right)):
            problems.append(f"{name} differs")
    for side in ("answers.json",):
        if (baseline / side).read_text() != (bounded / side).read_text():
            problems.append("match or query answers differ")
    return problems


class _Ids(pickle.Unpickler):
    """Reads a saved part's pickle, leaving the ids of arrays beside it as they are."""

    def persistent_load(self, pid):
        return pid


def _state(path: Path) -> dict:
    """A pickled vectorizer's attributes, without the memory address it holds."""
    with open(path, "rb") as source:
        obj = _Ids(source).load()
    state = {k: v for k, v in vars(obj).items() if k != "_stop_words_id"}
    inner = state.pop("_tfidf", None)
    if inner is not None:
        state["_tfidf"] = {k: repr(v) for k, v in vars(inner).items()}
    return {k: list(v.items()) if isinstance(v, dict) else repr(v) for k, v in state.items()}


def baseline_src(folder: Path, ref: str) -> Path:
    """The baseline's ``src`` unpacked from ``git archive``."""
    archive = subprocess.run(["git", "archive", ref, "src"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def run(src: Path, which: str, bounded: bool, out: Path, chunk: int) -> None:
    out.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONHASHSEED": "0",
           "MATCHMAKER_LEARNED_MODEL": "none"}
    command = [sys.executable, __file__, "--child", which, "--out", str(out),
               "--chunk", str(chunk), *(["--bounded"] if bounded else [])]
    subprocess.run(command, env=env, check=True, cwd=ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2000", help="comma-separated synthetic sizes")
    parser.add_argument("--baseline", default="main", help="git ref of the code before")
    parser.add_argument("--chunk", type=int, default=333, help="companies per chunk")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--bounded", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.bounded, Path(args.out), args.chunk)
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        before = baseline_src(Path(tmp) / "baseline", args.baseline)
        for which in ["shipped", *args.sizes.split(",")]:
            run(before, which, False, Path(tmp) / which / "baseline", args.chunk)
            run(ROOT / "src", which, True, Path(tmp) / which / "bounded", args.chunk)
            problems = compare(Path(tmp) / which / "baseline", Path(tmp) / which / "bounded")
            label = "shipped profiles" if which == "shipped" else f"{int(which):,} synthetic"
            print(f"{label}: " + ("saved fit and answers IDENTICAL" if not problems
                                  else "DIFFER: " + "; ".join(problems)), flush=True)
            failed = failed or bool(problems)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
