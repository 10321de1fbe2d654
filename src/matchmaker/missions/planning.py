"""Planning a mission from the database: fits from the ranker, the solver, plan versions.

The operations the CLI and the web pages share: gather a mission's participants
and wishes, score every LV x KR pair with the ranker (both directions), solve,
and save the result as the next plan version with how it was made (solver
status, total fit, optimality gap, and the greedy baseline's total fit for
comparison). Hand changes go through :mod:`.adjust` and are saved the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..mission_store import MissionStore, StalePlanError
from ..ranking import PartnerRanker
from ..ranking.within import rank_among
from ..store import Store
from . import adjust
from .fit import PairFit, pair_fit, pair_fits
from .model import Meeting, Mission, MissionError, Participant, Plan, Wish
from .solve import Pair, Problem, greedy, solve

#: seconds CP-SAT may take for one mission (the benchmark's 60 x 60 needs about 5)
TIME_LIMIT = 25.0


@dataclass
class MissionState:
    """A mission with its participants (live companies only) and wishes, as read now."""

    mission: Mission
    participants: list[Participant]
    wishes: list[Wish]
    left_out: list[Participant]

    @property
    def lv(self) -> list[str]:
        return [p.company_id for p in self.participants if p.country == "LV"]

    @property
    def kr(self) -> list[str]:
        return [p.company_id for p in self.participants if p.country == "KR"]


def load(store: Store, mission_id: int) -> MissionState:
    missions = MissionStore(store)
    everyone = missions.participants(mission_id)
    return MissionState(
        mission=missions.get(mission_id),
        participants=[p for p in everyone if not p.deleted],
        wishes=missions.wishes(mission_id),
        left_out=[p for p in everyone if p.deleted],
    )


def problem_for(
    state: MissionState,
    fits: dict[Pair, float] | None = None,
    sides: dict[Pair, tuple[float, float]] | None = None,
    fixed: dict[Pair, tuple[int, int]] | None = None,
) -> Problem:
    """The solver's view of a mission (fits may be left out for checking hand changes)."""
    mission = state.mission
    live = {p.company_id for p in state.participants}
    wishes = [w for w in state.wishes if w.lv in live and w.kr in live]
    return Problem(
        slots=mission.slot_count,
        tables=mission.tables,
        lv=tuple(state.lv),
        kr=tuple(state.kr),
        caps={p.company_id: p.cap_in(mission) for p in state.participants},
        unavailable={p.company_id: p.unavailable for p in state.participants},
        fits=fits or {},
        must=frozenset(w_pair(w) for w in wishes if w.kind == "must"),
        never=frozenset(w_pair(w) for w in wishes if w.kind == "never"),
        good_fit=mission.good_fit,
        names={p.company_id: p.name for p in state.participants},
        sides=sides or {},
        fixed=fixed or {},
    )


def w_pair(wish: Wish) -> Pair:
    return (wish.lv, wish.kr)


def scored(ranker: PartnerRanker, state: MissionState) -> dict[Pair, PairFit]:
    """Fit and reasons of every LV x KR pair; clear error if the ranker lacks a participant."""
    if not state.lv or not state.kr:
        raise MissionError("a mission needs at least one LV and one KR participant to plan")
    unknown = [cid for cid in state.lv + state.kr if cid not in ranker.index_]
    if unknown:
        raise MissionError(
            f"{', '.join(unknown[:5])} not indexed yet (just added?); try again in a minute"
        )
    return pair_fits(ranker, state.lv, state.kr)


def plan_mission(
    store: Store,
    ranker: PartnerRanker,
    mission_id: int,
    actor: str,
    time_limit: float = TIME_LIMIT,
    workers: int | None = None,
    keep: bool = False,
) -> Plan:
    """Solve the mission and save the result as the next plan version.

    ``keep``: the latest plan's meetings stay where they are (slot and table) and
    only free places are filled, for a participant added after the agendas went
    out; a kept meeting that breaks a rule now (a company left or became
    unavailable) is dropped and planned again, and the plan's notes say how many.
    """
    state = load(store, mission_id)
    fits = scored(ranker, state)
    missions = MissionStore(store)
    latest = missions.plan(mission_id)
    kept, dropped = _still_valid(state, latest.meetings if keep and latest else [])
    problem = problem_for(
        state,
        {pair: f.fit for pair, f in fits.items()},
        {pair: f.sides for pair, f in fits.items()},
        fixed={m.pair: (m.slot, m.table if m.table <= state.mission.tables else 0) for m in kept},
    )
    baseline = greedy(problem)
    solution = solve(problem, time_limit=time_limit, workers=workers)
    by_hand = {m.pair for m in kept if m.by_hand}
    meetings = [
        _meeting(slot, table, lv, kr, fits, by_hand=(lv, kr) in by_hand)
        for slot, table, lv, kr in solution.meetings
    ]
    stats = solution.stats() | {
        "greedy_total_fit": round(baseline.total_fit, 4),
        "greedy_covered": baseline.covered,
        "left_out": [p.company_id for p in state.left_out],
    }
    note = f"solved by CP-SAT ({solution.status.lower()})"
    if keep and latest:
        note = f"solved by CP-SAT ({solution.status.lower()}), keeping version {latest.version}"
        stats["kept"], stats["dropped"] = len(kept), len(dropped)
        if dropped:
            stats["notes"].append(f"{len(dropped)} meetings of version {latest.version} "
                                  "broke a rule and were planned again")
    return missions.save_plan(
        mission_id,
        meetings,
        actor,
        "plan",
        expected_version=latest.version if latest else 0,
        note=note,
        stats=stats,
    )


