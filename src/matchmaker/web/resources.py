"""What a request needs from the core: a Store, the embedder, a fitted ranker, the directory.

One :class:`Store` per request lives on ``g`` and is closed at teardown, so a
connection never outlives its request or crosses a thread. The embedder (the
model, slow to load) is kept per process.

The fitted ranker and the name directory come from a :class:`Snapshot` of the
live profiles, held by the app's :class:`LiveIndex`. A search never builds
one (except the very first, before anything is fitted; ``matchmaker serve``
does that before it listens): when the database revision has moved on, the
search is answered from the current snapshot and a background thread embeds
what changed and fits the next one, which is then swapped in whole. A bulk
``matchmaker import`` of 1,000 profiles used to freeze every search for up to
46 s, because the first search after it embedded them all while holding the
cache lock.

A write through the web app (an edit, a new company, a delete) embeds its one
profile in the request, as before, and then waits up to
:data:`EDIT_WAIT_SECONDS` for the refreshed snapshot, so the next search shows
the change; only the writer waits, never the searches.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, request

from .. import engine
from ..embedding import Embedder
from ..errors import MatchmakerError
from ..indexing import stale_fields
from ..profiles import Profile
from ..ranking import PartnerRanker
from ..reports import Fitter, Progress
from ..store import NotFoundError, Store, StoreError, synchronous_level
from .errors import respond
from .lookup import Directory

#: Embedders by model setting: the model is loaded once per process, whatever the app.
_EMBEDDERS: dict[str | None, Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()

#: How long a web write waits for the refreshed ranker before it answers anyway (the
#: change then shows as soon as the refresh ends). Fitting 1,000 profiles takes 0.3 s,
#: 10,000 take 3 s (docs/benchmarks.md).
EDIT_WAIT_SECONDS = 10.0
#: Stale profiles that no embedding lease covers (written by some other tool) are
#: embedded by the background refresh once no vectors were written for this long;
#: those of a live ``matchmaker import`` are left to it however long it takes.
OTHERS_PATIENCE_SECONDS = 20.0
#: How often the patient refresh looks at the vectors table.
POLL_SECONDS = 0.5
#: After a failed background refresh, searches go on from the old snapshot and the
#: next attempt waits this long, so a broken model is not reloaded on every request.
RETRY_AFTER_FAILURE_SECONDS = 30.0
#: Retry-After of the 503 for a company that is newer than the current snapshot.
INDEXING_RETRY_AFTER = 5
#: Methods that never write, so they never wait for a refresh.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

log = logging.getLogger(__name__)


class StillIndexing(StoreError):
    """The company exists but was written after the ranker now serving was fitted."""


@dataclass(frozen=True)
class Snapshot:
    """A fitted ranker and the directory of the very same profiles, swapped in together.

    ``revision`` is the database revision read *before* the profiles were, so a
    write that raced the build makes the snapshot look old and triggers another.
    ``ranker`` is None while the database holds no company (nothing to fit).
    """

    revision: int
    embedder: Embedder
    ranker: PartnerRanker | None
    directory: Directory
    fitted_at: float

    @property
    def model_id(self) -> str:
        return self.embedder.model_id


class LiveIndex:
    """The snapshot an app answers from, and the one background thread that renews it."""

    def __init__(self, db_path: str, patience: float = OTHERS_PATIENCE_SECONDS):
        self.db_path = db_path
        self.patience = patience
        #: Read without a lock: replacing it is one atomic reference assignment.
        self.snapshot: Snapshot | None = None
        self._build_lock = threading.Lock()  # one build at a time, in whatever thread
        self._state_lock = threading.Lock()  # guards _worker and _failed_at
        self._swapped = threading.Condition()
        self._worker: threading.Thread | None = None
        self._failed_at: float | None = None

    # -- what requests call -------------------------------------------------------

    def current(self, store: Store, embedder: Embedder) -> Snapshot:
        """The snapshot to answer from now; never waits for a build once one exists."""
        snapshot = self.snapshot
        if snapshot is None or snapshot.model_id != embedder.model_id:
            return self.refresh(store, embedder)  # nothing to answer from yet
        if snapshot.revision != store.revision():
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

        Used for the first fit, by report jobs (which may wait) and by the
        background thread. ``patient`` leaves stale profiles to another process
        that is embedding them (see :data:`OTHERS_PATIENCE_SECONDS`).
        """
        with self._build_lock:
            snapshot, revision = self.snapshot, store.revision()
            if (
                snapshot is not None
                and snapshot.revision == revision
                and snapshot.model_id == embedder.model_id
            ):
                return snapshot
            snapshot = self._build(store, embedder, revision, progress, patient)
            self._swap(snapshot)
            return snapshot

    def refresh_in_background(self, embedder: Embedder) -> None:
        """Start the background refresh unless it runs already (or failed a moment ago)."""
        with self._state_lock:
            if self._worker is not None:
                return
            if (
                self._failed_at is not None
                and time.monotonic() - self._failed_at < RETRY_AFTER_FAILURE_SECONDS
            ):
                return
            self._worker = threading.Thread(
                target=self._work, args=(embedder,), name="matchmaker-refresh", daemon=True
            )
            self._worker.start()

    @property
    def refreshing(self) -> bool:
        """Whether the background refresh is running (waiting, embedding or fitting)."""
        with self._state_lock:
            return self._worker is not None

    # -- the work -------------------------------------------------------------------

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

    def _build(
        self,
        store: Store,
        embedder: Embedder,
        revision: int,
        progress: Progress | None,
        patient: bool,
    ) -> Snapshot:
        saved = engine.load_saved_ranker(store, embedder, revision)  # a restart: no refit
        if saved is not None:
            return Snapshot(
                revision, embedder, saved, Directory(saved.profiles_), time.monotonic()
            )
        profiles = store.list()
        if patient:
            self._wait_for_other_embedders(store, embedder, profiles)
        ranker = None
        if profiles:
            ranker = engine.fitted_ranker(
                store, embedder, revision, progress=progress, profiles=profiles
            )
        return Snapshot(revision, embedder, ranker, Directory(profiles), time.monotonic())

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
        tool wrote the rows), once no vectors were written for :attr:`patience` s.
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
            time.sleep(POLL_SECONDS)
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


