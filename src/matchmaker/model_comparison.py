"""Which embedding model serves Latvian, Korean and English: measured side by side.

Issue 11's target is that a profile or need written in Korean or Latvian is
matched as well as the same one in English. ``eval/multilingual/`` holds our
labelled sets with their text translated (same queries, same grades), so each
system is scored twice, on the English set and on the translated one, in one
run: BM25, plain cosine and the full ranker for every candidate model, and a
*hybrid* cosine (MiniLM where both texts are English, e5 otherwise) that tells
whether keeping MiniLM for English pays.

A model's vectors of a text do not depend on the pool, so every text is
encoded once per model for all sets (:class:`CachedEmbedder`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .embedding import DEFAULT_MODEL_ID, E5_MODEL_NAME, Embedder, cutoffs_of, model_label
from .profiles import Profile

#: (title, English judgements, English pool, translated judgements, translated pool)
MULTILINGUAL_SETS = (
    (
        "set A",
        "eval/partner_judgements.jsonl",
        "data/companies.jsonl",
        "eval/multilingual/partner_judgements.jsonl",
        "eval/multilingual/profiles.jsonl",
    ),
    (
        "set B",
        "eval/partner_judgements_b.jsonl",
        "data/companies.jsonl",
        "eval/multilingual/partner_judgements_b.jsonl",
        "eval/multilingual/profiles.jsonl",
    ),
)

#: the models `matchmaker eval` compares by default
CANDIDATE_MODELS = (DEFAULT_MODEL_ID, E5_MODEL_NAME)

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LATVIAN = re.compile(r"[āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽ]")


def script_language(text: str) -> str:
    """'ko' for Hangul, 'lv' for Latvian diacritics, else 'en': enough to pick a model.

    Not a language detector (issue 11 asks for one per field, elsewhere): a
    Latvian sentence without a single diacritic would pass as English, and
    that errs towards MiniLM, the model that is better on English.
    """
    if _HANGUL.search(text):
        return "ko"
    if _LATVIAN.search(text):
        return "lv"
    return "en"


class CachedEmbedder:
    """An embedder that encodes each distinct text once (the pools share most texts)."""

    def __init__(self, inner: Embedder):
        self.inner = inner
        self.model_id = inner.model_id
        self.cutoffs = cutoffs_of(inner)
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            for text, vector in zip(missing, self.inner.encode(missing), strict=True):
                self._cache[text] = vector
        if not texts:
            return self.inner.encode([])
        return np.vstack([self._cache[t] for t in texts]).astype(np.float32, copy=False)


@dataclass
class ComparisonRow:
    """nDCG@5 of one system on one set, English and translated (same queries and grades)."""

    set_title: str
    system: str
    english: float
    multilingual: float

    def row(self) -> str:
        gap = self.multilingual - self.english
        return (
            f"{self.set_title:<7} {self.system:<34} {self.english:>7.3f} "
            f"{self.multilingual:>12.3f} {gap:>+7.3f}"
        )


HEADER = f"{'set':<7} {'system':<34} {'English':>7} {'multilingual':>12} {'gap':>7}"


def hybrid_ranking(
    evaluation, minilm: np.ndarray, e5: np.ndarray, languages: list[str], minilm_query, e5_query
) -> Callable:
    """Whole-profile cosine, MiniLM for English-English pairs and e5 for the rest.

    The two models' cosines sit in different bands (MiniLM 0-0.8, e5 0.7-0.95), so
    each is standardised over the query's candidates before one is picked per pair.
    """

    def rank(q) -> list[str]:
        allowed = np.flatnonzero(evaluation.allowed(q))
        if q.company:
            i = evaluation.ids.index(q.company)
            q_mini, q_e5, q_lang = minilm[i], e5[i], languages[i]
        else:
            text = q.text or ""
            q_mini, q_e5, q_lang = minilm_query(text), e5_query(text), script_language(text)
        mini = _z(minilm[allowed] @ q_mini)
        multi = _z(e5[allowed] @ q_e5)
        english = np.array([q_lang == "en" and languages[j] == "en" for j in allowed])
        score = np.where(english, mini, multi)
        order = np.argsort(-score, kind="stable")
        return [evaluation.ids[allowed[k]] for k in order]

    return rank


def _z(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    return (values - values.mean()) / spread if spread > 1e-9 else values * 0


def profile_languages(profiles: Sequence[Profile]) -> list[str]:
    """Each profile's language, read from its own words (description, offers, seeks)."""
    return [script_language(" ".join([p.description, p.offers, p.seeks])) for p in profiles]


