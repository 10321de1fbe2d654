"""Korean, Latvian and English text: detection, words to match on, place words (issue 11).

Real Kiwi and real lingua throughout: the behaviour is theirs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matchmaker.profiles import Profile, first_sentence
from matchmaker.ranking import BM25
from matchmaker.store import MIGRATIONS, Store
from matchmaker.text_languages import (
    detect_language,
    field_languages,
    latvian_stem,
    lexical_form,
)
from matchmaker.texts import matching_phrase

ROOT = Path(__file__).parents[1]


def terms(text: str) -> set[str]:
    """The terms BM25 indexes for a text."""
    bm25 = BM25().fit([text])
    return set(bm25.vectorizer_.get_feature_names_out())


# -- Korean ----------------------------------------------------------------------------


def test_a_korean_particle_does_not_change_the_word():
    assert terms("유통사를 찾습니다") == terms("유통사")


def test_a_korean_compound_meets_its_parts():
    """임상시험기관 ("clinical trial site") and 임상시험 실시기관 share their nouns."""
    assert {"임상", "시험", "기관"} <= terms("EU 임상시험기관 찾습니다") & terms(
        "EU 임상시험 실시기관"
    )


def test_korean_verbs_and_stop_words_are_not_matched():
    found = terms("저희는 주사제를 제조합니다 및 관련 제품을 찾습니다")
    assert "찾" not in found and "저희" not in found and "관련" not in found
    assert {"제조", "제품"} <= found


def test_korean_bm25_finds_the_distributor_whatever_the_ending():
    corpus = [
        "발트 지역 의약품 유통사; 도매",
        "바이오시밀러 임상시험 실시기관",
        "Plywood and birch veneer maker",
    ]
    scores = BM25().fit(corpus).scores("의약품 유통사를 찾습니다")
    assert scores.argmax() == 0 and scores[0] > 0


# -- acronyms across languages ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "EU-GMP 인증 주사제를 제조합니다",
        "Ražojam sterilas zāles saskaņā ar EU-GMP, MFDS un CE-IVD prasībām",
        "PCR 진단키트와 CE-IVD 인증",
    ],
)
def test_acronyms_stay_as_written_in_korean_and_latvian(text):
    english = "EU-GMP certified plant; MFDS and CE-IVD registration; PCR kits; GMP"
    assert terms(text) & terms(english) >= {"gmp"} or terms(text) & terms(english) >= {"ivd"}


def test_a_korean_need_with_an_acronym_finds_the_english_profile():
    corpus = ["Sterile injectables made under EU-GMP", "Birch plywood and veneer"]
    scores = BM25().fit(corpus).scores("EU-GMP 인증 주사제 위탁생산 업체를 찾습니다")
    assert scores[0] > 0 and scores[1] == 0


def test_acronyms_are_not_stemmed():
    assert latvian_stem("MFDS") == "MFDS" and latvian_stem("CDMO") == "CDMO"
    assert latvian_stem("HD201") == "HD201"


# -- Latvian ---------------------------------------------------------------------------


def test_latvian_case_endings_share_one_stem():
    forms = ["izplatītājs", "izplatītāju", "izplatītājiem", "izplatītāja"]
    assert len({latvian_stem(f) for f in forms}) == 1


def test_latvian_palatal_stems_meet_plain_ones():
    """zāles / zāļu ("medicines"): the palatal ļ of the genitive plural is matched as l."""
    assert latvian_stem("zāles") == latvian_stem("zāļu")


def test_latvian_text_is_stemmed_and_its_function_words_dropped():
    found = terms("Meklējam izplatītāju Korejā mūsu PCR diagnostikas komplektiem")
    assert "mūsu" not in found and "pcr" in found
    assert found & terms("PCR diagnostikas komplekti; izplatītājs Korejā") >= {
        "izplatītāj",
        "komplekt",
        "diagnostik",
    }


def test_latvian_capitals_are_lowered_with_their_diacritics():
    assert terms("Āzijas tirgus, Šķīdumi un Rīga") == terms("āzijas tirgus, šķīdumi un rīga")


def test_latvian_typed_with_combining_marks_matches_precomposed():
    decomposed = "izplati\u0304ta\u0304js"  # i + combining macron, as some keyboards type it
    assert terms(decomposed) == terms("izplatītājs")


def test_english_text_is_unchanged_apart_from_case():
    text = "Contract manufacturer of sterile injectables; EU-GMP; seeks distributors"
    assert lexical_form(text) == text.lower()


def test_an_english_sentence_naming_riga_is_not_stemmed():
    text = "Clinical laboratories in Rīga and at Pauls Stradiņš hospital"
    assert lexical_form(text) == text.lower()


# -- detection -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Korean distributor for our PCR diagnostic kits", "en"),
        ("Meklējam izplatītāju Korejā mūsu PCR diagnostikas komplektiem", "lv"),
        ("유럽 제네릭 의약품 수입 유통 파트너를 찾습니다", "ko"),
        ("EU-GMP 인증 주사제", "ko"),
    ],
)
def test_each_language_is_detected(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["", "   ", "PCR", "EU-GMP", "HD201"])
def test_too_little_text_gets_no_language(text):
    assert detect_language(text) is None


def test_field_languages_may_differ_within_one_profile():
    found = field_languages(
        {
            "description": "서울에 본사를 둔 바이오의약품 기업이다.",
            "offers": "Biosimilar development; EU-GMP manufacturing",
            "seeks": "izplatīšanas partneri Baltijas valstīs",
        }
    )
    assert found == {"description": "ko", "offers": "en", "seeks": "lv"}


# -- place words and the identity sentence ---------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "kept"),
    [
        ("izplatīšanas partneri Āzijā", "izplatīšanas partneri"),
        ("eksports uz Koreju", "eksports"),
        ("ES klīniskie pētījumi", "klīniskie pētījumi"),
        ("유럽 라이선스·유통 파트너", "라이선스·유통 파트너"),
        ("한국에서 발트 3국까지 의약품 운송", "의약품 운송"),
        ("국내 유통", "유통"),
        ("ES cells for research", "ES cells for research"),  # English "ES" is not the EU
        ("Korean distribution partners", "distribution partners"),
    ],
)
def test_place_words_are_dropped_in_all_three_languages(phrase, kept):
    assert matching_phrase(phrase) == kept


@pytest.mark.parametrize(
    ("description", "identity"),
    [
        (
            "서울에 본사를 둔 전문의약품 제약사다. 동아제약에서 분할 설립됐다. 임상을 수행한다.",
            "서울에 본사를 둔 전문의약품 제약사다.",
        ),
        (
            "Latvijas zāļu ražotājs Rīgā ar GMP sertifikātu. Šobrīd eksportē uz Āziju.",
            "Latvijas zāļu ražotājs Rīgā ar GMP sertifikātu.",
        ),
        ("JSC Grindeks is a pharma company. It makes drugs.", "JSC Grindeks is a pharma company."),
        ("Makes e.g. sterile kits. and more. Then this.", "Makes e.g. sterile kits. and more."),
    ],
)
def test_the_identity_sentence_ends_without_an_ascii_capital(description, identity):
    assert first_sentence(description) == identity


# -- stored with the profile -------------------------------------------------------------


def _korean_profile(version_text: str = "서울에 본사를 둔 바이오의약품 기업이다.") -> Profile:
    return Profile(
        id="kr-bio",
        name="KR Bio",
        country="KR",
        description=version_text,
        offers="바이오시밀러 개발; EU-GMP 위탁생산",
        seeks="Baltic distribution partners for biosimilars",
    )


def test_the_store_keeps_each_fields_language_and_an_edit_recomputes_it(store: Store):
    saved = store.create(_korean_profile(), actor="test")
    assert saved.languages == {"description": "ko", "offers": "ko", "seeks": "en"}
    edited = store.save(
        Profile(**{**saved.content(), "seeks": "izplatīšanas partneri Baltijas valstīs"}),
        actor="staff",
    )
    assert edited.languages["seeks"] == "lv"
    assert store.get("kr-bio").to_dict()["languages"]["seeks"] == "lv"


def test_the_migration_detects_languages_of_rows_stored_before_it(tmp_path):
    """A database at migration 6 with a Korean row: opening it runs 7 and fills the column."""
    path = tmp_path / "old.db"
    with Store.open(path, create=True) as store:
        store.create(_korean_profile(), actor="test")
        store.db.execute("UPDATE companies SET languages = '{}'")
        store.db.execute("DELETE FROM migrations WHERE version = 7")
        store.db.execute("ALTER TABLE companies DROP COLUMN languages")
        store.db.conn.commit()
    with Store.open(path) as store:
        assert store.get("kr-bio").languages["description"] == "ko"
        assert 7 in [v for v, _ in MIGRATIONS]


def test_an_exported_company_with_languages_imports_again(store: Store):
    from matchmaker.profiles import validate_profile

    company = store.create(_korean_profile(), actor="test").to_dict()
    assert company["languages"]["description"] == "ko"
    again = validate_profile(json.loads(json.dumps(company, ensure_ascii=False)))
    assert again.content() == Profile(**_korean_profile().content()).content()
