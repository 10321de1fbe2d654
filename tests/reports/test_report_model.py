"""End to end with the real all-MiniLM-L6-v2 model: a report a staff member would send.

The mini set's known pairs must come out of a whole report as they do from
``match``: the Korean importer first for the Latvian generic maker, the Latvian
CRO first for the Korean biosimilar developer. Each format is then written and
read back the way its users' tools would (openpyxl for Excel, the HTML parser
for the page, csv for spreadsheets).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from matchmaker.reports import ReportSpec, generate, read_previous, summarise, write_report
from matchmaker.store import Store

pytestmark = pytest.mark.model

MINI = Path(__file__).parents[1] / "fixtures" / "mini.jsonl"


@pytest.fixture(scope="module")
def model_report(model_db, real_embedder):
    """A top-5 report over the mini set, embedded once per session with the real model."""
    with Store.open(model_db(MINI)) as db:
        return generate(db, real_embedder, ReportSpec(top=5))


def partners(report, company_id: str) -> list[str]:
    section = next(s for s in report.sections if s.company.id == company_id)
    return [e.match.id for e in section.entries]


def test_known_partners_lead_their_sections(model_report, real_embedder):
    assert model_report.meta["model_id"] == real_embedder.model_id
    generic = partners(model_report, "baltic-generics")
    assert generic[0] == "seoul-pharma-distribution"
    assert generic.index("seoul-pharma-distribution") < generic.index("han-generics")
    assert partners(model_report, "busan-biologics")[0] == "riga-clinical-research"


def test_every_format_carries_the_same_matches(model_report, tmp_path):
    pairs = set(model_report.pairs())
    for fmt in ("csv", "xlsx", "json", "html"):
        path = write_report(model_report, fmt, tmp_path / f"mission.{fmt}")
        assert read_previous(path).pairs == pairs, fmt
    book = load_workbook(tmp_path / "mission.xlsx")
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row}
    assert summary["Model"] == model_report.meta["model_id"] == "all-MiniLM-L6-v2"
    with open(tmp_path / "mission.csv", encoding="utf-8-sig", newline="") as handle:
        first = next(csv.DictReader(handle))
    assert first["company_id"] == model_report.sections[0].company.id
    document = json.loads((tmp_path / "mission.json").read_text(encoding="utf-8"))
    assert document["summary"]["matches"] == model_report.match_count


def test_charts_have_something_to_show(model_report):
    summary = summarise(model_report)
    assert summary.heatmap.pairs > 0 and any(any(row) for row in summary.heatmap.counts)
    assert len(summary.score_bins) >= 3
    assert summary.top_partners[0].count >= summary.top_partners[-1].count
