"""Company id to ranker row, updated per edit without copying a million entries.

A fitted ranker finds a company's row through a dict of every id. An
incremental update (:mod:`ranking.incremental`) hands out a *new* ranker whose
map differs by a few ids, while the old ranker keeps answering searches with
its own. Copying the dict for each edit cost 46 ms at a million companies, and
690 ms once an update had deleted a key from it: CPython copies a dict with
deleted slots entry by entry instead of as one block. (Measured on the 1M
saved fit, docs/benchmarks.md, "An edit at a million profiles".)

:class:`RowIndex` is the fit's dict, never changed, with a small dict of the
changes since the fit on top: an update copies only the changes, which a full
refit clears (after 5 % of rows changed, ``live_index.REFIT_SHARE``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

#: Marks an id removed since the fit in :attr:`RowIndex._changes`.
_REMOVED = -1


class RowIndex(Mapping[str, int]):
    """A read-only id -> row map: the fit's rows, then the changes since (module docstring)."""

    def __init__(self, fitted: Mapping[str, int], changes: Mapping[str, int] | None = None):
        self._fitted = fitted
        #: id -> its new row, or _REMOVED; only what differs from ``fitted``
        self._changes = dict(changes or {})
        self._size = len(fitted) + sum(
            (row != _REMOVED) - (key in fitted) for key, row in self._changes.items()
        )

    @classmethod
    def of(cls, rows: Mapping[str, int]) -> RowIndex:
        """``rows`` as a RowIndex (a RowIndex is returned as it is: it is never changed)."""
        return rows if isinstance(rows, RowIndex) else cls(rows)

    def updated(self, moved: Mapping[str, int], removed: Iterable[str]) -> RowIndex:
        """A new map with ``removed`` ids gone and ``moved`` ids at their new rows; this
        one is left as it is (another snapshot may be reading it)."""
        changes = dict(self._changes)
        for key in removed:
            if key in self:
                changes[key] = _REMOVED
        changes.update(moved)
        return RowIndex(self._fitted, changes)

    def __getitem__(self, key: str) -> int:
        row = self._changes.get(key)
        if row is None:
            return self._fitted[key]
        if row == _REMOVED:
            raise KeyError(key)
        return row

    def __contains__(self, key: object) -> bool:
        row = self._changes.get(key)  # type: ignore[call-overload]
        if row is None:
            return key in self._fitted
        return row != _REMOVED

    def __iter__(self) -> Iterator[str]:
        for key in self._fitted:
            if key not in self._changes:
                yield key
        for key, row in self._changes.items():
            if row != _REMOVED:
                yield key

    def __len__(self) -> int:
        return self._size

    def __reduce__(self):
        """Pickled (a saved fit, another process) as the plain dict it stands for."""
        return (dict, (dict(self),))

    def __repr__(self) -> str:
        return f"RowIndex({len(self)} ids, {len(self._changes)} changed since the fit)"
