"""What a request needs from the core: a Store, the embedder, a fitted ranker, the directory.

One :class:`Store` per request lives on ``g`` and is closed at teardown, so a
connection never outlives its request or crosses a thread. The embedder (the
model, slow to load) is kept per process.

The fitted ranker comes from a :class:`Snapshot` held by
the app's :class:`~matchmaker.live_index.LiveIndex` (outside the web package,
so the CLI, report jobs and the service can hold one too). A request applies
the companies changed since its snapshot (in this process or any other sharing
the database) in milliseconds, without a refit; a full refit runs in the
background only when much has changed. Names (the type-ahead, the company a
search names, the sector list) are looked up in the database itself
(:class:`~matchmaker.directory.Directory`), so they are never behind it.

A write through the web app (an edit, a new company, a delete) embeds its one
profile in the request, as before, and then waits up to
:data:`EDIT_WAIT_SECONDS` for the snapshot to include it, so the next search
shows the change; only the writer waits, never the searches.
"""

from __future__ import annotations

import threading

from flask import Flask, Response, current_app, g, request

from ..directory import Directory
from ..embedding import Embedder
from ..errors import MatchmakerError
from ..live_index import (
    EDIT_WAIT_SECONDS,
    OTHERS_PATIENCE_SECONDS,
    LiveIndex,
    Snapshot,
)
from ..ranking import PartnerRanker
from ..reports import Fitter, Progress
from ..service import make_embedder
from ..store import NotFoundError, Store, StoreError, synchronous_level
from .errors import respond

__all__ = ["LiveIndex", "Snapshot", "get_directory", "get_ranker", "get_snapshot", "get_store"]

#: Embedders by model setting: the model is loaded once per process, whatever the app.
_EMBEDDERS: dict[str | None, Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()

#: Retry-After of the 503 for a company that is newer than the current snapshot.
INDEXING_RETRY_AFTER = 5
#: Methods that never write, so they never wait for a refresh.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class StillIndexing(StoreError):
    """The company exists but was written after the ranker now serving was fitted."""


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
            _EMBEDDERS[setting] = make_embedder(setting)
        return _EMBEDDERS[setting]


def live_index() -> LiveIndex:
    return current_app.extensions["matchmaker"]


def get_snapshot() -> Snapshot:
    """The snapshot this request answers from: taken once, so one ranker answers it."""
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
    """Names and sectors of the live companies, read from this request's store.

    A company found here but newer than the serving ranker is answered by
    ``get_ranker(company_id)`` with a 503 "still indexing", not a wrong 404.
    """
    if "directory" not in g:
        g.directory = Directory(get_store())
    return g.directory


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
