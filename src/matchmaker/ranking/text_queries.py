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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..profiles import split_phrases

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
    r"|\s*,\s+(?=(?:we|i)\b)",
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
    r"(?:can|could)\s+you\s+help(?:\s+us|\s+me)?|please\s+help(?:\s+us|\s+me)?)\W*$"
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


@dataclass
class TextQuery:
    text: str
    needs: list[str]
    offers: list[str] = field(default_factory=list)


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
        if label := _NEED_LABEL.match(clause):
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
    return TextQuery(text=text, needs=_unique(needs), offers=_unique(offers))


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
    own = [phrase for m in _OUR.finditer(clause) for phrase in _phrases(m.group("what"))]
    return _OUR.sub("", clause), own


def _phrases(text: str) -> list[str]:
    """Short phrases of a clause: split at commas and semicolons, fillers dropped."""
    phrases = (
        _LEADING_FILLER.sub("", p).strip(" ,;.") for p in split_phrases(text.replace(",", ";"))
    )
    return [p for p in phrases if len(p) >= 3 and not _PRONOUN.match(p)]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
