"""Incremental updates of a fitted ranker equal a full refit: shipped data, real model.

An edit applied with :func:`ranking.incremental.apply_changes` (rows appended, old rows
tombstoned, vocabularies kept) must rank the edited company's partners as a
refit on the edited data does: the same top 10 in the same order, scores within
:data:`TOLERANCE`. What may differ is what the fit keeps (ranking.incremental
says why): BM25's mean document length, which moves lexical score parts by
< 1e-3 here, and the rarity weights of areas and product types, which one added
or deleted company in 102 moves by up to 0.008 in a focus part
(:data:`TOLERANCE_RARITY`; both shrink as 1/N with more companies).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from matchmaker.importing import parse_file
from matchmaker.profiles import Profile
from matchmaker.ranking import PartnerRanker
from matchmaker.ranking.incremental import apply_changes, changed_share
from matchmaker.texts import FIELDS

DATA = Path(__file__).resolve().parents[2] / "data" / "companies.jsonl"
#: Largest score difference allowed between an incremental update and a refit.
TOLERANCE = 2e-3
#: The same when a company is added or deleted (rarity weights drift too).
TOLERANCE_RARITY = 1e-2


@pytest.fixture(scope="module")
def shipped() -> list[Profile]:
    parsed = parse_file(DATA)
    assert parsed.ok
    return parsed.profiles


@pytest.fixture(scope="module")
def shipped_vectors(shipped, real_embedder) -> dict[str, dict[str, np.ndarray]]:
    return vectors_of(shipped, real_embedder)


@pytest.fixture(scope="module")
def fitted(shipped, shipped_vectors, real_embedder) -> PartnerRanker:
    return PartnerRanker(embedder=real_embedder).fit(shipped, shipped_vectors)


@pytest.fixture
def refit(shipped_vectors, real_embedder):
    """``refit(profiles, vectors of the changed ones)``: a full fit, as after a restart."""

    def fit(profiles: list[Profile], changed: dict[str, dict[str, np.ndarray]]) -> PartnerRanker:
        merged = {f: {**rows, **changed.get(f, {})} for f, rows in shipped_vectors.items()}
        return PartnerRanker(embedder=real_embedder).fit(profiles, merged)

    return fit


def vectors_of(profiles: list[Profile], embedder) -> dict[str, dict[str, np.ndarray]]:
    """The vectors the write path stores for these profiles (engine.save_and_embed)."""
    vectors: dict[str, dict[str, np.ndarray]] = {field: {} for field in FIELDS}
    for profile in profiles:
        for field, texts_of in FIELDS.items():
            texts = texts_of(profile)
            if texts:
                vectors[field][profile.id] = embedder.encode(texts)
    return vectors


def ranked(ranker: PartnerRanker, company_id: str) -> list[tuple[str, float]]:
    return [(m.id, m.score) for m in ranker.match(company_id)]


def assert_same_ranking(
    incremental: PartnerRanker, refit: PartnerRanker, company_id: str, tolerance=TOLERANCE
):
    got, want = ranked(incremental, company_id), ranked(refit, company_id)
    assert [i for i, _ in got] == [i for i, _ in want]
    assert max(abs(a - b) for (_, a), (_, b) in zip(got, want, strict=True)) <= tolerance


def edit(profile: Profile, donor: Profile) -> Profile:
    """The profile with another company's offers and seeks: words the fit knows."""
    return dataclasses.replace(profile, offers=donor.offers, seeks=donor.seeks)


def test_an_edit_ranks_as_a_refit_does(shipped, fitted, real_embedder, refit):
    target, donor = shipped[5], shipped[40]
    edited = edit(target, donor)
    after = [edited if p.id == target.id else p for p in shipped]
    vectors = vectors_of([edited], real_embedder)
    incremental = apply_changes(fitted, [edited], [], vectors)
    refit = refit(after, vectors)

    assert_same_ranking(incremental, refit, target.id)
    assert ranked(incremental, target.id) != ranked(fitted, target.id)  # the edit shows
    for other in (donor.id, shipped[60].id, shipped[90].id):  # and others' lists agree
        assert_same_ranking(incremental, refit, other)
    # the raw signals that do not read the vocabulary are equal (to float32 rounding)
    a, b = incremental.index_[target.id], refit.index_[target.id]
    ids = [p.id for p in after if p.id != target.id]
    got = incremental.partner_evidence(a, np.array([incremental.index_[i] for i in ids]))
    want = refit.partner_evidence(b, np.array([refit.index_[i] for i in ids]))
    for name in set(got) - {"lexical"}:
        np.testing.assert_allclose(got[name], want[name], atol=1e-5, err_msg=name)
    np.testing.assert_allclose(got["lexical"], want["lexical"], atol=0.02)


def test_added_and_deleted_companies_rank_as_after_a_refit(
    shipped, fitted, real_embedder, refit
):
    gone, template = shipped[10], shipped[70]
    newcomer = dataclasses.replace(template, id="riga-newcomer", name="Riga Newcomer (fictional)")
    after = [p for p in shipped if p.id != gone.id] + [newcomer]
    vectors = vectors_of([newcomer], real_embedder)
    incremental = apply_changes(fitted, [newcomer], [gone.id], vectors)
    refit = refit(after, vectors)

    assert gone.id not in incremental.index_
    assert_same_ranking(incremental, refit, newcomer.id, TOLERANCE_RARITY)
    assert_same_ranking(incremental, refit, template.id, TOLERANCE_RARITY)
    for company in shipped[:30]:
        if company.id != gone.id:
            ids = [m.id for m in incremental.match(company.id, top=len(shipped))]
            assert gone.id not in ids
    assert [p.id for p in incremental.live_profiles()] == [p.id for p in after]
    assert changed_share(incremental) == pytest.approx(2 / len(shipped))


