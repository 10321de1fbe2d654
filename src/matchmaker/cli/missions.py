"""``matchmaker mission ...``: trade-mission meeting planning from the command line.

Mirrors the staff pages (``/staff/missions/``): create a mission, add
participants (by id or name), set availability, caps and wishes, plan it, adjust
the plan by hand, and write agendas (HTML or .ics) and the organisers' grid (XLSX).
Options are parsed here; the work is done by :mod:`missions.planning`,
:mod:`missions.agenda` and :mod:`mission_store`.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..directory import Directory
from ..files import replaced_atomically
from ..mission_store import MissionStore
from ..missions import agenda, planning
from ..missions.model import Mission, MissionError, format_slots, parse_days, parse_slots
from ..profiles import Profile
from ..ranking.fit import fit_label
from ..service import Matchmaker
from ..store import Store
from .options import db_option, open_store, progress_printer, user_errors

ACTOR = "cli"
#: a mission id as SQLite can hold it: a larger number is refused as a usage error
#: instead of ending in an OverflowError traceback
MISSION_ID = click.IntRange(1, 2**63 - 1)


@click.group()
def mission() -> None:
    """Plan one-to-one meetings of a trade mission (LV x KR)."""


@mission.command("create")
@click.argument("name")
@click.option("--days", required=True, help="2026-05-12,2026-05-13 or 2026-05-12..2026-05-13.")
@click.option("--start", "day_start", default="09:00", show_default=True, help="First slot.")
@click.option("--slot-minutes", default=20, show_default=True, type=int)
@click.option("--slots-per-day", default=24, show_default=True, type=int)
@click.option("--tables", default=20, show_default=True, type=int)
@click.option("--cap", default=8, show_default=True, type=int, help="Meetings per company.")
@click.option("--good-fit", default=0.5, show_default=True, type=float,
              help="Fit of a 'good' meeting; every company should get one.")
@click.option("--timezone", default="Europe/Riga", show_default=True)
@db_option
@user_errors
def create(db_path: str, name: str, days: str, **settings) -> None:
    """Create a mission and print its id."""
    with open_store(db_path) as store:
        created = MissionStore(store).create(
            Mission(name=name, days=parse_days(days), **settings), ACTOR
        )
    click.echo(f"Created mission {created.id}: {created.name}, {created.slot_count} slots.")


@mission.command("list")
@db_option
@user_errors
def list_missions(db_path: str) -> None:
    """Every mission, newest first."""
    with open_store(db_path, readonly=True) as store:
        for m in MissionStore(store).all():
            click.echo(f"{m.id}\t{m.name}\t{', '.join(m.days)}\t{m.slot_count} slots")


@mission.command("show")
@click.argument("mission_id", type=MISSION_ID)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@db_option
@user_errors
def show(db_path: str, mission_id: int, as_json: bool) -> None:
    """Settings, participants, wishes and the latest plan of a mission."""
    with open_store(db_path, readonly=True) as store:
        missions = MissionStore(store)
        m = missions.get(mission_id)
        people = missions.participants(mission_id)
        wishes = missions.wishes(mission_id)
        plan = missions.plan(mission_id)
    if as_json:
        data = {
            "mission": m.to_dict(),
            "participants": [
                {"id": p.company_id, "name": p.name, "country": p.country, "cap": p.cap,
                 "unavailable": sorted(p.unavailable)}
                for p in people
            ],
            "wishes": [{"lv": w.lv, "kr": w.kr, "kind": w.kind} for w in wishes],
            "plan": None if plan is None else {
                "version": plan.version, "action": plan.action, "actor": plan.actor,
                "at": plan.at, "note": plan.note, "stats": plan.stats,
                "meetings": [x.to_dict() for x in plan.meetings],
            },
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"{m.name} (mission {m.id}): {', '.join(m.days)}, {m.slots_per_day} slots a day "
               f"from {m.day_start}, {m.slot_minutes} min, {m.tables} tables, cap {m.cap}")
    for p in people:
        extra = f", unavailable {format_slots(p.unavailable)}" if p.unavailable else ""
        click.echo(f"  {p.country} {p.name} ({p.company_id}), cap {p.cap_in(m)}{extra}")
    for w in wishes:
        click.echo(f"  {w.kind}: {w.lv} – {w.kr}")
    if plan is None:
        click.echo("No plan yet: run 'matchmaker mission plan'.")
        return
    names = {p.company_id: p.name for p in people}
    click.echo(f"Plan version {plan.version} ({plan.action} by {plan.actor}, {plan.at}): "
               f"{len(plan.meetings)} meetings, total fit {plan.total_fit}")
    for x in plan.meetings:
        sides = "" if x.lv_score is None or x.kr_score is None else (
            f": {fit_label(x.lv_score)} for LV, {fit_label(x.kr_score)} for KR"
        )
        click.echo(f"  {m.slot_label(x.slot)} table {x.table}: "
                   f"{names.get(x.lv, x.lv)} × {names.get(x.kr, x.kr)} (fit {x.fit:.2f}{sides})")


@mission.command("add")
@click.argument("mission_id", type=MISSION_ID)
@click.argument("companies", nargs=-1, required=True)
@click.option("--cap", type=int, help="Meetings for these companies (default: the mission's).")
@click.option("--unavailable", default="", help="Slots they cannot meet in: 0-5,30, a day "
              "(2026-05-13) or times (13:00-15:00, 2026-05-13 13:00-15:00).")
@db_option
@user_errors
def add(db_path: str, mission_id: int, companies: tuple[str, ...], cap, unavailable) -> None:
    """Add companies (ids or names) as participants."""
    with open_store(db_path) as store:
        missions = MissionStore(store)
        slots = parse_slots(unavailable, missions.get(mission_id))
        for text in companies:
            company = _company(store, text)
            missions.add_participant(mission_id, company.id, ACTOR, cap, slots)
            click.echo(f"Added {company.name} ({company.id}, {company.country}).")


@mission.command("set")
@click.argument("mission_id", type=MISSION_ID)
@click.argument("company")
@click.option("--cap", type=int, help="Meetings for this company (omit: the mission's).")
@click.option("--unavailable", default="", help="Slots it cannot meet in: 0-5,30, a day "
              "(2026-05-13) or times (13:00-15:00, 2026-05-13 13:00-15:00).")
@db_option
@user_errors
def set_participant(db_path: str, mission_id: int, company: str, cap, unavailable) -> None:
    """Set a participant's cap and availability."""
    with open_store(db_path) as store:
        missions = MissionStore(store)
        found = _company(store, company)
        slots = parse_slots(unavailable, missions.get(mission_id))
        missions.update_participant(mission_id, found.id, ACTOR, cap, slots)
    click.echo(f"Updated {found.name}.")


