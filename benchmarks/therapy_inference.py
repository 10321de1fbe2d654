"""How well therapeutic areas and product types are read from text, against hand labels.

    .venv/bin/python benchmarks/therapy_inference.py

The shipped profiles and the real-deals pool state ``therapeutic_areas`` and
``modalities``, curated by hand from each record's text before any rule was run
on them. Here the fields are removed, read back by matchmaker.therapy, and
compared: micro-averaged precision and recall per field, per pool, and per value
over both pools. The rules were drafted from general vocabulary and from reading
a part of the deals pool, then corrected on the shipped data (in-sample); the
deals pool was not used to correct them (held out, with that caveat).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable

from matchmaker.importing import parse_file
from matchmaker.profiles import Profile
from matchmaker.therapy import infer_areas, infer_modalities

READERS: dict[str, Callable[[Profile], list[str]]] = {
    "therapeutic_areas": infer_areas,
    "modalities": infer_modalities,
}
POOLS = {
    "shipped (in-sample)": "data/companies.jsonl",
    "deals pool (held out)": "eval/deals/profiles.jsonl",
}


def compare(profiles: list[Profile], field: str) -> tuple[Counter, Counter, Counter]:
    """True positives, false positives and misses per value, fields removed then read."""
    hit, extra, missed = Counter(), Counter(), Counter()
    for p in profiles:
        gold = set(getattr(p, field))
        stripped = dataclasses.replace(p, therapeutic_areas=[], modalities=[])
        got = set(READERS[field](stripped))
        hit.update(gold & got)
        extra.update(got - gold)
        missed.update(gold - got)
    return hit, extra, missed


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def main() -> None:
    everything: list[Profile] = []
    for pool, path in POOLS.items():
        profiles = parse_file(path, any_european=True).profiles
        everything += profiles
        print(f"{pool}: {len(profiles)} profiles")
        for field in READERS:
            hit, extra, missed = compare(profiles, field)
            h, e, m = sum(hit.values()), sum(extra.values()), sum(missed.values())
            print(f"  {field}: precision {_ratio(h, h + e):.2f}, recall {_ratio(h, h + m):.2f}")
    for field in READERS:
        hit, extra, missed = compare(everything, field)
        print(f"\n{field}, both pools: value, precision, recall, stated")
        for value in sorted(set(hit) | set(extra) | set(missed)):
            h, e, m = hit[value], extra[value], missed[value]
            print(f"  {value:<20} {_ratio(h, h + e):.2f} {_ratio(h, h + m):.2f} {h + m}")


if __name__ == "__main__":
    main()
