"""Web report jobs, kept in the database so a restart neither loses them nor
leaves them running forever.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .records import _placeholders, now

#: Report job states in which a job still has work to do.
REPORT_JOB_ACTIVE = ("queued", "preparing", "ranking", "writing")


#: Columns of a report job that its runner may change.
_REPORT_JOB_UPDATABLE = frozenset(
    {"state", "done", "total", "message", "path", "filename", "runner", "starts", "finished_at"}
)


class ReportJobsMixin:
    """The ``report_jobs`` table (part of :class:`~matchmaker.store.Store`)."""

    def add_report_job(self, job: dict[str, Any], max_active: int) -> int:
        """Insert a queued job unless its owner has ``max_active`` unfinished ones.

        Returns how many unfinished jobs the owner had; the job was added only if
        that is below ``max_active`` (checked and inserted in one transaction, so
        two quick clicks cannot both slip under the limit).
        """
        with self._immediate():
            active = self.db.execute(
                f"SELECT COUNT(*) FROM report_jobs WHERE owner = ? AND state IN "
                f"({_placeholders(REPORT_JOB_ACTIVE)})",
                [job["owner"], *REPORT_JOB_ACTIVE],
            ).fetchone()[0]
            if active < max_active:
                stamp = now()
                self.db["report_jobs"].insert(
                    {**job, "state": "queued", "created_at": stamp, "updated_at": stamp}
                )
        return active

    def update_report_job(self, job_id: str, **changes: Any) -> None:
        """Record a job's progress or outcome (only the columns its runner may change)."""
        unknown = set(changes) - _REPORT_JOB_UPDATABLE
        if unknown:
            raise ValueError(f"not a report job column: {', '.join(sorted(unknown))}")
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with self._immediate():
            self.db.execute(
                f"UPDATE report_jobs SET {assignments}, updated_at = ? WHERE id = ?",
                [*changes.values(), now(), job_id],
            )

    def get_report_job(self, job_id: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM report_jobs WHERE id = ?", [job_id]))
        return rows[0] if rows else None

    def report_jobs_of(self, owner: str, limit: int = 20) -> list[dict[str, Any]]:
        """A staff member's jobs, newest first."""
        return list(
            self.db.query(
                "SELECT * FROM report_jobs WHERE owner = ? ORDER BY created_at DESC, rowid DESC "
                "LIMIT ?",
                [owner, limit],
            )
        )

    def touch_report_jobs(self, runner: str) -> int:
        """The heartbeat: mark ``runner``'s unfinished jobs as alive (``updated_at`` now).

        Returns how many it touched. A job whose row nobody touched for a while has
        no live runner (:meth:`claim_report_jobs`).
        """
        with self._immediate():
            return self.db.execute(
                "UPDATE report_jobs SET updated_at = ? WHERE runner = ? "
                f"AND state IN ({_placeholders(REPORT_JOB_ACTIVE)})",
                [now(), runner, *REPORT_JOB_ACTIVE],
            ).rowcount

    def claim_report_jobs(
        self,
        runner: str,
        max_starts: int,
        resumed: str,
        failed: Callable[[int], str],
        stale_before: str | None = None,
    ) -> list[str]:
        """Take over the unfinished jobs of runners that are gone (a restart, a crash).

        Several server processes may share a database (PostgreSQL), so a job under
        another runner id is taken only once its row was last written before
        ``stale_before`` (an ISO time; None: any): its runner's heartbeat and
        progress writes keep a live sibling's jobs newer than that.
        In one transaction, each is queued again for ``runner`` (progress reset,
        message ``resumed``), or, once begun ``max_starts`` times, marked failed with
        ``failed(starts)``. Returns the ids of the jobs to run again.
        """
        again = []
        stale = "" if stale_before is None else "AND updated_at < ? "
        with self._immediate():
            jobs = self.db.execute(
                f"SELECT id, starts FROM report_jobs WHERE (runner IS NULL OR runner != ?) "
                f"{stale}AND state IN ({_placeholders(REPORT_JOB_ACTIVE)})"
                + (" FOR UPDATE SKIP LOCKED" if self.dialect == "postgresql" else ""),
                [runner, *([] if stale_before is None else [stale_before]), *REPORT_JOB_ACTIVE],
            ).fetchall()
            stamp = now()
            for job_id, starts in jobs:
                if starts >= max_starts:
                    self.db.execute(
                        "UPDATE report_jobs SET state = 'failed', message = ?, runner = ?, "
                        "finished_at = ?, updated_at = ? WHERE id = ?",
                        [failed(starts), runner, stamp, stamp, job_id],
                    )
                    continue
                self.db.execute(
                    "UPDATE report_jobs SET state = 'queued', done = 0, total = 0, message = ?, "
                    "runner = ?, updated_at = ? WHERE id = ?",
                    [resumed, runner, stamp, job_id],
                )
                again.append(job_id)
        return again

    def finished_report_jobs_before(self, stamp: str) -> list[dict[str, Any]]:
        """Done jobs whose file was made before ``stamp`` (an ISO time): due for deletion."""
        return list(
            self.db.query(
                "SELECT * FROM report_jobs WHERE state = 'done' AND finished_at < ?", [stamp]
            )
        )
