"""The labelled evaluation sets in eval/ stay consistent with the shipped profiles.

A renamed or removed company would otherwise silently turn a judged partner into
an unknown id, and the evaluation would measure less than it claims.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from matchmaker.evaluation import JudgedQuery, JudgementError, check_pool, load_judgements
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


# -- reading someone else's labelled set ---------------------------------------------


GOOD = '{"qid": "x1", "query": {"text": "distributor"}, "target_country": "KR", "judgements": {}}'


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "line 2: not valid JSON"),
        (
            '{"qid": "x2", "query": {"text": "a"}, "judgements": {}}',
            "line 2: missing 'target_country'",
        ),
        (
            '{"qid": "x2", "query": {}, "target_country": "KR", "judgements": {}}',
            'line 2: "query" must be',
        ),
        (
            '{"qid": "x2", "query": {"text": "a"}, "target_country": "US", "judgements": {}}',
            "line 2: target_country must be LV, KR, EU or a European country code, not 'US'",
        ),
        (
            '{"qid": "x2", "query": {"text": "a"}, "target_country": "KR", "judgements": {"a": 3}}',
            "line 2: grades must be the numbers 0, 1 or 2",
        ),
        (
            '{"qid": "x2", "query": {"text": "a"}, "target_country": "KR", "judgements": ["a"]}',
            "line 2:",
        ),
        (
            '{"qid": "x2", "query": {"text": "a"}, "target_country": "KR",'
            ' "judgements": {"a": 1.7}}',
            "line 2: grades must be the numbers 0, 1 or 2",
        ),
        (
            '{"qid": "x2", "query": {"text": "a"}, "target_country": "KR",'
            ' "judgements": {"a": "2"}}',
            "line 2: grades must be the numbers 0, 1 or 2",
        ),
        (
            '{"qid": "x2", "query": {"text": "a"}, "target_country": "KR", "judgements": {},'
            ' "competitors": "abc"}',
            'line 2: "competitors" must be a list',
        ),
        (GOOD, "qid 'x1' is used twice"),
    ],
)
def test_a_broken_labelled_set_is_refused_with_its_line(tmp_path, line, message):
    path = tmp_path / "set.jsonl"
    path.write_text(GOOD + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(JudgementError, match=re.escape(message)):
        load_judgements(path)


def test_the_pool_check_stops_on_a_missing_query_company_and_warns_on_stray_ids(countries):
    profiles = parse_file(ROOT / "data" / "companies.jsonl").profiles
    lost = JudgedQuery("x1", "KR", {"yuhan": 2}, company="no-such-company")
    with pytest.raises(JudgementError, match=r"x1 \(no-such-company\)"):
        check_pool([lost], profiles)
    stray = JudgedQuery("x2", "KR", {"yuhan": 2, "grindeks": 1, "ghost": 1}, text="distributor")
    assert check_pool([stray], profiles) == [
        "x2: judged ids not among the KR profiles (they count as never ranked): ghost, grindeks"
    ]
