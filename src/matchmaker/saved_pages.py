"""Read a saved fit's files into the page cache after a server loads it.

A loaded fit is memory-mapped (:mod:`fitted_state`): loading reads almost
nothing, and each ``match`` reads the pages of its candidates. On a cold page
cache those are random reads from disk: the first ``match`` of a company took
4.1 s at 200,000 companies and 3 to 11 s at a million (docs/benchmarks.md, "An
edit at a million profiles"), where a warm one takes 25 to 60 ms. A server that
has just started, or a company nobody matched since, would answer that slowly.

So after loading, the live index reads the fit's files once, in the background
and in the order a ``match`` needs them (the first-stage index, the arrays, the
per-company rows). Read in sequence they come at disk speed (0.66 GB/s here,
7 s for the 4.7 GB of 200,000 companies) instead of page by page.

Only as much is read as the machine's available memory can hold beside what is
already used (:data:`KEEP_FREE`): reading more than fits would only push out
the pages read first. A fit larger than that (22 GB at a million companies on a
24 GB machine) is read in part; docs/benchmarks.md says what memory a server
needs to keep all of it cached. The pages are the kernel's shared cache, so
several processes serving the same fit read it once between them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

#: A saved fit's parts in the order a ``match`` first needs them.
PARTS = ("first_stage", "arrays", "rows")
#: Memory left for the processes and everything else once the fit is read (bytes).
KEEP_FREE = 2 * 1024**3
#: Bytes read at a time, into one reused buffer.
READ_BLOCK = 4 * 1024**2
#: Where the kernel says how much memory can be had without swapping.
MEMINFO = Path("/proc/meminfo")
#: This process's cgroup (v2), whose memory limit a container sets.
CGROUP = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Prefetched:
    """What :func:`read_into_cache` did: files and bytes read, bytes left unread, seconds."""

    files: int
    read_bytes: int
    skipped_bytes: int
    seconds: float


def read_into_cache(folder: Path, budget: int | None = None) -> Prefetched:
    """Read the saved fit in ``folder`` once, so its pages are in the page cache.

    ``budget``: the most bytes to read; by default what :func:`available_memory`
    reports less :data:`KEEP_FREE`. Files are read whole, in :data:`PARTS` order; a
    file that would go over the budget is skipped (and counted), and smaller ones
    after it are still read.
    """
    if budget is None:
        budget = max(0, available_memory() - KEEP_FREE)
    start = time.perf_counter()
    files = read = skipped = 0
    buffer = memoryview(bytearray(READ_BLOCK))
    for path, size in saved_files(folder):
        if read + size > budget:
            skipped += size
            continue
        read += _read_through(path, buffer)
        files += 1
    done = Prefetched(files, read, skipped, time.perf_counter() - start)
    log.info(
        "read %.2f GB of the saved fit %s into the page cache in %.1f s (%.2f GB left: memory)",
        done.read_bytes / 1e9,
        folder.name,
        done.seconds,
        done.skipped_bytes / 1e9,
    )
    return done


def saved_files(folder: Path) -> list[tuple[Path, int]]:
    """The files of a saved fit a ``match`` reads, with their sizes, in the order it
    needs them. A folder removed meanwhile (a newer fit replaced it) has none."""
    found = []
    try:
        for part in PARTS:
            directory = folder / part
            if directory.is_dir():
                paths = sorted(p for p in directory.iterdir() if p.is_file())
                found.extend((p, p.stat().st_size) for p in paths)
    except OSError as exc:
        log.info("could not list the saved fit %s: %s", folder, exc)
        return []
    return found


def available_memory(meminfo: Path = MEMINFO, cgroup: Path = CGROUP) -> int:
    """Bytes the kernel can give without swapping (``MemAvailable``), and no more than a
    container's memory limit leaves (cgroup v2); 0 if unknown.

    Unknown (not Linux) means nothing is read ahead: better a slow first
    ``match`` than pushing a busy machine into swap. In a container, page cache
    counts against its limit, so reading past it would push out the pages read first.
    """
    available = 0
    try:
        for line in meminfo.read_text().splitlines():
            name, _, value = line.partition(":")
            if name == "MemAvailable":
                available = int(value.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        return 0
    left = _container_room(cgroup)
    return available if left is None else min(available, left)


def _container_room(cgroup: Path) -> int | None:
    """What this cgroup's ``memory.max`` leaves above ``memory.current``; None: no limit."""
    try:
        limit = (cgroup / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return max(0, int(limit) - int((cgroup / "memory.current").read_text()))
    except (OSError, ValueError):
        return None


def _read_through(path: Path, buffer: memoryview) -> int:
    """Read the file at ``path`` to its end (the bytes are not kept); its size read."""
    total = 0
    try:
        with open(path, "rb", buffering=0) as source:
            while count := source.readinto(buffer):
                total += count
    except OSError as exc:  # a refit replaced the folder meanwhile: nothing to warm
        log.info("could not read %s into the page cache: %s", path, exc)
    return total
