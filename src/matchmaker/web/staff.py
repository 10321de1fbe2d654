"""Staff tools that must work at thousands of profiles: the list, exports, bulk actions,
reverts and the users page (login required, like every ``/staff`` page).

The list is paginated, sorted and filtered in SQL (``Store.staff_page``), so a
page reads one page of rows whatever the database holds. Filters travel in the
query string, so a filtered view can be bookmarked, exported and acted on.
Every write here (bulk verify, delete, export of a selection, revert) is one
transaction with an audit entry per profile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import exporting
from ..indexing import embed_profiles
from ..languages import N_
from ..profiles import COUNTRIES, ProfileError, validate_profile
from ..roles import ROLES
from ..store import (
    REVERTIBLE_ACTIONS,
    STAFF_SORTS,
    NotFoundError,
    StaffFilter,
    StaleEditError,
    Store,
    StoreError,
)
from .auth import login_needed
from .errors import respond
from .resources import get_embedder, get_store

bp = Blueprint("staff", __name__, url_prefix="/staff")

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
#: ``?page=last``: a page past any end, which the store turns into the last page.
LAST_PAGE = 10**9
#: Most profiles one bulk action takes (a page at its largest).
MAX_SELECTION = max(PAGE_SIZES)
BULK_ACTIONS = ("verify", "unverify", "delete", "export")
#: Query-string keys that make up a filter (kept across pages, sorts and exports).
FILTER_KEYS = ("q", "country", "sector", "role", "verified", "since", "show", "dup")
#: Staff pages other helpers add; linked from the navigation only once they exist.
#: Pages of features that may not be installed; the labels are translated where shown.
OPTIONAL_PAGES = (("/staff/duplicates", N_("Duplicates")), ("/staff/missions", N_("Missions")))
_URL = re.compile(r"https?://[^\s|()<>\"']+[^\s|()<>\"'.,;:]")


@bp.before_request
def staff_only():
    """Every staff page, reading ones included, needs a login."""
    return None if g.user else login_needed()


# -- the list ------------------------------------------------------------------------


@dataclass
class ListRequest:
    """The staff list's query string, checked: a filter, a sort, a page, and any problems."""

    where: StaffFilter
    sort: str = "name"
    page: int = 1
    per_page: int = DEFAULT_PAGE_SIZE
    args: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def read_list_request(args: Any) -> ListRequest:
    """Parse the filter, sort and page; a bad value is reported and left out, never a 500."""
    errors: list[str] = []
    kept = {key: args.get(key, "").strip() for key in FILTER_KEYS if args.get(key, "").strip()}
    country = kept.get("country", "").upper() or None
    if country and country not in COUNTRIES:
        errors.append(_("Unknown country “%(value)s”: choose LV or KR.", value=kept["country"]))
        country = None
    role = kept.get("role") or None
    if role and role not in ROLES:
        errors.append(_("Unknown role “%(value)s”.", value=role))
        role = None
    verified = {"yes": True, "no": False}.get(kept.get("verified", ""))
    if kept.get("verified") and verified is None:
        errors.append(_("“Verified” must be yes or no."))
    since = _read_date(kept.get("since"), errors)
    sort = args.get("sort", "name")
    if sort not in STAFF_SORTS:
        errors.append(_("Unknown sort “%(value)s”; sorted by name.", value=sort))
        sort = "name"
    where = StaffFilter(
        text=kept.get("q", "")[:200],
        country=country,
        sector=kept.get("sector") or None,
        role=role,
        verified=verified,
        changed_since=since,
        deleted=kept.get("show") == "deleted",
        only_ids=_duplicate_ids() if kept.get("dup") == "yes" else None,
    )
    return ListRequest(
        where,
        sort,
        _read_page(args.get("page"), errors),
        _page_size(args.get("per"), errors),
        kept | ({"sort": sort} if sort != "name" else {}),
        errors,
    )


def _read_date(value: str | None, errors: list[str]) -> str | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        errors.append(_("“Changed since” must be a date such as 2026-01-31."))
        return None


def _read_int(value: str | None, default: int, errors: list[str], label: str) -> int:
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1 or number > 10**9:
        errors.append(_("%(label)s must be a positive whole number.", label=label))
        return default
    return number


def _read_page(value: str | None, errors: list[str]) -> int:
    """The page number; "last" is the last page, which a capped count cannot number."""
    return LAST_PAGE if value == "last" else _read_int(value, 1, errors, _("Page"))


def _page_size(value: str | None, errors: list[str]) -> int:
    size = _read_int(value, DEFAULT_PAGE_SIZE, errors, _("Page size"))
    return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE


