"""Batch reports: the top partners of many companies at once, reproducibly.

Before a trade mission staff send each company its best partners on the other
side. A report is that list for a *selection* of companies (all, one
direction, chosen ids, sectors, or those changed since a date). Where each
part lives:

* :mod:`.model`: what a report is (:class:`ReportSpec`, :class:`Report`, ...);
* :mod:`.build`: selecting companies, ranking them with ``match_many``, "new since";
* :mod:`.summary`: the figures behind the summary sheet and the charts;
* :mod:`.charts`: those figures as inline SVG;
* :mod:`.formats`: CSV, XLSX, JSON and HTML writers and readers (the HTML page
  is the template ``templates/report.html``).
* :mod:`.runs`: one large report ranked in chunks kept in the database, resumable
  and shared by several worker processes (docs/reports.md).

The public names are re-exported here: ``from matchmaker.reports import generate``.
"""

from .build import (
    Fitter,
    Progress,
    build_report,
    check_company_ids,
    follow_merges,
    generate,
    select_companies,
)
from .formats import FORMATS, detect_format, read_previous, write_report
from .model import (
    DIRECTION_LABELS,
    DIRECTIONS,
    CompanyMatches,
    PreviousReport,
    Report,
    ReportEntry,
    ReportError,
    ReportSpec,
    parse_since,
)
from .summary import ReportSummary, summarise

__all__ = [
    "DIRECTIONS",
    "DIRECTION_LABELS",
    "FORMATS",
    "CompanyMatches",
    "Fitter",
    "PreviousReport",
    "Progress",
    "Report",
    "ReportEntry",
    "ReportError",
    "ReportSpec",
    "ReportSummary",
    "build_report",
    "check_company_ids",
    "follow_merges",
    "detect_format",
    "generate",
    "parse_since",
    "read_previous",
    "select_companies",
    "summarise",
    "write_report",
]
