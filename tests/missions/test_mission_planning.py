"""Planning a mission from the database: the ranker's fits and reasons go into the plan,
hand changes are checked (a refused one changes nothing), every change is a new version,
and the outputs (agenda HTML, .ics, XLSX grid, charts) say the same thing as the plan."""

from __future__ import annotations

import io

import pytest
from icalendar import Calendar
from openpyxl import load_workbook

from matchmaker import engine
from matchmaker.mission_store import MissionStore
from matchmaker.missions import agenda, planning
from matchmaker.missions.adjust import PlanError, violations
from matchmaker.missions.model import Mission, MissionError
from matchmaker.store import Store

MUST = ("baltic-generics", "busan-biologics")
NEVER = ("daugava-lab-supply", "incheon-diagnostics")  # the mini set's best pair


@pytest.fixture
def planned(store: Store, hashing_embedder):
    """A one-day mission of all ten mini companies, planned once."""
    missions = MissionStore(store)
    mission = missions.create(
        Mission(name="Riga 2026", days=("2026-05-12",), slots_per_day=6, tables=3, cap=3), "ann"
    )
    for profile in store.list():
        missions.add_participant(mission.id, profile.id, "ann")
    missions.set_wish(mission.id, *MUST, "must", "ann")
    missions.set_wish(mission.id, *NEVER, "never", "ann")
    ranker = engine.build_ranker(store, hashing_embedder)
    plan = planning.plan_mission(store, ranker, mission.id, "ann", time_limit=5, workers=2)
    return missions, mission, plan, ranker


def test_the_plan_keeps_the_rules_and_carries_fits_and_reasons(planned, store):
    missions, mission, plan, _ = planned
    state = planning.load(store, mission.id)
    assert violations(planning.problem_for(state), plan.meetings) == []
    pairs = {m.pair for m in plan.meetings}
    assert MUST in pairs and NEVER not in pairs
    assert all(m.reasons_lv and m.reasons_kr for m in plan.meetings)
    stats = plan.stats
    assert stats["method"] == "cp-sat" and stats["gap"] is not None
    assert stats["total_fit"] == pytest.approx(plan.total_fit, abs=1e-3)
    assert stats["greedy_total_fit"] <= stats["total_fit"] + 1e-9 or (
        stats["covered"] > stats["greedy_covered"]
    )
    assert (plan.version, plan.actor, plan.action) == (1, "ann", "plan")


def test_hand_changes_are_checked_and_each_is_a_new_version(planned, store):
    missions, mission, plan, ranker = planned
    meeting = next(m for m in plan.meetings if m.pair != MUST)
    others = [m.slot for m in plan.meetings if meeting.lv in m.pair and m != meeting]
    busy = others[0] if others else None
    free = next(
        s
        for s in range(mission.slot_count)
        if not any(m.slot == s and set(m.pair) & set(meeting.pair) for m in plan.meetings)
        and sum(m.slot == s for m in plan.meetings) < mission.tables
    )
    moved = planning.change_plan(store, mission.id, "bob", "move", meeting.pair, 1, slot=free)
    assert moved.version == 2 and {m.pair: m.slot for m in moved.meetings}[meeting.pair] == free
    assert next(m for m in moved.meetings if m.pair == meeting.pair).by_hand
    if busy is not None:
        with pytest.raises(PlanError, match="already has a meeting in slot"):
            planning.change_plan(store, mission.id, "bob", "move", meeting.pair, 2, slot=busy)
    with pytest.raises(PlanError, match="asked never to meet"):
        planning.change_plan(
            store, mission.id, "bob", "add", NEVER, 2, slot=free, ranker=ranker
        )
    with pytest.raises(PlanError, match="must meet; drop the must-meet wish first"):
        planning.change_plan(store, mission.id, "bob", "remove", MUST, 2)
    with pytest.raises(PlanError, match="does not exist"):
        planning.change_plan(store, mission.id, "bob", "move", meeting.pair, 2, slot=99)
    assert missions.plan(mission.id).version == 2  # refused changes wrote nothing
    removed = planning.change_plan(store, mission.id, "bob", "remove", meeting.pair[::-1], 2)
    assert meeting.pair not in {m.pair for m in removed.meetings}
    added = planning.change_plan(
        store, mission.id, "bob", "add", meeting.pair, 3, slot=free, ranker=ranker
    )
    again = next(m for m in added.meetings if m.pair == meeting.pair)
    assert again.fit == pytest.approx(meeting.fit, abs=1e-3) and again.reasons_lv
    history = missions.plan_history(mission.id)
    assert [h["action"] for h in history] == ["add", "remove", "move", "plan"]


def test_planning_needs_both_countries(store, hashing_embedder):
    missions = MissionStore(store)
    half = Mission(name="Half", days=("2026-05-12",), slots_per_day=4, cap=2)
    mission = missions.create(half, "a")
    missions.add_participant(mission.id, "baltic-generics", "a")
    ranker = engine.build_ranker(store, hashing_embedder)
    with pytest.raises(MissionError, match="at least one LV and one KR"):
        planning.plan_mission(store, ranker, mission.id, "a", time_limit=2)
    assert missions.plan(mission.id) is None