def _duplicate_ids() -> frozenset[str] | None:
    """Hook for the "has duplicates" filter: ids with duplicate candidates, once they exist.

    Duplicate detection is built separately (``matchmaker.duplicates``); when that
    module offers ``ids_with_candidates(store)``, the filter appears and uses it.
    Until then the filter is hidden and ``dup=yes`` is ignored.
    """
    try:
        from .. import duplicates  # type: ignore[attr-defined]
    except ImportError:
        return None
    finder = getattr(duplicates, "ids_with_candidates", None)
    return frozenset(finder(get_store())) if finder else None


def companies_page():
    """The staff list (served at ``/staff/``): one page of profiles, filtered and sorted."""
    wanted = read_list_request(request.args)
    store = get_store()
    page = store.staff_page(wanted.where, wanted.sort, wanted.page, wanted.per_page)
    return render_template(
        "staff/list.html",
        page=page,
        wanted=wanted,
        sectors=sectors_in_use(store),
        roles=ROLES,
        sorts=STAFF_SORTS,
        page_sizes=PAGE_SIZES,
        has_duplicates_filter=_duplicate_ids() is not None,
        formats=exporting.FORMATS,
        bulk_actions=BULK_ACTIONS,
        link=lambda **changes: list_url(wanted, **changes),
        export_url=url_for("staff.export", **wanted.args),
        back=list_url(wanted, page=page.page),
    ), (400 if wanted.errors else 200)


#: database path -> (revision, sectors): the sector list costs a scan of every profile,
#: so it is read again only after a write (the store's revision moved).
_SECTORS: dict[str, tuple[int, list[str]]] = {}


def sectors_in_use(store: Store) -> list[str]:
    """The sector filter's choices, cached until the next write to the profiles."""
    revision = store.revision()
    cached = _SECTORS.get(store.path)
    if cached is None or cached[0] != revision:
        cached = _SECTORS[store.path] = (revision, store.sectors_in_use())
    return cached[1]


def list_url(wanted: ListRequest, **changes: Any) -> str:
    """The list's address with this filter and some parts changed (page, sort, size)."""
    args = dict(wanted.args)
    if wanted.per_page != DEFAULT_PAGE_SIZE:
        args["per"] = str(wanted.per_page)
    args.update({k: str(v) for k, v in changes.items() if v is not None})
    args = {k: v for k, v in args.items() if v and not (k == "page" and v == "1")}
    base = url_for("curation.companies")
    return f"{base}?{urlencode(args)}" if args else base


# -- exports -------------------------------------------------------------------------


@bp.get("/export")
def export():
    """The export page, or (with ``format``) the file of all or the filtered profiles."""
    fmt = request.args.get("format", "")
    wanted = read_list_request(request.args)
    if not fmt:
        store = get_store()
        count = store.staff_count(wanted.where)
        return render_template(
            "staff/export.html", wanted=wanted, count=count, formats=exporting.FORMATS
        ), (400 if wanted.errors else 200)
    if fmt not in exporting.FORMATS:
        return respond(400, _("Choose one of the formats: CSV, XLSX or JSONL."))
    if wanted.errors:
        return respond(400, " ".join(wanted.errors))
    profiles = get_store().staff_profiles(wanted.where, wanted.sort)
    return _download(profiles, fmt, "all" if not _filtered(wanted) else "selection")


def _filtered(wanted: ListRequest) -> bool:
    return any(key in wanted.args for key in FILTER_KEYS)