def test_the_old_ranker_is_left_as_it_was(shipped, fitted, real_embedder):
    """Copy-on-write: a snapshot still serving searches keeps its answers."""
    target = shipped[3]
    before = ranked(fitted, target.id)
    edited = edit(target, shipped[50])
    again = edit(target, shipped[51])
    first = apply_changes(fitted, [edited], [], vectors_of([edited], real_embedder))
    second = apply_changes(first, [again], [], vectors_of([again], real_embedder))
    assert ranked(fitted, target.id) == before
    assert len(fitted.profiles_) == len(shipped)
    assert len(first.profiles_) == len(shipped) + 1 and len(second.profiles_) == len(shipped) + 2
    assert first.offer_vecs_.base is second.offer_vecs_.base  # grown in place, not copied
    assert ranked(first, target.id) != before


def test_free_text_and_similar_leave_out_replaced_rows(shipped, fitted, real_embedder):
    target = shipped[7]
    edited = dataclasses.replace(target, name=target.name + " (renamed)")
    incremental = apply_changes(fitted, [edited], [], vectors_of([edited], real_embedder))
    text = incremental.query(target.offers, top=len(shipped))
    similar = incremental.similar(shipped[8].id, top=len(shipped))
    for matches in (text.matches, similar):
        ids = [m.id for m in matches]
        assert len(ids) == len(set(ids))
        names = {m.id: m.name for m in matches}
        if target.id in names:
            assert names[target.id].endswith("(renamed)")


def test_rows_added_since_the_approximate_index_was_built_are_found(shipped):
    """Stage 1 from the index (ranking.approximate) scans added rows exactly beside it."""
    from matchmaker.embedding import HashingEmbedder

    embedder = HashingEmbedder()
    ranker = PartnerRanker(embedder=embedder, approximate_from=10, candidates=20)
    ranker.fit(shipped, vectors_of(shipped, embedder))
    ranker.first_stage_.exact_below = 0  # always the index, however few are eligible
    query = shipped[0].id
    best = ranker.match(query, top=1)[0].id
    twin = dataclasses.replace(shipped[ranker.index_[best]], id="twin", name="Twin (fictional)")
    updated = apply_changes(ranker, [twin], [best], vectors_of([twin], embedder))
    ids = [m.id for m in updated.match(query, top=5)]
    assert ids[0] == "twin" and best not in ids


def _row_arrays(obj, path: str = "ranker", depth: int = 0):
    """(path, rows) of every per-row array or list reachable from the ranker's fitted parts."""
    from scipy.sparse import spmatrix

    for name, value in vars(obj).items():
        where = f"{path}.{name}"
        if isinstance(value, np.ndarray) and value.ndim:
            yield where, len(value)
        elif isinstance(value, spmatrix):
            yield where, value.shape[0]
        elif isinstance(value, list):
            yield where, len(value)
        elif (
            depth < 3
            and type(value).__module__.startswith("matchmaker")
            and hasattr(value, "__dict__")
            and name.endswith("_")
        ):
            yield from _row_arrays(value, where, depth + 1)


def test_every_per_company_array_grows_with_an_update(shipped):
    """A fitted part that apply_changes forgets (licensing_ once) breaks ranking of the row.

    Every array or list of the fitted ranker (and of its role, focus, licensing and
    lexical parts) that has one entry per company must have one per row after an
    update, and the updated company must rank and be ranked (it once raised an
    IndexError in LicensingFit.evidence, a 500 on the first search after any edit).
    """
    from matchmaker.embedding import HashingEmbedder

    embedder = HashingEmbedder()
    ranker = PartnerRanker(embedder=embedder).fit(shipped, vectors_of(shipped, embedder))
    n = len(shipped)
    per_row = {where for where, rows in _row_arrays(ranker) if rows == n}
    assert "ranker.role_fit_.licensing_.out_" in per_row  # the walk reaches the sub-fits
    licensor = dataclasses.replace(
        shipped[4], id="licensor", offers="oncology assets; global licensees wanted",
        seeks="partners to license our oncology assets abroad",
    )
    updated = apply_changes(ranker, [licensor], [], vectors_of([licensor], embedder))
    grown = dict(_row_arrays(updated))
    assert {where: grown[where] for where in per_row} == {where: n + 1 for where in per_row}
    assert updated.role_fit_.licensing_.out_[updated.index_["licensor"]]
    assert updated.match("licensor")
    korean = next(p.id for p in shipped if p.country == "KR")  # the licensor is Latvian
    assert "licensor" in [m.id for m in updated.match(korean, top=n)]


def test_a_company_changed_twice_in_one_update_keeps_one_live_row(shipped, fitted, real_embedder):
    """The store gives one row per id, but a caller may not: the last version counts."""
    target = shipped[5]
    first, last = edit(target, shipped[60]), edit(target, shipped[61])
    updated = apply_changes(fitted, [first, last], [], vectors_of([last], real_embedder))
    rows = [i for i, p in enumerate(updated.profiles_) if p.id == target.id]
    assert [i for i in rows if updated.alive_[i]] == [updated.index_[target.id]]
    assert updated.profiles_[updated.index_[target.id]] == last
