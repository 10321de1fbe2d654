"""The fitted ranker a long-lived process answers from, kept up to date edit by edit.

Any process that ranks for a while (the web app, a report worker, the service)
holds a :class:`LiveIndex`: a :class:`Snapshot` of a fitted ranker, swapped in
whole, so a request reads one consistent ranker without a lock. (Names are looked
up in the database, :mod:`matchmaker.directory`: nothing to build per process.)

Every write to a company (in this process or any other sharing the database)
bumps the data revision and stamps the row with it (``Store.changed_since``).
A request compares the revision with its snapshot's (one indexed read) and,
when it moved, applies just the changed companies to a copy-on-write copy of
the ranker (:mod:`ranking.incremental`): milliseconds, where a full refit takes
~46 s at 5,000 companies. So an edit made through one app server shows in the
next ranking of every other one, with no refit and no message between them.

A full refit still happens, in a background thread while searches go on:

* at the start, when no saved fit exists (a saved fit of an older revision is
  loaded and brought forward instead, ``fitted_state.load_latest``);
* when more than :data:`REFIT_SHARE` of the rows changed since the last full
  fit (vocabularies and idf then drift, and dead rows take room), or many
  companies changed at once (a bulk import: a refit is then as quick);
* on demand (:meth:`LiveIndex.refit`).

It is then saved (:mod:`fit_location`), brought up to date with what
changed while it ran, and swapped in. Incremental updates are never saved: a
restart loads the last full fit and applies the changes since its revision.

A changed company's vectors must be in the database before its change applies:
the write path embeds it (``engine.save_and_embed``) right after committing,
and an import holds the embedding lease while it embeds. Until they are there,
the change waits (a request keeps its snapshot; the background refresh waits
for the writer, or embeds itself once the writer is gone or quiet).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import engine, fitted_state, saved_pages
from .embedding import Embedder
from .indexing import stale_fields
from .profiles import Profile
from .ranking import PartnerRanker
from .reports import Progress
from .saved_parts import resolve_all
from .store import Store

#: How long a web write waits for the refreshed ranker before it answers anyway.
EDIT_WAIT_SECONDS = 10.0
#: Stale profiles that no embedding lease covers (written by some other tool) are
#: embedded by the background refresh once no vectors were written for this long.
OTHERS_PATIENCE_SECONDS = 20.0
#: How often the patient refresh looks at the vectors table.
POLL_SECONDS = 0.5
#: After a failed background refresh, searches go on from the old snapshot and the
#: next attempt waits this long, so a broken model is not reloaded on every request.
RETRY_AFTER_FAILURE_SECONDS = 30.0
#: Share of rows changed since the last full fit beyond which a full refit starts ...
REFIT_SHARE = engine.REFIT_SHARE
#: ... but never before this many rows changed (a small set drifts fast, and refits fast).
REFIT_AFTER_ROWS = engine.REFIT_AFTER_ROWS
#: Changed companies applied incrementally in one go, at most (more: refit in full).
MOST_AT_ONCE = engine.MOST_AT_ONCE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """A fitted ranker and the data revision it answers for, swapped in together.

    ``revision`` is the database revision read *before* the profiles were, so a
    write that raced the build makes the snapshot look old and is applied again
    (applying a change twice gives the same ranking). ``ranker`` is None while
    the database holds no company (nothing to fit).
    """

    revision: int
    embedder: Embedder
    ranker: PartnerRanker | None
    fitted_at: float

    @property
    def model_id(self) -> str:
        return self.embedder.model_id


class LiveIndex:
    """The snapshot a process answers from, and the threads that renew it."""

    def __init__(self, db_path: str, patience: float = OTHERS_PATIENCE_SECONDS):
        self.db_path = db_path
        self.patience = patience
        #: Read without a lock: replacing it is one atomic reference assignment.
        self.snapshot: Snapshot | None = None
        self._build_lock = threading.Lock()  # one build or update at a time
        self._state_lock = threading.Lock()  # guards the workers and _failed_at
        self._swapped = threading.Condition()
        self._worker: threading.Thread | None = None
        self._refitter: threading.Thread | None = None
        self._failed_at: float | None = None

    # -- what requests call -------------------------------------------------------

    def current(self, store: Store, embedder: Embedder) -> Snapshot:
        """The snapshot to answer from now, with every change whose vectors are ready.

        Never waits for a full fit once one exists; applying a few changed
        companies is done here, in the request, when no other build runs.
        """
        snapshot = self.snapshot
        if snapshot is None or snapshot.model_id != embedder.model_id:
            return self.refresh(store, embedder)  # nothing to answer from yet
        revision = store.revision()
        if snapshot.revision != revision:
            if self._build_lock.acquire(blocking=False):
                try:
                    snapshot = self._update(store, embedder, revision, wait=False) or snapshot
                finally:
                    self._build_lock.release()
            if snapshot.revision != revision:
                self.refresh_in_background(embedder)
        return snapshot

    def wait_for(self, revision: int, embedder: Embedder, timeout: float) -> bool:
        """Start a refresh and wait until a snapshot of ``revision`` (or newer) serves."""
        deadline = time.monotonic() + timeout
        with self._swapped:
            while not self._serves(revision):
                self.refresh_in_background(embedder)
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._swapped.wait(min(left, POLL_SECONDS))
        return True

    def refresh(
        self,
        store: Store,
        embedder: Embedder,
        progress: Progress | None = None,
        patient: bool = False,
    ) -> Snapshot:
        """Bring the snapshot up to the store's revision, in the calling thread.

        Incrementally when it can, else by a full fit. Used for the first fit,
        by report jobs (which may wait) and by the background thread.
        ``patient`` leaves stale profiles to another process that is embedding
        them (see :data:`OTHERS_PATIENCE_SECONDS`).
        """
        with self._build_lock:
            revision = store.revision()
            snapshot = self._update(store, embedder, revision, wait=True, patient=patient)
            if snapshot is None:
                snapshot = self._build(store, embedder, revision, progress, patient)
                self._swap(snapshot)
            return snapshot

    def refresh_in_background(self, embedder: Embedder) -> None:
        """Start the background refresh unless it runs already (or failed a moment ago)."""
        with self._state_lock:
            if self._worker is not None or self._failed_recently():
                return
            self._worker = threading.Thread(
                target=self._work, args=(embedder,), name="matchmaker-refresh", daemon=True
            )
            self._worker.start()

    def refit(self, embedder: Embedder) -> threading.Thread | None:
        """Start a full refit in the background (swapped in when done); None if one runs."""
        with self._state_lock:
            if self._refitter is not None:
                return None
            self._refitter = threading.Thread(
                target=self._refit, args=(embedder,), name="matchmaker-refit", daemon=True
            )
            self._refitter.start()
            return self._refitter

    @property
    def refreshing(self) -> bool:
        """Whether the background refresh or refit is running."""
        with self._state_lock:
            return self._worker is not None or self._refitter is not None

    # -- the work -------------------------------------------------------------------

    def _update(
        self,
        store: Store,
        embedder: Embedder,
        revision: int,
        wait: bool,
        patient: bool = False,
    ) -> Snapshot | None:
        """The snapshot brought to ``revision`` by applying what changed; None: build instead.

        Called with the build lock held. ``wait`` False (a request) gives up,
        returning None, when a changed company's vectors are not written yet.
        """
        snapshot = self.snapshot
        if snapshot is None or snapshot.model_id != embedder.model_id:
            return None
        if snapshot.revision == revision:
            return snapshot
        if snapshot.ranker is None or revision < snapshot.revision:
            return None  # nothing fitted yet, or another database (a restored backup)
        updated = self._apply_changes(store, embedder, snapshot, revision, wait, patient)
        if updated is not None:
            self._swap(updated)
        return updated

    def _apply_changes(
        self,
        store: Store,
        embedder: Embedder,
        snapshot: Snapshot,
        revision: int,
        wait: bool,
        patient: bool,
    ) -> Snapshot | None:
        ranker = snapshot.ranker
        if store.count_changed_since(snapshot.revision) > MOST_AT_ONCE:
            return None
        changed, deleted = store.changed_since(snapshot.revision)
        if _stale_profiles(store, embedder, changed):
            if not wait:
                return None
            if patient:
                self._wait_for_other_embedders(store, embedder, changed)
            engine.embed_profiles(store, embedder, changed)
        ranker = engine.changes_applied(store, embedder, ranker, changed, deleted)
        if ranker is None:
            return None
        if _wants_refit(ranker):
            self.refit(embedder)
        return Snapshot(revision, embedder, ranker, time.monotonic())

    def _work(self, embedder: Embedder) -> None:
        """Refresh until the snapshot matches the database, then end the thread.

        The thread runs at normal priority on purpose: a niced thread can be
        descheduled on a loaded machine while it holds the GIL, and then every
        request thread waits for it.
        """
        try:
            with Store.open(self.db_path) as store:
                while True:
                    self.refresh(store, embedder, patient=True)
                    with self._state_lock:
                        # Checked under the lock that refresh_in_background takes, so a
                        # write committed after this check starts a new worker.
                        if self._serves(store.revision()):
                            self._worker, self._failed_at = None, None
                            return
        except Exception:
            log.exception("refreshing the ranker failed; searches go on with the previous one")
            with self._state_lock:
                self._worker, self._failed_at = None, time.monotonic()

    def _refit(self, embedder: Embedder) -> None:
        """Fit in full without the build lock (searches and updates go on), then swap in."""
        try:
            with Store.open(self.db_path) as store:
                revision = store.revision()
                fitted = self._fit(store, embedder, revision, None, patient=True)
                with self._build_lock:
                    current, now = self.snapshot, store.revision()
                    if fitted.ranker is not None and now != revision:
                        # what was written while fitting, applied before anyone sees it
                        fitted = self._apply_changes(store, embedder, fitted, now, True, True)
                    if fitted is not None and (current is None or current.revision <= now):
                        self._swap(fitted)
        except Exception:
            log.exception("refitting the ranker failed; searches go on with the previous one")
        finally:
            with self._state_lock:
                self._refitter = None

    def _build(
        self,
        store: Store,
        embedder: Embedder,
        revision: int,
        progress: Progress | None,
        patient: bool,
    ) -> Snapshot:
        """A snapshot of ``revision`` from a saved fit brought forward, else a full fit."""
        saved = fitted_state.load_latest(
            store.path, revision, embedder, store, engine.learned_model(embedder.model_id)
        )
        if saved is not None:  # a restart: the last full fit, plus what changed since
            _warm_up_in_background(saved.ranker, saved.folder)
            start = Snapshot(saved.revision, embedder, saved.ranker, time.monotonic())
            brought = self._apply_changes(store, embedder, start, revision, True, patient)
            if brought is not None:
                return brought
        return self._fit(store, embedder, revision, progress, patient)

    def _fit(
        self,
        store: Store,
        embedder: Embedder,
        revision: int,
        progress: Progress | None,
        patient: bool,
    ) -> Snapshot:
        """A full fit of the live profiles, saved for restarts and other processes."""
        engine.check_vector_model(store, embedder)
        profiles = store.list()
        if patient:
            self._wait_for_other_embedders(store, embedder, profiles)
        ranker = None
        if profiles:  # saved for restarts, arrays written straight to disk (issue 14)
            ranker = engine.build_ranker(
                store, embedder, progress=progress, profiles=profiles, saved_as=revision
            )
        return Snapshot(revision, embedder, ranker, time.monotonic())

    def _wait_for_other_embedders(
        self, store: Store, embedder: Embedder, profiles: list[Profile]
    ) -> None:
        """Wait while someone else writes the vectors these profiles lack.

        Right after ``matchmaker import`` commits, its rows are in the database but
        their vectors are not: the import embeds them next (at ~20 profiles a second
        on two cores). Embedding them here too would double that work and slow
        every search meanwhile. The import holds the embedding lease
        (:func:`engine.embedding_lease_state`) until it is done, so this waits while
        the lease's process lives, and returns as soon as nothing is stale, when
        that process is gone (a killed import), or, with no lease at all (another
        tool wrote the rows, or a web edit is embedding its one profile), once no
        vectors were written for :attr:`patience` s.
        """
        # The mark is read before staleness, so vectors saved in between are seen as news.
        mark, quiet_since = store.vectors_written(), time.monotonic()
        waiting = _stale_profiles(store, embedder, profiles)
        while waiting:
            lease = engine.embedding_lease_state(store)
            if lease == "dead":
                return  # the import that was to embed them is gone: do it here
            if lease is None and time.monotonic() - quiet_since >= self.patience:
                return
            time.sleep(min(POLL_SECONDS / 5, 0.1) if len(waiting) < 10 else POLL_SECONDS)
            now_mark = store.vectors_written()
            if now_mark != mark:
                mark, quiet_since = now_mark, time.monotonic()
                waiting = _stale_profiles(store, embedder, waiting)

    def _swap(self, snapshot: Snapshot) -> None:
        with self._swapped:
            self.snapshot = snapshot
            self._swapped.notify_all()

    def _serves(self, revision: int) -> bool:
        snapshot = self.snapshot
        return snapshot is not None and snapshot.revision >= revision

    def _failed_recently(self) -> bool:
        return (
            self._failed_at is not None
            and time.monotonic() - self._failed_at < RETRY_AFTER_FAILURE_SECONDS
        )


def warm_up(ranker: PartnerRanker) -> None:
    """Import, unpickle and load now what the first incremental update needs (SciPy, the
    scikit-learn vectorizers a saved fit reads on first use, saved_parts, the lexicons
    and the language detector that read the edited profile), so the first edit after a
    start is no slower than the later ones (without the last two: 0.67 s against 0.04 to
    0.09 s at a million profiles, docs/benchmarks.md, "An edit at a million profiles")."""
    import scipy.sparse  # noqa: F401 - growing.grow_csr builds SciPy matrices

    from .lexicon import lexicon
    from .lexicon.fields import native_lexicon
    from .text_languages import detect_language

    resolve_all(ranker)
    lexicon()
    native_lexicon()
    detect_language("A sentence long enough for the language detector to load.")


def _warm_up_in_background(ranker: PartnerRanker, folder: Path) -> None:
    """:func:`warm_up` in a thread, so a server answers while it runs; then the saved
    fit's files are read into the page cache (:mod:`saved_pages`), so the first
    ``match`` of a company does not wait for the disk."""

    def warm() -> None:
        try:
            warm_up(ranker)
        except Exception as exc:  # noqa: BLE001 - the first update meets it again, and says so
            log.warning("could not warm up the loaded fit: %s", exc)
        saved_pages.read_into_cache(folder)

    threading.Thread(target=warm, name="warm-up", daemon=True).start()


def _wants_refit(ranker: PartnerRanker) -> bool:
    """Whether enough rows changed since the last full fit to fit again (in the background)."""
    return engine.wants_refit(ranker, REFIT_SHARE, REFIT_AFTER_ROWS)


def _stale_profiles(store: Store, embedder: Embedder, profiles: list[Profile]) -> list[Profile]:
    if not profiles:
        return []
    stale_ids = {profile.id for profile, *_ in stale_fields(store, profiles, embedder.model_id)}
    return [p for p in profiles if p.id in stale_ids]
