"""Why the real partner is not in the top 5: one main cause per missed real-deal query.

    PYTHONPATH=src .venv/bin/python benchmarks/deal_failures.py [--infer-fields] [--details]

For every query of eval/deals whose signed partner ranks below 5th, the score parts
(``score_parts``, what each signal added) of the partner are compared with those of
the 5th-ranked candidate, the one it would have to pass. The signal with the largest
deficit is the main cause, read as:

* ``roles``: the partner plays no role the query looks for, or the query none the
  partner looks for, while the candidates above do (often a role not read from text);
* ``market``: neither side's markets reach the other;
* ``competitor``: the partner was held back as a look-alike;
* ``focus``: same roles, the candidates above share more disease areas / product types;
* ``reciprocal`` / ``lexical`` / ``partnership``: only the texts separate them (the
  partner's offers and seeks meet the query's less well than those of look-alikes of
  the same kind).

A partner profile in the shortest quarter of the pool (words of description, offers
and seeks) is also counted as *thin*.
``--infer-fields`` strips every curated vocabulary field first (the hidden-set case).
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np

from matchmaker import engine, evaluation
from matchmaker.importing import parse_file
from matchmaker.ranking import Filters
from matchmaker.role_inference import effective_fields

try:  # run as a script, benchmarks/ is on the path; imported, it is a package
    from learned_vs_fixed import cached_encoder
except ImportError:
    from benchmarks.learned_vs_fixed import cached_encoder

JUDGED, POOL = "eval/deals/judgements.jsonl", "eval/deals/profiles.jsonl"


def words(profile) -> int:
    return len(f"{profile.description} {profile.offers} {profile.seeks}".split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--infer-fields", action="store_true")
    parser.add_argument("--details", action="store_true", help="one line per missed query")
    parser.add_argument("--vectors", help="pickled {text: vector} of an earlier run, to reuse")
    args = parser.parse_args()
    profiles = parse_file(POOL, any_european=True).profiles
    if args.infer_fields:
        profiles = evaluation.without_vocabulary_fields(profiles)
    by_id = {p.id: p for p in profiles}
    embedder = cached_encoder(engine.make_embedder(), args.vectors)
    ranker = engine.fit_in_memory(profiles, embedder)
    thin_below = float(np.percentile([words(p) for p in profiles], 25))
    causes: Counter = Counter()
    thin = missed = 0
    for q in evaluation.load_judgements(JUDGED):
        matches = ranker.match(q.company, top=len(profiles), filters=Filters(q.target_country))
        ranked = [m.id for m in matches]
        partners = [p for p in q.gains if p in ranked]
        best = min(partners, key=ranked.index)
        if ranked.index(best) < 5:
            continue
        missed += 1
        mine, fifth = matches[ranked.index(best)].score_parts, matches[4].score_parts
        gap = {k: fifth.get(k, 0.0) - mine.get(k, 0.0) for k in fifth}
        cause = max(gap, key=gap.get)
        causes[cause] += 1
        is_thin = words(by_id[best]) < thin_below
        thin += is_thin
        if args.details:
            q_f, p_f = effective_fields(by_id[q.company]), effective_fields(by_id[best])
            print(
                f"{q.company:<28} -> {best:<28} rank {ranked.index(best) + 1:>3}  cause {cause:<11}"
                f" gap {gap[cause]:.2f}  query {','.join(q_f.roles)} wants "
                f"{','.join(q_f.partner_roles[:4])} | partner {','.join(p_f.roles)} wants "
                f"{','.join(p_f.partner_roles[:4])}{'  THIN' if is_thin else ''}"
            )
    condition = "fields read from text" if args.infer_fields else "curated fields"
    print(f"\nreal deals, {condition}: partner below 5th in {missed} of queries")
    for cause, n in causes.most_common():
        print(f"  {cause:<12} {n}")
    print(f"  (partner profile in the shortest quarter, under {thin_below:.0f} words: {thin})")


if __name__ == "__main__":
    main()
