"""The labelled evaluation sets in eval/ stay consistent with the shipped profiles.

A renamed or removed company would otherwise silently turn a judged partner into
an unknown id, and the evaluation would measure less than it claims.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from matchmaker.evaluation import load_judgements
from matchmaker.importing import parse_file

ROOT = Path(__file__).resolve().parents[1]
SETS = sorted((ROOT / "eval").glob("partner_judgements*.jsonl"))


@pytest.fixture(scope="module")
def countries() -> dict[str, str]:
    return {p.id: p.country for p in parse_file(ROOT / "data" / "companies.jsonl").profiles}


def test_both_annotators_sets_are_there():
    assert [p.name for p in SETS] == ["partner_judgements.jsonl", "partner_judgements_b.jsonl"]


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_judgements_name_real_candidates_in_the_target_country(path, countries):
    queries = load_judgements(path)
    assert len(queries) >= 25 and len({q.qid for q in queries}) == len(queries)
    for q in queries:
        assert (q.company is None) != (q.text is None), q.qid
        if q.company:
            assert countries[q.company] != q.target_country, q.qid
        for cid, grade in q.gains.items():
            assert countries.get(cid) == q.target_country, (q.qid, cid)
            assert grade in (1, 2) and cid != q.company, (q.qid, cid)
        assert 2 in q.gains.values(), q.qid
        for cid in q.competitors:
            assert countries.get(cid) == q.target_country and cid not in q.gains, (q.qid, cid)


def test_the_sets_judge_the_same_queries():
    first, second = (load_judgements(p) for p in SETS)
    assert [(q.qid, q.company, q.text, q.target_country) for q in first] == [
        (q.qid, q.company, q.text, q.target_country) for q in second
    ]
