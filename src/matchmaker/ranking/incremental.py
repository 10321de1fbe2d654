"""Apply a few changed profiles to a fitted ranker in milliseconds, without a full refit.

A full :meth:`PartnerRanker.fit` at 5,000 companies takes tens of seconds
(vectorizers, phrase tables, role and focus rows, the approximate index); an
edit must show in ranking within a second. :func:`apply_changes` returns a
*new* ranker that shares every array with the old one and differs only in:

* **rows appended** for each added or edited profile (its vectors, phrase
  vectors, lexical rows, roles, focus), through :mod:`ranking.growing`, so the
  old ranker, still answering searches in other threads, is never changed;
* **tombstones**: the old row of an edited, deleted or merged-away profile is
  marked dead in ``alive_`` and every mask leaves it out
  (:meth:`PartnerRanker._mask`); ``index_`` points at the new row (a
  :class:`~.row_index.RowIndex`: the fit's map plus the changes, not a copy).

What stays as the last full fit decided, by design (the usual trade-off of
incremental indexing): the vocabularies (TF-IDF and BM25), the TF-IDF idf
(used by explanations, free-text shared terms and peers), BM25's mean document
length, the rarity weights of therapeutic areas and product types, and the
approximate index (rows added since are scanned exactly next to it,
:meth:`FirstStage.search`). BM25's document frequencies, and so its idf, do
follow every change. A profile's words that the fit never saw therefore add
nothing to its lexical signal until the next full refit, and lexical scores
drift by the mean-length change (one document in N). Everything else (dense and
phrase vectors, roles, markets, licensing directions, focus rows, partnership
types) is exactly what a refit computes: on the shipped data an edited company's top 10 equals a
refit's, scores within 1e-3 (tests/ranking/test_incremental.py).

The caller (:mod:`matchmaker.live_index`) refits in full in the background once
enough rows changed (:func:`changed_share`), which also reclaims dead rows.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from ..focus_fit import _AREA_INDEX, _MODALITY_INDEX, FocusFit, _rows, _side, _unit
from ..licensing import LicensingFit, direction
from ..profiles import Profile
from ..role_fit import RoleFit, role_vector, wanted_vector
from ..role_inference import effective_fields
from ..roles import market_covers
from ..texts import profile_text
from ..therapy import effective_focus
from .growing import grow, grow_csr
from .lexical import WordsAndConcepts, bm25_idf, language_mask, written_in
from .phrases import PhraseTable
from .row_index import RowIndex


class NeedsRefit(Exception):
    """The change cannot be applied incrementally (say, a country the fit never saw)."""


def mark_fitted(ranker) -> None:
    """Note on a freshly fitted ranker what incremental updates read: its rows, all alive,
    and the partnership columns (membership's order)."""
    ranker.fitted_rows_ = len(ranker.profiles_)
    ranker.alive_ = np.ones(len(ranker.profiles_), dtype=bool)
    ranker.partnership_columns_ = sorted({t for p in ranker.profiles_ for t in p.partnership_types})


def alive(ranker) -> np.ndarray:
    """Which rows of the ranker are live profiles (all of them right after a full fit)."""
    found = getattr(ranker, "alive_", None)
    return np.ones(len(ranker.profiles_), dtype=bool) if found is None else found


def live_profiles(ranker) -> list[Profile]:
    """The ranker's live profiles, in row order (dead rows of edited/deleted ones left out)."""
    rows = getattr(ranker, "alive_", None)
    if rows is None:
        return list(ranker.profiles_)
    return [p for p, live in zip(ranker.profiles_, rows, strict=True) if live]


def changed_share(ranker) -> float:
    """Rows added or tombstoned since the last full fit, as a share of that fit's rows."""
    fitted = getattr(ranker, "fitted_rows_", len(ranker.profiles_))
    added = len(ranker.profiles_) - fitted
    dead = int((~alive(ranker)).sum())
    return (added + dead) / max(fitted, 1)


def apply_changes(
    ranker,
    changed: Sequence[Profile],
    deleted: Iterable[str],
    vectors: Mapping[str, Mapping[str, np.ndarray]],
):
    """A new ranker with ``changed`` profiles added or replaced and ``deleted`` ids removed.

    The given ranker is left as it is (it may be answering searches meanwhile).

    ``vectors[field][company_id]`` must hold the changed profiles' vectors
    (as :func:`engine.load_vectors` returns them). Raises :class:`NeedsRefit`
    when only a full fit can represent the change.
    """
    ranker._check_fitted()
    changed = list({p.id: p for p in changed}.values())  # an id twice: the last one counts
    gone = set(deleted) | {p.id for p in changed}
    new = copy.copy(ranker)  # shares every array; only what changes is replaced below
    n0 = len(ranker.profiles_)
    new.fitted_rows_ = getattr(ranker, "fitted_rows_", n0)
    live = np.concatenate([alive(ranker), np.ones(len(changed), dtype=bool)])
    index = RowIndex.of(ranker.index_)
    for company_id in gone:
        position = index.get(company_id)
        if position is not None:
            live[position] = False
    new.index_ = index.updated({p.id: n0 + j for j, p in enumerate(changed)}, removed=gone)
    new.alive_ = live
    if not changed:
        return new
    new.profiles_ = ranker.profiles_ + changed
    _append_rows(new, ranker, changed, vectors)
    return new


def _append_rows(new, old, changed: list[Profile], vectors) -> None:
    """Append one row per changed profile to every per-company structure."""
    new.countries_ = grow(old.countries_, [p.country for p in changed])
    for field, name in (
        ("profile", "profile_vecs_"),
        ("offers", "offer_vecs_"),
        ("seeks", "seek_vecs_"),
        ("identity", "identity_vecs_"),
    ):
        setattr(new, name, grow(getattr(old, name), _first_rows(changed, vectors, field, old.dim_)))
    new.partnerships_, new.partnership_columns_ = _grown_membership(old, changed)
    new.offer_texts_ = old.offer_texts_ + [p.offer_phrases for p in changed]
    new.identity_texts_ = old.identity_texts_ + [p.identity for p in changed]
    new.seek_texts_ = old.seek_texts_ + [p.seek_phrases for p in changed]
    new.has_offers_ = grow(old.has_offers_, [bool(p.offer_phrases) for p in changed])
    new.has_seeks_ = grow(old.has_seeks_, [bool(p.seek_phrases) for p in changed])
    for name, field in (("offer_phrases_", "offer_phrases"), ("seek_phrases_", "seek_phrases")):
        setattr(new, name, _grown_phrases(getattr(old, name), changed, vectors.get(field, {})))
    new.role_fit_ = _grown_roles(old.role_fit_, changed)
    new.focus_fit_ = _grown_focus(old.focus_fit_, changed)
    _grow_lexical(new, old, changed)


def _first_rows(changed, vectors, field: str, dim: int) -> np.ndarray:
    """The whole-field vector of each changed profile (zeros where it has none), as in fit."""
    rows = np.zeros((len(changed), dim), dtype=np.float32)
    found = vectors.get(field, {})
    for j, profile in enumerate(changed):
        vec = found.get(profile.id)
        if vec is not None and len(vec):
            rows[j] = vec[0]
    return rows


def _grown_membership(old, changed: list[Profile]) -> tuple[np.ndarray, list[str]]:
    """Partnership rows; a type no fitted profile had gets a new (zero above) column."""
    columns = getattr(old, "partnership_columns_", None)
    if columns is None:  # a fit from before this was kept: the sorted distinct types
        columns = sorted({t for p in old.profiles_ for t in p.partnership_types})
    matrix = old.partnerships_
    fresh = sorted({t for p in changed for t in p.partnership_types} - set(columns))
    if fresh:
        columns = [*columns, *fresh]
        matrix = np.hstack([matrix, np.zeros((len(matrix), len(fresh)), dtype=matrix.dtype)])
    where = {item: j for j, item in enumerate(columns)}
    rows = np.zeros((len(changed), len(columns)), dtype=matrix.dtype)
    for j, profile in enumerate(changed):
        rows[j, [where[t] for t in profile.partnership_types]] = 1.0
    return grow(matrix, rows), columns


def _grown_phrases(table: PhraseTable, changed: list[Profile], rows) -> PhraseTable:
    """The table with each changed profile's phrase block appended (old blocks stay, unused)."""
    blocks, starts, ends, offset = [], [], [], len(table.vectors)
    for profile in changed:
        block = rows.get(profile.id)
        n = 0 if block is None or block.size == 0 else len(block)
        if n:
            blocks.append(np.asarray(block, dtype=np.float32))
        starts.append(offset)
        ends.append(offset + n)
        offset += n
    vectors = grow(table.vectors, np.vstack(blocks)) if blocks else table.vectors
    return PhraseTable(vectors, grow(table.starts, starts), grow(table.ends, ends))


def _grown_roles(fit: RoleFit, changed: list[Profile]) -> RoleFit:
    column = {c: i for i, c in enumerate(fit.countries_)}
    unknown = {p.country for p in changed} - set(column)
    if unknown:
        raise NeedsRefit(f"countries the fit never saw: {sorted(unknown)}")
    new = copy.copy(fit)
    fields = [effective_fields(p) for p in changed]
    new.fields_ = fit.fields_ + fields
    new.roles_ = grow(fit.roles_, np.vstack([role_vector(f.roles) for f in fields]))
    new.wanted_ = grow(fit.wanted_, np.vstack([wanted_vector(f) for f in fields]))
    new.profile_countries_ = fit.profile_countries_ + [p.country for p in changed]
    new.country_col_ = grow(fit.country_col_, [column[p.country] for p in changed])
    new.reach_ = grow(
        fit.reach_, [[market_covers(f.markets, c) for c in fit.countries_] for f in fields]
    )
    new.licensing_ = _grown_licensing(fit.licensing_, changed)
    return new


def _grown_licensing(fit: LicensingFit, changed: list[Profile]) -> LicensingFit:
    """Licensing directions of the changed profiles appended (read from their phrases)."""
    new = copy.copy(fit)
    directions = [direction(p) for p in changed]
    new.out_ = grow(fit.out_, [d.out for d in directions])
    new.into_ = grow(fit.into_, [d.into for d in directions])
    return new


def _grown_focus(fit: FocusFit, changed: list[Profile]) -> FocusFit:
    """Focus rows weighted by the fit's rarity weights (kept, like idf)."""
    new = copy.copy(fit)
    focus = [effective_focus(p) for p in changed]
    new.focus_ = fit.focus_ + focus
    areas = _rows([f.areas for f in focus], _AREA_INDEX)
    modalities = _rows([f.modalities for f in focus], _MODALITY_INDEX)
    w = fit.weights_
    new.rows_ = grow(fit.rows_, _unit(np.hstack([areas, modalities]) * w))
    new.offered_ = grow(fit.offered_, _unit(np.vstack([_side(p, True) for p in changed]) * w))
    new.sought_ = grow(fit.sought_, _unit(np.vstack([_side(p, False) for p in changed]) * w))
    return new


def _count_documents(grown, part, added, dead: np.ndarray) -> None:
    """Document frequencies and idf after adding rows ``added`` and dropping rows ``dead``."""
    if not hasattr(part, "df_"):
        raise NeedsRefit("the fit predates incremental updates")
    df = part.df_ + np.bincount(added.indices, minlength=len(part.df_))
    weights = part.weights_
    for row in dead:
        df[weights.indices[weights.indptr[row] : weights.indptr[row + 1]]] -= 1
    grown.df_ = df
    grown.documents_ = part.documents_ + added.shape[0] - len(dead)
    grown.idf_ = bm25_idf(grown.documents_, df)


def _grow_lexical(new, old, changed: list[Profile]) -> None:
    """Lexical rows of the changed profiles, with the fitted vocabularies.

    BM25's document frequencies (so its idf) follow the change exactly, for
    the terms the fit knows; the TF-IDF matrices (explanations, free text,
    peers) keep the fit's idf.
    """
    dead = np.flatnonzero(alive(old) & ~new.alive_[: len(old.profiles_)])

    texts = [profile_text(p) for p in changed]
    new.texts_ = old.texts_ + texts
    bm25: WordsAndConcepts = copy.copy(old.bm25_)
    for name in ("words_", "concepts_"):
        part = getattr(old.bm25_, name)
        if not hasattr(part, "average_length_"):
            raise NeedsRefit("the fit predates incremental updates")
        grown = copy.copy(part)
        added = part.document_rows(texts)
        grown.weights_ = grow_csr(part.weights_, added)
        _count_documents(grown, part, added, dead)
        setattr(bm25, name, grown)
    bm25.languages_ = grow(
        old.bm25_.languages_, [language_mask(written_in(p)) for p in changed]
    )
    new.bm25_ = bm25
    new.lex_profiles_ = grow_csr(old.lex_profiles_, old.vectorizer_.transform(texts))
    new.lex_peers_ = grow_csr(old.lex_peers_, old.peer_vectorizer_.transform(texts))
    offers, seeks = [p.offers for p in changed], [p.seeks for p in changed]
    new.lex_offers_ = grow_csr(old.lex_offers_, old.vectorizer_.transform(offers))
    new.lex_seeks_ = grow_csr(old.lex_seeks_, old.vectorizer_.transform(seeks))
