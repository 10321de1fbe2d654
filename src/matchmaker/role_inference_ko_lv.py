"""Korean and Latvian grammar for role, partner-role and market reading (issue 11).

:mod:`role_inference` reads kinds of organisation and places with keyword
rules, written for English with Korean and Latvian stems beside them. Three
things about the other two languages are not a matter of more keywords:

* **Korean glues particles to words.** ``CRO를``, ``CDMO로``, ``EU에``, ``AI로``:
  no word boundary separates a Latin acronym from its particle, so a rule
  such as ``\\bcros?\\b`` missed every Korean sentence that used the acronym.
  :func:`spaced` puts a space between Latin letters or digits and Hangul
  before the rules run (positions move, order does not).
* **Korean puts the head last.** "국내 제약·바이오 기업의 임상시험을 수행하는
  임상시험수탁기관으로" is a CRO whose clients are pharma companies; read in order of
  mention, as English is, it becomes a pharma company first. The identity
  sentence says what the organisation is in the noun phrase just before the
  copula (``…으로,`` / ``…이다`` / ``…입니다``); :func:`korean_head` finds it with
  Kiwi's morphemes, and its roles are the organisation's roles.
* **A Latvian or Korean identity runs on after a semicolon** where the
  English original stopped ("…lieltirgotājs Latvijā; saskaņā ar Zāļu valsts
  aģentūras datiem…"): the first clause is read first, so the State Agency
  named as a source does not make a wholesaler a trade agency.

The extra keywords (:data:`IDENTITY_RULES`, :data:`WANT_RULES`,
:data:`MARKET_RULES`) are Korean or Latvian only, so English text reads
exactly as before; ``role_inference`` appends them to its own rules.
"""

from __future__ import annotations

import re

from .text_languages import korean_tokens

_Rule = tuple[str, tuple[str, ...]]

#: what an organisation is, in Korean and Latvian words the English rules lack
IDENTITY_RULES: tuple[_Rule, ...] = (
    (r"vairumtirgot|zāļu lieltirgotav|도매상|의약품 유통", ("distributor",)),
    (r"klīnisko pētījumu (?:pakalpojum|organizācij|uzņēm)|līgumpētniec|임상수탁|위탁연구",
     ("cro",)),
    (r"위탁개발생산|수탁생산|위탁제조|līgumražošan", ("cdmo",)),
    # a dative plural (farmācijas uzņēmumiem, "for pharma companies") names clients
    (r"(?:farmācijas (?:uzņēmum|kompānij|ražotāj|grup)|zāļu ražotāj)(?!iem|ām)|"
     r"제약회사|제약기업|제약 기업", ("pharma-company",)),
    (r"신약 ?개발|신약개발|zāļu kandidāt|jaunu zāļu izstrād", ("drug-developer",)),
    (r"대학병원|종합병원|어린이병원|universitātes slimnīc|medicīnas centr", ("hospital",)),
    (r"연구기관|국책연구|pētniecības (?:institūt|centr)|zinātnisk\w* institūt|augstskol",
     ("research-institute",)),
    (r"체외진단|진단기기|진단키트|진단 키트|분자진단|diagnostikas (?:komplekt|test|uzņēm)",
     ("diagnostics-maker",)),
    (r"의료기기 ?(?:제조|기업|업체|회사)|medicīnas (?:tehnik|iekārt)|medicīnisk\w* ierīc",
     ("device-maker",)),
    (r"벤처캐피탈|투자사|자산운용|증권사|riska kapitāl|investīciju (?:fond|uzņēm|sabiedr)",
     ("investor",)),
    # \b: akciju sabiedrība (a joint-stock company) is no biedrība (a society)
    (r"학회|상공회의소|\bbiedrīb|federācij|tirdzniecības kamer", ("industry-association",)),
    # health software only: programmatūra alone is any software (a router's, too)
    (r"veselības it\b|veselības (?:it )?programmatūr|medicīnas programmatūr|e-veselīb|"
     r"디지털 ?헬스|헬스케어 ?IT|의료 ?IT|의료정보", ("health-it",)),
    (r"건강기능식품|건기식|uztura bagātinātāj", ("consumer-health",)),
    (r"farmācijas piegādātāj|zāļu piegādātāj", ("pharma-company",)),
    (r"brīvost|\bosta\b|ostas pārvald|aviokompānij|aviosabiedrīb|kravu pārvadā|항만|공항",
     ("logistics",)),
)

