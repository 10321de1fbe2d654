"""Folders of fits in progress: locked while written, left alone while locked, swept once abandoned.

A saved fit is written into a hidden ``.<key>-…`` folder beside the finished
ones and renamed into place when complete (fitted_state). Saving a finished fit
takes seconds, but a fit that writes its arrays as it goes (``fit_and_save``)
keeps its folder for the whole fit: an hour at a million companies. Meanwhile
another process may finish its own save and sweep the folders it does not
need, and must not take one that is still being filled.

So the writer holds an exclusive ``flock`` on a file inside its folder from the
folder's creation until after its rename, and the kernel releases it when the
process ends however it ends (even killed). A hidden folder whose lock can be
taken belongs to nobody and is removed; one whose lock is held is skipped. One
younger than :data:`GRACE_SECONDS` is skipped too: it may be between its
creation and its lock.

POSIX only (``fcntl``). On NFS the lock protects across machines only where NFS
locking works, and the grace period compares the server's file times with this
machine's clock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

#: The lock file's name inside a folder being written; removed after the rename.
LOCK_NAME = ".writing"
#: A hidden folder modified this recently is never swept, locked or not.
GRACE_SECONDS = 60.0


class WorkFolder:
    """A hidden folder being written by this process, and the lock that says so.

    Used as a context manager: if anything raises inside, the folder is removed
    (unless it was already renamed into place), so no error path leaves a folder
    locked for the rest of the process's life.
    """

    def __init__(self, path: Path, lock: int):
        self.path = path
        self.lock: int | None = lock
        self.renamed = False

    def __enter__(self) -> WorkFolder:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:
            self.discard()

    def rename(self, final: Path) -> None:
        """Move the complete folder into place as ``final``, then drop the lock.

        The lock is held through the rename: released before it, a sweeping
        process could take the lock and remove the folder while it moved.
        """
        os.rename(self.path, final)
        self.path, self.renamed = final, True
        self._unlock()

    def discard(self) -> None:
        """Delete the folder and everything in it (nothing once it was renamed into place)."""
        if not self.renamed:
            shutil.rmtree(self.path, ignore_errors=True)
        self._unlock()

    def _unlock(self) -> None:
        if self.lock is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path / LOCK_NAME)
        os.close(self.lock)
        self.lock = None


def create(root: Path, prefix: str, subfolders: Sequence[str] = ()) -> WorkFolder:
    """A new hidden folder ``root/.<prefix>-…`` with ``subfolders``, locked. Raises OSError."""
    root.mkdir(parents=True, exist_ok=True)  # a fit folder of its own (fit_location)
    path = Path(tempfile.mkdtemp(prefix=f".{prefix}-", dir=root))
    try:
        lock = os.open(path / LOCK_NAME, os.O_CREAT | os.O_RDWR, 0o600)
    except OSError:
        shutil.rmtree(path, ignore_errors=True)
        raise
    work = WorkFolder(path, lock)
    with work:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for name in subfolders:
            (path / name).mkdir()
    return work


def sweep(root: Path, keep: str) -> None:
    """Remove every folder of ``root`` but ``keep``, except hidden ones still being written."""
    with contextlib.suppress(OSError):  # the root itself removed meanwhile (a restore)
        for entry in root.iterdir():
            if entry.name != keep and entry.is_dir() and abandoned(entry):
                shutil.rmtree(entry, ignore_errors=True)


def abandoned(folder: Path, now: float | None = None) -> bool:
    """True if ``folder`` is finished, or hidden, past the grace period and locked by nobody."""
    if not folder.name.startswith("."):
        return True  # a finished state: never in progress
    try:
        if (now if now is not None else time.time()) - folder.stat().st_mtime < GRACE_SECONDS:
            return False
        lock = os.open(folder / LOCK_NAME, os.O_RDWR)
    except FileNotFoundError:
        return True  # gone, or no lock file: an interrupted save from before locks
    except OSError:
        return False
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # another process is writing it (or locks do not work here: keep it)
    finally:
        os.close(lock)  # also releases the lock we may have taken
    return True
