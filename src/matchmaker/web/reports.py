"""Batch reports for staff: the options of ``matchmaker report``, run in the background.

``GET /staff/reports/`` shows the form; ``POST`` checks it, starts a job and
redirects to its progress page, which polls ``status.json`` (with a plain
refresh when scripts are off) and downloads the file when it is ready. The
job id travels as a query parameter, so every route is argument-free. Staff
only, like all of ``/staff``; writes carry the CSRF token (an app-wide check).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from ..languages import LANGUAGES
from ..profiles import PARTNERSHIP_TYPES
from ..ranking import Filters
from ..reports import (
    DIRECTIONS,
    FORMATS,
    PreviousReport,
    ReportError,
    ReportSpec,
    check_company_ids,
    detect_format,
    follow_merges,
    read_previous,
)
from . import job_messages
from .auth import login_needed
from .errors import ConfigError, respond
from .i18n import current_language
from .report_jobs import JobRunner, JobStatus, TooManyJobs, default_folder
from .resources import get_directory, get_store, ranker_fitter

bp = Blueprint("reports", __name__, url_prefix="/staff/reports")

MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "html": "text/html",
}
DEFAULTS = {"top": "10", "format": "xlsx", "direction": "both"}


@bp.record_once
def _setup(state) -> None:
    config = state.app.config
    folder = Path(config.get("REPORTS_DIR") or default_folder())
    state.app.extensions["matchmaker_reports"] = JobRunner(
        str(config["DB"]), folder, retention_hours(config.get("REPORT_RETENTION_HOURS"))
    )


def retention_hours(value: object) -> float:
    """The MATCHMAKER_REPORT_RETENTION_HOURS setting as a number, or a clear start-up error."""
    try:
        hours = float(value if value is not None else 24)
    except (TypeError, ValueError):
        raise ConfigError("MATCHMAKER_REPORT_RETENTION_HOURS must be a number of hours") from None
    if not hours > 0:
        raise ConfigError("MATCHMAKER_REPORT_RETENTION_HOURS must be positive")
    return hours


@bp.before_request
def staff_only():
    if not g.user:
        return login_needed()
    recover_jobs()
    runner().expire_files(get_store())
    return None


def recover_jobs() -> list[str]:
    """Resume or fail what a previous server process left unfinished (once per process).

    ``matchmaker serve`` calls this before it listens; the first staff request to
    the reports pages calls it too, for servers started some other way.
    """
    return runner().recover(get_store(), ranker_fitter)


def runner() -> JobRunner:
    return current_app.extensions["matchmaker_reports"]


@bp.get("/")
def form():
    # The file's language starts as the page's: the staff member reads it in that one.
    return _form({**DEFAULTS, "language": current_language()})


@bp.post("/")
def start():
    values = {key: request.form.get(key, "").strip() for key in FIELDS}
    values["sector"] = request.form.getlist("sector")
    values["partner_sector"] = request.form.getlist("partner_sector")
    values["type"] = request.form.getlist("type")
    try:
        spec, fmt = parse_form(values)
        _check_companies(spec)
        previous = _previous(request.files.get("previous"))
        if spec.only_new and previous is None:
            raise ReportError(
                gettext("“Only new matches” needs a previous report to compare with.")
            )
        language = _language(values.get("language"))
        job_id = runner().submit(
            get_store(), g.user, spec, fmt, previous, ranker_fitter(), language
        )
    except ReportError as exc:
        return _form(values, error=str(exc), status=400)
    except TooManyJobs as exc:
        return _form(values, error=str(exc), status=429)
    return redirect(url_for("reports.status", job=job_id), code=303)


@bp.get("/status")
def status():
    job = _job()
    return render_template("reports/status.html", job=job.snapshot(), running=job.running)


@bp.get("/status.json")
def status_json():
    job = _job()
    data = job.snapshot()
    data["message"] = job_messages.translate(data.get("message"))  # the page's language
    if job.state == "done":
        data["download_url"] = url_for("reports.download", job=job.id)
    return jsonify(data)


@bp.get("/download")
def download():
    job = _job()
    if job.state in ("expired", "failed"):
        return respond(410, job.message)
    if job.state != "done" or job.path is None:
        abort(409, description=gettext("This report is not ready yet."))
    if not job.path.is_file():
        runner().file_gone(get_store(), job)
        return respond(410, gettext("The file is no longer on the server; run the report again."))
    return send_file(
        job.path,
        mimetype=MIMETYPES[job.fmt],
        as_attachment=True,
        download_name=job.filename,
        max_age=0,
    )


# -- the form ----------------------------------------------------------------------

FIELDS = (
    "top",
    "format",
    "direction",
    "companies",
    "changed_since",
    "verified_only",
    "min_employees",
    "only_new",
    "strong_score",
    "language",
)


def parse_form(values: dict) -> tuple[ReportSpec, str]:
    """The form as a ReportSpec and format; a ReportError names the field to fix."""
    fmt = values.get("format") or "xlsx"
    if fmt not in FORMATS:
        raise ReportError(gettext("Format must be one of %(formats)s.", formats=", ".join(FORMATS)))
    canonical = {t.lower(): t for t in PARTNERSHIP_TYPES}
    unknown = [t for t in values["type"] if t.lower() not in canonical]
    if unknown:
        raise ReportError(gettext("Unknown partnership type: %(types)s.", types=", ".join(unknown)))
    spec = ReportSpec(
        top=_number(values.get("top") or "10", _l("Partners per company"), int),
        direction=values.get("direction") or "both",
        company_ids=tuple(values.get("companies", "").replace(",", " ").split()),
        sectors=tuple(values["sector"]),
        changed_since=values.get("changed_since") or None,
        partner_filters=Filters(
            sectors=list(values["partner_sector"]),
            partnership_types=[canonical[t.lower()] for t in values["type"]],
            verified_only=bool(values.get("verified_only")),
            min_employees=_number(values["min_employees"], _l("Minimum employees"), int)
            if values.get("min_employees")
            else None,
        ),
        strong_score=_number(values["strong_score"], _l("Strong match score"), float)
        if values.get("strong_score")
        else None,
        only_new=bool(values.get("only_new")),
    )
    return spec, fmt


def _language(code: str | None) -> str:
    """The report's language from the form: one of ours, else a clear form error."""
    if not code:
        return current_language()
    if code not in LANGUAGES:
        raise ReportError(
            gettext("Language must be one of %(languages)s.", languages=", ".join(LANGUAGES))
        )
    return code


