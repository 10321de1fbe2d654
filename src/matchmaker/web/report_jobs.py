"""Background report jobs, kept in the database so that a restart loses none of them.

A report over thousands of companies takes minutes, far longer than a request
should wait, so the view only submits a job and returns. Each job is a row in
``report_jobs`` (see :mod:`matchmaker.store`): queued, then preparing / ranking /
writing with its progress, then done with its file, or failed with the reason.
Status pages read that row, so they work from any thread and after a restart.

The job's thread opens its own :class:`Store` (a connection never crosses
threads), asks a :class:`~matchmaker.service.Matchmaker` over it (with the app's
ranker as its fitter) for the report and writes the file into a private
folder. Only one report computes at a time per process (they are CPU-bound, and
search must stay responsive); others wait as "queued".

On start (:meth:`JobRunner.recover`) a server takes over the jobs that a
previous process left unfinished: a queued job, or one cut off while running,
is run again from the start (a report is deterministic, so nothing is lost but
time); one that was already cut off :data:`MAX_STARTS` times is marked failed
with the reason, so a report that brings the server down cannot do it forever.
Files are deleted :data:`config` ``report_retention_hours`` after they were
made, and their jobs then say so.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext

from ..errors import MatchmakerError
from ..languages import DEFAULT_LANGUAGE
from ..ranking import Filters
from ..reports import Fitter, PreviousReport, ReportSpec, write_report
from ..service import Matchmaker
from ..store import REPORT_JOB_ACTIVE, BusyError, Store, StoreError

MAX_ACTIVE_PER_USER = 2
ACTIVE = REPORT_JOB_ACTIVE
#: A job is begun at most this often; cut off again, it fails instead of running a third time.
MAX_STARTS = 2
#: Progress is written at most this often (one small transaction each).
PROGRESS_EVERY_SECONDS = 0.5
#: How often a process marks its unfinished jobs as alive (and looks for orphaned ones).
HEARTBEAT_SECONDS = 5.0
#: A job whose row was not written for this long has no live runner: another process
#: may take it over (six heartbeats, so a busy machine's late beat is no false alarm).
STALE_AFTER_SECONDS = 30.0
#: Tries of a final write (done / failed) when another connection holds the write lock.
FINAL_WRITE_TRIES = 5
RESUMED = "Resumed after a server restart; waiting for another report to finish."
QUEUED = "Waiting for another report to finish."

log = logging.getLogger(__name__)


class TooManyJobs(Exception):
    """The staff member already has reports waiting or running."""


@dataclass(frozen=True)
class JobStatus:
    """One job as its row says now: what status pages and downloads read."""

    id: str
    owner: str
    fmt: str
    state: str
    done: int
    total: int
    message: str
    path: Path | None
    filename: str
    created: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> JobStatus:
        return cls(
            id=row["id"],
            owner=row["owner"],
            fmt=row["format"],
            state=row["state"],
            done=row["done"],
            total=row["total"],
            message=row["message"],
            path=Path(row["path"]) if row["path"] else None,
            filename=row["filename"],
            created=row["created_at"],
        )

    @property
    def running(self) -> bool:
        return self.state in ACTIVE

    def snapshot(self) -> dict[str, Any]:
        """The progress as the status page and its JSON show it."""
        return {
            "id": self.id,
            "state": self.state,
            "done": self.done,
            "total": self.total,
            "message": self.message,
            "format": self.fmt,
            "filename": self.filename,
            "created": self.created,
        }


class JobRunner:
    """The report jobs of one server process: submitted, run one at a time, recovered."""

    def __init__(self, db_path: str, folder: Path, retention_hours: float = 24.0):
        self.db_path = db_path
        self.folder = folder
        self.retention = timedelta(hours=retention_hours)
        #: Names this process in the jobs it runs; any other runner's unfinished job
        #: found at start belongs to a process that is gone.
        self.runner_id = secrets.token_hex(8)
        #: One report computes at a time; tests hold it to observe a queued job.
        self.slot = threading.Semaphore(1)
        self._recovered = False
        self._recover_lock = threading.Lock()
        self._fit: Callable[[], Fitter] | None = None
        self._app: Flask | None = None
        self._heartbeat: threading.Thread | None = None
        self._heartbeat_lock = threading.Lock()
        self._stopped = threading.Event()

    # -- requests -------------------------------------------------------------------

    def submit(
        self,
        store: Store,
        owner: str,
        spec: ReportSpec,
        fmt: str,
        previous: PreviousReport | None,
        fit: Fitter,
        language: str = DEFAULT_LANGUAGE,
    ) -> str:
        """Record a queued job and start its thread; refuse a third active job per person."""
        job_id = secrets.token_urlsafe(16)
        row = {
            "id": job_id,
            "owner": owner,
            "format": fmt,
            "request": encode_request(spec, previous, language),
            "message": QUEUED,
            "runner": self.runner_id,
        }
        active = store.add_report_job(row, MAX_ACTIVE_PER_USER)
        if active >= MAX_ACTIVE_PER_USER:
            raise TooManyJobs(
                gettext(
                    "You already have %(count)s reports in progress; wait for one to finish.",
                    count=active,
                )
            )
        self._start(job_id, fit)
        return job_id

    def get(self, store: Store, job_id: str, owner: str) -> JobStatus | None:
        """The job, only for the person who started it."""
        row = store.get_report_job(job_id) if job_id else None
        return JobStatus.from_row(row) if row is not None and row["owner"] == owner else None

    def for_owner(self, store: Store, owner: str) -> list[JobStatus]:
        return [JobStatus.from_row(row) for row in store.report_jobs_of(owner)]

    # -- restart and retention ----------------------------------------------------------

    def recover(self, store: Store, fit: Callable[[], Fitter]) -> list[str]:
        """Once per process: resume or fail the jobs a previous process left unfinished.

        ``fit`` makes the fitter lazily, so a server with nothing to resume never
        loads the model for it. Returns the ids of the resumed jobs.
        """
        with self._recover_lock:
            if self._recovered:
                return []
            # the heartbeat thread makes the fitter later, in this app's context
            self._fit, self._app = fit, current_app._get_current_object()
            resumed = self._claim_orphans(store)
            self._recovered = True
        self._beat()
        self.expire_files(store)
        return resumed

    def _claim_orphans(self, store: Store) -> list[str]:
        """Resume (or fail) the unfinished jobs whose runner stopped writing their rows.

        Only rows older than STALE_AFTER_SECONDS: a live sibling process (several
        servers on one PostgreSQL database) keeps its own jobs' rows newer than that.
        """
        horizon = datetime.now(UTC) - timedelta(seconds=STALE_AFTER_SECONDS)
        stale_before = horizon.isoformat(timespec="seconds")
        resumed = store.claim_report_jobs(
            self.runner_id, MAX_STARTS, RESUMED, interrupted, stale_before=stale_before
        )
        if resumed and self._fit is not None and self._app is not None:
            with self._app.app_context():
                fitter = self._fit()
            for job_id in resumed:
                self._start(job_id, fitter)
        return resumed

    def _beat(self) -> None:
        """Start this process's heartbeat thread unless it runs."""
        with self._heartbeat_lock:
            if self._heartbeat is None:
                self._heartbeat = threading.Thread(
                    target=self._heartbeat_loop, name="report-heartbeat", daemon=True
                )
                self._heartbeat.start()

    def _heartbeat_loop(self) -> None:
        """Keep our jobs' rows fresh, and take over jobs whose process stopped.

        It runs while this process has unfinished jobs, and for STALE_AFTER_SECONDS
        and two beats after it started, so that a restarted server picks up the jobs
        its predecessor left (their rows go stale only then). It ends when the
        database cannot be reached (the next job starts it again) rather than wait
        on it forever.
        """
        watch_until = time.monotonic() + STALE_AFTER_SECONDS + 2 * HEARTBEAT_SECONDS
        try:
            while not self._stopped.wait(HEARTBEAT_SECONDS):
                try:
                    store = Store.open(self.db_path, migrate=False)
                except MatchmakerError:
                    log.warning("report heartbeat: cannot open the database", exc_info=True)
                    return
                try:
                    ours = store.touch_report_jobs(self.runner_id)
                    if self._recovered:
                        ours += len(self._claim_orphans(store))
                except BusyError:  # another write holds the lock: the next beat tries again
                    continue
                except MatchmakerError:
                    log.warning("report heartbeat failed", exc_info=True)
                    return
                finally:
                    store.close()
                if not ours and time.monotonic() > watch_until:
                    return
        finally:
            with self._heartbeat_lock:
                self._heartbeat = None

    def stop(self) -> None:
        """Stop the heartbeat (a process shutting down; tests playing a stopped server)."""
        self._stopped.set()

    def expire_files(self, store: Store) -> int:
        """Delete report files older than the retention time; their jobs say so."""
        horizon = datetime.now(UTC) - self.retention
        expired = 0
        for job in store.finished_report_jobs_before(horizon.isoformat(timespec="seconds")):
            if job["path"]:
                Path(job["path"]).unlink(missing_ok=True)
            store.update_report_job(job["id"], state="expired", message=self.expired_message())
            expired += 1
        self._sweep_strays(horizon.timestamp())
        return expired

    def expired_message(self) -> str:
        hours = self.retention.total_seconds() / 3600
        return (
            f"The file was deleted {hours:g} hours after it was made, as all reports are; "
            "run the report again."
        )

    def file_gone(self, store: Store, job: JobStatus) -> None:
        """The file of a done job vanished (a wiped temporary folder): say so on the job."""
        store.update_report_job(
            job.id,
            state="expired",
            message="The file is no longer on the server (its folder was cleared); "
            "run the report again.",
        )

    def _sweep_strays(self, horizon: float) -> None:
        """Files no job points to any more (e.g. from before jobs were kept) go too."""
        if not self.folder.is_dir():
            return
        for old in self.folder.iterdir():
            try:
                if old.is_file() and old.stat().st_mtime < horizon:
                    old.unlink(missing_ok=True)
            except OSError:
                continue

    # -- the work -------------------------------------------------------------------

    def _start(self, job_id: str, fit: Fitter) -> None:
        self._beat()
        thread = threading.Thread(
            target=self._run, args=(job_id, fit), name=f"report-{job_id[:8]}", daemon=True
        )
        thread.start()

    def _run(self, job_id: str, fit: Fitter) -> None:
        with self.slot:
            try:
                store = Store.open(self.db_path)
            except StoreError:
                log.exception("report %s cannot open the database", job_id)
                return
            try:
                self._run_with(store, job_id, fit)
            finally:
                store.close()

    def _run_with(self, store: Store, job_id: str, fit: Fitter) -> None:
        job = store.get_report_job(job_id)
        if job is None or job["state"] != "queued" or job["runner"] != self.runner_id:
            return  # taken over by another process, or gone
        progress = _Progress(store, job_id)
        progress.set(
            state="preparing",
            starts=job["starts"] + 1,
            message="Bringing embeddings up to date.",
            force=True,
        )
        try:
            spec, previous = decode_request(job["request"])
            done = self._compute(store, job_id, job["format"], spec, previous, fit, progress)
        except (MatchmakerError, OSError) as exc:
            done = {"state": "failed", "message": str(exc)}
        except Exception:  # a bug: say so on the page, keep the details in the log
            log.exception("report %s failed", job_id)
            done = {"state": "failed", "message": "The report failed; see the server log."}
        progress.finish(**done, finished_at=_now())

    def _compute(
        self,
        store: Store,
        job_id: str,
        fmt: str,
        spec: ReportSpec,
        previous: PreviousReport | None,
        fit: Fitter,
        progress: _Progress,
    ) -> dict[str, Any]:
        def ranked(done: int, total: int) -> None:
            progress.set(
                state="ranking", done=done, total=total, message=f"Ranked {done} of {total}."
            )

        def embedded(done: int, total: int) -> None:
            progress.set(message=f"Embedding changed profiles: {done} of {total} fields.")

        service = Matchmaker(store, progress=embedded, fitter=fit)
        report = service.report(spec, previous, progress=ranked)
        progress.set(state="writing", message="Writing the file.", force=True)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        language = request_language(store.get_report_job(job_id)["request"])
        path = write_report(report, fmt, self.folder / f"{job_id}.{fmt}", language)
        stamp = datetime.now(UTC).strftime("%Y-%m-%d-%H%M")
        new = sum(bool(e.new) for s in report.sections for e in s.entries)
        news = f" ({new} new)" if previous else ""
        return {
            "state": "done",
            "path": str(path),
            "filename": f"partner-report-{stamp}.{fmt}",
            "message": f"{len(report.sections)} companies, {report.match_count} matches{news}.",
        }


