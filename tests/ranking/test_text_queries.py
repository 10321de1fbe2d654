"""Reading a free-text need: what the user needs, and what they offer themselves.

Users write the same request in many shapes; each shape below must come out as the
same kind of small profile, because the offers decide who counts as a competitor.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchmaker.ranking import parse_text_query


@pytest.mark.parametrize(
    ("text", "needs", "offers"),
    [
        # "our X" inside the need
        ("Korean distributor for our PCR kits", ["Korean distributor"], ["PCR kits"]),
        ("manufacturing for our antibody", ["manufacturing"], ["antibody"]),
        (
            "Korean distributor for our PCR kits, ELISA kits and reagents",
            ["Korean distributor"],
            ["PCR kits", "ELISA kits and reagents"],
        ),
        (
            "Looking for a Latvian partner to distribute our insulin pens",
            ["Latvian partner to distribute"],
            ["insulin pens"],
        ),
        (
            "Korean CDMO to manufacture our antibody for clinical supply",
            ["Korean CDMO to manufacture"],
            ["antibody for clinical supply"],
        ),
        (
            "Who can register our medical device with MFDS?",
            ["register with MFDS"],
            ["medical device"],
        ),
        # a clause about the user, then a clause of wanting
        (
            "We make dental implants and need a Latvian distributor",
            ["Latvian distributor"],
            ["dental implants"],
        ),
        (
            "We manufacture generic injectables; we seek Korean licensees",
            ["Korean licensees"],
            ["generic injectables"],
        ),
        (
            "Our company produces wood-based lab furniture and wants Korean buyers",
            ["Korean buyers"],
            ["wood-based lab furniture"],
        ),
        ("We are a Latvian CRO and need Korean sponsors", ["Korean sponsors"], ["Latvian CRO"]),
        (
            "We have an EU-approved generic portfolio. We are looking for a Korean licensee.",
            ["Korean licensee"],
            ["EU-approved generic portfolio"],
        ),
        (
            "partner to co-develop an mRNA vaccine, we bring lipid nanoparticle expertise",
            ["partner to co-develop an mRNA vaccine"],
            ["lipid nanoparticle expertise"],
        ),
        (
            "We sell our kits in Europe, we need Korean distributors",
            ["Korean distributors"],
            ["kits in Europe"],
        ),
        # who the user is, then what they look for, in one clause
        (
            "We are a Latvian biotech company looking for a Korean distributor for our PCR kits",
            ["Korean distributor"],
            ["Latvian biotech company", "PCR kits"],
        ),
        ("We are a CRO that is looking for Korean sponsors", ["Korean sponsors"], ["CRO"]),
        # a described partner is a need, even when it says what that partner looks for
        (
            "Latvian CRO that is looking for Korean sponsors",
            ["Latvian CRO that is looking for Korean sponsors"],
            [],
        ),
        # contractions, "interested in", negations and greetings
        ("We're looking for a distributor in Korea", ["distributor in Korea"], []),
        ("I'm looking for investors", ["investors"], []),
        ("We'd like to find a Korean importer", ["Korean importer"], []),
        (
            "We are interested in Korean suppliers of batteries",
            ["Korean suppliers of batteries"],
            [],
        ),
        (
            "We are not a manufacturer, we are looking for manufacturers of PCR kits",
            ["manufacturers of PCR kits"],
            [],
        ),
        (
            "Hello! We make PCR kits and need a Korean distributor. Can you help?",
            ["Korean distributor"],
            ["PCR kits"],
        ),
        (
            "Distributor in Korea (we make PCR kits)",
            ["Distributor in Korea"],
            ["PCR kits"],
        ),
        # labelled clauses
        ("We need: a distributor, an importer", ["distributor", "importer"], []),
        (
            "need: EU trial sites; offer: biosimilar candidate",
            ["EU trial sites"],
            ["biosimilar candidate"],
        ),
        # needs only
        (
            "EU clinical trial sites for a phase III study",
            ["EU clinical trial sites for a phase III study"],
            [],
        ),
        (
            "Looking for a hospital partner; and a distributor",
            ["hospital partner", "distributor"],
            [],
        ),
        ("We are looking for a Korean licensee", ["Korean licensee"], []),
        ("Our company is seeking EU trial sites", ["EU trial sites"], []),
        ("I am looking for investors", ["investors"], []),
        ("We want to find a CRO", ["CRO"], []),
        (
            "Baltic wholesaler to import and distribute Korean medicines",
            ["Baltic wholesaler to import and distribute Korean medicines"],
            [],
        ),
        ("biobank access", ["biobank access"], []),
    ],
)
def test_free_text_is_read_as_needs_and_own_offers(text, needs, offers):
    parsed = parse_text_query(text)
    assert (parsed.needs, parsed.offers) == (needs, offers)


def test_a_decimal_point_does_not_end_a_clause():
    parsed = parse_text_query("supplier of 0.5 mg tablets. We make API")
    assert (parsed.needs, parsed.offers) == (["supplier of 0.5 mg tablets"], ["API"])


@pytest.mark.parametrize("text", ["we make", "our", "need:", "  ", "...", "Hello!"])
def test_a_text_without_a_readable_need_or_offer_is_kept_whole_as_the_need(text):
    parsed = parse_text_query(text)
    assert (parsed.needs, parsed.offers) == ([text.strip()], [])


@pytest.mark.parametrize(
    ("text", "offers"),
    [
        ("offer: kits", ["kits"]),
        ("Our company is a manufacturer of PCR kits", ["manufacturer of PCR kits"]),
        ("We make insulin pens.", ["insulin pens"]),
    ],
)
def test_a_text_that_states_only_offers_has_no_needs(text, offers):
    parsed = parse_text_query(text)
    assert (parsed.needs, parsed.offers) == ([], offers)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "we",
                "our",
                "need",
                "make",
                "and",
                "for",
                "offer:",
                "need:",
                ",",
                ";",
                ".",
                "a",
                "Korean",
                "kits",
                "are",
                "looking",
                "to",
                "with",
                "부산",
                "Rīga",
                "\u200f",
                "\x00",
            ]
        )
        | st.text(max_size=8),
        max_size=25,
    ).map(" ".join)
)
def test_any_text_gives_a_need_or_an_offer_and_no_empty_phrase(text):
    parsed = parse_text_query(text)
    assert parsed.needs or parsed.offers
    assert all(phrase.strip() for phrase in parsed.offers)
    assert all(phrase for phrase in parsed.needs) or parsed.needs == [text.strip()]
