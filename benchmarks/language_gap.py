"""Where does ranking lose quality across languages? The gap, component by component.

Run from the repository root::

    .venv/bin/python benchmarks/language_gap.py             # a few minutes the first time

``eval/multilingual/`` holds our two labelled sets with their text in Korean and
Latvian (same queries, same grades). ``matchmaker eval`` prints the whole
ranker's nDCG@5 on the English and the translated set; this script splits the
gap (issue 11) into the ranker's parts, on the same queries:

1. **each signal alone** (the others weighted 0): phrase cosine (reciprocal /
   need fit), BM25, roles, market. A signal that loses much across languages
   is where the gap is made;
2. **the full ranker without one signal**;
3. **one signal swapped in from English**: the translated run, but with the
   BM25 index (or the role and market reading) of the English texts of the
   same companies and needs. How much of the gap closes is how much that
   component causes;
4. per query type (company queries, Korean needs, Latvian needs).

``data/companies.jsonl`` states every company's roles, partner roles and markets
(hand labels); the translated profiles state none, so the translated run reads
them from text. ``--inferred-roles`` drops the stated fields from both pools, so
both languages infer them and the comparison is between languages only;
``--inferred-fields`` drops therapeutic areas and modalities as well (the
translated profiles state none of the five).

With ``--lexicon`` it measures the domain lexicon (:mod:`matchmaker.lexicon`)
instead: the full ranker with no lexicon, with the lexicon between all texts, with it
between texts of different languages only (what the ranker does), and that without
each group of concepts, on both sets in both languages and on real deals.

It also prints the real-deals set (``eval/deals``, English) so a change to the
words can be checked not to hurt outcomes. Vectors are cached on disk
(``--cache``, outside the repository by default): only the first run embeds.
Nothing here is used by the ranker.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from matchmaker import engine, evaluation  # noqa: E402
from matchmaker.importing import parse_file  # noqa: E402
from matchmaker.lexicon import (  # noqa: E402
    LEFT_OUT_GROUPS,
    Lexicon,
    load_concepts,
    shipped_concepts,
    use_lexicon,
)
from matchmaker.model_comparison import MULTILINGUAL_SETS  # noqa: E402
from matchmaker.ranking import Weights, parse_text_query  # noqa: E402
from matchmaker.ranking.lexical import WordsAndConcepts  # noqa: E402
from matchmaker.ranking.partner import written_in  # noqa: E402
from matchmaker.role_fit import TextRoles  # noqa: E402

DEALS = ("real deals", "eval/deals/judgements.jsonl", "eval/deals/profiles.jsonl")

#: each signal alone: the weights that keep only it (text queries use text_roles for roles)
ALONE = {
    "phrase cosine": {"reciprocal": 1.0},
    "BM25": {"lexical": 1.0},
    "roles": {"roles": 1.0, "text_roles": 1.0},
    "market": {"market": 1.0},
}
ZERO = {"reciprocal": 0.0, "lexical": 0.0, "partnership": 0.0, "competitor": 0.0,
        "roles": 0.0, "text_roles": 0.0, "market": 0.0}


class DiskCachedEmbedder:
    """An embedder whose vectors persist in a pickle: the sets share most texts across runs."""

    def __init__(self, inner, path: Path):
        self.inner = inner
        self.model_id = inner.model_id
        self.cutoffs = inner.cutoffs
        self.path = path
        self.cache: dict[str, np.ndarray] = {}
        if path.is_file():
            self.cache = pickle.loads(path.read_bytes())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if missing:
            for text, vec in zip(missing, self.inner.encode(missing), strict=True):
                self.cache[text] = vec
            self.path.write_bytes(pickle.dumps(self.cache))
        if not texts:
            return self.inner.encode([])
        return np.vstack([self.cache[t] for t in texts]).astype(np.float32, copy=False)


class EnglishBM25:
    """The English run's BM25 answering for the translated run (same companies, same order)."""

    def __init__(self, english, english_text_of: dict[str, str]):
        self.english = english
        self.english_text_of = english_text_of

    def document_scores(self, i: int, pool=None):
        return self.english.document_scores(i, pool)

    def scores(self, query: str, pool=None):
        return self.english.scores(self.english_text_of.get(query, query), pool)


