"""Rows as the storage layer hands them out, and the conversions between rows and profiles.

Shared by every part of :class:`~matchmaker.store.Store`, so none of them needs another.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ..profiles import INPUT_FIELDS, LIST_FIELDS, Profile


@dataclass
class UpsertSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_ids: list[str] = field(default_factory=list)


@dataclass
class VectorRow:
    """Embeddings of one field of one company (one row per phrase for phrase fields)."""

    company_id: str
    field: str
    text_hash: str
    vectors: np.ndarray
    texts: list[str]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _decoded_entry(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("changed", "before", "after"):
        row[key] = json.loads(row[key]) if row[key] is not None else None
    return row


def _placeholders(values: Iterable[Any]) -> str:
    return ", ".join("?" for _ in values)


#: Judgement columns that name a company, by a fixed key (never SQL from stored data).
_JUDGEMENT_COLUMNS = {"candidate": "candidate_id", "query": "query_company"}


def _meta(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("created_at", "updated_at", "version")}


#: The fields the staff list's text search looks in (folded into ``companies.search_key``).
NAME_FIELDS = ("id", "name", "name_local", "city")


def search_key(*texts: str | None) -> str:
    """Texts folded for search: accents and case removed, Hangul as jamo, spaces collapsed.

    The same folding as the type-ahead (``lookup.fold``), so "riga" finds "Rīga"
    and a half-typed Hangul syllable finds the name it starts.
    """
    decomposed = unicodedata.normalize("NFKD", " ".join(t for t in texts if t))
    kept = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(kept.casefold().split())


def _row_from_content(content: dict[str, Any]) -> dict[str, Any]:
    """The companies row of a profile's content (lists as JSON, the staff list's search key)."""
    row = dict(content)
    for name in LIST_FIELDS:
        row[name] = json.dumps(row[name], ensure_ascii=False)
    row["verified"] = int(row["verified"])
    row["search_key"] = search_key(*(content.get(name) for name in NAME_FIELDS))
    return row


def _profile_from_row(row: dict[str, Any]) -> Profile:
    data = {name: row[name] for name in INPUT_FIELDS}
    for name in LIST_FIELDS:
        data[name] = json.loads(data[name])
    data["verified"] = bool(data["verified"])
    data["offers"] = data["offers"] or ""
    data["seeks"] = data["seeks"] or ""
    return Profile(
        **data,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
        languages=json.loads(row.get("languages") or "{}"),
    )
