"""The meeting solver, run for real (OR-Tools CP-SAT): every hard rule holds, coverage
comes before total fit, it beats the greedy baseline where greedy is short-sighted,
and impossible must-meets are refused with the reason."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from matchmaker.missions.solve import InfeasibleError, Problem, greedy, solve


def make_problem(**changes) -> Problem:
    base = dict(
        slots=4,
        tables=1,
        lv=("a1", "a2"),
        kr=("b1", "b2"),
        caps={"a1": 1, "a2": 1, "b1": 1, "b2": 1},
        unavailable={},
        fits={},
        good_fit=0.5,
    )
    return Problem(**{**base, **changes})


def random_problem(seed: int, n: int = 8, slots: int = 6, tables: int = 3) -> Problem:
    rng = random.Random(seed)
    lv = tuple(f"lv{i}" for i in range(n))
    kr = tuple(f"kr{i}" for i in range(n))
    fits = {(a, b): round(rng.gauss(0.3, 1.0), 3) for a in lv for b in kr}
    return Problem(
        slots=slots,
        tables=tables,
        lv=lv,
        kr=kr,
        caps={c: rng.randint(1, 3) for c in lv + kr},
        unavailable={c: frozenset(rng.sample(range(slots), 2)) for c in lv + kr},
        fits=fits,
        must=frozenset({("lv0", "kr1"), ("lv2", "kr2")}),
        never=frozenset({max(fits, key=fits.get)}),  # the best pair asked never to meet
        good_fit=0.8,
    )


def broken_rules(problem: Problem, meetings) -> list[str]:
    found = []
    seen = Counter()
    for slot, table, a, b in meetings:
        seen[(a, b)] += 1
        if (a, b) in problem.never:
            found.append(f"never-meet {a}-{b}")
        if a not in problem.lv or b not in problem.kr:
            found.append(f"not LV-KR {a}-{b}")
        for company in (a, b):
            if slot in problem.unavailable.get(company, frozenset()):
                found.append(f"{company} unavailable in {slot}")
        if not 1 <= table <= problem.tables:
            found.append(f"table {table}")
    found += [f"{pair} twice" for pair, n in seen.items() if n > 1]
    busy = Counter((slot, c) for slot, _, a, b in meetings for c in (a, b))
    found += [f"{c} double-booked in {slot}" for (slot, c), n in busy.items() if n > 1]
    per_slot = Counter(slot for slot, *_ in meetings)
    found += [f"slot {s} over tables" for s, n in per_slot.items() if n > problem.tables]
    count = Counter(c for _, _, a, b in meetings for c in (a, b))
    found += [f"{c} over cap" for c, n in count.items() if n > problem.caps[c]]
    tables_used = Counter((slot, table) for slot, table, *_ in meetings)
    found += [f"table {t} in {s} twice" for (s, t), n in tables_used.items() if n > 1]
    found += [f"must {p} missing" for p in problem.must if p not in seen]
    return found


@pytest.mark.parametrize("seed", range(4))
def test_every_hard_rule_holds_and_the_solver_never_loses_to_greedy(seed):
    problem = random_problem(seed)
    solution = solve(problem, time_limit=10, workers=2)
    baseline = greedy(problem)
    assert solution.meetings
    assert broken_rules(problem, solution.meetings) == []
    # lexicographic: more companies with a good meeting, then (as many covered) more fit
    assert solution.covered >= baseline.covered
    if solution.covered == baseline.covered:
        assert solution.total_fit >= baseline.total_fit - 1e-9
    assert solution.gap is not None and 0 <= solution.gap < 1
    assert solution.bound is not None and solution.bound >= solution.total_fit - 1e-3


def test_greedy_keeps_the_rules_too():
    problem = random_problem(7)
    assert broken_rules(problem, greedy(problem).meetings) == []


def test_a_good_meeting_for_everyone_beats_a_bigger_total():
    """Lexicographic: a1-b1 alone is worth 5, but a1-b2 and a2-b1 give all four a good one."""
    fits = {("a1", "b1"): 5.0, ("a1", "b2"): 0.6, ("a2", "b1"): 0.6, ("a2", "b2"): -1.0}
    problem = make_problem(fits=fits)
    solution = solve(problem, time_limit=5, workers=2)
    assert {(a, b) for *_, a, b in solution.meetings} == {("a1", "b2"), ("a2", "b1")}
    assert solution.covered == 4
    assert greedy(problem).covered == 2  # greedy takes the 5 and strands a2 and b2


def test_the_solver_finds_the_slot_order_greedy_misses():
    """One table: greedy puts a1-b1 in slot 0, the only slot a2 and b2 share, and loses them."""
    problem = make_problem(
        slots=2,
        fits={("a1", "b1"): 3.0, ("a2", "b2"): 2.0},
        unavailable={"a2": frozenset({1}), "b2": frozenset({1})},
    )
    assert greedy(problem).total_fit == pytest.approx(3.0)
    solution = solve(problem, time_limit=5, workers=2)
    assert solution.total_fit == pytest.approx(5.0)
    assert sorted(solution.meetings) == [(0, 1, "a2", "b2"), (1, 1, "a1", "b1")]
    assert solution.status == "OPTIMAL" and solution.gap == 0


def test_must_meet_is_kept_even_with_a_poor_fit_and_never_meet_is_never_made():
    fits = {("a1", "b1"): 4.0, ("a1", "b2"): -2.0, ("a2", "b1"): 1.0, ("a2", "b2"): 1.0}
    problem = make_problem(
        fits=fits, must=frozenset({("a1", "b2")}), never=frozenset({("a2", "b1")})
    )
    pairs = {(a, b) for *_, a, b in solve(problem, time_limit=5, workers=2).meetings}
    assert ("a1", "b2") in pairs
    assert ("a2", "b1") not in pairs and ("a1", "b1") not in pairs  # cap 1: a1 is taken


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (
            {
                "must": frozenset({("a1", "b1")}),
                "unavailable": {"a1": frozenset({0, 1}), "b1": frozenset({2, 3})},
            },
            "Alpha – Beta must meet but share no free slot",
        ),
        (
            {"must": frozenset({("a1", "b1"), ("a1", "b2")})},
            "Alpha must meet 2 companies but its cap is 1",
        ),
        (
            {"must": frozenset({("a1", "b1")}), "never": frozenset({("a1", "b1")})},
            "Alpha – Beta are both a must-meet and a never-meet",
        ),
    ],
)
def test_impossible_must_meets_are_refused_with_the_reason(changes, reason):
    problem = make_problem(names={"a1": "Alpha", "b1": "Beta"}, **changes)
    with pytest.raises(InfeasibleError, match=reason):
        solve(problem, time_limit=5, workers=2)


def test_must_meets_that_do_not_fit_the_tables_together_are_refused():
    """Each pair alone fits; together they need two tables in the one shared slot."""
    problem = make_problem(
        slots=2,
        must=frozenset({("a1", "b1"), ("a2", "b2")}),
        unavailable={c: frozenset({1}) for c in ("a1", "a2", "b1", "b2")},
    )
    with pytest.raises(InfeasibleError, match="must-meet"):
        solve(problem, time_limit=5, workers=2)


def test_a_good_meeting_counts_for_the_side_it_is_good_for():
    """With sides, a1-b1 is good for a1 only: it covers one company, not two."""
    fits = {("a1", "b1"): 0.4, ("a2", "b2"): 0.4}
    sides = {("a1", "b1"): (0.9, 0.2), ("a2", "b2"): (0.6, 0.6)}
    solution = solve(make_problem(fits=fits, sides=sides, tables=2), time_limit=5, workers=2)
    assert len(solution.meetings) == 2
    assert solution.covered == 3  # a1, a2 and b2; b1's only meeting is not good for it


@pytest.mark.parametrize("seed", range(3))
def test_kept_meetings_stay_in_their_slot_and_table_and_the_rest_is_filled(seed):
    """Planning again around a plan sent out: a kept meeting does not move; the rest is
    solved around it under the same rules, and greedy keeps it too."""
    problem = random_problem(seed)
    first = solve(problem, time_limit=10, workers=2)
    kept = {(a, b): (s, t) for s, t, a, b in first.meetings[::2]}
    again = Problem(**{**problem.__dict__, "fixed": kept, "caps": {
        c: cap + 1 for c, cap in problem.caps.items()}})
    for solution in (solve(again, time_limit=10, workers=2), greedy(again)):
        placed = {(a, b): (s, t) for s, t, a, b in solution.meetings}
        assert all(placed.get(pair) == where for pair, where in kept.items())
        assert broken_rules(again, solution.meetings) == []
        assert len(solution.meetings) >= len(kept)
