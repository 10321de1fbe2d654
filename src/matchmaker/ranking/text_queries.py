"""Reading a free-text need as a small profile: what the user needs, and what they offer.

"Korean distributor for our PCR kits" names a need (a distributor) *and* an
offer (PCR kits). Treated as one blob, it matches the Korean PCR-kit makers
best: the user's competitors. Split, it can be ranked like a profile: the
candidate should offer a distributor's services and want PCR kits, and a
candidate that offers PCR kits itself is a competitor.

People write such sentences in many shapes, so the text is cut into clauses
first and each clause is read on its own:

* a labelled clause: "need: EU trial sites", "offer: a biosimilar candidate";
* a clause about the user: "we make PCR kits", "our company produces
  furniture", "we are a Latvian CRO", "we bring LNP expertise" (an offer);
* a clause of wanting: "we need / are looking for / seek a distributor" (a need);
* anything else is a need, less what it calls "our X" ("a partner to
  distribute our insulin pens": need "partner to distribute", offer "insulin pens").

Latvian and Korean users write the same things in their own words (issue 11),
so each of these readings has a Latvian and a Korean form: "meklējam …",
"mums vajag …", "mūsu uzņēmums ražo …", "piedāvājam …", "esam …", "… mūsu X";
"… 찾습니다", "… 찾고 있습니다", "… 필요합니다", "저희는 … 제조합니다", "저희는 …
입니다", "저희 X를 …". Korean puts the verb last, so a Korean clause is read
from its end. The language of the text comes back with the reading, so a front
end can say "Read as" in the user's language (:data:`READING_LABELS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..profiles import split_phrases
from ..text_languages import detect_language

_SUBJECT = (
    r"(?:(?:we|i)\s+(?:also\s+)?|(?:our|my)\s+(?:company|firm|lab|laboratory|team|startup|"
    r"start-up|group|hospital|clinic|institute|university|business)\s+(?:also\s+)?)"
)
_WANT_VERBS = (
    r"(?:need|needs|seek|seeks|seeking|want|wants|require|requires|would\s+like|"
    r"(?:are|am|is)\s+(?:also\s+)?(?:(?:looking|searching)\s+for|seeking|interested\s+in)|"
    r"looking\s+for|look\s+for|search\s+for|searching\s+for|interested\s+in|in\s+search\s+of)"
)
_OFFER_VERBS = (
    r"(?:(?:can\s+)?(?:make|produce|manufacture|sell|develop|provide|supply|offer|bring|"
    r"distribute|run|operate|own|have)s?\s+|has\s+|(?:are|am|is)\s+(?:an?\s+)?)"
)
# Where one clause ends and the next begins: punctuation and brackets, or "and/but/, we ..."
# before a clause about the user or about wanting ("We make kits and need a distributor").
_CLAUSE_BREAK = re.compile(
    r"\s*[;?!()]+\s*|\.+(?:\s+|$)"
    r"|\s*,?\s+(?:and|but|so|while)\s+(?=(?:we|i|also)\b|" + _WANT_VERBS + r"\b)"
    r"|\s*,\s+(?=(?:we|i)\b)"
    # Latvian: "..., un meklējam ...", "... un mēs piedāvājam ..."
    r"|\s*,?\s+(?:un|bet|taču)\s+(?=(?:mēs|mūsu|meklējam|piedāvājam|ražojam|esam)\b)"
    r"|\s*,\s+(?=(?:mēs|meklējam|piedāvājam|ražojam)\b)"
    # Korean: a verb joined to the next clause by -며/-고 ("제조하며 …", not "찾고 있습니다")
    r"|(?<=[하되있들])(?:며|고),?\s+(?!있)",
    re.IGNORECASE,
)
# Inside a clause about the user, where wanting begins: "We are a biotech company
# (that is) looking for a distributor".
_WANTING_BEGINS = re.compile(
    r"\s*,?\s+(?:(?:who|that|which|and)\s+(?:is|are)\s+)?"
    r"(?=(?:looking|searching)\s+for\b|seeking\b|interested\s+in\b|in\s+search\s+of\b)",
    re.IGNORECASE,
)
_CONTRACTIONS = [
    (re.compile(r"\b(we|you)['’]re\b", re.IGNORECASE), r"\1 are"),
    (re.compile(r"\b(i)['’]m\b", re.IGNORECASE), r"\1 am"),
    (re.compile(r"\b(we|i)['’]d\b", re.IGNORECASE), r"\1 would"),
    (re.compile(r"\b(we|i)['’]ve\b", re.IGNORECASE), r"\1 have"),
]
_NEED_LABEL = re.compile(
    r"^(?:(?:we|i)\s+)?(?:needs?|seeking|seeks?|wanted|looking\s+for)\s*:\s*", re.IGNORECASE
)
_OFFER_LABEL = re.compile(r"^(?:(?:we\s+)?offers?|(?:we\s+)?have)\s*:\s*", re.IGNORECASE)
_OFFER_CLAUSE = re.compile(r"^" + _SUBJECT + _OFFER_VERBS + r"(?P<what>.+)$", re.IGNORECASE)
_WANT_CLAUSE = re.compile(
    r"^(?:" + _SUBJECT + r")?" + _WANT_VERBS + r"\s+(?:to\s+(?:find\s+)?)?(?P<what>.+)$",
    re.IGNORECASE,
)
# Clauses that say nothing about needs or offers: greetings, thanks, "not a/no ..." about oneself.
_EMPTY_CLAUSE = re.compile(
    r"^(?:(?:hello|hi|dear\b.*|good\s+(?:morning|afternoon|day)|thanks?(?:\s+you)?|regards|"
    r"(?:can|could)\s+you\s+help(?:\s+us|\s+me)?|please\s+help(?:\s+us|\s+me)?|"
    r"labdien|sveiki|paldies|ar\s+cieņu|안녕하세요|감사합니다|고맙습니다)\W*$"
    r"|" + _SUBJECT + r"(?:are|am|is|have|has)\s+(?:not|no)\b)",
    re.IGNORECASE,
)
# "our X" inside a need: X runs to the end of the clause, list included ("our PCR kits,
# ELISA kits and reagents"), or to a preposition that starts something else ("register our
# device with MFDS"); "for" stays in X ("our antibody for clinical supply").
_OUR = re.compile(
    r"\s*\b(?:for|of|with)?\s*\b(?:our|my)\s+(?P<what>.+?)"
    r"(?=\s+(?:with|in|into|from|to|at|by)\b|$)",
    re.IGNORECASE,
)
_LEADING_FILLER = re.compile(
    r"^(?:(?:and|but|also|or|plus|so)\s+)*(?:(?:who|which\s+compan(?:y|ies))\s+"
    r"(?:can|could|will|would)\s+)?(?:an?\s+|the\s+|some\s+|our\s+|my\s+)?",
    re.IGNORECASE,
)
# A need that only points back at something ("... and are looking for one").
_PRONOUN = re.compile(r"^(?:one|ones|it|them|some|this|that|these|those)$", re.IGNORECASE)

# -- Latvian ------------------------------------------------------------------------
_LV_SUBJECT = (
    r"(?:mēs\s+(?:arī\s+)?|mūsu\s+(?:uzņēmums|kompānija|firma|laboratorija|komanda|"
    r"slimnīca|klīnika|institūts|universitāte|grupa|jaunuzņēmums)\s+(?:arī\s+)?)"
)
_LV_WANT_VERBS = (
    r"(?:meklējam|meklē|vēlamies\s+atrast|gribam\s+atrast|vēlamies|gribam|"
    r"(?:mums\s+)?(?:ir\s+)?(?:vajag|vajadzīgs|vajadzīga|vajadzīgi|nepieciešams|"
    r"nepieciešama|nepieciešami)|esam\s+ieinteresēti|interesējamies\s+par|interesē)"
)
_LV_OFFER_VERBS = (
    r"(?:ražojam|piedāvājam|izstrādājam|izplatām|nodrošinām|sniedzam|pārdodam|piegādājam|"
    r"veicam|attīstām|esam|mums\s+ir|ražo|piedāvā|izstrādā|izplata|nodrošina|sniedz|"
    r"pārdod|piegādā|veic|ir)"
)
_LV_WANT_CLAUSE = re.compile(
    r"^(?:" + _LV_SUBJECT + r")?" + _LV_WANT_VERBS + r"\s*:?\s+(?P<what>.+)$", re.IGNORECASE
)
_LV_OFFER_CLAUSE = re.compile(
    r"^(?:" + _LV_SUBJECT + r")?" + _LV_OFFER_VERBS + r"\s*:?\s+(?P<what>.+)$", re.IGNORECASE
)
# "mūsu X" inside a need: to the end, or to a preposition that starts something else.
_LV_OUR = re.compile(
    r"\s*\b(?:mūsu|savu|savām|saviem)\s+(?P<what>.+?)(?=\s+(?:ar|uz|no|pie|līdz|caur)\b|$)",
    re.IGNORECASE,
)
# "uzņēmumu, kas ..." is one need: the relative clause is not a list item.
_LV_RELATIVE = re.compile(r",\s+(?=(?:kas|kuri|kura|kurš|kuras|kuru|kam|lai)\b)", re.IGNORECASE)

# -- Korean -------------------------------------------------------------------------
_KO_WANT_END = re.compile(
    r"^(?P<what>.+?)\s*(?:(?<=[가-힣])(?:을|를|이|가))?\s*"
    r"(?:찾습니다|찾고\s*있습니다|찾고\s*있어요|찾고\s*있음|찾아요|찾는다|찾음|찾는\s*중(?:입니다)?|"
    r"구합니다|구해요|구함|모집합니다|원합니다|희망합니다|필요합니다|필요해요|필요함|필요)"
    r"[\s.!]*$"
)
_KO_SUBJECT = re.compile(
    r"^(?:저희|우리|당사|폐사)(?:\s*(?:회사|기업|연구소|병원|팀))?(?:는|은|가|에서는)\s+(?P<what>.+)$"
)
_KO_COPULA = re.compile(r"\s*(?:입니다|이다|예요|이에요|임|이며|이고)[\s.!]*$")
_KO_OBJECT_VERB = re.compile(
    r"^(?P<what>.+?)(?<=[가-힣A-Za-z0-9)])(?:을|를)\s+\S+?"
    r"(?:합니다|하고\s*있습니다|해요|한다|하|만듭니다|만들고\s*있습니다|만들)[\s.!]*$"
)
_KO_VERB_WORD = re.compile(r"\s+\S+?(?:합니다|하고\s*있습니다|해요|한다|하)[\s.!]*$")
# "저희 X를 …" / "자사 X의 …" inside a need: X is the user's own offer.
_KO_OUR = re.compile(
    r"(?:^|\s)(?:저희|우리|자사|당사)(?:\s*회사)?(?:의)?\s+(?P<what>[^,;]+?)"
    r"(?<=[가-힣A-Za-z0-9)])(?:을|를|의|에\s*대한)(?=\s|$)"
)
_HANGUL = re.compile(r"[\uac00-\ud7a3]")

#: The "Read as" line in each language the reader knows ({needs}, {offers}: quoted phrases).
READING_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "both": "Read as: you need {needs}; you offer {offers}",
        "needs_only": "Read as: you need {needs} (say what you offer too, e.g. “for our PCR kits”)",
        "offers_only": (
            "Read as: you offer {offers} (no need stated: companies that want it come first)"
        ),
    },
    "lv": {
        "both": "Sapratām: jums vajag {needs}; jūs piedāvājat {offers}",
        "needs_only": (
            "Sapratām: jums vajag {needs} (norādiet arī, ko piedāvājat, "
            "piem., “mūsu PCR komplektiem”)"
        ),
        "offers_only": (
            "Sapratām: jūs piedāvājat {offers} (vajadzība nav norādīta: "
            "vispirms uzņēmumi, kam to vajag)"
        ),
    },
    "ko": {
        "both": "이렇게 이해했습니다: 찾는 것 {needs}; 제공하는 것 {offers}",
        "needs_only": (
            "이렇게 이해했습니다: 찾는 것 {needs} (제공하는 것도 적어 주세요. 예: “저희 PCR 키트”)"
        ),
        "offers_only": (
            "이렇게 이해했습니다: 제공하는 것 {offers} "
            "(찾는 것이 없어 이를 원하는 기업을 먼저 보여 줍니다)"
        ),
    },
}


@dataclass
class TextQuery:
    text: str
    needs: list[str]
    offers: list[str] = field(default_factory=list)
    #: the language the text is written in ('en', 'lv', 'ko'); English when unsure
    language: str = "en"


def describe_reading(reading: TextQuery, language: str | None = None) -> str:
    """The "Read as" line, in ``language`` or else in the language the need was typed in."""
    labels = READING_LABELS.get(language or reading.language, READING_LABELS["en"])
    needs = ", ".join(f"“{n}”" for n in reading.needs)
    offers = ", ".join(f"“{o}”" for o in reading.offers)
    if not reading.offers:
        return labels["needs_only"].format(needs=needs)
    if not reading.needs:
        return labels["offers_only"].format(offers=offers)
    return labels["both"].format(needs=needs, offers=offers)


def parse_text_query(text: str) -> TextQuery:
    """Split a sentence into needs and the user's own offers ('our X', 'we make X').

    A text that states only offers ("We are a maker of PCR kits") has no needs:
    partners are then the companies that want what it offers. A text where
    neither is found is taken whole as the need.
    """
    needs: list[str] = []
    offers: list[str] = []
    for clause in _clauses(text):
        if _EMPTY_CLAUSE.match(clause):
            continue
        if _HANGUL.search(clause):
            _read_korean(clause, needs, offers)
        elif _read_latvian(clause, needs, offers):
            continue
        elif label := _NEED_LABEL.match(clause):
            needs.extend(_phrases(clause[label.end() :]))
        elif label := _OFFER_LABEL.match(clause):
            offers.extend(_phrases(clause[label.end() :]))
        elif (found := _OFFER_CLAUSE.match(clause)) and not _WANT_CLAUSE.match(clause):
            what, wanted = _split_at_wanting(found.group("what"))
            offers.extend(_phrases(what))
            if wanted:
                _read_need(wanted, needs, offers)
        else:
            _read_need(clause, needs, offers)
    if not needs and not offers:
        needs = [text.strip()]
    language = detect_language(text) or "en"
    return TextQuery(text=text, needs=_unique(needs), offers=_unique(offers), language=language)


def _read_latvian(clause: str, needs: list[str], offers: list[str]) -> bool:
    """A Latvian clause of wanting or about the user; False when it is neither."""
    if found := _LV_WANT_CLAUSE.match(clause):
        need, own = _without(_LV_OUR, found.group("what"))
        offers.extend(own)
        needs.extend(_phrases(need))
        return True
    if found := _LV_OFFER_CLAUSE.match(clause):
        offers.extend(_phrases(found.group("what")))
        return True
    if _LV_OUR.search(clause):  # "izplatītājs Korejā mūsu komplektiem": a bare need
        need, own = _without(_LV_OUR, clause)
        offers.extend(own)
        needs.extend(_phrases(need))
        return True
    return False


def _read_korean(clause: str, needs: list[str], offers: list[str]) -> None:
    """A Korean clause: read from its end, where the verb says wanting or being."""
    if found := _KO_WANT_END.match(clause):
        need, own = _without(_KO_OUR, found.group("what"))
        offers.extend(own)
        needs.extend(_phrases(need))
    elif found := _KO_SUBJECT.match(clause):
        offers.extend(_phrases(_korean_offer(found.group("what"))))
    else:
        need, own = _without(_KO_OUR, clause)
        offers.extend(own)
        needs.extend(_phrases(need))


def _korean_offer(what: str) -> str:
    """What follows "저희는": the thing made ("주사제를 제조합니다") or the kind of firm."""
    if copula := _KO_COPULA.search(what):
        return what[: copula.start()]
    if found := _KO_OBJECT_VERB.match(what):
        return found.group("what")
    return _KO_VERB_WORD.sub("", what) or what


def _read_need(clause: str, needs: list[str], offers: list[str]) -> None:
    """A clause of wanting (or a bare need): the need, and any "our X" as an offer."""
    found = _WANT_CLAUSE.match(clause)
    need, own = _without_our(found.group("what") if found else clause)
    offers.extend(own)
    needs.extend(_phrases(need))


def _split_at_wanting(what: str) -> tuple[str, str]:
    """ "a biotech company looking for X" -> ("a biotech company", "looking for X")."""
    found = _WANTING_BEGINS.search(what)
    return (what[: found.start()], what[found.end() :]) if found else (what, "")


def _clauses(text: str) -> list[str]:
    for contraction, full in _CONTRACTIONS:
        text = contraction.sub(full, text)
    return [c.strip(" ,") for c in _CLAUSE_BREAK.split(text) if c and c.strip(" ,")]


def _without_our(clause: str) -> tuple[str, list[str]]:
    """The clause with each "(for) our X" taken out, and the Xs."""
    return _without(_OUR, clause)


def _without(our: re.Pattern[str], clause: str) -> tuple[str, list[str]]:
    """The clause with each match of ``our`` ("our X", "mūsu X", "저희 X를") out, and the Xs."""
    own = [phrase for m in our.finditer(clause) for phrase in _phrases(m.group("what"))]
    return our.sub("", clause), own


def _phrases(text: str) -> list[str]:
    """Short phrases of a clause: split at commas and semicolons, fillers dropped."""
    text = _LV_RELATIVE.sub(" ", text)
    phrases = (
        _LEADING_FILLER.sub("", p).strip(" ,;.") for p in split_phrases(text.replace(",", ";"))
    )
    return [p for p in phrases if _long_enough(p) and not _PRONOUN.match(p)]


def _long_enough(phrase: str) -> bool:
    """Three letters make an English or Latvian phrase; two syllables a Korean one (유통)."""
    return len(phrase) >= 3 or (len(phrase) == 2 and bool(_HANGUL.search(phrase)))


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
