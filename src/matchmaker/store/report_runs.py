"""Chunked report runs: the chunks of one batch report, claimed and finished by workers.

How it works is told in docs/reports.md; the rules that keep it correct live here:

* a worker *claims* the first chunk that is open, or claimed by a worker whose lease
  ran out, in one statement inside a write transaction, so two workers never hold the
  same chunk;
* a chunk's ranked rows and its ``done`` state are written in one transaction, so a
  crash leaves a chunk either done with all its rows or not done at all;
* ranking is deterministic, so a chunk ranked twice (a slow worker outlived its
  lease) gives the same rows: the first to finish it writes them, the other's are
  dropped.

The claim is the only engine-specific statement: SQLite serialises writers, so
``BEGIN IMMEDIATE`` plus ``UPDATE ... RETURNING`` is atomic; PostgreSQL lets
writers run side by side, so there the chunk is picked with
``SELECT ... FOR UPDATE SKIP LOCKED`` (two workers then skip each other's row
instead of waiting on it), outside the store's advisory write lock: claims from
workers on several machines never queue behind each other or behind edits. Both
statements are in :data:`CLAIM_NEXT_CHUNK`.
"""

from __future__ import annotations

import json
import time
from typing import Any

from .records import now

#: The claim, per engine: parameters worker, lease_until, run_id, now (seconds since the epoch).
CLAIM_NEXT_CHUNK = {
    "sqlite": (
        "UPDATE report_chunks SET state = 'claimed', worker = :worker, "
        "lease_until = :lease_until, claims = claims + 1 "
        "WHERE run_id = :run_id AND seq = ("
        " SELECT seq FROM report_chunks WHERE run_id = :run_id AND (state = 'open'"
        " OR (state = 'claimed' AND lease_until < :now)) ORDER BY seq LIMIT 1) "
        "RETURNING seq, company_ids"
    ),
    # PostgreSQL (issue 14): the same claim, with the row locked and rows locked by
    # other workers' claims skipped rather than waited for.
    "postgresql": (
        "UPDATE report_chunks SET state = 'claimed', worker = %(worker)s, "
        "lease_until = %(lease_until)s, claims = claims + 1 "
        "WHERE (run_id, seq) = ("
        " SELECT run_id, seq FROM report_chunks WHERE run_id = %(run_id)s AND (state = 'open'"
        " OR (state = 'claimed' AND lease_until < %(now)s)) ORDER BY seq LIMIT 1"
        " FOR UPDATE SKIP LOCKED) "
        "RETURNING seq, company_ids"
    ),
}


