"""A mission of real shipped companies (data/companies.jsonl, the real model) gets a full
schedule: every company meets, every company that has a good partner among the
participants gets a good meeting, and each meeting says why, from both sides.

Before the fit was put on the results page's scale and made non-negative
(missions.fit), the same mission got 33 of its 48 possible meetings: a fit
standardised over the participants is negative for half of the pairs, and a
solver maximising the total fit leaves those slots empty.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from databases import copy_database

from matchmaker import engine
from matchmaker.mission_store import MissionStore
from matchmaker.missions import planning
from matchmaker.missions.adjust import violations
from matchmaker.missions.model import Mission
from matchmaker.ranking.fit import fit_label
from matchmaker.ranking.within import rank_among
from matchmaker.store import Store

pytestmark = pytest.mark.model

COMPANIES = Path(__file__).resolve().parents[2] / "data" / "companies.jsonl"
CAP = 6


@pytest.fixture(scope="module")
def shipped_mission(model_db, real_embedder, tmp_path_factory):
    """8 LV and 12 KR shipped companies (the first by id), 2 days of 24 slots, planned."""
    path = copy_database(model_db(COMPANIES), tmp_path_factory.mktemp("mission") / "m.db")
    with Store.open(path) as db:
        profiles = db.list()
        lv = sorted(p.id for p in profiles if p.country == "LV")[:8]
        kr = sorted(p.id for p in profiles if p.country == "KR")[:12]
        missions = MissionStore(db)
        mission = missions.create(
            Mission(name="Seoul 2026", days=("2026-05-12", "2026-05-13"), tables=10, cap=CAP),
            "ann",
        )
        for company in lv + kr:
            missions.add_participant(mission.id, company, "ann")
        ranker = engine.build_ranker(db, real_embedder)
        plan = planning.plan_mission(db, ranker, mission.id, "ann", time_limit=10, workers=1)
        state = planning.load(db, mission.id)
        fits = planning.scored(ranker, state)
        yield plan, state, fits, ranker


def test_every_company_meets_and_the_schedule_is_full(shipped_mission):
    plan, state, _, _ = shipped_mission
    met = Counter(company for m in plan.meetings for company in m.pair)
    assert set(met) == set(state.lv + state.kr), "every participant has a meeting"
    # 8 LV companies x cap 6 = 48: every LV agenda is full (KR has room for 72)
    assert len(plan.meetings) == len(state.lv) * CAP
    assert max(met.values()) <= CAP
    assert violations(planning.problem_for(state), plan.meetings) == []


def test_every_company_with_a_good_partner_gets_a_good_meeting(shipped_mission):
    plan, state, fits, _ = shipped_mission
    good = state.mission.good_fit
    could = {
        company
        for pair, fit in fits.items()
        for company, worth in zip(pair, fit.sides, strict=True)
        if worth >= good
    }
    assert len(could) >= 8, "the shipped data has good partners among these companies"
    got = {
        company
        for m in plan.meetings
        for company, worth in zip(m.pair, fits[m.pair].sides, strict=True)
        if worth >= good
    }
    assert got == could
    assert plan.stats["covered"] == len(could) >= plan.stats["greedy_covered"]


def test_meetings_carry_both_sides_scores_labels_and_reasons(shipped_mission):
    plan, _, fits, _ = shipped_mission
    for m in plan.meetings:
        assert 0 < m.fit < 1 and m.reasons_lv and m.reasons_kr
        assert (m.lv_score, m.kr_score) == (
            pytest.approx(fits[m.pair].lv_view, abs=1e-3),
            pytest.approx(fits[m.pair].kr_view, abs=1e-3),
        )
    best = max(plan.meetings, key=lambda m: m.fit)
    assert fit_label(best.lv_score) == fit_label(best.kr_score) == "strong"


def test_a_participant_scores_as_on_the_results_page(shipped_mission):
    """rank_among puts a participant on match's scale: the same score and fit label."""
    _, state, _, ranker = shipped_mission
    for company, others in ((state.lv[0], state.kr), (state.kr[0], state.lv)):
        shown = {m.id: m for m in ranker.match(company, top=300)}
        among = rank_among(ranker, company, others)
        assert [m.id for m in among] == sorted(others, key=lambda c: -shown[c].score)
        for m in among:
            assert m.score == pytest.approx(shown[m.id].score, abs=1e-3)
            assert m.fit == shown[m.id].fit
