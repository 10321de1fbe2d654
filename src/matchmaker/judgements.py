"""Staff grades of suggested matches: a labelled set that grows as the tool is used.

Agency staff know which introductions are right. On a results page they can
grade a suggested company on the scale of eval/README.md: 2 strong partner,
1 useful, 0 not a partner. Every grade is kept with who gave it and when; the
latest grade for a (query, candidate) pair is the current one. ``matchmaker
judgements`` writes the current grades in the format ``matchmaker eval
--judgements`` reads, so the ranking can be measured on what the people who
know the companies say, not only on the 36 queries the project shipped with.

Grades given on matchmaker's own results cover the companies it showed, and
unjudged companies count as 0: a set made this way favours matchmaker's kind
of candidates over a baseline's (the pooling bias of any such set).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import InvalidInput

GRADES: dict[int, str] = {2: "strong partner", 1: "useful", 0: "not a partner"}
COUNTRIES = ("LV", "KR")


class JudgementInputError(InvalidInput):
    """A grade that cannot be recorded as sent (only a hand-made request gets here)."""


@dataclass(frozen=True)
class Judgement:
    """One staff grade: for this query (a company or a described need), this candidate."""

    target_country: str
    candidate_id: str
    grade: int
    query_company: str | None = None
    query_text: str | None = None


def query_key(text: str | None) -> str | None:
    """A described need as grades are filed under it: white space collapsed."""
    return " ".join((text or "").split()) or None


def read_judgement(form: Mapping[str, Any]) -> Judgement:
    """A :class:`Judgement` from the results page's grade form or an API body, or a clear error."""
    fields = {key: "" if value is None else str(value).strip() for key, value in form.items()}
    company = fields.get("query_company") or None
    text = query_key(fields.get("query_text"))
    if (company is None) == (text is None):
        raise JudgementInputError("give either the query company or the described need")
    country = fields.get("target_country", "").upper()
    if country not in COUNTRIES:
        raise JudgementInputError("target_country must be LV or KR")
    candidate = fields.get("candidate", "")
    if not candidate:
        raise JudgementInputError("say which company is graded")
    grade = fields.get("grade", "")
    if grade not in {str(g) for g in GRADES}:
        raise JudgementInputError("grade must be 0, 1 or 2")
    return Judgement(country, candidate, int(grade), company, text)


def as_labelled_set(current: Iterable[Mapping[str, Any]]) -> tuple[list[dict], int]:
    """Current grades as labelled-set records (eval/README.md format), and how many were left out.

    A query whose grades are all 0 is left out: it has no partner to find, so
    every system would score 0 on it and it would only dilute the averages.
    """
    queries: dict[tuple, dict] = {}
    for row in current:
        key = (row["query_company"], row["query_text"], row["target_country"])
        query = queries.setdefault(key, {"grades": {}, "actors": set(), "last": ""})
        query["grades"][row["candidate_id"]] = int(row["grade"])
        query["actors"].add(row["actor"])
        query["last"] = max(query["last"], row["created_at"])
    records, left_out = [], 0
    for (company, text, country), query in sorted(queries.items(), key=_query_order):
        partners = {cid: g for cid, g in sorted(query["grades"].items()) if g > 0}
        if not partners:
            left_out += 1
            continue
        records.append(
            {
                "qid": _qid(company, text, country),
                "query": {"company": company} if company else {"text": text},
                "target_country": country,
                "judgements": partners,
                "competitors": [],
                "note": f"graded by {', '.join(sorted(query['actors']))}; "
                f"last on {query['last'][:10]}",
            }
        )
    return records, left_out


def _qid(company: str | None, text: str | None, country: str) -> str:
    """The same id for the same query in every export, so per-query results compare."""
    key = f"{company or ''}\n{text or ''}\n{country}".encode()
    return "staff-" + hashlib.sha1(key).hexdigest()[:10]


def _query_order(item: tuple[tuple, dict]) -> tuple[str, str, str]:
    (company, text, country), _ = item
    return (company or "", text or "", country)