def _check_companies(spec: ReportSpec) -> None:
    """Unknown ids, or ids outside the direction, are refused before a job starts.

    The other selection rules (sectors, changed since) are checked by the job,
    which reports an empty selection on the progress page.
    """
    if spec.company_ids:
        spec = follow_merges(get_store(), spec)
        check_company_ids(get_directory().countries(list(spec.company_ids)), spec)


def _number(text: str, label: LazyString, kind: type) -> int | float:
    try:
        value = kind(text)
    except ValueError:
        raise ReportError(
            gettext("%(field)s must be a number, not “%(text)s”.", field=label, text=text)
        ) from None
    if value < 0:
        raise ReportError(gettext("%(field)s cannot be negative.", field=label))
    return value


def _previous(upload: FileStorage | None) -> PreviousReport | None:
    """An uploaded earlier report, read through a temporary file named like the upload."""
    if upload is None or not upload.filename:
        return None
    name = Path(upload.filename).name[:200]
    suffix = "." + detect_format(name)
    handle, temporary = tempfile.mkstemp(suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            upload.save(out)
        previous = read_previous(temporary)
    finally:
        os.unlink(temporary)
    return PreviousReport(name, previous.pairs, previous.meta)


def _form(values: dict, error: str | None = None, status: int = 200):
    page = render_template(
        "reports/form.html",
        values=values,
        error=error,
        sectors=get_directory().sectors,
        formats=FORMATS,
        report_languages=LANGUAGES,
        directions=DIRECTIONS,
        jobs=[j.snapshot() for j in runner().for_owner(get_store(), g.user)],
    )
    return page, status


def _job() -> JobStatus:
    job = runner().get(get_store(), request.args.get("job", "")[:100], g.user)
    if job is None:
        abort(404, description=gettext("No such report."))
    return job
