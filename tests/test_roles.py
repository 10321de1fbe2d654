"""Roles, partner roles and markets: vocabulary, validation, storage, inference and ranking."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest

from matchmaker import engine
from matchmaker.importing import parse_file
from matchmaker.profiles import Profile, ProfileError, validate_profile
from matchmaker.role_inference import (
    effective_fields,
    infer_roles,
    markets_in,
    roles_in,
    wanted_roles_in,
)
from matchmaker.roles import COMPATIBLE, MARKETS, ROLES, check_roles, market_covers
from matchmaker.store import Store

ROOT = Path(__file__).resolve().parents[1]


# -- vocabulary -------------------------------------------------------------------------


def test_docs_list_every_role_and_market():
    text = (ROOT / "docs" / "roles.md").read_text(encoding="utf-8")
    for slug in [*ROLES, *MARKETS]:
        assert f"`{slug}`" in text, slug


def test_compatibility_goes_both_ways():
    for role, partners in COMPATIBLE.items():
        for partner in partners:
            assert role in COMPATIBLE[partner], (role, partner)
    assert "pharma-company" in COMPATIBLE["distributor"]
    assert "drug-developer" in COMPATIBLE["cro"]


def test_markets_cover_the_countries_they_name():
    assert market_covers(["eu"], "DE") and market_covers(["baltics"], "LV")
    assert not market_covers(["eu"], "KR") and not market_covers(["kr"], "LV")
    assert market_covers(["global"], "KR") and market_covers(["asia"], "KR")


def test_an_unknown_role_is_named():
    with pytest.raises(ValueError, match="unknown role 'wizard'"):
        check_roles(["cro", "wizard"])


# -- the profile fields ----------------------------------------------------------------


def _raw(**extra) -> dict:
    return {"name": "Baltic Generics", "country": "LV", "description": "Makes generics."} | extra


def test_profiles_take_the_fields_as_lists_or_text():
    profile = validate_profile(
        _raw(roles="pharma-company; API maker", partner_roles=["distributor"], markets="LV;EU")
    )
    assert profile.roles == ["pharma-company", "api-maker"]
    assert profile.partner_roles == ["distributor"]
    assert profile.markets == ["lv", "eu"]


def test_a_role_outside_the_vocabulary_is_refused_with_its_field():
    with pytest.raises(ProfileError) as caught:
        validate_profile(_raw(partner_roles=["licensee"], markets=["mars"]))
    assert {e.field for e in caught.value.errors} == {"partner_roles", "markets"}


def test_european_countries_only_in_evaluation_pools():
    with pytest.raises(ProfileError, match="must be LV or KR"):
        validate_profile(_raw(country="DE"))
    assert validate_profile(_raw(country="de"), any_european=True).country == "DE"
    assert validate_profile(_raw(country="Latvia"), any_european=True).country == "LV"


def test_an_import_without_the_fields_keeps_curated_ones(tmp_path, hashing_embedder):
    curated = validate_profile(_raw(id="bg", roles=["distributor"], markets=["lv", "kr"]))
    with Store.open(tmp_path / "t.db", create=True) as store:
        store.save(curated, actor="staff")
        bare = validate_profile(_raw(id="bg", description="Makes generics and APIs."))
        store.upsert_many([bare], actor="import")
        kept = store.get("bg")
        assert kept.roles == ["distributor"] and kept.markets == ["lv", "kr"]
        assert kept.description == "Makes generics and APIs."
        store.save(dataclasses.replace(kept, roles=[]), actor="staff")  # an edit may clear
        assert store.get("bg").roles == []


# -- inference ---------------------------------------------------------------------------


def test_roles_are_read_from_what_a_company_is():
    assert roles_in("South Korea's largest pharmaceutical wholesaler") == ["distributor"]
    assert roles_in("Korean full-service contract research organisation") == ["cro"]
    assert "diagnostics-maker" in roles_in("maker of molecular diagnostic kits")


def test_wanted_roles_are_read_from_needs():
    assert wanted_roles_in("Korean distributor") == ["distributor"]
    assert "pharma-company" in wanted_roles_in("foreign manufacturers entering Korea")
    assert "hospital" in wanted_roles_in("EU clinical trial sites")
    assert "pharma-company" in wanted_roles_in("licensees for our pipeline")


def test_markets_are_read_from_place_words():
    assert markets_in("exports to the EU and Southeast Asia") == ["eu", "southeast-asia", "asia"]


def test_a_stated_value_wins_over_inference():
    profile = Profile(
        id="x", name="X", country="KR", description="Pharmaceutical wholesaler in Seoul.",
        roles=["logistics"],
    )
    fields = effective_fields(profile)
    assert fields.roles == ("logistics",)
    assert fields.inferred == {"partner_roles", "markets"}
    assert infer_roles(dataclasses.replace(profile, roles=[])) == ["distributor"]


def _micro_averaged(field: str, reader) -> tuple[float, float]:
    profiles = parse_file(ROOT / "data" / "companies.jsonl").profiles
    hits = found = stated = 0
    for p in profiles:
        gold = set(getattr(p, field))
        got = set(reader(dataclasses.replace(p, roles=[], partner_roles=[], markets=[])))
        hits, found, stated = hits + len(gold & got), found + len(got), stated + len(gold)
    return hits / found, hits / stated


def test_role_inference_keeps_the_quality_docs_report():
    """docs/roles.md reports these figures against the hand labels of the shipped data."""
    precision, recall = _micro_averaged("roles", infer_roles)
    text = (ROOT / "docs" / "roles.md").read_text(encoding="utf-8")
    reported = re.search(r"roles: precision ([\d.]+), recall ([\d.]+)", text)
    assert reported, "docs/roles.md must report the inference figures"
    assert (round(precision, 2), round(recall, 2)) == tuple(map(float, reported.groups()))


# -- ranking: who is a competitor ------------------------------------------------------


def _profile(pid, country, roles, partner_roles, offers, seeks, markets):
    return Profile(
        id=pid, name=pid, country=country, description=f"{pid} company.", offers=offers,
        seeks=seeks, roles=roles, partner_roles=partner_roles, markets=markets,
    )


@pytest.fixture
def corridor(hashing_embedder):
    profiles = [
        # a Latvian drug developer looking for licensees
        _profile("lv-dev", "LV", ["drug-developer"], ["pharma-company"],
                 "oncology molecule; preclinical data", "licensees in Asia", ["lv", "eu", "kr"]),
        # a Korean pharma company that in-licenses molecules: same words, a partner
        _profile("kr-licensee", "KR", ["pharma-company"], ["drug-developer"],
                 "oncology molecule; preclinical data", "licensees in Asia", ["kr", "eu"]),
        # a Latvian kit maker looking for distributors
        _profile("lv-kits", "LV", ["diagnostics-maker"], ["distributor"],
                 "PCR kits; rapid tests", "distributors in Korea", ["lv", "kr"]),
        # a Korean kit maker looking for distributors too: a rival
        _profile("kr-kits", "KR", ["diagnostics-maker"], ["distributor"],
                 "PCR kits; rapid tests", "distributors in Korea", ["kr", "eu"]),
    ] + [
        _profile(f"kr-other-{i}", "KR", ["logistics"], ["logistics"],
                 f"freight service {i}", f"shippers {i}", ["kr"])
        for i in range(4)
    ]
    return engine.fit_in_memory(profiles, hashing_embedder)


def _competitor_part(ranker, query: str, candidate: str) -> float:
    return next(m for m in ranker.match(query, top=10) if m.id == candidate).score_parts[
        "competitor"
    ]


def test_a_same_industry_licensing_partner_is_not_held_back(corridor):
    assert _competitor_part(corridor, "lv-dev", "kr-licensee") == 0.0


def test_a_rival_selling_the_same_thing_is_held_back(corridor):
    assert _competitor_part(corridor, "lv-kits", "kr-kits") < 0.0


def test_role_and_market_evidence(corridor):
    a = corridor.index_["lv-kits"]
    pool = np.array([corridor.index_[c] for c in ("kr-kits", "kr-licensee", "kr-other-0")])
    raw = corridor.partner_evidence(a, pool)
    assert raw["role_need"].tolist() == [0.0, 0.0, 0.0]
    assert raw["market"].tolist() == [1.0, 1.0, 1.0]  # lv-kits wants Korea


def test_shipped_profiles_all_state_their_roles():
    for line in (ROOT / "data" / "companies.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        assert record["roles"] and record["partner_roles"] and record["markets"], record["id"]
