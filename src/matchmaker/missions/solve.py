"""Solving a mission: which pairs meet, in which slot, at which table.

The schedule is an integer programme solved with OR-Tools CP-SAT. For every
allowed LV-KR pair ``p`` and every slot ``s`` both are free, ``x[p, s]`` says
the pair meets then; ``y[p] = sum_s x[p, s]`` (at most once) says it meets at
all. Constraints: nobody is in two meetings in one slot, no slot uses more
than the tables, nobody has more than their cap of meetings, must-meet pairs
meet, never-meet pairs are never created. Objectives, lexicographically:

1. as many companies as possible get at least one *good* meeting: one whose
   worth to that company (its own side, ``Problem.sides``) reaches the mission's
   ``good_fit``; without sides, the pair's fit counts for both;
2. with that many covered, the largest total fit of the meetings.

Phase 2 reports CP-SAT's optimality gap (best bound against the plan found).
Both phases start from the greedy plan as a hint, so the solver's answer is
never worse than the greedy baseline in that order (coverage, then fit): it
may trade some total fit for a company that greedy left without a good meeting.

Only the ``per_company`` best partners of each company are offered to the
solver (plus must-meets): a company with a cap of 8 never needs its 40th
choice, and it keeps the model small enough for 60 x 60 in seconds.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from .model import MissionError

Pair = tuple[str, str]
#: fits are floats; CP-SAT wants integers, so they are scaled by this much
SCALE = 1000


class InfeasibleError(MissionError):
    """The hard rules (must-meets, availability, caps, tables) cannot all hold; says why."""


@dataclass(frozen=True)
class Problem:
    """Everything the solver needs, without the database or the ranker."""

    slots: int
    tables: int
    lv: tuple[str, ...]
    kr: tuple[str, ...]
    caps: dict[str, int]
    unavailable: dict[str, frozenset[int]]
    fits: dict[Pair, float]
    must: frozenset[Pair] = frozenset()
    never: frozenset[Pair] = frozenset()
    good_fit: float = 0.5
    names: dict[str, str] = field(default_factory=dict)
    #: each pair's worth to its LV side and to its KR side (0-1, missions.fit); a
    #: meeting is good *for a company* when its own side reaches ``good_fit``
    sides: dict[Pair, tuple[float, float]] = field(default_factory=dict)
    #: meetings kept where they are (pair -> (slot, table); table 0: any) when staff
    #: plan again around a plan already sent out; the caller checks they keep the rules
    fixed: dict[Pair, tuple[int, int]] = field(default_factory=dict)

    def free(self, company: str) -> set[int]:
        return set(range(self.slots)) - self.unavailable.get(company, frozenset())

    def common_slots(self, pair: Pair) -> list[int]:
        return sorted(self.free(pair[0]) & self.free(pair[1]))

    def name(self, company: str) -> str:
        return self.names.get(company, company)

    def pair_name(self, pair: Pair) -> str:
        return f"{self.name(pair[0])} – {self.name(pair[1])}"

    def fit(self, pair: Pair) -> float:
        return self.fits.get(pair, 0.0)

    def slots_for(self, pair: Pair) -> list[int]:
        """Where ``pair`` may meet: its kept slot, or any slot both sides are free."""
        if pair in self.fixed:
            return [self.fixed[pair][0]]
        return self.common_slots(pair)

    def good_for(self, company: str, pair: Pair) -> bool:
        """Whether meeting ``pair`` is a good one for ``company`` (one of the two)."""
        side = self.sides.get(pair)
        if side is None:
            return self.fit(pair) >= self.good_fit
        return side[0 if company == pair[0] else 1] >= self.good_fit


@dataclass
class Solution:
    """Meetings as (slot, table, lv, kr), and how they were found."""

    meetings: list[tuple[int, int, str, str]]
    method: str
    status: str
    total_fit: float
    seconds: float
    covered: int = 0
    companies: int = 0
    bound: float | None = None
    gap: float | None = None
    pairs_considered: int = 0
    notes: list[str] = field(default_factory=list)

    def stats(self) -> dict:
        """What a plan version records about how it was made."""
        return {
            "method": self.method,
            "status": self.status,
            "total_fit": round(self.total_fit, 4),
            "seconds": round(self.seconds, 3),
            "covered": self.covered,
            "companies": self.companies,
            "bound": None if self.bound is None else round(self.bound, 4),
            "gap": None if self.gap is None else round(self.gap, 6),
            "pairs_considered": self.pairs_considered,
            "notes": list(self.notes),
        }


# -- checks that explain infeasibility --------------------------------------------------


def check_must_meets(problem: Problem) -> None:
    """Refuse must-meet wishes that cannot hold, naming the companies and the reason."""
    reasons = []
    per_company: dict[str, list[Pair]] = defaultdict(list)
    for pair in sorted(problem.must):
        if pair in problem.never:
            reasons.append(f"{problem.pair_name(pair)} are both a must-meet and a never-meet")
        if not problem.common_slots(pair):
            reasons.append(f"{problem.pair_name(pair)} must meet but share no free slot")
        for company in pair:
            per_company[company].append(pair)
    for company, pairs in sorted(per_company.items()):
        cap = problem.caps.get(company, 0)
        if len(pairs) > cap:
            reasons.append(
                f"{problem.name(company)} must meet {len(pairs)} companies but its cap is {cap}"
            )
        free = len(problem.free(company))
        if len(pairs) > free:
            reasons.append(
                f"{problem.name(company)} must meet {len(pairs)} companies but is free "
                f"in only {free} slots"
            )
    if reasons:
        raise InfeasibleError("; ".join(reasons))


def candidate_pairs(problem: Problem, per_company: int) -> list[Pair]:
    """Pairs worth offering: each company's best ``per_company`` with positive fit, plus musts."""
    allowed = [
        (a, b)
        for a in problem.lv
        for b in problem.kr
        if (a, b) not in problem.never and problem.common_slots((a, b))
    ]
    chosen = set(problem.must) | set(problem.fixed)
    by_company: dict[str, list[Pair]] = defaultdict(list)
    for pair in allowed:
        if problem.fit(pair) > 0:
            by_company[pair[0]].append(pair)
            by_company[pair[1]].append(pair)
    for pairs in by_company.values():
        pairs.sort(key=lambda p: (-problem.fit(p), p))
        chosen.update(pairs[:per_company])
    return sorted(chosen)


