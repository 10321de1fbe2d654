"""The free-text reader in Latvian and Korean, and the "Read as" line in three languages."""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from matchmaker.importing import parse_file
from matchmaker.ranking.text_queries import READING_LABELS, describe_reading, parse_text_query
from matchmaker.role_inference import (
    infer_markets,
    infer_partner_roles,
    infer_roles,
    wanted_roles_in,
)
from matchmaker.therapy import infer_areas, infer_modalities

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize(
    ("text", "needs", "offers"),
    [
        # Latvian: wanting, "our X" inside a need, the user's offers and identity
        (
            "Meklējam izplatītāju Korejā mūsu PCR diagnostikas komplektiem",
            ["izplatītāju Korejā"],
            ["PCR diagnostikas komplektiem"],
        ),
        (
            "Mūsu uzņēmums ražo sterilus injekciju šķīdumus, un meklējam izplatītāju Korejā.",
            ["izplatītāju Korejā"],
            ["sterilus injekciju šķīdumus"],
        ),
        (
            "Piedāvājam klīnisko pētījumu pakalpojumus. Mums vajag partnerus Korejā",
            ["partnerus Korejā"],
            ["klīnisko pētījumu pakalpojumus"],
        ),
        ("Esam Latvijas CRO", [], ["Latvijas CRO"]),
        (
            "Meklējam farmācijas uzņēmumu, kas iegūtu licenci mūsu zālēm",
            ["farmācijas uzņēmumu kas iegūtu licenci"],
            ["zālēm"],
        ),
        # Korean: the verb comes last
        (
            "유럽 제네릭 의약품 수입 유통 파트너를 찾습니다",
            ["유럽 제네릭 의약품 수입 유통 파트너"],
            [],
        ),
        ("라트비아 유통사를 찾고 있습니다", ["라트비아 유통사"], []),
        ("임상시험기관이 필요합니다", ["임상시험기관"], []),
        (
            "저희는 EU-GMP 인증 주사제를 제조합니다. 유럽 유통사를 찾고 있습니다",
            ["유럽 유통사"],
            ["EU-GMP 인증 주사제"],
        ),
        (
            "저희는 주사제를 제조하며 라트비아 유통사를 찾고 있습니다",
            ["라트비아 유통사"],
            ["주사제"],
        ),
        ("저희는 한국의 바이오시밀러 제조사입니다", [], ["한국의 바이오시밀러 제조사"]),
        (
            "저희 PCR 진단키트를 유통할 발트 파트너를 찾습니다",
            ["유통할 발트 파트너"],
            ["PCR 진단키트"],
        ),
        ("안녕하세요. 발트 지역 CRO 파트너", ["발트 지역 CRO 파트너"], []),
    ],
)
def test_latvian_and_korean_needs_and_offers_are_read(text, needs, offers):
    reading = parse_text_query(text)
    assert (reading.needs, reading.offers) == (needs, offers)


def test_english_is_read_as_before():
    reading = parse_text_query("We make PCR kits and need a distributor in Korea")
    assert (reading.needs, reading.offers, reading.language) == (
        ["distributor in Korea"],
        ["PCR kits"],
        "en",
    )
    assert parse_text_query("register our device with MFDS").needs == ["register with MFDS"]


@pytest.mark.parametrize(
    ("text", "language", "start"),
    [
        ("Korean distributor for our PCR kits", "en", "Read as: you need “Korean distributor”"),
        ("Meklējam izplatītāju Korejā mūsu PCR komplektiem", "lv", "Sapratām: jums vajag"),
        ("유럽 유통사를 찾습니다", "ko", "이렇게 이해했습니다: 찾는 것 “유럽 유통사”"),
    ],
)
def test_the_reading_is_described_in_the_language_it_was_typed_in(text, language, start):
    reading = parse_text_query(text)
    assert reading.language == language
    assert describe_reading(reading).startswith(start)


