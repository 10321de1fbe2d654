"""HTML reports: one self-contained, printable page.

Everything is inline (CSS, SVG charts, the data block), so the file can be
mailed, opened offline and printed to PDF from any browser. The page is the
Jinja template ``reports/templates/report.html`` (package data, so an
installed wheel renders the same page); Jinja2 escapes every profile value and
the charts come from :mod:`..charts`. The pairs and metadata are embedded as
JSON so a later report can mark what is new.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from babel.dates import format_datetime
from babel.numbers import format_decimal
from jinja2 import Environment
from markupsafe import Markup

from ... import reason_texts
from ...languages import DEFAULT_LANGUAGE, LANGUAGES, template_environment, translations
from ..charts import COUNTRY_COLOURS, heatmap_svg, histogram_svg, top_partners_svg
from ..model import Report
from ..summary import summarise
from .common import describe_filters, describe_ids

HTML_DATA_ID = "matchmaker-report-data"


@lru_cache(maxsize=len(LANGUAGES))
def _environment(language: str) -> Environment:
    """The template environment of one language (its own, so threads never share one).

    The page's words come from the gettext catalogues (``_()`` and ``{% trans %}``),
    numbers and dates from Babel's rules for the language.
    """
    env = template_environment("matchmaker.reports", language)
    gettext = translations(language)
    env.filters.update(
        parts=_parts,
        number=lambda value: format_decimal(value, locale=language),
        decimal=lambda value, pattern: format_decimal(value, pattern, locale=language),
        stamp=lambda value: _stamp(value, language),
        reason=lambda value: reason_texts.translate(value, gettext.gettext, language),
    )
    return env


def _stamp(value: str | None, language: str) -> str:
    """A stored ISO timestamp as the language writes a date and time (the zone unchanged)."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value or "")
    return format_datetime(moment.replace(tzinfo=None), "medium", locale=language)


def render_html(report: Report, language: str = DEFAULT_LANGUAGE) -> str:
    """The whole page as text: figures, charts, then every company with its partners."""
    summary = summarise(report)
    scores = [e.match.score for s in report.sections for e in s.entries]
    return _environment(language).get_template("report.html").render(
        language=language,
        report=report,
        meta=report.meta,
        params=report.meta["parameters"],
        filters=describe_filters(report.meta["parameters"]["partner_filters"], language),
        companies=describe_ids(report.meta["parameters"]["company_ids"], language),
        summary=summary,
        best=max([*scores, 1e-9]),
        heatmap=heatmap_svg(summary.heatmap, language=language),
        histogram=histogram_svg(summary.score_bins, summary.strong_score, language),
        partners=top_partners_svg(summary.top_partners, language),
        colours=COUNTRY_COLOURS,
        data_id=HTML_DATA_ID,
        data=_data_block(report),
        by_direction=_group(report),
    )


def _group(report: Report) -> dict[str, list]:
    groups: dict[str, list] = {}
    for section in report.sections:
        groups.setdefault(section.direction, []).append(section)
    return groups


def _data_block(report: Report) -> Markup:
    """Metadata and pairs as JSON that cannot close the script element it sits in."""
    text = json.dumps({"meta": report.meta, "pairs": report.pairs()}, ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return Markup(text)


def _parts(parts: dict[str, float]) -> str:
    shown = {name: round(value, 3) or 0.0 for name, value in parts.items()}  # no "−0.000"
    return " · ".join(f"{name} {value:+.3f}".replace("-", "−") for name, value in shown.items())


def write_html(report: Report, path: Path, language: str = DEFAULT_LANGUAGE) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(render_html(report, language))


class _DataBlock(HTMLParser):
    """Finds the report's embedded JSON block in an HTML report."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inside = tag == "script" and ("id", HTML_DATA_ID) in attrs

    def handle_endtag(self, tag: str) -> None:
        self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.text.append(data)


def read_html(path: Path) -> tuple[set[tuple[str, str]], dict[str, Any]]:
    parser = _DataBlock()
    parser.feed(path.read_text(encoding="utf-8"))
    if not parser.text:
        raise ValueError("it has no embedded report data")
    document = json.loads("".join(parser.text))
    return {tuple(pair) for pair in document["pairs"]}, document["meta"]