# -- greedy baseline --------------------------------------------------------------------


def greedy(problem: Problem) -> Solution:
    """The baseline: must-meets first, then pairs by fit, each in its earliest possible slot.

    What a person with a spreadsheet does; fast, and blind to the companies a
    greedy choice leaves without a partner.
    """
    started = time.perf_counter()
    booked: dict[str, set[int]] = defaultdict(set)
    count: dict[str, int] = defaultdict(int)
    used_tables: dict[int, int] = defaultdict(int)
    placed: list[tuple[int, str, str]] = []
    first = set(problem.fixed) | set(problem.must)
    musts = sorted(
        first, key=lambda p: (p not in problem.fixed, len(problem.slots_for(p)), p)
    )
    everyone = len(problem.kr) + len(problem.lv)
    rest = sorted(
        (p for p in candidate_pairs(problem, everyone) if p not in first),
        key=lambda p: (-problem.fit(p), p),
    )
    for pair in [*musts, *rest]:
        a, b = pair
        if count[a] >= problem.caps.get(a, 0) or count[b] >= problem.caps.get(b, 0):
            continue
        for s in problem.slots_for(pair):
            if s not in booked[a] and s not in booked[b] and used_tables[s] < problem.tables:
                used_tables[s] += 1
                booked[a].add(s)
                booked[b].add(s)
                count[a] += 1
                count[b] += 1
                placed.append((s, a, b))
                break
    meetings = assign_tables(placed, problem.fixed)
    return _finish(problem, meetings, "greedy", "FEASIBLE", started)


# -- CP-SAT -----------------------------------------------------------------------------


def solve(
    problem: Problem,
    time_limit: float = 20.0,
    per_company: int | None = None,
    workers: int | None = None,
    seed: int = 0,
) -> Solution:
    """The best schedule CP-SAT finds in about ``time_limit`` seconds.

    Two stages, because one model with a variable per pair and slot (170k for
    60 x 60 over 48 slots) spends the whole budget in presolve:

    * **selection** (one variable per pair): which pairs meet, under the caps,
      each company's free slots, the tables over the whole mission, must- and
      never-meets; first the most companies with a good meeting, then the largest
      total fit. It leaves out only the timing, so its best bound is an upper bound
      of the whole problem: the reported gap is measured against it.
    * **timetable** (one variable per chosen pair and slot): a slot for each chosen
      pair, with no double booking, availability and tables per slot. Must-meets
      are kept; if some chosen pair cannot be placed, the ones whose loss costs
      least coverage and fit are dropped.

    Raises :class:`InfeasibleError` with the reason when the must-meets cannot hold.
    """
    started = time.perf_counter()
    check_must_meets(problem)
    cap_max = max(problem.caps.values(), default=1)
    pairs = candidate_pairs(problem, per_company or max(3 * cap_max, 12))
    baseline = greedy(problem)
    selection = _Selection(problem, pairs)
    selection.hint({(a, b) for _, _, a, b in baseline.meetings})
    chosen, bound, optimal = selection.solve(time_limit * 0.5, workers, seed)
    remaining = max(1.0, time_limit - (time.perf_counter() - started))
    meetings, timetabled = _timetable(problem, chosen, baseline, remaining, workers, seed)
    status = "OPTIMAL" if optimal and timetabled == len(chosen) else "FEASIBLE"
    solution = _finish(problem, meetings, "cp-sat", status, started)
    solution.pairs_considered = len(pairs)
    solution.bound = bound / SCALE
    found = sum(_weight(problem, (a, b)) for _, _, a, b in meetings)  # in the solver's units
    solution.gap = max(0.0, (bound - found) / max(abs(bound), 1))
    if timetabled < len(chosen):
        solution.notes.append(
            f"{len(chosen) - timetabled} chosen meetings found no common free slot and table"
        )
    if solution.covered < solution.companies:
        solution.notes.append(
            f"{solution.companies - solution.covered} companies could not get a good meeting "
            f"(fit ≥ {problem.good_fit})"
        )
    return solution


