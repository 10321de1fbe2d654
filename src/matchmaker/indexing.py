"""Indexing: keeping each profile's stored vectors in step with its text.

A field (see :data:`texts.FIELDS`) is re-embedded only when the hash of its
text plus the model id changes, so an import or an edit embeds what changed
and nothing else. Work is saved in batches, so an interrupted run keeps what
it finished. This is the one place where embedding meets the database;
:mod:`embedding` itself only turns texts into vectors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np

from .embedding import Embedder
from .profiles import Profile
from .store import Store, VectorRow
from .texts import FIELDS

#: Up to this many profiles, staleness is read for them alone (an edit, a small delta).
FEW_PROFILES = 500


def text_hash(model_id: str, texts: list[str]) -> str:
    digest = hashlib.sha256(model_id.encode())
    for text in texts:
        digest.update(b"\x00" + text.encode())
    return digest.hexdigest()[:16]


def stale_fields(
    store: Store, profiles: list[Profile], model_id: str
) -> list[tuple[Profile, str, list[str], str]]:
    """(profile, field, texts, hash) for every field whose stored vectors are missing or old."""
    few = [p.id for p in profiles] if len(profiles) <= FEW_PROFILES else None
    known = store.vector_hashes(model_id, few)  # a few: by key, not the whole table
    todo = []
    for profile in profiles:
        for field, texts_of in FIELDS.items():
            texts = texts_of(profile)
            digest = text_hash(model_id, texts)
            if known.get((profile.id, field)) != digest:
                todo.append((profile, field, texts, digest))
    return todo


def embed_profiles(
    store: Store,
    embedder: Embedder,
    profiles: list[Profile] | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch_profiles: int = 64,
) -> int:
    """Embed what is stale for the given (default: all live) profiles; return fields embedded.

    Work is saved in batches, so an interrupted run keeps what it finished.
    ``progress(done, total)`` is called after each batch, counting fields.
    """
    profiles = store.list() if profiles is None else profiles
    todo = stale_fields(store, profiles, embedder.model_id)
    done = 0
    for start in range(0, len(todo), batch_profiles * len(FIELDS)):
        chunk = todo[start : start + batch_profiles * len(FIELDS)]
        all_texts = [t for _, _, texts, _ in chunk for t in texts]
        vectors = embedder.encode(all_texts) if all_texts else None
        rows, offset = [], 0
        for profile, field, texts, digest in chunk:
            dim = vectors.shape[1] if vectors is not None else 0
            matrix = (
                vectors[offset : offset + len(texts)]
                if texts
                else np.zeros((0, dim), dtype=np.float32)
            )
            offset += len(texts)
            rows.append(VectorRow(profile.id, field, digest, matrix, texts))
        store.save_vectors(embedder.model_id, rows)
        done += len(chunk)
        if progress:
            progress(done, len(todo))
    return done
