"""Report rows: the ranker's own results, deterministic, with 'new since' marks and figures."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from matchmaker import __version__, engine
from matchmaker.profiles import validate_profile
from matchmaker.reports import (
    PreviousReport,
    ReportError,
    ReportSpec,
    build_report,
    generate,
    summarise,
)
from matchmaker.reports.formats.json import report_document


def stripped(report) -> str:
    """The JSON document without the one field allowed to differ between runs."""
    document = report_document(report)
    assert document["meta"].pop("generated_at")
    return json.dumps(document, sort_keys=True)


def ranks_of(report, company_id: str) -> dict[str, int]:
    section = next(s for s in report.sections if s.company.id == company_id)
    return {e.match.id: e.rank for e in section.entries}


def test_rows_are_what_match_returns_for_each_company(make_report, ranker):
    report = make_report(ReportSpec(top=4))
    assert len(report.sections) == 10
    for section in report.sections:
        expected = ranker.match(section.company.id, top=4)
        assert [e.match.id for e in section.entries] == [m.id for m in expected]
        assert [e.match.score for e in section.entries] == [m.score for m in expected]
        assert [e.rank for e in section.entries] == list(range(1, len(expected) + 1))
        for entry in section.entries:
            assert entry.match.country != section.company.country
            assert entry.match.reasons and entry.match.score_parts
            assert entry.new is None


def test_chunk_size_does_not_change_the_report(ranker):
    data = {"data_revision": 1, "data_changed_at": None, "companies_in_database": 10}
    one = build_report(ranker, ReportSpec(top=5), data, chunk=1)
    many = build_report(ranker, ReportSpec(top=5), data, chunk=128)
    assert stripped(one) == stripped(many)


def test_same_data_same_model_same_report(make_report):
    first, second = make_report(ReportSpec(top=3)), make_report(ReportSpec(top=3))
    assert stripped(first) == stripped(second)


def test_meta_records_how_to_reproduce(make_report, store, hashing_embedder):
    spec = ReportSpec(top=3, direction="kr-lv", sectors=("generics",))
    meta = make_report(spec).meta
    assert meta["model_id"] == hashing_embedder.model_id
    assert meta["data_revision"] == store.revision()
    assert meta["data_changed_at"] == store.stats()["last_change"]
    assert meta["matchmaker_version"] == __version__
    assert meta["companies_in_database"] == 10
    assert meta["parameters"] == spec.to_dict()
    assert meta["parameters"]["sectors"] == ["generics"]
    assert meta["ranking"]["candidates"] > 0 and meta["ranking"]["weights"]
    assert meta["previous_report"] is None


def test_an_edit_changes_the_recorded_revision(make_report, store, hashing_embedder):
    before = make_report().meta["data_revision"]
    profile = store.get("vidzeme-wood")
    engine.save_and_embed(store, hashing_embedder, replace(profile, city="Valmiera"), actor="t")
    assert make_report().meta["data_revision"] == before + 1


def test_exact_ties_are_ordered_by_partner_id(hostile_store, hashing_embedder, twins):
    report = generate(hostile_store, hashing_embedder, ReportSpec(direction="lv-kr", top=12))
    both = 0
    for section in report.sections:
        ranks = {e.match.id: e.rank for e in section.entries}
        scores = {e.match.id: e.match.score for e in section.entries}
        if all(t in ranks for t in twins):
            both += 1
            assert scores["twin-a-kr"] == scores["twin-b-kr"]
            assert ranks["twin-a-kr"] + 1 == ranks["twin-b-kr"]
    assert both == 4  # every LV company sees both twins: the rule was exercised


def test_new_since_marks_pairs_missing_from_the_previous_report(
    make_report, store, hashing_embedder
):
    first = make_report(ReportSpec(top=3))
    newcomer = validate_profile(
        {
            "id": "new-distribution-kr",
            "name": "New Pharma Distribution (fictional)",
            "country": "KR",
            "sectors": ["distribution", "pharmaceuticals"],
            "description": "Fictional Korean distributor of cardiovascular medicines.",
            "offers": "Korean distributor for cardiovascular medicines; MFDS registration support",
            "seeks": "EU-GMP cardiovascular generic medicines",
            "partnership_types": ["distribution", "licensing", "export"],
        }
    )
    engine.save_and_embed(store, hashing_embedder, newcomer, actor="t", create=True)
    previous = PreviousReport("first.json", frozenset(first.pairs()), first.meta)
    second = make_report(ReportSpec(top=3), previous=previous)
    old = set(first.pairs())
    for section in second.sections:
        for entry in section.entries:
            assert entry.new == ((section.company.id, entry.match.id) not in old)
    fresh = {pair for pair in second.pairs() if pair not in old}
    assert ("baltic-generics", "new-distribution-kr") in fresh
    assert any(company == "new-distribution-kr" for company, _ in fresh)  # a new company too
    assert second.meta["previous_report"]["source"] == "first.json"
    assert second.meta["previous_report"]["data_revision"] == first.meta["data_revision"]
    assert summarise(second).new == len(fresh)

    only = make_report(ReportSpec(top=3, only_new=True), previous=previous)
    assert set(only.pairs()) == fresh
    kept, ranks = ranks_of(only, "baltic-generics"), ranks_of(second, "baltic-generics")
    assert kept == {k: ranks[k] for k in kept}  # a new match keeps its rank in the full list


def test_only_new_needs_a_previous_report(make_report):
    with pytest.raises(ReportError, match="only_new needs a previous report"):
        make_report(ReportSpec(only_new=True))


def test_summary_figures_add_up(make_report):
    report = make_report(ReportSpec(top=4))
    summary = summarise(report)
    assert summary.companies == 10 and summary.matches == report.match_count
    assert sum(sum(b.counts.values()) for b in summary.score_bins) == summary.matches
    assert {d: f["matches"] for d, f in summary.by_direction.items()} == {
        "LV → KR": 16,
        "KR → LV": 24,
    }
    scores = sorted(e.match.score for s in report.sections for e in s.entries)
    assert summary.strong_score in scores
    assert sum(x >= summary.strong_score for x in scores) >= len(scores) // 4
    appearances = {}
    for _, partner in report.pairs():
        appearances[partner] = appearances.get(partner, 0) + 1
    top = summary.top_partners[0]
    assert top.count == max(appearances.values()) == appearances[top.id]


def test_heatmap_counts_each_strong_pair_once_per_sector_cell(make_report):
    report = make_report(ReportSpec(top=4, strong_score=-100.0))  # every match is strong
    heatmap = summarise(report).heatmap
    pairs = set()
    for section in report.sections:
        for entry in section.entries:
            lv, kr = (section.company.id, entry.match.id)
            pairs.add((lv, kr) if section.company.country == "LV" else (kr, lv))
    assert heatmap.pairs == len(pairs)
    sectors = {s.company.id: s.company.sectors for s in report.sections}
    row, col = (
        heatmap.lv_sectors.index("pharmaceuticals"),
        heatmap.kr_sectors.index("pharmaceuticals"),
    )
    expected = sum(
        "pharmaceuticals" in sectors[lv] and "pharmaceuticals" in sectors[kr] for lv, kr in pairs
    )
    assert heatmap.counts[row][col] == expected > 0
