"""Text in English, Latvian and Korean: which language a field is in, and words to match on.

Korean companies describe themselves in Korean and Latvian firms often in
Latvian (issue 11). Word matching (BM25, the shared terms quoted in reasons)
then fails in ways an English tokenizer cannot see:

* Korean glues particles and endings to nouns: 유통사를 ("distributor" +
  object particle) never equals 유통사, and compounds such as 임상시험기관
  ("clinical trial site") are one token. Kiwi (``kiwipiepy``, which ships its
  model in ``kiwipiepy-model``) splits them into morphemes; the content
  morphemes (nouns, roots, numbers) are what is matched.
* Latvian inflects: izplatītājs, izplatītāju, izplatītājiem are one word. A
  light suffix stripper (no dictionary) maps them to one stem; how much it
  helps was measured on ``eval/multilingual/`` (docs/languages.md).
* Acronyms and codes (EU-GMP, MFDS, CE-IVD, GMP, PCR) are written the same in
  all three languages, so they are never stemmed: they match across languages.

English text passes through :func:`lexical_form` unchanged, so English
ranking is exactly what it was. :func:`detect_language` (``lingua``,
restricted to the three languages for speed and accuracy) labels each field of
a profile; the labels are stored with the profile and shown in its JSON.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiwipiepy import Kiwi
    from lingua import LanguageDetector

#: the languages matchmaker reads, as ISO 639-1 codes
LANGUAGES = ("en", "lv", "ko")

#: the profile fields whose language is detected and stored
DETECTED_FIELDS = ("description", "offers", "seeks")

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]+")
_LATVIAN_LETTERS = re.compile(r"[āčēģīķļņšūž]", re.IGNORECASE)
# Where a Latin-script text is cut before deciding whether a piece is Latvian: a profile
# text joins an English name and sector tags to a Latvian description.
_CLAUSE = re.compile(r"[^.;:!?\n]+[.;:!?\n]*")
_WORD = re.compile(r"\w+", re.UNICODE)
# Letters in a text below which no language is claimed ("PCR", "EU-GMP", a brand name).
_MIN_LETTERS = 8

#: Kiwi's tags kept for matching: general and proper nouns, roots, numbers, and the
#: Latin words and Hanja inside Korean text. Particles, endings, verbs and adverbs go
#: (the verbs of a need, 찾습니다 "we are looking for", say nothing about what).
_KOREAN_CONTENT_TAGS = frozenset({"NNG", "NNP", "NR", "XR", "SN", "SL", "SH"})


def _words(text: str) -> list[str]:
    """A word list written as one string, so long lists stay readable."""
    return text.split()


#: Korean content morphemes too general to match on (like English stop words).
KOREAN_STOP_WORDS = frozenset(
    _words(
        "등 관련 대한 통한 위한 기타 각종 다양 주요 이상 이하 경우 현재 정도 부분 가지 여러 "
        "가능 해당 자체 내용 이후 이전 당사 자사 저희 우리 회사 기업 업체"
    )
)

#: Latvian function words (conjunctions, prepositions, pronouns, auxiliaries), lower case.
LATVIAN_STOP_WORDS = frozenset(
    _words(
        "un vai ar arī bet jo ka kā kas ko kur kad lai ja gan nav ir bija būs būt tiek tika tiks "
        "var varam uz no par pie pēc pret bez caur starp līdz virs zem ap aiz priekš pa iekš "
        "mēs mūsu mums mūs jūs jūsu viņi viņu viņš viņa tas tā tie tās to šo šī šis šie šīs "
        "savu savs sava savas savus savā savos kurš kura kuri kuras kuru kurā kurās kuros "
        "ļoti tikai vēl jau cits cita citi citas citu citus visi visas visu viss kā arī "
        "gan tad tur te šeit tāpēc tādēļ kopā"
    )
)

# Latvian inflectional endings of nouns, adjectives and verbs, longest first: stripped
# once, and only when at least three letters stay. Derivational suffixes (-šana, -tājs)
# stay: they change the meaning (izplatīšana "distribution", izplatītājs "distributor").
_LATVIAN_ENDINGS = tuple(
    sorted(
        _words(
            "ajiem ajām ajās ajai ajam ajos ajā ajo iem ais ies ām ēm īm ūm ās ēs os us is "
            "as es ai ei am em im um ie ij ot at it ēt īt s š a e i u ā ē ī ū o"
        ),
        key=len,
        reverse=True,
    )
)
# A stem's last consonant alternates with its palatal form (zāles / zāļu "medicines",
# slimnīca / slimnīcā is fine but ceļš / ceļa): both are matched as the plain letter.
_PALATAL = str.maketrans({"ļ": "l", "ņ": "n", "ķ": "k", "ģ": "g"})

_kiwi_lock = threading.Lock()
_kiwi: Kiwi | None = None


def kiwi() -> Kiwi:
    """The Korean analyser, loaded once per process on first use (it takes seconds)."""
    global _kiwi
    with _kiwi_lock:
        if _kiwi is None:
            from kiwipiepy import Kiwi

            _kiwi = Kiwi()
        return _kiwi


@lru_cache(maxsize=1)
def detector() -> LanguageDetector:
    """lingua restricted to English, Latvian and Korean, loaded once per process."""
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(
        Language.ENGLISH, Language.LATVIAN, Language.KOREAN
    ).build()


_CODES = {"ENGLISH": "en", "LATVIAN": "lv", "KOREAN": "ko"}


def detect_language(text: str | None) -> str | None:
    """'en', 'lv' or 'ko' for a text, or None when it is too short to tell.

    Hangul decides at once (no other of the three languages writes it); a text
    with fewer than eight letters (an acronym, a code, a brand name) gets no
    label rather than a guess.
    """
    text = (text or "").strip()
    letters = sum(ch.isalpha() for ch in text)
    if letters < _MIN_LETTERS and not _HANGUL.search(text):
        return None
    hangul = sum(len(run) for run in _HANGUL.findall(text))
    if hangul * 2 >= letters:
        return "ko"
    found = detector().detect_language_of(text)
    return _CODES.get(found.name) if found is not None else None


def field_languages(fields: dict[str, str | None]) -> dict[str, str]:
    """The detected language of each non-empty field among ``DETECTED_FIELDS``."""
    found = {}
    for name in DETECTED_FIELDS:
        language = detect_language(fields.get(name))
        if language:
            found[name] = language
    return found


def profile_languages(languages: dict[str, str]) -> list[str]:
    """The languages a profile is written in, most fields first (for a short label)."""
    counts: dict[str, int] = {}
    for language in languages.values():
        counts[language] = counts.get(language, 0) + 1
    return sorted(counts, key=lambda lang: (-counts[lang], LANGUAGES.index(lang)))


# -- words to match on -----------------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def lexical_form(text: str) -> str:
    """Lower-cased text with Korean reduced to content morphemes and Latvian to stems.

    The vectorizers' token patterns then run on the result, so English words,
    acronyms and codes are cut exactly as before. Used as scikit-learn's
    ``preprocessor`` by every lexical signal, so a query and the profiles are
    always read the same way. Cached: each vectorizer reads every profile text.
    """
    text = unicodedata.normalize("NFC", text or "")
    if _HANGUL.search(text):
        text = korean_content(text)
    if _LATVIAN_LETTERS.search(text):
        in_latvian = _is_latvian(text)
        text = "".join(
            latvian_clause(clause) if _is_latvian(clause, in_latvian) else clause
            for clause in _CLAUSE.findall(text)
        )
    return text.lower()


def korean_content(text: str) -> str:
    """Each run of Hangul replaced by its content morphemes, space-separated.

    유통사를 찾습니다 -> 유통 사 (the particle 를 and the verb 찾습니다 go), the same
    as 유통사: a need and a profile that inflect one word differently still match.
    Everything outside Hangul is kept as written, so EU-GMP stays one term.
    """
    tokens = korean_tokens(text)
    out, position, t = [], 0, 0
    for run in _HANGUL.finditer(text):
        out.append(text[position : run.start()])
        while t < len(tokens) and tokens[t].start < run.start():
            t += 1
        kept = []
        while t < len(tokens) and tokens[t].start < run.end():
            token = tokens[t]
            if token.tag in _KOREAN_CONTENT_TAGS and token.form not in KOREAN_STOP_WORDS:
                kept.append(token.form)
            t += 1
        out.append(" " + " ".join(kept) + " ")
        position = run.end()
    out.append(text[position:])
    return "".join(out)


@lru_cache(maxsize=1 << 14)
def korean_tokens(text: str) -> tuple:
    """Kiwi's morphemes of a text (form, tag, start, len), cached: the words to match on and
    the lexicon's concepts (``matchmaker.lexicon``) both read them."""
    return tuple(kiwi().tokenize(text))


