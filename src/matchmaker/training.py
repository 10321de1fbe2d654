"""Training the learned partner ranker: examples from labelled sets, folds, figures.

This is the operations side of :mod:`learning` (which holds the model and its
features and imports nothing above ranking): it fits rankers on evaluation
pools, reads labelled sets and scores folds with the evaluation metrics.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupKFold

from .engine import fit_in_memory
from .evaluation import load_judgements, ndcg_at
from .importing import parse_file
from .learning import Example, LearnedRanker, build_example, file_digest
from .ranking import PartnerRanker
from .roles import region_countries


def ndcg5(scores: np.ndarray, example: Example) -> float:

    order = np.argsort(-scores, kind="stable")
    ranked = [example.candidates[i] for i in order]
    gains = {c: int(g) for c, g in zip(example.candidates, example.grades, strict=True) if g}
    return ndcg_at(ranked, gains, 5)


def folds_by_query(
    examples: Sequence[Example], folds: int = 5
) -> Iterator[tuple[list[Example], list[int]]]:
    """Training examples and held-out example indices of each fold.

    Folds split by ``group``, so no query (nor its twin in a second annotator's
    set) is scored by a model that trained on it. A pair is also labelled from
    both sides: a deal puts Y at grade 2 in X's query and X in Y's. So the
    training queries lose their rows for every company whose own query is held
    out; otherwise the model would score a deal it was trained on.
    """
    groups = np.array([e.group for e in examples])
    for train, test in GroupKFold(folds).split(np.zeros(len(examples)), groups=groups):
        tested = {examples[i].company for i in test}
        yield [examples[i].without(tested) for i in train], [int(i) for i in test]


def cross_validate(
    examples: Sequence[Example], folds: int = 5, **params
) -> dict[str, dict[str, float]]:
    """Held-out nDCG@5 per query set (qid prefix) for the learned and the fixed ranker.

    Each query is scored by a model that never saw it nor its pairs (:func:`folds_by_query`).
    """
    learned = np.zeros(len(examples))
    for training, held_out in folds_by_query(examples, folds):
        model = LearnedRanker(**params).fit(training)
        for i in held_out:
            learned[i] = ndcg5(model.predict(examples[i].features), examples[i])
    fixed = np.array([ndcg5(e.fixed_scores, e) for e in examples])
    report: dict[str, dict[str, float]] = {}
    for name in sorted({e.qid.split(":")[0] for e in examples}):
        rows = [i for i, e in enumerate(examples) if e.qid.split(":")[0] == name]
        report[name] = {"learned": float(learned[rows].mean()), "fixed": float(fixed[rows].mean())}
    return report


def examples_from_sets(sets: Sequence[tuple[str, str, str]], embedder) -> list[Example]:
    """Company queries of labelled sets ``(name, judgements, pool)`` as training examples.

    Each pool is fitted once with the fixed weights (never with a learned model,
    so the features do not depend on an earlier training). A query's group is its
    company, so two annotators' grades of one query, and one company queried in
    two sets, share a fold.
    """

    fitted: dict[str, PartnerRanker] = {}
    examples = []
    for name, judged, pool in sets:
        if pool not in fitted:
            profiles = parse_file(pool, any_european=True).profiles
            fitted[pool] = fit_in_memory(profiles, embedder)
        ranker = fitted[pool]
        for q in load_judgements(judged):
            if not q.company or q.company not in ranker.index_:
                continue
            region = region_countries(q.target_country)
            rows = np.array(
                [
                    i
                    for i, p in enumerate(ranker.profiles_)
                    if p.country in region and p.id != q.company
                ]
            )
            qid = f"{name}:{q.qid}"
            examples.append(build_example(ranker, q.company, qid, q.company, rows, q.gains))
    return examples


def train(
    sets: Sequence[tuple[str, str, str]], embedder, out: str | Path
) -> dict[str, dict[str, float]]:
    """Cross-validate, fit on everything and save; the file says whether to use it.

    The model is used only if it beats the fixed weights held out on every set.
    """
    examples = examples_from_sets(sets, embedder)
    report = cross_validate(examples)
    model = LearnedRanker().fit(examples)
    in_sample = {}
    for name in report:
        rows = [e for e in examples if e.qid.split(":")[0] == name]
        in_sample[name] = float(np.mean([ndcg5(model.predict(e.features), e) for e in rows]))
        report[name]["in_sample"] = in_sample[name]
    use = all(r["learned"] > r["fixed"] for r in report.values())
    record = {
        "use": use,
        "embedder": embedder.model_id,
        "params": vars(LearnedRanker()),
        "queries": len(examples),
        "data": [
            {"set": name, "judgements": j, "pool": p, "sha256": [file_digest(j), file_digest(p)]}
            for name, j, p in sets
        ],
        "cross_validated_ndcg5": report,
    }
    model.save(out, record)
    return report