#: what a need or a seeks text asks for, in Korean and Latvian phrasings
WANT_RULES: tuple[_Rule, ...] = (
    (r"licenc\w* iegū|iegūtu licenci|licenci (?:iegūt|pārņem)|판권 도입|기술도입",
     ("pharma-company", "drug-developer")),
    (r"pētnieku centr|klīnisk\w* (?:bāz|centr)|임상시험 실시기관|실시기관", ("hospital",)),
    (r"임상시험수탁|klīnisko pētījumu (?:organizācij|pakalpojum)", ("cro",)),
    (r"vairumtirgotāj|도매업체|유통사|유통업체|수입사|수입업체", ("distributor",)),
    # as the English "manufacturers": a maker is wanted, of medicines or devices
    (r"제조업체|제조 ?업체|제조기업|생산 ?업체|ražotājuzņēm", ("pharma-company", "device-maker")),
    (r"reģistrācij\w* atbalst|atbalst\w* (?:\w+ )?reģistrācij|regulatīv\w* atbalst",
     ("consultancy",)),
    (r"pētnieku apmaiņ|pētniecības apmaiņ|akadēmisk\w* partner|연구 ?파트너|연구 협력|공동 ?연구",
     ("research-institute",)),
    (r"임상 ?(?:검증|성능평가|평가) ?기관|성능평가 ?기관", ("hospital",)),
    (r"파트너 ?기관", ("trade-agency",)),
    (r"investīcij|\bfond(?:s|i|u|iem|us|a|am)\b|투자사|벤처캐피탈|공동투자", ("investor",)),
)

#: places the English market rules miss in Korean and Latvian
MARKET_RULES: tuple[tuple[str, str], ...] = (
    (r"eirop", "europe"),
    (r"북유럽|동유럽|ziemeļvalst|skandināvij", "europe"),
    (r"북미|미주|ziemeļamerik|\basv\b|amerikas savienot", "north-america"),
    (r"남미|dienvidamerik|latīņamerik", "latin-america"),
    (r"러시아|독립국가연합|krievij|\bnvs\b", "cis"),
    (r"동남아|dienvidaustrumāzij", "southeast-asia"),
    (r"tuvajos austrumos|tuvie austrumi|tuvo austrumu", "middle-east"),
    (r"āfrik", "africa"),
    (r"전 세계|세계 시장|세계 각국|starptautisk|visā pasaulē|visas pasaules", "global"),
)

# Latin letters or digits glued to Hangul: "CRO를", "EU에", "AI로", "3국까지"
_LATIN_THEN_HANGUL = re.compile(r"(?<=[A-Za-z0-9])(?=[\uac00-\ud7a3])")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def spaced(text: str) -> str:
    """The text with a space between a Latin word or number and the Korean particle after it."""
    if not text or not _HANGUL.search(text):
        return text or ""
    return _LATIN_THEN_HANGUL.sub(" ", text)


# Kiwi tags that can stand in a Korean noun phrase: nouns, numbers, Latin words, noun
# prefixes and suffixes, brackets ("임상시험수탁기관(CRO)") and the middle dot ("제약·바이오").
_NOUN_PHRASE_TAGS = frozenset(
    {"NNG", "NNP", "NNB", "NR", "XSN", "XPN", "XR", "SL", "SN", "SH", "SSO", "SSC"}
)
_JOINING_MARKS = frozenset({"·", "/", "-"})


def korean_head(identity: str) -> str:
    """The noun phrase a Korean identity sentence says the organisation *is*, or "".

    That is the run of nouns just before the first copula: the particle
    (으)로 ("…기업으로, 2013년…") or 이다/입니다 ("…제약사 중 하나다").
    """
    if not identity or not _HANGUL.search(identity):
        return ""
    tokens = korean_tokens(identity)
    for i, token in enumerate(tokens):
        if token.tag == "VCP" or (token.tag == "JKB" and token.form in ("으로", "로")):
            start = i
            while start > 0 and _in_noun_phrase(tokens[start - 1]):
                start -= 1
            if start == i:
                return ""
            first, last = tokens[start], tokens[i - 1]
            return identity[first.start : last.start + last.len]
    return ""


def _in_noun_phrase(token) -> bool:
    return token.tag in _NOUN_PHRASE_TAGS or (token.tag == "SP" and token.form in _JOINING_MARKS)


def first_clause(identity: str) -> str:
    """A Korean or Latvian identity up to its first semicolon ("" if it has none)."""
    head, semicolon, _ = (identity or "").partition(";")
    return head if semicolon else ""


def identity_readings(identity: str) -> tuple[str, ...]:
    """What to read an identity sentence's roles from, most telling first.

    Korean: the head noun phrase, then the first clause, then the sentence.
    Latvian: the first clause, then the sentence. English: the head noun
    phrase, then the first clause, then the sentence (role_inference_en).
    """
    from .role_inference_en import english_readings

    if _HANGUL.search(identity or ""):
        return (korean_head(identity), first_clause(identity), identity)
    if _is_latvian_text(identity):
        return (first_clause(identity), identity)
    return english_readings(identity)


_LATVIAN_LETTERS = re.compile(r"[āčēģīķļņšūž]", re.IGNORECASE)


def _is_latvian_text(text: str) -> bool:
    from .text_languages import is_latvian_clause

    return bool(text and _LATVIAN_LETTERS.search(text)) and is_latvian_clause(text)
