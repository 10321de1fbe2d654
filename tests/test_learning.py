"""Learning to rank from outcomes: fit/predict contract, held-out folds, saving, use in search."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from matchmaker import engine, learning, training

# Outcomes on the fictional mini set (tests/fixtures/mini.jsonl): who partnered with whom.
OUTCOMES = {
    "baltic-generics": {"seoul-pharma-distribution": 2, "han-generics": 0},
    "riga-clinical-research": {"busan-biologics": 2, "incheon-diagnostics": 1},
    "seoul-pharma-distribution": {"baltic-generics": 2, "daugava-lab-supply": 1},
}


@pytest.fixture
def examples(mini_profiles, hashing_embedder) -> list[learning.Example]:
    ranker = engine.fit_in_memory(mini_profiles, hashing_embedder)
    found = []
    for n in range(3):  # repeated so that folds have something to learn from
        for company, gains in OUTCOMES.items():
            if company not in ranker.index_:
                continue
            a = ranker.index_[company]
            other = "KR" if ranker.profiles_[a].country == "LV" else "LV"
            pool = np.flatnonzero(ranker.countries_ == other)
            group, qid = f"g{n}-{company}", f"mini:{n}-{company}"
            found.append(learning.build_example(ranker, group, qid, company, pool, gains))
    assert found, "the mini set must hold the outcome companies"
    return found


def test_predict_before_fit_raises():
    with pytest.raises(NotFittedError, match="fit"):
        learning.LearnedRanker().predict(np.zeros((2, len(learning.feature_names()))))


def test_the_learned_ranker_is_a_scikit_learn_estimator(tmp_path):
    """Parameters only in the constructor, fitted state in ``model_``, save refused unfitted."""
    ranker = learning.LearnedRanker(num_leaves=5)
    assert ranker.get_params()["num_leaves"] == 5
    assert not [name for name in vars(ranker) if name.endswith("_")]
    with pytest.raises(NotFittedError):
        ranker.save(tmp_path / "model.lgb", {})
    assert not (tmp_path / "model.lgb").exists()


def test_features_have_a_name_each(examples):
    assert all(e.features.shape[1] == len(learning.feature_names()) for e in examples)


def test_the_constructor_only_stores_parameters():
    model = learning.LearnedRanker(n_estimators=5)
    assert "model_" not in vars(model) and model.n_estimators == 5


def test_cross_validation_reports_learned_and_fixed_side_by_side(examples):
    report = training.cross_validate(examples, folds=2, n_estimators=10, min_child_samples=1)
    assert set(report) == {"mini"}
    assert set(report["mini"]) == {"learned", "fixed"}
    assert all(0.0 <= v <= 1.0 for v in report["mini"].values())


def test_a_saved_model_predicts_the_same_and_records_its_origin(examples, tmp_path):
    model = learning.LearnedRanker(n_estimators=10, min_child_samples=1).fit(examples)
    path = tmp_path / "m.lgb"
    model.save(path, {"use": True, "data": ["mini"], "embedder": "hashing-v1"})
    loaded, meta = learning.LearnedRanker.load(path)
    x = examples[0].features
    assert np.allclose(loaded.predict(x), model.predict(x))
    assert meta["data"] == ["mini"] and meta["features"] == learning.feature_names()
    assert "trained_at" in meta and "commit" in meta
    assert learning.load_if_better(path, "hashing-v1") is not None


def test_a_model_that_lost_held_out_is_not_used(examples, tmp_path):
    path = tmp_path / "m.lgb"
    learning.LearnedRanker(n_estimators=5, min_child_samples=1).fit(examples).save(
        path, {"use": False, "embedder": "hashing-v1"}
    )
    assert learning.load_if_better(path, "hashing-v1") is None
    assert learning.load_if_better(tmp_path / "missing.lgb", "hashing-v1") is None


def test_a_model_for_other_features_is_refused(examples, tmp_path):
    path = tmp_path / "m.lgb"
    learning.LearnedRanker(n_estimators=5, min_child_samples=1).fit(examples).save(
        path, {"use": True}
    )
    meta = json.loads(path.with_suffix(".json").read_text())
    meta["features"] = meta["features"][:-1]
    path.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="other features"):
        learning.LearnedRanker.load(path)


def test_search_orders_by_the_learned_score_and_parts_still_add_up(
    examples, mini_profiles, hashing_embedder
):
    model = learning.LearnedRanker(n_estimators=10, min_child_samples=1).fit(examples)
    ranker = engine.fit_in_memory(mini_profiles, hashing_embedder, learned=model)
    results = ranker.match("baltic-generics", top=10)
    scores = [m.score for m in results]
    assert scores == sorted(scores, reverse=True)
    for m in results:
        assert "learned" in m.score_parts
        assert m.score == pytest.approx(sum(m.score_parts.values()), abs=1e-3)


def _save_usable(examples, path, embedder="hashing-v1", drop_last_feature=False):
    """A model that beat the fixed weights, saved for embedder ``embedder``."""
    if drop_last_feature:  # a booster narrower than the features its record names
        examples = [replace(e, features=e.features[:, :-1]) for e in examples]
    model = learning.LearnedRanker(n_estimators=5, min_child_samples=1).fit(examples)
    model.save(path, {"use": True, "embedder": embedder})


@pytest.mark.parametrize("damage", ["model", "record", "features", "width", "embedder"])
def test_a_model_that_cannot_serve_is_skipped_with_a_warning(examples, tmp_path, caplog, damage):
    """Search falls back to the fixed weights instead of failing on every request."""
    path = tmp_path / "m.lgb"
    _save_usable(
        examples,
        path,
        embedder="other-model" if damage == "embedder" else "hashing-v1",
        drop_last_feature=damage == "width",
    )
    record = path.with_suffix(".json")
    if damage == "model":
        path.write_text("not a model\n")
    elif damage == "record":
        record.write_text("{")
    elif damage == "features":
        meta = json.loads(record.read_text())
        record.write_text(json.dumps(meta | {"features": meta["features"][:-1]}))
    assert learning.load_if_better(path, "hashing-v1") is None
    assert "fixed weights" in caplog.text and "matchmaker train" in caplog.text


def test_a_usable_model_is_loaded_for_its_own_embedder(examples, tmp_path):
    path = tmp_path / "m.lgb"
    _save_usable(examples, path)
    assert learning.load_if_better(path, "hashing-v1") is not None


def test_no_fold_trains_on_a_pair_it_scores_from_the_other_side(hashing_embedder):
    """A deal is labelled from both parties' queries, and a company may be queried in
    two sets (Seegene: real deals and judged set A). No fold may train on a pair whose
    other side it scores, nor on the same company's query in another set."""
    root = Path(__file__).parents[1]
    deals, judged = root / "eval/deals", root / "eval/partner_judgements.jsonl"
    sets = [
        ("deals", str(deals / "judgements.jsonl"), str(deals / "profiles.jsonl")),
        ("A", str(judged), str(root / "data/companies.jsonl")),
    ]
    examples = training.examples_from_sets(sets, hashing_embedder)
    mirrored = 0
    for trained, held_out in training.folds_by_query(examples, folds=5):
        tested = {examples[i].company for i in held_out}
        assert not tested & {e.company for e in trained}
        assert all(not tested & set(e.candidates) for e in trained)
        assert all(len(e.candidates) == len(e.features) == len(e.grades) for e in trained)
        mirrored += sum(
            1 for i in held_out for e in examples if e.company in examples[i].candidates
        )
    assert mirrored > 0, "the sets hold deals seen from both sides"
