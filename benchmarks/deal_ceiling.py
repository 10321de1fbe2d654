"""How high could any ranker go on the real deals, given what the profiles' fields say?

    PYTHONPATH=src .venv/bin/python benchmarks/deal_ceiling.py [--rankings FILE] [--details]

DEFINITION (written and committed before any figure was computed).

Sets and pools are those of ``matchmaker eval``: the a/b queries of
``eval/deals/judgements.jsonl`` over ``eval/deals/profiles.jsonl``, and the held-out
batch c (``judgements_c.jsonl``) over both profile files. A query's candidates are the
profiles of its target region (``region_countries``) other than the query company;
its *partners* are the candidates graded 2 (every other candidate is graded 0).

Partner kind is described, for query q and candidate c, by the curated structured
fields exactly as the ranker reads them (``RoleFit.evidence`` of the shipped code;
``effective_fields`` / ``effective_focus``: a stated value, else the value read
from text), as the tuple

    kind(q, c) = (role_need, role_offer, market, shared)

* ``role_need``: c plays a role q looks for (q's ``partner_roles``, else the roles
  the compatibility table gives q's own roles), 0 or 1;
* ``role_offer``: q plays a role c looks for (same rule from c's side), 0 or 1;
* ``market``: q's markets cover c's country or c's markets cover q's, 0 or 1;
* ``shared``: how many therapeutic areas plus how many modalities q and c share
  (|areas_q ∩ areas_c| + |modalities_q ∩ modalities_c|), an integer.

A second variant adds ``licensing`` (one licenses out and the other in,
``LicensingFit``, read from text phrases) as a fifth component.

Tie set of a partner p (the *dominance* set, what the brief asks for):

    T(q, p) = {c : kind(q, c) >= kind(q, p) in every component}   (p itself included)

i.e. every candidate that fits at least as well as the signed partner on every field.
A ranker that never scores a candidate lower for fitting better on a field (a
*monotone* ranker: every sensible use of these fields) must put all of T(q, p) at or
above p. The *equal-kind* set E(q, p) = {c : kind(q, c) == kind(q, p)} is reported
beside it: no ranker that sees only these fields can separate p from E(q, p), so the
ceiling built on E bounds every ranker on these fields, monotone or not.

Oracle ceiling: for one partner, the ranker puts T(q, p) first in random order; the
figures are the exact expectations over that order (nDCG@5 with gain 2^grade - 1 and
the ideal from all of q's grades, MRR of the first partner), not samples. With
several partners the oracle also chooses the best order of them: for every ordered
partition of the partners into groups it lays out blocks, each block being the union
of its group's sets minus the candidates already placed, in random order within a
block; the ceiling is the best expectation over those layouts (nDCG@5 and MRR
maximised separately, each an upper bound of its own). A partner missing from the
pool counts as never ranked, as in ``matchmaker eval``.

Text tie-break (optional view): the same blocks, ordered within each block by a text
measure (BM25 over the whole profile, as ``matchmaker eval``'s baseline) instead of at
random: the ceiling of a ranker that uses the fields first and the text only to break
their ties.

Distractors (label-side view): for each batch-c deal, ``deals.csv`` names real
same-industry, same-country organisations that did not do the deal. For each
distractor d in the country of one party p, the query is the other party, if it has a
query in the set; the figure is the share of such (query, p, d) triples where the
shipped ranker (``matchmaker eval --models none``'s code: ``fit_in_memory`` and
``PartnerEvaluation.rank_matchmaker``) ranks d above p, and how many d are in T(q, p).

ADDED AFTER THE DEFINITION (the tie sets and ceilings above are unchanged):

* ties are also broken by the e5 cosine and by matchmaker's own order, beside BM25;
* a distractor's query is the other party whether or not it has a query of its own in
  the set (ranking needs no grades); triples where the distractor signed another deal
  with the query are left out;
* where the shipped ranker loses against the ceiling: queries whose nDCG@5 is below
  the fields ceiling, the mean of the higher of the two per query, candidates outside
  T ranked above the partner, the rate at which the partner beats its unsigned
  look-alikes in T, and how often a partner comes first (MRR >= 0.85 needs that in
  70% of queries).

Options: ``--no-ranker`` (fields only, seconds, no model), ``--rankings FILE`` (keep
the three systems' rankings, the few minutes of CPU, and reuse them), ``--details``
(one line per query and partner), ``--infer-fields`` (the fields read from text).
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from matchmaker import evaluation  # noqa: E402
from matchmaker.evaluation import JudgedQuery  # noqa: E402

DEALS = ROOT / "eval" / "deals" / "deals.csv"


try:  # run as a script, benchmarks/ is on the path; imported, it is a package
    import tie_ceiling as ties
except ImportError:
    from benchmarks import tie_ceiling as ties

K = ties.K
Kind = ties.Kind


# -- the real-deals sets ------------------------------------------------------------------


@dataclass
class DealSet:
    """One labelled set of ``matchmaker eval`` with its pool, read by the same code."""

    title: str
    queries: list[JudgedQuery]
    profiles: list
    warnings: list[str] = field(default_factory=list)


def load_sets(infer: bool = False) -> list[DealSet]:
    """The a/b real deals and held-out batch c, as ``matchmaker eval`` loads them."""
    from matchmaker.cli.evaluate import EVAL_SETS, HELD_OUT_SETS
    from matchmaker.importing import parse_file

    sets = []
    for title, judged, pools in (EVAL_SETS[0], HELD_OUT_SETS[0]):
        profiles = []
        for path in (pools,) if isinstance(pools, str) else pools:
            parsed = parse_file(ROOT / path, any_european=True)
            if not parsed.ok:
                raise SystemExit(f"{path}: {parsed.errors[0]}")
            profiles.extend(parsed.profiles)
        if infer:
            profiles = evaluation.without_vocabulary_fields(profiles)
        queries = evaluation.load_judgements(ROOT / judged)
        sets.append(DealSet(title, queries, profiles, evaluation.check_pool(queries, profiles)))
    return sets


class KindReader:
    """kind(q, c) for every candidate of a query, from the ranker's own field readings."""

    def __init__(self, profiles: Sequence, licensing: bool = False, focus: bool = True):
        from matchmaker.role_fit import RoleFit
        from matchmaker.therapy import effective_focus

        self.ids = [p.id for p in profiles]
        self.index = {cid: i for i, cid in enumerate(self.ids)}
        self.countries = np.array([p.country for p in profiles])
        self.roles = RoleFit().fit(profiles)
        self.focus = [effective_focus(p) for p in profiles]
        self.licensing = licensing
        self.with_focus = focus

    def candidates(self, q: JudgedQuery) -> np.ndarray:
        """Indices of the profiles ``matchmaker eval`` ranks for q (its region, not itself)."""
        region = list(evaluation.region_countries(q.target_country))
        allowed = np.isin(self.countries, region)
        allowed[self.index[q.company]] = False
        return np.flatnonzero(allowed)

    def shared(self, a: int, b: int) -> int:
        fa, fb = self.focus[a], self.focus[b]
        return len(set(fa.areas) & set(fb.areas)) + len(set(fa.modalities) & set(fb.modalities))

    def kinds(self, q: JudgedQuery) -> dict[str, Kind]:
        a, pool = self.index[q.company], self.candidates(q)
        ev = self.roles.evidence(a, pool)
        names = ["role_need", "role_offer", "market"] + (["licensing"] if self.licensing else [])
        return {
            self.ids[b]: (
                *(int(ev[n][i]) for n in names),
                *((self.shared(a, b),) if self.with_focus else ()),
            )
            for i, b in enumerate(pool)
        }


