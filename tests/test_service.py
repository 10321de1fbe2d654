"""The Matchmaker service: one object for every read and write a front end makes."""

from __future__ import annotations

import pytest

from matchmaker import errors
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
