"""The fitted ranker, kept on disk, so a process loads it instead of refitting.

Fitting reads every profile and vector and builds phrase tables, lexical
statistics and (at scale) the approximate index: 3 s at 10k companies, 31 s at
100k. A CLI command did that on every call, and every web process at start. Now
the first fit of a data revision is saved in ``<database>.fitted/`` (for
PostgreSQL, a folder of its own: :mod:`fit_location`) and any later process
with the same revision and model loads it:

* the ranker's pickle, with every large array written beside it as a ``.npy``
  file and loaded memory-mapped (copy-on-write): a process reads the pages it
  touches, so the phrase vectors of a million companies are not all held in
  every process, only the candidates' pages;
* every per-company list (profiles, phrase lists, texts) beside it too, one
  item after another, decoded when an item is read, and scikit-learn's
  vectorizers in their own pickles, unpickled on first use
  (:mod:`saved_parts`): loading reads no profile and imports no scikit-learn, so
  a cold ``matchmaker match`` at 10k companies loads in milliseconds, not 0.4 s
  of unpickling plus 1 s of imports (issue 14);
* the approximate index (ranking.approximate), memory-mapped too;
* a key: the data revision, the model id and the ranker's parameters. A few
  profiles are compared with the database on load, so a database re-created
  with the same revision number is never answered from another one's state.

A full fit can also write itself here as it fits (:func:`fit_and_save`): the
vectors are read a chunk of companies at a time and the field matrices, phrase
tables and TF-IDF matrices appended to their ``.npy`` files in the new folder
(ranking.dense_fit, ranking.array_files); saving then adopts those files instead
of writing the arrays again. The folder
is the same, byte for byte, and no whole matrix is ever in memory, so a million
companies fit on one machine (issue 14; docs/benchmarks.md).

Only full fits are saved. A live index (live_index.py) loads the newest one at
or before the database's revision (:func:`load_latest`) and applies the
companies changed since; each array is saved with spare rows
(:func:`ranking.growing.padded`) so those updates write into the mapped file's
private pages instead of copying the array.

The embedder (the model) and a learned scorer are not saved: the caller passes
the ones in use, and the model is loaded only if a free-text query needs it.
Saving is best effort: a read-only folder, a full disk or a race with another
process only means the next call fits again.
"""

from __future__ import annotations

import functools
import hashlib
import io
import itertools
import logging
import os
import pickle
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import __version__, work_folders
from .fit_location import state_root
from .profiles import Profile
from .ranking import LearnedScorer, PartnerRanker, growing
from .ranking.approximate import FirstStage
from .ranking.array_files import ArrayFolder
from .ranking.dense_fit import FIT_CHUNK, VectorInput
from .saved_parts import Deferred, SavedCsr, SavedRows, resolved, write_rows

#: Bump when what is saved changes shape: older folders are then ignored and replaced.
#: 1: arrays beside the pickle, memory-mapped.
#: 2: RoleFit carries licensing_ (who licenses out, who in).
#: 3: arrays saved with spare rows (ranking.growing.padded) for incremental updates.
#: 4: per-company lists item by item, scikit-learn objects in their own pickles,
#:    CSR matrices as their three arrays (saved_parts): a cold CLI reads no more.
#: 5: the approximate index split by country (ranking.approximate), in first_stage/.
FORMAT = 5
#: Arrays at least this large go to their own memory-mapped file; smaller ones stay pickled.
MAPPED_BYTES = 64 * 1024
#: Per-company lists of at least this many companies are saved item by item (saved_parts).
ROWS_FROM = 1_000
#: Objects of classes from these packages are unpickled on first use (saved_parts.Deferred).
DEFERRED_PACKAGES = ("sklearn.",)
#: Profiles compared with the database on load (first, middle, last).
CHECKED_PROFILES = 3

log = logging.getLogger(__name__)