@dataclass
class QueryCeiling:
    """One query's tie sets and ceilings."""

    qid: str
    pool: int
    partners: list[str]
    tie: dict[str, set[str]]
    equal: dict[str, set[str]]
    ceiling: tuple[float, float]
    equal_ceiling: tuple[float, float]
    kinds: dict[str, Kind] = field(default_factory=dict)
    gains: dict[str, int] = field(default_factory=dict)


def query_ceiling(reader: KindReader, q: JudgedQuery) -> QueryCeiling:
    kinds = reader.kinds(q)
    partners = [c for c, g in q.gains.items() if g >= 1 and c in kinds]
    tie = {p: ties.dominating(kinds, p) for p in partners}
    equal = {p: ties.equal_kind(kinds, p) for p in partners}
    return QueryCeiling(
        q.qid,
        len(kinds),
        partners,
        tie,
        equal,
        ties.oracle_ceiling(tie, q.gains),
        ties.oracle_ceiling(equal, q.gains),
        kinds,
        q.gains,
    )


# -- the report -----------------------------------------------------------------------------


def size_summary(sizes: Sequence[int]) -> str:
    """Median, quartiles, max and a few bands of a list of set sizes."""
    s = np.array(sizes)
    bands = {"1": (1, 1), "2-5": (2, 5), "6-10": (6, 10), "11-20": (11, 20), "21+": (21, 10**9)}
    counts = ", ".join(
        f"{name}: {int(((s >= lo) & (s <= hi)).sum())}" for name, (lo, hi) in bands.items()
    )
    q1, med, q3 = np.percentile(s, [25, 50, 75])
    return f"median {med:.0f} (quartiles {q1:.0f}-{q3:.0f}, max {s.max()}); {counts}"


