"""JSON reports: ``{"meta", "summary", "companies": [{..., "matches": [...]}]}``."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..model import Report
from ..summary import summarise


def report_document(report: Report) -> dict[str, Any]:
    """The JSON form: meta, summary figures, and companies with their matches."""
    return {
        "meta": report.meta,
        "summary": asdict(summarise(report)),
        "companies": [
            {
                "id": s.company.id,
                "name": s.company.name,
                "name_local": s.company.name_local,
                "country": s.company.country,
                "city": s.company.city,
                "sectors": list(s.company.sectors),
                "direction": s.direction,
                "matches": [{"rank": e.rank, "new": e.new, **e.match.to_dict()} for e in s.entries],
            }
            for s in report.sections
        ],
    }


def write_json(report: Report, path: Path, language: str = "en") -> None:
    """The report as JSON, for programs: field names and reasons stay English."""
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(report_document(report), handle, ensure_ascii=False, indent=1)
        handle.write("\n")


def read_json(path: Path) -> tuple[set[tuple[str, str]], dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    pairs = {(c["id"], m["id"]) for c in document["companies"] for m in c["matches"]}
    return pairs, document["meta"]
