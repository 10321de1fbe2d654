"""A staff correction of roles and markets survives re-import and re-embedding.

Roles, partner roles and markets are read from text when a profile does not
state them (docs/roles.md). Staff correct them through the API (or the company
form); an import that leaves the fields out, with new text that must be
embedded again, and a later ``matchmaker embed`` must never bring the inferred
values back, and ranking must read the corrected ones.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from flask.testing import FlaskClient
from test_api import api_login

from matchmaker import engine
from matchmaker.cli import cli
from matchmaker.embedding import HashingEmbedder
from matchmaker.importing import parse_file
from matchmaker.store import Store

#: unlike what the text says (a Korean importer of EU generics), so inference cannot hide a loss
CORRECTION = {
    "roles": ["logistics", "distributor"],
    "partner_roles": ["device-maker"],
    "markets": ["kr", "japan"],
}


def test_a_staff_correction_survives_reimport_and_reembedding(
    client: FlaskClient,
    tmp_db_path: Path,
    tmp_path: Path,
    mini_path: Path,
    runner: CliRunner,
    monkeypatch,
):
    headers = {"X-CSRF-Token": api_login(client)}
    url = "/api/companies/seoul-pharma-distribution"
    version = client.get(url).get_json()["version"]
    response = client.patch(url, json=CORRECTION | {"version": version}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert {k: response.get_json()[k] for k in CORRECTION} == CORRECTION

    # the same file again, without the fields and with a new description to embed
    records = [json.loads(line) for line in mini_path.read_text(encoding="utf-8").splitlines()]
    for record in records:
        for field in CORRECTION:
            record.pop(field, None)
        if record["id"] == "seoul-pharma-distribution":
            record["description"] += " It also runs a cold chain."
    again = tmp_path / "again.jsonl"
    again.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    embedder = HashingEmbedder()
    with Store.open(tmp_db_path) as store:
        engine.import_profiles(store, embedder, parse_file(again), actor="import")
    monkeypatch.setenv("MATCHMAKER_DB", str(tmp_db_path))
    monkeypatch.setenv("MATCHMAKER_MODEL", "hashing")
    result = runner.invoke(cli, ["embed"], catch_exceptions=False)
    assert result.exit_code == 0, result.output

    kept = client.get(url).get_json()
    assert kept["description"].endswith("cold chain.")
    assert {k: kept[k] for k in CORRECTION} == CORRECTION
    with Store.open(tmp_db_path) as store:
        assert engine.count_stale(store, embedder) == 0
        ranker = engine.build_ranker(store, embedder)
    fields = ranker.role_fit_.fields_[ranker.index_["seoul-pharma-distribution"]]
    assert fields.roles == ("logistics", "distributor") and not fields.inferred
    assert fields.partner_roles == ("device-maker",) and fields.markets == ("kr", "japan")