@mission.command("remove")
@click.argument("mission_id", type=MISSION_ID)
@click.argument("company")
@db_option
@user_errors
def remove(db_path: str, mission_id: int, company: str) -> None:
    """Take a participant out (with its wishes)."""
    with open_store(db_path) as store:
        found = _company(store, company)
        MissionStore(store).remove_participant(mission_id, found.id, ACTOR)
    click.echo(f"Removed {found.name}.")


@mission.command("wish")
@click.argument("mission_id", type=MISSION_ID)
@click.argument("first")
@click.argument("second")
@click.option("--must", "kind", flag_value="must", help="They must meet.")
@click.option("--never", "kind", flag_value="never", help="They must never meet.")
@click.option("--clear", "kind", flag_value="clear", help="Drop the wish.")
@db_option
@user_errors
def wish(db_path: str, mission_id: int, first: str, second: str, kind: str | None) -> None:
    """Two participants must meet (--must), never meet (--never), or neither (--clear)."""
    if kind is None:
        raise click.UsageError("say --must, --never or --clear")
    with open_store(db_path) as store:
        a = _company(store, first).id
        b = _company(store, second).id
        missions = MissionStore(store)
        if kind == "clear":
            missions.remove_wish(mission_id, a, b, ACTOR)
        else:
            missions.set_wish(mission_id, a, b, kind, ACTOR)
    click.echo(f"{kind}: {a} – {b}")


