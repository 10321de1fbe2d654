"""How well roles, partner roles and markets are read from text, against hand labels.

    .venv/bin/python benchmarks/role_inference.py

Every profile in the shipped data, the curated batches and the real-deals pool
states its fields (written by curators from the sources). Here they are removed,
read back from the text by matchmaker.role_inference, and compared: micro-averaged
precision and recall per field, and per role on the shipped data. The rules were
written looking at the shipped profiles (in-sample); the batches and the deals
pool were curated by others afterwards and never used to write the first rules; the
second, English rules (IDENTITY_RULES_MORE, WANT_RULES_MORE, MARKET_RULES_MORE) were
written from the batches' misses, so only the deals pool is held out for them.
"""

from __future__ import annotations

import dataclasses
import glob
from collections import Counter
from collections.abc import Callable

from matchmaker.importing import parse_file
from matchmaker.profiles import Profile
from matchmaker.role_inference import infer_markets, infer_partner_roles, infer_roles

READERS: dict[str, Callable[[Profile], list[str]]] = {
    "roles": infer_roles,
    "partner_roles": infer_partner_roles,
    "markets": infer_markets,
}
POOLS = {
    "shipped (in-sample)": ["data/companies.jsonl"],
    "batches (English rules of Dec 2026 written here)": sorted(glob.glob("data/batches/*.jsonl")),
    "deals pool (held out)": ["eval/deals/profiles.jsonl"],
}


def compare(profiles: list[Profile], field: str) -> tuple[Counter, Counter, Counter]:
    """True positives, false positives and misses per value, fields removed then read."""
    hit, extra, missed = Counter(), Counter(), Counter()
    for p in profiles:
        gold = set(getattr(p, field))
        got = set(READERS[field](dataclasses.replace(p, roles=[], partner_roles=[], markets=[])))
        hit.update(gold & got)
        extra.update(got - gold)
        missed.update(gold - got)
    return hit, extra, missed


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def main() -> None:
    for pool, files in POOLS.items():
        profiles = [p for f in files for p in parse_file(f, any_european=True).profiles]
        print(f"{pool}: {len(profiles)} profiles")
        for field in READERS:
            hit, extra, missed = compare(profiles, field)
            h, e, m = sum(hit.values()), sum(extra.values()), sum(missed.values())
            print(f"  {field}: precision {_ratio(h, h + e):.2f}, recall {_ratio(h, h + m):.2f}")
    shipped = parse_file("data/companies.jsonl").profiles
    hit, extra, missed = compare(shipped, "roles")
    print("\nper role, shipped data: role, precision, recall, stated")
    for role in sorted(set(hit) | set(extra) | set(missed)):
        p = _ratio(hit[role], hit[role] + extra[role])
        r = _ratio(hit[role], hit[role] + missed[role])
        print(f"  {role:<22} {p:.2f} {r:.2f} {hit[role] + missed[role]:>3}")


if __name__ == "__main__":
    main()