def _weight(problem: Problem, pair: Pair) -> int:
    """A pair's fit in the solver's integer units."""
    return int(round(problem.fit(pair) * SCALE))


def _solver(seconds: float, workers: int | None, seed: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.5, seconds)
    solver.parameters.num_workers = workers or min(8, max(2, os.cpu_count() or 2))
    solver.parameters.random_seed = seed
    return solver


class _Selection:
    """Stage 1: which pairs meet (one boolean per candidate pair)."""

    def __init__(self, problem: Problem, pairs: Iterable[Pair]):
        self.problem = problem
        self.model = cp_model.CpModel()
        self.meets: dict[Pair, cp_model.IntVar] = {}
        by_company: dict[str, list] = defaultdict(list)
        good: dict[str, list] = defaultdict(list)
        for pair in pairs:
            y = self.model.NewBoolVar(f"y{len(self.meets)}")
            self.meets[pair] = y
            for company in pair:
                by_company[company].append(y)
                if problem.good_for(company, pair):
                    good[company].append(y)
            if pair in problem.must or pair in problem.fixed:
                self.model.Add(y == 1)
        for company, variables in by_company.items():
            limit = min(problem.caps.get(company, 0), len(problem.free(company)))
            self.model.Add(sum(variables) <= limit)
        self.model.Add(sum(self.meets.values()) <= problem.tables * problem.slots)
        self.covered = {}
        for company, variables in good.items():
            z = self.model.NewBoolVar(f"z{len(self.covered)}")
            self.model.Add(z <= sum(variables))
            self.covered[company] = z

    def hint(self, met: set[Pair]) -> None:
        for pair, var in self.meets.items():
            self.model.AddHint(var, pair in met)

    def solve(
        self, seconds: float, workers: int | None, seed: int
    ) -> tuple[list[Pair], float, bool]:
        """(chosen pairs, upper bound of the total fit in solver units, proven optimal)."""
        solver = _solver(seconds / 2, workers, seed)
        self.model.Maximize(sum(self.covered.values()))
        status = solver.Solve(self.model)
        if status == cp_model.INFEASIBLE:
            raise InfeasibleError(
                "the must-meet wishes do not fit the caps and the tables together"
            )
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise InfeasibleError(f"no schedule found in time ({solver.StatusName(status)})")
        self.model.Add(sum(self.covered.values()) >= int(round(solver.ObjectiveValue())))
        self.model.ClearHints()
        for var in self.meets.values():
            self.model.AddHint(var, solver.BooleanValue(var))
        weights = {p: _weight(self.problem, p) for p in self.meets}
        self.model.Maximize(sum(weights[p] * y for p, y in self.meets.items()))
        solver = _solver(seconds / 2, workers, seed)
        status = solver.Solve(self.model)
        chosen = [p for p, y in self.meets.items() if solver.BooleanValue(y)]
        return chosen, solver.BestObjectiveBound(), status == cp_model.OPTIMAL