class ReportRunsMixin:
    """Tables ``report_runs`` and ``report_chunks`` (part of :class:`~matchmaker.store.Store`)."""

    def create_report_run(self, run: dict[str, Any], chunks: list[list[str]]) -> None:
        """A run and all its chunks (company ids, in report order), in one transaction."""
        stamp = now()
        with self._immediate():
            self.db.execute(
                "INSERT INTO report_runs (id, request, meta, data_revision, model_id, "
                "chunk_size, companies, state, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'ranking', ?, ?)",
                [
                    run["id"],
                    json.dumps(run["request"], ensure_ascii=False, sort_keys=True),
                    json.dumps(run["meta"], ensure_ascii=False),  # unsorted: the file's order
                    run["data_revision"],
                    run["model_id"],
                    run["chunk_size"],
                    sum(len(c) for c in chunks),
                    stamp,
                    stamp,
                ],
            )
            self.db.conn.executemany(
                "INSERT INTO report_chunks (run_id, seq, company_ids, state) "
                "VALUES (?, ?, ?, 'open')",
                [(run["id"], seq, json.dumps(ids)) for seq, ids in enumerate(chunks)],
            )

    def get_report_run(self, run_id: str) -> dict[str, Any] | None:
        """A run with its request and meta decoded, or None."""
        rows = list(self.db.query("SELECT * FROM report_runs WHERE id = ?", [run_id]))
        if not rows:
            return None
        run = rows[0]
        run["request"] = json.loads(run["request"])
        run["meta"] = json.loads(run["meta"])
        return run

    def claim_report_chunk(
        self, run_id: str, worker: str, lease_seconds: float
    ) -> tuple[int, list[str]] | None:
        """Take the first chunk nobody is working on: (its number, its company ids), or None.

        A chunk claimed by a worker whose lease ran out counts as free: that worker died
        or stalled, and ranking it again gives the same rows.
        """
        moment = time.time()
        params = {
            "worker": worker,
            "lease_until": moment + lease_seconds,
            "run_id": run_id,
            "now": moment,
        }
        if self.dialect == "postgresql":
            # one statement, its own transaction (autocommit): the chosen row is locked
            # until it commits, and rows other claims hold are skipped; no write lock
            # is taken, so a claim never queues behind other writers or other claims
            rows = self.db.raw_execute(CLAIM_NEXT_CHUNK["postgresql"], params).fetchall()
        else:
            with self._immediate():
                rows = self.db.execute(CLAIM_NEXT_CHUNK["sqlite"], params).fetchall()
        return (rows[0][0], json.loads(rows[0][1])) if rows else None

    def report_chunk_holders(self, run_id: str) -> list[str]:
        """The workers holding claimed chunks of a run (to check which of them still live)."""
        rows = self.db.execute(
            "SELECT DISTINCT worker FROM report_chunks WHERE run_id = ? AND state = 'claimed'",
            [run_id],
        ).fetchall()
        return [r[0] for r in rows]

    def reopen_report_chunks(self, run_id: str, worker: str) -> int:
        """Give back the chunks a dead worker held, so they are claimed at once; how many."""
        with self._immediate():
            cursor = self.db.execute(
                "UPDATE report_chunks SET state = 'open', worker = NULL, lease_until = NULL "
                "WHERE run_id = ? AND worker = ? AND state = 'claimed'",
                [run_id, worker],
            )
        return cursor.rowcount

    def finish_report_chunk(self, run_id: str, seq: int, rows: bytes) -> bool:
        """Store a chunk's ranked rows and mark it done; False if another worker did first."""
        with self._immediate():
            cursor = self.db.execute(
                "UPDATE report_chunks SET state = 'done', rows = ?, lease_until = NULL "
                "WHERE run_id = ? AND seq = ? AND state != 'done'",
                [rows, run_id, seq],
            )
            if cursor.rowcount:
                self.db.execute(
                    "UPDATE report_runs SET updated_at = ? WHERE id = ?", [now(), run_id]
                )
        return bool(cursor.rowcount)

    def report_chunk_states(self, run_id: str) -> dict[str, int]:
        """How many chunks of a run are open, claimed and done."""
        counts = dict.fromkeys(("open", "claimed", "done"), 0)
        counts.update(
            self.db.execute(
                "SELECT state, COUNT(*) FROM report_chunks WHERE run_id = ? GROUP BY state",
                [run_id],
            ).fetchall()
        )
        return counts

    def report_chunk_rows(self, run_id: str) -> list[bytes]:
        """The ranked rows of every chunk, in chunk order (all chunks must be done)."""
        return [
            row[0]
            for row in self.db.execute(
                "SELECT rows FROM report_chunks WHERE run_id = ? AND state = 'done' ORDER BY seq",
                [run_id],
            )
        ]

    def update_report_run_output(self, run_id: str, output: dict[str, Any]) -> None:
        """Where a resumed run writes its file (``--out`` on resume); the ranking is untouched."""
        with self._immediate():
            request = json.loads(
                self.db.execute(
                    "SELECT request FROM report_runs WHERE id = ?", [run_id]
                ).fetchone()[0]
            )
            request["output"] = output
            self.db.execute(
                "UPDATE report_runs SET request = ?, updated_at = ? WHERE id = ?",
                [json.dumps(request, ensure_ascii=False, sort_keys=True), now(), run_id],
            )

    def mark_report_run_written(self, run_id: str) -> None:
        """The file is written: its rows go (a 100k-company report keeps ~170 MB of them)."""
        with self._immediate():
            self.db.execute(
                "UPDATE report_runs SET state = 'written', updated_at = ? WHERE id = ?",
                [now(), run_id],
            )
            self.db.execute("UPDATE report_chunks SET rows = NULL WHERE run_id = ?", [run_id])
