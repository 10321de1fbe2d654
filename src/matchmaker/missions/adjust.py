"""Staff adjust a plan by hand: move, add or remove one meeting, checked against the rules.

Every change is checked against the same hard rules the solver keeps (who
takes part, one LV and one KR company, availability, no double booking,
tables per slot, caps, never-meet and must-meet wishes). A change that breaks
one is refused with every reason at once and the plan is left as it was; a
change that passes returns a new list of meetings, which the caller saves as a
new plan version (so the history keeps what it replaced).
"""

from __future__ import annotations

from dataclasses import replace

from .model import Meeting, MissionError
from .solve import Pair, Problem


class PlanError(MissionError):
    """A hand change that breaks a rule; the message lists every broken rule."""


def check_meeting(
    problem: Problem, meetings: list[Meeting], pair: Pair, slot: int, ignore: Pair | None = None
) -> list[str]:
    """Why ``pair`` cannot meet in ``slot`` beside ``meetings`` (an empty list: it can)."""
    lv, kr = pair
    problems = []
    if lv not in problem.lv or kr not in problem.kr:
        who = [c for c, side in ((lv, problem.lv), (kr, problem.kr)) if c not in side]
        return [f"'{c}' is not an LV/KR participant of this mission in that role" for c in who]
    if not 0 <= slot < problem.slots:
        return [f"slot {slot} does not exist (this mission has slots 0-{problem.slots - 1})"]
    if pair in problem.never:
        problems.append(f"{problem.pair_name(pair)} asked never to meet")
    others = [m for m in meetings if m.pair != ignore]
    if any(m.pair == pair for m in others):
        problems.append(f"{problem.pair_name(pair)} already meet")
    for company in pair:
        if slot in problem.unavailable.get(company, frozenset()):
            problems.append(f"{problem.name(company)} is not available in slot {slot}")
        if any(m.slot == slot and company in m.pair for m in others):
            problems.append(f"{problem.name(company)} already has a meeting in slot {slot}")
        count = sum(company in m.pair for m in others)
        if count + 1 > problem.caps.get(company, 0):
            problems.append(
                f"{problem.name(company)} would have {count + 1} meetings, over its cap of "
                f"{problem.caps.get(company, 0)}"
            )
    if sum(m.slot == slot for m in others) >= problem.tables:
        problems.append(f"all {problem.tables} tables are taken in slot {slot}")
    return problems


def move(problem: Problem, meetings: list[Meeting], pair: Pair, slot: int) -> list[Meeting]:
    """The plan with ``pair``'s meeting moved to ``slot`` (a free table there)."""
    current = _find(problem, meetings, pair)
    if current.slot == slot:
        raise PlanError(f"{problem.pair_name(pair)} already meet in slot {slot}")
    _refuse(check_meeting(problem, meetings, pair, slot, ignore=pair))
    rest = [m for m in meetings if m.pair != pair]
    moved = replace(current, slot=slot, table=_free_table(rest, slot), by_hand=True)
    return _ordered([*rest, moved])


def add(problem: Problem, meetings: list[Meeting], meeting: Meeting) -> list[Meeting]:
    """The plan with one more meeting (its table is the first free one in its slot)."""
    _refuse(check_meeting(problem, meetings, meeting.pair, meeting.slot))
    added = replace(meeting, table=_free_table(meetings, meeting.slot), by_hand=True)
    return _ordered([*meetings, added])


def remove(problem: Problem, meetings: list[Meeting], pair: Pair) -> list[Meeting]:
    """The plan without ``pair``'s meeting; a must-meet cannot be removed."""
    _find(problem, meetings, pair)
    if pair in problem.must:
        raise PlanError(
            f"{problem.pair_name(pair)} must meet; drop the must-meet wish first, or move it"
        )
    return [m for m in meetings if m.pair != pair]


def violations(problem: Problem, meetings: list[Meeting]) -> list[str]:
    """Every rule a whole plan breaks (e.g. after a participant changed its availability)."""
    found = []
    for i, meeting in enumerate(meetings):
        found.extend(check_meeting(problem, meetings[:i], meeting.pair, meeting.slot))
    met = {m.pair for m in meetings}
    found.extend(
        f"{problem.pair_name(p)} must meet but have no meeting"
        for p in sorted(problem.must - met)
    )
    return found


def _find(problem: Problem, meetings: list[Meeting], pair: Pair) -> Meeting:
    for m in meetings:
        if m.pair == pair:
            return m
    raise PlanError(f"{problem.pair_name(pair)} have no meeting in this plan")


def _free_table(meetings: list[Meeting], slot: int) -> int:
    taken = {m.table for m in meetings if m.slot == slot}
    table = 1
    while table in taken:
        table += 1
    return table


def _refuse(problems: list[str]) -> None:
    if problems:
        raise PlanError("; ".join(problems))


def _ordered(meetings: list[Meeting]) -> list[Meeting]:
    return sorted(meetings, key=lambda m: (m.slot, m.table))