def test_the_english_reading_line_is_unchanged():
    reading = parse_text_query("Korean distributor")
    assert describe_reading(reading) == (
        "Read as: you need “Korean distributor” (say what you offer too, e.g. “for our PCR kits”)"
    )


def test_a_front_end_may_ask_for_another_language():
    reading = parse_text_query("Korean distributor for our PCR kits")
    assert describe_reading(reading, "ko").startswith("이렇게 이해했습니다")
    assert describe_reading(reading, "xx").startswith("Read as")  # unknown: English


def test_every_language_has_every_reading_label():
    keys = set(READING_LABELS["en"])
    for labels in READING_LABELS.values():
        assert set(labels) == keys
        for key, text in labels.items():
            placeholders = set(re.findall(r"{(\w+)}", text))
            assert placeholders == {"needs_only": {"needs"}, "offers_only": {"offers"}}.get(
                key, {"needs", "offers"}
            )


# -- role words in Korean and Latvian --------------------------------------------------


@pytest.mark.parametrize(
    ("need", "role"),
    [
        ("발트 지역 의약품 도매업체", "distributor"),
        ("EU 임상시험 실시기관", "hospital"),
        ("임상시험 의뢰자", "drug-developer"),
        ("유럽 라이선스 파트너", "pharma-company"),
        ("Korejas izplatītāji", "distributor"),
        ("saplākšņa importētāji Korejā", "distributor"),
        ("klīnisko pētījumu sponsori", "drug-developer"),
        ("līgumražošanas klienti", "pharma-company"),
    ],
)
def test_korean_and_latvian_needs_name_the_roles_they_want(need, role):
    assert role in wanted_roles_in(need)


def _role_scores(field: str, country: str) -> tuple[float, float]:
    """P/R of inference from the translated records against the English record's labels
    (benchmarks/language_fields.py prints the same, with the English text beside it)."""
    english = {p.id: p for p in parse_file(ROOT / "data" / "companies.jsonl").profiles}
    translated = [
        p
        for p in parse_file(ROOT / "eval" / "multilingual" / "profiles.jsonl").profiles
        if (p.source or "").endswith("from the English profile") and p.country == country
    ]
    reader = {
        "roles": infer_roles,
        "partner_roles": infer_partner_roles,
        "markets": infer_markets,
        "therapeutic_areas": infer_areas,
        "modalities": infer_modalities,
    }[field]
    counts = Counter()
    for p in translated:
        gold = set(getattr(english[p.id], field))
        stripped = dataclasses.replace(
            p, roles=[], partner_roles=[], markets=[], therapeutic_areas=[], modalities=[]
        )
        got = set(reader(stripped))
        counts.update(hit=len(gold & got), found=len(got), stated=len(gold))
    return counts["hit"] / counts["found"], counts["hit"] / counts["stated"]


def test_role_inference_in_korean_and_latvian_keeps_the_figures_docs_report():
    """docs/languages.md reports these against the English labels of the same profiles."""
    text = (ROOT / "docs" / "languages.md").read_text(encoding="utf-8")
    for language, country in (("Korean", "KR"), ("Latvian", "LV")):
        for field in ("roles", "partner_roles", "markets", "therapeutic_areas", "modalities"):
            reported = re.search(
                rf"{language} {field}: precision (\d\.\d+), recall (\d\.\d+)", text
            )
            assert reported, f"docs/languages.md must report {language} {field}"
            precision, recall = _role_scores(field, country)
            assert (round(precision, 2), round(recall, 2)) == tuple(
                map(float, reported.groups())
            ), (language, field)


def test_the_multilingual_set_is_read_in_its_own_language():
    """Every translated need of eval/multilingual is detected as Latvian or Korean."""
    path = ROOT / "eval" / "multilingual" / "partner_judgements.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        text = record["query"].get("text")
        if text:
            expected = "lv" if record["target_country"] == "KR" else "ko"
            assert parse_text_query(text).language == expected, text
