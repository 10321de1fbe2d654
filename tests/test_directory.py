"""The live index's name directory after incremental updates (lookup.Directory.updated).

An updated directory must equal one built afresh from the same companies: the
same entries in the same order, the same type-ahead answers and the same sector
list; and the directory it was updated from must not change (requests read it).
"""

from __future__ import annotations

import dataclasses

from matchmaker.lookup import Directory
from matchmaker.profiles import Profile


def state(directory: Directory) -> tuple:
    return (
        directory.entries,
        directory.sectors,
        [e.id for e in directory.suggest("a", limit=500)],
        directory.resolve("grindeks")[0],
    )


def test_an_updated_directory_equals_one_built_afresh(mini_profiles: list[Profile]):
    profiles = list(reversed(mini_profiles))  # the build sorts: input order must not matter
    first = Directory(profiles)
    before = state(first)
    edited = dataclasses.replace(profiles[0], name="Renamed Pharma", sectors=["medtech"])
    added = dataclasses.replace(profiles[1], id="zz-new-company", name="New Diagnostics")
    deleted = profiles[2].id
    updated = first.updated([edited, added], [deleted])
    now = [edited, added, *(p for p in profiles[1:] if p.id != deleted)]
    assert state(updated) == state(Directory(now))
    assert [e.id for e in updated.suggest("renamed")] == [edited.id]
    assert state(first) == before


def test_deleting_an_unknown_company_changes_nothing(mini_profiles: list[Profile]):
    first = Directory(mini_profiles)
    assert state(first.updated([], ["no-such-company"])) == state(first)


def test_a_company_changed_twice_in_one_update_is_listed_once(mini_profiles: list[Profile]):
    first = Directory(mini_profiles)
    once = dataclasses.replace(mini_profiles[0], name="First Rename")
    twice = dataclasses.replace(mini_profiles[0], name="Second Rename")
    updated = first.updated([once, twice], [])
    assert [e.name for e in updated.entries if e.id == twice.id] == ["Second Rename"]
    assert state(updated) == state(Directory([twice, *mini_profiles[1:]]))
