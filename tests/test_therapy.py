"""Therapeutic areas and product types: vocabulary, validation, storage, inference, ranking."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

from matchmaker import engine
from matchmaker.importing import parse_file
from matchmaker.profiles import Profile, ProfileError, validate_profile
from matchmaker.ranking import Weights
from matchmaker.reason_texts import known
from matchmaker.store import Store
from matchmaker.therapy import (
    AREAS,
    MODALITIES,
    areas_in,
    check_areas,
    effective_focus,
    infer_areas,
    infer_modalities,
    modalities_in,
)

ROOT = Path(__file__).resolve().parents[1]


def _raw(**extra) -> dict:
    return {"name": "Baltic Generics", "country": "LV", "description": "Makes generics."} | extra


# -- vocabulary and validation ------------------------------------------------------------


def test_docs_list_every_area_and_product_type():
    doc = (ROOT / "docs" / "therapy.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z-]+)` \|", doc, flags=re.MULTILINE))
    assert listed == set(AREAS) | set(MODALITIES)


def test_profiles_take_the_fields_as_lists_or_text():
    profile = validate_profile(
        _raw(therapeutic_areas="Oncology; rare diseases", modalities=["generics", "API"])
    )
    assert profile.therapeutic_areas == ["oncology", "rare-diseases"]
    assert profile.modalities == ["generics", "api"]


def test_a_value_outside_the_vocabulary_is_refused_with_its_field():
    with pytest.raises(ProfileError) as caught:
        validate_profile(_raw(therapeutic_areas=["oncology", "astrology"]))
    assert "therapeutic_areas" in str(caught.value) and "astrology" in str(caught.value)
    with pytest.raises(ValueError, match="one of: oncology"):
        check_areas(["astrology"])


def test_an_import_without_the_fields_keeps_curated_ones(tmp_path, hashing_embedder):
    curated = validate_profile(_raw(id="bg", therapeutic_areas=["cns"], modalities=["generics"]))
    with Store.open(tmp_path / "t.db", create=True) as store:
        store.save(curated, actor="staff")
        store.upsert_many([validate_profile(_raw(id="bg", description="Makes APIs."))], "import")
        kept = store.get("bg")
        assert (kept.therapeutic_areas, kept.modalities) == (["cns"], ["generics"])
        assert kept.description == "Makes APIs."


def test_shipped_and_deals_profiles_all_carry_curated_fields():
    for path in (
        "data/companies.jsonl",
        "eval/deals/profiles.jsonl",
        "eval/deals/profiles_c.jsonl",
    ):
        profiles = parse_file(ROOT / path, any_european=True).profiles
        stated = [p for p in profiles if p.therapeutic_areas or p.modalities]
        assert len(stated) > len(profiles) / 2, path  # the rest are outside life sciences


# -- reading them from text ---------------------------------------------------------------


def test_areas_and_product_types_are_read_in_three_languages():
    assert areas_in("generic cardiovascular medicines") == ["cardiovascular"]
    assert modalities_in("generic cardiovascular medicines") == ["generics"]
    assert areas_in("항암 바이오시밀러") == ["oncology"]
    assert modalities_in("항암 바이오시밀러") == ["biosimilars"]
    assert areas_in("onkoloģijas un diabēta zāles") == ["oncology", "metabolic"]


def test_common_words_do_not_name_an_area():
    """'joint research', 'engineering', 'blood glucose' once read as bone, kidney and blood."""
    text = "joint research projects in engineering; blood glucose meters"
    assert "musculoskeletal" not in areas_in(text)
    assert "renal-urology" not in areas_in(text)
    assert "hematology" not in areas_in(text)


def test_a_stated_value_wins_over_inference():
    profile = Profile(
        id="x", name="x", country="KR", description="Oncology biosimilars.",
        therapeutic_areas=["dermatology"],
    )
    focus = effective_focus(profile)
    assert focus.areas == ("dermatology",) and focus.modalities == ("biosimilars",)
    assert focus.inferred == frozenset({"modalities"})


def test_inference_keeps_the_quality_docs_report():
    """docs/therapy.md reports these figures (benchmarks/therapy_inference.py)."""
    profiles = parse_file(ROOT / "data/companies.jsonl").profiles
    for field, reader, floor in (
        ("therapeutic_areas", infer_areas, 0.80),
        ("modalities", infer_modalities, 0.70),
    ):
        hit = extra = missed = 0
        for p in profiles:
            gold = set(getattr(p, field))
            got = set(reader(dataclasses.replace(p, therapeutic_areas=[], modalities=[])))
            hit, extra = hit + len(gold & got), extra + len(got - gold)
            missed += len(gold - got)
        assert hit / (hit + extra) >= floor and hit / (hit + missed) >= floor, field


# -- ranking ------------------------------------------------------------------------------


def _company(pid, country, roles, partner_roles, areas, offers="", seeks=""):
    return Profile(
        id=pid, name="Pharma", country=country, description="A pharmaceutical company.",
        offers=offers or "medicines for licensing", seeks=seeks or "licensing partners",
        roles=roles, partner_roles=partner_roles, markets=["kr", "lv"],
        therapeutic_areas=areas, modalities=["small-molecule"],
    )


@pytest.fixture
def eye_care(hashing_embedder):
    """A Latvian eye-care licensor and Korean in-licensers alike in every word but their focus."""
    profiles = [
        _company("lv-eyes", "LV", ["drug-developer"], ["pharma-company"], ["ophthalmology"]),
        _company("kr-eyes", "KR", ["pharma-company"], ["drug-developer"], ["ophthalmology"]),
        _company("kr-cancer", "KR", ["pharma-company"], ["drug-developer"], ["oncology"]),
        _company("kr-heart", "KR", ["pharma-company"], ["drug-developer"], ["cardiovascular"]),
        _company("kr-eyes-rival", "KR", ["drug-developer"], ["pharma-company"], ["ophthalmology"]),
    ]
    return engine.fit_in_memory(profiles, hashing_embedder)


def test_the_in_licenser_in_the_same_area_ranks_first(eye_care):
    ranked = eye_care.match("lv-eyes", top=4)
    assert ranked[0].id == "kr-eyes"
    assert ranked[0].score_parts["focus"] > 0
    assert "Same focus as yours: ophthalmology, small-molecule" in ranked[0].reasons_all


def test_without_the_focus_signal_the_in_licensers_tie(hashing_embedder, eye_care):
    plain = engine.fit_in_memory(eye_care.profiles_, hashing_embedder, Weights(focus=0.0))
    scores = {m.id: m.score for m in plain.match("lv-eyes", top=4)}
    assert scores["kr-eyes"] == scores["kr-cancer"] == scores["kr-heart"]


def test_the_same_focus_without_a_role_that_fits_is_not_rewarded(eye_care):
    parts = {m.id: m.score_parts["focus"] for m in eye_care.match("lv-eyes", top=4)}
    assert parts["kr-eyes-rival"] <= 0 < parts["kr-eyes"]


def test_a_silent_candidate_counts_as_average(eye_care):
    silent = dataclasses.replace(eye_care.profiles_[2], therapeutic_areas=[], modalities=[])
    fit = eye_care.focus_fit_
    fit.fit([*eye_care.profiles_[:2], silent, *eye_care.profiles_[3:]])
    raw = fit.evidence(0, np.array([1, 2, 3]))["focus"]
    assert raw[2] < raw[1] < raw[0]  # the average of the stated ones, between them


def test_a_free_text_need_reads_its_area(eye_care):
    found = eye_care.query("Korean licensee for our ophthalmology medicine", country="KR", top=4)
    assert found.matches[0].id == "kr-eyes"


def test_the_focus_reason_is_translated():
    assert known("Same focus as yours: oncology, generics")
