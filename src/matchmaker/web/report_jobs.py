"""Background report jobs: a report runs in its own thread while requests read its progress.

A report over thousands of companies takes minutes, far longer than a request
should wait, so the view only starts a :class:`Job` and returns. The job's
thread opens its own :class:`Store` (a connection never crosses threads),
calls :func:`reports.generate` and writes the file into a private folder.
Only one report computes at a time per process (they are CPU-bound, and
search must stay responsive); others wait as "queued".

Jobs live in memory: they are cheap to re-run, and a restart only loses
progress pages. Their files are removed a day after they were made.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..reports import Fitter, PreviousReport, ReportError, ReportSpec, generate, write_report
from ..store import Store, StoreError

KEPT_FOR_SECONDS = 24 * 3600
MAX_ACTIVE_PER_USER = 2
ACTIVE = ("queued", "preparing", "ranking", "writing")

log = logging.getLogger(__name__)


class TooManyJobs(Exception):
    """The staff member already has reports waiting or running."""


@dataclass
class Job:
    """One report request and how far it has got; updated by its thread, read by requests."""

    id: str
    owner: str
    fmt: str
    spec: ReportSpec
    previous: PreviousReport | None
    created: float = field(default_factory=time.time)
    state: str = "queued"
    done: int = 0
    total: int = 0
    message: str = "Waiting for another report to finish."
    path: Path | None = None
    filename: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, **changes: Any) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self, name, value)

    def snapshot(self) -> dict[str, Any]:
        """A consistent view of the progress, for the status page and its JSON."""
        with self._lock:
            return {
                "id": self.id,
                "state": self.state,
                "done": self.done,
                "total": self.total,
                "message": self.message,
                "format": self.fmt,
                "filename": self.filename,
                "created": datetime.fromtimestamp(self.created, UTC).isoformat(timespec="seconds"),
            }


class JobRunner:
    """The jobs of one app: started here, run one at a time, found by id and owner."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        #: One report computes at a time; tests hold it to observe a queued job.
        self.slot = threading.Semaphore(1)

    def submit(
        self,
        owner: str,
        spec: ReportSpec,
        fmt: str,
        previous: PreviousReport | None,
        db_path: str,
        fit: Fitter,
        folder: Path,
    ) -> Job:
        """Queue a report and start its thread; refuse a third active job per person."""
        with self._lock:
            self._forget_old(folder)
            active = [j for j in self._jobs.values() if j.owner == owner and j.state in ACTIVE]
            if len(active) >= MAX_ACTIVE_PER_USER:
                raise TooManyJobs(
                    f"You already have {len(active)} reports in progress; wait for one to finish."
                )
            job = Job(secrets.token_urlsafe(16), owner, fmt, spec, previous)
            self._jobs[job.id] = job
        thread = threading.Thread(
            target=self._run,
            args=(job, db_path, fit, folder),
            name=f"report-{job.id[:8]}",
            daemon=True,
        )
        thread.start()
        return job

    def get(self, job_id: str, owner: str) -> Job | None:
        """The job, only for the person who started it."""
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and job.owner == owner else None

    def for_owner(self, owner: str) -> list[Job]:
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.owner == owner]
        return sorted(jobs, key=lambda j: -j.created)

    def _run(self, job: Job, db_path: str, fit: Fitter, folder: Path) -> None:
        with self.slot:
            job.update(state="preparing", message="Bringing embeddings up to date.")
            try:
                self._compute(job, db_path, fit, folder)
            except (ReportError, StoreError, OSError) as exc:
                job.update(state="failed", message=str(exc))
            except Exception:  # a bug: say so on the page, keep the details in the log
                log.exception("report %s failed", job.id)
                job.update(state="failed", message="The report failed; see the server log.")

    def _compute(self, job: Job, db_path: str, fit: Fitter, folder: Path) -> None:
        def ranked(done: int, total: int) -> None:
            job.update(
                state="ranking", done=done, total=total, message=f"Ranked {done} of {total}."
            )

        def embedded(done: int, total: int) -> None:
            job.update(message=f"Embedding changed profiles: {done} of {total} fields.")

        store = Store.open(db_path)
        try:
            report = generate(
                store,
                None,
                job.spec,
                job.previous,
                progress=ranked,
                embed_progress=embedded,
                fit=fit,
            )
        finally:
            store.close()
        job.update(state="writing", message="Writing the file.")
        stamp = datetime.now(UTC).strftime("%Y-%m-%d-%H%M")
        path = write_report(report, job.fmt, folder / f"{job.id}.{job.fmt}")
        new = sum(bool(e.new) for s in report.sections for e in s.entries)
        news = f" ({new} new)" if job.previous else ""
        job.update(
            state="done",
            path=path,
            filename=f"partner-report-{stamp}.{job.fmt}",
            message=f"{len(report.sections)} companies, {report.match_count} matches{news}.",
        )

    def _forget_old(self, folder: Path) -> None:
        """Drop finished jobs and files older than a day (called under the lock)."""
        horizon = time.time() - KEPT_FOR_SECONDS
        for job_id, job in list(self._jobs.items()):
            if job.created < horizon and job.state not in ACTIVE:
                del self._jobs[job_id]
        for old in folder.iterdir():
            if old.stat().st_mtime < horizon:
                old.unlink(missing_ok=True)


def default_folder() -> Path:
    """A per-user temporary folder, so two users' servers never share report files."""
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"matchmaker-reports-{uid}"
