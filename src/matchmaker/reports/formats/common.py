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

from babel.numbers import format_decimal

from ... import reason_texts
from ...formulas import neutralise
from ...languages import DEFAULT_LANGUAGE, LANGUAGES, NP_, translations
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
#: What a Latvian or Korean table calls each column; English keeps the names above,
#: which scripts that read our CSV files already use.
COLUMN_TITLES: dict[str, str] = {
    "direction": NP_("report column", "Direction"),
    "company_id": NP_("report column", "Company id"),
    "company_name": NP_("report column", "Company"),
    "company_country": NP_("report column", "Company country"),
    "rank": NP_("report column", "Rank"),
    "partner_id": NP_("report column", "Partner id"),
    "partner_name": NP_("report column", "Partner"),
    "partner_name_local": NP_("report column", "Partner (local name)"),
    "partner_country": NP_("report column", "Partner country"),
    "partner_city": NP_("report column", "Partner city"),
    "partner_sectors": NP_("report column", "Partner sectors"),
    "partner_verified": NP_("report column", "Partner verified"),
    "score": NP_("report column", "Score"),
    "new": NP_("report column", "New"),
    "reasons": NP_("report column", "Reasons"),
}
#: Columns whose cells are words (yes/no), shown in the report's language.
_YES_NO_COLUMNS = {"partner_verified", "new"}


def column_header(name: str, language: str) -> str:
    """The header of column ``name`` in ``language`` (English: the name itself)."""
    if language == DEFAULT_LANGUAGE or name not in COLUMN_TITLES:
        return name
    return translations(language).pgettext("report column", COLUMN_TITLES[name])


def column_names_by_header() -> dict[str, str]:
    """Every language's header -> the column's name, to read back any report."""
    found = {}
    for language in LANGUAGES:
        for name in COLUMN_TITLES:
            found[column_header(name, language)] = name
    return found


def score_part_names(report: Report) -> list[str]:
    """The ranker's score parts in the order it reports them (one column each)."""
    names: dict[str, None] = {}
    for section in report.sections:
        for entry in section.entries:
            names.update(dict.fromkeys(entry.match.score_parts))
    return list(names)


def table(
    report: Report, language: str = DEFAULT_LANGUAGE
) -> tuple[list[str], Iterator[list[Any]]]:
    """Header and rows shared by CSV and XLSX; text values already neutralised.

    Headers, yes/no and the reasons are in ``language``; ids, names, numbers and the
    score parts' names (part_*) stay as they are, for formulas and scripts.
    """
    parts = score_part_names(report)
    header = [column_header(c.name, language) for c in COLUMNS] + [f"part_{p}" for p in parts]
    return header, _rows(report, parts, language)


def _rows(report: Report, parts: list[str], language: str) -> Iterator[list[Any]]:
    gettext = translations(language).gettext
    for section in report.sections:
        for entry in section.entries:
            values = [_words(c.name, c.value(section, entry), gettext, language) for c in COLUMNS]
            yield [neutralise(v) for v in values] + [
                entry.match.score_parts.get(p) for p in parts
            ]


def _words(name: str, value: Any, gettext, language: str) -> Any:
    """A cell's words in the report's language: yes/no and the reasons."""
    if language == DEFAULT_LANGUAGE:
        return value
    if name in _YES_NO_COLUMNS and value in ("yes", "no"):
        return gettext(value)
    if name == "reasons" and value:
        return "\n".join(
            reason_texts.translate(r, gettext, language) for r in value.split("\n")
        )
    return value


def compact_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """Parameters for places that repeat them or lack room (every CSV row, one XLSX cell).

    A report for 10,000 chosen companies would otherwise carry all their ids on
    each of its rows; the first few and the count still tell the reports apart.
    """
    ids = parameters["company_ids"]
    if len(ids) <= LISTED_IDS:
        return parameters
    return {**parameters, "company_ids": [*ids[:LISTED_IDS], f"... {len(ids)} in all"]}


def describe_ids(ids: list[str], language: str = DEFAULT_LANGUAGE) -> str:
    """Chosen company ids in words: all, the list, or the first few and how many."""
    t = translations(language)
    if not ids:
        return t.gettext("all")
    shown = ", ".join(ids[:LISTED_IDS])
    if len(ids) <= LISTED_IDS:
        return shown
    return t.gettext("%(ids)s and %(count)d more") % {
        "ids": shown,
        "count": len(ids) - LISTED_IDS,
    }


def describe_weights(weights: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:g}" for name, value in weights.items())


def describe_filters(filters: dict[str, Any], language: str = DEFAULT_LANGUAGE) -> str:
    """Partner filters in words, for people reading the report."""
    t = translations(language)
    either = t.gettext(" or ")
    words = []
    if filters["sectors"]:
        words.append(t.gettext("sector %(sectors)s") % {"sectors": either.join(filters["sectors"])})
    if filters["partnership_types"]:
        types = [reason_texts.type_label(p, t.gettext) for p in filters["partnership_types"]]
        words.append(t.gettext("open to %(types)s") % {"types": either.join(types)})
    if filters["verified_only"]:
        words.append(t.gettext("verified only"))
    if filters["min_employees"]:
        words.append(
            t.gettext("at least %(count)s employees")
            % {"count": format_decimal(filters["min_employees"], locale=language)}
        )
    return "; ".join(words) or t.gettext("none")
