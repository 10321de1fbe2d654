"""A trilingual domain lexicon: the same idea in English, Latvian and Korean, as one term.

A Korean profile and an English need share no words except acronyms
("제네릭 의약품 유통" and "generic medicines distribution"), so BM25 loses a
third of its quality across languages (docs/languages.md). The embedding model
bridges languages, but word matching is where product terms and kinds of firms
are strongest. This module adds *information*, not weights: each text that is
indexed or searched gets, besides its own words, one **concept term** per
domain concept it mentions (``lx_generic``, ``lx_distribution``), whatever the
language. The concepts and their surface forms are data
(``concepts.tsv``: about 300 concepts from pharma, biotech, medtech and the
trade between Latvia and Korea), written for this project.

Matching reads the text exactly as the lexical signals do
(:func:`matchmaker.text_languages.lexical_form`), so the forms are analysed by
the same tools: Korean forms by Kiwi into content morphemes (의료기기 -> 의료 기기,
matched as a sequence), Latvian forms by the same stemmer (zāles, zāļu -> zāl),
English forms as lower-case words. Latin letters are compared without
diacritics (zales = zāles) and with a plural -s taken off, and a Latin word is
also tried as a Latvian stem, since a short Latvian phrase is not always
recognised as Latvian.

Kiwi is needed only for Korean forms, and only a text with Hangul can match
them, so the Korean half of the index is built on the first Hangul text (when
Kiwi is loaded anyway): English-only processes never load it.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..text_languages import korean_tokens, latvian_clause, latvian_stem, lexical_form

#: the concept list shipped with matchmaker
CONCEPTS_FILE = Path(__file__).with_name("concepts.tsv")

#: what a concept term starts with: no word of any of the three languages does
CONCEPT_PREFIX = "lx_"

# A token of analysed text: a word, with hyphens or apostrophes inside it kept ("car-t",
# "eu-gmp", "alzheimer's"), so that CAR-T is not read as "car".
_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*", re.UNICODE)
_HANGUL = re.compile(r"[\uac00-\ud7a3]")

Key = tuple[str, ...]


@dataclass(frozen=True)
class Concept:
    """One idea and how it is written in each language."""

    id: str
    group: str
    english: tuple[str, ...]
    latvian: tuple[str, ...]
    korean: tuple[str, ...]


class LexiconError(ValueError):
    """The concept file is malformed: says the line."""


def load_concepts(path: Path = CONCEPTS_FILE) -> list[Concept]:
    """Read the concept file: ``id<TAB>English<TAB>Latvian<TAB>Korean``, forms split by ';'."""
    concepts, group, seen = [], "", set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("# group:"):
            group = line.split(":", 1)[1].strip()
            continue
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) != 4 or not re.fullmatch(r"[a-z0-9_]+", cells[0]):
            raise LexiconError(f"{path.name}, line {number}: expected id and three form lists")
        if cells[0] in seen:
            raise LexiconError(f"{path.name}, line {number}: concept {cells[0]!r} is used twice")
        seen.add(cells[0])
        english, latvian, korean = (_forms(cell) for cell in cells[1:])
        concepts.append(Concept(cells[0], group, english, latvian, korean))
    return concepts


#: Groups written but not shipped: each helped neither translated set (organisations
#: hurt both; docs/languages.md, "The domain lexicon"). benchmarks/language_gap.py
#: --lexicon still measures them ("with ...").
LEFT_OUT_GROUPS = frozenset({"industry", "organisations", "specialised"})


def shipped_concepts() -> list[Concept]:
    """The concepts the ranker uses: the file less :data:`LEFT_OUT_GROUPS`."""
    return [c for c in load_concepts() if c.group not in LEFT_OUT_GROUPS]


def _forms(cell: str) -> tuple[str, ...]:
    return tuple(form.strip() for form in cell.split(";") if form.strip())


# -- keys: how a word is compared ------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def word_key(token: str) -> str:
    """A Latin word without diacritics or plural -s; Hangul unchanged."""
    token = token.lower()
    if _HANGUL.search(token):
        return token
    plain = "".join(
        ch for ch in unicodedata.normalize("NFD", token) if not unicodedata.combining(ch)
    )
    if len(plain) > 4 and plain.endswith("ies"):
        return plain[:-3] + "y"
    if len(plain) > 3 and plain.endswith("s") and not plain.endswith(("ss", "us", "is")):
        return plain[:-1]
    return plain


@lru_cache(maxsize=1 << 16)
def token_keys(token: str) -> frozenset[str]:
    """The keys a text token can match: itself, and its Latvian stem for a Latin word."""
    keys = {word_key(token)}
    if not _HANGUL.search(token):
        keys.add(word_key(latvian_stem(token)))
    return frozenset(keys)


def _key_of(analysed: str) -> Key:
    return tuple(word_key(t) for t in _TOKEN.findall(analysed))


# -- Korean: Kiwi's morphemes, prefixes kept ----------------------------------------------

# Morphemes a Korean form is made of: nouns, roots, prefixes and noun suffixes, numbers,
# Latin words, determiners and adverbs. A prefix (전임상 "preclinical" = 전 + 임상) must be
# seen, or 전임상 would read as 임상 "clinical"; particles, endings and verbs are not.
_KOREAN_TAGS = frozenset({"XR", "XPN", "XSN", "SL", "SN", "SH", "MM", "MAG"})
# A morpheme glued in front of a match changes its meaning: 다기관 is not 기관.
_KOREAN_MODIFIERS = frozenset({"XPN", "MM", "MAG"})


@dataclass(frozen=True)
class Morpheme:
    key: str
    tag: str
    start: int
    end: int


def korean_morphemes(text: str) -> list[Morpheme]:
    """The morphemes of a text that concepts are matched on (see ``_KOREAN_TAGS``)."""
    return [
        Morpheme(word_key(t.form), t.tag, t.start, t.start + t.len)
        for t in korean_tokens(text)
        if t.tag.startswith("N") or t.tag in _KOREAN_TAGS
    ]


# Kiwi reads a word by its context: 전임상 alone is 전임 + 상, before a noun 전 + 임상 (as it
# is in a sentence). A form is analysed both ways and matched in either.
_KOREAN_CONTEXT = " 분야"


def _korean_keys(form: str) -> set[Key]:
    """The morpheme sequences a Korean form can take, alone and followed by a noun."""
    keys = set()
    for text in (form, form + _KOREAN_CONTEXT):
        key = tuple(m.key for m in korean_morphemes(text) if m.start < len(form))
        if key:
            keys.add(key)
    return keys


# -- the index -------------------------------------------------------------------------


class Lexicon:
    """Concepts indexed by their forms' first key, longest forms first."""

    def __init__(self, concepts: Sequence[Concept], groups: Iterable[str] | None = None):
        wanted = set(groups) if groups is not None else None
        self.concepts = [c for c in concepts if wanted is None or c.group in wanted]
        self._latin: dict[str, list[tuple[Key, str]]] = {}
        self._korean: dict[str, list[tuple[Key, str]]] | None = None
        self._lock = threading.Lock()
        for concept in self.concepts:
            for form in concept.english:
                self._add(self._latin, _key_of(form.lower()), concept.id)
            for form in concept.latvian:
                self._add(self._latin, _key_of(latvian_clause(form.lower())), concept.id)
                self._add(self._latin, _key_of(form.lower()), concept.id)

    @staticmethod
    def _add(index: dict[str, list[tuple[Key, str]]], key: Key, concept: str) -> None:
        if not key:
            return
        entries = index.setdefault(key[0], [])
        if (key, concept) not in entries:
            entries.append((key, concept))
            entries.sort(key=lambda entry: -len(entry[0]))

    def _korean_index(self) -> dict[str, list[tuple[Key, str]]]:
        """Korean forms through Kiwi, built once, on the first text with Hangul.

        A form without Hangul (CRO, GMP in the Korean column) is left to the
        Latin index, which reads the Latin words of Korean text too.
        """
        with self._lock:
            if self._korean is None:
                index: dict[str, list[tuple[Key, str]]] = {}
                for concept in self.concepts:
                    for form in concept.korean:
                        if _HANGUL.search(form):
                            for key in _korean_keys(form):
                                self._add(index, key, concept.id)
                self._korean = index
            return self._korean

    def concepts_in(self, text: str, analysed: str | None = None) -> list[str]:
        """Concept ids mentioned in a text, once per mention.

        ``analysed`` is ``lexical_form(text)`` when the caller has it. Every form
        found counts, overlapping ones of different concepts included ("medical
        device" is the concept medical_device and also device, as 의료기기 is);
        one concept is counted once where its forms overlap.
        """
        analysed = lexical_form(text) if analysed is None else analysed
        latin = [t for t in _TOKEN.findall(analysed) if not _HANGUL.search(t)]
        found = _scan(self._latin, [token_keys(t) for t in latin])
        if _HANGUL.search(text):
            found += self._korean_concepts(unicodedata.normalize("NFC", text))
        return found

    def _korean_concepts(self, text: str) -> list[str]:
        morphemes = korean_morphemes(text)
        glued = [
            i > 0
            and morphemes[i - 1].tag in _KOREAN_MODIFIERS
            and morphemes[i - 1].end == m.start
            for i, m in enumerate(morphemes)
        ]
        keys = [frozenset({m.key}) for m in morphemes]
        return _scan(self._korean_index(), keys, skip=glued)