def discard(db_path: str | Path) -> None:
    """Remove every saved fit of this database (after ``matchmaker restore``).

    :func:`load_latest` trusts a fit saved at or before the database's revision
    plus the rows stamped since. A restored backup goes back to the backup's
    revision and counts on from there, so a fit saved before the restore (of
    writes the restore undid) would later be brought forward as if those
    writes had happened: companies that no longer exist would be ranked.
    """
    root = state_root(db_path)
    if root is not None and root.is_dir():
        shutil.rmtree(root, ignore_errors=True)


def state_key(revision: int, model_id: str, ranker: PartnerRanker) -> str:
    """Folder name of one fit: revision first (readable), then a hash of what else matters."""
    weights = asdict(ranker.weights) if ranker.weights is not None else None
    what = repr(
        (
            FORMAT,
            __version__,
            _code_stamp(),
            model_id,
            weights,
            ranker.candidates,
            ranker.approximate_from,
        )
    )
    return f"r{revision}-{hashlib.sha256(what.encode()).hexdigest()[:16]}"


@functools.cache
def _code_stamp() -> str:
    """Size and time of every module of the package: a changed ranker never loads old state."""
    package = Path(__file__).resolve().parent
    stamps = sorted(
        (str(path.relative_to(package)), path.stat().st_size, path.stat().st_mtime_ns)
        for path in package.rglob("*.py")
    )
    return hashlib.sha256(repr(stamps).encode()).hexdigest()[:16]


def save(ranker: PartnerRanker, db_path: str | Path, revision: int) -> Path | None:
    """Write a fitted ranker for ``revision``; the folder, or None when it could not be written.

    Written into a temporary folder and renamed into place, so a reader sees a
    whole state or none; older states of the same database are then removed (a
    process that has one mapped keeps reading it: unlinked files live on).
    """
    root = state_root(db_path)
    if root is None or ranker.embedder is None:
        return None
    key = state_key(revision, ranker.embedder.model_id, ranker)
    if (root / key).is_dir():
        return root / key
    work = _new_work_folder(root, key)
    return None if work is None else _finish(ranker, root, key, work)


def fit_and_save(
    ranker: PartnerRanker,
    profiles: Sequence[Profile],
    vectors: VectorInput,
    db_path: str | Path,
    revision: int,
    still_current: Callable[[], bool] | None = None,
    chunk: int = FIT_CHUNK,
) -> tuple[PartnerRanker, Path | None]:
    """Fit ``ranker`` with its dense arrays written straight into a new saved fit; the
    fitted ranker and the folder (None when nothing was saved).

    The same folder as ``save(ranker.fit(profiles, vectors), ...)``, byte for byte,
    but the vectors are read ``chunk`` companies at a time and the field matrices,
    phrase tables and TF-IDF matrices go to their files as they are built
    (ranking.dense_fit, ranking.array_files), so the fit holds none of them whole
    and a million companies fit on one machine
    (issue 14). ``still_current`` is asked once the fit is done: if it says no
    (the database moved on meanwhile), nothing is saved. A folder that cannot be
    written means a fit in memory, as a failed save always did.
    """
    root = state_root(db_path)
    work = None
    if root is not None and ranker.embedder is not None:
        key = state_key(revision, ranker.embedder.model_id, ranker)
        work = _new_work_folder(root, key)
    if work is None:
        return ranker.fit(profiles, vectors, chunk=chunk), None
    with work:  # removed if anything below raises
        try:
            out = ArrayFolder(work.path / "arrays", MAPPED_BYTES)
            ranker.fit(profiles, vectors, out=out, chunk=chunk)
        except OSError as exc:  # a full disk while writing the arrays: fit in memory instead
            log.info("could not write the fit's arrays in %s: %s", work.path, exc)
            work.discard()
            return ranker.fit(profiles, vectors, chunk=chunk), None
        if still_current is not None and not still_current():
            work.discard()  # the mapped files live on while mapped
            return ranker, None
        return ranker, _finish(ranker, root, key, work)


