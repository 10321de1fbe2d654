"""Learning to rank partners from outcomes: real deals, labelled sets and staff grades.

The fixed weights (:class:`ranking.Weights`) combine the ranker's signals by hand.
Outcomes say more: a signed deal, a staff grade. :class:`LearnedRanker` fits
LightGBM's LambdaMART (``LGBMRanker(objective="lambdarank")``) on the ranker's raw
evidence for every judged (query, candidate) pair, plus what each side *is*
(its roles), so it can learn that drug developers sign with pharma companies.

It follows scikit-learn's conventions: the constructor stores parameters,
``fit`` sets attributes ending in ``_``, ``predict`` raises
:class:`sklearn.exceptions.NotFittedError` before it. :func:`cross_validate`
scores it only on query groups it never saw (``GroupKFold``), next to the fixed
weights on the same folds, so the caller can keep whichever wins held out.
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .estimator import Estimator, check_fitted
from .ranking import PartnerRanker
from .ranking.signals import harmonic, no_role_fit, standardise
from .roles import ROLES

log = logging.getLogger(__name__)

#: raw signals read from PartnerRanker.partner_evidence, in feature order
EVIDENCE = (
    "need_fit",
    "offer_fit",
    "lexical",
    "partnership",
    "offers_alike",
    "seeks_alike",
    "role_need",
    "role_offer",
    "market",
)


@dataclass
class Example:
    """One judged query: its features for every candidate, and the grades (0 if unjudged)."""

    group: str  # queries sharing a group are never split across folds
    qid: str
    candidates: list[str]
    features: np.ndarray
    grades: np.ndarray
    fixed_scores: np.ndarray  # the fixed weights' scores, for a fair comparison
    company: str = ""  # the query company's id

    def without(self, companies: set[str]) -> Example:
        """This query without its rows for ``companies`` (see :func:`folds_by_query`)."""
        keep = np.array([c not in companies for c in self.candidates], dtype=bool)
        return replace(
            self,
            candidates=[c for c, k in zip(self.candidates, keep, strict=True) if k],
            features=self.features[keep],
            grades=self.grades[keep],
            fixed_scores=self.fixed_scores[keep],
        )


def feature_names() -> list[str]:
    roles = list(ROLES)
    return [
        *EVIDENCE,
        *(f"z_{name}" for name in EVIDENCE),
        "z_reciprocal",
        "rival",
        *(f"query_is_{r}" for r in roles),
        *(f"candidate_is_{r}" for r in roles),
    ]


def partner_features(ranker: PartnerRanker, a: int, pool: np.ndarray) -> np.ndarray:
    """Features of candidates ``pool`` for company a: raw and per-query standardised signals."""
    raw = ranker.partner_evidence(a, pool)
    columns = [np.asarray(raw[name], dtype=float) for name in EVIDENCE]
    columns += [standardise(c) for c in columns]
    columns.append(standardise(harmonic(raw["need_fit"], raw["offer_fit"])))
    alike = np.sqrt(raw["offers_alike"] * raw["seeks_alike"])
    columns.append(standardise(alike) * no_role_fit(raw))
    roles = ranker.role_fit_.roles_
    own = np.repeat(roles[a : a + 1], len(pool), axis=0)
    return np.column_stack([*columns, own, roles[pool]])


def build_example(
    ranker: PartnerRanker, group: str, qid: str, company: str, pool: np.ndarray, gains: dict
) -> Example:
    a = ranker.index_[company]
    ids = [ranker.profiles_[b].id for b in pool]
    fixed = sum(ranker.partner_signals(a, pool).values())
    return Example(
        group=group,
        qid=qid,
        candidates=ids,
        features=partner_features(ranker, a, pool),
        grades=np.array([gains.get(cid, 0) for cid in ids]),
        fixed_scores=np.asarray(fixed, dtype=float),
        company=company,
    )


class LearnedRanker(Estimator):
    """LambdaMART over the ranker's signals; scores candidates of one query at a time.

    A scikit-learn estimator: the constructor only stores parameters (so
    ``get_params`` and ``repr`` show them), ``fit`` (or ``load``) sets ``model_``,
    and ``NotFittedError`` refuses to predict or save before that (:mod:`estimator`:
    importing this module imports neither scikit-learn nor LightGBM).
    """

    def __init__(
        self,
        n_estimators: int = 200,
        learning_rate: float = 0.05,
        num_leaves: int = 7,
        min_child_samples: int = 20,
        seed: int = 0,
    ):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.seed = seed

    def fit(self, examples: Sequence[Example]) -> LearnedRanker:
        from lightgbm import LGBMRanker

        self.model_ = LGBMRanker(
            objective="lambdarank",
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            random_state=self.seed,
            verbose=-1,
            n_jobs=1,
        )
        self.model_.fit(
            np.vstack([e.features for e in examples]),
            np.concatenate([e.grades for e in examples]),
            group=[len(e.candidates) for e in examples],
        )
        return self

    def predict(self, features: np.ndarray) -> np.ndarray:
        check_fitted(self, "model_")
        return np.asarray(self.model_.predict(features), dtype=float)

    def score(self, ranker: PartnerRanker, a: int, pool: np.ndarray) -> np.ndarray:
        """The learned score of candidates ``pool`` for company a (what PartnerRanker calls)."""
        return self.predict(partner_features(ranker, a, pool))

    def save(self, path: str | Path, record: dict) -> None:
        """Write the model and, beside it (.json), its data, commit and figures."""
        check_fitted(self, "model_")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        booster = self.model_.booster_ if hasattr(self.model_, "booster_") else self.model_
        booster.save_model(str(path))
        meta = record | {"features": feature_names(), "trained_at": _now(), "commit": _commit()}
        path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> tuple[LearnedRanker, dict]:
        """A saved model and its record; ValueError if it was built for other features."""
        from lightgbm import Booster

        path = Path(path)
        meta = read_record(path)
        model = cls()
        model.model_ = Booster(model_file=str(path))
        if model.model_.num_feature() != len(meta["features"]):
            raise ValueError(f"{path} does not match its record {path.with_suffix('.json')}")
        return model, meta


def load_if_better(path: str | Path, model_id: str) -> LearnedRanker | None:
    """The saved model when it beat the fixed weights on held-out queries, else None.

    ``model_id`` is the embedder searches use: the model learned from signals of
    one embedding model and means nothing on another's. A file that cannot serve
    (damaged, other features, other embedder) is skipped with a warning, so
    search falls back to the fixed weights instead of failing on every request.
    The record (.json) is read first: a model that is not to be used is never
    loaded, so a search with the fixed weights never imports LightGBM.
    """
    path = Path(path)
    if not path.is_file() or not path.with_suffix(".json").is_file():
        return None
    try:
        meta = read_record(path)
        if not meta.get("use"):  # lost to the fixed weights held out: nothing to warn about
            return None
        if meta.get("embedder") != model_id:
            raise ValueError(f"{path} was trained for embedder {meta.get('embedder')!r}")
        from lightgbm.basic import LightGBMError

        try:
            model, meta = LearnedRanker.load(path)
        except LightGBMError as exc:
            raise ValueError(str(exc)) from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("partner ranking uses the fixed weights (run 'matchmaker train'): %s", exc)
        return None
    return model


def read_record(path: str | Path) -> dict:
    """The record (.json) beside a saved model; ValueError if it was built for other features."""
    path = Path(path)
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    if not isinstance(meta, dict) or meta.get("features") != feature_names():
        raise ValueError(f"{path} was trained on other features; run 'matchmaker train'")
    return meta


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        )
    except OSError:
        return None
    return done.stdout.strip() or None


def file_digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
