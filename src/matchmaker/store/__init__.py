"""Storage: every SQL statement matchmaker runs lives in this package.

The rest of the code talks to :class:`Store` (get, list, upsert, save,
delete, vectors, audit, users, staff judgements of matches), so another
backend can replace it without touching ranking, CLI or web.

:class:`Store` is put together from one part per concern, each in its own
module: the connection and its transactions (:mod:`.base`), the schema
(:mod:`.schema`), backups (:mod:`.backup`), companies, the audit trail, merges,
the staff list, judgements, vectors, users and report jobs. Every public name
of the storage layer is importable from here.
"""

from __future__ import annotations

from .audit import REVERTIBLE_ACTIONS, AuditMixin
from .backup import (
    COUNTED_TABLES,
    BackupMixin,
    _backup_into,
    _checked_counts,
    _copy,
    _keep_replaced,
    _replace_by_renaming,
    check_backup,
    restore_database,
)
from .base import StoreBase, database_exists
from .companies import CompaniesMixin
from .connection import (
    BUSY_TIMEOUT_MS,
    SYNCHRONOUS_LEVELS,
    _connect_readonly,
    _refuse_missing_or_empty,
    connect,
    database_fault,
    explain,
    is_postgres_url,
    synchronous_level,
)
from .errors import (
    BusyError,
    ConflictError,
    DatabaseFileError,
    ImportConflict,
    ImportConflictError,
    MergedError,
    NotFoundError,
    StaleEditError,
    StoreError,
)
from .judging import JudgementsMixin
from .merges import MergesMixin
from .migrations import SchemaMixin, _apply_step, _statements
from .names import NamesMixin
from .pg_vectors import PgVectorsMixin
from .records import (
    _JUDGEMENT_COLUMNS,
    UpsertSummary,
    VectorRow,
    _decoded_entry,
    _meta,
    _placeholders,
    _profile_from_row,
    _row_from_content,
    now,
)
from .report_jobs import _REPORT_JOB_UPDATABLE, REPORT_JOB_ACTIVE, ReportJobsMixin
from .report_runs import ReportRunsMixin
from .schema import MIGRATION_STEPS, MIGRATIONS, MigrationStep
from .staff import (
    NAME_FIELDS,
    STAFF_COUNT_CAP,
    STAFF_FEW_MATCHES,
    STAFF_SORT_INDEXES,
    STAFF_SORTS,
    STAFF_TEXT_COUNT_CAP,
    StaffFilter,
    StaffListMixin,
    StaffPage,
    _like_escaped,
    _staff_where,
    search_key,
)
from .users import UsersMixin
from .vectors import VectorsMixin


class Store(
    CompaniesMixin,
    AuditMixin,
    MergesMixin,
    StaffListMixin,
    NamesMixin,
    JudgementsMixin,
    VectorsMixin,
    PgVectorsMixin,
    UsersMixin,
    ReportJobsMixin,
    ReportRunsMixin,
    SchemaMixin,
    BackupMixin,
    StoreBase,
):
    """The matchmaker database. Open with :meth:`open`; call :meth:`close` when done."""


__all__ = [
    "BUSY_TIMEOUT_MS",
    "COUNTED_TABLES",
    "MIGRATIONS",
    "MIGRATION_STEPS",
    "NAME_FIELDS",
    "REPORT_JOB_ACTIVE",
    "REVERTIBLE_ACTIONS",
    "STAFF_COUNT_CAP",
    "STAFF_FEW_MATCHES",
    "STAFF_SORTS",
    "STAFF_SORT_INDEXES",
    "STAFF_TEXT_COUNT_CAP",
    "SYNCHRONOUS_LEVELS",
    "BusyError",
    "ConflictError",
    "DatabaseFileError",
    "ImportConflict",
    "ImportConflictError",
    "MergedError",
    "MigrationStep",
    "NotFoundError",
    "StaffFilter",
    "StaffPage",
    "StaleEditError",
    "Store",
    "StoreError",
    "UpsertSummary",
    "VectorRow",
    "check_backup",
    "connect",
    "database_exists",
    "database_fault",
    "explain",
    "is_postgres_url",
    "now",
    "restore_database",
    "search_key",
    "synchronous_level",
]
# Private helpers that tests, benchmarks and the mission store reach for, kept importable
# from the package as they were from the single module it replaced.
_PRIVATE = (
    _JUDGEMENT_COLUMNS,
    _REPORT_JOB_UPDATABLE,
    _apply_step,
    _backup_into,
    _checked_counts,
    _connect_readonly,
    _copy,
    _decoded_entry,
    _keep_replaced,
    _like_escaped,
    _meta,
    _placeholders,
    _profile_from_row,
    _refuse_missing_or_empty,
    _replace_by_renaming,
    _row_from_content,
    _staff_where,
    _statements,
)
