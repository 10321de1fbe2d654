"""Roles, partner roles, markets, areas and product types read from Korean and Latvian sentences.

Whole sentences as a Korean or Latvian company or user would write them (not single words),
so particles, inflections and word order are part of what is tested.
"""

from __future__ import annotations

import pytest

from matchmaker.lexicon.fields import foreign_clauses, native_values
from matchmaker.profiles import Profile
from matchmaker.role_inference import infer_roles, markets_in, roles_in, wanted_roles_in
from matchmaker.role_inference_ko_lv import korean_head, spaced
from matchmaker.therapy import areas_in, modalities_in


def _profile(description: str, country: str = "KR", offers: str = "", seeks: str = "") -> Profile:
    return Profile(
        id="x", name="X", country=country, description=description, offers=offers, seeks=seeks
    )


# -- what an organisation is ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "country", "roles"),
    [
        # the head noun before the copula, not the clients named before it
        (
            "1997년 서울에서 설립된 국내 최초의 임상시험수탁기관(CRO)으로, 국내 제약·바이오 "
            "기업의 임상시험을 수행한다.",
            "KR",
            ["cro"],
        ),
        (
            "서울에 있는 국내 제약·바이오 제조업체들의 단체로, 회원사의 해외 진출을 돕는다.",
            "KR",
            ["industry-association"],
        ),
        ("1926년 설립된 국내에서 가장 오래된 제약사 중 하나다.", "KR", ["pharma-company"]),
        ("저희는 인천에 있는 위탁개발생산(CDMO) 전문 기업입니다.", "KR", ["cdmo"]),
        ("수원에 본사를 둔 체외진단 기업으로 신속진단검사로 알려져 있다.", "KR",
         ["diagnostics-maker"]),
        ("부산의 의료기기 제조 업체로, 초음파 장비를 만든다.", "KR", ["device-maker"]),
        # Latvian: the first clause; a source named after the semicolon is not a role
        (
            "Licencēts zāļu vairumtirgotājs Latvijā; saskaņā ar Zāļu valsts aģentūras datiem "
            "tas ir trešais lielākais.",
            "LV",
            ["distributor"],
        ),
        (
            "Rīgas uzņēmums, kas sniedz klīnisko pētījumu pakalpojumus farmācijas uzņēmumiem.",
            "LV",
            ["cro"],
        ),
        ("Latvijas dzīvības zinātņu uzņēmumu asociācija, kas vada klasteri.", "LV",
         ["industry-association"]),
    ],
)
def test_the_identity_sentence_names_the_role(description, country, roles):
    assert infer_roles(_profile(description, country)) == roles


def test_the_korean_head_is_the_noun_phrase_before_the_copula():
    sentence = "국내 최초의 임상시험수탁기관(CRO)으로, 국내 제약 기업의 임상시험을 수행한다."
    assert korean_head(sentence) == "임상시험수탁기관(CRO)"
    assert korean_head("저희는 한국의 바이오시밀러 제조사입니다") == "바이오시밀러 제조사"
    assert korean_head("An English sentence.") == ""


# -- what a need or a seeks text asks for ------------------------------------------------


@pytest.mark.parametrize(
    ("need", "wanted"),
    [
        # a CRO is not a trial site, although both are 임상…기관
        ("라트비아 임상시험수탁기관을 찾습니다", ["cro"]),
        ("바이오시밀러 임상 3상을 진행할 EU 임상시험기관 찾습니다",
         ["hospital", "biosimilar-maker"]),
        # a particle glued to an acronym
        ("발트 지역 CRO를 찾고 있습니다", ["cro"]),
        ("유럽 CDMO와 협력하고 싶습니다", ["cdmo"]),
        ("유럽 의료 IT 통합 업체를 찾습니다", ["health-it"]),
        ("EU 내 임상 성능평가 기관이 필요합니다", ["hospital"]),
        ("Meklējam vairumtirgotāju Baltijā mūsu ģenēriskajām zālēm", ["distributor"]),
        (
            "Meklējam Korejas farmācijas uzņēmumu, kas iegūtu licenci mūsu zālēm",
            ["pharma-company", "drug-developer"],
        ),
        ("Mums vajag atbalstu produktu reģistrācijai Korejā", ["consultancy"]),
        ("Meklējam veselības IT programmatūras partnerus", ["health-it"]),
        # a maker is wanted, as "manufacturers" asks for one in English
        ("유럽의 의료기기 제조업체를 찾고 있습니다", ["pharma-company", "device-maker"]),
    ],
)
def test_needs_name_the_roles_they_want(need, wanted):
    assert wanted_roles_in(need)[: len(wanted)] == wanted


