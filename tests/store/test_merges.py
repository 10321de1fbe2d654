"""Merging duplicate profiles in the store: audited, reversible, redirecting, judgements follow."""

from __future__ import annotations

import dataclasses

import pytest

from matchmaker.judgements import Judgement
from matchmaker.store import MergedError, NotFoundError, StaleEditError, Store


@pytest.fixture
def store(tmp_db_path, mini_profiles):
    with Store.open(tmp_db_path, create=True) as opened:
        opened.upsert_many(mini_profiles, "setup")
        copy = dataclasses.replace(
            opened.get("han-generics"), id="han-generics-2", name="Han Generics Co., Ltd."
        )
        opened.upsert_many([copy], "setup")
        yield opened


def _grade(store: Store, candidate: str) -> dict:
    judgement = Judgement("KR", candidate, 2, query_company="baltic-generics")
    return store.add_judgement(judgement, "staff")


def test_merge_redirects_moves_judgements_and_undo_puts_everything_back(store, db_dump):
    before = db_dump(store)
    judgement = _grade(store, "han-generics-2")
    kept = dataclasses.replace(store.get("han-generics"), city="Incheon")
    merge_id = store.merge(kept, "han-generics-2", "staff")

    with pytest.raises(MergedError) as merged:
        store.get("han-generics-2")
    assert merged.value.kept_id == "han-generics"
    assert store.merged_into("han-generics-2") == "han-generics"
    assert store.get("han-generics").city == "Incheon"
    assert [j["candidate_id"] for j in store.current_judgements()] == ["han-generics"]
    actions = [e["action"] for e in store.history("han-generics-2")]
    assert actions[0] == "merge" and store.history("han-generics")[0]["action"] == "merge"

    undone = store.undo_merge(merge_id, "staff2")
    assert undone["undone_by"] == "staff2"
    assert store.get("han-generics-2").name == "Han Generics Co., Ltd."
    assert store.get("han-generics").city != "Incheon"
    assert store.merged_into("han-generics-2") is None
    rows = store.current_judgements()
    assert [(j["id"], j["candidate_id"]) for j in rows] == [(judgement["id"], "han-generics-2")]
    assert store.history("han-generics")[0]["action"] == "unmerge"
    assert before != db_dump(store)  # the audit trail keeps both steps


def test_undo_refuses_when_the_kept_profile_was_edited_since(store):
    merge_id = store.merge(store.get("han-generics"), "han-generics-2", "staff")
    edited = dataclasses.replace(store.get("han-generics"), city="Daegu")
    store.save(edited, "staff")
    with pytest.raises(StaleEditError):
        store.undo_merge(merge_id, "staff")


def test_merges_of_merges_redirect_to_the_last_kept_id(store):
    store.merge(store.get("han-generics"), "han-generics-2", "staff")
    store.merge(store.get("seoul-pharma-distribution"), "han-generics", "staff")
    assert store.merged_into("han-generics-2") == "seoul-pharma-distribution"


def test_an_unknown_id_suggests_companies_with_a_similar_name(store):
    with pytest.raises(NotFoundError) as missing:
        store.get("baltic-generix")
    assert missing.value.suggestions[0][0] == "baltic-generics"
    assert "did you mean Baltic Generics (fictional) (baltic-generics)?" in str(missing.value)
    with pytest.raises(NotFoundError) as nothing:
        store.get("zzzz")
    assert nothing.value.suggestions == []


def test_reports_follow_a_merged_id_to_the_kept_profile(store):
    from matchmaker.reports import ReportSpec, follow_merges

    store.merge(store.get("han-generics"), "han-generics-2", "staff")
    spec = ReportSpec(company_ids=("han-generics-2", "baltic-generics"))
    assert follow_merges(store, spec).company_ids == ("han-generics", "baltic-generics")
