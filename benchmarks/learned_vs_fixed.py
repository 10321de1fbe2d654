"""Does learning from outcomes beat the fixed weights on queries it never saw?

    PYTHONPATH=src .venv/bin/python benchmarks/learned_vs_fixed.py

Company queries of all three labelled sets (real deals, judged sets A and B) are
split into five folds by query company (training.folds_by_query: a held-out
company's mirrored rows leave training too). Each fold is scored by a model that
never saw it, next to the fixed weights on the same queries. Three learners:

* LambdaMART as shipped (``learning.LearnedRanker``: 200 trees, 7 leaves);
* a small, strongly regularised LambdaMART (50 trees, 3 leaves, monotone: every
  standardised signal may only raise the score, the competitor term only lower it);
* a pairwise logistic regression on the per-query standardised signals (RankSVM
  style: one example per (better, worse) pair of one query, no intercept, L2),
  i.e. a learned version of the fixed weights with 8 numbers.

Both conditions are measured: (a) curated roles, markets, areas and product types,
(b) all of them stripped and read from text (the hidden-set case). The figures go
to docs/ranking.md; nothing here changes what search uses.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from matchmaker import engine, evaluation
from matchmaker.cli.evaluate import EVAL_SETS
from matchmaker.importing import parse_file
from matchmaker.learning import Example, LearnedRanker, build_example
from matchmaker.roles import region_countries
from matchmaker.training import folds_by_query, ndcg5

#: the per-query standardised signals the fixed weights combine, as columns of the examples
SIGNALS = (
    "reciprocal", "lexical", "partnership", "roles", "market", "focus", "licensing", "competitor"
)


def cached_encoder(embedder, preload: str | None = None):
    """Encode each text once per run: both conditions embed the same texts.

    ``preload``: a pickled {text: vector} of this embedder from an earlier run.
    """
    cache: dict[str, np.ndarray] = {}
    if preload and Path(preload).is_file():
        cache.update(pickle.loads(Path(preload).read_bytes()))
    encode = embedder.encode

    def encode_once(texts):
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        if missing:
            cache.update(zip(missing, encode(missing), strict=True))
        return np.vstack([cache[t] for t in texts]) if texts else encode(texts)

    embedder.encode = encode_once
    return embedder


def examples(embedder, infer: bool) -> list[Example]:
    """Company queries of every set; features = shipped features + the fixed signal parts."""
    out = []
    fitted = {}
    for name, judged, pool in EVAL_SETS:
        if pool not in fitted:
            profiles = parse_file(pool, any_european=True).profiles
            if infer:
                profiles = evaluation.without_vocabulary_fields(profiles)
            fitted[pool] = engine.fit_in_memory(profiles, embedder)
        ranker = fitted[pool]
        for q in evaluation.load_judgements(judged):
            if not q.company:
                continue
            region = region_countries(q.target_country)
            rows = np.array(
                [
                    i
                    for i, p in enumerate(ranker.profiles_)
                    if p.country in region and p.id != q.company
                ]
            )
            e = build_example(ranker, q.company, f"{name}:{q.qid}", q.company, rows, q.gains)
            parts = ranker.partner_signals(ranker.index_[q.company], rows)
            signals = np.column_stack([parts[s] for s in SIGNALS])
            e.features = np.column_stack([e.features, signals])
            out.append(e)
    return out


class PairwiseLogistic:
    """Weights for the standardised signals, learned from (better, worse) pairs of one query."""

    def __init__(self, c: float = 0.1):
        self.c = c

    def fit(self, train: list[Example]) -> PairwiseLogistic:
        diffs, labels = [], []
        for e in train:
            x = e.features[:, -len(SIGNALS):]
            better = np.flatnonzero(e.grades > 0)
            for i in better:
                worse = np.flatnonzero(e.grades < e.grades[i])
                d = x[i] - x[worse]
                diffs += [d, -d]
                labels += [np.ones(len(d)), np.zeros(len(d))]
        model = LogisticRegression(C=self.c, fit_intercept=False, max_iter=1000)
        model.fit(np.vstack(diffs), np.concatenate(labels))
        self.coef_ = model.coef_[0]
        return self

    def predict(self, features: np.ndarray) -> np.ndarray:
        return features[:, -len(SIGNALS):] @ self.coef_


class SmallMonotoneGBM(LearnedRanker):
    """LambdaMART over the standardised signals only, small and monotone."""

    def fit(self, train: list[Example]) -> SmallMonotoneGBM:
        from lightgbm import LGBMRanker

        self.model_ = LGBMRanker(
            objective="lambdarank", n_estimators=50, learning_rate=0.05, num_leaves=3,
            min_child_samples=50, monotone_constraints=[1] * len(SIGNALS),
            random_state=0, verbose=-1, n_jobs=1,
        )
        self.model_.fit(
            np.vstack([e.features[:, -len(SIGNALS):] for e in train]),
            np.concatenate([e.grades for e in train]),
            group=[len(e.candidates) for e in train],
        )
        return self

    def predict(self, features: np.ndarray) -> np.ndarray:
        return np.asarray(self.model_.predict(features[:, -len(SIGNALS):]), dtype=float)


class ShippedGBM(LearnedRanker):
    """The shipped LambdaMART on the shipped features (the signal parts left out)."""

    def fit(self, train: list[Example]) -> ShippedGBM:
        stripped = [_without_signals(e) for e in train]
        return super().fit(stripped)

    def predict(self, features: np.ndarray) -> np.ndarray:
        return super().predict(features[:, : -len(SIGNALS)])


def _without_signals(e: Example) -> Example:
    from dataclasses import replace

    return replace(e, features=e.features[:, : -len(SIGNALS)])


LEARNERS = {
    "LambdaMART as shipped": ShippedGBM,
    "small monotone LambdaMART": SmallMonotoneGBM,
    "pairwise logistic (C=0.1)": PairwiseLogistic,
}


def measure(exs: list[Example]) -> dict[str, dict[str, tuple[float, float]]]:
    """Per learner and set: (held-out nDCG@5, in-sample nDCG@5); plus the fixed weights."""
    sets = sorted({e.qid.split(":")[0] for e in exs})
    result: dict[str, dict[str, tuple[float, float]]] = {}
    fixed = {s: float(np.mean([ndcg5(e.fixed_scores, e) for e in exs if e.qid.startswith(s)]))
             for s in sets}
    result["fixed weights"] = {s: (fixed[s], fixed[s]) for s in sets}
    for label, learner in LEARNERS.items():
        held = np.zeros(len(exs))
        for train, test in folds_by_query(exs):
            model = learner().fit(train)
            for i in test:
                held[i] = ndcg5(model.predict(exs[i].features), exs[i])
        full = learner().fit(exs)
        inside = np.array([ndcg5(full.predict(e.features), e) for e in exs])
        result[label] = {
            s: (float(held[[e.qid.startswith(s) for e in exs]].mean()),
                float(inside[[e.qid.startswith(s) for e in exs]].mean()))
            for s in sets
        }
        if isinstance(full, PairwiseLogistic):
            print(f"  pairwise weights: {dict(zip(SIGNALS, np.round(full.coef_, 2), strict=True))}")
    return result


def main() -> None:
    embedder = cached_encoder(engine.make_embedder(), sys.argv[1] if len(sys.argv) > 1 else None)
    for infer in (False, True):
        exs = examples(embedder, infer)
        condition = "(b) fields read from text" if infer else "(a) curated fields"
        print(f"\n{condition}: nDCG@5 of company queries, held out (5 folds) / in-sample")
        table = measure(exs)
        sets = list(next(iter(table.values())))
        print(f"{'':<28}" + "".join(f"{s:>26}" for s in sets))
        for label, row in table.items():
            print(f"{label:<28}" + "".join(f"{row[s][0]:>17.3f} / {row[s][1]:.3f}" for s in sets))


if __name__ == "__main__":
    main()
