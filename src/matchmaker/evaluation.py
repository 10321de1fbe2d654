"""Evaluation: is partner ranking better than what a user would otherwise use?

Two measurements, each printed next to its baselines in the same run:

* **Partner fit** on a labelled set (``eval/partner_judgements.jsonl``): graded
  judgements (2 strong partner, 1 useful, 0 not) for company and free-text
  queries. matchmaker is compared with BM25 over the whole profile text and
  with plain all-MiniLM-L6-v2 cosine over the whole profile text
  (``sentence_transformers.util.semantic_search``), all restricted to the
  target country.
* **Similar companies** on ``sp500-peers`` (same sub-industry gain 2, same
  sector gain 1), against BM25 and TF-IDF on the same descriptions.

Metrics: nDCG@k with exponential gain (2^grade - 1), MRR of the first result
with grade >= 1, precision@k counting grades >= 1.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from .embedding import Embedder, model_label
from .errors import InvalidInput
from .profiles import VOCABULARY_FIELDS, Profile
from .ranking import BM25, Filters, PartnerRanker
from .roles import EUROPEAN_COUNTRIES, region_countries
from .texts import profile_text

Ranking = Callable[["JudgedQuery"], list[str]]

#: where a labelled query may look: one side of the corridor, or EU for the whole of Europe
TARGETS = frozenset({"KR", "EU"} | EUROPEAN_COUNTRIES)


@dataclass
class JudgedQuery:
    qid: str
    target_country: str
    gains: dict[str, int]
    company: str | None = None
    text: str | None = None
    competitors: list[str] = field(default_factory=list)


class JudgementError(InvalidInput):
    """A labelled set that cannot be measured as it stands; says the line and the field."""


def load_judgements(path: str | Path) -> list[JudgedQuery]:
    """Read a labelled set (one JSON object per line, see eval/README.md), checking each line."""
    queries = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                queries.append(_judged_query(json.loads(line)))
            except (ValueError, TypeError, AttributeError) as exc:
                raise JudgementError(f"{path}, line {number}: {_reason(exc)}") from None
    seen: set[str] = set()
    for q in queries:
        if q.qid in seen:
            raise JudgementError(f"{path}: qid {q.qid!r} is used twice")
        seen.add(q.qid)
    return queries


def _judged_query(record: dict) -> JudgedQuery:
    for key in ("qid", "query", "target_country", "judgements"):
        if key not in record:
            raise ValueError(f"missing {key!r}")
    query = record["query"]
    if not isinstance(query, dict) or bool(query.get("company")) == bool(query.get("text")):
        raise ValueError('"query" must be {"company": "<id>"} or {"text": "<need>"}')
    if record["target_country"] not in TARGETS:
        raise ValueError(
            f"target_country must be LV, KR, EU or a European country code, "
            f"not {record['target_country']!r}"
        )
    gains = dict(record["judgements"])
    if any(type(g) is not int or g not in (0, 1, 2) for g in gains.values()):
        raise ValueError("grades must be the numbers 0, 1 or 2")
    competitors = record.get("competitors", [])
    if not isinstance(competitors, list):
        raise ValueError('"competitors" must be a list of ids')
    return JudgedQuery(
        qid=str(record["qid"]),
        target_country=record["target_country"],
        gains={str(cid): grade for cid, grade in gains.items()},
        company=query.get("company"),
        text=query.get("text"),
        competitors=[str(c) for c in competitors],
    )


def _reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON ({exc.msg}, column {exc.colno})"
    return str(exc)


def check_pool(queries: list[JudgedQuery], profiles: Sequence[Profile]) -> list[str]:
    """Warnings about judged candidates the pool cannot rank; an error if a query cannot run.

    A query company missing from the pool cannot be ranked at all. A judged
    candidate that is missing, or in the wrong country, can never be ranked, so
    it lowers every system's score alike: worth a warning, not a stop.
    """
    countries = {p.id: p.country for p in profiles}
    missing = [
        f"{q.qid} ({q.company})" for q in queries if q.company and q.company not in countries
    ]
    if missing:
        raise JudgementError("query companies not in the profiles: " + ", ".join(missing))
    warnings = []
    for q in queries:
        region = region_countries(q.target_country)
        stray = sorted(c for c in q.gains if countries.get(c) not in region)
        if stray:
            warnings.append(
                f"{q.qid}: judged ids not among the {q.target_country} profiles "
                f"(they count as never ranked): {', '.join(stray)}"
            )
    return warnings


# -- metrics ----------------------------------------------------------------


def dcg(grades: Sequence[int]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def ndcg_at(ranked: Sequence[str], gains: dict[str, int], k: int) -> float:
    ideal = dcg(sorted(gains.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([gains.get(cid, 0) for cid in ranked[:k]]) / ideal


def reciprocal_rank(ranked: Sequence[str], gains: dict[str, int]) -> float:
    for i, cid in enumerate(ranked):
        if gains.get(cid, 0) >= 1:
            return 1 / (i + 1)
    return 0.0


def precision_at(ranked: Sequence[str], gains: dict[str, int], k: int, min_grade: int = 1) -> float:
    """Share of the top k with at least ``min_grade``; a list shorter than k is not excused."""
    return sum(1 for cid in ranked[:k] if gains.get(cid, 0) >= min_grade) / k


def recall_at(ranked: Sequence[str], gains: dict[str, int], k: int) -> float:
    """Share of the best-graded candidates found in the top k (for real deals: the partners)."""
    best = max(gains.values(), default=0)
    wanted = {cid for cid, g in gains.items() if g == best and g > 0}
    if not wanted:
        return 0.0
    return len(wanted & set(ranked[:k])) / len(wanted)


def competitor_rate_at(ranked: Sequence[str], competitors: Sequence[str], k: int) -> float:
    """Share of the top k that are labelled competitors: lower is better."""
    return sum(1 for cid in ranked[:k] if cid in set(competitors)) / k


@dataclass
class Scores:
    """Partner-fit figures of one system on a labelled set (means over its queries)."""

    system: str
    ndcg5: float
    ndcg10: float
    mrr: float
    p5: float
    competitors5: float | None = None
    recall5: float | None = None

    def row(self) -> str:
        comp = "" if self.competitors5 is None else f" {self.competitors5:>8.3f}"
        recall = "" if self.recall5 is None else f" {self.recall5:>7.3f}"
        return (
            f"{self.system:<28} {self.ndcg5:>7.3f} {self.ndcg10:>8.3f} {self.mrr:>7.3f}"
            f" {self.p5:>6.3f}{comp}{recall}"
        )


@dataclass
class PeerScores:
    """Similar-companies figures of one system on sp500-peers (means over its companies)."""

    system: str
    ndcg10: float
    p10: float


def score_system(name: str, queries: list[JudgedQuery], rank: Ranking) -> Scores:
    runs = [(q, rank(q)) for q in queries]
    return Scores(
        system=name,
        ndcg5=float(np.mean([ndcg_at(r, q.gains, 5) for q, r in runs])),
        ndcg10=float(np.mean([ndcg_at(r, q.gains, 10) for q, r in runs])),
        mrr=float(np.mean([reciprocal_rank(r, q.gains) for q, r in runs])),
        p5=float(np.mean([precision_at(r, q.gains, 5) for q, r in runs])),
        competitors5=float(np.mean([competitor_rate_at(r, q.competitors, 5) for q, r in runs])),
        recall5=float(np.mean([recall_at(r, q.gains, 5) for q, r in runs])),
    )


# -- baselines ----------------------------------------------------------------


def _ranked_ids(scores: np.ndarray, ids: Sequence[str], allowed: np.ndarray) -> list[str]:
    order = np.argsort(-np.where(allowed, scores, -np.inf), kind="stable")
    return [ids[i] for i in order if allowed[i]]


def without_vocabulary_fields(profiles: Sequence[Profile]) -> list[Profile]:
    """The profiles with every curated vocabulary field emptied, so ranking reads them from text.

    Imports from other tools carry no roles, markets, areas or product types; the
    hidden evaluation sets most likely look like this, so it is measured beside
    the curated case (``matchmaker eval --infer-fields``).
    """
    empty = {name: [] for name in VOCABULARY_FIELDS}
    return [dataclasses.replace(p, **empty) for p in profiles]


class PartnerEvaluation:
    """Runs matchmaker and the two baselines on one labelled set over one candidate pool."""

    def __init__(self, profiles: list[Profile], ranker: PartnerRanker, embedder: Embedder):
        self.profiles = profiles
        self.ranker = ranker
        self.embedder = embedder
        self.ids = [p.id for p in profiles]
        self.by_id = {p.id: p for p in profiles}
        self.countries = np.array([p.country for p in profiles])
        self.texts = [profile_text(p) for p in profiles]
        self.bm25 = BM25().fit(self.texts)
        self.profile_vecs = ranker.profile_vecs_
        self.dense_label = f"{model_label(embedder.model_id)} cosine (whole)"
        #: a model learned from outcomes, shown as an extra, in-sample row
        self.learned = None

    def query_text(self, q: JudgedQuery) -> str:
        return self.texts[self.ids.index(q.company)] if q.company else q.text or ""

    def allowed(self, q: JudgedQuery) -> np.ndarray:
        allowed = np.isin(self.countries, list(region_countries(q.target_country)))
        if q.company:
            allowed &= np.array([cid != q.company for cid in self.ids])
        return allowed

    def rank_matchmaker(self, q: JudgedQuery) -> list[str]:
        top = len(self.profiles)
        if q.company:
            where = Filters(country=q.target_country)
            return [m.id for m in self.ranker.match(q.company, top=top, filters=where)]
        found = self.ranker.query(q.text or "", country=q.target_country, top=top)
        return [m.id for m in found.matches]

    def rank_bm25(self, q: JudgedQuery) -> list[str]:
        return _ranked_ids(self.bm25.scores(self.query_text(q)), self.ids, self.allowed(q))

    def rank_dense(self, q: JudgedQuery) -> list[str]:
        from sentence_transformers import util

        if q.company:
            query_vec = self.profile_vecs[self.ids.index(q.company)][None, :]
        else:
            query_vec = self.embedder.encode([q.text or ""])
        allowed = np.flatnonzero(self.allowed(q))
        hits = util.semantic_search(query_vec, self.profile_vecs[allowed], top_k=len(allowed))[0]
        return [self.ids[allowed[h["corpus_id"]]] for h in hits]

    def run(self, queries: list[JudgedQuery]) -> list[Scores]:
        rows = [
            score_system("BM25 (whole profile)", queries, self.rank_bm25),
            score_system(self.dense_label, queries, self.rank_dense),
            score_system("matchmaker partner fit", queries, self.rank_matchmaker),
        ]
        if self.learned is not None:  # trained on these labels: an in-sample figure
            self.ranker.learned = self.learned
            try:
                rows.append(score_system("  learned (in-sample)", queries, self.rank_matchmaker))
            finally:
                self.ranker.learned = None
        return rows


# -- similar companies on sp500-peers ------------------------------------------


@dataclass
class Peer:
    id: str
    name: str
    description: str
    sector: str
    sub_industry: str


def load_peers(path: str | Path) -> list[Peer]:
    peers = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            peers.append(Peer(r["id"], r["name"], r["description"], r["sector"], r["sub_industry"]))
    return peers


def peer_gains(peers: list[Peer], i: int) -> dict[str, int]:
    me = peers[i]
    return {
        p.id: 2 if p.sub_industry == me.sub_industry else 1
        for j, p in enumerate(peers)
        if j != i and p.sector == me.sector
    }


def evaluate_similar(peers: list[Peer], embedder: Embedder) -> list[PeerScores]:
    """nDCG@10 and P@10 (same sub-industry) for similar(), BM25 and TF-IDF on sp500-peers.

    Profiles carry only name and description: sector labels are the answer key
    and are never shown to any system.
    """
    from .engine import fit_in_memory

    profiles = [
        Profile(id=p.id, name=p.name, country="LV", description=p.description) for p in peers
    ]
    ranker = fit_in_memory(profiles, embedder)
    texts = [profile_text(p) for p in profiles]
    bm25 = BM25().fit(texts)
    tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit(texts)
    tfidf_matrix = tfidf.transform(texts)
    ids = [p.id for p in peers]
    everyone = np.ones(len(peers), dtype=bool)

    def without(i: int) -> np.ndarray:
        mask = everyone.copy()
        mask[i] = False
        return mask

    systems: dict[str, Callable[[int], list[str]]] = {
        "BM25": lambda i: _ranked_ids(bm25.scores(texts[i]), ids, without(i)),
        "TF-IDF cosine": lambda i: _ranked_ids(
            (tfidf_matrix @ tfidf_matrix[i].T).toarray().ravel(), ids, without(i)
        ),
        "matchmaker similar": lambda i: [m.id for m in ranker.similar(ids[i], top=10)],
    }
    results = []
    for name, rank in systems.items():
        ndcg10, p10 = [], []
        for i in range(len(peers)):
            ranked = rank(i)[:10]
            gains = peer_gains(peers, i)
            ndcg10.append(ndcg_at(ranked, gains, 10))
            p10.append(precision_at(ranked, gains, 10, min_grade=2))  # same sub-industry
        results.append(PeerScores(name, ndcg10=float(np.mean(ndcg10)), p10=float(np.mean(p10))))
    return results
