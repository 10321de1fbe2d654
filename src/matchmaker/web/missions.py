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

from ..mission_store import MissionStore, StalePlanError
from ..missions import adjust, agenda, planning
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
from .resources import get_ranker, get_store

bp = Blueprint("missions", __name__, url_prefix="/staff/missions")

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
            slot_minutes=_number(values["slot_minutes"], "slot length"),
            slots_per_day=_number(values["slots_per_day"], "slots a day"),
            tables=_number(values["tables"], "tables"),
            cap=_number(values["cap"], "meetings per company"),
            good_fit=_decimal(values["good_fit"], "good fit"),
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
    flash(f"Created mission {created.name}. Add its participants next.", "success")
    return redirect(url_for("missions.view", id=created.id), code=303)


# -- one mission ----------------------------------------------------------------------


@bp.get("/view")
def view():
    mission_id = _mission_id(request.args)
    if mission_id is None:
        return respond(404, "No such mission.")
    return _page(mission_id)


def _page(mission_id: int, error: str | None = None, status: int = 200, **kept):
    """The mission page; ``error`` (a refusal) is shown on top with the typed values kept."""
    store = get_store()
    missions = MissionStore(store)
    mission = missions.get(mission_id)
    people = missions.participants(mission_id)
    plan = missions.plan(mission_id)
    query = request.args.get("q", "")
    taking_part = {p.company_id for p in people}
    found = [
        p for p in planning.search_companies(store.list(), query) if p.id not in taking_part
    ] if query.strip() else []
    charts = None
    if plan is not None and plan.meetings:
        profiles = {p.id: p for p in store.list() if p.id in taking_part}
        charts = agenda.plan_charts(plan, profiles)
    broken = []
    if plan is not None:  # participants or wishes may have changed since this version
        state = planning.load(store, mission_id)
        broken = adjust.violations(planning.problem_for(state), plan.meetings)
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
        error=error,
        broken=broken,
        kept=kept,
    ), status


@bp.post("/participants")
def add_participant():
    mission_id = _mission_id(request.form)
    if mission_id is None:
        return respond(400, "Say which mission.")
    company_id = request.form.get("company", "")
    try:
        added = _missions().add_participant(mission_id, company_id, g.user)
    except (MissionError, NotFoundError, BusyError) as exc:
        return _page(mission_id, str(exc), 400)
    flash(f"Added {added.name}.", "success")
    return redirect(url_for("missions.view", id=mission_id), code=303)


@bp.post("/participant")
def update_participant():
    """Set a participant's cap and unavailable slots, or take it out (``remove=1``)."""
    mission_id = _mission_id(request.form)
    if mission_id is None:
        return respond(400, "Say which mission.")
    missions = _missions()
    company_id = request.form.get("company", "")
    try:
        if request.form.get("remove") == "1":
            missions.remove_participant(mission_id, company_id, g.user)
            flash(f"Removed {company_id} and its wishes.", "success")
        else:
            mission = missions.get(mission_id)
            cap_text = request.form.get("cap", "").strip()
            cap = _number(cap_text, "cap") if cap_text else None
            slots = parse_slots(request.form.get("unavailable", ""), mission)
            updated = missions.update_participant(mission_id, company_id, g.user, cap, slots)
            flash(f"Updated {updated.name}.", "success")
    except (MissionError, NotFoundError, BusyError) as exc:
        return _page(mission_id, str(exc), 400)
    return redirect(url_for("missions.view", id=mission_id), code=303)


@bp.post("/wishes")
def wish():
    mission_id = _mission_id(request.form)
    if mission_id is None:
        return respond(400, "Say which mission.")
    first, second = request.form.get("first", ""), request.form.get("second", "")
    kind = request.form.get("kind", "")
    try:
        if kind == "clear":
            _missions().remove_wish(mission_id, first, second, g.user)
        else:
            _missions().set_wish(mission_id, first, second, kind, g.user)
    except (MissionError, NotFoundError, BusyError) as exc:
        return _page(mission_id, str(exc), 400)
    flash("Wish saved; it counts from the next plan." if kind != "clear" else "Wish removed.",
          "success")
    return redirect(url_for("missions.view", id=mission_id), code=303)


@bp.post("/plan")
def plan():
    mission_id = _mission_id(request.form)
    if mission_id is None:
        return respond(400, "Say which mission.")
    try:
        made = planning.plan_mission(get_store(), get_ranker(), mission_id, g.user)
    except (MissionError, NotFoundError, BusyError, StalePlanError) as exc:
        return _page(mission_id, f"No plan was made: {exc}.", 409)
    s = made.stats
    flash(
        f"Plan version {made.version}: {len(made.meetings)} meetings, total fit "
        f"{s['total_fit']} (greedy would give {s['greedy_total_fit']}), "
        f"{s['covered']} of {s['companies']} companies with a good meeting.",
        "success",
    )
    return redirect(url_for("missions.view", id=mission_id), code=303)


@bp.post("/change")
def change():
    """Move, add or remove one meeting; the form names the plan version it was made from."""
    mission_id = _mission_id(request.form)
    if mission_id is None:
        return respond(400, "Say which mission.")
    form = request.form
    action = form.get("action", "")
    try:
        version = _number(form.get("version", ""), "plan version")
        slot_text = form.get("slot", "").strip()
        slot = _number(slot_text, "slot") if slot_text else None
        pair = (form.get("lv", ""), form.get("kr", ""))
        ranker = get_ranker() if action == "add" else None
        made = planning.change_plan(
            get_store(), mission_id, g.user, action, pair, version, slot=slot, ranker=ranker
        )
    except StalePlanError as exc:
        return _page(mission_id, str(exc), 409, **form)
    except (MissionError, NotFoundError, BusyError) as exc:
        return _page(mission_id, f"Nothing was changed: {exc}.", 400, **form)
    flash(f"Plan version {made.version}: {made.note}.", "success")
    return redirect(url_for("missions.view", id=mission_id), code=303)


# -- downloads ------------------------------------------------------------------------


@bp.get("/agenda")
def agenda_file():
    """One participant's agenda: ``format=html`` (printable page) or ``format=ics``."""
    mission, made, people = _planned()
    company_id = request.args.get("company", "")
    if company_id not in people:
        return respond(404, "That company does not take part in this mission.")
    fmt = request.args.get("format", "html")
    stem = f"agenda-{mission.id}-{company_id}"
    if fmt == "ics":
        data = agenda.agenda_ics(mission, made, company_id, people)
        return _download(data, "text/calendar", f"{stem}.ics")
    if fmt == "html":
        html = agenda.agenda_html(mission, made, company_id, people)
        return _download(html.encode("utf-8"), "text/html", f"{stem}.html")
    return respond(400, "An agenda is html or ics.")


@bp.get("/grid")
def grid():
    mission, made, people = _planned()
    data = agenda.grid_xlsx(mission, made, people)
    return _download(data, XLSX, f"mission-{mission.id}-grid-v{made.version}.xlsx")


def _planned():
    """(mission, latest plan, participants by id); NotFoundError (a 404 page) otherwise."""
    mission_id = _mission_id(request.args)
    if mission_id is None:
        raise NotFoundError("No such mission.")
    missions = _missions()
    mission = missions.get(mission_id)
    made = missions.plan(mission_id)
    if made is None:
        raise NotFoundError("This mission has no plan yet; plan it first.")
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
        raise MissionError(f"{what} must be a whole number, not '{text}'") from None


def _decimal(text: str, what: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise MissionError(f"{what} must be a number, not '{text}'") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise MissionError(f"{what} must be a finite number")
    return value
