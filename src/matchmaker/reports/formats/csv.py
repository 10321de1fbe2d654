"""CSV reports: UTF-8 with a BOM, one row per match, the metadata on every row."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from ...formulas import neutralise
from ..model import Report
from .common import compact_parameters, table

CSV_META_COLUMNS = ("model_id", "data_revision", "data_changed_at", "matchmaker_version")


def write_csv(report: Report, path: Path) -> None:
    """UTF-8 with a BOM, so Excel shows Hangul and Latvian letters; metadata on every row.

    CSV has no place for a header block, so the reproducibility fields repeat in
    the last columns (the parameters as compact JSON): a file that travels alone
    still says how it was made.
    """
    meta = report.meta
    trailer = [meta.get(k) for k in CSV_META_COLUMNS] + [
        json.dumps(compact_parameters(meta["parameters"]), sort_keys=True, ensure_ascii=False)
    ]
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        header, rows = table(report)
        writer.writerow(header + [*CSV_META_COLUMNS, "parameters"])
        for row in rows:
            writer.writerow(row + [neutralise(v) for v in trailer])


def read_csv(path: Path) -> tuple[set[tuple[str, str]], dict[str, Any]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    pairs = {(r["company_id"], r["partner_id"]) for r in rows}
    meta = {k: rows[0].get(k) for k in CSV_META_COLUMNS} if rows else {}
    return pairs, meta
