"""rule_scan's fast path gives exactly re.IGNORECASE's hits (why: docs/benchmarks.md, fit speed)."""

from __future__ import annotations

import _sre
import random
import re
import unicodedata
from re._casefix import _EXTRA_CASES  # what IGNORECASE adds to simple lower case

import pytest

from matchmaker import role_inference, therapy
from matchmaker.rule_scan import _FAST_TEXT, RuleSet, needles

RULE_SETS = {
    "areas": therapy.AREA_RULES,
    "modalities": therapy.MODALITY_RULES,
    "identity": role_inference.IDENTITY_RULES + role_inference.IDENTITY_RULES_MORE
    + role_inference.ko_lv.IDENTITY_RULES,
    "want": role_inference.WANT_RULES + role_inference.WANT_RULES_MORE
    + role_inference.ko_lv.WANT_RULES,
    "market": role_inference.MARKET_RULES + role_inference.MARKET_RULES_MORE
    + role_inference.ko_lv.MARKET_RULES,
}


def _fast_characters() -> list[str]:
    return [chr(c) for c in range(0x10000) if _FAST_TEXT.search(chr(c)) is None]


def test_lowering_is_ignorecase_on_every_fast_path_character():
    """For each character the fast path accepts, str.lower() is one character, the one
    re's IGNORECASE compares (its simple lower case), with no extra case partner that
    IGNORECASE would also match, and it keeps word, digit and space classes (\\b, \\w)."""
    for ch in _fast_characters():
        low = ch.lower()
        assert len(low) == 1, ch
        assert ord(low) == _sre.unicode_tolower(ord(ch)), ch
        assert low.isascii() or ord(low) not in _EXTRA_CASES, ch
        for pattern in (r"\w", r"\d", r"\s"):
            assert bool(re.match(pattern, ch)) == bool(re.match(pattern, low)), (ch, pattern)


def test_letters_where_lowering_differs_take_the_exact_path():
    for ch in "İıſµΣς\u212a":  # Turkish İ/ı, long s, micro sign, sigma, final sigma, Kelvin sign
        assert _FAST_TEXT.search(ch) is not None, unicodedata.name(ch)


@pytest.mark.parametrize("name", sorted(RULE_SETS))
def test_every_rule_has_needles_a_match_contains(name):
    for pattern, _ in RULE_SETS[name]:
        words = needles(pattern)
        assert words is None or all(words), pattern


def _exact(rules, text):
    compiled = [re.compile(p, re.IGNORECASE) for p, _ in rules]
    return [(m.start(), i) for i, p in enumerate(compiled) if (m := p.search(text))]


@pytest.mark.parametrize("name", sorted(RULE_SETS))
def test_same_hits_as_ignorecase_on_mixed_texts(name):
    """Random texts built from the rules' own words, in mixed case, with Latvian,
    Korean and the letters where lowering differs: hits equal the original's."""
    rules = RULE_SETS[name]
    scan = RuleSet(rules)
    words = [w for p, _ in rules for w in (needles(p) or ())]
    extra = ["İstanbul", "ſerum", "ıt", "ΣΕ", "Ķīmija", "ĢENĒRISKIE", "제약사로", "AI로", "IT",
             "€5", "; ", " "]
    rng = random.Random(14)
    for _ in range(1500):
        parts = rng.choices(words, k=rng.randint(1, 8)) + rng.choices(extra, k=rng.randint(0, 2))
        rng.shuffle(parts)
        text = " ".join(w.upper() if rng.random() < 0.3 else w.title() if rng.random() < 0.3
                        else w for w in parts)
        assert scan.first_matches(text) == _exact(rules, text), text
