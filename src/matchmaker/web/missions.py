"""Trade-mission planning for staff: ``/staff/missions/``.

The pages mirror ``matchmaker mission``: create a mission, add participants
(found by name), set caps, availability and wishes, plan (CP-SAT, a few
seconds), adjust the plan by hand, and download agendas (HTML, .ics) and the
organisers' grid (XLSX). Every route is argument-free (the mission travels as
``?id=`` or a form field), writes are POSTs behind the app-wide login and CSRF
checks, and every refusal (a broken rule, a stale plan, an impossible
must-meet) re-renders the page with the reason and a 4xx: nothing is written.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from ..lookup import Entry
from ..mission_store import MissionStore, StalePlanError
from ..missions import adjust, agenda, planning
from ..missions.fit import direction_worth
from ..missions.model import (
    Mission,
    MissionError,
    format_slots,
    parse_days,
    parse_slots,
)
from ..store import BusyError, NotFoundError
from .auth import login_needed
from .errors import respond
from .i18n import current_language
from .mission_words import fit, plan_note, register
from .resources import get_directory, get_ranker, get_store

bp = Blueprint("missions", __name__, url_prefix="/staff/missions")
register(bp)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CREATE_DEFAULTS = {
    "name": "",
    "days": "",
    "day_start": "09:00",
    "slot_minutes": "20",
    "slots_per_day": "24",
    "tables": "20",
    "cap": "8",
    "good_fit": "0.5",
    "timezone": "Europe/Riga",
}


@bp.before_request
def staff_only():
    return None if g.user else login_needed()


def _missions() -> MissionStore:
    return MissionStore(get_store())


# -- the list and creating ------------------------------------------------------------


@bp.get("/")
def index():
    return render_template(
        "staff/missions/index.html", missions=_missions().all(), values=CREATE_DEFAULTS
    )


@bp.post("/create")
def create():
    values = {key: request.form.get(key, d).strip() for key, d in CREATE_DEFAULTS.items()}
    try:
        mission = Mission(
            name=values["name"],
            days=parse_days(values["days"]),
            day_start=values["day_start"],
            slot_minutes=_number(values["slot_minutes"], _l("Minutes per meeting")),
            slots_per_day=_number(values["slots_per_day"], _l("Slots a day")),
            tables=_number(values["tables"], _l("Tables")),
            cap=_number(values["cap"], _l("Meetings per company (at most)")),
            good_fit=_decimal(values["good_fit"], _l("A good meeting has a fit of at least")),
            timezone=values["timezone"],
        )
        created = _missions().create(mission, g.user)
    except (MissionError, BusyError) as exc:
        return render_template(
            "staff/missions/index.html",
            missions=_missions().all(),
            values=values,
            error=str(exc),
        ), 400
    flash(gettext("Created mission %(name)s. Add its participants next.", name=created.name),
          "success")
    return redirect(url_for("missions.view", id=created.id), code=303)


# -- one mission ----------------------------------------------------------------------


@bp.get("/view")
def view():
    mission_id = _mission_id(request.args)
    if mission_id is None:
        return respond(404, gettext("No such mission."))
    return _page(mission_id)


def _companies_to_add(query: str, taking_part: set[str], limit: int = 20) -> list[Entry]:
    """Up to ``limit`` companies named like ``query`` that are not in the mission yet.

    The type-ahead's look-up (``directory.py``): reading every profile to search
    them took seconds per page view at a million.
    """
    if not query.strip():
        return []
    found = get_directory().suggest(query, limit=limit + len(taking_part))
    return [e for e in found if e.id not in taking_part][:limit]


def _page(mission_id: int, error: str | None = None, status: int = 200, **kept):
    """The mission page; ``error`` (a refusal) is shown on top with the typed values kept."""
    store = get_store()
    missions = MissionStore(store)
    mission = missions.get(mission_id)
    people = missions.participants(mission_id)
    plan = missions.plan(mission_id)
    query = request.args.get("q", "")
    taking_part = {p.company_id for p in people}
    found = _companies_to_add(query, taking_part)
    charts = None
    if plan is not None and plan.meetings:
        profiles = store.live_profiles_of(taking_part)
        charts = agenda.plan_charts(plan, profiles, current_language())
    broken = []
    if plan is not None:  # participants or wishes may have changed since this version
        state = planning.load(store, mission_id)
        broken = adjust.violations(planning.problem_for(state), plan.meetings)
    without = _without_good_meeting(mission, people, plan)
    by_slot: dict[int, list] = {}
    for meeting in plan.meetings if plan else []:
        by_slot.setdefault(meeting.slot, []).append(meeting)
    return render_template(
        "staff/missions/view.html",
        mission=mission,
        people=people,
        names={p.company_id: p.name for p in people},
        wishes=missions.wishes(mission_id),
        plan=plan,
        by_slot=by_slot,
        history=missions.plan_history(mission_id),
        log=missions.log(mission_id, limit=30),
        found=found,
        q=query,
        charts=charts,
        format_slots=format_slots,
        slot_label=lambda slot: agenda.slot_label(mission, slot, current_language()),
        error=error,
        broken=broken,
        kept=kept,
        without=without,
    ), status


def _without_good_meeting(mission, people, plan) -> dict[str, list]:
    """Participants with no meeting, and those whose meetings are none good for them.

    "Good for them" reads their own side's score (plans made before scores were
    kept per side have none; their companies are left out of the second list).
    """
    if plan is None:
        return {"none": [], "no_good": []}
    live = [p for p in people if not p.deleted]
    mine = {p.company_id: plan.of(p.company_id) for p in live}
    no_good = []
    for p in live:
        scores = [m.lv_score if m.lv == p.company_id else m.kr_score for m in mine[p.company_id]]
        if scores and None not in scores and not any(
            direction_worth(score) >= mission.good_fit for score in scores
        ):
            no_good.append(p)
    return {"none": [p for p in live if not mine[p.company_id]], "no_good": no_good}


@bp.post("/participants")
def add_participant():
    mission_id = _mission_id(request.form)
    if mission_id is None:
        return respond(400, gettext("Say which mission."))
    company_id = request.form.get("company", "")
    try:
        added = _missions().add_participant(mission_id, company_id, g.user)
    except (MissionError, NotFoundError, BusyError) as exc:
        return _page(mission_id, str(exc), 400)
    flash(gettext("Added %(name)s.", name=added.name), "success")
    return redirect(url_for("missions.view", id=mission_id), code=303)


@bp.post("/participant")
def update_participant():
    """Set a participant's cap and unavailable slots, or take it out (``remove=1``)."""
    mission_id = _mission_id(request.form)
    if mission_id is None:
        return respond(400, gettext("Say which mission."))
    missions = _missions()
    company_id = request.form.get("company", "")
    try:
        if request.form.get("remove") == "1":
            missions.remove_participant(mission_id, company_id, g.user)
            flash(gettext("Removed %(company)s and its wishes.", company=company_id), "success")
        else:
            mission = missions.get(mission_id)
            cap_text = request.form.get("cap", "").strip()
            cap = _number(cap_text, _l("Cap")) if cap_text else None
            slots = parse_slots(request.form.get("unavailable", ""), mission)
            updated = missions.update_participant(mission_id, company_id, g.user, cap, slots)
            flash(gettext("Updated %(name)s.", name=updated.name), "success")
    except (MissionError, NotFoundError, BusyError) as exc:
        return _page(mission_id, str(exc), 400)
    return redirect(url_for("missions.view", id=mission_id), code=303)


