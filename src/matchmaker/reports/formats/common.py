"""What every report format shares: the table's columns and the report described in words.

One row per (company, partner, rank) in CSV and XLSX, with the columns
declared once in :data:`COLUMNS`. Text cells that a spreadsheet would run as
a formula (starting with ``= + - @``, tab or carriage return) are prefixed
with ``'``, the OWASP advice against CSV/formula injection: profile text comes
from imports and web forms, not from staff alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ...formulas import neutralise
from ..model import CompanyMatches, Report, ReportEntry

LISTED_IDS = 10  # chosen ids spelled out where room is short; the JSON meta keeps them all


@dataclass(frozen=True)
class Column:
    """A CSV/XLSX column: header, width in the spreadsheet, and how to get the value."""

    name: str
    width: int
    value: Callable[[CompanyMatches, ReportEntry], Any]


COLUMNS: tuple[Column, ...] = (
    Column("direction", 10, lambda s, e: s.direction),
    Column("company_id", 22, lambda s, e: s.company.id),
    Column("company_name", 32, lambda s, e: s.company.name),
    Column("company_country", 9, lambda s, e: s.company.country),
    Column("rank", 6, lambda s, e: e.rank),
    Column("partner_id", 22, lambda s, e: e.match.id),
    Column("partner_name", 32, lambda s, e: e.match.name),
    Column("partner_name_local", 22, lambda s, e: e.match.name_local or ""),
    Column("partner_country", 9, lambda s, e: e.match.country),
    Column("partner_city", 14, lambda s, e: e.match.city or ""),
    Column("partner_sectors", 28, lambda s, e: "; ".join(e.match.sectors)),
    Column("partner_verified", 9, lambda s, e: "yes" if e.match.verified else "no"),
    Column("score", 8, lambda s, e: e.match.score),
    Column("new", 6, lambda s, e: "" if e.new is None else ("yes" if e.new else "no")),
    Column("reasons", 90, lambda s, e: "\n".join(e.match.reasons)),
)


def score_part_names(report: Report) -> list[str]:
    """The ranker's score parts in the order it reports them (one column each)."""
    names: dict[str, None] = {}
    for section in report.sections:
        for entry in section.entries:
            names.update(dict.fromkeys(entry.match.score_parts))
    return list(names)


def table(report: Report) -> tuple[list[str], Iterator[list[Any]]]:
    """Header and rows shared by CSV and XLSX; text values already neutralised."""
    parts = score_part_names(report)
    header = [c.name for c in COLUMNS] + [f"part_{p}" for p in parts]
    return header, _rows(report, parts)


def _rows(report: Report, parts: list[str]) -> Iterator[list[Any]]:
    for section in report.sections:
        for entry in section.entries:
            values = [neutralise(c.value(section, entry)) for c in COLUMNS]
            yield values + [entry.match.score_parts.get(p) for p in parts]


def compact_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """Parameters for places that repeat them or lack room (every CSV row, one XLSX cell).

    A report for 10,000 chosen companies would otherwise carry all their ids on
    each of its rows; the first few and the count still tell the reports apart.
    """
    ids = parameters["company_ids"]
    if len(ids) <= LISTED_IDS:
        return parameters
    return {**parameters, "company_ids": [*ids[:LISTED_IDS], f"... {len(ids)} in all"]}


def describe_ids(ids: list[str]) -> str:
    """Chosen company ids in words: all, the list, or the first few and how many."""
    if not ids:
        return "all"
    shown = ", ".join(ids[:LISTED_IDS])
    return shown if len(ids) <= LISTED_IDS else f"{shown} and {len(ids) - LISTED_IDS} more"


def describe_weights(weights: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:g}" for name, value in weights.items())


def describe_filters(filters: dict[str, Any]) -> str:
    """Partner filters in words, for people reading the report."""
    words = []
    if filters["sectors"]:
        words.append("sector " + " or ".join(filters["sectors"]))
    if filters["partnership_types"]:
        words.append("open to " + " or ".join(filters["partnership_types"]))
    if filters["verified_only"]:
        words.append("verified only")
    if filters["min_employees"]:
        words.append(f"at least {filters['min_employees']} employees")
    return "; ".join(words) or "none"
