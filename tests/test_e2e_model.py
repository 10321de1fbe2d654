"""End to end with the real all-MiniLM-L6-v2 model: known partners above known competitors.

The fictional mini set has a Latvian generic-drug maker (baltic-generics), a Korean
importer that wants EU generics (its partner) and a Korean generic maker (its
competitor); a Korean biosimilar developer needs EU trial sites, which a Latvian CRO
offers. If the shipped data set is present, Grindeks is matched through the CLI too, on
the shipped data as ./scripts/run imports it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from databases import copy_database

from matchmaker import engine
from matchmaker.cli import cli
from matchmaker.ranking import PartnerRanker
from matchmaker.store import Store

pytestmark = pytest.mark.model

MINI = Path(__file__).parent / "fixtures" / "mini.jsonl"
COMPANIES = Path(__file__).parent.parent / "data" / "companies.jsonl"


@pytest.fixture(scope="module")
def model_ranker(model_db, real_embedder) -> PartnerRanker:
    """The mini set imported into a database (once per session) with the real model."""
    with Store.open(model_db(MINI)) as db:
        assert engine.count_stale(db, real_embedder) == 0
        return engine.build_ranker(db, real_embedder)


def ranked_ids(ranker: PartnerRanker, company_id: str) -> list[str]:
    return [m.id for m in ranker.match(company_id, top=10)]


def test_the_importer_ranks_above_the_competitor_for_a_generic_maker(model_ranker):
    ids = ranked_ids(model_ranker, "baltic-generics")
    assert ids.index("seoul-pharma-distribution") < ids.index("han-generics")
    results = {m.id: m for m in model_ranker.match("baltic-generics", top=10)}
    competitor = results["han-generics"].score_parts["competitor"]
    assert competitor == min(m.score_parts["competitor"] for m in results.values())


def test_the_clinical_research_organisation_ranks_first_for_the_biosimilar_developer(
    model_ranker,
):
    assert ranked_ids(model_ranker, "busan-biologics")[0] == "riga-clinical-research"


def test_partner_reasons_quote_what_meets_what(model_ranker):
    top = model_ranker.match("baltic-generics", top=1)[0]
    assert top.id == "seoul-pharma-distribution"
    assert any(r.startswith("Offers “") and "for your need “" in r for r in top.reasons)
    # the short view says what it seeks once, in the role reason; the full list keeps the pair
    assert "that seeks “" in top.reasons[0] and "which you are" in top.reasons[0]
    assert any(r.startswith("Seeks “") and "which you offer" in r for r in top.reasons_all)


def test_free_text_finds_the_pcr_kit_maker(model_ranker):
    found = model_ranker.query("real-time PCR test kits for laboratories", country="KR", top=3)
    assert found.matches[0].id == "incheon-diagnostics"


@pytest.mark.skipif(
    not COMPANIES.is_file() or '"id": "grindeks"' not in COMPANIES.read_text(encoding="utf-8"),
    reason="data/companies.jsonl with Grindeks is not present",
)
def test_grindeks_is_matched_with_korean_companies_through_the_cli(
    runner, tmp_db_path, monkeypatch, shipped_db
):
    # the shipped data as ./scripts/run imports it (companies.jsonl and the batches),
    # embedded once per session and kept between sessions, which test_flagship reads too:
    # embedding companies.jsonl alone for this test cost a second model run (33 s of 1,264)
    copy_database(shipped_db, tmp_db_path)
    monkeypatch.setenv("MATCHMAKER_DB", str(tmp_db_path))
    monkeypatch.setenv("MATCHMAKER_MODEL", "all-MiniLM-L6-v2")  # shipped_db's model, by name
    result = runner.invoke(cli, ["match", "grindeks", "--json"])
    assert result.exit_code == 0, result.output
    matches = json.loads(result.stdout)
    assert len(matches) == 10
    assert {m["country"] for m in matches} == {"KR"}
    assert all(m["reasons"] and all(r.strip() for r in m["reasons"]) for m in matches)