class EnglishRoles:
    """The English run's role and market reading answering for the translated run."""

    def __init__(self, english, english_text_of: dict[str, str]):
        self.english = english
        self.english_text_of = english_text_of
        self.current: str | None = None

    def evidence(self, a, pool):
        return self.english.evidence(a, pool)

    def text_evidence(self, roles, pool):
        if self.current is not None:
            reading = parse_text_query(self.current)
            roles = TextRoles.read(reading.needs, reading.offers)
        return self.english.text_evidence(roles, pool)

    def __getattr__(self, name):
        return getattr(self.english, name)


#: the stated fields dropped from every pool: none by default; roles, partner roles and
#: markets with --inferred-roles; those and therapeutic areas and modalities with
#: --inferred-fields (every structured field that is read from text when missing)
STRIP: tuple[str, ...] = ()
ROLE_FIELDS = ("roles", "partner_roles", "markets")
ALL_FIELDS = (*ROLE_FIELDS, "therapeutic_areas", "modalities")


#: with --labelled-english-records: the translated pool's records still written in English
#: take their labels from data/companies.jsonl (the translated file predates the labels)
LABEL_ENGLISH_RECORDS = False
TRANSLATED_MARK = "from the English profile"


def load_pool(path: str):
    parsed = parse_file(path, any_european=True)
    if not parsed.ok:
        raise SystemExit(f"{path}: {parsed.errors[0]}")
    profiles = parsed.profiles
    if LABEL_ENGLISH_RECORDS and "multilingual" in path:
        profiles = [_labelled_if_english(p) for p in profiles]
    return [replace(p, **{field: [] for field in STRIP}) for p in profiles]


def _labelled_if_english(profile):
    """An untranslated record of the translated pool with its English record's labels."""
    if (profile.source or "").endswith(TRANSLATED_MARK):
        return profile
    english = {p.id: p for p in parse_file(ROOT / "data" / "companies.jsonl").profiles}
    return replace(profile, **{f: getattr(english[profile.id], f) for f in ALL_FIELDS})


def english_texts(judged_ml: str) -> dict[str, str]:
    """Translated need text -> its English original (``text_en``)."""
    found = {}
    for line in Path(judged_ml).read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            if record["query"].get("text") and record.get("text_en"):
                found[record["query"]["text"]] = record["text_en"]
    return found


def kind_of(q: evaluation.JudgedQuery) -> str:
    if q.company:
        return "company"
    return "Korean need" if q.target_country != "KR" else "Latvian need"


def mean_ndcg(queries, rank: Callable) -> dict[str, float]:
    """nDCG@5 overall and per query type."""
    by_kind: dict[str, list[float]] = {}
    for q in queries:
        score = evaluation.ndcg_at(rank(q), q.gains, 5)
        by_kind.setdefault("all", []).append(score)
        by_kind.setdefault(kind_of(q), []).append(score)
    return {k: float(np.mean(v)) for k, v in by_kind.items()}


def with_weights(run, weights: Weights) -> Callable:
    def rank(q):
        saved = run.ranker.weights_
        run.ranker.weights_ = weights
        try:
            return run.rank_matchmaker(q)
        finally:
            run.ranker.weights_ = saved

    return rank


def with_english(run, attribute: str, replacement, english_text_of) -> Callable:
    def rank(q):
        saved = getattr(run.ranker, attribute)
        setattr(run.ranker, attribute, replacement)
        if isinstance(replacement, EnglishRoles):
            replacement.current = english_text_of.get(q.text) if q.text else None
        try:
            return run.rank_matchmaker(q)
        finally:
            setattr(run.ranker, attribute, saved)

    return rank


