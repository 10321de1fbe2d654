"""Duplicate detection against hand labels: precision and recall, and what each signal adds.

    PYTHONPATH=src .venv/bin/python benchmarks/duplicates.py [--names-only]

Reads eval/duplicates/pairs.jsonl (76 duplicate pairs, 81 look-alikes, labelled
before tuning), embeds every side that has a description with the real model
(the stored ``profile`` vector the app would use), and scores each pair with
matchmaker.duplicates. Prints precision and recall at the shipped threshold
(targets P >= 0.95, R >= 0.9), the same without vectors and without websites
(what each signal adds), a threshold sweep, the errors, and how long finding
duplicates among all curated records takes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matchmaker import engine
from matchmaker.dataset import data_files
from matchmaker.duplicates import THRESHOLD, DuplicateDetector, Entity
from matchmaker.importing import parse_file
from matchmaker.profiles import Profile
from matchmaker.texts import profile_text

ROOT = Path(__file__).resolve().parents[1]
PAIRS = ROOT / "eval" / "duplicates" / "pairs.jsonl"


@dataclass
class Side:
    entity: Entity
    profile: Profile | None  # None for an inline record (a name as it would be imported)


def load_sources() -> dict[str, Profile]:
    """'data:ID' and 'deals:ID' -> profile."""
    sources = {}
    for path in data_files(ROOT):
        for profile in parse_file(path).profiles:
            sources[f"data:{profile.id}"] = profile
    for profile in parse_file(ROOT / "eval/deals/profiles.jsonl", any_european=True).profiles:
        sources[f"deals:{profile.id}"] = profile
    return sources


def load_pairs(sources: dict[str, Profile]) -> list[tuple[Side, Side, bool, str]]:
    pairs = []
    for number, line in enumerate(PAIRS.read_text(encoding="utf-8").splitlines(), start=1):
        row = json.loads(line)
        a, b = (_side(row[k], sources, f"{k}{number}") for k in ("a", "b"))
        pairs.append((a, b, bool(row["duplicate"]), row["kind"]))
    return pairs


def _side(spec: dict, sources: dict[str, Profile], fallback_id: str) -> Side:
    if "ref" in spec:
        profile = sources[spec["ref"]]
        return Side(Entity.of(profile), profile)
    return Side(Entity.of({"id": fallback_id, **spec}), None)


def embed(sides: list[Side]) -> dict[int, np.ndarray]:
    """Profile vectors (as the store keeps them) for the sides with a profile, by id(side)."""
    embedder = engine.make_embedder()
    with_profile = [s for s in sides if s.profile is not None]
    matrix = embedder.encode([profile_text(s.profile) for s in with_profile])
    return {id(s): v / np.linalg.norm(v) for s, v in zip(with_profile, matrix, strict=True)}


def measure(detector, pairs, vectors, websites=True) -> tuple[float, float, list]:
    hits = false_alarms = misses = 0
    errors = []
    for a, b, duplicate, kind in pairs:
        ea, eb = a.entity, b.entity
        if not websites:
            ea, eb = (Entity(e.id, e.name, e.name_local, e.country) for e in (ea, eb))
        pair = detector.compare(ea, eb, vectors.get(id(a)), vectors.get(id(b)))
        said = detector.is_duplicate(pair)
        hits += said and duplicate
        false_alarms += said and not duplicate
        misses += duplicate and not said
        if said != duplicate:
            errors.append((duplicate, kind, pair))
    precision = hits / (hits + false_alarms) if hits + false_alarms else 1.0
    recall = hits / (hits + misses) if hits + misses else 1.0
    return precision, recall, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names-only", action="store_true", help="skip the model (no vectors)")
    args = parser.parse_args(argv)
    sources = load_sources()
    pairs = load_pairs(sources)
    sides = [s for a, b, *_ in pairs for s in (a, b)]
    positives = sum(d for *_, d, _ in pairs)
    print(f"{len(pairs)} labelled pairs: {positives} duplicates, {len(pairs) - positives} others")
    vectors = {} if args.names_only else embed(sides)
    detector = DuplicateDetector()
    precision, recall, errors = measure(detector, pairs, vectors)
    print(f"threshold {THRESHOLD}: precision {precision:.3f}, recall {recall:.3f}")
    ablations = {"without vectors": {"vectors": {}}, "without websites": {"websites": False}}
    for label, kwargs in ablations.items():
        p, r, _ = measure(detector, pairs, **({"vectors": vectors} | kwargs))
        print(f"  {label}: precision {p:.3f}, recall {r:.3f}")
    print("threshold sweep:")
    for threshold in np.arange(0.70, 1.01, 0.04):
        p, r, _ = measure(DuplicateDetector(threshold=float(threshold)), pairs, vectors)
        print(f"  {threshold:.2f}: precision {p:.3f}, recall {r:.3f}")
    print("errors at the shipped threshold:")
    for duplicate, kind, pair in errors:
        what = "missed duplicate" if duplicate else "false alarm"
        evidence = "; ".join(f"{e.kind} {e.detail} ({e.value:.2f})" for e in pair.evidence)
        print(f"  {what} [{kind}] {pair.a.label} / {pair.b.label}: {pair.score:.2f} — {evidence}")
    find_all(detector, [p for k, p in sources.items() if k.startswith("data:")], args.names_only)
    return 0 if precision >= 0.95 and recall >= 0.9 else 1


def find_all(detector: DuplicateDetector, profiles: list[Profile], names_only: bool) -> None:
    """Every pair of the curated records (none labelled): any pair found is a false alarm."""
    entities = [Entity.of(p) for p in profiles]
    data_vectors = {}
    if not names_only:
        sides = [Side(e, p) for e, p in zip(entities, profiles, strict=True)]
        by_side = embed(sides)
        data_vectors = {s.entity.id: by_side[id(s)] for s in sides}
    started = time.perf_counter()
    found = detector.find(entities, data_vectors)
    elapsed = time.perf_counter() - started
    print(f"find among {len(entities)} curated records: {len(found)} pairs, {elapsed:.2f} s")
    for pair in found:
        print(f"  {pair.a.id} / {pair.b.id}: {pair.score:.2f}")


if __name__ == "__main__":
    sys.exit(main())
