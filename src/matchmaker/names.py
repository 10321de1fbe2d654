"""Company names across scripts: normalised, romanised and compared with tolerance.

One organisation reaches the database under many spellings: "Geo-Young",
"지오영", "Geoyoung Co., Ltd.", "(주)지오영", "AS Grindeks", "Grindeks, JSC".
Finding a company by what a person types, suggesting "Did you mean" on a typo
and detecting duplicates all need the same answer to "could these two strings
name the same organisation?", so it lives here, once.

- :func:`fold` removes case and accents, so "Rīga" and "riga" compare equal
  (Latvian diacritics are folded for matching only; names are stored as typed).
- :func:`normalised` also drops legal forms (SIA, AS, Co., Ltd., 주식회사, (주),
  株式会社 …) and punctuation.
- :func:`romanise` turns Hangul into Revised Romanization (the
  ``korean-romanizer`` package, which applies the official sound rules), so
  "지오영" becomes "jioyeong" and can be compared with Latin spellings.
- :func:`loose` is a sound skeleton that forgives the spelling habits by which
  Korean companies romanise their own names ("Geo-Young", "Chong Kun Dang",
  "Daewoong") against the official system ("jioyeong", "jonggeundang",
  "daeung"); :func:`similarity` takes the best of the strict and loose forms.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from korean_romanizer.romanizer import Romanizer
from rapidfuzz import fuzz

#: Legal forms in Latin script, matched as whole words after folding and punctuation removal.
LEGAL_FORM_WORDS = frozenset(
    {
        "sia",
        "as",
        "vas",
        "jsc",
        "ao",
        "aas",
        "ps",
        "ik",
        "co",
        "company",
        "corp",
        "corporation",
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "llc",
        "gmbh",
        "ag",
        "plc",
        "kk",
        "bv",
        "oy",
        "ab",
    }
)
#: Legal forms in Hangul, kanji and symbols, removed wherever they stand (no spaces needed).
LEGAL_FORM_MARKS = (
    "주식회사",
    "유한회사",
    "(주)",
    "㈜",
    "(유)",
    "株式会社",
    "有限会社",
    "(株)",
    "㈱",
)
#: Multi-word legal forms, removed before single words ("co ltd" is one form, not two).
_LEGAL_PHRASES = (
    re.compile(r"\bco\s*,?\s*\.?\s*ltd\b"),
    re.compile(r"\bcompany\s+limited\b"),
)
#: Industry words written in Hangul by Korean companies, in the English the same
#: companies use, so "셀트리온제약" and "Celltrion Pharm" share their last word.
HANGUL_WORDS = {
    "제약": "pharm",
    "약품": "pharm",
    "파마": "pharma",
    "바이오": "bio",
    "메디칼": "medical",
    "메디컬": "medical",
    "헬스케어": "healthcare",
    "코리아": "korea",
    "한국": "korea",
    "그룹": "group",
    "홀딩스": "holdings",
    "테크": "tech",
    "생명과학": "life science",
    "화학": "chemical",
    "연구소": "institute",
    "연구원": "institute",
    "병원": "hospital",
    "대학교": "university",
    "협회": "association",
}
#: Latin words folded to one spelling each (the same word written differently).
LATIN_SYNONYMS = {
    "pharmaceutical": "pharm",
    "pharmaceuticals": "pharm",
    "pharma": "pharm",
    "pharmaceutica": "pharm",
    "farmacija": "pharm",
    "farm": "pharm",
    "biopharmaceutical": "biopharm",
    "biopharmaceuticals": "biopharm",
    "biopharma": "biopharm",
    "laboratories": "labs",
    "laboratory": "labs",
    "lab": "labs",
    "laboratorija": "labs",
    "and": "",
    "the": "",
}
#: Words that many unrelated organisations share ("… National University Hospital"):
#: two names that differ only outside these words are different organisations.
GENERIC_WORDS = frozenset(
    re.findall(
        r"\w+",
        """
    university universitate hospital hospitals slimnica medical center centre centrs institute
    instituts research national korea korean latvia latvian latvijas association asociacija
    pharm biopharm bio biotech biotechnology bioscience biosciences biologics science sciences
    life technology technologies tech foundation health healthcare group holdings clinical
    clinic klinika industry industrial society biedriba of in for riga rigas seoul state
    regional international global labs therapeutics medicine medicines chemical chemicals
    company services service agency council cooperative organization organisation investment
    investments capital partners fund ventures venture latvija baltic baltics free economic
    zone authority development promotion trade daehakgyo byeongwon hyeophoe
        """,
    )
)
_HANGUL = re.compile(r"[\uac00-\ud7a3]+")
_WORD = re.compile(r"\w+")


def fold(text: str | None) -> str:
    """Case and accents removed, spaces collapsed: 'Rīgas Farmaceitiskā' -> 'rigas farmaceitiska'.

    NFKD splits Latvian letters into base letter + combining mark (dropped) and
    Hangul syllables into jamo; the result is recomposed (NFC) so Hangul stays
    syllables for romanisation and display.
    """
    decomposed = unicodedata.normalize("NFKD", text or "")
    kept = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", " ".join(kept.casefold().split()))


def normalised(name: str | None) -> str:
    """Words of a name without legal forms or punctuation: '(주)지오영' -> '지오영'.

    'SIA Grindeks', 'Grindeks, JSC' and 'AS GRINDEKS' all give 'grindeks';
    'Geoyoung Co., Ltd.' gives 'geoyoung'.
    """
    text = fold(unicodedata.normalize("NFKC", name or ""))
    for mark in LEGAL_FORM_MARKS:
        text = text.replace(mark, " ")
    for phrase in _LEGAL_PHRASES:
        text = phrase.sub(" ", text)
    words = [w for w in _WORD.findall(text.replace("_", " ")) if w not in LEGAL_FORM_WORDS]
    return " ".join(words)


@lru_cache(maxsize=65536)
def _romanise_word(hangul: str) -> str:
    return Romanizer(hangul).romanize()


def romanise(text: str | None) -> str:
    """Hangul in Revised Romanization, other text unchanged: '지오영' -> 'jioyeong'.

    Industry words ("제약", "바이오") become the English the companies use, and
    a word is romanised on its own, so 'SK바이오사이언스' reads 'sk bio saieonseu'.
    """
    text = text or ""
    for hangul, english in HANGUL_WORDS.items():
        text = text.replace(hangul, f" {english} ")
    romanised = _HANGUL.sub(lambda m: f" {_romanise_word(m.group(0))} ", text)
    return " ".join(romanised.split())


def has_hangul(text: str | None) -> bool:
    return bool(_HANGUL.search(text or ""))


def latin_words(name: str | None) -> list[str]:
    """The name as Latin words: normalised, romanised, synonyms folded.

    'Hanmi Pharm.' -> ['hanmi', 'pharm']; '한미약품' -> ['hanmi', 'pharm'].
    """
    words = romanise(normalised(name)).split()
    result = []
    for word in words:
        word = LATIN_SYNONYMS.get(word, word)
        if word:
            result.extend(word.split())
    return result


def core(name: str | None) -> str:
    """The distinctive part of a name: its Latin words without generic ones ('Chonnam National
    University Hospital' -> 'chonnam'); empty when every word is generic."""
    return "".join(w for w in latin_words(name) if w not in GENERIC_WORDS)


def compact(name: str | None) -> str:
    """The name's Latin letters and digits, no spaces: 'Geo-Young', 'Geoyoung' -> 'geoyoung'."""
    return "".join(latin_words(name))


#: Consonant spellings that Korean companies use interchangeably in their Latin names
#: (official Revised Romanization on the right of each pair, voiced and voiceless merged).
_CONSONANT_GROUPS = (
    ("ch", "j"),
    ("ce", "se"),
    ("ci", "si"),
    ("cy", "sy"),
    ("sh", "s"),
    ("ph", "p"),
    ("ck", "k"),
    ("c", "k"),
    ("g", "k"),
    ("t", "d"),
    ("b", "p"),
    ("f", "p"),
    ("z", "j"),
    ("r", "l"),
    ("x", "ks"),
    ("q", "k"),
    ("v", "b"),
    ("j", "k"),
)


def loose(word: str) -> str:
    """A sound skeleton for comparing romanisations: 'geoyoung' and 'jioyeong' both give 'kank'.

    Vowels are where romanisations of one Korean name differ most ('eo', 'o',
    'u', 'yeo' for the same sound), so every run of vowels (w and y included)
    becomes one 'a'; voiced and voiceless consonants are merged, doubled
    letters collapsed and the 'ng' ending unified with 'n'.
    """
    text = re.sub(r"[^a-z0-9]", "", word.lower())
    for old, new in _CONSONANT_GROUPS:
        text = text.replace(old, new)
    text = re.sub(r"[aeiouwy]+", "a", text).replace("nk", "n")
    return re.sub(r"(.)\1+", r"\1", text)


_ALIAS = re.compile(r"\(([^()]*)\)")
_ALIAS_PREFIX = re.compile(r"^(formerly|former|ex|previously|now|also|aka|a\.k\.a\.)\s+", re.I)


def aliases(name: str | None) -> list[str]:
    """The name and the other names it carries in brackets or after a slash.

    'Olpha (formerly Olainfarm)' -> ['Olpha', 'Olainfarm'];
    'Ray (Ray Co., Ltd.)' -> ['Ray', 'Ray Co.'].
    The name with its brackets is not kept: '(CNUH)' would make two hospitals with the
    same acronym look alike.
    """
    name = (name or "").strip()
    if not name:
        return []
    outside = " ".join(_ALIAS.sub(" ", name).split())
    found = [outside or name]
    for inner in _ALIAS.findall(name):
        for part in re.split(r"[;,]\s*(?=[A-Z가-힣])|\s*/\s*", inner):
            part = _ALIAS_PREFIX.sub("", part.strip())
            # a name starts with a capital, a digit or Hangul; "(fictional)" is a remark
            if part and not part[0].islower() and len(compact(part)) >= 3:
                found.append(part)
    return list(dict.fromkeys(found))


#: How much a bracketed alias counts: "Gangnam Severance Hospital (Yonsei University)"
#: names an affiliation, not the hospital itself; an old name ("formerly X") counts fully.
ALIAS_WEIGHT = 0.9
AFFILIATION_WEIGHT = 0.7
ACRONYM_WEIGHT = 0.8
#: Share of the sound skeleton in a comparison: across scripts romanisation is only an
#: approximation, so sound counts more than between two Latin spellings.
SOUND_SHARE_ACROSS_SCRIPTS = 0.6
#: How much a name made of generic words only counts ("Korea Biotechnology Association").
GENERIC_ONLY_WEIGHT = 0.85
#: How much lower a cross-script match counts when a same-script comparison exists.
CROSS_SCRIPT_DISCOUNT = 0.1


@dataclass(frozen=True)
class NameKey:
    """One spelling of a name, prepared for comparison."""

    text: str
    strict: str
    sound: str
    hangul: bool
    weight: float = 1.0
    core: str = ""
    core_sound: str = ""

    @classmethod
    def of(cls, text: str, weight: float = 1.0) -> NameKey:
        strict, distinctive = compact(text), core(text)
        return cls(
            text, strict, loose(strict), has_hangul(text), weight, distinctive, loose(distinctive)
        )


#: Words that make a bracketed name an affiliation ("Gangnam Severance Hospital (Yonsei
#: University)") when the main name is not itself of that kind.
_KIND_WORDS = frozenset({"university", "universitate", "hospital", "slimnica", "group", "holdings"})


def _alias_weight(alias: str, name: str) -> float:
    """How much a bracketed name counts: fully for an old name ("formerly X"), less for
    another name, an acronym (they collide) or an affiliation ("(Yonsei University)")."""
    if re.search(rf"\((formerly|former|previously)\s+{re.escape(alias)}", name):
        return 1.0
    if re.fullmatch(r"[A-Z][A-Za-z]{1,5}", alias.strip()):  # an acronym: short ones collide
        return ACRONYM_WEIGHT
    main = set(latin_words(_ALIAS.sub(" ", name)))
    if (set(latin_words(alias)) & _KIND_WORDS) - main:
        return AFFILIATION_WEIGHT
    return ALIAS_WEIGHT


def name_keys(names: Iterable[str | None]) -> list[NameKey]:
    """Comparison keys of every spelling (and bracketed alias) of the given names."""
    keys: list[NameKey] = []
    seen: set[str] = set()
    for name in names:
        for position, alias in enumerate(aliases(name)):
            weight = 1.0 if position == 0 else _alias_weight(alias, name or "")
            key = NameKey.of(alias, weight)
            if key.strict and (key.strict, key.hangul) not in seen:
                seen.add((key.strict, key.hangul))
                keys.append(key)
    return keys


@lru_cache(maxsize=200_000)
def cached_keys(*spellings: str | None) -> list[NameKey]:
    """name_keys of a company's spellings, kept: romanising is the slow part of a lookup."""
    return name_keys(spellings)


def combine(strict: float, sound: float, across_scripts: bool) -> float:
    """One similarity from the letter-by-letter and the sound comparison (0..1 each).

    Sound counts only across scripts, where romanisation is an approximation;
    between two Latin spellings it would make 'Chonnam' and 'Chungnam' one name.
    """
    if not across_scripts:
        return strict
    share = SOUND_SHARE_ACROSS_SCRIPTS
    return max(strict, share * sound + (1 - share) * strict)


def _ratio(a: str, b: str) -> float:
    return fuzz.ratio(a, b) / 100 if a and b else 0.0


def key_similarity(a: NameKey, b: NameKey, distinctive: bool = True) -> float:
    """0..1: how alike two spellings are (a typo costs little: 'grindex' ~ 'grindeks' 0.93).

    The whole names are compared, and so are their distinctive parts (generic
    words removed); the lower of the two counts, so 'Chonnam National University
    Hospital' and 'Dong-A University Hospital' are not alike for sharing three words.
    A name of generic words only is weak evidence (GENERIC_ONLY_WEIGHT).
    """
    if not a.strict or not b.strict:
        return 0.0
    across = a.hangul != b.hangul
    whole = combine(_ratio(a.strict, b.strict), _ratio(a.sound, b.sound), across)
    if not distinctive:  # a typed name: a typo in a generic word ("Generiks") still counts
        value = whole
    elif a.core and b.core:
        if a.core == a.strict and b.core == b.strict:
            part = whole
        else:
            part = combine(_ratio(a.core, b.core), _ratio(a.core_sound, b.core_sound), across)
        value = min(whole, part)
    else:
        value = whole * GENERIC_ONLY_WEIGHT
    return value * min(a.weight, b.weight)


def similarity(a: Iterable[str | None], b: Iterable[str | None]) -> float:
    """Best similarity between any spelling of one name set and any of the other."""
    return best_similarity(name_keys(a), name_keys(b))


def best_similarity(
    keys_a: list[NameKey], keys_b: list[NameKey], distinctive: bool = True
) -> float:
    """The best match of spellings, preferring spellings in the same script.

    When two names can be compared in the same script (Latin with Latin,
    Hangul with Hangul) that comparison decides, since romanisation blurs
    ('Chonnam' and '충남' sound alike); a cross-script match still counts,
    CROSS_SCRIPT_DISCOUNT lower, so 'Ji-o-yeong' finds 'Geo-Young / 지오영'.
    """
    return best_match(keys_a, keys_b, distinctive)[0]


def best_match(
    keys_a: list[NameKey], keys_b: list[NameKey], distinctive: bool = True
) -> tuple[float, tuple[str, str] | None]:
    """best_similarity and the two spellings it came from."""
    same: tuple[float, tuple[str, str] | None] = (0.0, None)
    across: tuple[float, tuple[str, str] | None] = (0.0, None)
    for x in keys_a:
        for y in keys_b:
            value = key_similarity(x, y, distinctive)
            if x.hangul == y.hangul and value > same[0]:
                same = (value, (x.text, y.text))
            elif x.hangul != y.hangul and value > across[0]:
                across = (value, (x.text, y.text))
    if same[1] is None:
        return across
    discounted = across[0] - CROSS_SCRIPT_DISCOUNT
    return same if same[0] >= discounted else (discounted, across[1])


def search_keys(*names: str | None) -> list[str]:
    """Strings a type-ahead matches against: folded names, and Hangul names romanised.

    So 'jioyeong', 'ji-o-yeong' (hyphens fold away) and 'geoyoung' all find 지오영.
    """
    keys: list[str] = []
    for name in names:
        if not name:
            continue
        keys.append(fold(name))
        if has_hangul(name):
            keys.append(romanise(fold(name)))
        words = latin_words(name)
        if words:
            keys.append("".join(words))
    return list(dict.fromkeys(k for k in keys if k))


def query_forms(text: str) -> list[str]:
    """What a typed query is compared with: folded, romanised if Hangul, and compacted."""
    folded = fold(text)
    forms = [folded, compact(text)]
    if has_hangul(text):
        forms.append(romanise(folded))
    return list(dict.fromkeys(f for f in forms if f))


#: How alike a typed name must be to a company's to be offered as "Did you mean".
SUGGEST_CUTOFF = 0.72


def suggest(
    text: str, companies: Iterable[tuple[str, str, str | None]], limit: int = 3
) -> list[str]:
    """Ids of the companies whose id or name is closest to ``text`` (a typo, another script).

    ``companies`` are (id, name, local name). '/company/grindex' -> ['grindeks'];
    'ji-o-yeong' -> ['geo-young']. Nothing below SUGGEST_CUTOFF is offered.
    """
    query = name_keys([text.replace("-", " ")])
    if not query:
        return []
    scored = []
    for company_id, name, name_local in companies:
        keys = cached_keys(name, name_local, company_id.replace("-", " "))
        value = best_similarity(query, keys, distinctive=False)
        if value >= SUGGEST_CUTOFF:
            scored.append((-value, company_id))
    scored.sort()
    return [company_id for _, company_id in scored[:limit]]
