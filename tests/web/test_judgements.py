"""Staff grade suggested matches on the results page; the grades become a labelled set."""

from __future__ import annotations

import json
import re
from pathlib import Path

from flask.testing import FlaskClient
from web_helpers import STAFF, post_form, snapshot

from matchmaker.evaluation import check_pool, load_judgements
from matchmaker.judgements import as_labelled_set
from matchmaker.store import Store

RESULTS = "/search?company=baltic-generics&country=KR"
TEXT_RESULTS = "/search?q=Korean+distributor+for+our+PCR+kits&country=KR"


def text(response) -> str:
    return response.get_data(as_text=True)


def grade(client: FlaskClient, candidate: str, value: int, **query):
    fields = {"target_country": "KR", "candidate": candidate, "grade": str(value), "next": RESULTS}
    return post_form(
        client, "/staff/judgements", fields | (query or {"query_company": "baltic-generics"})
    )


def test_only_staff_see_the_grade_buttons(client: FlaskClient):
    assert "Staff grade" not in text(client.get(RESULTS))


def test_staff_grade_a_match_and_see_it_pressed(staff_client: FlaskClient, store: Store):
    page = text(staff_client.get(RESULTS))
    assert page.count("Staff grade:") == page.count('class="match"')
    response = grade(staff_client, "seoul-pharma-distribution", 2)
    assert response.status_code == 303 and response.headers["Location"].endswith(RESULTS)
    page = text(staff_client.get(RESULTS))
    assert "Seoul Pharma Distribution (fictional) graded “strong partner” for this search." in page
    pressed = re.findall(
        r'name="candidate" value="([^"]+)".*?aria-pressed="true">([^<]+)<', page, re.S
    )
    assert ("seoul-pharma-distribution", "strong partner") in pressed
    assert f"by {STAFF}," in page
    [row] = store.current_judgements("baltic-generics", None, "KR")
    assert (row["candidate_id"], row["grade"], row["actor"]) == (
        "seoul-pharma-distribution",
        2,
        STAFF,
    )


def test_the_newest_grade_is_the_current_one_and_all_are_kept(staff_client, store: Store):
    grade(staff_client, "han-generics", 1)
    grade(staff_client, "han-generics", 0)
    [row] = store.current_judgements("baltic-generics", None, "KR")
    assert row["grade"] == 0
    assert store.db["judgements"].count == 2


def test_a_described_need_is_graded_under_its_text(staff_client: FlaskClient, store: Store):
    page = text(staff_client.get(TEXT_RESULTS))
    assert 'name="query_text" value="Korean distributor for our PCR kits"' in page
    grade(
        staff_client,
        "seoul-pharma-distribution",
        2,
        query_text="Korean  distributor for our PCR kits ",
    )
    assert store.current_judgements(None, "Korean distributor for our PCR kits", "KR")
    assert 'aria-pressed="true">strong partner<' in text(staff_client.get(TEXT_RESULTS))


def test_a_bad_grade_is_a_400_and_writes_nothing(staff_client: FlaskClient, tmp_db_path: Path):
    before = snapshot(tmp_db_path)
    for candidate, value, query in [
        ("seoul-pharma-distribution", 5, None),  # not a grade
        ("no-such-company", 1, None),  # unknown candidate
        ("riga-clinical-research", 1, None),  # not in the target country
        ("seoul-pharma-distribution", 1, {"query_company": "nope"}),  # unknown query company
        ("seoul-pharma-distribution", 1, {"query_company": "x", "query_text": "y"}),  # both
    ]:
        response = grade(staff_client, candidate, value, **(query or {}))
        assert response.status_code == 400, (candidate, value, query)
        assert "The grade was not recorded" in text(response)
    assert snapshot(tmp_db_path) == before


def test_the_way_back_never_leaves_the_site(staff_client: FlaskClient):
    response = post_form(
        staff_client,
        "/staff/judgements",
        {
            "query_company": "baltic-generics",
            "target_country": "KR",
            "grade": "1",
            "candidate": "han-generics",
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_grades_come_out_as_a_labelled_set_eval_reads(staff_client, store: Store, tmp_path: Path):
    grade(staff_client, "seoul-pharma-distribution", 2)
    grade(staff_client, "han-generics", 0)
    grade(staff_client, "incheon-diagnostics", 1, query_text="PCR kits")
    grade(staff_client, "han-generics", 0, query_text="generic tablets")
    records, left_out = as_labelled_set(store.current_judgements())
    assert left_out == 1  # "generic tablets" has no partner: every system would score 0
    path = tmp_path / "staff.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    queries = load_judgements(path)
    assert [(q.company, q.text, q.gains) for q in queries] == [
        (None, "PCR kits", {"incheon-diagnostics": 1}),
        ("baltic-generics", None, {"seoul-pharma-distribution": 2}),
    ]
    assert check_pool(queries, store.list()) == []


def test_staff_grade_the_top_partners_on_a_company_page_too(staff_client, store: Store):
    page = text(staff_client.get("/companies/baltic-generics"))
    assert 'name="query_company" value="baltic-generics"' in page
    assert 'name="next" value="/companies/baltic-generics"' in page
    grade(staff_client, "han-generics", 0)  # filed under the same query as the results page
    page = text(staff_client.get("/companies/baltic-generics"))
    assert 'aria-pressed="true">not a partner<' in page
