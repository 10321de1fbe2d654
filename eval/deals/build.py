"""Build the real-deals labelled set from the deals table, and check that no profile leaks.

    python eval/deals/build.py           # writes eval/deals/judgements.jsonl
    python eval/deals/build.py --check   # exits 1 if the file is stale or a profile leaks

For every organisation that is party to a deal, one query: its profile, ranked
against the other side (target ``EU`` for a Korean party, ``KR`` for a European
one), with every real counterparty it signed with at grade 2. Nothing else is
graded, so look-alikes of the counterparty count as 0 (see README.md).

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
JUDGEMENTS = HERE / "judgements.jsonl"
_TEXT_FIELDS = ("name", "name_local", "description", "offers", "seeks", "sectors", "website")


def read_deals() -> list[dict[str, str]]:
    with DEALS.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def read_profiles() -> dict[str, dict]:
    lines = PROFILES.read_text(encoding="utf-8").splitlines()
    return {p["id"]: p for p in (json.loads(line) for line in lines if line.strip())}


def build_judgements(deals: list[dict[str, str]], profiles: dict[str, dict]) -> list[dict]:
    """One query per deal party, its real counterparties at grade 2."""
    partners: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for deal in deals:
        partners[deal["kr_id"]][deal["eu_id"]].append(deal["deal_id"])
        partners[deal["eu_id"]][deal["kr_id"]].append(deal["deal_id"])
    records = []
    for party in sorted(partners):
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
    return problems


def _jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def main(argv: list[str]) -> int:
    deals, profiles = read_deals(), read_profiles()
    problems = check_table(deals, profiles) + find_leaks(deals, profiles)
    for problem in problems:
        print(problem, file=sys.stderr)
    text = _jsonl(build_judgements(deals, profiles))
    if "--check" in argv:
        if JUDGEMENTS.read_text(encoding="utf-8") != text:
            print(f"{JUDGEMENTS} is stale: run python eval/deals/build.py", file=sys.stderr)
            return 1
    elif not problems:
        JUDGEMENTS.write_text(text, encoding="utf-8")
        print(f"{JUDGEMENTS}: {text.count(chr(10))} queries from {len(deals)} deals")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