# -- places --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "market"),
    [
        ("EU에 진출하려는 국내 제약사", "eu"),
        ("유럽 시장과 북미 시장에 수출합니다", "north-america"),
        ("Eksportējam uz Eiropā un Ziemeļamerikā esošiem klientiem", "north-america"),
        ("Mūsu produkti tiek pārdoti visā Eiropā", "europe"),
        ("Piegādājam zāles starptautiskiem klientiem", "global"),
    ],
)
def test_markets_are_read_through_particles_and_case_endings(text, market):
    assert market in markets_in(text)


def test_a_latin_word_is_cut_from_its_korean_particle():
    assert spaced("CRO를 찾습니다") == "CRO 를 찾습니다"
    assert spaced("plain English stays") == "plain English stays"
    assert roles_in("AI로 흉부 엑스레이를 판독하는 소프트웨어") == ["health-it"]


# -- therapy areas and product types through the lexicon ---------------------------------


@pytest.mark.parametrize(
    ("text", "areas", "modalities"),
    [
        ("폐암 환자를 위한 표적 항암제를 개발합니다", ["oncology"], []),
        ("암을 치료하는 단일클론항체를 생산합니다", ["oncology"], ["biologics"]),
        # 개량신약 (incrementally modified drug) is an improved generic and a new chemical drug
        ("저희는 당뇨병 치료제와 개량신약을 만듭니다", ["metabolic"],
         ["generics", "small-molecule"]),
        ("AI로 설계한 저분자 신약 과제", [], ["digital-health", "small-molecule"]),
        # 대사관 (embassy) is not 대사 (metabolism); 기간 (period) is not 간 (liver)
        ("주한 라트비아 대사관과 일정 기간 협력했다", [], []),
        ("Ražojam monoklonālās antivielas autoimūno slimību ārstēšanai", ["immunology"],
         ["biologics"]),
        ("Meklējam izplatītāju mūsu pretvēža zālēm un vakcīnām Āzijā", ["oncology"],
         ["vaccines"]),
    ],
)
def test_areas_and_product_types_are_read_from_sentences(text, areas, modalities):
    assert sorted(areas_in(text)) == sorted(areas)
    assert sorted(modalities_in(text)) == sorted(modalities)


@pytest.mark.parametrize(
    ("description", "role"),
    [
        # akciju sabiedrība is a joint-stock company, not a biedrība (society)
        (
            "Saplākšņa ražotājs, kas izveidots kā akciju sabiedrība 1992. gadā.",
            "industry-association",
        ),
        # software alone is any software: a router maker is no health-IT company
        ("Rīgas uzņēmums, kas ražo maršrutētājus un to programmatūru.", "health-it"),
    ],
)
def test_words_that_only_look_like_roles_are_not_read_as_them(description, role):
    assert role not in roles_in(description)


def test_english_text_is_left_to_the_english_rules():
    """The lexicon reads only Korean and Latvian clauses, with their own forms."""
    english = "Contract manufacturer of vaccines near Rīga and the Pauls Stradiņš hospital."
    assert foreign_clauses(english) == []
    assert native_values(english, "modalities") == ()
    mixed = "EU-GMP vaccine plant; vakcīnu ražošana Latvijā"
    assert foreign_clauses(mixed) == [" vakcīnu ražošana Latvijā"]
