"""The Matchmaker service: one object for every read and write a front end makes."""

from __future__ import annotations

import dataclasses

import pytest

from matchmaker import errors
from matchmaker.embedding import HashingEmbedder, ModelMismatchError
from matchmaker.reports import ReportSpec
from matchmaker.service import Matchmaker
from matchmaker.store import Store


@pytest.fixture
def service(store: Store, hashing_embedder) -> Matchmaker:
    return Matchmaker(store, hashing_embedder)


def test_the_ranker_is_fitted_once_per_data_revision(service: Matchmaker, store: Store):
    first = service.ranker()
    assert service.ranker() is first
    service.delete("baltic-generics", actor="test")
    second = service.ranker()
    assert second is not first and "baltic-generics" not in second.index_


def test_match_and_similar_refuse_an_unknown_company(service: Matchmaker):
    with pytest.raises(errors.UnknownCompany):
        service.match("nope")
    with pytest.raises(errors.UnknownCompany):
        service.similar("nope")


def test_a_deleted_company_leaves_search_and_a_restored_one_comes_back(service: Matchmaker):
    partners = [m.id for m in service.match("han-generics", top=20)]
    assert "baltic-generics" in partners
    service.delete("baltic-generics", actor="test")
    assert "baltic-generics" not in [m.id for m in service.match("han-generics", top=20)]
    service.restore("baltic-generics", actor="test")
    assert [m.id for m in service.match("han-generics", top=20)] == partners


def test_query_returns_the_reading_with_the_matches(service: Matchmaker):
    found = service.query("PCR kits for our laboratories", country="KR", top=3)
    assert found.reading.needs and found.matches
    assert {m.country for m in found.matches} == {"KR"}


def test_a_saved_edit_shows_in_the_next_match(service: Matchmaker, store: Store):
    profile = store.get("baltic-generics")
    saved = service.save(profile, actor="test", expected_version=profile.version)
    assert saved.version == profile.version  # nothing changed, nothing bumped
    stale = store.get("baltic-generics")
    with pytest.raises(errors.StaleVersion):
        service.save(stale, actor="test", expected_version=stale.version - 1)


def test_a_report_is_ranked_by_the_services_ranker(service: Matchmaker):
    ranker = service.ranker()
    report = service.report(ReportSpec(top=2))
    assert report.sections and all(len(s.entries) <= 2 for s in report.sections)
    assert service.ranker() is ranker  # the report fitted nothing of its own


def test_stats_count_the_fields_the_running_model_has_yet_to_embed(
    service: Matchmaker, store: Store
):
    figures = service.stats()
    assert figures["model"] == service.model_id == "hashing-v1"
    assert figures["stale_fields"] == service.stale_field_count() == 0
    assert figures["embedded_companies"] == figures["companies"]
    profile = store.get("baltic-generics")
    edited = dataclasses.replace(profile, offers="sterile eye drops; contract manufacturing")
    store.save(edited, actor="test", expected_version=profile.version)  # saved, not embedded
    stale = service.stale_field_count()
    assert stale > 0
    assert service.embed_stale() == stale
    assert service.stats()["stale_fields"] == 0


def test_reembed_moves_every_vector_to_the_running_model(store: Store, hashing_embedder):
    old = Matchmaker(store, hashing_embedder)
    other = Matchmaker(store, HashingEmbedder(dim=64))
    with pytest.raises(ModelMismatchError):  # ranking refuses to mix two models' vectors
        other.ranker()
    to_embed = other.stale_field_count()
    assert to_embed > 0 and old.stale_field_count() == 0
    done, dropped = other.reembed()
    assert done == to_embed and dropped > 0
    assert other.stats()["stale_fields"] == 0 and store.foreign_vector_models(other.model_id) == {}
    assert other.match("han-generics")
    assert old.stale_field_count() == done  # the old model's vectors are gone


def test_a_fitter_replaces_the_services_own_fit(service: Matchmaker, store: Store):
    """The web app's report jobs hand over its live ranker: the report fits nothing else."""
    calls = []

    def fitter(fitted_store: Store, progress):
        calls.append((fitted_store, progress))
        return service.ranker(progress)

    def embedding(done: int, total: int) -> None:
        pass

    jobs = Matchmaker(store, progress=embedding, fitter=fitter)
    report = jobs.report(ReportSpec(top=2))
    assert calls == [(store, embedding)]
    assert jobs.ranker() is service.ranker()  # cached for the revision: no second call
    assert len(calls) == 1 and report.sections
