"""Import by upload in two steps: a preview that writes nothing, then an explicit confirm.

The preview validates every row with ``importing.parse_bytes`` and shows each
error against its row and field. Only a file without errors is staged (on
disk, named by its SHA-256, remembered in the staff member's session); the
confirm step re-reads and re-validates exactly those bytes and writes them in
one transaction. A file that changed, expired or never passed is refused.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app, session
from flask_babel import gettext
from werkzeug.datastructures import FileStorage

from ..duplicates import check_import
from ..importing import FORMATS, detect_format, parse_bytes
from ..profiles import INPUT_FIELDS
from ..service import Matchmaker
from ..store import UpsertSummary
from .resources import get_embedder, get_store

STAGED_FOR_SECONDS = 24 * 3600
EXCERPT_LENGTH = 160


class ImportExpired(Exception):
    """The preview being confirmed is gone, changed, or belongs to another session."""


@dataclass
class RowError:
    row: int
    field: str
    message: str
    excerpt: str


@dataclass
class RowPreview:
    row: int
    id: str
    name: str
    country: str
    status: str  # new, updated, unchanged, restored
    changed: list[str]
    conflict: str = ""  # edited in the database since the file was exported


@dataclass
class Preview:
    filename: str = ""
    fmt: str = ""
    problem: str = ""
    errors: list[RowError] = field(default_factory=list)
    rows: list[RowPreview] = field(default_factory=list)
    digest: str = ""
    #: Rows that look like a stored profile or another row (duplicates.check_import).
    duplicates: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problem and not self.errors and bool(self.rows)

    @property
    def conflicts(self) -> list[RowPreview]:
        return [r for r in self.rows if r.conflict]

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)


def default_staging_dir() -> Path:
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"matchmaker-imports-{uid}"


def preview_upload(upload: FileStorage | None, fmt: str) -> Preview:
    """Validate an uploaded file; stage it for confirmation only if every row is valid."""
    session.pop("import", None)
    if upload is None or not upload.filename:
        return Preview(problem=gettext("Choose a .jsonl, .json or .csv file to upload."))
    preview = Preview(filename=upload.filename[:200])
    try:
        preview.fmt = fmt if fmt in FORMATS else detect_format(upload.filename)
    except ValueError as exc:
        preview.problem = gettext("%(problem)s, or pick the format below.", problem=exc)
        return preview
    data = upload.read()
    parsed = parse_bytes(data, preview.fmt)
    if parsed.errors:
        lines = _lines(data) if preview.fmt != "json" else []
        preview.errors = [
            RowError(e.row, e.field, e.message, _excerpt(lines, e.row)) for e in parsed.errors
        ]
        return preview
    store = get_store()
    found = store.find_conflicts(parsed.profiles, parsed.exported)
    conflicts = {c.company_id: str(c) for c in found}
    for row, profile in zip(parsed.rows, parsed.profiles, strict=True):
        status, changed = "new", list(INPUT_FIELDS)
        if store.exists(profile.id):
            old = store.get(profile.id, include_deleted=True).content()
            changed = [k for k in INPUT_FIELDS if old[k] != profile.content()[k]]
            if store.is_deleted(profile.id):
                status = "restored"
            else:
                status = "updated" if changed else "unchanged"
        preview.rows.append(
            RowPreview(
                row,
                profile.id,
                profile.name,
                profile.country,
                status,
                changed,
                conflicts.get(profile.id, ""),
            )
        )
    preview.duplicates = check_import(store, parsed.profiles)
    preview.digest = _stage(data)
    session["import"] = {"digest": preview.digest, "format": preview.fmt}
    return preview


def confirm(digest: str, actor: str, overwrite: bool = False) -> UpsertSummary:
    """Import the staged file this session previewed; raise ImportExpired otherwise.

    Rows edited since the file was exported raise ``ImportConflictError`` (nothing
    written) unless the staff member ticked "overwrite" on the preview.
    """
    staged = session.get("import") or {}
    if not digest or staged.get("digest") != digest:
        raise ImportExpired(gettext("That preview has expired; upload the file again."))
    path = _staging_dir() / digest
    try:
        data = path.read_bytes()
    except OSError:
        raise ImportExpired(
            gettext("That preview has expired; upload the file again.")
        ) from None
    parsed = parse_bytes(data, staged["format"])
    if hashlib.sha256(data).hexdigest() != digest or not parsed.ok:
        raise ImportExpired(
            gettext("The staged file changed since the preview; upload it again.")
        )
    summary = Matchmaker(get_store(), get_embedder()).import_file(
        parsed, actor=actor, overwrite=overwrite
    )
    session.pop("import", None)
    path.unlink(missing_ok=True)
    return summary


def _staging_dir() -> Path:
    folder = Path(current_app.config["IMPORT_STAGING_DIR"])
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _stage(data: bytes) -> str:
    folder = _staging_dir()
    horizon = time.time() - STAGED_FOR_SECONDS
    for old in folder.iterdir():
        if old.stat().st_mtime < horizon:
            old.unlink(missing_ok=True)
    digest = hashlib.sha256(data).hexdigest()
    (folder / digest).write_bytes(data)
    return digest


def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8-sig", errors="replace").splitlines()


def _excerpt(lines: list[str], row: int) -> str:
    if not 1 <= row <= len(lines):
        return ""
    line = lines[row - 1].replace("\x00", "")
    return line if len(line) <= EXCERPT_LENGTH else line[: EXCERPT_LENGTH - 1] + "…"
