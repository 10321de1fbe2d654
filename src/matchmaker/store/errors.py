"""Errors of the storage layer, each a kind of the domain errors in :mod:`matchmaker.errors`.

The CLI and web error handlers catch the domain family; these add what the
storage layer knows (which file, which version, which id).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import (
    Busy,
    InvalidInput,
    MatchmakerError,
    NotFound,
    StaleVersion,
    Unavailable,
    UnknownCompany,
)


class StoreError(MatchmakerError):
    """A problem with the database a user can fix (missing file, id taken, busy...)."""


#: Not a database problem: what was asked for is not there (see :mod:`errors`).
NotFoundError = NotFound


class MergedError(UnknownCompany):
    """The company was merged into another: callers redirect to ``kept_id``."""

    def __init__(self, company_id: str, kept_id: str):
        self.kept_id = kept_id
        super().__init__(company_id, message=f"'{company_id}' was merged into '{kept_id}'")


class BusyError(StoreError, Busy):
    """Another connection held the write lock for longer than the busy timeout."""


class UnstorableValueError(InvalidInput, StoreError):
    """A value the database cannot hold (PostgreSQL text refuses a NUL byte): the user's
    input, so a 400 and nothing written, not a 503 about the database."""


class ConflictError(StoreError):
    """The write contradicts what is stored (an id that is already taken)."""


class DatabaseFileError(StoreError, Unavailable):
    """The database file itself is not fine: full disk, damaged, empty or read-only."""


class StaleEditError(StoreError, StaleVersion):
    """Someone else saved the profile after the editor loaded it."""

    def __init__(self, company_id: str, expected: int, actual: int):
        self.company_id, self.expected, self.actual = company_id, expected, actual
        super().__init__(
            f"{company_id} was changed by someone else (version {actual}, you edited "
            f"version {expected}); reload it and apply your change again"
        )


@dataclass(frozen=True)
class ImportConflict:
    """A row whose stored profile moved on since the file was exported."""

    company_id: str
    exported_version: int | None
    exported_updated_at: str | None
    stored_version: int
    stored_updated_at: str

    def __str__(self) -> str:
        if self.exported_version is not None:
            since = f"version {self.stored_version} now, {self.exported_version} in the file"
        else:
            since = f"changed {self.stored_updated_at}, the file is from {self.exported_updated_at}"
        return (
            f"{self.company_id} was edited after this file was exported ({since}); "
            "importing it would undo that edit"
        )


class ImportConflictError(StoreError):
    """Importing would silently revert edits made since the file was exported."""

    def __init__(self, conflicts: list[ImportConflict]):
        self.conflicts = conflicts
        super().__init__(
            f"{len(conflicts)} profile(s) were edited after the file was exported; nothing was "
            "imported. Export again and redo your changes there, or overwrite the newer edits"
        )
