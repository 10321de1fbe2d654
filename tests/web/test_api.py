"""The JSON API: the CLI's --json fields, staff writes with versions, its OpenAPI file."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web_helpers import PASSWORD, STAFF, csrf_token, snapshot

from matchmaker.cli import cli
from matchmaker.profiles import validate_profile
from matchmaker.store import Store

OPENAPI = Path(__file__).parents[2] / "docs" / "openapi.yaml"


def api_login(client: FlaskClient) -> str:
    """Log in the way a script would (unless already in); return the token for writes."""
    session = client.get("/api/session").get_json()
    if session["user"] == STAFF:
        return session["csrf_token"]
    token = session["csrf_token"]
    response = client.post(
        "/api/session",
        json={"username": STAFF, "password": PASSWORD},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 200
    return response.get_json()["csrf_token"]


def cli_json(runner: CliRunner, *args: str) -> list:
    result = runner.invoke(cli, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# -- reading ----------------------------------------------------------------


def test_matches_search_and_similar_equal_the_cli_json(
    client: FlaskClient, runner: CliRunner, cli_env: Path
):
    assert client.get("/api/companies/baltic-generics/matches").get_json() == cli_json(
        runner, "match", "baltic-generics"
    )
    assert client.get(
        "/api/companies/baltic-generics/matches?top=3&type=distribution&sector=pharmaceuticals"
    ).get_json() == cli_json(
        runner,
        "match",
        "baltic-generics",
        "--top",
        "3",
        "--type",
        "distribution",
        "--sector",
        "pharmaceuticals",
    )
    assert client.get(
        "/api/search?q=PCR+test+kits+distributor&country=KR&top=5"
    ).get_json() == cli_json(
        runner, "query", "PCR test kits distributor", "--country", "KR", "-k", "5"
    )
    assert client.get("/api/companies/han-generics/similar").get_json() == cli_json(
        runner, "similar", "han-generics"
    )
    first = client.get("/api/companies/baltic-generics/matches").get_json()[0]
    assert list(first) == [
        "id",
        "name",
        "country",
        "score",
        "reasons",
        "score_parts",
        "name_local",
        "city",
        "sectors",
        "verified",
        "reasons_all",
        "fit",
    ]


def test_companies_list_and_one_company(client: FlaskClient):
    companies = client.get("/api/companies").get_json()
    assert len(companies) == 10
    assert {"id", "name", "country", "version", "incomplete"} <= set(companies[0])
    korean = client.get("/api/companies?country=KR").get_json()
    assert {c["country"] for c in korean} == {"KR"}
    assert [c["id"] for c in client.get("/api/companies?q=koks").get_json()] == ["vidzeme-wood"]
    page = client.get("/api/companies?limit=3&offset=3").get_json()
    assert [c["id"] for c in page] == [c["id"] for c in companies[3:6]]
    company = client.get("/api/companies/baltic-generics").get_json()
    assert company["name"] == "Baltic Generics (fictional)"


def test_read_errors_are_json_with_a_message(client: FlaskClient):
    response = client.get("/api/companies/nope")
    assert response.status_code == 404 and "no company" in response.get_json()["error"]
    assert client.get("/api/companies/nope/matches").status_code == 404
    response = client.get("/api/search?q=x")
    assert response.status_code == 400
    assert "country" in response.get_json()["errors"]
    response = client.get("/api/companies?limit=0&country=XX")
    assert set(response.get_json()["errors"]) == {"limit", "country"}
    assert client.get("/api/companies/baltic-generics/matches?top=-1").status_code == 400
    assert client.get("/api/companies/baltic-generics/history").status_code == 401


# -- session and writes -----------------------------------------------------


def test_login_errors_are_generic(client: FlaskClient):
    token = csrf_token(client)
    for body in ({"username": "nobody", "password": PASSWORD}, {"username": STAFF}):
        response = client.post("/api/session", json=body, headers={"X-CSRF-Token": token})
        assert response.status_code == 401
    response = client.post("/api/session", data="not json", headers={"X-CSRF-Token": token})
    assert response.status_code == 400


def test_login_rotates_the_csrf_token(client: FlaskClient):
    before = csrf_token(client)
    after = api_login(client)
    assert after != before
    response = client.delete("/api/session", headers={"X-CSRF-Token": before})
    assert response.status_code == 400  # the pre-login token is dead
    assert client.delete("/api/session", headers={"X-CSRF-Token": after}).status_code == 200
    assert client.get("/api/session").get_json()["user"] is None


def test_create_update_delete_restore(client: FlaskClient, store: Store):
    token = api_login(client)
    headers = {"X-CSRF-Token": token}
    body = {
        "name": "Latgale Medtech (fictional)",
        "country": "Latvija",
        "description": "Fictional maker of ultrasound probes.",
        "offers": "ultrasound probes",
        "seeks": "Korean hospital distributor",
    }
    response = client.post("/api/companies", json=body, headers=headers)
    assert response.status_code == 201
    created = response.get_json()
    assert response.headers["Location"] == "/api/companies/" + created["id"]
    assert created["country"] == "LV" and created["version"] == 1
    assert client.post("/api/companies", json=body, headers=headers).status_code == 409

    patch = {"city": "Daugavpils", "version": 1}
    url = "/api/companies/" + created["id"]
    response = client.patch(url, json=patch, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["city"] == "Daugavpils"
    stale = client.patch(url, json={"city": "Rēzekne", "version": 1}, headers=headers)
    assert stale.status_code == 409 and stale.get_json()["version"] == 2
    assert client.patch(url, json={"city": "Rēzekne"}, headers=headers).status_code == 428
    assert store.get(created["id"]).city == "Daugavpils"
    assert client.patch(url, json={"id": "other", "version": 2}, headers=headers).status_code == 422

    assert client.delete(url, headers=headers).status_code == 428
    assert client.delete(url + "?version=1", headers=headers).status_code == 409
    response = client.delete(url + "?version=2", headers=headers)
    assert response.status_code == 200 and response.get_json()["deleted"] is True
    assert client.get(url).status_code == 404
    response = client.post(url + "/restore?version=3", headers=headers)
    assert response.status_code == 200
    history = client.get(url + "/history").get_json()
    assert [e["action"] for e in history] == ["restore", "delete", "edit", "create"]
    assert history[2]["before"] == {"city": None} and history[2]["after"] == {"city": "Daugavpils"}


def test_invalid_profile_lists_every_problem(client: FlaskClient, tmp_db_path: Path):
    headers = {"X-CSRF-Token": api_login(client)}
    before = snapshot(tmp_db_path)
    body = {"name": "", "country": "Mars", "website": "javascript:x", "colour": "red"}
    response = client.post("/api/companies", json=body, headers=headers)
    assert response.status_code == 422
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert fields == {"name", "country", "website", "colour", "description"}
    assert client.post("/api/companies", json=[1, 2], headers=headers).status_code == 400
    assert snapshot(tmp_db_path) == before


def test_import_endpoint_validates_everything_first(
    client: FlaskClient, store: Store, tmp_db_path: Path
):
    headers = {"X-CSRF-Token": api_login(client)}
    good = '{"id": "api-co", "name": "API Co", "country": "KR", "description": "d"}\n'
    bad = good + '{"id": "x", "name": "X", "country": "??", "description": "d"}\n'
    before = snapshot(tmp_db_path)
    response = client.post("/api/imports?format=jsonl", data=bad, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"row": 2, "field": "country", "message": response.get_json()["errors"][0]["message"]}
    ]
    dry = client.post("/api/imports?format=jsonl&dry_run=true", data=good, headers=headers)
    assert dry.get_json() == {"valid": 1, "written": False}
    assert snapshot(tmp_db_path) == before
    assert client.post("/api/imports?format=xlsx", data=good, headers=headers).status_code == 400
    done = client.post("/api/imports?format=jsonl", data=good, headers=headers).get_json()
    assert done["created"] == 1 and store.exists("api-co")


def test_import_endpoint_refuses_an_unclosed_csv_quote_even_in_a_dry_run(
    client: FlaskClient, tmp_db_path: Path
):
    headers = {"X-CSRF-Token": api_login(client)}
    data = 'id,name,country,description\na,A,LV,"open\nb,B,LV,x\n'
    before = snapshot(tmp_db_path)
    for dry_run in ("true", "false"):
        response = client.post(
            f"/api/imports?format=csv&dry_run={dry_run}", data=data, headers=headers
        )
        assert response.status_code == 422
        [error] = response.get_json()["errors"]
        assert error["row"] == 2 and "opened on line 2 is never closed" in error["message"]
    assert snapshot(tmp_db_path) == before


def test_importing_an_older_export_is_a_409_unless_overwrite(
    client: FlaskClient, store: Store, tmp_db_path: Path
):
    # the audit's reproduction: the import answered 200 and the city was reverted
    headers = {"X-CSRF-Token": api_login(client)}
    old_export = client.get("/api/companies/jeju-cosmetics").get_json()
    current = old_export["version"]
    edited = client.patch(
        "/api/companies/jeju-cosmetics",
        json={"version": current, "city": "Seogwipo"},
        headers=headers,
    )
    assert edited.status_code == 200
    before = snapshot(tmp_db_path)
    data = json.dumps(old_export) + "\n"
    for dry_run in ("true", "false"):
        response = client.post(
            f"/api/imports?format=jsonl&dry_run={dry_run}", data=data, headers=headers
        )
        assert response.status_code == 409
        body = response.get_json()
        assert body["conflicts"] == [
            {
                "row": 1,
                "id": "jeju-cosmetics",
                "message": f"jeju-cosmetics was edited after this file was exported (version "
                f"{current + 1} now, {current} in the file); importing it would undo that edit",
            }
        ]
        assert "overwrite=true" in body["error"]
    assert snapshot(tmp_db_path) == before
    response = client.post("/api/imports?format=jsonl&overwrite=true", data=data, headers=headers)
    assert response.status_code == 200 and response.get_json()["updated"] == 1
    assert store.get("jeju-cosmetics").city == old_export["city"]


def test_a_lone_surrogate_as_a_field_name_gives_a_clear_error_not_a_500(
    client: FlaskClient, store: Store, tmp_db_path: Path
):
    headers = {"X-CSRF-Token": api_login(client), "Content-Type": "application/json"}
    before = snapshot(tmp_db_path)
    row = '{"\\ud800": 1, "name": "A", "country": "LV", "description": "d"}'
    response = client.post("/api/imports?format=jsonl", data=row + "\n", headers=headers)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "\\ud800"
    version = store.get("jeju-cosmetics").version
    body = '{"\\ud800": "x", "version": ' + str(version) + "}"
    # JSON request bodies go through the one safe loader, which refuses the half pair
    response = client.patch("/api/companies/jeju-cosmetics", data=body, headers=headers)
    assert response.status_code == 400 and "surrogate" in response.get_data(as_text=True)
    response = client.post("/api/companies", data=row, headers=headers)
    assert response.status_code == 400 and "surrogate" in response.get_data(as_text=True)
    assert snapshot(tmp_db_path) == before


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    changes=st.dictionaries(
        st.sampled_from(
            ["name", "country", "city", "sectors", "website", "employees", "founded", "verified"]
            + ["offers", "partnership_types", "id", "version", "unknown"]
        ),
        st.one_of(
            st.text(max_size=30),
            st.integers(min_value=-(10**20), max_value=10**20),
            st.floats(allow_nan=True),
            st.none(),
            st.booleans(),
            st.lists(st.text(max_size=10), max_size=3),
            st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        ),
        max_size=4,
    )
)
def test_any_patch_is_applied_whole_or_refused_whole(
    client: FlaskClient, store: Store, tmp_db_path: Path, changes: dict
):
    headers = {"X-CSRF-Token": api_login(client)}
    current = store.get("jeju-cosmetics")
    body = {"version": current.version} | changes
    before = snapshot(tmp_db_path)
    response = client.patch("/api/companies/jeju-cosmetics", json=body, headers=headers)
    assert response.status_code in (200, 400, 409, 422, 428), response.get_json()
    if response.status_code == 200:
        expected = validate_profile(
            current.content() | {k: v for k, v in changes.items() if k != "version"}
        )
        assert store.get("jeju-cosmetics").content() == expected.content()
    else:
        assert snapshot(tmp_db_path) == before


# -- documentation ----------------------------------------------------------


def test_openapi_documents_exactly_the_api_routes(app: Flask, client: FlaskClient):
    spec = yaml.safe_load(OPENAPI.read_text())
    documented = {
        (path, method.upper())
        for path, operations in spec["paths"].items()
        for method in operations
        if method != "parameters"
    }
    served = {
        (rule.rule.replace("<", "{").replace(">", "}"), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == served
    with client.get("/api/openapi.yaml") as response:  # send_file holds the file open
        assert response.status_code == 200 and b"openapi: 3.1.0" in response.data


def test_an_oversized_body_is_a_413_with_a_json_message(app: Flask, client: FlaskClient):
    headers = {"X-CSRF-Token": api_login(client)}
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/api/imports?format=jsonl", data="x" * 5000, headers=headers)
    assert response.status_code == 413
    assert "MB limit" in response.get_json()["error"]


# -- staff grades ---------------------------------------------------------------------


def test_staff_grade_matches_through_the_api(client: FlaskClient, tmp_db_path: Path):
    assert client.get("/api/judgements").status_code == 401
    token = api_login(client)
    body = {
        "query_text": "PCR kits",
        "target_country": "KR",
        "candidate": "seoul-pharma-distribution",
        "grade": 2,
    }
    response = client.post("/api/judgements", json=body, headers={"X-CSRF-Token": token})
    assert response.status_code == 201
    row = response.get_json()
    assert (row["actor"], row["grade"], row["query_company"]) == (STAFF, 2, None)
    assert client.get("/api/judgements").get_json() == [row]
    assert client.get("/api/judgements?offset=1").get_json() == []
    assert client.get("/api/judgements?limit=0").status_code == 400


def test_an_api_grade_that_cannot_be_recorded_says_why_and_writes_nothing(
    client: FlaskClient, tmp_db_path: Path
):
    token = api_login(client)
    before = snapshot(tmp_db_path)
    for body, status, message in [
        ("not an object", 400, "JSON object"),
        (
            {"query_text": "x", "target_country": "KR", "candidate": "han-generics", "grade": 7},
            422,
            "grade must be",
        ),
        (
            {"query_text": "x", "target_country": "LV", "candidate": "han-generics", "grade": 1},
            422,
            "not in LV",
        ),
        (
            {"query_text": "x", "target_country": "KR", "candidate": "nobody", "grade": 1},
            422,
            "no company",
        ),
        (
            {"target_country": "KR", "candidate": "han-generics", "grade": 1},
            422,
            "either the query",
        ),
    ]:
        response = client.post("/api/judgements", json=body, headers={"X-CSRF-Token": token})
        assert response.status_code == status, body
        assert message in response.get_json()["error"], body
    assert snapshot(tmp_db_path) == before