def mean_pair(pairs: Sequence[tuple[float, float]]) -> str:
    return f"{np.mean([p[0] for p in pairs]):.3f} / {np.mean([p[1] for p in pairs]):.3f}"


def report_fields(
    ds: DealSet,
    rows: list[QueryCeiling],
    rows_lic: list[QueryCeiling],
    rows_roles: list[QueryCeiling],
) -> None:
    """Part 1 and 2 without a model: tie-set sizes and the oracle ceilings."""
    pairs = [(r, p) for r in rows for p in r.partners]
    missing = sum(1 for q in ds.queries for c, g in q.gains.items() if g >= 1) - len(pairs)
    print(f"\n## {ds.title}: {len(ds.queries)} queries, {len(pairs)} (query, partner) pairs")
    print(f"candidates per query: {size_summary([r.pool for r in rows])}")
    if missing:
        print(f"({missing} partners are not in their query's pool: never ranked, as in eval)")
    unsigned_t = [len(r.tie[p] - set(r.partners)) for r, p in pairs]
    unsigned_e = [len(r.equal[p] - set(r.partners)) for r, p in pairs]
    print(f"|T(q,p)|, tie set incl. p:        {size_summary([len(r.tie[p]) for r, p in pairs])}")
    print(f"|E(q,p)|, equal kind incl. p:     {size_summary([len(r.equal[p]) for r, p in pairs])}")
    share = np.mean([u / r.pool for u, (r, _) in zip(unsigned_t, pairs, strict=True)])
    print(
        f"unsigned in T (same kind or better, did not sign): mean {np.mean(unsigned_t):.1f}, "
        f"median {np.median(unsigned_t):.0f}; share of the pool {share:.0%}"
    )
    print(
        f"unsigned in E (exactly the partner's kind): mean {np.mean(unsigned_e):.1f}, "
        f"median {np.median(unsigned_e):.0f}"
    )
    print(
        f"with licensing: |T| {size_summary([len(r.tie[p]) for r in rows_lic for p in r.partners])}"
    )
    print("\n| oracle ceiling | nDCG@5 / MRR |\n|---|---|")
    fields = "roles, markets, areas/modalities"
    print(f"| T: monotone ranker on {fields} | {mean_pair([r.ceiling for r in rows])} |")
    print(f"| E: any ranker on the same fields | {mean_pair([r.equal_ceiling for r in rows])} |")
    print(f"| T with licensing direction | {mean_pair([r.ceiling for r in rows_lic])} |")
    print(f"| E with licensing direction | {mean_pair([r.equal_ceiling for r in rows_lic])} |")
    print(f"| T on roles and market only | {mean_pair([r.ceiling for r in rows_roles])} |")
    print(f"| E on roles and market only | {mean_pair([r.equal_ceiling for r in rows_roles])} |")
    plain = [
        (ties.expected_ndcg(blocks, r.gains), ties.expected_reciprocal_rank(blocks, r.gains))
        for r in rows
        for blocks in [ties.sorted_blocks(r.kinds)]
    ]
    print(
        f"\nno oracle: the fields as a plain ranker (conditions met, then shared; ties "
        f"shuffled): {mean_pair(plain)}"
    )


@dataclass
class Rankings:
    """Each system's full ranking of every query, from one fit as in ``matchmaker eval``."""

    by_system: dict[str, dict[str, list[str]]]


def rank_all(ds: DealSet, embedder, extra: Sequence[JudgedQuery] = ()) -> Rankings:
    """matchmaker, BM25 and e5 cosine rankings, by the code ``matchmaker eval`` runs."""
    from matchmaker import engine

    ranker = engine.fit_in_memory(ds.profiles, embedder)
    run = evaluation.PartnerEvaluation(ds.profiles, ranker, embedder)
    systems: dict[str, Callable[[JudgedQuery], list[str]]] = {
        "matchmaker": run.rank_matchmaker,
        "BM25": run.rank_bm25,
        "e5 cosine": run.rank_dense,
    }
    return Rankings(
        {name: {q.qid: rank(q) for q in [*ds.queries, *extra]} for name, rank in systems.items()}
    )