def compare_models(
    embedders: Sequence[Embedder],
    sets=MULTILINGUAL_SETS,
    progress: Callable[[str], None] | None = None,
) -> list[ComparisonRow]:
    """BM25, cosine and matchmaker per model, plus the hybrid, on English and translated sets.

    The hybrid row needs MiniLM and e5 among ``embedders``; it is left out otherwise.
    """
    from . import evaluation
    from .engine import fit_in_memory
    from .importing import parse_file

    cached = [CachedEmbedder(e) for e in embedders]
    rows: list[ComparisonRow] = []
    for title, judged_en, pool_en, judged_ml, pool_ml in sets:
        figures: dict[str, dict[str, float]] = {}
        for kind, judged, pool in (("en", judged_en, pool_en), ("ml", judged_ml, pool_ml)):
            parsed = parse_file(pool, any_european=True)
            if not parsed.ok:
                raise ValueError(f"{pool}: {parsed.errors[0]}")
            queries = evaluation.load_judgements(judged)
            evaluation.check_pool(queries, parsed.profiles)
            runs = {}
            for embedder in cached:
                if progress:
                    progress(f"{title}, {kind}: {embedder.model_id}")
                ranker = fit_in_memory(parsed.profiles, embedder)
                run = evaluation.PartnerEvaluation(parsed.profiles, ranker, embedder)
                runs[embedder.model_id] = run
                label = model_label(embedder.model_id)
                scored = {
                    "BM25 (whole profile)": run.rank_bm25,
                    f"{label} cosine (whole)": run.rank_dense,
                    f"matchmaker, {label}": run.rank_matchmaker,
                }
                for system, rank in scored.items():
                    score = evaluation.score_system(system, queries, rank).ndcg5
                    figures.setdefault(system, {})[kind] = score
            hybrid = _hybrid(runs, cached, parsed.profiles)
            if hybrid is not None:
                system = "hybrid cosine (MiniLM EN-EN, e5)"
                score = evaluation.score_system(system, queries, hybrid).ndcg5
                figures.setdefault(system, {})[kind] = score
        for system, by_kind in figures.items():
            rows.append(ComparisonRow(title, system, by_kind["en"], by_kind["ml"]))
    return rows


def _hybrid(runs: dict, cached: list[CachedEmbedder], profiles: Sequence[Profile]):
    """The hybrid ranking over one pool, if both MiniLM and e5 (query prefix) were run."""
    by_id = {e.model_id: e for e in cached}
    e5_ids = [m for m in by_id if m.startswith(E5_MODEL_NAME + "@")]
    if DEFAULT_MODEL_ID not in by_id or not e5_ids:
        return None
    mini_run, e5_run = runs[DEFAULT_MODEL_ID], runs[e5_ids[0]]
    return hybrid_ranking(
        mini_run,
        mini_run.profile_vecs,
        e5_run.profile_vecs,
        profile_languages(profiles),
        lambda text: by_id[DEFAULT_MODEL_ID].encode([text])[0],
        lambda text: by_id[e5_ids[0]].encode([text])[0],
    )


def report(model_names: Sequence[str], make_embedder, echo: Callable[[str], None]) -> None:
    """Print the side-by-side table of :func:`compare_models` (``matchmaker eval``)."""
    echo(
        "\nLanguages (issue 11): nDCG@5 on the same queries and grades, English sets "
        "against eval/multilingual/ (Korean and Latvian text)"
    )
    names = [name.strip() for name in model_names if name.strip()]
    rows = compare_models([make_embedder(name) for name in names])
    echo(HEADER)
    for row in rows:
        echo(row.row())