def measure_set(title, judged_en, pool_en, judged_ml, pool_ml, embedder) -> list[tuple]:
    """Rows (system, English, translated, per-type translated) for one set."""
    runs = {}
    for kind, pool in (("en", pool_en), ("ml", pool_ml)):
        profiles = load_pool(pool)
        ranker = engine.fit_in_memory(profiles, embedder)
        runs[kind] = evaluation.PartnerEvaluation(profiles, ranker, embedder)
    queries = {
        "en": evaluation.load_judgements(judged_en),
        "ml": evaluation.load_judgements(judged_ml),
    }
    to_english = english_texts(judged_ml)
    base = runs["en"].ranker.weights_
    rows = []

    def both(system: str, rank_of: Callable[[str], Callable]) -> None:
        en = mean_ndcg(queries["en"], rank_of("en")) if rank_of("en") else None
        ml = mean_ndcg(queries["ml"], rank_of("ml"))
        rows.append((title, system, en, ml))

    both("matchmaker (full)", lambda k: runs[k].rank_matchmaker)
    both("BM25 baseline (whole profile)", lambda k: runs[k].rank_bm25)
    for name, weights in ALONE.items():
        alone = replace(base, **{**ZERO, **weights})
        both(f"{name} alone", lambda k, w=alone: with_weights(runs[k], w))
    for name in ("lexical", "roles", "market"):
        without = replace(base, **{name: 0.0}, **({"text_roles": 0.0} if name == "roles" else {}))
        both(f"full without {name}", lambda k, w=without: with_weights(runs[k], w))
    english_bm25 = EnglishBM25(runs["en"].ranker.bm25_, to_english)
    both(
        "translated + English BM25",
        lambda k: None
        if k == "en"
        else with_english(runs["ml"], "bm25_", english_bm25, to_english),
    )
    english_roles = EnglishRoles(runs["en"].ranker.role_fit_, to_english)
    both(
        "translated + English roles/markets",
        lambda k: None
        if k == "en"
        else with_english(runs["ml"], "role_fit_", english_roles, to_english),
    )
    return rows


def reading_agreement(judged_ml: str) -> list[str]:
    """How each translated need is read, next to its English original's reading."""
    lines = []
    for text, english in english_texts(judged_ml).items():
        ml, en = parse_text_query(text), parse_text_query(english)
        same = (len(ml.needs), len(ml.offers)) == (len(en.needs), len(en.offers))
        lines.append(
            f"  {'same' if same else 'DIFF'}  en needs {en.needs} offers {en.offers}\n"
            f"        ml needs {ml.needs} offers {ml.offers}"
        )
    return lines


def lexicon_variants(groups: Sequence[str] | None) -> dict[str, tuple[str, Lexicon]]:
    """No lexicon; the shipped lexicon between all texts; between texts of different
    languages (what the ranker does); that less each shipped group (or only ``groups``),
    and with each group the shipped lexicon leaves out."""
    every = load_concepts()
    shipped = shipped_concepts()
    kept = sorted({c.group for c in shipped})
    whole = Lexicon(shipped)
    variants = {
        "no lexicon": ("never", whole),
        "lexicon, all pairs": ("always", whole),
        "lexicon, across languages": ("languages", whole),
    }
    for group in kept if groups is None else [g for g in groups if g in kept]:
        less = Lexicon(shipped, [g for g in kept if g != group])
        variants[f"  without {group}"] = ("languages", less)
    for group in sorted(LEFT_OUT_GROUPS):
        if groups is None or group in groups:
            variants[f"  with {group}"] = ("languages", Lexicon(every, [*kept, group]))
    return variants


