"""Staff set therapeutic areas and product types through the API, documented in openapi.yaml."""

from __future__ import annotations

from pathlib import Path

import yaml
from flask.testing import FlaskClient
from test_api import api_login

from matchmaker.therapy import AREAS, MODALITIES

OPENAPI = Path(__file__).parents[2] / "docs" / "openapi.yaml"


def test_the_api_edits_areas_and_product_types_and_refuses_strangers(client: FlaskClient):
    headers = {"X-CSRF-Token": api_login(client)}
    url = "/api/companies/seoul-pharma-distribution"
    version = client.get(url).get_json()["version"]
    change = {"therapeutic_areas": "oncology; cns", "modalities": ["generics"]}
    response = client.patch(url, json=change | {"version": version}, headers=headers)
    assert response.status_code == 200, response.get_json()
    saved = client.get(url).get_json()
    assert saved["therapeutic_areas"] == ["oncology", "cns"]
    assert saved["modalities"] == ["generics"]
    bad = {"modalities": ["perfume"], "version": saved["version"]}
    refused = client.patch(url, json=bad, headers=headers)
    assert refused.status_code == 422 and "modalities" in refused.get_data(as_text=True)
    assert client.get(url).get_json()["modalities"] == ["generics"]


def test_openapi_lists_the_vocabularies():
    schemas = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))["components"]["schemas"]
    assert schemas["TherapeuticArea"]["enum"] == list(AREAS)
    assert schemas["Modality"]["enum"] == list(MODALITIES)
    fields = schemas["CompanyInput"]["properties"]
    assert {"therapeutic_areas", "modalities"} <= set(fields)
