"""Missions in the real SQLite database: settings, participants, wishes and plan versions
come back as they were saved (also from a fresh connection), bad input is refused with
a clear error and writes nothing, and a stale plan edit is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from matchmaker.mission_store import MissionStore, StalePlanError
from matchmaker.missions.model import Meeting, Mission, MissionError, parse_days, parse_slots
from matchmaker.store import NotFoundError, Store

LV, LV2, KR, KR2 = "baltic-generics", "riga-clinical-research", "han-generics", "busan-biologics"


def new_mission(**changes) -> Mission:
    settings = dict(name="Seoul 2026", days=("2026-05-12", "2026-05-13"), slots_per_day=6)
    return Mission(**{**settings, **changes})


@pytest.fixture
def missions(store: Store) -> MissionStore:
    return MissionStore(store)


def test_a_mission_round_trips_through_a_fresh_connection(missions, store, tmp_db_path: Path):
    mission = missions.create(new_mission(tables=7, cap=5, good_fit=0.75), "staff")
    missions.add_participant(mission.id, LV, "staff", cap=2, unavailable=frozenset({0, 5}))
    missions.add_participant(mission.id, KR, "staff")
    missions.set_wish(mission.id, KR, LV, "must", "staff")  # given KR first: stored (LV, KR)
    meeting = Meeting(3, 1, LV, KR, 1.5, ["Offers what you seek"], ["Seeks what you offer"])
    missions.save_plan(mission.id, [meeting], "staff", "plan", expected_version=0, stats={"x": 1})
    store.close()

    with Store.open(tmp_db_path) as again:
        reread = MissionStore(again)
        assert reread.get(mission.id) == mission
        assert reread.get(mission.id).slot_count == 12
        (lv, kr) = reread.participants(mission.id)
        assert (lv.company_id, lv.cap, lv.unavailable) == (LV, 2, frozenset({0, 5}))
        assert (kr.company_id, kr.cap, kr.country) == (KR, None, "KR")
        assert [(w.lv, w.kr, w.kind) for w in reread.wishes(mission.id)] == [(LV, KR, "must")]
        plan = reread.plan(mission.id)
        assert plan.version == 1 and plan.meetings == [meeting] and plan.stats == {"x": 1}
        actions = [e["action"] for e in reread.log(mission.id)]
        assert actions == ["set wish", "add participant", "add participant", "create"]


def test_plan_versions_are_kept_and_a_stale_edit_is_refused(missions):
    mission = missions.create(new_mission(), "staff")
    for cid in (LV, KR, KR2):
        missions.add_participant(mission.id, cid, "staff")
    first = missions.save_plan(mission.id, [Meeting(0, 1, LV, KR)], "ann", "plan", 0)
    second = missions.save_plan(mission.id, [Meeting(2, 1, LV, KR)], "bob", "move", 1)
    with pytest.raises(StalePlanError, match="now version 2, you had version 1"):
        missions.save_plan(mission.id, [], "ann", "remove", 1)
    assert missions.plan(mission.id).version == 2
    assert missions.plan(mission.id, 1).meetings == first.meetings
    history = missions.plan_history(mission.id)
    assert [(h["version"], h["actor"], h["action"]) for h in history] == [
        (2, "bob", "move"),
        (1, "ann", "plan"),
    ]
    assert second.meetings[0].slot == 2


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda m, mid: m.add_participant(mid, "no-such-company", "s"), "no company with id"),
        (lambda m, mid: m.add_participant(mid, LV, "s"), "already takes part"),
        (lambda m, mid: m.add_participant(mid, KR, "s", cap=99), "a cap is between 0 and"),
        (lambda m, mid: m.set_wish(mid, LV, LV2, "must", "s"), "both LV"),
        (lambda m, mid: m.set_wish(mid, LV, KR2, "must", "s"), "does not take part"),
        (lambda m, mid: m.set_wish(mid, LV, KR, "maybe", "s"), "'must' or 'never'"),
        (lambda m, mid: m.remove_wish(mid, LV, KR, "s"), "no wish"),
        (lambda m, mid: m.remove_participant(mid, KR2, "s"), "does not take part"),
    ],
)
def test_bad_requests_are_refused_and_write_nothing(missions, action, message):
    mission = missions.create(new_mission(), "staff")
    for cid in (LV, LV2, KR):
        missions.add_participant(mission.id, cid, "staff")
    state = lambda: (  # noqa: E731
        missions.participants(mission.id),
        missions.wishes(mission.id),
        missions.log(mission.id),
    )
    before = state()
    with pytest.raises((MissionError, NotFoundError), match=message):
        action(missions, mission.id)
    assert state() == before


def test_removing_a_participant_removes_its_wishes(missions):
    mission = missions.create(new_mission(), "staff")
    for cid in (LV, KR, KR2):
        missions.add_participant(mission.id, cid, "staff")
    missions.set_wish(mission.id, LV, KR, "never", "staff")
    missions.set_wish(mission.id, LV, KR2, "must", "staff")
    missions.remove_participant(mission.id, KR, "staff")
    assert [(w.lv, w.kr) for w in missions.wishes(mission.id)] == [(LV, KR2)]


def test_unknown_missions_are_a_clear_not_found(missions):
    with pytest.raises(NotFoundError, match="no mission with id 42"):
        missions.get(42)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "  "}, "needs a name"),
        ({"days": ("2026-02-30",)}, "not a date"),
        ({"days": ()}, "1 to 14 days"),
        ({"day_start": "9am"}, "not a time of day"),
        ({"day_start": "20:00", "slots_per_day": 24}, "past midnight"),
        ({"slot_minutes": 2}, "5 to 240 minutes"),
        ({"tables": 0}, "tables must be"),
        ({"cap": 13}, "between 1 and the 12 slots"),
        ({"timezone": "Mars/Olympus"}, "not a time zone"),
    ],
)
def test_impossible_settings_are_refused(changes, message):
    with pytest.raises(MissionError, match=message):
        new_mission(**changes)


def test_days_and_slots_are_read_as_staff_type_them():
    assert parse_days("2026-05-12..2026-05-14") == ("2026-05-12", "2026-05-13", "2026-05-14")
    assert parse_days("2026-05-12, 2026-05-20") == ("2026-05-12", "2026-05-20")
    mission = new_mission()
    assert parse_slots("0-2, 7", mission) == frozenset({0, 1, 2, 7})
    with pytest.raises(MissionError, match="outside 0-11"):
        parse_slots("10-12", mission)
    assert mission.slot_label(7) == "Wed 13 May 09:20–09:40"


def test_unavailability_is_also_read_as_days_and_times():
    """Companies say 'not on Wednesday' or 'not before 10:00', not slot numbers."""
    mission = new_mission()  # 2 days, 6 slots of 20 minutes from 09:00 (until 11:00)
    assert parse_slots("2026-05-13", mission) == frozenset(range(6, 12))
    assert parse_slots("09:30-10:10", mission) == frozenset({1, 2, 3, 7, 8, 9})  # overlaps
    assert parse_slots("2026-05-12 10:00-11:00", mission) == frozenset({3, 4, 5})
    assert parse_slots("0; 2026-05-13  9:00 - 9:20", mission) == frozenset({0, 6})
    for text, message in [
        ("2026-05-14", "not a day of this mission"),
        ("12:00-13:00", "covers no slot: meetings run 09:00–11:00"),
        ("10:00-09:00", "must end after it starts"),
        ("25:00-26:00", "not a time of day"),
        ("lunch", "not a slot number or range such as 3-7, a day such as 2026-05-12"),
    ]:
        with pytest.raises(MissionError, match=message):
            parse_slots(text, mission)


@pytest.mark.parametrize("good_fit", [7.0, -0.1, float("nan")])
def test_a_good_fit_outside_the_fit_s_0_to_1_is_refused(store, good_fit):
    """The fit is 0-1 since it became each side's worth; 7 made no meeting good, NaN made
    ``mission show --json`` print invalid JSON."""
    with pytest.raises(MissionError, match="a good fit is between 0 and 1"):
        MissionStore(store).create(new_mission(good_fit=good_fit), "ann")
    assert MissionStore(store).all() == []