def _timetable(
    problem: Problem,
    chosen: list[Pair],
    baseline: Solution,
    seconds: float,
    workers: int | None,
    seed: int,
) -> tuple[list[tuple[int, int, str, str]], int]:
    """Stage 2: a slot for every chosen pair; (meetings, how many of the chosen were placed).

    Placing the pairs one by one usually succeeds (a company meets far fewer
    partners than there are slots); then every chosen pair is placed, which no
    solver can beat, and CP-SAT is only called when some pair found no slot.
    """
    slot_of = _place_greedily(problem, chosen, baseline)
    if len(slot_of) == len(chosen):
        placed = ((s, a, b) for (a, b), s in slot_of.items())
        return assign_tables(placed, problem.fixed), len(chosen)
    model = cp_model.CpModel()
    x: dict[tuple[Pair, int], cp_model.IntVar] = {}
    placed: dict[Pair, cp_model.IntVar] = {}
    by_company_slot: dict[tuple[str, int], list] = defaultdict(list)
    by_slot: dict[int, list] = defaultdict(list)
    for pair in chosen:
        xs = []
        for s in problem.slots_for(pair):
            var = model.NewBoolVar(f"x{len(x)}")
            x[(pair, s)] = var
            xs.append(var)
            by_slot[s].append(var)
            for company in pair:
                by_company_slot[(company, s)].append(var)
        placed[pair] = model.NewBoolVar(f"p{len(placed)}")
        model.Add(sum(xs) == placed[pair])
        if pair in problem.must or pair in problem.fixed:
            model.Add(placed[pair] == 1)
    for variables in by_company_slot.values():
        if len(variables) > 1:
            model.AddAtMostOne(variables)
    for variables in by_slot.values():
        if len(variables) > problem.tables:
            model.Add(sum(variables) <= problem.tables)
    # losing a meeting costs its fit, and far more if it was a company's only good one
    weight = sum(abs(problem.fit(p)) for p in chosen) * SCALE + 1
    good = {p for p in chosen if problem.good_for(p[0], p) or problem.good_for(p[1], p)}
    model.Maximize(
        sum(
            (_weight(problem, p) + (int(weight) if p in good else 0)) * v
            for p, v in placed.items()
        )
    )
    for (pair, s), var in x.items():
        model.AddHint(var, slot_of.get(pair) == s)
    for pair, var in placed.items():
        model.AddHint(var, pair in slot_of)
    solver = _solver(seconds, workers, seed)
    status = solver.Solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise InfeasibleError(
            "the must-meet wishes do not fit into the free slots and tables together; "
            "free more slots, add tables or drop a wish"
        )
    taken = [(s, a, b) for ((a, b), s), var in x.items() if solver.BooleanValue(var)]
    return assign_tables(taken, problem.fixed), len(taken)


def _place_greedily(problem: Problem, chosen: list[Pair], baseline: Solution) -> dict[Pair, int]:
    """A slot for each chosen pair it can place: must-meets first, the baseline's slot first."""
    booked: dict[str, set[int]] = defaultdict(set)
    used: dict[int, int] = defaultdict(int)
    slot_of: dict[Pair, int] = {}
    earlier = {(a, b): s for s, _, a, b in baseline.meetings}
    order = sorted(
        chosen,
        key=lambda p: (p not in problem.fixed, p not in problem.must, p not in earlier,
                       -problem.fit(p)),
    )
    for pair in order:
        options = problem.slots_for(pair)
        if pair in earlier and pair not in problem.fixed:
            options = [earlier[pair], *options]
        for s in options:
            if s not in booked[pair[0]] and s not in booked[pair[1]] and used[s] < problem.tables:
                booked[pair[0]].add(s)
                booked[pair[1]].add(s)
                used[s] += 1
                slot_of[pair] = s
                break
    return slot_of


def assign_tables(
    meetings: Iterable[tuple[int, str, str]], kept: dict[Pair, tuple[int, int]] | None = None
) -> list[tuple[int, int, str, str]]:
    """Number the tables 1, 2, ... within each slot; a kept meeting keeps its table."""
    kept = kept or {}
    meetings = sorted(meetings)
    taken: dict[int, set[int]] = defaultdict(set)
    result = []
    stays = [(s, a, b) for s, a, b in meetings if kept.get((a, b), (None, 0))[0] == s
             and kept[(a, b)][1] > 0]
    for s, a, b in stays:
        taken[s].add(kept[(a, b)][1])
    for s, a, b in meetings:
        if (s, a, b) in stays:
            result.append((s, kept[(a, b)][1], a, b))
            continue
        table = 1
        while table in taken[s]:
            table += 1
        taken[s].add(table)
        result.append((s, table, a, b))
    return sorted(result)


def _finish(
    problem: Problem,
    meetings: list[tuple[int, int, str, str]],
    method: str,
    status: str,
    started: float,
) -> Solution:
    meetings = sorted(meetings)
    covered = {
        company
        for _, _, a, b in meetings
        for company in (a, b)
        if problem.good_for(company, (a, b))
    }
    return Solution(
        meetings=meetings,
        method=method,
        status=status,
        total_fit=sum(problem.fit((a, b)) for _, _, a, b in meetings),
        seconds=time.perf_counter() - started,
        covered=len(covered),
        companies=len(problem.lv) + len(problem.kr),
    )