def test_agenda_ics_and_grid_tell_the_same_story(planned, store):
    missions, mission, plan, _ = planned
    people = {p.company_id: p for p in missions.participants(mission.id)}
    lv = MUST[0]
    rows = agenda.agenda_rows(mission, plan, lv, people)
    assert rows and rows == sorted(rows, key=lambda r: r.slot)

    html = agenda.agenda_html(mission, plan, lv, people)
    for row in rows:
        assert row.partner.name in html and row.when in html

    calendar = Calendar.from_ical(agenda.agenda_ics(mission, plan, lv, people))
    events = list(calendar.walk("VEVENT"))
    assert len(events) == len(rows)
    first = min(events, key=lambda e: e.decoded("dtstart"))
    assert first.decoded("dtstart") == mission.slot_start(rows[0].slot)
    assert str(first.get("summary")) == f"Meeting: {rows[0].partner.name}"
    assert calendar.walk("VTIMEZONE"), "the calendar names its time zone"

    book = load_workbook(io.BytesIO(agenda.grid_xlsx(mission, plan, people)))
    grid = book["Grid"]
    for m in plan.meetings:
        cell = grid.cell(row=m.slot + 2, column=m.table + 2).value
        assert cell == f"{people[m.lv].name} × {people[m.kr].name}"
    assert book["Meetings"].max_row == len(plan.meetings) + 1

    charts = agenda.plan_charts(plan, {p.id: p for p in store.list()})
    assert set(charts) == {"histogram", "heatmap", "partners"}
    assert all(str(svg).startswith("<svg") for svg in charts.values())


def test_planning_again_keeps_the_sent_meetings_and_fits_in_a_late_participant(
    store, hashing_embedder
):
    missions = MissionStore(store)
    mission = missions.create(
        Mission(name="Late", days=("2026-05-12",), slots_per_day=6, tables=3, cap=3), "ann"
    )
    first = ["baltic-generics", "riga-clinical-research", "han-generics", "busan-biologics"]
    for company in first:
        missions.add_participant(mission.id, company, "ann")
    ranker = engine.build_ranker(store, hashing_embedder)
    planning.plan_mission(store, ranker, mission.id, "ann", time_limit=5, workers=2)
    sent = missions.plan(mission.id)
    moved = sent.meetings[0]
    free = next(
        s for s in range(mission.slot_count)
        if not any(m.slot == s and set(m.pair) & set(moved.pair) for m in sent.meetings)
    )
    sent = planning.change_plan(store, mission.id, "ann", "move", moved.pair, 1, slot=free)
    missions.add_participant(mission.id, "incheon-diagnostics", "ann")  # joins late

    again = planning.plan_mission(store, ranker, mission.id, "bob", time_limit=5, workers=2,
                                  keep=True)
    where = {m.pair: (m.slot, m.table, m.by_hand) for m in again.meetings}
    for m in sent.meetings:
        assert where[m.pair] == (m.slot, m.table, m.by_hand)
    assert any("incheon-diagnostics" in m.pair for m in again.meetings)
    assert again.note == "solved by CP-SAT (optimal), keeping version 2"
    assert (again.stats["kept"], again.stats["dropped"]) == (len(sent.meetings), 0)

    # a kept meeting that breaks a rule now is planned again, and the plan says so
    gone = again.meetings[0]
    missions.update_participant(mission.id, gone.lv, "ann", None, frozenset({gone.slot}))
    third = planning.plan_mission(store, ranker, mission.id, "bob", time_limit=5, workers=2,
                                  keep=True)
    assert third.stats["dropped"] == 1
    assert "1 meetings of version 3 broke a rule and were planned again" in third.stats["notes"]
    assert violations(planning.problem_for(planning.load(store, mission.id)),
                      third.meetings) == []


def test_an_earlier_version_is_restored_as_a_new_one_if_it_keeps_todays_rules(planned, store):
    missions, mission, plan, _ = planned
    dropped = next(m for m in plan.meetings if m.pair != MUST)
    planning.change_plan(store, mission.id, "bob", "remove", dropped.pair, 1)
    with pytest.raises(planning.StalePlanError, match="changed meanwhile"):
        planning.restore_plan(store, mission.id, "bob", 1, expected_version=1)
    restored = planning.restore_plan(store, mission.id, "bob", 1, expected_version=2)
    assert (restored.version, restored.action, restored.note) == (3, "restore",
                                                                  "restore version 1")
    assert [m.to_dict() for m in restored.meetings] == [m.to_dict() for m in plan.meetings]

    missions.set_wish(mission.id, *dropped.pair, "never", "ann")
    with pytest.raises(PlanError, match="version 1 breaks today's rules: .* asked never to meet"):
        planning.restore_plan(store, mission.id, "bob", 1, expected_version=3)
    with pytest.raises(MissionError, match="no earlier plan version 9"):
        planning.restore_plan(store, mission.id, "bob", 9, expected_version=3)
    assert missions.plan(mission.id).version == 3
