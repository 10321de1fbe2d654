"""Build the real-deals labelled set from the deals table, and check that no profile leaks.

    python eval/deals/build.py           # writes judgements.jsonl and judgements_c.jsonl
    python eval/deals/build.py --check   # exits 1 if a file is stale or a profile leaks

For every organisation that is party to a deal, one query: its profile, ranked
against the other side (target ``EU`` for a Korean party, ``KR`` for a European
one), with every real counterparty it signed with at grade 2. Nothing else is
graded, so look-alikes of the counterparty count as 0 (see README.md).

The ``batch`` column splits the deals. Batches ``a`` and ``b`` make
``judgements.jsonl``, the set that ``matchmaker train`` learns from and that
ranking work is tuned on. Batch ``c`` was added later as a held-out set and makes
``judgements_c.jsonl``: one query per party that appears only in batch-c deals
(a party already queried in a and b would repeat a query the ranker was tuned
on), graded with all of its real partners. ``distractors`` names, per batch-c
deal, real same-industry, same-country organisations in the pool that did not
do the deal.

Profiles live in two files. ``profiles.jsonl`` is the pool of batches a and b and
stays as it was, so figures on the tuning set do not move when a held-out batch is
added; ``profiles_c.jsonl`` holds the organisations first written for batch c
(parties and distractors). The held-out set ranks within both files together
(``matchmaker eval`` does this by default).

The leak check reads each deal's ``leak_terms`` (the counterparty's names, the
product and deal words) and refuses any of them in either party's profile, as
whole words, case-insensitively; a party's own names are allowed in its own
profile.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).parent
DEALS = HERE / "deals.csv"
PROFILES = HERE / "profiles.jsonl"
PROFILES_HELD_OUT = HERE / "profiles_c.jsonl"
JUDGEMENTS = HERE / "judgements.jsonl"
JUDGEMENTS_HELD_OUT = HERE / "judgements_c.jsonl"
HELD_OUT_BATCHES = frozenset({"c"})
_TEXT_FIELDS = ("name", "name_local", "description", "offers", "seeks", "sectors", "website")


def read_deals() -> list[dict[str, str]]:
    with DEALS.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def read_profiles(path: Path = PROFILES) -> dict[str, dict]:
    if not path.exists():
        return {}
    lines = path.read_text(encoding="utf-8").splitlines()
    return {p["id"]: p for p in (json.loads(line) for line in lines if line.strip())}


def _batch(deal: dict[str, str]) -> str:
    return deal.get("batch") or deal["deal_id"].split("-")[0]


def split_batches(deals: list[dict[str, str]]) -> tuple[list[dict], list[dict]]:
    """(tuning deals, held-out deals), by the ``batch`` column."""
    held = [d for d in deals if _batch(d) in HELD_OUT_BATCHES]
    return [d for d in deals if _batch(d) not in HELD_OUT_BATCHES], held


def held_out_judgements(deals: list[dict[str, str]], profiles: dict[str, dict]) -> list[dict]:
    """Queries of the parties that appear only in held-out deals, with all their partners."""
    tuning, held = split_batches(deals)
    seen = {d[side] for d in tuning for side in ("kr_id", "eu_id")}
    fresh = {d[side] for d in held for side in ("kr_id", "eu_id")} - seen
    return build_judgements(deals, profiles, only=fresh)


def build_judgements(
    deals: list[dict[str, str]], profiles: dict[str, dict], only: set[str] | None = None
) -> list[dict]:
    """One query per deal party (or per party in ``only``), its real counterparties at grade 2."""
    partners: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for deal in deals:
        partners[deal["kr_id"]][deal["eu_id"]].append(deal["deal_id"])
        partners[deal["eu_id"]][deal["kr_id"]].append(deal["deal_id"])
    records = []
    for party in sorted(p for p in partners if only is None or p in only):
        target = "EU" if profiles[party]["country"] == "KR" else "KR"
        found = partners[party]
        records.append(
            {
                "qid": f"deal-{party}",
                "query": {"company": party},
                "target_country": target,
                "judgements": {partner: 2 for partner in sorted(found)},
                "competitors": [],
                "note": "real deals: "
                + "; ".join(f"{p} ({', '.join(ids)})" for p, ids in sorted(found.items())),
            }
        )
    return records


def _profile_text(profile: dict) -> str:
    parts = []
    for name in _TEXT_FIELDS:
        value = profile.get(name) or ""
        parts.append(" ".join(value) if isinstance(value, list) else str(value))
    return "\n".join(parts)


def _own_names(profile: dict) -> set[str]:
    return {n.casefold() for n in (profile.get("name"), profile.get("name_local")) if n}


def find_leaks(deals: list[dict[str, str]], profiles: dict[str, dict]) -> list[str]:
    """Every leak term of a deal found in either party's profile (own names excepted)."""
    leaks = []
    for deal in deals:
        terms = [t.strip() for t in deal["leak_terms"].split(";") if t.strip()]
        for side in ("kr_id", "eu_id"):
            profile = profiles[deal[side]]
            text = _profile_text(profile)
            own = _own_names(profile)
            for term in terms:
                if term.casefold() in own or any(term.casefold() in n for n in own):
                    continue
                if re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.IGNORECASE):
                    leaks.append(f"{deal['deal_id']}: {deal[side]} mentions {term!r}")
    return leaks


