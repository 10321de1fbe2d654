"""English identity sentences: the phrase that says what the organisation *is* (issue 10).

:mod:`role_inference` reads roles from the identity sentence in order of
mention. An English sentence names much besides the organisation itself:
its clients ("a CRO that runs trials **for pharmaceutical companies**"), its
owners ("hospital **affiliated with** X University"), its history ("spun out
of", "founded by"). Read whole, each of these becomes a second role. The
Korean reading (:func:`role_inference_ko_lv.korean_head`) already takes the
head noun phrase first; this module gives English the same order:

* the **head**: the noun phrase after "is a/an/the" (or the sentence start),
  up to the first "of", "in", comma or relative word ("Association of
  Latvian medicine manufacturers" is an association);
* the **first clause**: the same phrase with its "of ..." kept ("developer of
  CAR-T therapies"), up to "for/serving/to <clients>", "that/which/whose",
  "founded/spun out/affiliated/owned ...", or a semicolon;
* then the whole sentence, only when neither names a role.
"""

from __future__ import annotations

import re

# "Medfarm is a Latvian wholesaler", "Medfarm — a Latvian wholesaler": the subject is
# a name, the phrase after the copula says what it is
# a name, not a clause ("organisation that was the first to..." has no subject)
_COPULA = re.compile(r"^(?:(?!\b(?:that|which|who|whose)\b)[^,;(]){1,60}?(?:\bis|\bwas|\s[—–-])"
                     r"\s+(?:an?|the)\s+", re.IGNORECASE)
# "One of Korea's oldest pharmaceutical companies": the phrase after "one of" names it
_ONE_OF = re.compile(r"^(?:one|some) of (?:the )?", re.IGNORECASE)
# "(formerly Green Cross)", "(API)", "(041960)": asides that would end the phrase early
_ASIDE = re.compile(r"\s*\([^()]*\)")

# where the phrase naming the organisation ends and talk of clients, owners or history
# begins; "for", "to" and "serving" name clients, the rest owners, founders or deeds
_CLAUSE_END = re.compile(
    r"[;:]|\s[—–]\s|,\s(?:which|who|whose|that|founded|established|based|part|"
    r"a\s|an\s|the\s|now\s|formerly|with|and\s(?:its|it)\b)|"
    r"\s(?:that|which|whose|who|for|serving|to|founded|established|spun|spin-off|"
    r"affiliated|owned|belonging|controlled|run\sby|led\sby|listed\s(?:on|in)|known|"
    r"acquired|set\sup|created|opened|chaired|under|whose)\b",
    re.IGNORECASE,
)

# inside the clause, the head noun phrase stops at a preposition or a list
_HEAD_END = re.compile(r",|\sin\s(?!vitro)|\s(?:of|at|on|from|with|between|making|developing|"
                       r"producing|offering|providing|selling|supplying|running|"
                       r"operating|specialising|specializing|focused|focusing)\b",
                       re.IGNORECASE)


def identity_phrase(identity: str) -> str:
    """The identity sentence from the phrase after "is a" (or from its start)."""
    text = _ASIDE.sub("", (identity or "").strip())
    match = _COPULA.match(text)
    text = text[match.end():] if match else text
    return _ONE_OF.sub("", text)


def english_clause(identity: str) -> str:
    """The phrase naming the organisation, before clients, owners and history."""
    phrase = identity_phrase(identity)
    end = _CLAUSE_END.search(phrase)
    return phrase[: end.start()] if end else phrase


def english_head(identity: str) -> str:
    """The head noun phrase of the first clause: up to its first preposition or comma."""
    clause = english_clause(identity)
    end = _HEAD_END.search(clause)
    return clause[: end.start()] if end else clause


def english_readings(identity: str) -> tuple[str, ...]:
    """What to read an English identity's roles from, most telling first."""
    return (english_head(identity), english_clause(identity), identity)