def _new_work_folder(root: Path, key: str) -> work_folders.WorkFolder | None:
    """A fresh hidden folder for state ``key``, locked so no other save sweeps it, or None."""
    try:
        return work_folders.create(root, key, subfolders=("arrays",))
    except OSError as exc:
        log.warning("could not save the fitted ranker in %s: %s", root, exc)
        return None


def _finish(
    ranker: PartnerRanker, root: Path, key: str, work: work_folders.WorkFolder
) -> Path | None:
    """Write the ranker into ``work``, rename it into place as state ``key``, sweep the rest."""
    final = root / key
    with work:
        try:
            _write(ranker, work.path)
            work.rename(final)
        except OSError as exc:
            log.warning("could not save the fitted ranker in %s: %s", root, exc)
            work.discard()
            return final if final.is_dir() else None  # another process may have won the race
    work_folders.sweep(root, keep=key)  # older states, and folders of saves that died
    return final


def load(
    db_path: str | Path,
    revision: int,
    embedder,
    store,
    weights=None,
    learned: LearnedScorer | None = None,
) -> PartnerRanker | None:
    """The ranker saved for this revision, model and parameters, or None (then fit)."""
    root = state_root(db_path)
    if root is None:
        return None
    template = PartnerRanker(embedder=embedder, weights=weights, learned=learned)
    folder = root / state_key(revision, embedder.model_id, template)
    if not (folder / "ranker.pickle").is_file():
        return None
    try:
        ranker = _read(folder, embedder, learned)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError) as exc:
        log.warning("ignoring the saved ranker in %s: %s", folder, exc)
        return None
    return ranker if _agrees_with(ranker, store) else None


class SavedFit(NamedTuple):
    """A loaded fit, the data revision it was fitted at, and the folder it maps."""

    ranker: PartnerRanker
    revision: int
    folder: Path


def load_latest(
    db_path: str | Path, revision: int, embedder, store, learned: LearnedScorer | None = None
) -> SavedFit | None:
    """The newest saved fit of this model at or before ``revision``, with its revision.

    The live index (live_index.py) then applies the companies changed since
    (``Store.changed_since``), so a restart after edits loads instead of refitting;
    a saved profile that differs from the database counts only if it did not change since.
    """
    root = state_root(db_path)
    if root is None or not root.is_dir():
        return None
    template = PartnerRanker(embedder=embedder, learned=learned)
    suffix = state_key(0, embedder.model_id, template).split("-", 1)[1]
    found = []
    for entry in root.iterdir():
        saved, _, key = entry.name[1:].partition("-")
        if entry.name.startswith("r") and key == suffix and saved.isdigit():
            found.append(int(saved))
    for saved in sorted((r for r in found if r <= revision), reverse=True):
        folder = root / f"r{saved}-{suffix}"
        try:
            ranker = _read(folder, embedder, learned)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError) as exc:
            log.warning("ignoring the saved ranker in %s: %s", folder, exc)
            continue
        changed, deleted = store.changed_since(saved)
        if _agrees_with(ranker, store, skip={p.id for p in changed} | set(deleted)):
            return SavedFit(ranker, saved, folder)
    return None


