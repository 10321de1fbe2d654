"""Duplicate detection (matchmaker.duplicates) through the core, the CLI and a real database."""

from __future__ import annotations

import json
from pathlib import Path

from matchmaker.cli import cli
from matchmaker.duplicates import DuplicateDetector, Entity, check_import, find_in_store
from matchmaker.importing import parse_file
from matchmaker.store import Store

ROOT = Path(__file__).resolve().parents[1]

GEO_YOUNG = {
    "id": "geo-young",
    "name": "Geo-Young",
    "name_local": "지오영",
    "country": "KR",
    "sectors": ["pharmaceutical distribution"],
    "description": "Korea's largest pharmaceutical wholesaler, supplying hospitals and pharmacies.",
    "offers": "nationwide pharmaceutical distribution; cold-chain logistics",
    "seeks": "foreign pharmaceutical companies entering Korea",
    "partnership_types": ["distribution"],
    "source": "test fixture",
}


def _write(path: Path, *rows: dict) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def _variant(**changes) -> dict:
    return {**GEO_YOUNG, **changes}


def test_three_spellings_of_geo_young_are_one_organisation():
    detector = DuplicateDetector()
    entities = [
        Entity("geo-young", "Geo-Young", "지오영", "KR"),
        Entity("geoyoung-co", "Geoyoung Co., Ltd.", None, "KR"),
        Entity("jioyeong", "지오영", None, "KR"),
        Entity("genoray", "Genoray", "제노레이", "KR"),
    ]
    found = {tuple(sorted(p.ids)) for p in detector.find(entities)}
    # the profile written in both scripts joins the other two; Latin against Hangul alone
    # rests on romanisation only (geoyoung ~ jioyeong) and stays just under the threshold
    assert found == {("geo-young", "geoyoung-co"), ("geo-young", "jioyeong")}
    assert 0.8 < detector.compare(entities[1], entities[2]).score < detector.threshold


def test_the_same_name_in_another_country_is_not_a_duplicate():
    pair = DuplicateDetector().compare(
        Entity("a", "Biosan", None, "LV"), Entity("b", "Biosan", None, "KR")
    )
    assert pair.score == 0


def test_each_pair_carries_its_evidence():
    pair = DuplicateDetector().compare(
        Entity("a", "AS Grindeks", None, "LV", "https://grindeks.com"),
        Entity("b", "Grindeks", None, "LV", "https://www.grindeks.lv"),
    )
    kinds = {e.kind: e.detail for e in pair.evidence}
    assert kinds["name"] == "“AS Grindeks” ~ “Grindeks”"
    assert "grindeks.com / grindeks.lv" in kinds["website"]
    assert pair.to_dict()["score"] >= 1.0


def test_an_import_is_checked_against_stored_profiles_but_an_update_is_not_a_duplicate(
    tmp_db_path, tmp_path, mini_profiles
):
    with Store.open(tmp_db_path, create=True) as store:
        stored = parse_file(_write(tmp_path / "stored.jsonl", GEO_YOUNG))
        store.upsert_many(stored.profiles, "t")
        update = parse_file(_write(tmp_path / "update.jsonl", _variant(city="Seoul")))
        assert check_import(store, update.profiles) == []
        row = _variant(id="geoyoung", name="Geoyoung Co., Ltd.")
        again = parse_file(_write(tmp_path / "duplicate.jsonl", row))
        pairs = check_import(store, again.profiles)
        assert [p.ids for p in pairs] == [("geo-young", "geoyoung")]


def test_cli_warns_on_import_and_lists_pairs_as_json(runner, cli_env, tmp_path):
    first = _write(tmp_path / "first.jsonl", GEO_YOUNG)
    assert runner.invoke(cli, ["import", str(first)]).exit_code == 0
    second = _write(
        tmp_path / "second.jsonl",
        _variant(id="geoyoung-co-ltd", name="Geoyoung Co., Ltd.", name_local="(주)지오영"),
    )
    dry = runner.invoke(cli, ["import", str(second), "--dry-run"])
    assert dry.exit_code == 0 and "geo-young" in dry.output and "look like another" in dry.output
    done = runner.invoke(cli, ["import", str(second)])
    assert done.exit_code == 0 and "look like another profile" in done.output
    listed = runner.invoke(cli, ["duplicates", "--json"])
    assert listed.exit_code == 0, listed.output
    pairs = json.loads(listed.output)
    assert [(p["a"]["id"], p["b"]["id"]) for p in pairs] == [("geo-young", "geoyoung-co-ltd")]
    assert {e["kind"] for e in pairs[0]["evidence"]} >= {"name", "vectors"}
    text = runner.invoke(cli, ["duplicates"])
    assert "1 likely duplicate pair" in text.output and "Geoyoung Co., Ltd." in text.output


def test_no_duplicates_among_the_fictional_test_profiles(runner, cli_env, mini_path):
    assert runner.invoke(cli, ["import", str(mini_path)]).exit_code == 0
    with Store.open(cli_env) as store:
        assert find_in_store(store, "hashing") == []
    assert "No likely duplicates." in runner.invoke(cli, ["duplicates"]).output


def test_cli_suggests_a_close_company_for_an_unknown_id(runner, cli_env, mini_path):
    assert runner.invoke(cli, ["import", str(mini_path)]).exit_code == 0
    result = runner.invoke(cli, ["match", "baltic-generix"])
    assert result.exit_code == 1
    assert "did you mean Baltic Generics (fictional) (baltic-generics)?" in result.output
