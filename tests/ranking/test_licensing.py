"""Licensing direction, English role phrasings and the hidden-set condition of eval.

Real deals join a developer that seeks licensees with a company that in-licenses;
roles alone call both pharma companies (docs/ranking.md, issue 10).
"""

from __future__ import annotations

from matchmaker import engine
from matchmaker.evaluation import without_vocabulary_fields
from matchmaker.licensing import direction, licensing_fit
from matchmaker.profiles import VOCABULARY_FIELDS, Profile
from matchmaker.role_inference import effective_fields, infer_markets, roles_in


def _p(pid, country, offers, seeks, **fields):
    return Profile(
        id=pid, name=pid, country=country, description=f"{pid} pharmaceutical company.",
        offers=offers, seeks=seeks, **fields,
    )


def test_direction_reads_in_and_out_licensing_phrase_by_phrase():
    developer = _p("d", "LV", "oncology molecule for licensing", "global pharma licensees")
    licensee = _p("k", "KR", "Korean sales force", "clinical-stage assets to in-license")
    both = _p("b", "KR", "capacity to in-license", "licensing partners for its own drugs")
    silent = _p("s", "KR", "generic medicines", "distributors")
    assert direction(developer).out and not direction(developer).into
    assert direction(licensee).into and not direction(licensee).out
    assert direction(both).out and direction(both).into
    assert not direction(silent).out and not direction(silent).into
    assert licensing_fit(developer, licensee) and not licensing_fit(developer, developer)
    assert not licensing_fit(developer, silent)


def test_an_in_licensing_company_outranks_one_that_also_seeks_licensees(hashing_embedder):
    roles = {"roles": ["pharma-company"], "markets": ["kr", "eu"]}
    profiles = [
        _p("lv-dev", "LV", "oncology molecule; preclinical data", "licensees in Asia",
           roles=["drug-developer"], partner_roles=["pharma-company"], markets=["lv", "kr"]),
        _p("kr-in", "KR", "oncology medicines; Korean sales force",
           "oncology molecules to in-license", partner_roles=["drug-developer"], **roles),
        _p("kr-out", "KR", "oncology medicines; Korean sales force",
           "licensees for its oncology molecules abroad", partner_roles=["drug-developer"],
           **roles),
        *[_p(f"kr-x{i}", "KR", f"freight {i}", f"shippers {i}", roles=["logistics"])
          for i in range(3)],
    ]
    ranker = engine.fit_in_memory(profiles, hashing_embedder)
    found = {m.id: m for m in ranker.match("lv-dev", top=10)}
    assert found["kr-in"].score_parts["licensing"] > 0 > found["kr-out"].score_parts["licensing"]
    order = [m.id for m in ranker.match("lv-dev", top=10)]
    assert order.index("kr-in") < order.index("kr-out")


def test_english_phrasings_of_what_an_organisation_is():
    assert "drug-developer" in roles_in("Korean developer of CAR-T cell therapies")
    assert "pharma-company" in roles_in("Korean drug maker founded in 1962")
    assert "distributor" in roles_in("Korean subsidiary that imports surgical devices")
    assert "trade-agency" in roles_in("Regional technopark of Gangwon province")


def test_a_european_company_has_europe_as_its_home_market():
    assert infer_markets(_p("de", "DE", "", ""))[0] == "europe"
    assert infer_markets(_p("kr", "KR", "", "partners overseas")) == ["kr", "global"]


def test_eval_can_strip_every_curated_field_so_ranking_reads_them_from_text():
    curated = _p("c", "KR", "generic medicines", "European manufacturers",
                 roles=["distributor"], partner_roles=["pharma-company"], markets=["kr"],
                 therapeutic_areas=["oncology"], modalities=["small-molecule"])
    (stripped,) = without_vocabulary_fields([curated])
    assert all(getattr(stripped, name) == [] for name in VOCABULARY_FIELDS)
    assert effective_fields(stripped).inferred == {"roles", "partner_roles", "markets"}
    assert curated.roles == ["distributor"]  # the original is left alone