@bp.post("/wishes")
def wish():
    mission_id = _mission_id(request.form)
    if mission_id is None:
        return respond(400, gettext("Say which mission."))
    first, second = request.form.get("first", ""), request.form.get("second", "")
    kind = request.form.get("kind", "")
    try:
        if kind == "clear":
            _missions().remove_wish(mission_id, first, second, g.user)
        else:
            _missions().set_wish(mission_id, first, second, kind, g.user)
    except (MissionError, NotFoundError, BusyError) as exc:
        return _page(mission_id, str(exc), 400)
    saved = gettext("Wish saved; it counts from the next plan.")
    flash(saved if kind != "clear" else gettext("Wish removed."), "success")
    return redirect(url_for("missions.view", id=mission_id), code=303)


@bp.post("/plan")
def plan():
    mission_id = _mission_id(request.form)
    if mission_id is None:
        return respond(400, gettext("Say which mission."))
    keep = request.form.get("keep") == "1"
    try:
        made = planning.plan_mission(get_store(), get_ranker(), mission_id, g.user, keep=keep)
    except (MissionError, NotFoundError, BusyError, StalePlanError) as exc:
        return _page(mission_id, gettext("No plan was made: %(problem)s.", problem=exc), 409)
    s = made.stats
    flash(
        ngettext(
            "Plan version %(version)s: %(num)d meeting, total fit %(fit)s (greedy would give "
            "%(greedy)s), %(covered)s of %(companies)s companies with a good meeting.",
            "Plan version %(version)s: %(num)d meetings, total fit %(fit)s (greedy would give "
            "%(greedy)s), %(covered)s of %(companies)s companies with a good meeting.",
            len(made.meetings),
            version=made.version,
            fit=fit(s["total_fit"]),
            greedy=fit(s["greedy_total_fit"]),
            covered=s["covered"],
            companies=s["companies"],
        ),
        "success",
    )
    return redirect(url_for("missions.view", id=mission_id), code=303)


