"""Folders of fits in progress: locked while written, left alone while locked, swept once abandoned.

A saved fit is written into a hidden ``.<key>-…`` folder beside the finished
ones and renamed into place when complete (fitted_state). Saving a finished fit
takes seconds, but a fit that writes its arrays as it goes (``fit_and_save``)
keeps its folder for the whole fit: an hour at a million companies. Meanwhile
another process may finish its own save and sweep the folders it does not
need, and must not take one that is still being filled.

So the writer holds an exclusive ``flock`` on a file inside its folder. The
kernel releases it when the process ends however it ends (even killed), so a
folder whose lock can be taken belongs to nobody and is removed; one whose lock
is held is skipped. A folder younger than :data:`GRACE_SECONDS` is skipped too:
it may be between its creation and its lock, or between the lock's removal and
the rename.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

#: The lock file's name inside a folder being written; removed before the rename.
LOCK_NAME = ".writing"
#: A hidden folder modified this recently is never swept, locked or not.
GRACE_SECONDS = 60.0


@dataclass
class WorkFolder:
    """A hidden folder being written by this process, and the lock that says so."""

    path: Path
    lock: int | None

    def release(self) -> None:
        """Remove and unlock the lock file: the folder is complete (or being discarded)."""
        if self.lock is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path / LOCK_NAME)
        os.close(self.lock)
        self.lock = None

    def discard(self) -> None:
        """Delete the folder and everything in it."""
        self.release()
        shutil.rmtree(self.path, ignore_errors=True)


def create(root: Path, prefix: str) -> WorkFolder:
    """A new hidden folder ``root/.<prefix>-…``, locked by this process. Raises OSError."""
    path = Path(tempfile.mkdtemp(prefix=f".{prefix}-", dir=root))
    lock = os.open(path / LOCK_NAME, os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    return WorkFolder(path, lock)


def abandoned(folder: Path, now: float | None = None) -> bool:
    """True if ``folder`` is hidden, older than the grace period and locked by nobody."""
    if not folder.name.startswith("."):
        return True  # a finished state: never in progress
    try:
        if (now if now is not None else time.time()) - folder.stat().st_mtime < GRACE_SECONDS:
            return False
        lock = os.open(folder / LOCK_NAME, os.O_RDWR)
    except FileNotFoundError:
        return True  # no lock file: an interrupted save from before locks, or a finished one
    except OSError:
        return False
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # another process is writing it
    finally:
        os.close(lock)  # also releases the lock we may have taken
    return True