@mission.command("plan")
@click.argument("mission_id", type=MISSION_ID)
@click.option("--time-limit", default=planning.TIME_LIMIT, show_default=True, type=float,
              help="Seconds the solver may take.")
@click.option("--keep", is_flag=True,
              help="Keep the latest plan's meetings where they are; fill only free places.")
@db_option
@user_errors
def plan(db_path: str, mission_id: int, time_limit: float, keep: bool) -> None:
    """Propose a meeting schedule (CP-SAT) and save it as the next plan version."""
    with open_store(db_path) as store:
        ranker = Matchmaker(store, progress=progress_printer("Embedding")).ranker()
        made = planning.plan_mission(
            store, ranker, mission_id, ACTOR, time_limit=time_limit, keep=keep
        )
    s = made.stats
    gap = "n/a" if s.get("gap") is None else f"{s['gap']:.2%}"
    click.echo(
        f"Plan version {made.version}: {len(made.meetings)} meetings, total fit "
        f"{s['total_fit']} (greedy: {s['greedy_total_fit']}), {s['covered']}/{s['companies']} "
        f"companies with a good meeting, {s['status'].lower()}, gap {gap}, {s['seconds']} s."
    )
    for note in s.get("notes", []):
        click.echo(f"Note: {note}")


def _change(db_path: str, mission_id: int, action: str, pair, slot, version) -> None:
    with open_store(db_path) as store:
        ids = tuple(_company(store, text).id for text in pair)
        missions = MissionStore(store)
        latest = missions.plan(mission_id)
        expected = version if version is not None else (latest.version if latest else 0)
        ranker = Matchmaker(store).ranker() if action == "add" else None
        made = planning.change_plan(
            store, mission_id, ACTOR, action, ids, expected, slot=slot, ranker=ranker
        )
    click.echo(f"Plan version {made.version}: {made.note}.")


_version_option = click.option(
    "--version", type=int, help="The plan version you looked at (refused if it changed)."
)


@mission.command("move")
@click.argument("mission_id", type=MISSION_ID)
@click.argument("first")
@click.argument("second")
@click.argument("slot", type=int)
@_version_option
@db_option
@user_errors
def move(db_path, mission_id, first, second, slot, version) -> None:
    """Move the meeting of two participants to another slot."""
    _change(db_path, mission_id, "move", (first, second), slot, version)


@mission.command("meet")
@click.argument("mission_id", type=MISSION_ID)
@click.argument("first")
@click.argument("second")
@click.argument("slot", type=int)
@_version_option
@db_option
@user_errors
def meet(db_path, mission_id, first, second, slot, version) -> None:
    """Add a meeting of two participants in a slot."""
    _change(db_path, mission_id, "add", (first, second), slot, version)


@mission.command("cancel")
@click.argument("mission_id", type=MISSION_ID)
@click.argument("first")
@click.argument("second")
@_version_option
@db_option
@user_errors
def cancel(db_path, mission_id, first, second, version) -> None:
    """Remove the meeting of two participants."""
    _change(db_path, mission_id, "remove", (first, second), None, version)


@mission.command("restore")
@click.argument("mission_id", type=MISSION_ID)
@click.argument("version", type=int)
@click.option("--latest", type=int,
              help="The latest version you looked at (refused if it changed).")
@db_option
@user_errors
def restore(db_path: str, mission_id: int, version: int, latest: int | None) -> None:
    """Make an earlier plan version the latest again (checked against today's rules)."""
    with open_store(db_path) as store:
        current = MissionStore(store).plan(mission_id)
        expected = latest if latest is not None else (current.version if current else 0)
        made = planning.restore_plan(store, mission_id, ACTOR, version, expected)
    click.echo(f"Plan version {made.version}: {made.note} ({len(made.meetings)} meetings).")


