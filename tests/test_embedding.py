"""Embedding: the embedder protocol, staleness by text hash, batching, offline model lookup."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from matchmaker import engine
from matchmaker.embedding import (
    HashingEmbedder,
    ModelNotFoundError,
    SentenceTransformerEmbedder,
    resolve_model_path,
)
from matchmaker.indexing import embed_profiles, stale_fields, text_hash
from matchmaker.store import Store
from matchmaker.texts import FIELDS

MODEL = HashingEmbedder.model_id


def assert_unit_rows(matrix: np.ndarray, dim: int, rows: int) -> None:
    assert matrix.dtype == np.float32 and matrix.shape == (rows, dim)
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)


def test_hashing_embedder_is_deterministic_and_normalised(hashing_embedder):
    texts = ["EU-GMP tablets", "PCR 검사 키트", "Rīgas ziedes"]
    first = hashing_embedder.encode(texts)
    assert_unit_rows(first, hashing_embedder.dim, 3)
    assert np.array_equal(first, HashingEmbedder().encode(texts))
    assert hashing_embedder.encode([]).shape == (0, hashing_embedder.dim)


def test_text_hash_depends_on_model_and_every_text():
    base = text_hash("m", ["ab", "c"])
    assert base == text_hash("m", ["ab", "c"])
    assert base != text_hash("other-model", ["ab", "c"])
    assert base != text_hash("m", ["a", "bc"])  # the separator keeps texts apart
    assert base != text_hash("m", ["c", "ab"])
    assert text_hash("m", []) != text_hash("m", [""])


def test_only_fields_whose_text_changed_are_stale(store):
    profile = store.get("daugava-lab-supply")
    assert stale_fields(store, [profile], MODEL) == []
    edited = dataclasses.replace(profile, seeks=profile.seeks + "; veterinary test kits")
    stale = {(p.id, field) for p, field, _, _ in stale_fields(store, [edited], MODEL)}
    assert stale == {
        ("daugava-lab-supply", "profile"),
        ("daugava-lab-supply", "seeks"),
        ("daugava-lab-supply", "seek_phrases"),
    }
    renamed = dataclasses.replace(profile, name="Daugava Lab Supply Group (fictional)")
    assert [f for _, f, _, _ in stale_fields(store, [renamed], MODEL)] == ["profile"]
    assert {f for _, f, _, _ in stale_fields(store, [profile], "another-model")} == set(FIELDS)


def test_embedding_saves_vectors_for_every_field(store, hashing_embedder):
    for field, texts_of in FIELDS.items():
        rows = store.load_vectors(MODEL, field)
        for profile in store.list():
            texts = texts_of(profile)
            row = rows[profile.id]
            assert row.texts == texts and row.text_hash == text_hash(MODEL, texts)
            if texts:
                assert_unit_rows(row.vectors, hashing_embedder.dim, len(texts))
            else:
                assert row.vectors.shape[0] == 0


def test_a_profile_without_offers_or_seeks_embeds_empty_fields(store):
    assert store.get("quiet-holding").incomplete
    assert store.load_vectors(MODEL, "offer_phrases")["quiet-holding"].vectors.shape[0] == 0
    assert store.load_vectors(MODEL, "profile")["quiet-holding"].vectors.shape[0] == 1


def test_embedding_runs_in_batches_and_reports_progress(tmp_db_path, mini_profiles):
    calls: list[tuple[int, int]] = []
    with Store.open(tmp_db_path, create=True) as db:
        db.upsert_many(mini_profiles, actor="test")
        done = embed_profiles(
            db,
            HashingEmbedder(),
            progress=lambda d, t: calls.append((d, t)),
            batch_profiles=3,
        )
        total = len(mini_profiles) * len(FIELDS)
        assert done == total
        assert [t for _, t in calls] == [total] * len(calls) and len(calls) == 4
        assert [d for d, _ in calls] == sorted(d for d, _ in calls) and calls[-1][0] == total
        assert engine.count_stale(db, HashingEmbedder()) == 0
        assert embed_profiles(db, HashingEmbedder()) == 0


def test_make_embedder_reads_the_setting(monkeypatch):
    assert isinstance(engine.make_embedder("hashing"), HashingEmbedder)
    monkeypatch.setenv("MATCHMAKER_MODEL", "hashing")
    assert isinstance(engine.make_embedder(), HashingEmbedder)


def test_a_missing_model_folder_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.setenv("MATCHMAKER_MODEL", str(tmp_path / "nowhere"))
    with pytest.raises(ModelNotFoundError) as info:
        engine.make_embedder()
    message = str(info.value)
    assert str(tmp_path / "nowhere") in message and "./scripts/setup" in message
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFoundError):
        SentenceTransformerEmbedder(tmp_path / "empty")


def test_the_default_model_is_found_locally(monkeypatch):
    monkeypatch.delenv("MATCHMAKER_MODEL", raising=False)
    path = resolve_model_path()
    assert (path / "modules.json").is_file() or (path / "config.json").is_file()


@pytest.mark.model
def test_the_real_model_gives_384_dim_unit_vectors_that_mean_something(real_embedder):
    assert real_embedder.model_id == "all-MiniLM-L6-v2"
    vectors = real_embedder.encode(
        [
            "real-time PCR test kits",
            "molecular diagnostic kits for laboratories",
            "birch plywood for construction",
        ]
    )
    assert_unit_rows(vectors, 384, 3)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    assert real_embedder.encode([]).shape == (0, 384)
