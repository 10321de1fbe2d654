"""CSV reports: UTF-8 with a BOM, one row per match, the metadata on every row."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from ...formulas import neutralise
from ...languages import DEFAULT_LANGUAGE
from ..model import Report
from .common import column_names_by_header, compact_parameters, table

CSV_META_COLUMNS = ("model_id", "data_revision", "data_changed_at", "matchmaker_version")


def write_csv(report: Report, path: Path, language: str = DEFAULT_LANGUAGE) -> None:
    """UTF-8 with a BOM, so Excel shows Hangul and Latvian letters; metadata on every row.

    CSV has no place for a header block, so the reproducibility fields repeat in
    the last columns (the parameters as compact JSON): a file that travels alone
    still says how it was made. The headers are in ``language``; the reproducibility
    columns keep their names, and numbers their dots, for the programs that read them.
    """
    meta = report.meta
    trailer = [meta.get(k) for k in CSV_META_COLUMNS] + [
        json.dumps(compact_parameters(meta["parameters"]), sort_keys=True, ensure_ascii=False)
    ]
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        header, rows = table(report, language)
        writer.writerow(header + [*CSV_META_COLUMNS, "parameters"])
        for row in rows:
            writer.writerow(row + [neutralise(v) for v in trailer])


def read_csv(path: Path) -> tuple[set[tuple[str, str]], dict[str, Any]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = column_names_by_header()
    rows = [{names.get(k, k): v for k, v in row.items()} for row in rows]
    pairs = {(r["company_id"], r["partner_id"]) for r in rows}
    meta = {k: rows[0].get(k) for k in CSV_META_COLUMNS} if rows else {}
    return pairs, meta