def cached_rankings(
    ds: DealSet, embedder, extra: Sequence[JudgedQuery], path: str | None
) -> Rankings:
    """rank_all, or its saved result: the rankings take minutes, the report a second."""
    saved = json.loads(Path(path).read_text()) if path and Path(path).is_file() else {}
    if ds.title not in saved:
        saved[ds.title] = rank_all(ds, embedder(), extra).by_system
        if path:
            Path(path).write_text(json.dumps(saved))
    return Rankings(saved[ds.title])


def report_ranker(ds: DealSet, rows: list[QueryCeiling], ranked: Rankings, details: bool) -> None:
    """Part 2 with text tie-breaks, and where the shipped ranker loses against the ceiling."""
    gains = {q.qid: q.gains for q in ds.queries}
    mm = ranked.by_system["matchmaker"]
    print(f"\n### {ds.title}: the systems beside the ceiling (nDCG@5 / MRR)\n")
    print("| system | nDCG@5 / MRR |\n|---|---|")
    for name, runs in ranked.by_system.items():
        got = [scores(runs[r.qid], gains[r.qid]) for r in rows]
        print(f"| {name} as shipped | {mean_pair(got)} |")
    for name, runs in ranked.by_system.items():
        tied = [ties.broken_ties(r.tie, gains[r.qid], runs[r.qid]) for r in rows]
        print(f"| T first, ties broken by {name} | {mean_pair(tied)} |")
    print(
        f"| T first, ties shuffled (the oracle ceiling) | {mean_pair([r.ceiling for r in rows])} |"
    )
    shipped = [scores(mm[r.qid], gains[r.qid]) for r in rows]
    best_of = [
        (max(a[0], r.ceiling[0]), max(a[1], r.ceiling[1]))
        for a, r in zip(shipped, rows, strict=True)
    ]
    print(f"| matchmaker, or the fields ceiling where higher | {mean_pair(best_of)} |")
    lower = sum(a[0] < r.ceiling[0] for a, r in zip(shipped, rows, strict=True))
    print(
        f"\nqueries where matchmaker's nDCG@5 is below the fields ceiling: {lower} of {len(rows)}"
    )
    report_pairs(rows, mm, gains, details)


def shortfall(candidate: Kind, partner: Kind) -> str:
    """The components of kind (role_need, role_offer, market, shared) lower than the partner's."""
    names = ("role_need", "role_offer", "market", "shared")
    return "+".join(n for n, c, p in zip(names, candidate, partner, strict=True) if c < p)


def scores(ranked: Sequence[str], gains: Mapping[str, int]) -> tuple[float, float]:
    return evaluation.ndcg_at(ranked, gains, K), evaluation.reciprocal_rank(ranked, gains)


def report_pairs(rows: list[QueryCeiling], mm: dict[str, list[str]], gains, details: bool) -> None:
    """Per (query, partner): the look-alikes (T) and the worse-fitting candidates ranked above."""
    below = small = outside_any = 0
    wins, outside_counts, tie_sizes = [], [], []
    short_on: Counter = Counter()  # what a worse-fitting candidate ranked above lacks
    for r in rows:
        for p in r.partners:
            order = mm[r.qid]
            above = set(order[: order.index(p)]) - set(r.partners)
            unsigned_t = r.tie[p] - set(r.partners)
            outside = above - r.tie[p]
            outside_counts.append(len(outside))
            outside_any += bool(outside)
            short_on.update(shortfall(r.kinds[c], r.kinds[p]) for c in outside)
            tie_sizes.append(len(unsigned_t) + 1)
            if unsigned_t:
                wins.append(1 - len(above & unsigned_t) / len(unsigned_t))
            if order.index(p) >= K:
                below += 1
                small += len(r.tie[p]) <= K
            if details:
                print(
                    f"  {r.qid:<44} -> {p:<32} rank {order.index(p) + 1:>3}"
                    f"  |T| {len(r.tie[p]):>3}  |E| {len(r.equal[p]):>3}"
                    f"  outside T above {len(outside):>3}  ceiling {r.ceiling[0]:.2f}"
                    f"  mm {evaluation.ndcg_at(order, gains[r.qid], K):.2f}"
                )
    n = len(outside_counts)
    print(
        f"(query, partner) pairs: {n}; partner below 5th by matchmaker: {below}, of which "
        f"{small} have |T| <= 5 (the fields alone would put them in the top 5)"
    )
    print(
        f"pairs with a candidate outside T (worse on some field) ranked above the partner: "
        f"{outside_any} ({outside_any / n:.0%}); mean such candidates "
        f"{np.mean(outside_counts):.1f}"
    )
    print(f"  what they fall short on: {dict(short_on.most_common())}")
    print(
        f"matchmaker puts the partner above each unsigned member of its T at a mean rate of "
        f"{np.mean(wins):.2f} over {len(wins)} pairs (0.50 = a coin toss); above all of them "
        f"in {sum(w == 1 for w in wins)}"
    )
    first = sum(gains[r.qid].get(mm[r.qid][0], 0) >= 1 for r in rows if mm[r.qid])
    alone_t = sum(any(len(r.tie[p]) == 1 for p in r.partners) for r in rows)
    alone_e = sum(any(len(r.equal[p]) == 1 for p in r.partners) for r in rows)
    share = first / len(rows)
    print(
        f"queries with a partner first: matchmaker {first} of {len(rows)} ({share:.0%});"
        f" a partner alone in its T: {alone_t}, alone in its E: {alone_e}"
    )
    print(
        "MRR >= 0.85 needs a partner first in >= 70% of queries (otherwise 1/rank <= 1/2);"
        " nDCG@5 >= 0.85 needs the partner first in >= 59% of one-partner queries"
        " (otherwise nDCG@5 <= 1/log2(3) = 0.63)"
    )