@bp.post("/change")
def change():
    """Move, add or remove one meeting; the form names the plan version it was made from."""
    mission_id = _mission_id(request.form)
    if mission_id is None:
        return respond(400, gettext("Say which mission."))
    form = request.form
    action = form.get("action", "")
    try:
        version = _number(form.get("version", ""), _l("plan version"))
        slot_text = form.get("slot", "").strip()
        slot = _number(slot_text, _l("Slot")) if slot_text else None
        pair = (form.get("lv", ""), form.get("kr", ""))
        ranker = get_ranker() if action == "add" else None
        made = planning.change_plan(
            get_store(), mission_id, g.user, action, pair, version, slot=slot, ranker=ranker
        )
    except StalePlanError as exc:
        return _page(mission_id, str(exc), 409, **form)
    except (MissionError, NotFoundError, BusyError) as exc:
        return _page(
            mission_id, gettext("Nothing was changed: %(problem)s.", problem=exc), 400, **form
        )
    flash(
        gettext("Plan version %(version)s: %(note)s.", version=made.version,
                note=plan_note(made.note)),
        "success",
    )
    return redirect(url_for("missions.view", id=mission_id), code=303)


@bp.post("/restore")
def restore():
    """Make an earlier plan version the latest again; the form names the latest it saw."""
    mission_id = _mission_id(request.form)
    if mission_id is None:
        return respond(400, gettext("Say which mission."))
    try:
        version = _number(request.form.get("version", ""), _l("plan version"))
        latest = _number(request.form.get("latest", ""), _l("plan version"))
        made = planning.restore_plan(get_store(), mission_id, g.user, version, latest)
    except StalePlanError as exc:
        return _page(mission_id, str(exc), 409)
    except (MissionError, NotFoundError, BusyError) as exc:
        return _page(
            mission_id, gettext("Nothing was changed: %(problem)s.", problem=exc), 400
        )
    flash(gettext("Plan version %(version)s: %(note)s.", version=made.version,
                  note=plan_note(made.note)), "success")
    return redirect(url_for("missions.view", id=mission_id), code=303)


# -- downloads ------------------------------------------------------------------------


@bp.get("/agenda")
def agenda_file():
    """One participant's agenda: ``format=html`` (printable page) or ``format=ics``."""
    mission, made, people = _planned()
    company_id = request.args.get("company", "")
    if company_id not in people:
        return respond(404, gettext("That company does not take part in this mission."))
    fmt = request.args.get("format", "html")
    stem = f"agenda-{mission.id}-{company_id}"
    if fmt == "ics":
        data = agenda.agenda_ics(mission, made, company_id, people, current_language())
        return _download(data, "text/calendar", f"{stem}.ics")
    if fmt == "html":
        html = agenda.agenda_html(mission, made, company_id, people, current_language())
        return _download(html.encode("utf-8"), "text/html", f"{stem}.html")
    return respond(400, gettext("An agenda is html or ics."))


@bp.get("/agendas")
def agendas():
    """Every participant's agenda (HTML and .ics) in one ZIP."""
    mission, made, people = _planned()
    data = agenda.agendas_zip(mission, made, people, current_language())
    return _download(data, "application/zip", f"mission-{mission.id}-agendas-v{made.version}.zip")


@bp.get("/grid")
def grid():
    mission, made, people = _planned()
    data = agenda.grid_xlsx(mission, made, people, current_language())
    return _download(data, XLSX, f"mission-{mission.id}-grid-v{made.version}.xlsx")


def _planned():
    """(mission, latest plan, participants by id); NotFoundError (a 404 page) otherwise."""
    mission_id = _mission_id(request.args)
    if mission_id is None:
        raise NotFoundError(gettext("No such mission."))
    missions = _missions()
    mission = missions.get(mission_id)
    made = missions.plan(mission_id)
    if made is None:
        raise NotFoundError(gettext("This mission has no plan yet; plan it first."))
    return mission, made, {p.company_id: p for p in missions.participants(mission_id)}


def _download(data: bytes, mimetype: str, name: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# -- reading the forms ------------------------------------------------------------------


def _mission_id(values) -> int | None:
    text = values.get("id") or values.get("mission") or ""
    return int(text) if text.isdigit() and len(text) < 10 else None


def _number(text: str, what: str) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        raise MissionError(
            gettext("%(field)s must be a whole number, not “%(value)s”.", field=what, value=text)
        ) from None


def _decimal(text: str, what: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise MissionError(
            gettext("%(field)s must be a number, not “%(value)s”.", field=what, value=text)
        ) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise MissionError(gettext("%(field)s must be a finite number.", field=what))
    return value
