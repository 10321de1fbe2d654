"""Ranking signals, their combination and the explanations.

Unit tests build tiny pools with the hashing embedder, where identical phrases
have cosine 1, so each signal's direction can be checked exactly; the tests
marked `model` use all-MiniLM-L6-v2 on the fictional fixture.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matchmaker.engine import fit_in_memory
from matchmaker.importing import parse_file
from matchmaker.profiles import validate_profile
from matchmaker.ranking import PartnerRanker, Weights, parse_text_query
from matchmaker.ranking.signals import harmonic, standardise
from matchmaker.texts import matching_phrase


def company(cid: str, country: str, offers: str, seeks: str, **extra) -> object:
    return validate_profile(
        {
            "id": cid,
            "name": f"{cid} (fictional)",
            "country": country,
            "description": f"Fictional company {cid}.",
            "offers": offers,
            "seeks": seeks,
            "source": "test fixture (fictional)",
            **extra,
        }
    )


@pytest.fixture
def pool(hashing_embedder):
    query = company(
        "query", "LV", "sterile injectable manufacturing", "hospital tender distribution"
    )
    return fit_in_memory(
        [
            query,
            company(
                "two-sided",
                "KR",
                "hospital tender distribution",
                "sterile injectable manufacturing",
            ),
            company("one-sided", "KR", "hospital tender distribution", "cosmetic packaging design"),
            company(
                "twin", "KR", "sterile injectable manufacturing", "hospital tender distribution"
            ),
            company("unrelated", "KR", "plywood sheets", "timber importers"),
        ],
        hashing_embedder,
    )


def test_standardise_centres_and_scales_and_is_zero_when_all_agree():
    values = standardise(np.array([1.0, 2.0, 3.0]))
    assert values.mean() == pytest.approx(0)
    assert values.std() == pytest.approx(1)
    assert list(standardise(np.array([0.4, 0.4]))) == [0, 0]
    assert list(standardise(np.array([0.4]))) == [0]


def test_harmonic_mean_ranks_one_sided_below_two_sided():
    two_sided, one_sided = harmonic(np.array([0.5, 0.9]), np.array([0.5, 0.1]))
    assert two_sided > one_sided


def test_two_sided_fit_beats_one_sided_and_the_twin_and_the_unrelated(pool):
    ranked = [m.id for m in pool.match("query")]
    assert ranked[0] == "two-sided"
    assert ranked.index("one-sided") < ranked.index("unrelated")
    assert ranked.index("twin") > ranked.index("two-sided")


def test_the_twin_gets_the_largest_competitor_penalty(pool):
    parts = {m.id: m.score_parts for m in pool.match("query")}
    assert min(parts, key=lambda cid: parts[cid]["competitor"]) == "twin"


def test_a_zero_weight_removes_a_signal(hashing_embedder, pool):
    no_penalty = fit_in_memory(pool.profiles_, hashing_embedder, Weights(competitor=0.0))
    assert all(m.score_parts["competitor"] == 0 for m in no_penalty.match("query"))


def test_explanations_quote_what_meets_what_in_both_directions(pool):
    best = pool.match("query")[0]
    assert (
        "Offers “hospital tender distribution” for your need “hospital tender distribution”"
        in best.reasons
    )
    assert (
        "Seeks “sterile injectable manufacturing”, which you offer: "
        "“sterile injectable manufacturing”" in best.reasons
    )


def test_the_twin_is_flagged_as_a_possible_competitor(pool):
    twin = next(m for m in pool.match("query") if m.id == "twin")
    assert any("possible competitor" in reason for reason in twin.reasons)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("Korean distribution partners", "distribution partners"),
        ("nationwide drug distribution in Korea", "nationwide drug distribution"),
        ("EU-GMP finished-dose manufacturing", "EU-GMP finished-dose manufacturing"),
        ("Korea", "Korea"),
    ],
)
def test_place_words_are_dropped_from_matching_phrases(phrase, expected):
    assert matching_phrase(phrase) == expected


@pytest.fixture(scope="module")
def real_ranker(real_embedder) -> PartnerRanker:
    """The mini set fitted in memory with the real model, once for this module."""
    parsed = parse_file(Path(__file__).parents[1] / "fixtures" / "mini.jsonl")
    return fit_in_memory(parsed.profiles, real_embedder)


@pytest.mark.model
def test_a_real_partner_outranks_the_competitor_twin_with_the_real_model(real_ranker):
    ranked = [m.id for m in real_ranker.match("baltic-generics")]
    assert ranked.index("seoul-pharma-distribution") < ranked.index("han-generics")


@pytest.mark.model
def test_a_free_text_need_prefers_the_distributor_to_the_kit_maker(real_ranker):
    results = real_ranker.query("Korean distributor for our PCR kits", country="KR").matches
    ranked = [m.id for m in results]
    assert ranked.index("seoul-pharma-distribution") < ranked.index("incheon-diagnostics")
    kit_maker = results[ranked.index("incheon-diagnostics")]
    assert kit_maker.score_parts["competitor"] < 0


def test_the_competitor_penalty_never_adds_points(pool):
    assert all(m.score_parts["competitor"] <= 0 for m in pool.match("query"))


def test_a_text_query_penalises_who_offers_and_seeks_the_same_not_the_supplier(
    hashing_embedder,
):
    """ "CDMO to manufacture our antibody": a CDMO offering antibody manufacturing is the
    answer, not a competitor; a company offering antibodies and seeking manufacturing is."""
    ranker = fit_in_memory(
        [
            company("cdmo", "KR", "antibody; manufacturing", "biotech clients"),
            company("twin", "KR", "antibody; vaccines", "manufacturing; investors"),
            company("other", "KR", "hospital logistics", "freight customers"),
            company("more", "KR", "clinical data", "hospital partners"),
        ],
        hashing_embedder,
    )
    parsed = parse_text_query("manufacturing for our antibody")
    assert parsed.needs == ["manufacturing"] and parsed.offers == ["antibody"]
    parts = {m.id: m.score_parts for m in ranker.query(parsed.text, country="KR").matches}
    assert parts["twin"]["competitor"] < parts["cdmo"]["competitor"] <= 0


def test_what_a_company_is_can_meet_a_need_and_the_reason_says_so(hashing_embedder):
    """ "research institute partners" is met by a research institute whose offers only list
    its services: its identity sentence (the description's first sentence) counts."""
    ranker = fit_in_memory(
        [
            company("kr-institute", "KR", "biobank access", "research institute partners"),
            company(
                "lv-institute",
                "LV",
                "bioinformatics courses",
                "biobank access",
                description="Research institute in Riga. It runs courses.",
            ),
            company(
                "lv-plywood",
                "LV",
                "bioinformatics courses",
                "biobank access",
                description="Plywood mill in Riga. It runs courses.",
            ),
        ],
        hashing_embedder,
    )
    results = {m.id: m for m in ranker.match("kr-institute")}
    assert results["lv-institute"].score > results["lv-plywood"].score
    assert any(
        r.startswith("Is “Research institute in Riga.”: meets your need “research institute")
        for r in results["lv-institute"].reasons
    )


def test_a_text_that_states_only_offers_finds_who_wants_them(hashing_embedder):
    """ "We make PCR kits": no need is stated, so the company that seeks PCR kits comes first."""
    ranker = fit_in_memory(
        [
            company("buyer", "KR", "hospital supply", "PCR kits; lab reagents"),
            company("maker", "KR", "PCR kits; lab reagents", "investors"),
            company("other", "KR", "freight forwarding", "shipping clients"),
            company("more", "KR", "clinical data", "hospital partners"),
        ],
        hashing_embedder,
    )
    results = ranker.query("We make PCR kits and lab reagents", country="KR").matches
    assert results[0].id == "buyer"
    # the words typed name the user's own products: matching them would favour the maker
    assert all("lexical" not in m.score_parts for m in results)
    assert any(
        reason.startswith("Seeks ") and "which you offer: “PCR kits and lab reagents”" in reason
        for reason in results[0].reasons
    )