def _scan(
    index: dict[str, list[tuple[Key, str]]],
    keys: list[frozenset[str]],
    skip: list[bool] | None = None,
) -> list[str]:
    """Concepts whose forms occur in a token sequence (each token: the keys it may match)."""
    found: list[str] = []
    until: dict[str, int] = {}  # a concept's last match ends here: overlaps count once
    for i, candidates in enumerate(keys):
        if skip and skip[i]:
            continue
        here: dict[str, None] = {}
        for key in candidates:
            for form, concept in index.get(key, ()):
                if concept not in here and until.get(concept, 0) <= i and _matches(form, keys, i):
                    here[concept] = None
                    until[concept] = i + len(form)
        found.extend(here)
    return found


def _matches(form: Key, keys: list[frozenset[str]], start: int) -> bool:
    if start + len(form) > len(keys):
        return False
    return all(part in keys[start + k] for k, part in enumerate(form))


_lexicon_lock = threading.Lock()
_lexicon: Lexicon | None = None


def lexicon() -> Lexicon:
    """The shipped lexicon, loaded once per process."""
    global _lexicon
    with _lexicon_lock:
        if _lexicon is None:
            _lexicon = Lexicon(shipped_concepts())
        return _lexicon


def use_lexicon(replacement: Lexicon | None) -> None:
    """Swap the process's lexicon (benchmarks measure groups of concepts one at a time)."""
    global _lexicon
    with _lexicon_lock:
        _lexicon = replacement
    with_concepts.cache_clear()
    concept_text.cache_clear()


def concept_terms(text: str, analysed: str | None = None) -> list[str]:
    """The concept terms (``lx_<id>``) of a text, one per mention."""
    return [CONCEPT_PREFIX + concept for concept in lexicon().concepts_in(text, analysed)]


@lru_cache(maxsize=1 << 16)
def concept_text(text: str) -> str:
    """Only the concept terms of a text, space-separated: what the concept index reads."""
    return " ".join(concept_terms(text))


@lru_cache(maxsize=1 << 16)
def with_concepts(text: str) -> str:
    """``lexical_form(text)`` followed by its concept terms: what BM25 indexes and searches.

    A scikit-learn ``preprocessor``, like ``lexical_form``; cached for the same
    reason (the index reads every profile text).
    """
    analysed = lexical_form(text)
    terms = concept_terms(text, analysed)
    return f"{analysed} {' '.join(terms)}" if terms else analysed
