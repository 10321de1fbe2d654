"""Storage: every SQL statement matchmaker runs lives in this module.

The rest of the code talks to :class:`Store` (get, list, upsert, save,
delete, vectors, audit, users, staff judgements of matches), so a PostgreSQL
backend could replace it without touching ranking, CLI or web.

SQLite is used the way its authors recommend: WAL mode, an explicit busy
timeout, foreign keys on, every multi-row write in one transaction, and
read-modify-write under ``BEGIN IMMEDIATE`` with a version column so that a
stale edit is refused instead of silently overwriting someone else's.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils

from . import config, names
from .errors import Busy, MatchmakerError, NotFound, StaleVersion, Unavailable, UnknownCompany
from .files import replaced_atomically
from .judgements import Judgement, JudgementInputError
from .profiles import INPUT_FIELDS, LIST_FIELDS, VOCABULARY_FIELDS, Profile
from .text_languages import field_languages

BUSY_TIMEOUT_MS = 5000
#: ``PRAGMA synchronous`` levels: FULL syncs the WAL on every commit, so a power cut
#: cannot lose a commit that was reported done; NORMAL syncs only at checkpoints.
SYNCHRONOUS_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")


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


@dataclass
class UpsertSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_ids: list[str] = field(default_factory=list)


@dataclass
class VectorRow:
    """Embeddings of one field of one company (one row per phrase for phrase fields)."""

    company_id: str
    field: str
    text_hash: str
    vectors: np.ndarray
    texts: list[str]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


#: One schema step: its version and either SQL text (its statements run in order) or a
#: named function given the connection (``def add_x(conn: sqlite3.Connection) -> None``),
#: for a step SQL alone cannot say. A function must only ``conn.execute``: committing
#: is :meth:`Store.migrate`'s job.
MigrationStep = str | Callable[[sqlite3.Connection], None]

# Versioned migrations: each runs once, in its own transaction, recorded in the
# `migrations` table. Apps open the database with migrations at start-up only.
MIGRATIONS: list[tuple[int, MigrationStep]] = [
    (
        1,
        """
        CREATE TABLE companies (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            name_local TEXT,
            country TEXT NOT NULL CHECK (country IN ('LV', 'KR')),
            city TEXT,
            sectors TEXT NOT NULL DEFAULT '[]',
            description TEXT NOT NULL,
            offers TEXT NOT NULL DEFAULT '',
            seeks TEXT NOT NULL DEFAULT '',
            partnership_types TEXT NOT NULL DEFAULT '[]',
            website TEXT,
            employees INTEGER,
            founded INTEGER,
            certifications TEXT NOT NULL DEFAULT '[]',
            source TEXT,
            verified INTEGER NOT NULL DEFAULT 0,
            version INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            deleted_at TEXT
        );
        CREATE INDEX companies_country ON companies (country);
        CREATE TABLE vectors (
            company_id TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
            model_id TEXT NOT NULL,
            field TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            rows INTEGER NOT NULL,
            dim INTEGER NOT NULL,
            data BLOB NOT NULL,
            texts TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (company_id, model_id, field)
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            company_id TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            at TEXT NOT NULL,
            changed TEXT NOT NULL DEFAULT '[]',
            before TEXT,
            after TEXT
        );
        CREATE INDEX audit_company ON audit (company_id, id);
        CREATE TABLE users (
            username TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT
        );
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta (key, value) VALUES ('revision', '0');
        """,
    ),
    (
        2,
        """
        CREATE TABLE judgements (
            id INTEGER PRIMARY KEY,
            query_company TEXT REFERENCES companies (id),
            query_text TEXT,
            target_country TEXT NOT NULL CHECK (target_country IN ('LV', 'KR')),
            candidate_id TEXT NOT NULL REFERENCES companies (id),
            grade INTEGER NOT NULL CHECK (grade IN (0, 1, 2)),
            actor TEXT NOT NULL,
            created_at TEXT NOT NULL,
            CHECK ((query_company IS NULL) <> (query_text IS NULL))
        );
        CREATE INDEX judgements_query ON judgements (query_company, query_text, target_country);
        """,
    ),
    (
        3,
        # Revocable sessions: a session cookie carries the generation it was issued
        # under; logout, a new password, disabling or removing the user bumps or ends
        # it, so every earlier cookie of that user stops working at once. The lockout
        # columns go: failed logins back off in the web app's rate-limit storage
        # instead (a stored lock let anyone lock out any account).
        """
        ALTER TABLE users ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE users ADD COLUMN disabled_at TEXT;
        ALTER TABLE users DROP COLUMN failed_logins;
        ALTER TABLE users DROP COLUMN locked_until;
        """,
    ),
    (
        5,
        # Web report jobs, so a restart neither loses them nor leaves them "running" forever.
        # `request` is what it takes to run the job again (spec, previous report's pairs);
        # `runner` names the server process that owns it; `starts` counts runs begun.
        """
        CREATE TABLE report_jobs (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            format TEXT NOT NULL,
            request TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN
                ('queued', 'preparing', 'ranking', 'writing', 'done', 'failed', 'expired')),
            done INTEGER NOT NULL DEFAULT 0,
            total INTEGER NOT NULL DEFAULT 0,
            message TEXT NOT NULL DEFAULT '',
            path TEXT,
            filename TEXT NOT NULL DEFAULT '',
            runner TEXT,
            starts INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            finished_at TEXT
        );
        CREATE INDEX report_jobs_owner ON report_jobs (owner, created_at);
        CREATE INDEX report_jobs_state ON report_jobs (state, finished_at);
        """,
    ),
    (
        6,
        """
        ALTER TABLE companies ADD COLUMN roles TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE companies ADD COLUMN partner_roles TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE companies ADD COLUMN markets TEXT NOT NULL DEFAULT '[]';
        """,
    ),
    (
        7,
        # The detected language of description, offers and seeks ({"description": "ko"}),
        # written with the text by _write; rows stored before are filled by migrate().
        """
        ALTER TABLE companies ADD COLUMN languages TEXT NOT NULL DEFAULT '{}';
        """,
    ),
    (
        8,
        # Merged duplicates. The merged profile stays (soft-deleted) and its id redirects to
        # the kept one while the merge stands; `kept_before` and the moved judgement ids are
        # what an undo puts back; `kept_version` is the kept profile's version right after
        # the merge, so an undo never reverts a later edit.
        """
        CREATE TABLE merges (
            id INTEGER PRIMARY KEY,
            kept_id TEXT NOT NULL REFERENCES companies (id),
            merged_id TEXT NOT NULL REFERENCES companies (id),
            actor TEXT NOT NULL,
            at TEXT NOT NULL,
            kept_before TEXT NOT NULL,
            kept_version INTEGER NOT NULL,
            judgements TEXT NOT NULL DEFAULT '[]',
            undone_at TEXT,
            undone_by TEXT
        );
        CREATE UNIQUE INDEX merges_standing ON merges (merged_id) WHERE undone_at IS NULL;
        CREATE INDEX merges_kept ON merges (kept_id);
        """,
    ),
    (
        9,
        # Trade missions (matchmaker.mission_store): settings, participants with their
        # availability and cap, must/never-meet wishes (lv, kr), every version of the
        # meeting plan (the plan's history), and an audit log of the other changes.
        """
        CREATE TABLE missions (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            settings TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE mission_participants (
            mission_id INTEGER NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
            company_id TEXT NOT NULL REFERENCES companies (id),
            cap INTEGER,
            unavailable TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (mission_id, company_id)
        );
        CREATE TABLE mission_wishes (
            mission_id INTEGER NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
            lv TEXT NOT NULL REFERENCES companies (id),
            kr TEXT NOT NULL REFERENCES companies (id),
            kind TEXT NOT NULL CHECK (kind IN ('must', 'never')),
            PRIMARY KEY (mission_id, lv, kr)
        );
        CREATE TABLE mission_plans (
            mission_id INTEGER NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL,
            meetings TEXT NOT NULL,
            stats TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (mission_id, version)
        );
        CREATE TABLE mission_log (
            id INTEGER PRIMARY KEY,
            mission_id INTEGER NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            at TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX mission_log_mission ON mission_log (mission_id, id);
        """,
    ),
    (
        10,
        # The paginated staff list (store.staff_page) at 100k profiles: each sort walks
        # an index in order and stops after one page. `audit.reverts` names the entry a
        # revert undid, so the history can say "reverts #12".
        """
        CREATE INDEX companies_staff_name ON companies (deleted_at, name COLLATE NOCASE, id);
        CREATE INDEX companies_staff_updated ON companies (deleted_at, updated_at, id);
        CREATE INDEX companies_staff_country ON companies
            (deleted_at, country, name COLLATE NOCASE, id);
        ALTER TABLE audit ADD COLUMN reverts INTEGER;
        CREATE VIRTUAL TABLE company_names USING fts5(
            id UNINDEXED, folded, tokenize = 'trigram'
        );
        """,
    ),
    (
        11,
        # The staff list at 100k profiles with every filter (docs/benchmarks.md "Staff list"):
        # - `search_key` (id, names and city folded, see search_key()) replaces the trigram
        #   index of migration 10, whose matches could only be joined back by reading every
        #   one; a LIKE over an index that holds the key reads that index alone.
        # - The three sort indexes of migration 10 are rebuilt to hold every column a
        #   filter tests, so walking one to fill a page, or counting matches, never reads
        #   a row that does not match (rows are ~1 KB; an index entry ~100 bytes).
        # - `company_tags`: one row per sector and role of a profile, with the status columns
        #   a count filters on, kept by triggers whatever writes the companies table (a
        #   LIKE over each row's JSON list read every row). Duplicates in a list are folded
        #   (UNION); a list is rewritten whole when any of its columns changes.
        """
        ALTER TABLE companies ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
        DROP INDEX companies_staff_name;
        DROP INDEX companies_staff_updated;
        DROP INDEX companies_staff_country;
        CREATE INDEX companies_staff_name ON companies
            (deleted_at, name COLLATE NOCASE, id, country, verified, search_key);
        CREATE INDEX companies_staff_updated ON companies
            (deleted_at, updated_at, id, country, verified, search_key);
        CREATE INDEX companies_staff_country ON companies
            (deleted_at, country, name COLLATE NOCASE, id, verified, search_key);
        DROP TABLE company_names;
        CREATE TABLE company_tags (
            field TEXT NOT NULL,
            value TEXT NOT NULL,
            company_id TEXT NOT NULL,
            live INTEGER NOT NULL,
            verified INTEGER NOT NULL,
            country TEXT NOT NULL,
            PRIMARY KEY (field, value, company_id)
        ) WITHOUT ROWID;
        CREATE INDEX company_tags_count ON company_tags (field, value, live, verified, country);
        CREATE INDEX company_tags_company ON company_tags (company_id);
        INSERT INTO company_tags (field, value, company_id, live, verified, country)
            SELECT 'sectors', j.value, c.id, c.deleted_at IS NULL, c.verified, c.country
            FROM companies c, json_each(c.sectors) j
            UNION
            SELECT 'roles', j.value, c.id, c.deleted_at IS NULL, c.verified, c.country
            FROM companies c, json_each(c.roles) j;
        CREATE TRIGGER company_tags_insert AFTER INSERT ON companies BEGIN
            INSERT INTO company_tags (field, value, company_id, live, verified, country)
                SELECT 'sectors', value, NEW.id, NEW.deleted_at IS NULL, NEW.verified, NEW.country
                FROM json_each(NEW.sectors)
                UNION
                SELECT 'roles', value, NEW.id, NEW.deleted_at IS NULL, NEW.verified, NEW.country
                FROM json_each(NEW.roles);
        END;
        CREATE TRIGGER company_tags_update
            AFTER UPDATE OF sectors, roles, deleted_at, verified, country ON companies BEGIN
            DELETE FROM company_tags WHERE company_id = OLD.id;
            INSERT INTO company_tags (field, value, company_id, live, verified, country)
                SELECT 'sectors', value, NEW.id, NEW.deleted_at IS NULL, NEW.verified, NEW.country
                FROM json_each(NEW.sectors)
                UNION
                SELECT 'roles', value, NEW.id, NEW.deleted_at IS NULL, NEW.verified, NEW.country
                FROM json_each(NEW.roles);
        END;
        CREATE TRIGGER company_tags_delete AFTER DELETE ON companies BEGIN
            DELETE FROM company_tags WHERE company_id = OLD.id;
        END;
        """,
    ),
]

#: Python steps that complete a migration (filling what SQL alone cannot compute).
#: (Migration 10's step filled the trigram index that migration 11 drops, so it is gone.)
MIGRATION_STEPS: dict[int, str] = {7: "_detect_languages_of_stored_rows", 11: "_fill_search_keys"}

#: Orders of the staff list: key -> ORDER BY clause (each backed by a migration-11 index).
STAFF_SORTS: dict[str, str] = {
    "name": "name COLLATE NOCASE ASC, id ASC",
    "-name": "name COLLATE NOCASE DESC, id DESC",
    "country": "country ASC, name COLLATE NOCASE ASC, id ASC",
    "-country": "country DESC, name COLLATE NOCASE DESC, id DESC",
    "updated": "updated_at ASC, id ASC",
    "-updated": "updated_at DESC, id DESC",
}
#: The index each sort walks: a page reads its rows in order and stops when it is full.
STAFF_SORT_INDEXES: dict[str, str] = {
    "name": "companies_staff_name",
    "-name": "companies_staff_name",
    "country": "companies_staff_country",
    "-country": "companies_staff_country",
    "updated": "companies_staff_updated",
    "-updated": "companies_staff_updated",
}
#: Matches are counted up to this many; beyond it the list says "more than 10,000"
#: (counting every one of 100k matches cost more than the rest of the page).
STAFF_COUNT_CAP = 10_000
#: A text search counts only this many ("more than 1,000"): its matches are found by
#: reading every search key, which for a common word cost more than the page itself.
STAFF_TEXT_COUNT_CAP = 1_000
#: Up to this many matches, their ids are read first and only those rows are sorted;
#: with more, the sort's index is walked until a page is full (a walk would read every
#: row before finding a rare match, a sort of many would read all of them).
STAFF_FEW_MATCHES = 1_000
#: Audit actions whose field changes can be reverted (they carry before and after values).
REVERTIBLE_ACTIONS = ("edit", "import", "verify", "unverify", "revert")


@dataclass(frozen=True)
class StaffFilter:
    """Which profiles the staff list shows; every part is optional.

    ``text`` matches the id, name, local name and city (case-insensitively for Latin
    letters); ``only_ids`` restricts to a given set (the hook for "has duplicates").
    """

    text: str = ""
    country: str | None = None
    sector: str | None = None
    role: str | None = None
    verified: bool | None = None
    changed_since: str | None = None
    deleted: bool = False
    only_ids: frozenset[str] | None = None


@dataclass
class StaffPage:
    """One page of the staff list: its rows (plain dicts, no vectors) and the match count.

    ``capped``: there are more than ``total`` matches (``STAFF_COUNT_CAP``), so
    ``pages`` is a lower bound and the list says "more than".
    """

    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    capped: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

#: Report job states in which a job still has work to do.
REPORT_JOB_ACTIVE = ("queued", "preparing", "ranking", "writing")
#: Columns of a report job that its runner may change.
_REPORT_JOB_UPDATABLE = frozenset(
    {"state", "done", "total", "message", "path", "filename", "runner", "starts", "finished_at"}
)


def synchronous_level(value: str | None = None) -> str:
    """The durability setting (MATCHMAKER_SYNCHRONOUS), checked; FULL unless told otherwise."""
    level = str(value or config.get("synchronous") or "FULL").strip().upper()
    if level not in SYNCHRONOUS_LEVELS:
        raise StoreError(
            f"MATCHMAKER_SYNCHRONOUS must be one of {', '.join(SYNCHRONOUS_LEVELS)}, not '{value}'"
        )
    return level


def connect(
    path: str | Path, synchronous: str | None = None, readonly: bool = False
) -> sqlite3.Connection:
    """Open a connection with the pragmas every connection needs.

    A read-only connection never writes, not even the journal mode, so a copy on
    read-only media can be read. If SQLite cannot even create the WAL index next
    to the file (a read-only folder), the file is opened as immutable.
    """
    level = synchronous_level(synchronous)
    if readonly:
        conn = _connect_readonly(Path(path))
    else:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {level}")
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def _connect_readonly(path: Path) -> sqlite3.Connection:
    uri = path.resolve().as_uri()
    for options in ("?mode=ro", "?mode=ro&immutable=1"):
        conn = sqlite3.connect(
            uri + options, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
        )
        try:
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError as exc:
            conn.close()
            if "unable to open" not in str(exc) or "immutable" in options:
                raise
    raise AssertionError("unreachable")


def explain(exc: sqlite3.Error, path: str | Path, writing: bool = True) -> StoreError | None:
    """A one-line message naming the file and what to do, for errors of the file itself."""
    text = str(exc).lower()
    kept = "; nothing was written" if writing else ""
    if "full" in text:
        return DatabaseFileError(
            f"cannot write to {path}: the disk is full ({exc}){kept}. "
            "Free some space and try again"
        )
    if "disk i/o" in text:
        return DatabaseFileError(
            f"cannot use {path}: {exc} (is the disk full or failing?){kept}. Free some space "
            "or check the disk, and try again"
        )
    if "not a database" in text:
        return DatabaseFileError(
            f"cannot open the database at {path}: it is not a SQLite database ({exc}){kept}. "
            f"Check the path, or restore a backup with 'matchmaker restore BACKUP --db {path}'"
        )
    if "malformed" in text or "corrupt" in text:
        return DatabaseFileError(
            f"the database {path} is damaged ({exc}){kept}. Restore a backup with "
            f"'matchmaker restore BACKUP --db {path}'"
        )
    if "readonly" in text or "read-only" in text:
        return DatabaseFileError(
            f"the database {path} is read-only ({exc}){kept}. Copy it somewhere writable, "
            "or use a read command (export, stats, match, query, similar)"
        )
    return None


class Store:
    """The matchmaker database. Open with :meth:`open`; call :meth:`close` when done."""

    def __init__(self, db: sqlite_utils.Database, path: str, readonly: bool = False):
        self.db = db
        self.path = path
        self.readonly = readonly
        # Vectors a read-only store could not save: (model_id, field) -> company id -> row.
        self._unsaved_vectors: dict[tuple[str, str], dict[str, VectorRow]] = {}

    @classmethod
    def open(
        cls,
        path: str | Path,
        create: bool = False,
        readonly: bool = False,
        check: bool = False,
        synchronous: str | None = None,
        migrate: bool = True,
    ) -> Store:
        """Open (and migrate) the database; refuse a missing file unless create=True.

        ``readonly`` opens without writing anything (read commands, read-only
        copies); ``check`` runs ``PRAGMA quick_check`` first, so a damaged file
        is refused before a write lands in it. ``migrate=False`` is for a process
        that migrated this file when it started (the web app, on every request).
        """
        path = Path(path)
        if str(path) != ":memory:":
            _refuse_missing_or_empty(path, create and not readonly)
        try:
            conn = connect(path, synchronous=synchronous, readonly=readonly)
            store = cls(sqlite_utils.Database(conn), str(path), readonly=readonly)
        except sqlite3.DatabaseError as exc:  # not a database, corrupt, locked, unreadable
            raise explain(exc, path) or StoreError(
                f"cannot open the database at {path}: {exc}"
            ) from None
        try:
            if check:
                store.quick_check()
            if readonly:
                store._refuse_pending_migrations()
            elif migrate:
                store.migrate()
        except sqlite3.DatabaseError as exc:
            store.close()
            raise explain(exc, path) or StoreError(
                f"cannot open the database at {path}: {exc}"
            ) from None
        except StoreError:
            store.close()
            raise
        return store

    def quick_check(self) -> None:
        """Refuse a damaged file (PRAGMA quick_check) before anything is written to it."""
        problems = [row[0] for row in self.db.execute("PRAGMA quick_check(3)").fetchall()]
        if problems != ["ok"]:
            raise DatabaseFileError(
                f"the database {self.path} is damaged ({'; '.join(problems)[:300]}); nothing "
                f"was written. Restore a backup with 'matchmaker restore BACKUP --db {self.path}'"
            )

    def backup_to(self, path: str | Path) -> dict[str, int]:
        """Copy the whole database to ``path`` with SQLite's online backup API.

        Consistent while other connections write (it reads one snapshot), written
        to a temporary name and renamed, then checked like a restore would check
        it. Everything is kept: audit, users, grades, deleted profiles, versions.
        """
        path = Path(path)
        if path.exists() and path.resolve() == Path(self.path).resolve():
            raise StoreError(f"{path} is the live database itself; give another file")
        if path.is_dir():
            raise StoreError(f"{path} is a folder; give a file name")
        if not path.parent.is_dir():
            raise StoreError(f"folder '{path.parent}' does not exist")
        try:
            return _backup_into(self.db.conn, path)
        except DatabaseFileError as exc:  # the copy failed its check: the database is damaged
            raise DatabaseFileError(
                f"cannot back up {self.path}: the copy fails its check ({exc}), so the database "
                "itself is damaged; nothing was written. Restore an earlier backup"
            ) from None
        except sqlite3.DatabaseError as exc:
            raise explain(exc, self.path, writing=False) or StoreError(
                f"cannot back up {self.path}: {exc}"
            ) from None

    def _refuse_pending_migrations(self) -> None:
        if not self.db["migrations"].exists():
            raise DatabaseFileError(f"{self.path} is not a matchmaker database (no migrations)")
        done = {row[0] for row in self.db.execute("SELECT version FROM migrations").fetchall()}
        if any(version not in done for version, _ in MIGRATIONS):
            raise DatabaseFileError(
                f"{self.path} needs upgrading, which a read-only opening cannot do; open it "
                "once with a writing command (e.g. 'matchmaker embed') where it is writable"
            )

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema ---------------------------------------------------------------

    def migrate(self) -> list[int]:
        """Apply pending migrations, each in its own transaction; safe to call on every start."""
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, applied_at TEXT)"
        )
        done = {row[0] for row in self.db.execute("SELECT version FROM migrations").fetchall()}
        applied = []
        for version, step in MIGRATIONS:
            if version in done:
                continue
            with self._immediate():
                if self.db.execute(
                    "SELECT 1 FROM migrations WHERE version = ?", [version]
                ).fetchone():
                    continue  # another process migrated meanwhile
                _apply_step(self.db.conn, step)
                if version in MIGRATION_STEPS:
                    getattr(self, MIGRATION_STEPS[version])()
                self.db.execute("INSERT INTO migrations VALUES (?, ?)", [version, now()])
            applied.append(version)
        return applied

    def _detect_languages_of_stored_rows(self) -> None:
        """Fill companies.languages for rows written before the column existed.

        Runs inside the migration's transaction, so the column and its values
        appear together; the text is not changed, so no version or audit entry.
        """
        rows = self.db.execute("SELECT id, description, offers, seeks FROM companies").fetchall()
        for company_id, description, offers, seeks in rows:
            fields = {"description": description, "offers": offers, "seeks": seeks}
            self.db.execute(
                "UPDATE companies SET languages = ? WHERE id = ?",
                [json.dumps(field_languages(fields)), company_id],
            )

    @contextmanager
    def _immediate(self) -> Iterator[None]:
        """A write transaction that takes the write lock up front.

        A full disk, a damaged or read-only file rolls the whole transaction back
        and becomes a :class:`DatabaseFileError` naming the file and what to do.
        """
        conn = self.db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise explain(exc, self.path) or exc from None
            raise BusyError(
                f"the database is busy with another write ({exc}); try again in a moment"
            ) from None
        try:
            yield
            conn.commit()
        except sqlite3.DatabaseError as exc:
            self._rollback()
            raise explain(exc, self.path) or exc from None
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        # SQLite may have rolled back already (e.g. after SQLITE_FULL); nothing was kept
        with suppress(sqlite3.Error):
            self.db.conn.rollback()

    def _bump_revision(self) -> None:
        self.db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision'")

    def revision(self) -> int:
        """Increases on every write to companies: a cheap 'has anything changed?' check."""
        return int(self.db.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()[0])

    # -- companies ------------------------------------------------------------

    def get(self, company_id: str, include_deleted: bool = False) -> Profile:
        """The profile; a merged id raises MergedError, an unknown one suggests near names."""
        row = self._row(company_id)
        if row is None or (row["deleted_at"] and not include_deleted):
            kept = self.merged_into(company_id)
            if kept:
                raise MergedError(company_id, kept)
            raise self.not_found(company_id)
        return _profile_from_row(row)

    def not_found(self, text: str) -> UnknownCompany:
        """'no company with id ...', with "did you mean" live companies of a similar name."""
        rows = self.db.execute(
            "SELECT id, name, name_local FROM companies WHERE deleted_at IS NULL"
        ).fetchall()
        ids = names.suggest(text, rows)
        label = {r[0]: r[1] for r in rows}
        suggestions = [(i, label[i]) for i in ids]
        message = f"no company with id '{text}'"
        if suggestions:
            message += "; did you mean " + " or ".join(f"{n} ({i})" for i, n in suggestions) + "?"
        return UnknownCompany(text, suggestions, message)

    # -- merges ---------------------------------------------------------------

    def merged_into(self, company_id: str) -> str | None:
        """The live id a merged id now stands for (following merges of merges), else None."""
        current, seen = company_id, set()
        while current not in seen:
            seen.add(current)
            row = self.db.execute(
                "SELECT kept_id FROM merges WHERE merged_id = ? AND undone_at IS NULL",
                [current],
            ).fetchone()
            if row is None:
                return None if current == company_id else current
            current = row[0]
        return None  # a cycle cannot be built by merge(); refuse to loop on a damaged table

    def merge(
        self,
        kept: Profile,
        merged_id: str,
        actor: str,
        expected_versions: tuple[int, int] | None = None,
    ) -> int:
        """Merge ``merged_id`` into ``kept`` (its chosen fields), in one transaction.

        The kept profile is saved with the chosen values (audited as "merge"), the
        merged one is soft-deleted and its id redirects to the kept one, and staff
        judgements naming it move to the kept id. Returns the merge id for undo.
        ``expected_versions`` (kept, merged) refuses a merge of stale previews.
        """
        if kept.id == merged_id:
            raise ConflictError("a profile cannot be merged into itself")
        with self._immediate():
            kept_row, merged_row = self._row(kept.id), self._row(merged_id)
            for company_id, row in ((kept.id, kept_row), (merged_id, merged_row)):
                if row is None or row["deleted_at"]:
                    raise NotFoundError(f"no company with id '{company_id}'")
            if expected_versions is not None:
                for row, expected in zip((kept_row, merged_row), expected_versions, strict=True):
                    if row["version"] != expected:
                        raise StaleEditError(row["id"], expected, row["version"])
            before = _profile_from_row(kept_row).content()
            if self._write(kept, actor, action="merge") == "unchanged":
                self._audit(kept.id, actor, "merge", [], None, {"merged": merged_id})
            self._set_deleted_row(merged_id, True, actor, "merge", {"merged_into": kept.id})
            moved = self._move_judgements(merged_id, kept.id)
            version = self._row(kept.id)["version"]
            merge_id = self.db["merges"].insert(
                {
                    "kept_id": kept.id,
                    "merged_id": merged_id,
                    "actor": actor,
                    "at": now(),
                    "kept_before": json.dumps(before, ensure_ascii=False),
                    "kept_version": version,
                    "judgements": json.dumps(moved),
                }
            ).last_pk
            self._bump_revision()
        return int(merge_id)

    def undo_merge(self, merge_id: int, actor: str) -> dict[str, Any]:
        """Put both profiles and the judgements back as they were; audited as "unmerge"."""
        with self._immediate():
            merge = self._merge_row(merge_id)
            if merge["undone_at"]:
                raise ConflictError(f"merge {merge_id} was already undone")
            kept_row = self._row(merge["kept_id"])
            if kept_row["version"] != merge["kept_version"]:
                raise StaleEditError(merge["kept_id"], merge["kept_version"], kept_row["version"])
            before = json.loads(merge["kept_before"])
            self._write(
                _profile_from_row(_row_from_content(before) | _meta(kept_row)), actor, "unmerge"
            )
            self._set_deleted_row(
                merge["merged_id"], False, actor, "unmerge", {"split_from": merge["kept_id"]}
            )
            for judgement_id, column in json.loads(merge["judgements"]):
                self.db.execute(
                    f"UPDATE judgements SET {_JUDGEMENT_COLUMNS[column]} = ? WHERE id = ?",
                    [merge["merged_id"], judgement_id],
                )
            self.db.execute(
                "UPDATE merges SET undone_at = ?, undone_by = ? WHERE id = ?",
                [now(), actor, merge_id],
            )
            self._bump_revision()
        return self._merge_row(merge_id)

    def merges(self, limit: int = 100) -> list[dict[str, Any]]:
        """Merges, newest first (undone ones included, with who undid them)."""
        return list(self.db.query("SELECT * FROM merges ORDER BY id DESC LIMIT ?", [limit]))

    def _merge_row(self, merge_id: int) -> dict[str, Any]:
        rows = list(self.db.query("SELECT * FROM merges WHERE id = ?", [merge_id]))
        if not rows:
            raise NotFoundError(f"no merge with id {merge_id}")
        return rows[0]

    def _set_deleted_row(
        self, company_id: str, deleted: bool, actor: str, action: str, note: dict[str, Any]
    ) -> None:
        stamp = now()
        self.db.execute(
            "UPDATE companies SET deleted_at = ?, version = version + 1, updated_at = ? "
            "WHERE id = ?",
            [stamp if deleted else None, stamp, company_id],
        )
        self._audit(company_id, actor, action, [], None, note)

    def _move_judgements(self, old_id: str, new_id: str) -> list[tuple[int, str]]:
        """Point judgements at the kept id; return (judgement id, column) to move back."""
        moved = []
        for column, sql_column in _JUDGEMENT_COLUMNS.items():
            ids = [
                r[0]
                for r in self.db.execute(
                    f"SELECT id FROM judgements WHERE {sql_column} = ?", [old_id]
                )
            ]
            self.db.execute(
                f"UPDATE judgements SET {sql_column} = ? WHERE {sql_column} = ?", [new_id, old_id]
            )
            moved.extend((i, column) for i in ids)
        return moved

    def exists(self, company_id: str) -> bool:
        return self._row(company_id) is not None

    def is_deleted(self, company_id: str) -> bool:
        row = self._row(company_id)
        return bool(row and row["deleted_at"])

    def list(
        self, country: str | None = None, include_deleted: bool = False, deleted_only: bool = False
    ) -> list[Profile]:
        where, params = [], []
        if country:
            where.append("country = ?")
            params.append(country)
        if deleted_only:
            where.append("deleted_at IS NOT NULL")
        elif not include_deleted:
            where.append("deleted_at IS NULL")
        sql = "SELECT * FROM companies"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id"
        return [_profile_from_row(r) for r in self.db.query(sql, params)]

    # -- the staff list ---------------------------------------------------------

    def staff_page(
        self, where: StaffFilter, sort: str = "name", page: int = 1, per_page: int = 50
    ) -> StaffPage:
        """One page of the profiles ``where`` selects, in ``sort`` order, and their count.

        Only the columns the list shows are read, the count reads indexes only and
        stops at ``STAFF_COUNT_CAP``, and the page either sorts a few matches or walks
        the sort's index, so a page costs about the same at 100k profiles as at 100
        (docs/benchmarks.md). A page past the end gives the last page.
        """
        few = self._staff_ids(where, STAFF_FEW_MATCHES + 1)
        cap = STAFF_TEXT_COUNT_CAP if search_key(where.text) else STAFF_COUNT_CAP
        if len(few) <= STAFF_FEW_MATCHES:
            total, capped = len(few), False
        elif cap <= STAFF_FEW_MATCHES:
            total, capped = cap, True  # the ids just read already say "more than"
        else:
            total, capped = self._staff_count(where, cap)
        if len(few) > STAFF_FEW_MATCHES:
            few = None
            if capped and page * per_page > total:  # past the capped count: count them all
                total, capped = self._staff_count(where, None)
        pages = max(1, -(-total // per_page))
        page = max(1, page if capped else min(page, pages))
        offset = (page - 1) * per_page
        if few is not None:
            rows = self._staff_rows_of(few, sort, offset, per_page)
        else:
            rows = self._staff_rows_walked(where, sort, offset, per_page, None if capped else total)
        return StaffPage(rows, total, page, per_page, capped)

    def staff_count(self, where: StaffFilter) -> int:
        """How many profiles ``where`` selects, all counted (the export page says it)."""
        return self._staff_count(where, None)[0]

    def _staff_ids(self, where: StaffFilter, limit: int) -> list[str]:
        sql, params = _staff_matches(where)
        return [row[0] for row in self.db.execute(f"{sql} LIMIT ?", [*params, limit])]

    def _staff_count(self, where: StaffFilter, cap: int | None) -> tuple[int, bool]:
        """The number of matches, or ``cap`` and True when there are more than ``cap``."""
        sql, params = _staff_matches(where)
        limit = -1 if cap is None else cap + 1
        count = self.db.execute(f"SELECT COUNT(*) FROM ({sql} LIMIT ?)", [*params, limit])
        count = count.fetchone()[0]
        return (cap, True) if cap is not None and count > cap else (count, False)

    def _staff_rows_of(
        self, ids: list[str], sort: str, offset: int, limit: int
    ) -> list[dict[str, Any]]:
        """One page of the given profiles: each read by id, then sorted (few of them)."""
        sql = (
            f"SELECT {_STAFF_COLUMNS} FROM (SELECT value AS wanted FROM json_each(?)) "
            f"CROSS JOIN companies ON companies.id = wanted "
            f"ORDER BY {STAFF_SORTS[sort]} LIMIT ? OFFSET ?"
        )
        return list(self.db.query(sql, [json.dumps(ids), limit, offset]))

    def _staff_rows_walked(
        self, where: StaffFilter, sort: str, offset: int, limit: int, total: int | None
    ) -> list[dict[str, Any]]:
        """One page read along the sort's index, skipping ``offset`` matches.

        With a known ``total``, a page in the back half is read from the other end
        of the index (the last page of 100k skips 50 rows, not 99,950).
        """
        clause, params = _staff_where(where)
        order, reverse = STAFF_SORTS[sort], False
        if total is not None and offset > total // 2:
            order, reverse = _reversed_order(order), True
            limit = max(0, min(limit, total - offset))
            offset = max(0, total - offset - limit)
        sql = (
            f"SELECT {_STAFF_COLUMNS} FROM companies INDEXED BY {STAFF_SORT_INDEXES[sort]} "
            f"WHERE {clause} ORDER BY {order} LIMIT ? OFFSET ?"
        )
        rows = list(self.db.query(sql, [*params, limit, offset]))
        return rows[::-1] if reverse else rows

    def staff_profiles(self, where: StaffFilter, sort: str = "name") -> list[Profile]:
        """Every profile ``where`` selects, whole, in ``sort`` order (for exports)."""
        clause, params = _staff_where(where)
        sql = f"SELECT * FROM companies WHERE {clause} ORDER BY {STAFF_SORTS[sort]}"
        return [_profile_from_row(r) for r in self.db.query(sql, params)]

    def sectors_in_use(self) -> list[str]:
        """Every sector some live profile names, for the staff list's sector filter."""
        sql = (
            "SELECT DISTINCT value FROM company_tags WHERE field = 'sectors' AND live = 1 "
            "ORDER BY value COLLATE NOCASE"
        )
        return [row[0] for row in self.db.execute(sql)]

    def upsert_many(
        self,
        profiles: Iterable[Profile],
        actor: str,
        exported: Mapping[str, Any] | None = None,
        overwrite: bool = False,
    ) -> UpsertSummary:
        """Insert or update profiles by id, all in one transaction, with an audit entry each.

        An unchanged profile is left alone (no new version, no audit entry), so
        re-importing the same file is a no-op. A soft-deleted profile that is
        imported again is restored. ``exported`` (id -> state with ``version`` and
        ``updated_at`` at export) makes a file that would revert later edits raise
        :class:`ImportConflictError` with nothing written, unless ``overwrite``.
        """
        profiles = list(profiles)
        summary = UpsertSummary()
        with self._immediate():
            if exported and not overwrite:
                conflicts = self.find_conflicts(profiles, exported)
                if conflicts:
                    raise ImportConflictError(conflicts)
            for profile in profiles:
                profile = self._keep_curated(profile)
                outcome = self._write(profile, actor, action="import")
                if outcome == "created":
                    summary.created += 1
                elif outcome == "updated":
                    summary.updated += 1
                else:
                    summary.unchanged += 1
                    continue
                summary.changed_ids.append(profile.id)
            if summary.changed_ids:
                self._bump_revision()
        return summary

    def _keep_curated(self, profile: Profile) -> Profile:
        """An imported row that leaves roles, partner roles or markets empty keeps stored ones.

        Staff curate these fields on the company form; an export from another tool
        (or an older file) that lacks them must not wipe that work. Clearing them
        is an edit, not an import.
        """
        row = self._row(profile.id)
        if row is None:
            return profile
        kept = {
            name: json.loads(row[name])
            for name in VOCABULARY_FIELDS
            if not getattr(profile, name) and row[name] != "[]"
        }
        return replace(profile, **kept) if kept else profile

    def find_conflicts(
        self, profiles: Iterable[Profile], exported: Mapping[str, Any]
    ) -> list[ImportConflict]:
        """Rows of an exported file whose stored profile was edited (or deleted) since.

        A row conflicts when the stored version differs from the file's (or, for
        files without versions, the stored ``updated_at`` is later) *and* importing
        it would change something: re-importing an identical row is harmless.
        """
        conflicts = []
        for profile in profiles:
            state = exported.get(profile.id)
            row = self._row(profile.id) if state is not None else None
            if row is None:
                continue
            if state.version is not None:
                moved = row["version"] != state.version
            else:
                moved = bool(state.updated_at) and row["updated_at"] > state.updated_at
            would_change = row["deleted_at"] or _profile_from_row(row).content() != (
                profile.content()
            )
            if moved and would_change:
                conflicts.append(
                    ImportConflict(
                        profile.id,
                        state.version,
                        state.updated_at,
                        row["version"],
                        row["updated_at"],
                    )
                )
        return conflicts

    def save(self, profile: Profile, actor: str, expected_version: int | None = None) -> Profile:
        """Create or edit one profile; refuse it if the stored version moved on."""
        with self._immediate():
            row = self._row(profile.id)
            if expected_version is not None:
                actual = row["version"] if row else 0
                if actual != expected_version:
                    raise StaleEditError(profile.id, expected_version, actual)
            if self._write(profile, actor, action="edit") != "unchanged":
                self._bump_revision()
        return self.get(profile.id)

    def create(self, profile: Profile, actor: str) -> Profile:
        """Add a new profile; refuse an id that is already taken."""
        with self._immediate():
            if self._row(profile.id) is not None:
                raise ConflictError(f"a company with id '{profile.id}' already exists")
            self._write(profile, actor, action="create")
            self._bump_revision()
        return self.get(profile.id)

    def set_deleted(
        self, company_id: str, deleted: bool, actor: str, expected_version: int | None = None
    ) -> Profile:
        """Soft-delete (deleted=True) or restore a profile; the row and its history stay."""
        with self._immediate():
            row = self._row(company_id)
            if row is None:
                raise UnknownCompany(company_id)
            if expected_version is not None and row["version"] != expected_version:
                raise StaleEditError(company_id, expected_version, row["version"])
            if bool(row["deleted_at"]) != deleted:
                stamp = now()
                self.db.execute(
                    "UPDATE companies SET deleted_at = ?, version = version + 1, updated_at = ? "
                    "WHERE id = ?",
                    [stamp if deleted else None, stamp, company_id],
                )
                self._audit(company_id, actor, "delete" if deleted else "restore", [], None, None)
                self._bump_revision()
        return self.get(company_id, include_deleted=True)

    def set_verified(
        self,
        company_ids: Iterable[str],
        verified: bool,
        actor: str,
        expected_version: int | None = None,
    ) -> int:
        """Mark profiles verified or not, in one transaction; return how many changed.

        Verification is its own audit event ("verify" or "unverify", with who and
        when), not an "edit". ``expected_version`` (one profile only) refuses a stale
        click; a bulk action skips profiles already in the asked state.
        """
        company_ids = list(company_ids)
        changed = 0
        with self._immediate():
            for company_id in company_ids:
                row = self._row(company_id)
                if row is None or row["deleted_at"]:
                    raise NotFoundError(f"no company with id '{company_id}'")
                if expected_version is not None and row["version"] != expected_version:
                    raise StaleEditError(company_id, expected_version, row["version"])
                if bool(row["verified"]) == verified:
                    continue
                self.db.execute(
                    "UPDATE companies SET verified = ?, version = version + 1, updated_at = ? "
                    "WHERE id = ?",
                    [int(verified), now(), company_id],
                )
                action = "verify" if verified else "unverify"
                before, after = {"verified": not verified}, {"verified": verified}
                self._audit(company_id, actor, action, ["verified"], before, after)
                changed += 1
            if changed:
                self._bump_revision()
        return changed

    def delete_many(self, company_ids: Iterable[str], actor: str) -> int:
        """Soft-delete profiles in one transaction (a "delete" audit entry each)."""
        company_ids = list(company_ids)
        deleted = 0
        with self._immediate():
            for company_id in company_ids:
                row = self._row(company_id)
                if row is None:
                    raise NotFoundError(f"no company with id '{company_id}'")
                if row["deleted_at"]:
                    continue
                stamp = now()
                self.db.execute(
                    "UPDATE companies SET deleted_at = ?, version = version + 1, updated_at = ? "
                    "WHERE id = ?",
                    [stamp, stamp, company_id],
                )
                self._audit(company_id, actor, "delete", [], None, None)
                deleted += 1
            if deleted:
                self._bump_revision()
        return deleted

    def record_export(self, company_ids: Iterable[str], actor: str, fmt: str) -> None:
        """An "export" audit entry per profile of a selection staff exported (who, when, format)."""
        with self._immediate():
            for company_id in company_ids:
                self._audit(company_id, actor, "export", [], None, {"format": fmt})

    def audit_entry(self, company_id: str, entry_id: int) -> dict[str, Any]:
        """One audit entry of one company (decoded like :meth:`history`)."""
        rows = list(
            self.db.query(
                "SELECT * FROM audit WHERE id = ? AND company_id = ?", [entry_id, company_id]
            )
        )
        if not rows:
            raise NotFoundError(f"no change #{entry_id} in the history of '{company_id}'")
        return _decoded_entry(rows[0])

    def revert(
        self,
        company_id: str,
        entry_id: int,
        actor: str,
        expected_version: int,
        fields: Iterable[str] | None = None,
        validate: Callable[[dict[str, Any]], Profile] | None = None,
    ) -> tuple[Profile, list[str]]:
        """Put back the values a past change replaced, as a new audited "revert" change.

        ``fields`` picks some of the entry's fields (default: all of them, the whole
        edit). The result is validated like any edit (``validate``, e.g.
        :func:`profiles.validate_profile`) and saved under ``BEGIN IMMEDIATE`` only if
        the profile is still at ``expected_version``. Returns the profile and the
        fields that changed (empty if they already held the old values).
        """
        with self._immediate():
            row = self._row(company_id)
            if row is None:
                raise NotFoundError(f"no company with id '{company_id}'")
            if row["version"] != expected_version:
                raise StaleEditError(company_id, expected_version, row["version"])
            entry = self.audit_entry(company_id, entry_id)
            if entry["action"] not in REVERTIBLE_ACTIONS or not entry["before"]:
                raise StoreError(
                    f"change #{entry_id} ({entry['action']}) has no values to put back"
                )
            wanted = list(entry["changed"]) if fields is None else list(fields)
            unknown = [name for name in wanted if name not in entry["before"]]
            if unknown or not wanted:
                raise StoreError(
                    f"change #{entry_id} did not change {', '.join(unknown) or 'any field'}"
                )
            content = _profile_from_row(row).content() | {
                name: entry["before"][name] for name in wanted
            }
            profile = validate(content) if validate else Profile(**content)
            before = _profile_from_row(row).content()
            changed = [name for name in INPUT_FIELDS if before[name] != profile.content()[name]]
            if changed:
                self._write(profile, actor, action="revert", reverts=entry_id)
                self._bump_revision()
        return self.get(company_id, include_deleted=True), changed

    def users(self) -> list[dict[str, Any]]:
        """Every staff account (never its password hash), for the users page."""
        return list(
            self.db.query(
                "SELECT username, created_at, disabled_at FROM users ORDER BY username"
            )
        )

    def _row(self, company_id: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM companies WHERE id = ?", [company_id]))
        return rows[0] if rows else None

    def _write(
        self, profile: Profile, actor: str, action: str, reverts: int | None = None
    ) -> str:
        """Write one profile inside the caller's transaction; return what happened."""
        row = self._row(profile.id)
        stamp = now()
        new = profile.content()
        if row is None:
            record = _row_from_content(new) | {
                "languages": json.dumps(field_languages(new)),
                "version": 1,
                "created_at": stamp,
                "updated_at": stamp,
                "deleted_at": None,
            }
            self.db["companies"].insert(record)
            self._audit(
                profile.id, actor, action if action != "edit" else "create", list(new), None, new
            )
            return "created"
        old = _profile_from_row(row).content()
        changed = [k for k in INPUT_FIELDS if old[k] != new[k]]
        if not changed and not row["deleted_at"]:
            return "unchanged"
        record = _row_from_content(new) | {
            "languages": json.dumps(field_languages(new)),
            "version": row["version"] + 1,
            "updated_at": stamp,
            "deleted_at": None,
        }
        self.db["companies"].update(profile.id, record)
        if changed:
            self._audit(
                profile.id,
                actor,
                action,
                changed,
                {k: old[k] for k in changed},
                {k: new[k] for k in changed},
                reverts=reverts,
            )
        if row["deleted_at"]:
            self._audit(profile.id, actor, "restore", [], None, None)
        return "updated"

    def _fill_search_keys(self) -> None:
        """Fill ``companies.search_key`` for profiles stored before migration 11.

        Runs inside the migration's transaction; only the key changes (no version,
        no audit entry), and the tag triggers do not fire (they watch other columns).
        """
        rows = self.db.execute("SELECT id, name, name_local, city FROM companies").fetchall()
        self.db.conn.executemany(
            "UPDATE companies SET search_key = ? WHERE id = ?",
            [(search_key(*row), row[0]) for row in rows],
        )

    # -- audit ----------------------------------------------------------------

    def _audit(
        self,
        company_id: str,
        actor: str,
        action: str,
        changed: list[str],
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        reverts: int | None = None,
    ) -> None:
        extra = {} if reverts is None else {"reverts": reverts}
        self.db["audit"].insert(
            extra
            | {
                "company_id": company_id,
                "actor": actor,
                "action": action,
                "at": now(),
                "changed": json.dumps(changed),
                "before": None if before is None else json.dumps(before, ensure_ascii=False),
                "after": None if after is None else json.dumps(after, ensure_ascii=False),
            }
        )

    def history(self, company_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Audit entries, newest first: who did what, when, with before and after values."""
        sql, params = "SELECT * FROM audit", []
        if company_id is not None:
            sql += " WHERE company_id = ?"
            params.append(company_id)
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(limit)
        return [_decoded_entry(row) for row in self.db.query(sql, params)]

    # -- staff judgements of matches --------------------------------------------

    def add_judgement(self, judgement: Judgement, actor: str) -> dict[str, Any]:
        """Record a staff grade and return it; the newest grade of a (query, candidate) counts."""
        with self._immediate():
            candidate = self._row(judgement.candidate_id)
            if candidate is None or candidate["deleted_at"]:
                raise UnknownCompany(judgement.candidate_id)
            if candidate["country"] != judgement.target_country:
                raise JudgementInputError(
                    f"{candidate['name']} is not in {judgement.target_country}"
                )
            if judgement.query_company:
                query = self._row(judgement.query_company)
                if query is None or query["deleted_at"]:
                    raise UnknownCompany(judgement.query_company)
            row = {
                "query_company": judgement.query_company,
                "query_text": judgement.query_text,
                "target_country": judgement.target_country,
                "candidate_id": judgement.candidate_id,
                "grade": judgement.grade,
                "actor": actor,
                "created_at": now(),
            }
            row["id"] = self.db["judgements"].insert(row).last_pk
        return row

    def current_judgements(
        self,
        query_company: str | None = None,
        query_text: str | None = None,
        target_country: str | None = None,
    ) -> list[dict[str, Any]]:
        """The newest grade of every (query, candidate) pair, optionally of one query only.

        Grades that involve a deleted company are left out: it can be neither
        searched for nor suggested (they come back if it is restored).
        """
        one_query, params = "", []
        if query_company is not None or query_text is not None:
            # inside the grouping, so a results page reads one query's rows by index
            one_query = " WHERE query_company IS ? AND query_text IS ? AND target_country = ?"
            params = [query_company, query_text, target_country]
        sql = (
            f"SELECT * FROM judgements WHERE id IN (SELECT MAX(id) FROM judgements{one_query} "
            "GROUP BY query_company, query_text, target_country, candidate_id) "
            "AND candidate_id IN (SELECT id FROM companies WHERE deleted_at IS NULL) "
            "AND (query_company IS NULL "
            "OR query_company IN (SELECT id FROM companies WHERE deleted_at IS NULL))"
        )
        return list(self.db.query(sql + " ORDER BY id", params))

    # -- vectors --------------------------------------------------------------

    def vector_hashes(self, model_id: str) -> dict[tuple[str, str], str]:
        """(company_id, field) -> hash of the text that was embedded, for staleness checks."""
        rows = self.db.execute(
            "SELECT company_id, field, text_hash FROM vectors WHERE model_id = ?", [model_id]
        ).fetchall()
        hashes = {(c, f): h for c, f, h in rows}
        for (model, field_name), unsaved in self._unsaved_vectors.items():
            if model == model_id:
                hashes.update({(cid, field_name): row.text_hash for cid, row in unsaved.items()})
        return hashes

    def save_vectors(self, model_id: str, rows: Iterable[VectorRow]) -> int:
        """Store embeddings (replacing older ones for the same field) in one transaction.

        A read-only store keeps them in memory for this process instead, so read
        commands work on a read-only copy even if some profiles were never embedded.
        """
        if self.readonly:
            return self._keep_unsaved(model_id, rows)
        count = 0
        with self._immediate():
            for row in rows:
                matrix = np.ascontiguousarray(row.vectors, dtype=np.float32)
                self.db.execute(
                    "INSERT OR REPLACE INTO vectors "
                    "(company_id, model_id, field, text_hash, rows, dim, data, texts) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        row.company_id,
                        model_id,
                        row.field,
                        row.text_hash,
                        matrix.shape[0],
                        matrix.shape[1],
                        matrix.tobytes(),
                        json.dumps(row.texts, ensure_ascii=False),
                    ],
                )
                count += 1
        return count

    def foreign_vector_models(self, model_id: str) -> dict[str, int]:
        """Other models' ids -> live companies embedded by them but not by ``model_id``.

        Non-empty after the running model changed: those companies' vectors are of
        another model, which are never mixed with this one's (see engine.check_vector_model).
        """
        if not self.db.execute(
            "SELECT 1 FROM vectors WHERE model_id != ? LIMIT 1", [model_id]
        ).fetchone():
            return {}  # the usual case, answered from the first row
        sql = (
            "SELECT v.model_id, COUNT(DISTINCT v.company_id) FROM vectors v "
            "JOIN companies c ON c.id = v.company_id "
            "WHERE c.deleted_at IS NULL AND v.model_id != ? AND v.company_id NOT IN "
            "(SELECT company_id FROM vectors WHERE model_id = ?) GROUP BY v.model_id"
        )
        return dict(self.db.execute(sql, [model_id, model_id]).fetchall())

    def delete_vectors_except(self, model_id: str) -> int:
        """Drop every other model's vectors (after a re-embedding); return the rows dropped."""
        with self._immediate():
            cursor = self.db.execute("DELETE FROM vectors WHERE model_id != ?", [model_id])
        return cursor.rowcount

    def unsaved_vector_count(self) -> int:
        """Fields embedded in this process that a read-only store could not save."""
        return sum(len(rows) for rows in self._unsaved_vectors.values())

    def _keep_unsaved(self, model_id: str, rows: Iterable[VectorRow]) -> int:
        count = 0
        for row in rows:
            self._unsaved_vectors.setdefault((model_id, row.field), {})[row.company_id] = row
            count += 1
        return count

    def vectors_written(self) -> int:
        """A number that grows whenever any connection saves vectors (the newest row id).

        The web app's background refresh watches it to tell that another process
        (``matchmaker import``) is embedding, and leaves that work to it instead of
        doing it a second time. Cheap: SQLite reads the largest rowid off the b-tree.
        """
        return int(self.db.execute("SELECT COALESCE(MAX(rowid), 0) FROM vectors").fetchone()[0])

    def take_embedding_lease(self, holder: str) -> None:
        """Say that ``holder`` (host:pid) is writing profiles it will embed next.

        A running server reads it and leaves those profiles to the holder while the
        holder lives, instead of embedding them a second time (see ``web.resources``).
        """
        with self._immediate():
            self.db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('embedding_lease', ?)", [holder]
            )

    def drop_embedding_lease(self, holder: str) -> None:
        with self._immediate():
            self.db.execute(
                "DELETE FROM meta WHERE key = 'embedding_lease' AND value = ?", [holder]
            )

    def embedding_lease(self) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'embedding_lease'").fetchone()
        return row[0] if row else None

    def load_vectors(self, model_id: str, field: str) -> dict[str, VectorRow]:
        """All stored vectors of one field for live companies, keyed by company id."""
        sql = (
            "SELECT v.company_id, v.text_hash, v.rows, v.dim, v.data, v.texts FROM vectors v "
            "JOIN companies c ON c.id = v.company_id "
            "WHERE v.model_id = ? AND v.field = ? AND c.deleted_at IS NULL"
        )
        result = {}
        for company_id, text_hash, n, dim, data, texts in self.db.execute(sql, [model_id, field]):
            matrix = np.frombuffer(data, dtype=np.float32).reshape(n, dim)
            result[company_id] = VectorRow(company_id, field, text_hash, matrix, json.loads(texts))
        unsaved = self._unsaved_vectors.get((model_id, field))
        if unsaved:
            sql = "SELECT id FROM companies WHERE deleted_at IS NULL"
            live = {r[0] for r in self.db.execute(sql)}
            result.update({cid: row for cid, row in unsaved.items() if cid in live})
        return result

    # -- users ----------------------------------------------------------------

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

    # -- report jobs ------------------------------------------------------------

    def add_report_job(self, job: dict[str, Any], max_active: int) -> int:
        """Insert a queued job unless its owner has ``max_active`` unfinished ones.

        Returns how many unfinished jobs the owner had; the job was added only if
        that is below ``max_active`` (checked and inserted in one transaction, so
        two quick clicks cannot both slip under the limit).
        """
        with self._immediate():
            active = self.db.execute(
                f"SELECT COUNT(*) FROM report_jobs WHERE owner = ? AND state IN "
                f"({_placeholders(REPORT_JOB_ACTIVE)})",
                [job["owner"], *REPORT_JOB_ACTIVE],
            ).fetchone()[0]
            if active < max_active:
                stamp = now()
                self.db["report_jobs"].insert(
                    {**job, "state": "queued", "created_at": stamp, "updated_at": stamp}
                )
        return active

    def update_report_job(self, job_id: str, **changes: Any) -> None:
        """Record a job's progress or outcome (only the columns its runner may change)."""
        unknown = set(changes) - _REPORT_JOB_UPDATABLE
        if unknown:
            raise ValueError(f"not a report job column: {', '.join(sorted(unknown))}")
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with self._immediate():
            self.db.execute(
                f"UPDATE report_jobs SET {assignments}, updated_at = ? WHERE id = ?",
                [*changes.values(), now(), job_id],
            )

    def get_report_job(self, job_id: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM report_jobs WHERE id = ?", [job_id]))
        return rows[0] if rows else None

    def report_jobs_of(self, owner: str, limit: int = 20) -> list[dict[str, Any]]:
        """A staff member's jobs, newest first."""
        return list(
            self.db.query(
                "SELECT * FROM report_jobs WHERE owner = ? ORDER BY created_at DESC, rowid DESC "
                "LIMIT ?",
                [owner, limit],
            )
        )

    def claim_report_jobs(
        self, runner: str, max_starts: int, resumed: str, failed: Callable[[int], str]
    ) -> list[str]:
        """Take over the unfinished jobs of other runners: they were cut off by a restart.

        One server process serves a database (``matchmaker serve``), so a job left
        queued or running under another runner id belongs to a process that is gone.
        In one transaction, each is queued again for ``runner`` (progress reset,
        message ``resumed``), or, once begun ``max_starts`` times, marked failed with
        ``failed(starts)``. Returns the ids of the jobs to run again.
        """
        again = []
        with self._immediate():
            jobs = self.db.execute(
                f"SELECT id, starts FROM report_jobs WHERE (runner IS NULL OR runner != ?) "
                f"AND state IN ({_placeholders(REPORT_JOB_ACTIVE)})",
                [runner, *REPORT_JOB_ACTIVE],
            ).fetchall()
            stamp = now()
            for job_id, starts in jobs:
                if starts >= max_starts:
                    self.db.execute(
                        "UPDATE report_jobs SET state = 'failed', message = ?, runner = ?, "
                        "finished_at = ?, updated_at = ? WHERE id = ?",
                        [failed(starts), runner, stamp, stamp, job_id],
                    )
                    continue
                self.db.execute(
                    "UPDATE report_jobs SET state = 'queued', done = 0, total = 0, message = ?, "
                    "runner = ?, updated_at = ? WHERE id = ?",
                    [resumed, runner, stamp, job_id],
                )
                again.append(job_id)
        return again

    def finished_report_jobs_before(self, stamp: str) -> list[dict[str, Any]]:
        """Done jobs whose file was made before ``stamp`` (an ISO time): due for deletion."""
        return list(
            self.db.query(
                "SELECT * FROM report_jobs WHERE state = 'done' AND finished_at < ?", [stamp]
            )
        )

    # -- statistics -----------------------------------------------------------

    def stats(self, model_id: str | None = None) -> dict[str, Any]:
        one = lambda sql, *p: self.db.execute(sql, p).fetchone()[0]  # noqa: E731
        by_country = dict(
            self.db.execute(
                "SELECT country, COUNT(*) FROM companies WHERE deleted_at IS NULL GROUP BY country"
            ).fetchall()
        )
        result = {
            "database": self.path,
            "companies": one("SELECT COUNT(*) FROM companies WHERE deleted_at IS NULL"),
            "by_country": by_country,
            "verified": one(
                "SELECT COUNT(*) FROM companies WHERE deleted_at IS NULL AND verified = 1"
            ),
            "incomplete": one(
                "SELECT COUNT(*) FROM companies WHERE deleted_at IS NULL "
                "AND trim(offers) = '' AND trim(seeks) = ''"
            ),
            "deleted": one("SELECT COUNT(*) FROM companies WHERE deleted_at IS NOT NULL"),
            "audit_entries": one("SELECT COUNT(*) FROM audit"),
            "users": one("SELECT COUNT(*) FROM users"),
            "last_change": one("SELECT MAX(updated_at) FROM companies"),
            "revision": self.revision(),
        }
        if model_id:
            result["embedded_companies"] = one(
                "SELECT COUNT(DISTINCT company_id) FROM vectors WHERE model_id = ?", model_id
            )
        return result


# -- backups ------------------------------------------------------------------------

#: What a backup holds, counted after writing it and after restoring it.
COUNTED_TABLES = ("companies", "audit", "users", "judgements", "vectors")


def check_backup(path: str | Path) -> dict[str, int]:
    """Refuse a file that is not a whole, undamaged matchmaker database; return its counts.

    Checks, read-only: SQLite's ``integrity_check``, our ``migrations`` table (and
    no migration newer than this version knows), and every table those migrations
    create. A backup that passes can replace the live database.
    """
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        raise DatabaseFileError(f"{path} is not a backup: the file is missing or empty")
    try:
        conn = _connect_readonly(path)
    except sqlite3.DatabaseError as exc:
        if "malformed" in str(exc):
            raise DatabaseFileError(f"{path} is damaged ({exc}); it cannot be restored") from None
        raise DatabaseFileError(f"{path} is not a backup: {exc}") from None
    try:
        return _checked_counts(conn, path)
    except sqlite3.DatabaseError as exc:
        raise DatabaseFileError(f"{path} is damaged ({exc}); it cannot be restored") from None
    finally:
        conn.close()


def _checked_counts(conn: sqlite3.Connection, path: Path) -> dict[str, int]:
    problems = [row[0] for row in conn.execute("PRAGMA integrity_check(3)").fetchall()]
    if problems != ["ok"]:
        raise DatabaseFileError(
            f"{path} is damaged ({'; '.join(problems)[:300]}); it cannot be restored"
        )
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "migrations" not in tables:
        raise DatabaseFileError(f"{path} is not a matchmaker database (no migrations table)")
    applied = {r[0] for r in conn.execute("SELECT version FROM migrations")}
    known = dict(MIGRATIONS)
    if applied - set(known):
        raise DatabaseFileError(
            f"{path} comes from a newer matchmaker (migrations {sorted(applied - set(known))}); "
            "restore it with that version"
        )
    expected = {
        name
        for version in applied
        for name in re.findall(r"CREATE TABLE (\w+)", known[version], flags=re.IGNORECASE)
    }
    missing = sorted(expected - tables)
    if missing:
        raise DatabaseFileError(f"{path} lacks tables {', '.join(missing)}; it cannot be restored")
    return {
        name: conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]  # noqa: S608
        for name in COUNTED_TABLES
        if name in tables
    }


def restore_database(backup: str | Path, live: str | Path) -> tuple[dict[str, int], Path | None]:
    """Replace the live database with a checked backup, in one step; keep the one replaced.

    The backup is copied in with SQLite's backup API inside one write transaction,
    so a running server sees the old database or the new one, never a mixture.
    A live file SQLite cannot open (empty, damaged beyond reading) is replaced by
    renaming instead. Returns the backup's counts and where the old database went.
    """
    backup, live = Path(backup), Path(live)
    counts = check_backup(backup)
    live.parent.mkdir(parents=True, exist_ok=True)
    if live.exists() and live.resolve() == backup.resolve():
        raise StoreError(f"{backup} is the live database itself; give another file")
    kept = _keep_replaced(live)
    source = _connect_readonly(backup)
    try:
        try:
            target = sqlite3.connect(str(live), timeout=BUSY_TIMEOUT_MS / 1000)
            try:
                source.backup(target)
            finally:
                target.close()
        except sqlite3.DatabaseError:
            _replace_by_renaming(source, live)
    finally:
        source.close()
    return counts, kept


def _keep_replaced(live: Path) -> Path | None:
    """A copy of the database about to be replaced, in case the wrong backup was chosen."""
    if not live.exists() or live.stat().st_size == 0:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    kept = live.with_name(f"{live.name}.before-restore-{stamp}")
    try:
        source = _connect_readonly(live)
        try:
            _backup_into(source, kept)
        finally:
            source.close()
    except (sqlite3.DatabaseError, DatabaseFileError):
        shutil.copy2(live, kept)  # damaged or unreadable: keep the bytes as they are
    return kept


def _replace_by_renaming(source: sqlite3.Connection, live: Path) -> None:
    with replaced_atomically(live, mode=0o600) as temporary:
        _copy(source, temporary)
    for suffix in ("-wal", "-shm"):  # they belonged to the file just replaced
        live.with_name(live.name + suffix).unlink(missing_ok=True)


def _backup_into(source: sqlite3.Connection, path: Path) -> dict[str, int]:
    """Write a checked, self-contained copy of ``source`` to ``path`` (atomically)."""
    with replaced_atomically(path, mode=0o600) as temporary:
        _copy(source, temporary)
        return check_backup(temporary)


def _copy(source: sqlite3.Connection, path: Path) -> None:
    target = sqlite3.connect(str(path))
    try:
        source.backup(target)  # one step: a consistent snapshot, while writers go on (WAL)
        target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    finally:
        target.close()


def _refuse_missing_or_empty(path: Path, create: bool) -> None:
    """No file: create it only if asked. An empty file is never silently a new database.

    A 0-byte file is what a failed copy or a full disk leaves; taking it as a new,
    empty database made ``export`` print nothing and exit 0.
    """
    if not path.exists():
        if not create:
            raise StoreError(
                f"no database at {path}; create it with 'matchmaker import data/companies.jsonl'"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    wal = path.with_name(path.name + "-wal")
    if path.is_file() and path.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size):
        raise DatabaseFileError(
            f"{path} is empty (0 bytes), so it is not a matchmaker database; restore a backup "
            f"with 'matchmaker restore BACKUP --db {path}', or delete the file to start anew"
        )


#: The fields the staff list's text search looks in (folded into ``companies.search_key``).
NAME_FIELDS = ("id", "name", "name_local", "city")


def search_key(*texts: str | None) -> str:
    """Texts folded for search: accents and case removed, Hangul as jamo, spaces collapsed.

    The same folding as the type-ahead (``web.lookup.fold``), so "riga" finds "Rīga"
    and a half-typed Hangul syllable finds the name it starts.
    """
    decomposed = unicodedata.normalize("NFKD", " ".join(t for t in texts if t))
    kept = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(kept.casefold().split())


def _like_escaped(text: str) -> str:
    """``text`` matched literally by LIKE ... ESCAPE '\\'."""
    return re.sub(r"([\\%_])", r"\\\1", text)


def _decoded_entry(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("changed", "before", "after"):
        row[key] = json.loads(row[key]) if row[key] is not None else None
    return row


def _staff_where(where: StaffFilter) -> tuple[str, list[Any]]:
    """The WHERE clause (and its parameters) of a staff list filter, over ``companies``.

    Every column it tests is in each sort index (migration 11), so a count or a page
    reads no row it does not show; sectors and roles are looked up in ``company_tags``.
    """
    parts = ["deleted_at IS NOT NULL" if where.deleted else "deleted_at IS NULL"]
    params: list[Any] = []
    key = search_key(where.text)
    if key:  # the folded text anywhere in the id, names or city
        parts.append("search_key LIKE ? ESCAPE '\\'")
        params.append("%" + _like_escaped(key) + "%")
    status, status_params = [], []  # tested on the tag rows when there are any (no row read)
    if where.country:
        status.append("country = ?")
        status_params.append(where.country)
    if where.verified is not None:
        status.append("verified = ?")
        status_params.append(int(where.verified))
    for column, value in (("sectors", where.sector), ("roles", where.role)):
        if value:
            tests = "".join(f" AND company_tags.{test}" for test in status)
            parts.append(
                "EXISTS (SELECT 1 FROM company_tags WHERE field = ? AND value = ? "
                f"AND company_id = companies.id{tests})"
            )
            params += [column, value, *status_params]
            status, status_params = [], []
    parts += status
    params += status_params
    if where.changed_since:
        # unary + keeps the planner on the sort's index: a range over updated_at
        # followed by a sort of every match was 10x slower than filtering in order
        parts.append("+updated_at >= ?")
        params.append(where.changed_since)
    if where.only_ids is not None:
        parts.append("id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(sorted(where.only_ids)))
    return " AND ".join(parts), params


def _staff_matches(where: StaffFilter) -> tuple[str, list[Any]]:
    """A SELECT of the ids ``where`` selects that reads an index and never a row.

    One sector or role, with nothing else but country, verified and deleted, is
    answered by ``company_tags_count`` alone; any other filter by a scan of a sort
    index that holds every column a filter tests (about 100 bytes an entry, against
    ~1 KB rows): the one that starts with the country when there is one.
    """
    wanted = (("sectors", where.sector), ("roles", where.role))
    tags = [(column, value) for column, value in wanted if value]
    plain = not (search_key(where.text) or where.changed_since or where.only_ids is not None)
    if len(tags) == 1 and plain:
        sql = "SELECT company_id FROM company_tags WHERE field = ? AND value = ? AND live = ?"
        params: list[Any] = [*tags[0], int(not where.deleted)]
        if where.verified is not None:
            sql += " AND verified = ?"
            params.append(int(where.verified))
        if where.country:
            sql += " AND country = ?"
            params.append(where.country)
        return sql, params
    clause, params = _staff_where(where)
    index = "companies_staff_country" if where.country else "companies_staff_updated"
    return f"SELECT id FROM companies INDEXED BY {index} WHERE {clause}", params


#: What a row of the staff list shows (``incomplete``: neither offers nor seeks).
_STAFF_COLUMNS = (
    "companies.id, name, name_local, country, city, verified, version, updated_at, "
    "deleted_at, trim(offers) = '' AND trim(seeks) = '' AS incomplete"
)


def _reversed_order(order: str) -> str:
    """An ORDER BY clause read backwards (ASC and DESC swapped), for the back half of a list."""
    return re.sub(r"\b(ASC|DESC)\b", lambda m: "DESC" if m[1] == "ASC" else "ASC", order)


def _placeholders(values: Iterable[Any]) -> str:
    return ", ".join("?" for _ in values)


def _apply_step(conn: sqlite3.Connection, step: MigrationStep) -> None:
    """Run one migration inside the caller's transaction: its function, or its SQL."""
    if callable(step):
        step(conn)
        return
    for statement in _statements(step):
        conn.execute(statement)


def _statements(sql: str) -> list[str]:
    """The statements of a migration's SQL, in order.

    Split at each ``;`` that ends a complete statement (``sqlite3.complete_statement``),
    so a trigger's ``BEGIN ... END`` body, which holds semicolons, stays one statement.
    """
    statements, pending = [], ""
    for piece in sql.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip().rstrip(";").strip())
            pending = ""
    statements.append(pending.strip().rstrip(";").strip())
    return [statement for statement in statements if statement]


#: Judgement columns that name a company, by a fixed key (never SQL from stored data).
_JUDGEMENT_COLUMNS = {"candidate": "candidate_id", "query": "query_company"}


def _meta(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("created_at", "updated_at", "version")}


def _row_from_content(content: dict[str, Any]) -> dict[str, Any]:
    """The companies row of a profile's content (lists as JSON, the staff list's search key)."""
    row = dict(content)
    for name in LIST_FIELDS:
        row[name] = json.dumps(row[name], ensure_ascii=False)
    row["verified"] = int(row["verified"])
    row["search_key"] = search_key(*(content.get(name) for name in NAME_FIELDS))
    return row


def _profile_from_row(row: dict[str, Any]) -> Profile:
    data = {name: row[name] for name in INPUT_FIELDS}
    for name in LIST_FIELDS:
        data[name] = json.loads(data[name])
    data["verified"] = bool(data["verified"])
    data["offers"] = data["offers"] or ""
    data["seeks"] = data["seeks"] or ""
    return Profile(
        **data,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
        languages=json.loads(row.get("languages") or "{}"),
    )
