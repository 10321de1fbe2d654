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

Building an HNSW graph over many vectors takes minutes, so it is built after the
vectors' write transaction has committed, outside the store's write lock, with
``CREATE INDEX CONCURRENTLY``: other writers (edits, imports, report claims) go on
while it builds, and readers meanwhile use the exact scan. One process builds a
given index at a time (a session advisory lock per index); a build that was
interrupted leaves an invalid index, which the next save drops and builds again.
A build that fails never fails the write that asked for it: the vectors are
stored, ``nearest`` scans exactly, and the next save tries again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import config
from .errors import StoreError
from .staff import _like_escaped

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # not imported at run time: the store does not load the ranking package
    from ..ranking.types import Filters

#: The field whose vector goes in the pgvector column: one row per company.
NEAREST_FIELD = "profile"


class PgVectorsMixin:
    """``nearest`` and the pgvector column (part of :class:`~matchmaker.store.Store`)."""

    def _save_pgvector(
        self, model_id: str, company_id: str, field: str, matrix: Any
    ) -> tuple[str, int] | None:
        """Inside the caller's transaction: the profile vector into ``embedding`` (PostgreSQL).

        Returns the (model, dimension) whose index the caller builds once it has
        committed (:meth:`ensure_vector_index`), or None.
        """
        if self.dialect != "postgresql" or field != NEAREST_FIELD or matrix.shape[0] != 1:
            return None
        self.db.execute(
            "UPDATE vectors SET embedding = ?::vector WHERE company_id = ? AND model_id = ? "
            "AND field = ?",
            [_vector_text(matrix[0]), company_id, model_id, field],
        )
        return model_id, int(matrix.shape[1])

    def ensure_vector_index(self, model_id: str, dim: int) -> str | None:
        """Build one model's vector index if it is missing; its name, or None if not built.

        Called outside any transaction (see the module docstring): ``CREATE INDEX
        CONCURRENTLY`` refuses to run inside one, and holds no lock writers wait for.
        """
        kind = vector_index_kind()
        if self.dialect != "postgresql" or kind == "none" or self.db.in_transaction():
            return None  # (inside a caller's transaction: its next save outside one builds it)
        name = _index_name(model_id, dim, kind)
        if self._index_valid(name):
            return name
        import psycopg  # PostgreSQL only

        try:
            with self._index_builder(name) as ours:
                if not ours:  # another process is building it right now
                    return None
                if self._index_valid(name) is False:  # an interrupted build's leftover
                    self.db.raw_execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
                if not self._index_valid(name):
                    self.db.raw_execute(_index_statement(kind, name, model_id, dim))
        except (StoreError, psycopg.Error) as exc:
            log.warning("the %s index of %s was not built (%s); the next save tries again, "
                        "meanwhile nearest() scans every vector", kind, model_id, exc)
            return None
        return name

    def _index_valid(self, name: str) -> bool | None:
        """True if the index is ready, False if it exists but is not (a build in progress
        or interrupted), None if there is none."""
        row = self.db.raw_execute(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [name]
        ).fetchone()
        return None if row is None else bool(row[0])

    @contextmanager
    def _index_builder(self, name: str) -> Iterator[bool]:
        """Whether this process may build index ``name``: a session advisory lock per index,
        taken without waiting, and no lock timeout while the build waits for older
        transactions to end (it waits; the writers do not)."""
        key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big",
                             signed=True)  # fmt: skip
        ours = self.db.raw_execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone()[0]
        if not ours:
            yield False
            return
        try:
            self.db.raw_execute("SET lock_timeout = 0")
            yield True
        finally:
            self.db.raw_execute("RESET lock_timeout")
            self.db.raw_execute("SELECT pg_advisory_unlock(%s)", [key])

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


def _index_statement(kind: str, name: str, model_id: str, dim: int) -> str:
    """The statement that builds one model's index, concurrently (outside the write lock)."""
    literal = model_id.replace("'", "''")
    return (
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON vectors USING {kind} "
        f"((embedding::vector({dim})) vector_cosine_ops) "
        f"WHERE model_id = '{literal}' AND field = '{NEAREST_FIELD}'"
    )


def _index_name(model_id: str, dim: int, kind: str) -> str:
    digest = hashlib.blake2b(model_id.encode("utf-8"), digest_size=6).hexdigest()
    return f"vectors_{kind}_{digest}_{dim}"


def _vector_text(values: Any) -> str:
    """pgvector's text form of a vector (what ``'[...]'::vector`` reads)."""
    from pgvector import Vector

    return Vector(np.asarray(values, dtype=np.float32)).to_text()
