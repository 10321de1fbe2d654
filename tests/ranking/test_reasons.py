"""Reasons a person reads in five seconds, and the score in words (no model needed)."""

from __future__ import annotations

from matchmaker.profiles import Profile
from matchmaker.ranking.explaining import (
    BRIEF_REASONS,
    BRIEF_WORDS,
    Explanation,
    Reason,
    arrange,
    explain_match,
)
from matchmaker.ranking.fit import FIT_CUTOFFS, fit_label
from matchmaker.role_fit import RolePair

GRINDEKS_LIKE = Profile(
    id="lv-pharma", name="LV Pharma", country="LV", description="Latvian generic maker.",
    offers="cardiovascular generics; EU-GMP tablets", seeks="Korean distribution partners",
    partnership_types=["distribution", "licensing"],
)
WHOLESALER = Profile(
    id="kr-wholesaler", name="KR Wholesaler", country="KR",
    description="Korea's largest pharmaceutical wholesaler.",
    offers="nationwide drug distribution; pharmacy network",
    seeks="foreign pharmaceutical manufacturers entering Korea; foreign distributors",
    partnership_types=["distribution"],
)


def evidence(**changes) -> Explanation:
    base = Explanation(
        need_pairs=[
            ("Korean distribution partners", "nationwide drug distribution", 0.62),
            ("Korean distribution partners", "pharmacy network", 0.33),
        ],
        offer_pairs=[("foreign distributors", "Latvian generic maker.", 0.51)],
        query_identity="Latvian generic maker.",
        candidate_identity="Korea's largest pharmaceutical wholesaler.",
        shared_terms=["distribution", "korean", "pharmacy"],
        roles=RolePair(
            candidate_roles=("distributor",),
            query_roles=("pharma-company",),
            candidate_is=("distributor",),
            query_is=("pharma-company",),
        ),
        parts={"reciprocal": 1.2, "lexical": 0.4, "roles": 0.5, "market": 0.0},
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def test_the_role_reason_leads_and_says_who_and_why():
    reasons = explain_match(GRINDEKS_LIKE, WHOLESALER, evidence())
    assert reasons.brief[0] == (
        "Korean distributor that seeks “foreign pharmaceutical manufacturers entering Korea”, "
        "which you are: distribution"
    )


def test_the_short_view_keeps_three_reasons_in_thirty_words_without_partial_matches():
    reasons = explain_match(GRINDEKS_LIKE, WHOLESALER, evidence())
    assert len(reasons.brief) <= BRIEF_REASONS
    assert sum(len(r.split()) for r in reasons.brief) <= BRIEF_WORDS
    assert not any("partial match" in r for r in reasons.brief)
    assert any("“pharmacy network”" in r and "(partial match)" in r for r in reasons.full)


def test_which_is_what_you_are_is_not_said_when_the_sought_role_is_not_yours():
    """A pharma company is not the "foreign distributors" a wholesaler seeks, however close."""
    reasons = explain_match(GRINDEKS_LIKE, WHOLESALER, evidence())
    assert not any("foreign distributors" in r and "which is what you are" in r
                   for r in reasons.brief + reasons.full)


def test_shared_place_names_are_not_reasons():
    reasons = explain_match(GRINDEKS_LIKE, WHOLESALER, evidence())
    terms = next(r for r in reasons.full if r.startswith("Shared terms"))
    assert "korean" not in terms and "pharmacy" in terms


def test_a_caution_is_never_cut_from_the_short_view():
    many = [Reason(f"Reason number {i} with quite a few words in it", 5 - i, f"Short {i} a b c d")
            for i in range(5)]
    caution = Reason("Caution: possible competitor", float("inf"), "Caution: possible competitor")
    brief = arrange([*many, caution]).brief
    assert brief[-1] == "Caution: possible competitor" and len(brief) == BRIEF_REASONS
    assert brief[0] == "Short 0 a b c d"


def test_a_result_without_strong_reasons_still_shows_one():
    brief = arrange([Reason("No clear need-to-offer match; ranked on the overall profile", 0.0)])
    assert brief.brief == ["No clear need-to-offer match; ranked on the overall profile"]


def test_fit_labels_follow_the_cutoffs():
    (strong, _), (good, _) = FIT_CUTOFFS
    assert fit_label(strong) == "strong" and fit_label(strong - 0.01) == "good"
    assert fit_label(good) == "good" and fit_label(good - 0.01) == "possible"
    assert fit_label(-5.0) == "possible"
