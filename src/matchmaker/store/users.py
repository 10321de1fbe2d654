"""Staff accounts and their sessions.
"""

from __future__ import annotations

from typing import Any

from .errors import StoreError
from .records import now


class UsersMixin:
    """The ``users`` table (part of :class:`~matchmaker.store.Store`)."""

    def users(self) -> list[dict[str, Any]]:
        """Every staff account (never its password hash), for the users page."""
        return list(
            self.db.query(
                "SELECT username, created_at, disabled_at FROM users ORDER BY username"
            )
        )

    def add_user(self, username: str, password_hash: str) -> None:
        with self._immediate():
            if self.get_user(username):
                raise StoreError(f"user '{username}' already exists")
            self.db["users"].insert(
                {"username": username, "password_hash": password_hash, "created_at": now()}
            )

    def set_password(self, username: str, password_hash: str) -> bool:
        """A new password, which also ends every session of the user; False if no such user."""
        with self._immediate():
            cursor = self.db.execute(
                "UPDATE users SET password_hash = ?, session_generation = session_generation + 1 "
                "WHERE username = ?",
                [password_hash, username],
            )
        return cursor.rowcount == 1

    def end_sessions(self, username: str) -> bool:
        """Make every session cookie issued to the user worthless (logout everywhere)."""
        with self._immediate():
            cursor = self.db.execute(
                "UPDATE users SET session_generation = session_generation + 1 WHERE username = ?",
                [username],
            )
        return cursor.rowcount == 1

    def set_disabled(self, username: str, disabled: bool) -> bool:
        """Disable (ending every session) or enable an account; False if no such user."""
        with self._immediate():
            if disabled:
                cursor = self.db.execute(
                    "UPDATE users SET disabled_at = COALESCE(disabled_at, ?), "
                    "session_generation = session_generation + 1 WHERE username = ?",
                    [now(), username],
                )
            else:
                cursor = self.db.execute(
                    "UPDATE users SET disabled_at = NULL WHERE username = ?", [username]
                )
        return cursor.rowcount == 1

    def remove_user(self, username: str) -> bool:
        """Delete an account (its sessions end with it); audit entries keep the name."""
        with self._immediate():
            cursor = self.db.execute("DELETE FROM users WHERE username = ?", [username])
        return cursor.rowcount == 1

    def get_user(self, username: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM users WHERE username = ?", [username]))
        return rows[0] if rows else None

    def list_users(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT username FROM users ORDER BY username")]
