"""The JSON API: read endpoints for everyone, write endpoints for logged-in staff.

Matches and search results are the objects the CLI prints with ``--json``
(``Match.to_dict()``); companies are ``Profile.to_dict()``. Writes need a
staff session and the session's CSRF token in ``X-CSRF-Token`` (get both from
``/api/session``), and name the version they change so a stale write is a
409, never an overwrite. Documented in ``docs/openapi.yaml``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request, send_file, url_for

from ..importing import FORMATS, parse_bytes
from ..judgements import JudgementInputError, read_judgement
from ..profiles import ProfileError, validate_profile
from ..ranking import Match
from ..service import Matchmaker
from ..store import ConflictError, ImportConflictError, NotFoundError, StaleEditError
from . import assets, auth, security
from .cursors import CursorError, make_cursor, read_cursor
from .forms import parse_search
from .resources import get_directory, get_embedder, get_ranker, get_store
from .search import find_by_text
from .staff import source_links

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_LIST = 1000


def _error(status: int, message: str, **extra: Any):
    response = jsonify(error=str(message), **extra)  # str(): a lazily translated message
    response.status_code = status
    return response


def _matches(matches: list[Match]):
    return jsonify([m.to_dict() for m in matches])


# -- documentation and session ----------------------------------------------


@bp.get("/openapi.yaml")
def openapi():
    return send_file(assets.locate("openapi.yaml"), mimetype="application/yaml")


@bp.get("/session")
def session_info():
    return jsonify(user=g.user, csrf_token=security.csrf_token())


@bp.post("/session")
def login():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "send a JSON object with username and password")
    try:
        user = auth.authenticate(str(body.get("username", "")), str(body.get("password", "")))
    except auth.LoginThrottled as exc:
        response = _error(429, exc.message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if user is None:
        return _error(401, auth.LOGIN_ERROR)
    token = auth.start_session(user)
    return jsonify(user=user, csrf_token=token)


@bp.delete("/session")
def logout():
    auth.end_sessions()
    return jsonify(user=None, csrf_token=security.csrf_token())


# -- reading ----------------------------------------------------------------


@bp.get("/suggest")
def suggest():
    """Type-ahead: companies whose name (Latin, Latvian or Hangul) fits what was typed."""
    entries = get_directory().suggest(request.args.get("q", "")[:200])
    return jsonify([e.to_dict() for e in entries])


@bp.get("/companies")
def companies():
    """One page of live profiles in id order: by ``offset``, or after a cursor (``after``).

    Every page but the last names the next one (``X-Next-Cursor`` and a ``Link``
    header, as GitHub's API does); one more row than the page is read to know.
    """
    params = parse_search(request.args)
    limit = _bounded_int("limit", 100, 1, MAX_LIST)
    offset = _bounded_int("offset", 0, 0, 10_000_000)
    errors = _param_errors(params.errors, limit, offset)
    after = _resume_after(params.country, params.q, errors)
    if errors or isinstance(limit, str) or isinstance(offset, str):
        return _error(400, "bad parameters", errors=errors)
    rows = get_store().list_page(params.country, params.q, limit + 1, offset, after=after)
    response = jsonify([_shown(p) for p in rows[:limit]])
    if len(rows) > limit:
        _name_next_page(response, make_cursor(rows[limit - 1].id, params.country, params.q))
    return response


def _resume_after(country: str | None, text: str, errors: dict[str, str]) -> str | None:
    """The id ``?after=`` resumes past (None without one); a problem goes to ``errors``."""
    token = request.args.get("after", "").strip()
    if not token:
        return None
    if request.args.get("offset", "").strip():
        errors.setdefault("offset", "give either offset or after, not both: after says where")
        return None
    if "country" in errors:
        return None  # which listing the cursor must belong to is not known
    try:
        return read_cursor(token, country, text)
    except CursorError as exc:
        errors["after"] = str(exc)
        return None


def _name_next_page(response, cursor: str) -> None:
    """The next page's cursor, and its whole URL with this request's filters and limit."""
    names = ("country", "q", "limit")
    kept = {name: request.args[name] for name in names if request.args.get(name)}
    url = url_for("api.companies", _external=True, **kept, after=cursor)
    response.headers["X-Next-Cursor"] = cursor
    response.headers["Link"] = f'<{url}>; rel="next"'


@bp.get("/companies/<company_id>")
def company(company_id: str):
    return jsonify(_shown(get_store().get(company_id)))


def _shown(profile) -> dict[str, Any]:
    """A profile as this client may see it: visitors get only the web addresses of ``source``.

    The rest of ``source`` is internal curation notes (see :func:`.staff.source_links`).
    """
    shown = profile.to_dict()
    if not g.user:
        shown["source"] = " | ".join(source_links(profile.source)) or None
    return shown


@bp.get("/companies/<company_id>/matches")
def matches(company_id: str):
    return _ranked_for(company_id, "match")


@bp.get("/companies/<company_id>/similar")
def similar(company_id: str):
    return _ranked_for(company_id, "similar")


def _ranked_for(company_id: str, method: str):
    """The company's partners (``match``) or peers (``similar``), with the search parameters."""
    params = parse_search(request.args)
    if params.errors:
        return _error(400, "bad parameters", errors=params.errors)
    get_store().get(company_id)  # an unknown or merged id: 404 or 308, before any ranking
    rank = getattr(get_ranker(company_id), method)
    return _matches(rank(company_id, top=params.top, filters=params.filters()))


@bp.get("/search")
def search():
    params = parse_search(request.args)
    if not params.q:
        params.errors["q"] = "describe what you need in q"
    if not params.country:
        params.errors.setdefault("country", "choose the country to search: LV or KR")
    if params.errors:
        return _error(400, "bad parameters", errors=params.errors)
    return _matches(find_by_text(params).matches)


@bp.get("/companies/<company_id>/history")
def history(company_id: str):
    if not g.user:
        return auth.login_needed()
    store = get_store()
    store.get(company_id, include_deleted=True)
    return jsonify(store.history(company_id))


# -- writing (staff, CSRF: enforced app-wide by auth and security) ----------


@bp.post("/companies")
def create():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "send the profile as a JSON object")
    try:
        profile = validate_profile(body)
        saved = Matchmaker(get_store(), get_embedder()).save(profile, g.user, create=True)
    except ProfileError as exc:
        return _invalid(exc)
    except ConflictError as exc:
        return _error(409, str(exc))
    response = jsonify(saved.to_dict())
    response.status_code = 201
    response.headers["Location"] = url_for("api.company", company_id=saved.id)
    return response


