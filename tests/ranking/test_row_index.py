"""The id -> row map of incremental updates (ranking.row_index).

It must answer as the dict it replaces would after the same updates, leave the
map it was updated from unchanged (another snapshot reads it), and pickle as a
plain dict (saved fits and other processes).
"""

from __future__ import annotations

import pickle

import pytest

from matchmaker.ranking.row_index import RowIndex


def replayed(fitted: dict[str, int], steps) -> dict[str, int]:
    """What a plain dict holds after the same (moved, removed) steps."""
    rows = dict(fitted)
    for moved, removed in steps:
        for key in removed:
            rows.pop(key, None)
        rows.update(moved)
    return rows


def test_updates_answer_as_a_dict_would():
    fitted = {"a": 0, "b": 1, "c": 2}
    steps = [
        ({"b": 3}, ["b"]),  # b edited: its new row
        ({}, ["a"]),  # a deleted
        ({"d": 4}, []),  # d added
        ({}, ["d", "never-there"]),  # an added one deleted, and an unknown id
        ({"a": 5}, ["a"]),  # a comes back (a merge undone)
    ]
    index = RowIndex.of(fitted)
    for step, (moved, removed) in enumerate(steps, start=1):
        index = index.updated(moved, removed)
        want = replayed(fitted, steps[:step])
        assert dict(index) == want
        assert len(index) == len(want)
        assert sorted(index) == sorted(want)
        for key in ["a", "b", "c", "d", "never-there"]:
            assert (key in index) == (key in want)
            assert index.get(key) == want.get(key)
    with pytest.raises(KeyError):
        index["d"]


def test_the_map_updated_from_is_left_as_it_was():
    fitted = {"a": 0, "b": 1}
    first = RowIndex.of(fitted).updated({"b": 2}, ["b"])
    second = first.updated({}, ["a"])
    assert dict(first) == {"a": 0, "b": 2}
    assert dict(second) == {"b": 2}
    assert fitted == {"a": 0, "b": 1}
    assert RowIndex.of(first) is first


def test_it_pickles_as_the_dict_it_stands_for():
    index = RowIndex.of({"a": 0, "b": 1}).updated({"c": 2}, ["a"])
    copy = pickle.loads(pickle.dumps(index))
    assert type(copy) is dict
    assert copy == {"b": 1, "c": 2}