def _stale_profiles(store: Store, embedder: Embedder, profiles: list[Profile]) -> list[Profile]:
    stale_ids = {profile.id for profile, *_ in stale_fields(store, profiles, embedder.model_id)}
    return [p for p in profiles if p.id in stale_ids]


# -- Flask wiring ----------------------------------------------------------------------


def init_app(app: Flask) -> None:
    # FULL unless set: a commit the app reported as saved survives a power cut
    app.config["SYNCHRONOUS"] = synchronous_level(app.config.get("SYNCHRONOUS"))
    app.extensions["matchmaker"] = LiveIndex(
        str(app.config["DB"]),
        patience=float(app.config.get("REFRESH_PATIENCE_SECONDS", OTHERS_PATIENCE_SECONDS)),
    )
    migrate_at_start(app)
    app.after_request(show_writes_promptly)
    app.teardown_appcontext(close_store)
    app.register_error_handler(StillIndexing, _still_indexing)


def migrate_at_start(app: Flask) -> None:
    """Bring the database's schema up to date once, when the app starts.

    Requests then open it without migrating. A database that cannot be opened
    yet (missing, locked) is left alone here: the first request that can open
    it migrates it, and until then requests answer with what is wrong.
    """
    app.extensions["matchmaker_migrated"] = False
    try:
        Store.open(app.config["DB"], synchronous=app.config["SYNCHRONOUS"]).close()
    except MatchmakerError:
        return
    app.extensions["matchmaker_migrated"] = True


def get_store() -> Store:
    """The request's Store, opened on first use (migrated only if start-up could not)."""
    if "store" not in g:
        app = current_app._get_current_object()
        migrated = app.extensions.get("matchmaker_migrated", False)
        g.store = Store.open(
            app.config["DB"], synchronous=app.config["SYNCHRONOUS"], migrate=not migrated
        )
        app.extensions["matchmaker_migrated"] = True
    return g.store


def close_store(_exc: BaseException | None = None) -> None:
    g.pop("snapshot", None)
    store = g.pop("store", None)
    if store is not None:
        store.close()


def get_embedder() -> Embedder:
    """The configured embedder, shared by every app in this process."""
    setting = current_app.config.get("MODEL")
    with _EMBEDDERS_LOCK:
        if setting not in _EMBEDDERS:
            _EMBEDDERS[setting] = engine.make_embedder(setting)
        return _EMBEDDERS[setting]


def live_index() -> LiveIndex:
    return current_app.extensions["matchmaker"]


def get_snapshot() -> Snapshot:
    """The snapshot this request answers from: taken once, so ranker and directory agree."""
    if "snapshot" not in g:
        g.snapshot = live_index().current(get_store(), get_embedder())
    return g.snapshot


def get_ranker(company_id: str | None = None) -> PartnerRanker:
    """The fitted ranker now serving; with ``company_id``, one that knows that company.

    A company written after the serving ranker was fitted (a moment ago, by an
    import) is answered with a 503 and Retry-After instead of a wrong 404.
    """
    ranker = get_snapshot().ranker
    if ranker is None:
        raise NotFoundError("there are no companies yet; add some with 'matchmaker import'")
    if company_id is not None and company_id not in ranker.index_:
        raise StillIndexing(
            f"'{company_id}' was added a moment ago and is still being indexed; "
            "try again in a minute"
        )
    return ranker


def get_directory() -> Directory:
    """Names and sectors of the profiles the serving ranker was fitted on."""
    return get_snapshot().directory


def ranker_fitter() -> Fitter:
    """The app's ranker as a report fitter, usable from a background thread.

    A report job then shares the ranker that searches use instead of fitting a
    second copy (at 100k companies, a minute of work and a gigabyte of memory).
    Unlike a search, a report waits for the ranker to match its database revision.
    """
    index, embedder = live_index(), get_embedder()

    def fit(store: Store, progress: Progress | None = None) -> PartnerRanker:
        ranker = index.refresh(store, embedder, progress).ranker
        if ranker is None:
            raise NotFoundError("there are no companies to rank; add some with 'matchmaker import'")
        return ranker

    return fit


def show_writes_promptly(response: Response) -> Response:
    """After a web write, wait (bounded) for the refreshed ranker, so the next search shows it.

    The edit itself was embedded in the request (one profile, milliseconds), so
    the refresh only fits. Reads and requests that changed nothing return at once.
    """
    store: Store | None = g.get("store")
    snapshot = live_index().snapshot
    if request.method in READ_METHODS or store is None or snapshot is None:
        return response
    revision = store.revision()
    if revision != snapshot.revision:
        live_index().wait_for(revision, snapshot.embedder, EDIT_WAIT_SECONDS)
    return response


def _still_indexing(exc: StillIndexing):
    response = respond(503, str(exc))
    if isinstance(response, tuple):
        response = current_app.make_response(response)
    response.headers["Retry-After"] = str(INDEXING_RETRY_AFTER)
    return response
