"""Mission planner benchmark: 60 LV x 60 KR participants over 2 days of 20-minute slots.

Run from the repository root::

    .venv/bin/python benchmarks/missions.py            # 60 x 60, real model, real profiles
    .venv/bin/python benchmarks/missions.py --quick    # 12 x 12, hashing embedder, seconds

Participants are REAL profiles from data/companies.jsonl and data/batches/ (the first
``--per-side`` of each country by id); only if there are too few of one country are
SYNTHETIC profiles (``benchmarks/synthetic.py``, names starting "Synthetic") added, and
the output says how many. Fits come from the real ranker (all-MiniLM-L6-v2), both
directions, over the participants. The mission: 2 days of 24 slots (09:00-17:00, 20
minutes), 20 tables, at most 8 meetings per company; each company is unavailable in a
seeded random 15% of the slots; 10 must-meet and 10 never-meet wishes (seeded).

In the same run, on the same fits: the greedy baseline (must-meets, then pairs by
fit, each in its earliest free slot) and CP-SAT (``missions.solve``). Printed: total
fit, companies with a good meeting, meetings, seconds, and CP-SAT's bound and
optimality gap. The target is CP-SAT under 30 s; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.scale import _section, _table, environment  # noqa: E402
from benchmarks.synthetic import make_profile  # noqa: E402
from matchmaker import engine  # noqa: E402
from matchmaker.importing import parse_file  # noqa: E402
from matchmaker.missions.fit import pair_fits  # noqa: E402
from matchmaker.missions.solve import Problem, Solution, greedy, solve  # noqa: E402
from matchmaker.profiles import Profile  # noqa: E402

SOURCES = [ROOT / "data" / "companies.jsonl", *sorted((ROOT / "data" / "batches").glob("*.jsonl"))]


def participants(per_side: int) -> tuple[list[Profile], int]:
    """``per_side`` real LV and KR profiles (by id), topped up with synthetic ones if short."""
    seen: dict[str, Profile] = {}
    for source in SOURCES:
        parsed = parse_file(source)
        for profile in parsed.profiles:
            seen.setdefault(profile.id, profile)
    chosen, synthetic = [], 0
    for country in ("LV", "KR"):
        real = sorted((p for p in seen.values() if p.country == country), key=lambda p: p.id)
        side = real[:per_side]
        i = 0
        while len(side) < per_side:
            extra = make_profile(i, seed=11)
            i += 1
            if extra.country == country:
                side.append(extra)
                synthetic += 1
        chosen += side
    return chosen, synthetic


def mission_problem(
    lv: list[str], kr: list[str], fits: dict, slots: int, seed: int = 5, sides: dict | None = None
) -> Problem:
    rng = random.Random(seed)
    everyone = lv + kr
    unavailable = {c: frozenset(rng.sample(range(slots), int(slots * 0.15))) for c in everyone}
    good_pairs = sorted(fits, key=lambda p: -fits[p])
    must = set(rng.sample(good_pairs[: len(good_pairs) // 4], 10))
    never = set(rng.sample([p for p in good_pairs[:200] if p not in must], 10))
    return Problem(
        slots=slots,
        tables=20,
        lv=tuple(lv),
        kr=tuple(kr),
        caps={c: 8 for c in everyone},
        unavailable=unavailable,
        fits=fits,
        must=frozenset(must),
        never=frozenset(never),
        good_fit=0.5,
        sides=sides or {},
    )


def row(name: str, solution: Solution) -> list[str]:
    gap = "n/a" if solution.gap is None else f"{solution.gap:.4%}"
    bound = "n/a" if solution.bound is None else f"{solution.bound:,.1f}"
    return [
        name,
        f"{solution.total_fit:,.1f}",
        f"{solution.covered}/{solution.companies}",
        str(len(solution.meetings)),
        f"{solution.seconds:.2f}",
        bound,
        gap,
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-side", type=int, default=60)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--slots-per-day", type=int, default=24)
    parser.add_argument("--time-limit", type=float, default=25.0)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="12 x 12, hashing embedder")
    args = parser.parse_args(argv)
    if args.quick:
        args.per_side, args.time_limit = 12, 5.0
    model = "hashing" if args.quick else None

    _section("environment")
    print("\n".join(environment()))

    _section("participants and fits")
    profiles, synthetic = participants(args.per_side)
    print(
        f"{args.per_side} LV x {args.per_side} KR: {len(profiles) - synthetic} real profiles "
        f"from data/, {synthetic} SYNTHETIC"
    )
    started = time.perf_counter()
    ranker = engine.fit_in_memory(profiles, engine.make_embedder(model))
    fitted = time.perf_counter() - started
    lv = [p.id for p in profiles if p.country == "LV"]
    kr = [p.id for p in profiles if p.country == "KR"]
    started = time.perf_counter()
    scored = pair_fits(ranker, lv, kr)
    scoring = time.perf_counter() - started
    print(f"embedding and fitting the ranker: {fitted:.1f} s (setup, not timed below)")
    print(f"fit and reasons of {len(scored):,} pairs, both directions: {scoring:.1f} s")

    slots = args.days * args.slots_per_day
    problem = mission_problem(
        lv,
        kr,
        {p: f.fit for p, f in scored.items()},
        slots,
        sides={p: f.sides for p, f in scored.items()},
    )
    print(
        f"{args.days} days x {args.slots_per_day} slots of 20 min = {slots} slots, "
        f"{problem.tables} tables, cap 8, 10 must-meet and 10 never-meet, a meeting is good "
        f"for a company at a worth >= {problem.good_fit} from its side"
    )

    _section("greedy against CP-SAT, same fits, same run")
    baseline = greedy(problem)
    solved = solve(problem, time_limit=args.time_limit, workers=args.workers)
    header = ["method", "total fit", "good meeting", "meetings", "seconds", "bound", "gap"]
    print(_table(header, [row("greedy", baseline), row("CP-SAT", solved)]))
    ratio = solved.total_fit / baseline.total_fit if baseline.total_fit else float("nan")
    print(
        f"\nCP-SAT / greedy total fit: {ratio:.3f} "
        f"({solved.total_fit - baseline.total_fit:+,.1f}); companies with a good meeting "
        f"{solved.covered} against {baseline.covered}; CP-SAT status {solved.status}, "
        f"{solved.pairs_considered:,} pairs offered, {solved.seconds:.1f} s "
        f"({'under' if solved.seconds < 30 else 'OVER'} the 30 s target)"
    )
    for note in solved.notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
