"""The problems a user can fix, as one family of exceptions.

The CLI and the web app catch :class:`MatchmakerError` (and the database and
file-system errors of the machine itself) and turn it into a one-line message
or an error page. Anything else is a bug and shows as one: a traceback in the
CLI, a logged 500 page in the web app. Catching ``KeyError`` or ``ValueError``
wholesale used to turn real bugs into polite, misleading one-liners.

The older names stay valid: ``store.StoreError`` and its family,
``profiles.ProfileError``, ``reports.ReportError`` and the others subclass
these, and :class:`UnknownCompany` is still a ``KeyError``, :class:`InvalidInput`
still a ``ValueError``, for callers written against the built-in types.
"""

from __future__ import annotations

from collections.abc import Iterable


class MatchmakerError(Exception):
    """A problem the user can fix; its message says what to do."""


class NotFound(MatchmakerError):
    """Something asked for does not exist (a company, a staff user, any company at all)."""


class UnknownCompany(NotFound, KeyError):
    """No company has this id (or it was deleted)."""

    def __init__(
        self, company_id: str, suggestions: Iterable[tuple[str, str]] = (), message: str = ""
    ):
        self.company_id = company_id
        #: (id, name) of live companies the user may have meant ("did you mean")
        self.suggestions = list(suggestions)
        super().__init__(message or f"no company with id '{company_id}'")

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class InvalidInput(MatchmakerError, ValueError):
    """A value the user gave cannot be used: a file type, a date, a setting, a grade."""


class InvalidProfile(InvalidInput):
    """A profile fails validation (``profiles.ProfileError`` lists every field)."""


class StaleVersion(MatchmakerError):
    """Someone else saved the profile after the editor loaded it."""


class Busy(MatchmakerError):
    """Another writer held the database for longer than we wait; trying again later works."""


class Unavailable(MatchmakerError):
    """Something the service needs is missing or broken: the model, the database file."""