def _download(profiles, fmt: str, label: str) -> Response:
    body = exporting.export_bytes(profiles, fmt)
    name = f"matchmaker-{label}-{date.today().isoformat()}.{fmt}"
    return Response(
        body,
        mimetype=exporting.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# -- bulk actions ----------------------------------------------------------------------


@bp.post("/bulk")
def bulk():
    """Verify, unverify, delete or export the profiles ticked on the list, audited."""
    action = request.form.get("action", "")
    ids = list(dict.fromkeys(i for i in request.form.getlist("ids") if i))
    back = _back_to_list()
    if action not in BULK_ACTIONS:
        return respond(400, _("Choose what to do with the selected profiles."))
    if not ids:
        flash(_("Tick at least one profile first."), "error")
        return redirect(back, code=303)
    if len(ids) > MAX_SELECTION:
        return respond(
            400,
            ngettext(
                "Select at most %(num)d profile at once.",
                "Select at most %(num)d profiles at once.",
                MAX_SELECTION,
            ),
        )
    store = get_store()
    try:
        if action == "export":
            return _bulk_export(ids)
        if action == "delete":
            count = store.delete_many(ids, g.user)
            message = ngettext(
                "Deleted %(num)d profile; it can be restored.",
                "Deleted %(num)d profiles; each can be restored.",
                count,
            )
        else:
            count = store.set_verified(ids, action == "verify", g.user)
            message = (
                ngettext(
                    "Marked %(num)d profile as verified.",
                    "Marked %(num)d profiles as verified.",
                    count,
                )
                if action == "verify"
                else ngettext(
                    "Marked %(num)d profile as not verified.",
                    "Marked %(num)d profiles as not verified.",
                    count,
                )
            )
    except NotFoundError as exc:
        return respond(400, _("Nothing was changed: %(problem)s.", problem=str(exc)))
    flash(message, "success")
    return redirect(back, code=303)


def _bulk_export(ids: list[str]) -> Response:
    fmt = request.form.get("format", "csv")
    if fmt not in exporting.FORMATS:
        return respond(400, _("Choose one of the formats: CSV, XLSX or JSONL."))
    store = get_store()
    profiles = [store.get(company_id, include_deleted=True) for company_id in ids]
    store.record_export(ids, g.user, fmt)
    return _download(profiles, fmt, "selection")


def _back_to_list() -> str:
    """The list page the form came from (its filter kept), never another site."""
    back = request.form.get("back", "")
    base = url_for("curation.companies")
    return back if back.startswith(base) and "//" not in back else base


# -- history: revert -------------------------------------------------------------------


@bp.post("/companies/<company_id>/revert")
def revert(company_id: str):
    """Put back the values of one past change (all its fields, or those ticked), audited."""
    store = get_store()
    try:
        entry_id = int(request.form.get("entry", ""))
        version = int(request.form.get("version", ""))
    except ValueError:
        return respond(400, _("The form lacks the change or version to revert; reload it."))
    fields = request.form.getlist("field") or None
    try:
        profile, changed = store.revert(
            company_id, entry_id, g.user, version, fields=fields, validate=validate_profile
        )
    except StaleEditError:
        return render_template(
            "error.html",
            status=409,
            message=_(
                "Someone else changed this profile after you opened its history, so nothing "
                "was reverted. Look at the history again, then revert if you still want to."
            ),
            retry=url_for("curation.history", company_id=company_id),
        ), 409
    except NotFoundError as exc:
        return respond(404, str(exc))
    except (StoreError, ProfileError) as exc:
        return respond(400, _("Nothing was reverted: %(problem)s.", problem=str(exc)))
    if changed:
        embed_profiles(store, get_embedder(), [profile])  # search reflects it at once
        flash(
            _(
                "Reverted %(fields)s of %(name)s to the values before change #%(entry)s.",
                fields=", ".join(changed),
                name=profile.name,
                entry=entry_id,
            ),
            "success",
        )
    else:
        flash(_("%(name)s already has those values; nothing changed.", name=profile.name), "info")
    return redirect(url_for("curation.history", company_id=company_id), code=303)


# -- users ---------------------------------------------------------------------------


@bp.get("/users")
def users():
    """Staff accounts: who can log in (accounts are managed with ``matchmaker user``)."""
    return render_template("staff/users.html", users=get_store().users())


# -- navigation and public-page helpers ---------------------------------------------------


@bp.app_context_processor
def staff_navigation() -> dict[str, Any]:
    return {"staff_links": staff_links, "revertible_actions": REVERTIBLE_ACTIONS}


def staff_links() -> list[tuple[str, str]]:
    """(label, address) of every staff page, the optional ones only if the app serves them."""
    links = [
        (_("Profiles"), url_for("curation.companies")),
        (_("Import"), url_for("curation.upload")),
        (_("Export"), url_for("staff.export")),
        (_("Reports"), url_for("reports.form")),
        (_("Users"), url_for("staff.users")),
    ]
    # linked at the address the app serves: /staff/duplicates/ was a 404 (Flask answers a
    # rule without a trailing slash only without it)
    served = {rule.rule.rstrip("/"): rule.rule for rule in current_app.url_map.iter_rules()}
    links += [(_(label), served[path]) for path, label in OPTIONAL_PAGES if path in served]
    return links


@bp.app_template_filter("source_links")
def source_links(source: str | None) -> list[str]:
    """The web addresses in a profile's ``source``: what a visitor may see of it.

    The rest of ``source`` is curation notes ("offers/seeks: editorial summary",
    paths in our repository, "not re-read in this pass") for staff only.
    """
    return list(dict.fromkeys(_URL.findall(source or "")))


@bp.app_template_filter("role_label")
def role_label(slug: str) -> str:
    return ROLES.get(slug, slug)