def measure_lexicon(embedder, groups: Sequence[str] | None) -> None:
    """nDCG@5 of the full ranker per lexicon variant: both sets (EN and translated), real deals."""
    pools = {}
    for title, judged_en, pool_en, judged_ml, pool_ml in MULTILINGUAL_SETS:
        for kind, judged, pool in (("EN", judged_en, pool_en), ("ML", judged_ml, pool_ml)):
            pools[f"{title} {kind}"] = (judged, pool)
    pools["deals"] = DEALS[1:]
    runs = {}
    for name, (judged, pool) in pools.items():
        profiles = load_pool(pool)
        ranker = engine.fit_in_memory(profiles, embedder)
        run = evaluation.PartnerEvaluation(profiles, ranker, embedder)
        runs[name] = (run, evaluation.load_judgements(judged))
    print(f"{'lexicon':<26} " + " ".join(f"{name:>9}" for name in runs))
    for label, (across, variant) in lexicon_variants(groups).items():
        use_lexicon(variant)
        figures = []
        for run, queries in runs.values():
            languages = [written_in(p) for p in run.ranker.profiles_]
            run.ranker.bm25_ = WordsAndConcepts(across).fit(run.ranker.texts_, languages)
            figures.append(mean_ndcg(queries, run.rank_matchmaker)["all"])
        print(f"{label:<26} " + " ".join(f"{f:>9.3f}" for f in figures), flush=True)
    use_lexicon(None)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", default="/tmp/matchmaker-language-gap-e5.pkl", type=Path)
    parser.add_argument("--model", default=None, help="the MATCHMAKER_MODEL setting by default")
    parser.add_argument("--no-deals", action="store_true", help="skip the real-deals set")
    parser.add_argument(
        "--lexicon",
        action="store_true",
        help="instead: the full ranker without the lexicon, with it, and without each group",
    )
    parser.add_argument(
        "--groups", default="", help="with --lexicon: leave out only these groups (a,b; 'none')"
    )
    parser.add_argument(
        "--inferred-roles",
        action="store_true",
        help="drop stated roles, partner roles and markets, so both languages infer them",
    )
    parser.add_argument(
        "--inferred-fields",
        action="store_true",
        help="drop those and therapeutic areas and modalities too: everything is read from text",
    )
    parser.add_argument(
        "--labelled-english-records",
        action="store_true",
        help="translated pool: records left in English keep their labels (only translated "
        "records read theirs from text)",
    )
    args = parser.parse_args(argv)
    global STRIP, LABEL_ENGLISH_RECORDS
    LABEL_ENGLISH_RECORDS = args.labelled_english_records
    STRIP = ALL_FIELDS if args.inferred_fields else ROLE_FIELDS if args.inferred_roles else ()
    embedder = DiskCachedEmbedder(engine.make_embedder(args.model), args.cache)
    if args.lexicon:
        measure_lexicon(embedder, [g for g in args.groups.split(",") if g] or None)
        return
    print(f"model {embedder.model_id}; nDCG@5, English set against translated (same queries)")
    kinds = ("all", "company", "Korean need", "Latvian need")
    print(f"{'set':<6} {'system':<36} {'EN':>6} {'ML':>6} {'gap':>7}   "
          + " ".join(f"{k + ' EN/ML':>19}" for k in kinds[1:]))
    for title, judged_en, pool_en, judged_ml, pool_ml in MULTILINGUAL_SETS:
        for set_title, system, en, ml in measure_set(
            title, judged_en, pool_en, judged_ml, pool_ml, embedder
        ):
            en_all = f"{en['all']:>6.3f}" if en else f"{'':>6}"
            gap = f"{ml['all'] - en['all']:>+7.3f}" if en else f"{'':>7}"
            per_kind = " ".join(
                f"{(f'{en[k]:.2f}' if en else '  - '):>9}/{ml.get(k, 0):<9.2f}" for k in kinds[1:]
            )
            print(f"{set_title:<6} {system:<36} {en_all} {ml['all']:>6.3f} {gap}   {per_kind}")
    if not args.no_deals:
        title, judged, pool = DEALS
        profiles = load_pool(pool)
        ranker = engine.fit_in_memory(profiles, embedder)
        run = evaluation.PartnerEvaluation(profiles, ranker, embedder)
        queries = evaluation.load_judgements(judged)
        mine = mean_ndcg(queries, run.rank_matchmaker)["all"]
        bm25 = mean_ndcg(queries, run.rank_bm25)["all"]
        print(f"real deals: matchmaker nDCG@5 {mine:.3f}, BM25 {bm25:.3f}")
    print("\nfree-text reading, set A needs (translated against English):")
    for line in reading_agreement(MULTILINGUAL_SETS[0][3]):
        print(line)


if __name__ == "__main__":
    main()
