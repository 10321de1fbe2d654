"""How far could re-weighting matchmaker's signals go on the labelled sets?

Run from the repository root::

    .venv/bin/python benchmarks/signal_ceiling.py      # about a minute

For every labelled query this takes exactly what the ranker measures
(``PartnerRanker.partner_evidence`` and ``text_evidence``), standardises each
signal over the query's candidates as the ranker does, adds the two baselines'
own signals (whole-profile BM25 is already the ranker's lexical signal;
whole-profile MiniLM cosine) and the share of shared sectors, and prints
nDCG@5 on both annotators' sets for:

1. each signal alone;
2. the shipped weights (what ``matchmaker eval`` prints);
3. the best weights that coordinate ascent finds on one set, scored on that
   set (in-sample: an upper bound for any linear weighting of these signals)
   and on the other set;
4. leave-one-query-out: weights found on the other 35 queries, scored on the
   one left out (what re-weighting would honestly gain);
5. one annotator's grades used as a ranking and judged by the other annotator's:
   what a careful reader of the same profiles reaches.

The point is the gap between 3 and 5: when the best weighting of every signal
stays far below what a reader reaches, the missing part is information the
signals do not carry, not a better choice of weights. Nothing here is used by
the ranker.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `benchmarks.scale` importable
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.scale import _section, _table  # noqa: E402
from matchmaker import engine, evaluation  # noqa: E402
from matchmaker.importing import parse_file  # noqa: E402
from matchmaker.ranking import Weights, parse_text_query  # noqa: E402
from matchmaker.ranking.signals import above_average, harmonic, standardise  # noqa: E402
from matchmaker.texts import matching_phrases  # noqa: E402

SIGNALS = [
    "fit",
    "need_fit",
    "offer_fit",
    "lexical",
    "partnership",
    "competitor",
    "dense",
    "sectors",
]
STEPS = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)


def signal_table(ranker, embedder, profiles, query: evaluation.JudgedQuery) -> tuple:
    """Candidate ids and a candidates x SIGNALS matrix of standardised signals.

    ``competitor`` is stored as a penalty (minus its above-average part), so every
    weight is non-negative. ``fit`` is the ranker's main signal: the harmonic mean
    of both directions, or for a text query without offers its weighted sum of
    "offers what is needed" and "seeks the same".
    """
    ids = [p.id for p in profiles]
    pool = np.array(
        [
            i
            for i, p in enumerate(profiles)
            if p.country == query.target_country and p.id != query.company
        ]
    )
    w = Weights()
    if query.company:
        a = ids.index(query.company)
        raw = ranker.partner_evidence(a, pool)
        fit = harmonic(raw["need_fit"], raw["offer_fit"])
        offer_fit = raw["offer_fit"]
        competitor = np.sqrt(raw["offers_alike"] * raw["seeks_alike"])
        query_vec = ranker.profile_vecs_[a]
        own_sectors = set(profiles[a].sectors)
    else:
        parsed = parse_text_query(query.text)
        vecs = embedder.encode(
            [query.text, *matching_phrases(parsed.needs), *matching_phrases(parsed.offers)]
        )
        needs, offers = vecs[1 : 1 + len(parsed.needs)], vecs[1 + len(parsed.needs) :]
        raw = ranker.text_evidence(query.text, needs, offers, pool)
        if len(offers):
            fit = harmonic(raw["need_fit"], raw["offer_fit"])
            offer_fit = raw["offer_fit"]
            competitor = np.sqrt(raw["offers_alike"] * raw["seek_fit"])
        else:
            fit = w.text_offers * raw["need_fit"] + w.text_seeks * raw["seek_fit"]
            offer_fit = raw["seek_fit"]
            competitor = np.zeros(len(pool))
        query_vec = vecs[0]
        own_sectors = set()
    sectors = np.array(
        [len(own_sectors & set(profiles[b].sectors)) / max(len(own_sectors), 1) for b in pool]
    )
    columns = {
        "fit": standardise(fit),
        "need_fit": standardise(raw["need_fit"]),
        "offer_fit": standardise(offer_fit),
        "lexical": standardise(raw["lexical"]),
        "partnership": standardise(raw.get("partnership", np.zeros(len(pool)))),
        "competitor": -above_average(competitor),
        "dense": standardise(ranker.profile_vecs_[pool] @ query_vec),
        "sectors": standardise(sectors),
    }
    return [ids[b] for b in pool], np.column_stack([columns[s] for s in SIGNALS])


class LabelledSignals:
    """Signals of every query, with each annotator's grades aligned to the candidates."""

    def __init__(self, tables: list[tuple], sets: dict[str, list[evaluation.JudgedQuery]]):
        self.features = [matrix for _, matrix in tables]
        self.grades = {
            name: [
                np.array([q.gains.get(cid, 0) for cid in cids])
                for (cids, _), q in zip(tables, queries, strict=True)
            ]
            for name, queries in sets.items()
        }

    def ndcg5(self, weights: np.ndarray, annotator: str, queries: Sequence[int]) -> float:
        return float(
            np.mean(
                [_ndcg5(self.features[i] @ weights, self.grades[annotator][i]) for i in queries]
            )
        )

    def best_weights(self, annotator: str, queries: Sequence[int], start: np.ndarray) -> np.ndarray:
        """Coordinate ascent over a grid of non-negative weights, three rounds."""
        weights = start.copy()
        for _ in range(3):
            for j in range(len(weights)):
                trials = [np.r_[weights[:j], step, weights[j + 1 :]] for step in STEPS]
                scores = [self.ndcg5(t, annotator, queries) if t.any() else -1 for t in trials]
                if max(scores) > self.ndcg5(weights, annotator, queries) + 1e-9:
                    weights = trials[int(np.argmax(scores))]
        return weights


