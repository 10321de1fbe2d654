"""Stored embeddings, and the lease that says which process is embedding.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import numpy as np

from .records import VectorRow

#: The first key of the embedding lease's advisory locks (the second: the holder's hash).
EMBEDDING_LEASE_LOCKS = 0x656D62  # "emb"


class VectorsMixin:
    """The ``vectors`` table (part of :class:`~matchmaker.store.Store`)."""

    def vector_hashes(
        self, model_id: str, company_ids: list[str] | None = None
    ) -> dict[tuple[str, str], str]:
        """(company_id, field) -> hash of the text that was embedded, for staleness checks.

        ``company_ids``: only those (a few), by primary key, instead of every row.
        """
        sql, params = "SELECT company_id, field, text_hash FROM vectors WHERE model_id = ?", []
        if company_ids is not None:
            sql += f" AND company_id IN ({', '.join('?' * len(company_ids))})"
            params = list(company_ids)
        rows = self.db.execute(sql, [model_id, *params]).fetchall() if company_ids != [] else []
        hashes = {(c, f): h for c, f, h in rows}
        for (model, field_name), unsaved in self._unsaved_vectors.items():
            if model == model_id:
                hashes.update({(cid, field_name): row.text_hash for cid, row in unsaved.items()})
        return hashes

    def save_vectors(self, model_id: str, rows: Iterable[VectorRow]) -> int:
        """Store embeddings (replacing older ones for the same field) in one transaction.

        A read-only store keeps them in memory for this process instead, so read
        commands work on a read-only copy even if some profiles were never embedded.
        """
        if self.readonly:
            return self._keep_unsaved(model_id, rows)
        count = 0
        indexed: set[tuple[str, int]] = set()
        with self._immediate():
            for row in rows:
                matrix = np.ascontiguousarray(row.vectors, dtype=np.float32)
                self.db.execute(
                    "INSERT OR REPLACE INTO vectors "
                    "(company_id, model_id, field, text_hash, rows, dim, data, texts) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        row.company_id,
                        model_id,
                        row.field,
                        row.text_hash,
                        matrix.shape[0],
                        matrix.shape[1],
                        matrix.tobytes(),
                        json.dumps(row.texts, ensure_ascii=False),
                    ],
                )
                wanted = self._save_pgvector(model_id, row.company_id, row.field, matrix)
                if wanted:
                    indexed.add(wanted)
                count += 1
        for model, dim in sorted(indexed):  # committed: built outside the write lock
            self.ensure_vector_index(model, dim)
        return count

    def foreign_vector_models(self, model_id: str) -> dict[str, int]:
        """Other models' ids -> live companies embedded by them but not by ``model_id``.

        Non-empty after the running model changed: those companies' vectors are of
        another model, which are never mixed with this one's (see engine.check_vector_model).
        """
        if not self.db.execute(
            "SELECT 1 FROM vectors WHERE model_id != ? LIMIT 1", [model_id]
        ).fetchone():
            return {}  # the usual case, answered from the first row
        sql = (
            "SELECT v.model_id, COUNT(DISTINCT v.company_id) FROM vectors v "
            "JOIN companies c ON c.id = v.company_id "
            "WHERE c.deleted_at IS NULL AND v.model_id != ? AND v.company_id NOT IN "
            "(SELECT company_id FROM vectors WHERE model_id = ?) GROUP BY v.model_id"
        )
        return dict(self.db.execute(sql, [model_id, model_id]).fetchall())

    def delete_vectors_except(self, model_id: str) -> int:
        """Drop every other model's vectors (after a re-embedding); return the rows dropped."""
        with self._immediate():
            cursor = self.db.execute("DELETE FROM vectors WHERE model_id != ?", [model_id])
        return cursor.rowcount

    def unsaved_vector_count(self) -> int:
        """Fields embedded in this process that a read-only store could not save."""
        return sum(len(rows) for rows in self._unsaved_vectors.values())

    def _keep_unsaved(self, model_id: str, rows: Iterable[VectorRow]) -> int:
        count = 0
        for row in rows:
            self._unsaved_vectors.setdefault((model_id, row.field), {})[row.company_id] = row
            count += 1
        return count

    def vectors_written(self) -> int:
        """A number that grows whenever any connection saves vectors (the newest row id).

        The web app's background refresh watches it to tell that another process
        (``matchmaker import``) is embedding, and leaves that work to it instead of
        doing it a second time. Cheap: SQLite reads the largest rowid off the b-tree.
        """
        return int(self.db.execute("SELECT COALESCE(MAX(rowid), 0) FROM vectors").fetchone()[0])

    def take_embedding_lease(self, holder: str) -> None:
        """Say that ``holder`` (host:pid) is writing profiles it will embed next.

        A running server reads it and leaves those profiles to the holder while the
        holder lives, instead of embedding them a second time (see ``web.resources``).
        On PostgreSQL the holder also takes a session advisory lock named after it,
        which the server releases when the holder's connection dies (a killed
        importer on any host): :meth:`embedding_lease_alive` tests it.
        """
        if self.dialect == "postgresql":
            self.db.raw_execute(
                "SELECT pg_advisory_lock(%s, hashtext(%s))", [EMBEDDING_LEASE_LOCKS, holder]
            )
        with self._immediate():
            self.db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('embedding_lease', ?)", [holder]
            )

    def drop_embedding_lease(self, holder: str) -> None:
        with self._immediate():
            self.db.execute(
                "DELETE FROM meta WHERE key = 'embedding_lease' AND value = ?", [holder]
            )
        if self.dialect == "postgresql":
            self.db.raw_execute(
                "SELECT pg_advisory_unlock(%s, hashtext(%s))", [EMBEDDING_LEASE_LOCKS, holder]
            )

    def embedding_lease(self) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'embedding_lease'").fetchone()
        return row[0] if row else None

    def embedding_lease_alive(self, holder: str) -> bool | None:
        """Whether the lease's holder still lives, where the database can tell.

        PostgreSQL: its advisory lock is still held (we could not take it), whatever
        host it runs on. SQLite cannot tell (None): the caller checks the process id.
        """
        if self.dialect != "postgresql":
            return None
        key = [EMBEDDING_LEASE_LOCKS, holder]
        taken = self.db.raw_execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", key)
        if not taken.fetchone()[0]:
            return True
        self.db.raw_execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", key)
        return False

    def load_vectors_of(
        self, model_id: str, company_ids: Iterable[str]
    ) -> dict[str, dict[str, np.ndarray]]:
        """vectors[field][company_id] of a few companies (the ones an update applies)."""
        ids = list(company_ids)
        result: dict[str, dict[str, np.ndarray]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            sql = (
                "SELECT company_id, field, rows, dim, data FROM vectors WHERE model_id = ? "
                f"AND company_id IN ({', '.join('?' * len(chunk))})"
            )
            for company_id, field, n, dim, data in self.db.execute(sql, [model_id, *chunk]):
                matrix = np.frombuffer(bytes(data), dtype=np.float32).reshape(n, dim)
                result.setdefault(field, {})[company_id] = matrix
        for (model, field), rows in self._unsaved_vectors.items():
            if model == model_id:
                for company_id in set(ids) & set(rows):
                    result.setdefault(field, {})[company_id] = rows[company_id].vectors
        return result

    def load_vectors(self, model_id: str, field: str) -> dict[str, VectorRow]:
        """All stored vectors of one field for live companies, keyed by company id."""
        sql = (
            "SELECT v.company_id, v.text_hash, v.rows, v.dim, v.data, v.texts FROM vectors v "
            "JOIN companies c ON c.id = v.company_id "
            "WHERE v.model_id = ? AND v.field = ? AND c.deleted_at IS NULL"
        )
        result = {}
        for company_id, text_hash, n, dim, data, texts in self.db.execute(sql, [model_id, field]):
            matrix = np.frombuffer(data, dtype=np.float32).reshape(n, dim)
            result[company_id] = VectorRow(company_id, field, text_hash, matrix, json.loads(texts))
        unsaved = self._unsaved_vectors.get((model_id, field))
        if unsaved:
            sql = "SELECT id FROM companies WHERE deleted_at IS NULL"
            live = {r[0] for r in self.db.execute(sql)}
            result.update({cid: row for cid, row in unsaved.items() if cid in live})
        return result