class _Progress:
    """Writes a running job's progress to its row, at most every PROGRESS_EVERY_SECONDS."""

    def __init__(self, store: Store, job_id: str):
        self.store, self.job_id = store, job_id
        self._last = 0.0
        self._pending: dict[str, Any] = {}

    def set(self, force: bool = False, **changes: Any) -> None:
        self._pending.update(changes)
        if not force and time.monotonic() - self._last < PROGRESS_EVERY_SECONDS:
            return
        try:
            self.store.update_report_job(self.job_id, **self._pending)
        except BusyError:  # an import holds the write lock: show this progress next time
            return
        self._pending, self._last = {}, time.monotonic()

    def finish(self, **changes: Any) -> None:
        """The outcome must be written: retry while another write holds the lock."""
        changes = {**self._pending, **changes}
        for attempt in range(FINAL_WRITE_TRIES):
            try:
                self.store.update_report_job(self.job_id, **changes)
                return
            except BusyError:
                if attempt == FINAL_WRITE_TRIES - 1:
                    raise
                time.sleep(1)


# -- what a job needs to run again --------------------------------------------------


def encode_request(
    spec: ReportSpec, previous: PreviousReport | None, language: str = DEFAULT_LANGUAGE
) -> str:
    """The report's options, language and the earlier report's pairs, as JSON for the job row."""
    data: dict[str, Any] = {"spec": spec.to_dict(), "previous": None, "language": language}
    if previous is not None:
        data["previous"] = {
            "source": previous.source,
            "pairs": sorted(previous.pairs),
            "meta": previous.meta,
        }
    return json.dumps(data, ensure_ascii=False)