def _ndcg5(scores: np.ndarray, grades: np.ndarray) -> float:
    """nDCG@5 as ``evaluation.ndcg_at`` computes it, on arrays (called ~10^5 times)."""
    gains = 2.0**grades - 1
    discounts = 1 / np.log2(np.arange(2, 7))
    top = gains[np.argsort(-scores, kind="stable")[:5]]
    ideal = np.sort(gains)[::-1][:5]
    best = ideal @ discounts[: len(ideal)]
    return float(top @ discounts[: len(top)] / best) if best else 0.0


def shipped_weights() -> np.ndarray:
    w = Weights()
    shipped = {
        "fit": w.reciprocal,
        "lexical": w.lexical,
        "partnership": w.partnership,
        "competitor": w.competitor,
    }
    return np.array([shipped.get(s, 0.0) for s in SIGNALS])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--first", default="eval/partner_judgements.jsonl")
    parser.add_argument("--second", default="eval/partner_judgements_b.jsonl")
    parser.add_argument("--profiles", default="data/companies.jsonl")
    parser.add_argument(
        "--model", default=None, help="model folder, or 'hashing' (figures then mean nothing)"
    )
    args = parser.parse_args(argv)

    profiles = parse_file(args.profiles).profiles
    embedder = engine.make_embedder(args.model)
    ranker = engine.fit_in_memory(profiles, embedder)
    sets = {
        "A": evaluation.load_judgements(args.first),
        "B": evaluation.load_judgements(args.second),
    }
    if [q.qid for q in sets["A"]] != [q.qid for q in sets["B"]]:
        raise SystemExit("the two sets must judge the same queries in the same order")
    tables = [signal_table(ranker, embedder, profiles, q) for q in sets["A"]]
    data = LabelledSignals(tables, sets)
    everyone = range(len(tables))
    shipped = shipped_weights()

    def row(label: str, weights: np.ndarray) -> list[str]:
        return [
            label,
            f"{data.ndcg5(weights, 'A', everyone):.3f}",
            f"{data.ndcg5(weights, 'B', everyone):.3f}",
        ]

    _section(f"nDCG@5 over {len(tables)} queries, {len(profiles)} profiles")
    rows = [row(f"{name} alone", np.eye(len(SIGNALS))[j]) for j, name in enumerate(SIGNALS)]
    rows.append(row("shipped weights", shipped))
    for annotator in ("A", "B"):
        best = data.best_weights(annotator, everyone, shipped)
        weights = ", ".join(f"{s} {v:g}" for s, v in zip(SIGNALS, best, strict=True) if v)
        rows.append(row(f"best weights on set {annotator} ({weights})", best))
    print(_table(["signals", "set A", "set B"], rows))

    _section("Leave one query out: weights found on the other queries")
    cells = []
    for annotator in ("A", "B"):
        held_out = [
            _ndcg5(
                data.features[i]
                @ data.best_weights(annotator, [j for j in everyone if j != i], shipped),
                data.grades[annotator][i],
            )
            for i in everyone
        ]
        cells.append(f"{np.mean(held_out):.3f}")
    print(_table(["", "set A", "set B"], [["held-out nDCG@5", *cells]]))

    _section("A careful reader: one annotator's grades as the ranking, judged by the other")
    rng = np.random.default_rng(0)
    agreement = []
    for ranking, judge in (("B", "A"), ("A", "B")):
        trials = [
            np.mean(
                [
                    _ndcg5(
                        data.grades[ranking][i] + rng.random(len(data.grades[ranking][i])),
                        data.grades[judge][i],
                    )
                    for i in everyone
                ]
            )
            for _ in range(20)
        ]
        agreement.append(
            [f"set {ranking}'s grades, judged by set {judge}", f"{np.mean(trials):.3f}"]
        )
    print(_table(["ranking (ties in random order, mean of 20)", "nDCG@5"], agreement))
    bm25 = data.ndcg5(np.eye(len(SIGNALS))[SIGNALS.index("lexical")], "A", everyone)
    print(f"\nTarget of issue #3: BM25 + 0.15 = {bm25 + 0.15:.3f} on set A.")


if __name__ == "__main__":
    main()