def _agrees_with(ranker: PartnerRanker, store, skip: frozenset | set = frozenset()) -> bool:
    """A few saved profiles equal the database's: not another database's state."""
    profiles = ranker.profiles_
    picks = {0, len(profiles) // 2, len(profiles) - 1}
    try:
        return all(
            store.get(profiles[i].id) == profiles[i]
            for i in sorted(picks)
            if profiles[i].id not in skip
        )
    except Exception:  # noqa: BLE001 - unknown, merged or deleted: the state is not this data's
        return False


def _write(ranker: PartnerRanker, folder: Path) -> None:
    for part in ("arrays", "rows", "deferred"):
        (folder / part).mkdir(exist_ok=True)  # arrays/ may hold what the fit wrote
    with open(folder / "ranker.pickle", "wb") as out:
        _Saver(out, folder, ranker).dump(ranker)


def _read(folder: Path, embedder, learned) -> PartnerRanker:
    with open(folder / "ranker.pickle", "rb") as source:
        ranker = _Loader(source, folder, embedder, learned).load()
    if not isinstance(ranker, PartnerRanker):
        raise ValueError("not a saved ranker")
    ranker.embedder, ranker.learned = embedder, learned  # the ones in use, not the saver's
    return ranker


class _Saver(pickle.Pickler):
    """Pickles a ranker, sending aside large arrays, per-company lists, scikit-learn objects,
    the index, the model and the learned scorer."""

    def __init__(
        self,
        out: io.BufferedWriter,
        folder: Path,
        ranker: PartnerRanker,
        counter: itertools.count | None = None,
    ):
        super().__init__(out, protocol=pickle.HIGHEST_PROTOCOL)
        self.folder = folder
        self.ranker = ranker
        self.rows = len(ranker.profiles_)
        self.top = counter is None  # the ranker's own pickle, not a deferred object's
        self.counter = counter or itertools.count(1)  # file names, shared with nested savers
        self.aside: dict[int, tuple] = {}  # id -> persistent id: one file per object
        self.adopted: dict[Path, str] = {}  # arrays the fit wrote here -> their saved name
        self.kept: list = []  # the objects of ``aside``, alive while saving: ids stay unique

    def persistent_id(self, obj):
        if obj is self.ranker.embedder and obj is not None:
            return ("embedder",)
        if obj is self.ranker.learned and obj is not None:
            return ("learned",)
        if isinstance(obj, FirstStage):
            countries = obj.save(self.folder / "first_stage")
            return ("first_stage", obj.size, obj.exact_below, tuple(countries))
        if (
            (type(obj) is np.ndarray or isinstance(obj, np.memmap))
            and obj.nbytes >= MAPPED_BYTES
            and not obj.dtype.hasobject
        ):
            return self._array(obj)
        if _is_csr(obj):  # each of its arrays saved (and loaded) as any other array
            arrays = [self._array(array) for array in _csr_arrays(obj)]
            return ("csr", *arrays, tuple(obj.shape), bool(obj.has_sorted_indices))
        if not self.top:
            return None
        if id(obj) in self.aside:
            return self.aside[id(obj)]
        if type(obj) in (list, SavedRows) and len(obj) == self.rows >= ROWS_FROM:
            name = self._name(".rows")
            write_rows(obj, self.folder / "rows" / name)
            return self._aside(obj, ("rows", name))
        if _deferred_kind(obj):
            name = self._name(".pickle")
            with open(self.folder / "deferred" / name, "wb") as out:
                _Saver(out, self.folder, self.ranker, self.counter).dump(resolved(obj))
            return self._aside(obj, ("deferred", name))
        return None

    def _array(self, array: np.ndarray) -> tuple:
        """Write ``array`` to a .npy file of its own; the persistent id that loads it.

        Saved with spare rows (:func:`growing.padded`), so an incremental update
        appends into the mapped file's private pages instead of copying the array.
        """
        path = self.folder / "arrays" / self._name(".npy")
        written = self._written_here(array)
        if written is not None:
            return self._adopt(written, path, len(array))
        if array.ndim == 0:
            np.save(path, array, allow_pickle=False)
            return ("array", path.name)
        np.save(path, growing.padded(array), allow_pickle=False)
        return ("array", path.name, len(array))

    def _written_here(self, array: np.ndarray) -> Path | None:
        """The file in this folder's arrays/ that ``array`` is mapped from, if the fit
        wrote it there already (ranking.dense_fit), laid out as :meth:`_array` would
        write it: the array's rows, then :func:`growing.spare_rows` zero rows."""
        base = array.base if isinstance(array, np.memmap) else None
        if not isinstance(base, np.memmap) or not base.filename or array.ndim == 0:
            return None
        path = Path(base.filename)  # numpy keeps it absolute
        same_layout = (
            path.parent == Path(os.path.abspath(self.folder / "arrays"))
            and array.flags.c_contiguous
            and base.shape[1:] == array.shape[1:]
            and array.ctypes.data == base.ctypes.data
            and len(base) == len(array) + growing.spare_rows(len(array))
        )
        return path if same_layout else None

    def _adopt(self, written: Path, path: Path, rows: int) -> tuple:
        """Give the fit's file its saved name; a second reference gets a copy, as any
        array referenced twice is saved twice."""
        if written in self.adopted:
            shutil.copyfile(self.folder / "arrays" / self.adopted[written], path)
        else:
            os.rename(written, path)
            self.adopted[written] = path.name
        return ("array", path.name, rows)

    def _name(self, suffix: str) -> str:
        return f"{next(self.counter)}{suffix}"

    def _aside(self, obj, pid: tuple) -> tuple:
        """Remember what was written for ``obj``, so a second reference reuses the file."""
        self.aside[id(obj)] = pid
        self.kept.append(obj)
        return pid


def _is_csr(obj) -> bool:
    """A SciPy CSR matrix (checked by name: SciPy is not imported to ask) or a saved one."""
    if isinstance(obj, SavedCsr):
        return True
    module = type(obj).__module__ or ""
    return module.startswith("scipy.sparse") and getattr(obj, "format", None) == "csr"


def _csr_arrays(matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return matrix.data, matrix.indices, matrix.indptr


def _deferred_kind(obj) -> bool:
    """An object whose class comes from a package that is slow to import (scikit-learn)."""
    if isinstance(obj, Deferred):
        return True
    module = type(obj).__module__ or ""
    return module.startswith(DEFERRED_PACKAGES)


class _Loader(pickle.Unpickler):
    def __init__(self, source: io.BufferedReader, folder: Path, embedder, learned):
        super().__init__(source)
        self.folder = folder
        self.embedder = embedder
        self.learned = learned

    def persistent_load(self, pid):
        kind = pid[0]
        if kind == "embedder":
            return self.embedder
        if kind == "learned":
            return self.learned
        if kind == "first_stage":
            stage = FirstStage.load(self.folder / "first_stage", pid[1], list(pid[3]))
            stage.exact_below = pid[2]
            return stage
        if kind == "array":
            return self._load_array(pid)
        if kind == "csr":
            data, indices, indptr = (self._load_array(array) for array in pid[1:4])
            return SavedCsr(data, indices, indptr, pid[4], pid[5])
        if kind == "rows":
            return SavedRows.open(self.folder / "rows" / pid[1])
        if kind == "deferred":
            return Deferred(functools.partial(self._load_deferred, pid[1]))
        raise pickle.UnpicklingError(f"unknown saved object {pid!r}")

    def _load_array(self, pid: tuple) -> np.ndarray:
        """The array of an ("array", name[, rows]) id, memory-mapped unless small (an empty
        array cannot be mapped); a padded one is adopted, so updates grow it in place."""
        path = self.folder / "arrays" / pid[1]
        mode = "c" if path.stat().st_size >= MAPPED_BYTES else None
        loaded = np.load(path, mmap_mode=mode, allow_pickle=False)
        # Mapped: a plain ndarray over the same pages, since every slice of an np.memmap goes
        # through Python-level __getitem__/__array_finalize__ (about 400 per `match`).
        # Read whole (small): an array of its own, since np.load hands out a view of its
        # read buffer and numpy points slices of a plain view at the owner, so the array
        # growing.adopt registers would not be their base and updates would copy it.
        loaded = loaded.view(np.ndarray) if mode else loaded.copy()
        return growing.adopt(loaded, pid[2]) if len(pid) > 2 else loaded

    def _load_deferred(self, name: str):
        with open(self.folder / "deferred" / name, "rb") as source:
            return _Loader(source, self.folder, self.embedder, self.learned).load()
