"""pgvector on PostgreSQL: the profile vector in a ``vector`` column, searched through HNSW.

The blob rows of ``vectors`` stay the source of truth on both engines (ranking
reads them the same way). On PostgreSQL, saving a one-row ``profile`` vector also
fills its ``embedding`` column, and :meth:`PgVectorsMixin.nearest` answers "the k
live companies nearest this vector that pass these filters" from an HNSW index.
The index is per model and dimension (pgvector indexes only fixed-dimension
vectors), a partial expression index made the first time a model's vectors are
saved; MATCHMAKER_VECTOR_INDEX chooses HNSW (default), IVFFlat or none. The
filters apply inside the index scan (pgvector's iterative scan), so k results
come back whenever k companies pass, as the ranking's filters promise.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import config
from .errors import StoreError
from .staff import _like_escaped

if TYPE_CHECKING:  # not imported at run time: the store does not load the ranking package
    from ..ranking.types import Filters

#: The field whose vector goes in the pgvector column: one row per company.
NEAREST_FIELD = "profile"


class PgVectorsMixin:
    """``nearest`` and the pgvector column (part of :class:`~matchmaker.store.Store`)."""

    def _save_pgvector(self, model_id: str, company_id: str, field: str, matrix: Any) -> None:
        """Inside the caller's transaction: the profile vector into ``embedding`` (PostgreSQL)."""
        if self.dialect != "postgresql" or field != NEAREST_FIELD or matrix.shape[0] != 1:
            return
        dim = int(matrix.shape[1])
        self._ensure_hnsw_index(model_id, dim)
        self.db.execute(
            "UPDATE vectors SET embedding = ?::vector WHERE company_id = ? AND model_id = ? "
            "AND field = ?",
            [_vector_text(matrix[0]), company_id, model_id, field],
        )

    def _ensure_hnsw_index(self, model_id: str, dim: int) -> str:
        """The index of one model's profile vectors (MATCHMAKER_VECTOR_INDEX), made once."""
        kind = vector_index_kind()
        name = _index_name(model_id, dim, kind)
        missing = self.db.execute("SELECT to_regclass(?)", [name]).fetchone()[0] is None
        if kind != "none" and missing:
            literal = model_id.replace("'", "''")
            self.db.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON vectors USING {kind} "
                f"((embedding::vector({dim})) vector_cosine_ops) "
                f"WHERE model_id = '{literal}' AND field = '{NEAREST_FIELD}'"
            )
        return name

    def nearest(
        self, model_id: str, vector: Any, k: int, filters: Filters | None = None
    ) -> list[tuple[str, float]]:
        """The ``k`` live companies whose profile vector is nearest ``vector``, with cosine
        similarity, best first, among those that pass ``filters`` (PostgreSQL only).

        For an approximate first stage that reads candidates from the database instead
        of holding every vector in memory: stage 2 then scores these candidates in full.
        Approximate (HNSW, ``ef_search`` 100 by default): compare with the exact scan.
        """
        if self.dialect != "postgresql":
            raise NotImplementedError("nearest() needs PostgreSQL with pgvector")
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        dim = len(query)
        clause, params = _filter_clause(filters)
        distance = f"(v.embedding::vector({dim})) <=> ?::vector({dim})"
        sql = (
            f"SELECT v.company_id, 1 - ({distance}) FROM vectors v "
            "JOIN companies c ON c.id = v.company_id "
            f"WHERE v.model_id = '{model_id.replace(chr(39), chr(39) * 2)}' "
            f"AND v.field = '{NEAREST_FIELD}' AND v.embedding IS NOT NULL "
            f"AND c.deleted_at IS NULL{clause} ORDER BY {distance} LIMIT ?"
        )
        text = _vector_text(query)
        with self.db.connection.transaction():
            self.db.raw_execute("SET LOCAL hnsw.iterative_scan = strict_order")
            self.db.raw_execute("SET LOCAL hnsw.ef_search = 100")
            self.db.raw_execute("SET LOCAL ivfflat.iterative_scan = relaxed_order")
            self.db.raw_execute("SET LOCAL ivfflat.probes = 10")
            rows = self.db.execute(sql, [text, *params, text, k]).fetchall()
        return [(company_id, float(similarity)) for company_id, similarity in rows]


def _filter_clause(filters: Filters | None) -> tuple[str, list[Any]]:
    """The ranking's filters as SQL over ``companies c`` (list fields matched as JSON text)."""
    parts: list[str] = []
    params: list[Any] = []
    if filters is None:
        return "", params
    if filters.country:
        parts.append("c.country = ?")
        params.append(filters.country)
    if filters.verified_only:
        parts.append("c.verified = 1")
    if filters.min_employees is not None:
        parts.append("c.employees >= ?")
        params.append(filters.min_employees)
    for column in ("sectors", "partnership_types"):
        wanted = getattr(filters, column)
        if wanted:
            parts.append("(" + " OR ".join(f"c.{column} LIKE ? ESCAPE '\\'" for _ in wanted) + ")")
            params.extend(
                "%" + _like_escaped(json.dumps(value, ensure_ascii=False)) + "%" for value in wanted
            )
    if filters.exclude:
        parts.append("c.id NOT IN (SELECT json_array_elements_text(?::json))")
        params.append(json.dumps(list(filters.exclude)))
    return "".join(" AND " + part for part in parts), params


#: The pgvector index methods MATCHMAKER_VECTOR_INDEX may name ("none": an exact scan).
VECTOR_INDEX_KINDS = ("hnsw", "ivfflat", "none")


def vector_index_kind() -> str:
    kind = str(config.get("vector_index") or "hnsw").strip().lower()
    if kind not in VECTOR_INDEX_KINDS:
        raise StoreError(
            f"MATCHMAKER_VECTOR_INDEX must be one of {', '.join(VECTOR_INDEX_KINDS)}, not '{kind}'"
        )
    return kind


def _index_name(model_id: str, dim: int, kind: str) -> str:
    digest = hashlib.blake2b(model_id.encode("utf-8"), digest_size=6).hexdigest()
    return f"vectors_{kind}_{digest}_{dim}"


def _vector_text(values: Any) -> str:
    """pgvector's text form of a vector (what ``'[...]'::vector`` reads)."""
    from pgvector import Vector

    return Vector(np.asarray(values, dtype=np.float32)).to_text()