def check_table(deals: list[dict[str, str]], profiles: dict[str, dict]) -> list[str]:
    """Rows that cannot be used: unknown parties, wrong sides, no https source."""
    problems = []
    for deal in deals:
        for side, want_kr in (("kr_id", True), ("eu_id", False)):
            profile = profiles.get(deal[side])
            if profile is None:
                problems.append(f"{deal['deal_id']}: {side} {deal[side]!r} has no profile")
            elif (profile["country"] == "KR") != want_kr:
                problems.append(f"{deal['deal_id']}: {deal[side]} is on the wrong side")
        if not any(u.startswith(("https://", "http://")) for u in deal["urls"].split()):
            problems.append(f"{deal['deal_id']}: no source URL")
        if not deal["year"].isdigit():
            problems.append(f"{deal['deal_id']}: year {deal['year']!r} is not a year")
        for other in (deal.get("distractors") or "").split():
            if other not in profiles:
                problems.append(f"{deal['deal_id']}: distractor {other!r} has no profile")
            elif other in (deal["kr_id"], deal["eu_id"]):
                problems.append(f"{deal['deal_id']}: distractor {other!r} is a party")
    return problems


def _jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def check_pools(deals: list[dict[str, str]], tuned: dict, held_out: dict) -> list[str]:
    """The tuning deals rank within ``profiles.jsonl`` alone; no id is in both files."""
    problems = [f"{pid}: in both profile files" for pid in sorted(tuned.keys() & held_out.keys())]
    tuning, _ = split_batches(deals)
    for deal in tuning:
        for side in ("kr_id", "eu_id"):
            if deal[side] in held_out and deal[side] not in tuned:
                problems.append(
                    f"{deal['deal_id']}: {deal[side]} is a batch a/b party but only in "
                    f"{PROFILES_HELD_OUT.name}"
                )
    return problems


def main(argv: list[str]) -> int:
    deals, tuned, held_out = read_deals(), read_profiles(), read_profiles(PROFILES_HELD_OUT)
    profiles = {**held_out, **tuned}
    problems = check_pools(deals, tuned, held_out)
    problems += check_table(deals, profiles) + find_leaks(deals, profiles)
    for problem in problems:
        print(problem, file=sys.stderr)
    tuning, held = split_batches(deals)
    outputs = {
        JUDGEMENTS: (_jsonl(build_judgements(tuning, profiles)), len(tuning)),
        JUDGEMENTS_HELD_OUT: (_jsonl(held_out_judgements(deals, profiles)), len(held)),
    }
    for path, (text, count) in outputs.items():
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                print(f"{path} is stale: run python eval/deals/build.py", file=sys.stderr)
                problems.append(f"{path.name} stale")
        elif not problems:
            path.write_text(text, encoding="utf-8")
            print(f"{path}: {text.count(chr(10))} queries from {count} deals")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
