"""Incremental updates on a ranker loaded from its saved parts equal those on a fitted one.

A web process loads the newest saved fit (fitted_state.load_latest) and applies the
companies changed since (ranking.incremental); its per-company lists are then
saved_parts.SavedRows, its vectorizers Deferred, its sparse matrices SavedCsr, its
arrays padded memory-mapped views. Every update must give exactly what the same update
on the freshly fitted ranker gives, leave the loaded ranker as it was (another thread
may be ranking with it), and the updated ranker must save and load again.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from matchmaker import fitted_state
from matchmaker.embedding import HashingEmbedder
from matchmaker.importing import parse_file
from matchmaker.profiles import Profile
from matchmaker.ranking import PartnerRanker
from matchmaker.ranking.incremental import apply_changes
from matchmaker.saved_parts import Deferred, SavedCsr, SavedRows, resolve_all
from matchmaker.texts import FIELDS

DATA = Path(__file__).resolve().parents[1] / "data" / "companies.jsonl"
EMBEDDER = HashingEmbedder()


@pytest.fixture(scope="module")
def shipped() -> list[Profile]:
    parsed = parse_file(DATA)
    assert parsed.ok
    return parsed.profiles


@pytest.fixture(autouse=True)
def _everything_saved_aside(monkeypatch):
    """The shipped set is small: send every list and array aside, as at 10k companies."""
    monkeypatch.setattr(fitted_state, "MAPPED_BYTES", 0)
    monkeypatch.setattr(fitted_state, "ROWS_FROM", 0)


def vectors_of(profiles: list[Profile]) -> dict[str, dict[str, np.ndarray]]:
    vectors: dict[str, dict[str, np.ndarray]] = {field: {} for field in FIELDS}
    for profile in profiles:
        for field, texts_of in FIELDS.items():
            if texts := texts_of(profile):
                vectors[field][profile.id] = EMBEDDER.encode(texts)
    return vectors


def saved_and_loaded(ranker: PartnerRanker, folder: Path) -> PartnerRanker:
    folder.mkdir()
    fitted_state._write(ranker, folder)
    return fitted_state._read(folder, EMBEDDER, None)


def answers(ranker: PartnerRanker, ids: list[str]) -> list:
    """What a user sees: partners and similar companies of ``ids``, a free-text search."""
    found = [[m.to_dict() for m in ranker.match(i)] for i in ids]
    found += [[m.to_dict() for m in ranker.similar(i)] for i in ids]
    found.append([m.to_dict() for m in ranker.query("PCR kits distributor", "KR").matches])
    return found


def changes(shipped: list[Profile]) -> tuple[list[Profile], list[str]]:
    """An edit (another company's offers and seeks), an added company, a deleted one."""
    edited = dataclasses.replace(shipped[3], offers=shipped[40].offers, seeks=shipped[40].seeks)
    added = dataclasses.replace(shipped[7], id="added-twin", name="Added Twin (fictional)")
    return [edited, added], [shipped[11].id]


@pytest.mark.parametrize("approximate_from", [None, 10], ids=["exact", "approximate"])
def test_an_update_on_a_loaded_fit_equals_one_on_the_fitted_ranker(
    shipped, tmp_path, approximate_from
):
    options = {} if approximate_from is None else {"approximate_from": 10, "candidates": 20}
    fitted = PartnerRanker(embedder=EMBEDDER, **options).fit(shipped, vectors_of(shipped))
    loaded = saved_and_loaded(fitted, tmp_path / "fit")
    assert isinstance(loaded.profiles_, SavedRows) and isinstance(loaded.vectorizer_, Deferred)
    assert isinstance(loaded.lex_profiles_, SavedCsr)
    assert isinstance(loaded.bm25_.words_.weights_, SavedCsr)
    ids = [shipped[0].id, shipped[3].id, shipped[7].id, "added-twin"]
    before = answers(loaded, ids[:3])

    changed, deleted = changes(shipped)
    want = apply_changes(fitted, changed, deleted, vectors_of(changed))
    got = apply_changes(loaded, changed, deleted, vectors_of(changed))
    assert answers(got, ids) == answers(want, ids)
    assert answers(loaded, ids[:3]) == before  # the loaded ranker is left as it was

    again = saved_and_loaded(got, tmp_path / "updated")  # an updated ranker saves and loads
    assert answers(again, ids) == answers(want, ids)
    assert shipped[11].id not in [m.id for m in again.match(shipped[0].id, top=200)]

    second = [dataclasses.replace(shipped[20], offers=shipped[3].offers)]
    want = apply_changes(want, second, [], vectors_of(second))
    assert answers(apply_changes(again, second, [], vectors_of(second)), ids) == answers(
        want, ids
    )
    assert answers(apply_changes(got, second, [], vectors_of(second)), ids) == answers(want, ids)


def test_warming_up_a_loaded_fit_unpickles_every_vectorizer(shipped, tmp_path):
    """What a web process does in the background after loading (live_index), so its first
    update does not pay for it."""
    fitted = PartnerRanker(embedder=EMBEDDER).fit(shipped, vectors_of(shipped))
    loaded = saved_and_loaded(fitted, tmp_path / "fit")
    deferred = [
        loaded.vectorizer_,
        loaded.peer_vectorizer_,
        loaded.bm25_.words_.vectorizer_,
        loaded.bm25_.concepts_.vectorizer_,
    ]
    assert all(isinstance(d, Deferred) and "not loaded" in repr(d) for d in deferred)
    assert resolve_all(loaded) == len(deferred)
    assert not any("not loaded" in repr(d) for d in deferred)
    assert resolve_all(loaded) == len(deferred)  # again: nothing loaded twice, same count
