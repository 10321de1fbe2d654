"""What a request needs from the core: a Store, the embedder, a fitted ranker, the directory.

One :class:`Store` per request lives on ``g`` and is closed at teardown, so a
connection never outlives its request or crosses a thread. The embedder (the
model, slow to load) is kept per process; the fitted ranker and the name
directory are cached per process keyed by ``store.revision()`` and model id:
a search reuses them, and any write to a company bumps the revision, so the
next request sees the change at once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import Flask, current_app, g

from .. import engine
from ..embedding import Embedder
from ..ranking import PartnerRanker
from ..reports import Fitter, Progress
from ..store import Store, synchronous_level
from .lookup import Directory

#: Embedders by model setting: the model is loaded once per process, whatever the app.
_EMBEDDERS: dict[str | None, Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


@dataclass
class _Cache:
    """Per-app fitted state, rebuilt when the database revision or model changes."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    ranker_key: tuple[int, str] | None = None
    ranker: PartnerRanker | None = None
    directory_key: int | None = None
    directory: Directory | None = None


def init_app(app: Flask) -> None:
    # FULL unless set: a commit the app reported as saved survives a power cut
    app.config["SYNCHRONOUS"] = synchronous_level(app.config.get("SYNCHRONOUS"))
    app.extensions["matchmaker"] = _Cache()
    app.teardown_appcontext(close_store)


def get_store() -> Store:
    """The request's Store, opened on first use."""
    if "store" not in g:
        config = current_app.config
        g.store = Store.open(config["DB"], synchronous=config["SYNCHRONOUS"])
    return g.store


def close_store(_exc: BaseException | None = None) -> None:
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


def _cache() -> _Cache:
    return current_app.extensions["matchmaker"]


def get_ranker() -> PartnerRanker:
    """A ranker fitted on the live profiles, rebuilt only after a company write."""
    return _cached_ranker(_cache(), get_embedder(), get_store())


def ranker_fitter() -> Fitter:
    """The app's cached ranker as a report fitter, usable from a background thread.

    A report job then shares the ranker that searches use instead of fitting a
    second copy (at 100k companies, a minute of work and a gigabyte of memory).
    """
    cache, embedder = _cache(), get_embedder()

    def fit(store: Store, progress: Progress | None = None) -> PartnerRanker:
        return _cached_ranker(cache, embedder, store, progress)

    return fit


def _cached_ranker(
    cache: _Cache, embedder: Embedder, store: Store, progress: Progress | None = None
) -> PartnerRanker:
    with cache.lock:
        key = (store.revision(), embedder.model_id)
        if cache.ranker is None or cache.ranker_key != key:
            cache.ranker = engine.build_ranker(store, embedder, progress=progress)
            cache.ranker_key = key
        return cache.ranker


def get_directory() -> Directory:
    """Names and sectors of the live profiles, for type-ahead and filters."""
    store, cache = get_store(), _cache()
    with cache.lock:
        key = store.revision()
        if cache.directory is None or cache.directory_key != key:
            cache.directory = Directory(store.list())
            cache.directory_key = key
        return cache.directory
