"""Company names across Latin, Latvian and Hangul spellings (matchmaker.names), on real names."""

from __future__ import annotations

import pytest

from matchmaker import names


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("AS Grindeks", "grindeks"),
        ("Grindeks, JSC", "grindeks"),
        ("SIA Silvanols", "silvanols"),
        ("Geoyoung Co., Ltd.", "geoyoung"),
        ("(주)지오영", "지오영"),
        ("주식회사 셀트리온", "셀트리온"),
        ("㈜바텍", "바텍"),
        ("Yuhan Corporation", "yuhan"),
        ("Hugel, Inc.", "hugel"),
        ("Rīgas Stradiņa universitāte", "rigas stradina universitate"),
        ("VAS Starptautiskā lidosta “Rīga”", "starptautiska lidosta riga"),
    ],
)
def test_normalised_drops_legal_forms_punctuation_case_and_diacritics(raw, expected):
    assert names.normalised(raw) == expected


def test_romanise_follows_revised_romanization():
    assert names.romanise("지오영") == "jioyeong"
    assert names.romanise("종근당") == "jonggeundang"
    assert names.romanise("셀트리온제약") == "selteurion pharm"
    assert names.romanise("Celltrion") == "Celltrion"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Geo-Young", "지오영"),
        ("Geoyoung Co., Ltd.", "지오영"),
        ("Geoyoung Co., Ltd.", "Geo-Young"),
        ("Chong Kun Dang", "종근당"),
        ("Daewoong Pharmaceutical", "대웅제약"),
        ("Hanmi Pharmaceutical", "한미약품"),
        ("Boryung", "보령"),
        ("Celltrion", "셀트리온"),
        ("AS Grindeks", "Grindeks"),
        ("Grindex", "Grindeks"),
    ],
)
def test_spellings_of_one_name_are_alike(a, b):
    assert names.similarity([a], [b]) >= 0.8


def test_a_romanisation_finds_a_company_through_its_hangul_name():
    assert names.similarity(["Ji-o-yeong"], ["Geo-Young", "지오영"]) >= 0.85


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Hanmi Pharmaceutical", "Hanmi Fine Chemical"),
        ("Samsung Biologics", "Samsung Medison"),
        ("Huons", "Hugel"),
        ("Grindeks", "Kalceks"),
        ("지오영", "Genoray"),
    ],
)
def test_different_names_are_not_alike(a, b):
    assert names.similarity([a], [b]) < 0.75


def test_aliases_read_former_and_bracketed_names():
    assert names.aliases("Olpha (formerly Olainfarm)") == ["Olpha", "Olainfarm"]
    assert "Ray" in names.aliases("Ray (Ray Co., Ltd.)")


def test_search_keys_let_romanisation_find_hangul():
    keys = names.search_keys("Geo-Young", "지오영")
    assert "jioyeong" in keys and "geoyoung" in keys and "지오영" in keys
    assert "jioyeong" in names.query_forms("Ji-o-yeong")
