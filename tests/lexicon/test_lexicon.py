"""The trilingual domain lexicon: one concept term for the same idea in English, Latvian, Korean.

Real Kiwi and the real stemmer throughout: the point is that the forms are read
exactly as the texts are (issue 11).
"""

from __future__ import annotations

import numpy as np
import pytest

from matchmaker.lexicon import (
    CONCEPT_PREFIX,
    LEFT_OUT_GROUPS,
    Lexicon,
    LexiconError,
    load_concepts,
    shipped_concepts,
    use_lexicon,
    with_concepts,
)
from matchmaker.ranking.lexical import BM25, WordsAndConcepts
from matchmaker.text_languages import lexical_form


def concepts(text: str) -> set[str]:
    return {
        term.removeprefix(CONCEPT_PREFIX)
        for term in with_concepts(text).split()
        if term.startswith(CONCEPT_PREFIX)
    }


def test_the_shipped_file_has_a_few_hundred_concepts_each_in_three_languages():
    found = load_concepts()
    assert len(found) >= 300 and len(shipped_concepts()) >= 200
    assert {c.group for c in shipped_concepts()}.isdisjoint(LEFT_OUT_GROUPS)
    assert len({c.id for c in found}) == len(found)
    for concept in found:
        assert concept.english and concept.latvian and concept.korean, concept.id


def test_one_need_in_three_languages_gets_the_same_concepts():
    korean = concepts("제네릭 의약품 유통 파트너를 찾습니다")
    english = concepts("partner for the distribution of generic medicines")
    latvian = concepts("meklējam ģenērisko zāļu izplatītāju")
    assert {"generic", "medicine", "distribution"} <= korean & english & latvian


def test_korean_is_read_on_morphemes_so_particles_and_compounds_do_not_hide_a_concept():
    assert "distribution" in concepts("유통사를 찾습니다")
    assert {"clinical_trial", "trial_site"} <= concepts("임상시험기관")
    assert "contract_manufacturing" in concepts("무균 주사제 위탁생산 업체")


def test_a_korean_prefix_changes_the_concept():
    """전임상 is preclinical, not clinical; 다기관 is multicentre, not an agency."""
    assert concepts("전임상 약리 연구") >= {"preclinical", "pharmacology"}
    assert "clinical_trial" not in concepts("전임상 약리 연구")
    assert "multinational_trial" in concepts("다기관 연구")


def test_latvian_inflections_and_missing_diacritics_meet_the_same_concept():
    for text in ("klīniskie pētījumi", "klīnisko pētījumu centri", "kliniskajiem petijumiem"):
        assert "clinical_trial" in concepts(text), text
    assert {"generic", "medicine"} <= concepts("generiskas zales")


def test_hyphenated_words_stay_whole():
    """CAR-T is a cell therapy, not a car; EU-GMP is GMP (every group, the car makers too)."""
    use_lexicon(Lexicon(load_concepts()))
    try:
        found = concepts("CAR-T cell therapy made under EU-GMP")
        assert "automotive" in concepts("car makers")
    finally:
        use_lexicon(None)
    assert {"cell_therapy", "gmp"} <= found
    assert "automotive" not in found


def test_english_words_are_kept_as_they_were_and_concepts_only_added():
    text = "Generic medicines distribution in the Baltics"
    assert with_concepts(text).startswith(lexical_form(text))
    assert with_concepts("quarterly report") == lexical_form("quarterly report")


CORPUS = [
    "Wholesale distributor of generic medicines and OTC products in the Baltic states",
    "Plywood and birch veneer manufacturer",
    "Glass fibre yarns and fabrics for composites",
]


def test_concepts_find_the_english_distributor_for_a_korean_need():
    need = "유럽 제네릭 의약품 유통 파트너를 찾습니다"
    words = BM25().fit(CORPUS).scores(need)
    both = WordsAndConcepts().fit(CORPUS).scores(need)
    assert np.all(words == 0)  # no shared word: the gap the lexicon closes
    assert int(np.argmax(both)) == 0 and both[0] > 0
    pool = np.array([2, 0])
    assert np.allclose(WordsAndConcepts().fit(CORPUS).scores(need, pool), both[pool])


def test_concepts_count_only_between_texts_of_different_languages():
    """English to English ranks on words alone, exactly as before the lexicon."""
    need = "generic medicines distributor"
    words = BM25().fit(CORPUS).scores(need)
    assert np.array_equal(WordsAndConcepts().fit(CORPUS).scores(need), words)
    assert not np.array_equal(WordsAndConcepts("always").fit(CORPUS).scores(need), words)
    korean = ["제네릭 의약품 유통 전문 기업", *CORPUS]
    index = WordsAndConcepts().fit(korean, [["ko"], ["en"], ["en"], ["en"]])
    found = index.document_scores(0)
    assert found[1] > 0 and found[1] == max(found[1:])  # the Korean firm meets the English one
    assert found[1] > BM25().fit(korean).document_scores(0)[1]


def test_a_group_can_be_left_out(tmp_path):
    found = load_concepts()
    use_lexicon(Lexicon(found, groups={"product"}))
    try:
        assert "generic" in concepts("generic medicines distribution")
        assert "distribution" not in concepts("generic medicines distribution")
    finally:
        use_lexicon(None)
    assert "distribution" in concepts("generic medicines distribution")


@pytest.mark.parametrize(
    "line",
    ["generic\tgeneric\tģenērisks", "Bad Id\ta\tb\tc", "x\ta\tb\tc\nx\ta\tb\tc"],
)
def test_a_malformed_concept_file_names_the_line(tmp_path, line):
    path = tmp_path / "concepts.tsv"
    path.write_text("# group: product\n" + line + "\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"concepts\.tsv, line \d"):
        load_concepts(path)