def request_language(text: str) -> str:
    """The language a job's file is written in (English for jobs queued before there was one)."""
    return json.loads(text).get("language") or DEFAULT_LANGUAGE


def decode_request(text: str) -> tuple[ReportSpec, PreviousReport | None]:
    data = json.loads(text)
    spec = data["spec"]
    filters = spec["partner_filters"]
    decoded = ReportSpec(
        top=spec["top"],
        direction=spec["direction"],
        company_ids=tuple(spec["company_ids"]),
        sectors=tuple(spec["sectors"]),
        changed_since=spec["changed_since"],
        partner_filters=Filters(
            sectors=list(filters["sectors"]),
            partnership_types=list(filters["partnership_types"]),
            verified_only=filters["verified_only"],
            min_employees=filters["min_employees"],
        ),
        strong_score=spec["strong_score"],
        only_new=spec["only_new"],
    )
    previous = data["previous"]
    if previous is None:
        return decoded, None
    pairs = frozenset((a, b) for a, b in previous["pairs"])
    return decoded, PreviousReport(previous["source"], pairs, previous["meta"])


def interrupted(starts: int) -> str:
    """Why a job that restarts kept cutting off is failed rather than run once more."""
    times = "twice" if starts == 2 else f"{starts} times"
    return (
        f"This report was interrupted by a server restart {times}; start it again "
        "(with fewer companies if it keeps failing)."
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def default_folder() -> Path:
    """A per-user temporary folder, so two users' servers never share report files."""
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"matchmaker-reports-{uid}"