def latvian_clause(clause: str) -> str:
    """A Latvian clause with function words dropped and every other word stemmed."""
    return _WORD.sub(lambda m: _latvian_word(m.group()), clause)


def _latvian_word(word: str) -> str:
    if word.lower() in LATVIAN_STOP_WORDS:
        return ""
    return latvian_stem(word)


def latvian_stem(word: str) -> str:
    """izplatītājs, izplatītāju, izplatītājiem -> izplatītāj; acronyms and codes unchanged."""
    if not word.isalpha() or (word.isupper() and len(word) > 1):
        return word
    lower = word.lower()
    for ending in _LATVIAN_ENDINGS:
        if lower.endswith(ending) and len(lower) - len(ending) >= 3:
            stem = lower[: -len(ending)]
            return stem[:-1] + stem[-1].translate(_PALATAL)
    return lower


def is_latvian_clause(clause: str, in_latvian_text: bool = False) -> bool:
    """Whether ``lexical_form`` reads this clause as Latvian (the lexicon's field reading
    asks the same question, so both agree on what is Latvian)."""
    return _is_latvian(clause, in_latvian_text)


def _is_latvian(clause: str, in_latvian_text: bool = False) -> bool:
    """A clause that reads as Latvian: by its letters, its function words and lingua.

    A clause without Latvian letters ("PCR diagnostikas komplekti") counts
    only inside a Latvian text. The letters alone would stem an English
    sentence that names Rīga or Stradiņš, and lingua reads one with two such
    names as Latvian, so a clause with more English function words than
    Latvian ones is English whatever lingua says.
    """
    if not (in_latvian_text or _LATVIAN_LETTERS.search(clause)):
        return False
    words = [w.lower() for w in _WORD.findall(clause)]
    english = sum(w in _english_stop_words() for w in words)
    latvian = sum(w in LATVIAN_STOP_WORDS for w in words)
    return english <= latvian and detect_language(clause) == "lv"


@lru_cache(maxsize=1)
def _english_stop_words() -> frozenset[str]:
    """scikit-learn's English stop words, imported on first use: the store imports this
    module, and a cold ``matchmaker match`` must not pay for importing scikit-learn."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return ENGLISH_STOP_WORDS