@bp.patch("/companies/<company_id>")
def update(company_id: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "send the changed fields and 'version' as a JSON object")
    version = _required_version(body.get("version"))
    if isinstance(version, str):
        return _error(428, version)
    store = get_store()
    current = store.get(company_id, include_deleted=True)
    if body.get("id", company_id) != company_id:
        return _error(422, "invalid profile", errors=[_field("id", "cannot be changed")])
    changes = {k: v for k, v in body.items() if k != "version"}
    try:
        profile = validate_profile(current.content() | changes)
        saved = Matchmaker(store, get_embedder()).save(
            profile, g.user, expected_version=version
        )
    except ProfileError as exc:
        return _invalid(exc)
    except StaleEditError as exc:
        return _error(409, str(exc), version=exc.actual)
    return jsonify(saved.to_dict())


@bp.delete("/companies/<company_id>")
def delete(company_id: str):
    return _set_deleted(company_id, True)


@bp.post("/companies/<company_id>/restore")
def restore(company_id: str):
    return _set_deleted(company_id, False)


def _set_deleted(company_id: str, deleted: bool):
    version = _required_version(request.args.get("version"))
    if isinstance(version, str):
        return _error(428, version)
    try:
        profile = get_store().set_deleted(company_id, deleted, g.user, expected_version=version)
    except StaleEditError as exc:
        return _error(409, str(exc), version=exc.actual)
    return jsonify(profile.to_dict() | {"deleted": deleted})


@bp.post("/imports")
def import_file():
    """Validate a whole file (the request body); write it only if every row is valid."""
    fmt = request.args.get("format", "")
    if fmt not in FORMATS:
        return _error(400, "give ?format=jsonl, json or csv")
    parsed = parse_bytes(request.get_data(cache=False), fmt)
    if not parsed.ok:
        errors = [{"row": e.row, "field": e.field, "message": e.message} for e in parsed.errors]
        return _error(422, f"{len(errors)} error(s); nothing was imported", errors=errors)
    overwrite = _flag("overwrite")
    store = get_store()
    try:
        if _flag("dry_run"):
            if not overwrite:
                _raise_conflicts(store.find_conflicts(parsed.profiles, parsed.exported))
            return jsonify(valid=len(parsed.profiles), written=False)
        summary = Matchmaker(store, get_embedder()).import_file(
            parsed, actor=g.user, overwrite=overwrite
        )
    except ImportConflictError as exc:
        conflicts = [
            {"row": parsed.row_of(c.company_id), "id": c.company_id, "message": str(c)}
            for c in exc.conflicts
        ]
        return _error(409, f"{exc}; add ?overwrite=true to do so", conflicts=conflicts)
    return jsonify(
        valid=len(parsed.profiles),
        written=True,
        created=summary.created,
        updated=summary.updated,
        unchanged=summary.unchanged,
    )


@bp.get("/judgements")
def judgements():
    """Staff grades of suggested matches, the newest of each (query, candidate) pair."""
    if not g.user:
        return auth.login_needed()
    limit = _bounded_int("limit", 100, 1, MAX_LIST)
    offset = _bounded_int("offset", 0, 0, 10_000_000)
    if isinstance(limit, str) or isinstance(offset, str):
        return _error(400, "bad parameters", errors=_param_errors({}, limit, offset))
    return jsonify(get_store().current_judgements()[offset : offset + limit])


@bp.post("/judgements")
def judge():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "send the grade as a JSON object")
    try:
        row = get_store().add_judgement(read_judgement(body), g.user)
    except (JudgementInputError, NotFoundError) as exc:
        return _error(422, f"the grade was not recorded: {exc}")
    response = jsonify(row)
    response.status_code = 201
    return response


# -- helpers ----------------------------------------------------------------


def _flag(name: str) -> bool:
    return request.args.get(name, "").lower() in ("1", "true", "yes")


def _raise_conflicts(conflicts: list) -> None:
    if conflicts:
        raise ImportConflictError(conflicts)


def _invalid(exc: ProfileError):
    return _error(422, "invalid profile", errors=[_field(e.field, e.message) for e in exc.errors])


def _field(name: str, message: str) -> dict[str, str]:
    return {"field": name, "message": message}


def _required_version(value: Any) -> int | str:
    """The version the client read, or a message saying it is needed."""
    if isinstance(value, bool):
        value = None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return "give the 'version' you read, so a stale change is refused instead of overwriting"


def _bounded_int(name: str, default: int, low: int, high: int) -> int | str:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        number = int(raw)
    except ValueError:
        return f"{name} must be a whole number"
    return number if low <= number <= high else f"{name} must be between {low} and {high}"


def _param_errors(errors: dict[str, str], *values: int | str) -> dict[str, str]:
    names = ("limit", "offset")
    return errors | {n: v for n, v in zip(names, values, strict=True) if isinstance(v, str)}