@mission.command("history")
@click.argument("mission_id", type=MISSION_ID)
@db_option
@user_errors
def history(db_path: str, mission_id: int) -> None:
    """Every plan version, newest first, and the mission's change log."""
    with open_store(db_path, readonly=True) as store:
        missions = MissionStore(store)
        missions.get(mission_id)
        for h in missions.plan_history(mission_id):
            click.echo(f"v{h['version']}\t{h['at']}\t{h['actor']}\t{h['action']}\t"
                       f"{h['meetings']} meetings, fit {h['total_fit']}\t{h['note']}")
        for entry in missions.log(mission_id):
            click.echo(f"log\t{entry['at']}\t{entry['actor']}\t{entry['action']}\t"
                       f"{json.dumps(entry['detail'], ensure_ascii=False)}")


@mission.command("agenda")
@click.argument("mission_id", type=MISSION_ID)
@click.argument("company")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="File to write: .html (printable) or .ics (calendar).")
@db_option
@user_errors
def agenda_command(db_path: str, mission_id: int, company: str, out: str) -> None:
    """Write one participant's agenda."""
    suffix = Path(out).suffix.lower()
    if suffix not in (".html", ".ics"):
        raise MissionError("the agenda is written as .html or .ics; name the file so")
    with open_store(db_path, readonly=True) as store:
        m, made, people = _planned(store, mission_id)
        found = _company(store, company)
    if found.id not in people:
        raise MissionError(f"{found.name} does not take part in mission {mission_id}")
    if suffix == ".ics":
        data = agenda.agenda_ics(m, made, found.id, people)
    else:
        data = agenda.agenda_html(m, made, found.id, people).encode("utf-8")
    _write(out, data)
    click.echo(f"Wrote {out}: {len(made.of(found.id))} meetings of {found.name}.")


@mission.command("agendas")
@click.argument("mission_id", type=MISSION_ID)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The .zip file.")
@db_option
@user_errors
def agendas_command(db_path: str, mission_id: int, out: str) -> None:
    """Write every participant's agenda (HTML and .ics) into one ZIP."""
    if Path(out).suffix.lower() != ".zip":
        raise MissionError("all agendas are written as one .zip; name the file so")
    with open_store(db_path, readonly=True) as store:
        m, made, people = _planned(store, mission_id)
    _write(out, agenda.agendas_zip(m, made, people))
    live = sum(not p.deleted for p in people.values())
    click.echo(f"Wrote {out}: the agendas of {live} companies (HTML and .ics).")


@mission.command("grid")
@click.argument("mission_id", type=MISSION_ID)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The .xlsx file.")
@db_option
@user_errors
def grid(db_path: str, mission_id: int, out: str) -> None:
    """Write the organisers' master grid (slots x tables) as XLSX."""
    with open_store(db_path, readonly=True) as store:
        m, made, people = _planned(store, mission_id)
    _write(out, agenda.grid_xlsx(m, made, people))
    click.echo(f"Wrote {out}: {len(made.meetings)} meetings.")


def _planned(store: Store, mission_id: int):
    missions = MissionStore(store)
    m = missions.get(mission_id)
    made = missions.plan(mission_id)
    if made is None:
        raise MissionError("this mission has no plan yet; run 'matchmaker mission plan' first")
    return m, made, {p.company_id: p for p in missions.participants(mission_id)}


def _write(out: str, data: bytes) -> None:
    with replaced_atomically(Path(out)) as tmp:
        Path(tmp).write_bytes(data)


def _company(store: Store, text: str) -> Profile:
    """The one live company an id or a name means; refuses none or several, naming them.

    Names are looked up like the web's company search (``directory.py``): reading every
    profile to search them took tens of seconds per command at a million companies.
    """
    entry, candidates = Directory(store).resolve(text)
    if entry is not None:
        return store.get(entry.id)
    if not candidates:
        raise MissionError(f"no company with id or name '{text}'")
    names = ", ".join(f"{c.name} ({c.id})" for c in candidates[:5])
    raise MissionError(f"'{text}' matches several companies: {names}; give the id")
