"""Profile curation for agency staff (login required): edit, delete, verify, import, history.

Staff also grade suggested matches here (the form sits on the results page);
the grades become a labelled set, see :mod:`matchmaker.judgements`.

Every edit goes through :func:`profiles.validate_profile` (the import rules),
is saved with the version the editor loaded (a stale edit is a 409 that keeps
the editor's text), and is re-embedded at once so search reflects it.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from ..judgements import GRADES, JudgementInputError, read_judgement
from ..profiles import ProfileError, validate_profile
from ..service import Matchmaker
from ..store import (
    BusyError,
    ConflictError,
    ImportConflictError,
    NotFoundError,
    StaleEditError,
)
from . import imports, staff
from .auth import login_needed
from .errors import respond
from .forms import PROFILE_FIELDS, field_errors, form_values, profile_form_values, raw_profile
from .i18n import GRADE_LABELS
from .resources import get_embedder, get_store
from .security import is_local_path, is_write

bp = Blueprint("curation", __name__, url_prefix="/staff")


@bp.before_request
def staff_only():
    """Every staff page, reading ones included, needs a login."""
    return None if g.user else login_needed()


@bp.get("/")
def companies():
    """The paginated, filtered staff list (:mod:`.staff`; it used to be one page of all)."""
    return staff.companies_page()


@bp.route("/companies/new", methods=["GET", "POST"])
def new():
    if not is_write():
        return _edit_form(None, profile_form_values({"country": ""}), version=0)
    values = form_values(request.form)
    try:
        profile = validate_profile(raw_profile(values, None))
    except ProfileError as exc:
        return _edit_form(None, values, 0, errors=field_errors(exc), status=400)
    try:
        saved = Matchmaker(get_store(), get_embedder()).save(profile, g.user, create=True)
    except ConflictError as exc:
        return _edit_form(None, values, 0, errors={"id": [f"{exc}."]}, status=409)
    except BusyError as exc:  # nothing was saved; the form comes back as typed
        return _edit_form(None, values, 0, busy=str(exc), status=503)
    flash(gettext("Created %(name)s.", name=saved.name), "success")
    return redirect(url_for("search.company", company_id=saved.id))


@bp.route("/companies/<company_id>/edit", methods=["GET", "POST"])
def edit(company_id: str):
    store = get_store()
    current = store.get(company_id, include_deleted=True)
    if not is_write():
        return _edit_form(current.id, profile_form_values(current.content()), current.version)
    values = form_values(request.form)
    version = _version(request.form)
    try:
        profile = validate_profile(raw_profile(values, company_id))
    except ProfileError as exc:
        return _edit_form(company_id, values, version, errors=field_errors(exc), status=400)
    try:
        saved = Matchmaker(store, get_embedder()).save(
            profile, g.user, expected_version=version
        )
    except StaleEditError:
        latest = store.get(company_id, include_deleted=True)
        conflict = _conflict(latest, profile.content())
        return _edit_form(company_id, values, latest.version, conflict=conflict, status=409)
    except BusyError as exc:
        return _edit_form(company_id, values, version, busy=str(exc), status=503)
    flash(gettext("Saved %(name)s; search reflects the change now.", name=saved.name), "success")
    return redirect(url_for("search.company", company_id=saved.id))


def _edit_form(
    company_id: str | None,
    values: dict,
    version: int,
    errors: dict | None = None,
    conflict: dict | None = None,
    busy: str | None = None,
    status: int = 200,
):
    deleted = company_id is not None and get_store().is_deleted(company_id)
    return render_template(
        "staff/edit.html",
        company_id=company_id,
        values=values,
        version=version,
        fields=PROFILE_FIELDS,
        errors=errors or {},
        conflict=conflict,
        busy=busy,
        deleted=deleted,
    ), status


def _version(form) -> int:
    """The version the editor loaded; a missing one can only be stale."""
    try:
        return int(form.get("version", ""))
    except ValueError:
        return -1


def _conflict(latest, mine: dict) -> dict:
    """Who saved in between, and which fields now differ from what the editor submitted."""
    entries = get_store().history(latest.id, limit=1)
    stored = latest.content()
    return {
        "by": entries[0]["actor"] if entries else gettext("someone"),
        "at": entries[0]["at"] if entries else latest.updated_at,
        "fields": [
            (name, label, stored[name])
            for name, label, *_ in PROFILE_FIELDS
            if stored[name] != mine[name]
        ],
    }


@bp.post("/companies/<company_id>/delete")
def delete(company_id: str):
    return _set_deleted(company_id, True)


@bp.post("/companies/<company_id>/restore")
def restore(company_id: str):
    return _set_deleted(company_id, False)


def _set_deleted(company_id: str, deleted: bool):
    try:
        profile = get_store().set_deleted(
            company_id, deleted, g.user, expected_version=_version(request.form)
        )
    except StaleEditError:
        return _stale(company_id)
    if deleted:
        flash(
            gettext(
                "Deleted %(name)s. It stays in the history and can be restored.", name=profile.name
            ),
            "success",
        )
        return redirect(url_for("curation.companies", show="deleted"))
    flash(gettext("Restored %(name)s.", name=profile.name), "success")
    return redirect(url_for("search.company", company_id=company_id))


@bp.post("/companies/<company_id>/verify")
def verify(company_id: str):
    """Its own audit event ("verify"/"unverify"), not an edit; nothing to re-embed."""
    store = get_store()
    verified = request.form.get("verified", "1") == "1"
    try:
        store.set_verified([company_id], verified, g.user, expected_version=_version(request.form))
    except StaleEditError:
        return _stale(company_id)
    profile = store.get(company_id)
    if profile.verified:
        flash(gettext("Marked %(name)s as verified.", name=profile.name), "success")
    else:
        flash(gettext("Marked %(name)s as not verified.", name=profile.name), "success")
    return redirect(url_for("search.company", company_id=company_id))


def _stale(company_id: str):
    return render_template(
        "error.html",
        status=409,
        message=gettext(
            "Someone else changed this profile after you opened it, so nothing was done. "
            "Open it again to see the latest version, then repeat your action."
        ),
        retry=url_for("curation.edit", company_id=company_id),
    ), 409


@bp.get("/companies/<company_id>/history")
def history(company_id: str):
    store = get_store()
    profile = store.get(company_id, include_deleted=True)
    return render_template(
        "staff/history.html",
        profile=profile,
        entries=store.history(company_id),
        deleted=store.is_deleted(company_id),
    )


@bp.route("/import", methods=["GET", "POST"])
def upload():
    if not is_write():
        return render_template("staff/import.html", preview=None)
    preview = imports.preview_upload(request.files.get("file"), request.form.get("format", ""))
    status = 200 if preview.ok else 422
    return render_template("staff/import.html", preview=preview), status


@bp.post("/import/confirm")
def confirm_import():
    overwrite = request.form.get("overwrite") == "1"
    try:
        summary = imports.confirm(request.form.get("digest", ""), g.user, overwrite=overwrite)
    except (imports.ImportExpired, ImportConflictError) as exc:
        flash(str(exc), "error")
        return redirect(url_for("curation.upload"))
    flash(
        gettext(
            "Imported: %(new)d new, %(updated)d updated, %(unchanged)d unchanged. "
            "Search reflects them now.",
            new=summary.created,
            updated=summary.updated,
            unchanged=summary.unchanged,
        ),
        "success",
    )
    return redirect(url_for("curation.companies"))


@bp.post("/judgements")
def judge():
    """Record a staff grade of a suggested company, then go back to the results."""
    store = get_store()
    try:
        judgement = read_judgement(request.form)
        store.add_judgement(judgement, g.user)
    except (JudgementInputError, NotFoundError) as exc:
        return respond(400, gettext("The grade was not recorded: %(reason)s.", reason=exc))
    except BusyError as exc:
        flash(gettext("The grade was not recorded: %(reason)s.", reason=exc), "error")
    else:
        name = store.get(judgement.candidate_id).name
        grade = GRADE_LABELS[GRADES[judgement.grade]]
        flash(
            gettext(
                "Recorded: %(name)s graded “%(grade)s” for this search.", name=name, grade=grade
            ),
            "success",
        )
    back = request.form.get("next")
    return redirect(back if is_local_path(back) else url_for("search.index"), code=303)