def _still_valid(state: MissionState, meetings: list[Meeting]) -> tuple[list, list]:
    """(meetings that keep every rule among themselves, those that do not), in plan order."""
    problem = problem_for(state)
    kept: list[Meeting] = []
    dropped: list[Meeting] = []
    for m in meetings:
        (dropped if adjust.check_meeting(problem, kept, m.pair, m.slot) else kept).append(m)
    return kept, dropped


def change_plan(
    store: Store,
    mission_id: int,
    actor: str,
    action: str,
    pair: Pair,
    expected_version: int,
    slot: int | None = None,
    ranker: PartnerRanker | None = None,
) -> Plan:
    """Move, add or remove one meeting of the latest plan; saved as a new version.

    ``pair`` may be given in either order; ``add`` needs ``ranker`` for the new
    meeting's fit and reasons.
    """
    state = load(store, mission_id)
    missions = MissionStore(store)
    plan = missions.plan(mission_id)
    if plan is None:
        raise MissionError("this mission has no plan yet; plan it first")
    if plan.version != expected_version:  # said before any rule, which may have changed too
        raise StalePlanError(
            f"the plan changed meanwhile (now version {plan.version}, you had version "
            f"{expected_version}); nothing was written. Reload and try again"
        )
    pair = _lv_kr(state, pair)
    problem = problem_for(state)
    if action == "move":
        meetings = adjust.move(problem, plan.meetings, pair, _slot(slot))
    elif action == "remove":
        meetings = adjust.remove(problem, plan.meetings, pair)
    elif action == "add":
        if ranker is None:
            raise TypeError("adding a meeting needs the ranker, for its fit and reasons")
        new = _meeting(_slot(slot), 0, *pair, _one_fit(ranker, state, pair))
        meetings = adjust.add(problem, plan.meetings, new)
    else:
        raise MissionError(f"a change is move, add or remove, not '{action}'")
    note = f"{action} {problem.pair_name(pair)}" + ("" if slot is None else f" (slot {slot})")
    return missions.save_plan(
        mission_id, meetings, actor, action, expected_version, note=note, stats=plan.stats
    )


def restore_plan(
    store: Store, mission_id: int, actor: str, version: int, expected_version: int
) -> Plan:
    """Make an earlier plan version the latest again, as a new version (nothing is lost).

    Checked against today's rules like a hand change: if participants, caps,
    availability or wishes changed since, the restore is refused with every
    broken rule named.
    """
    missions = MissionStore(store)
    latest = missions.plan(mission_id)
    if latest is None:
        raise MissionError("this mission has no plan yet; plan it first")
    if latest.version != expected_version:
        raise StalePlanError(
            f"the plan changed meanwhile (now version {latest.version}, you had version "
            f"{expected_version}); nothing was written. Reload and try again"
        )
    # versions are 1 to the latest; asking the database for any other number is
    # pointless and, beyond SQLite's 64-bit integers, an OverflowError (a 500)
    earlier = missions.plan(mission_id, version) if 1 <= version < latest.version else None
    if earlier is None:
        raise MissionError(f"there is no earlier plan version {version} to restore")
    broken = adjust.violations(problem_for(load(store, mission_id)), earlier.meetings)
    if broken:
        raise adjust.PlanError(
            f"version {version} breaks today's rules: " + "; ".join(broken[:10])
        )
    return missions.save_plan(
        mission_id, earlier.meetings, actor, "restore", expected_version,
        note=f"restore version {version}", stats=earlier.stats,
    )


def _slot(slot: int | None) -> int:
    if slot is None:
        raise MissionError("say which slot the meeting goes to")
    return slot


def _lv_kr(state: MissionState, pair: Pair) -> Pair:
    a, b = pair
    return (b, a) if a in state.kr or b in state.lv else (a, b)


def _one_fit(ranker: PartnerRanker, state: MissionState, pair: Pair) -> dict[Pair, PairFit]:
    """The fit of one pair, scored among the mission's participants like a planned one."""
    lv, kr = pair
    for cid in pair:
        if cid not in ranker.index_:
            raise MissionError(f"'{cid}' is not indexed yet; try again in a minute")
    ab = next((m for m in rank_among(ranker, lv, state.kr) if m.id == kr), None)
    ba = next((m for m in rank_among(ranker, kr, state.lv) if m.id == lv), None)
    if ab is None or ba is None:
        return {}
    return {pair: pair_fit(ab, ba)}


def _meeting(
    slot: int, table: int, lv: str, kr: str, fits: dict[Pair, PairFit], by_hand: bool = False
) -> Meeting:
    fit = fits.get((lv, kr))
    if fit is None:
        return Meeting(slot, table, lv, kr, by_hand=by_hand)
    return Meeting(
        slot, table, lv, kr, fit.fit, fit.reasons_lv, fit.reasons_kr, by_hand=by_hand,
        lv_score=round(fit.lv_view, 4), kr_score=round(fit.kr_view, 4),
    )