def distractor_triples(ds: DealSet) -> list[tuple[JudgedQuery, str, str]]:
    """(query of the other party, partner p, distractor d) for each batch-c deal's distractors."""
    by_id = {p.id: p for p in ds.profiles}
    signed = {(r["kr_id"], r["eu_id"]) for r in csv.DictReader(DEALS.open(encoding="utf-8"))}
    triples = []
    for deal in csv.DictReader(DEALS.open(encoding="utf-8")):
        for d in deal["distractors"].split():
            korean = by_id[d].country == "KR"
            partner, query = (
                (deal["kr_id"], deal["eu_id"]) if korean else (deal["eu_id"], deal["kr_id"])
            )
            if (d, query) in signed or (query, d) in signed:
                continue  # the distractor signed with the query in another deal
            q = JudgedQuery(
                f"distractor-{deal['deal_id']}-{d}",
                "KR" if korean else "EU",
                {partner: 2},
                company=query,
            )
            triples.append((q, partner, d))
    return triples


def report_distractors(ds: DealSet, triples, ranked: Rankings, reader: KindReader) -> None:
    """Part 3: does the ranker put the signed partner above its curated look-alikes?"""
    n = len(triples)
    in_t = [d in ties.dominating(reader.kinds(q), p) for q, p, d in triples]
    in_e = [d in ties.equal_kind(reader.kinds(q), p) for q, p, d in triples]
    print(f"\n### Curated distractors (deals.csv, batch c): {n} (query, partner, distractor)\n")
    print(
        f"distractor in the partner's tie set T: {sum(in_t)} of {n}; "
        f"exactly its kind (E): {sum(in_e)}\n"
    )
    print("| system | distractor above the partner | of those in T |\n|---|---|---|")
    for name, runs in ranked.by_system.items():
        above = [runs[q.qid].index(d) < runs[q.qid].index(p) for q, p, d in triples]
        in_tie = sum(a and t for a, t in zip(above, in_t, strict=True))
        print(f"| {name} | {sum(above)} of {n} ({sum(above) / n:.0%}) | {in_tie} of {sum(in_t)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-ranker", action="store_true", help="fields only: no model, seconds")
    parser.add_argument(
        "--infer-fields",
        action="store_true",
        help="strip the curated fields and read them from text first",
    )
    parser.add_argument("--details", action="store_true", help="one line per (query, partner)")
    parser.add_argument("--rankings", help="JSON file to keep the systems' rankings in and reuse")
    args = parser.parse_args()
    if args.infer_fields:
        print("(curated roles, markets, areas and product types stripped and read from text)")

    @functools.cache
    def embedder():
        from matchmaker import engine

        return engine.make_embedder()

    for ds in load_sets(args.infer_fields):
        for warning in ds.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        reader, reader_lic = KindReader(ds.profiles), KindReader(ds.profiles, licensing=True)
        rows = [query_ceiling(reader, q) for q in ds.queries]
        reader_roles = KindReader(ds.profiles, focus=False)
        report_fields(
            ds,
            rows,
            [query_ceiling(reader_lic, q) for q in ds.queries],
            [query_ceiling(reader_roles, q) for q in ds.queries],
        )
        if args.no_ranker:
            continue
        triples = distractor_triples(ds) if "batch c" in ds.title else []
        ranked = cached_rankings(ds, embedder, [q for q, _, _ in triples], args.rankings)
        report_ranker(ds, rows, ranked, args.details)
        if triples:
            report_distractors(ds, triples, ranked, reader)


if __name__ == "__main__":
    main()
