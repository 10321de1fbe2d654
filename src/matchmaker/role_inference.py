"""Read roles, partner roles and markets from a profile's text when nobody stated them.

Imports from other tools, self-registered companies and free-text searches
carry no structured fields, yet ranking needs to know that a company is a
wholesaler and that a need asks for one. These rules read the words that
name kinds of organisation ("wholesaler", "CRO", "licensee", "유통", "izplatītājs")
and places ("Korea", "EU", "Asia"). They are deliberately plain keyword rules:
docs/roles.md reports their precision and recall against the hand labels of
the shipped profiles, and a stated value always wins over an inferred one
(:func:`effective_fields`).

Two kinds of text are read differently:

* what a company **is** (sectors, the first sentence of the description,
  offers) gives ``roles``;
* what it **seeks** (or a free-text need) gives ``partner_roles``. Seeking
  "distributors" asks for a distributor, and so does "distribution partners".
  Relational phrases count too: "licensees" and "products to in-license" ask
  for a pharma company or a drug developer, "trial sponsors" for one that runs
  trials, "contract manufacturing clients" for one without plants.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from . import role_inference_ko_lv as ko_lv
from .profiles import Profile
from .roles import EUROPEAN_COUNTRIES
from .rule_scan import RuleSet

# Each rule: a regular expression (matched case-insensitively on word starts) and the
# roles it names. Latvian and Korean stems are listed beside the English ones.
_Rule = tuple[str, tuple[str, ...]]

#: words that say what an organisation *is*
IDENTITY_RULES: tuple[_Rule, ...] = (
    (r"wholesal|distribut|importer|import(?:s|ing)? (?:and|&)|pharmacy chain|"
     r"drug store|trading (?:company|house)|marketing partner|"
     r"vairumtirdz|lieltirgot|izplatītāj|izplatīšan|도매|유통|수입|종합상사", ("distributor",)),
    (r"contract research|\bcros?\b|clinical research organi[sz]ation|임상시험수탁|"
     r"klīnisko pētījumu organizācij", ("cro",)),
    (r"\bc[dm]mos?\b|contract (?:development and )?manufactur|fill[- ]finish|\bodm\b|"
     r"위탁개발|위탁생산|līgumražo", ("cdmo",)),
    (r"biosimilar|바이오시밀러|biolīdzīg", ("biosimilar-maker",)),
    (r"active pharmaceutical ingredient|\bapis?\b|intermediates|원료의약품|aktīvās vielas",
     ("api-maker",)),
    (r"pharmaceutical (?:company|manufacturer|maker|producer)|generics?\b|"
     r"finished[- ]dos|prescription (?:drugs|medicines)|ethical pharmaceutical|"
     r"medicines? (?:manufactur|maker|producer)|제약|(?:바이오)?의약품 (?:기업|제조)|"
     r"farmaceitisk|zāļu ražot", ("pharma-company",)),
    (r"drug (?:discovery|developer|development company)|biotech(?:nology)? (?:company|start-?up)|"
     r"pipeline|new drug|novel drug|candidates?\b|molecules?\b|compounds?\b|신약|후보물질|"
     r"zāļu izstrād|molekul", ("drug-developer",)),
    (r"hospital|clinic\b|medical cent(?:er|re)|병원|의료원|slimnīc|klīnik", ("hospital",)),
    (r"research institute|university|academy of sciences|research cent(?:er|re)|"
     r"연구원|연구소|대학교|institūts|universitāt", ("research-institute",)),
    (r"medical devices?|device maker|implant|imaging (?:equipment|systems)|x-ray|"
     r"surgical|wearable|의료기기|임플란트|분석기|측정기|medicīnas ierīc|ierīc|ierīč",
     ("device-maker",)),
    (r"in vitro diagnostic|\bivd\b|diagnostic (?:kits?|tests?|company)|rapid tests?|"
     r"molecular diagnostic|point-of-care|진단|diagnostik", ("diagnostics-maker",)),
    (r"laborator(?:y|ies) (?:services|testing)|clinical laborator|testing laborator|"
     r"sequencing services|genome sequencing|검사 ?서비스|검사기관|검사센터|수탁검사|"
     r"laboratorijas (?:pakalpojum|izmeklējum)|analīžu laboratorij", ("lab-services",)),
    (r"laboratory (?:equipment|instruments)|reagents|lab(?:oratory)? devices|"
     r"organ-on-(?:a-)?chip|sequencers?\b|연구용 장비|laboratorijas (?:iekārt|ierīc)",
     ("lab-supplier",)),
    (r"artificial intelligence|\bai\b|software|digital health|e-health|health it|"
     r"인공지능|소프트웨어|digitāl", ("health-it",)),
    (r"cosmetic|skincare|nutraceutical|supplements?|consumer health|화장품|kosmētik",
     ("consumer-health",)),
    (r"venture capital|investment (?:firm|company|fund)|\bfunds?\b|securities|"
     r"development finance|investor|투자|investīcij|fonds", ("investor",)),
    (r"(?:trade|investment|export) (?:promotion|agency)|state agency|government[- ]affiliated|"
     r"national (?:programme|program)|진흥원|(?<!항)공사|공공기관|국가 기관|무역관|aģentūr",
     ("trade-agency",)),
    (r"association|federation|chamber of commerce|cluster|협회|연합회|단체|asociācij|kamer",
     ("industry-association",)),
    (r"consult|regulatory affairs (?:services|support)|market access (?:services|support)|"
     r"컨설팅|konsult", ("consultancy",)),
    (r"logistic|freight|cold chain|airline|airport|\bport\b|shipping|cargo|물류|항공|운송|"
     r"화물|해운|loģistik|lidost|\bost(?:a|as|u)\b",
     ("logistics",)),
)

#: English phrasings of what an organisation is that the first rules miss, found in the
#: curated batches (the real-deals pool was kept out of writing them): "developer of CAR-T
#: therapies", "Korean drug maker", "imports surgical devices", "regional technopark"
IDENTITY_RULES_MORE: tuple[_Rule, ...] = (
    (r"\bdevelop(?:er|s|ing)? (?:of |its own )?(?:[\w-]+ ){0,3}?(?:therap|drugs?\b|vaccines?|"
     r"medicines|antibod|treatments?|biologics|peptide|injectables|formulations|candidates)|"
     r"therapeutics\b|(?:cell|gene|rna|car-t|immuno|stem cell|t-cell|nk cell)[- ]?therap|"
     r"\bbiotech\b|clinical-stage|preclinical|drug delivery|antibody-drug|\badcs?\b|"
     r"\bbiopharma(?:ceutical)? (?:company|start-?up|developer)|drug discovery|"
     r"\bdiscover(?:s|ed)\b|"
     r"\bresearch(?:es)?,? (?:develops|makes)|(?:its own|proprietary|original) (?:drugs|medicines)",
     ("drug-developer",)),
    (r"drug ?maker|drug manufacturer|pharmaceutical (?:compan(?:y|ies)|group|firm|business)|"
     r"pharmaceuticals company|ethical-drug|prescription-drug|botulinum toxin (?:maker|business)|"
     r"vaccine (?:maker|business|manufacturer)|(?:multinational|international) pharma",
     ("pharma-company",)),
    (r"\bimports?\b|sales rights|co-promot|in-licensed|licensed (?:products|medicines|brands)|"
     r"sales force|store chain|group[- ]purchasing|\bgpo\b",
     ("distributor",)),
    (r"government agency|public (?:agency|body|corporation)|\bregulator for|"
     r"\bauthority\b|technopark|science park|(?:provincial|city|regional) government|"
     r"runs (?:\w+ )?national health insur|\binsurer\b|export-credit|state (?:\w+ )?bank|"
     r"programme office|"
     r"funding programme|innovation agency|start-up (?:support|hub)|incubat|accelerator",
     ("trade-agency",)),
)

#: relational phrases in a *seeks* text and the roles they ask for
WANT_RULES: tuple[_Rule, ...] = (
    (r"licensees?|licensing partners?|out-licens|license (?:our|its|their)|to license\b|"
     r"라이선스 아웃|라이선스 파트너|라이선시|licencē|licenciāt", ("pharma-company",)),
    (r"in-licens|products? to in-license|late-stage (?:assets|molecules)|molecules|"
     r"assets\b|도입", ("drug-developer", "pharma-company")),
    (r"(?:trial|study) sponsors?|sponsors\b|sponsor[iu]\b|의뢰자|의뢰사",
     ("drug-developer", "pharma-company")),
    (r"(?:trial|clinical|evaluation|validation|investigat\w*) sites?|investigators|"
     r"임상 ?기관|임상(?!\S*수탁)\S* ?(?:실시)?기관|임상시험 (?:파트너|협력)|임상연구|"
     r"클리닉|치과의원|"
     r"pētījumu centr|pētījumu viet", ("hospital",)),
    (r"contract manufacturing (?:clients|customers)|manufacturing clients|"
     r"(?:biotech|brand[- ]owner) clients|바이오텍 고객|līgumražošanas klient",
     ("drug-developer", "pharma-company")),
    (r"manufacturers?|principals?|suppliers? (?:of|for) (?:medicines|products)|"
     r"pharma suppliers|제조사|ražotāj", ("pharma-company", "device-maker")),
    (r"api (?:customers|buyers)|buyers (?:of|for) (?:our )?apis?", ("pharma-company",)),
    (r"api suppliers?|raw materials?", ("api-maker",)),
    (r"kit suppliers|reagent and analy[sz]er suppliers|diagnostics? suppliers",
     ("diagnostics-maker",)),
    (r"co-investors?|investors?|investment partners|fund (?:managers|partners)|"
     r"투자자|investor", ("investor",)),
    (r"research partners|academic|research (?:collaborat|exchange)|joint (?:r&d|grants?|research)|"
     r"공동연구|연구기관|대학|pētniecīb", ("research-institute",)),
    (r"hospital (?:partners|customers|tender)|clinics?\b|병원", ("hospital",)),
    (r"agencies|agency partners|counterparts|협력 기관|(?<!연구|시험|검사)기관 파트너|aģentūr",
     ("trade-agency",)),
    (r"association partners|associations\b|federation partners", ("industry-association",)),
    (r"registration support|regulatory support|market entry support|인허가", ("consultancy",)),
    (r"cro partners|\bcros?\b|(?<!임상)(?<!임상 )시험기관|임상 서비스", ("cro",)),
    (r"distribut|wholesal|importers?|commercial partners|marketing partners|"
     r"유통|수입|도매|상업화|바이어|리테일|izplatī|importētāj|mazumtirdzniec",
     ("distributor",)),
)

#: English kinds of partner the first want rules miss, found in the curated batches
WANT_RULES_MORE: tuple[_Rule, ...] = (
    (r"\bpharma\b|pharmaceutical compan|drug (?:companies|makers)|\bbiopharma|"
     r"co-development partners|commerciali[sz]ation partners|global licensees",
     ("pharma-company",)),
    (r"\bdevices?\b|medtech", ("device-maker",)),
    (r"diagnostic|\bivd\b", ("diagnostics-maker",)),
    (r"clinical (?:partners|collaborators|development partners)|combination trials|"
     r"phase \d partners", ("cro", "hospital")),
    (r"drug developers|biotechs?\b|developers needing|sources of (?:early )?candidates",
     ("drug-developer",)),
)

#: place words and the market they name
MARKET_RULES: tuple[tuple[str, str], ...] = (
    (r"\bkorea|korean|seoul|한국|대한민국|국내|korej", "kr"),
    (r"\blatvia|latvian|riga\b|rīga|라트비아|latvij", "lv"),
    (r"\bbaltic|발트|baltij", "baltics"),
    (r"\beu\b|eu-gmp|european union|\beea\b|유럽연합|\bes\b", "eu"),
    (r"\beurop|유럽|eiropa", "europe"),
    (r"\bcis\b|russia|ukraine|kazakh", "cis"),
    (r"\bchina|chinese|중국|ķīn", "china"),
    (r"\bjapan|일본|japān", "japan"),
    (r"\basia|아시아|āzij", "asia"),
    (r"southeast asia|asean|vietnam|indonesia|thailand|동남아", "southeast-asia"),
    (r"middle east|gulf|saudi|\buae\b|중동", "middle-east"),
    (r"\bus\b|u\.s\.|united states|america|fda\b|canada|미국", "north-america"),
    (r"latin america|brazil|mexico|중남미", "latin-america"),
    (r"\bafrica|아프리카", "africa"),
    (r"global|worldwide|international|dozens of countries|many countries|\d+ countries|"
     r"글로벌|해외|pasaul", "global"),
)

#: English words for "beyond the home market" that the place words above miss
MARKET_RULES_MORE: tuple[tuple[str, str], ...] = (
    (r"overseas|abroad|foreign (?:markets|partners|licensees)|"
     r"outside (?:korea|europe|the eu)|multinational", "global"),
)

_HOME = {"KR": "kr", "LV": "lv"}


def _compile(rules: Iterable[tuple[str, object]]) -> RuleSet:
    return RuleSet(list(rules))


# English phrasings added from the curated batches' misses (rank3), then the Korean and
# Latvian words the rules above lack (role_inference_ko_lv)
_IDENTITY = _compile(IDENTITY_RULES + IDENTITY_RULES_MORE + ko_lv.IDENTITY_RULES)
_WANT = _compile(WANT_RULES + WANT_RULES_MORE + ko_lv.WANT_RULES)
_MARKET = _compile(MARKET_RULES + MARKET_RULES_MORE + ko_lv.MARKET_RULES)


#: Texts whose rule hits are remembered per process: the same phrases are scanned again
#: for every ranking they appear in (each result's reasons), about 1 ms per `match`.
CACHED_TEXTS = 32_768
#: Only phrases this short are remembered: whole descriptions, scanned once per fit,
#: filled the caches with 108 MB at 40,000 profiles (session-9 review).
CACHED_LENGTH = 200


def roles_in(text: str) -> list[str]:
    """Roles named by words that say what an organisation is, in order of first mention."""
    return list(_roles(text) if len(text) <= CACHED_LENGTH else _roles.__wrapped__(text))


def wanted_roles_in(text: str) -> list[str]:
    """Roles a need or a seeks text asks for: relational phrases first, then kinds named."""
    short = len(text) <= CACHED_LENGTH
    return list(_wanted_roles(text) if short else _wanted_roles.__wrapped__(text))


def markets_in(text: str) -> list[str]:
    """Markets named by place words in the text, in order of first mention."""
    return list(_markets(text) if len(text) <= CACHED_LENGTH else _markets.__wrapped__(text))


@functools.lru_cache(maxsize=CACHED_TEXTS)
def _roles(text: str) -> tuple[str, ...]:
    return tuple(_ordered_hits(text, _IDENTITY))


@functools.lru_cache(maxsize=CACHED_TEXTS)
def _wanted_roles(text: str) -> tuple[str, ...]:
    wanted = _ordered_hits(text, _WANT)
    for role in roles_in(text):
        if role not in wanted:
            wanted.append(role)
    return tuple(wanted)


@functools.lru_cache(maxsize=CACHED_TEXTS)
def _markets(text: str) -> tuple[str, ...]:
    return tuple(_ordered_hits(text, _MARKET))


def _ordered_hits(text: str, rules: RuleSet) -> list[str]:
    found: list[tuple[int, str]] = []
    text = ko_lv.spaced(text)  # "CRO를" -> "CRO 를", so \bcro\b sees the word
    for start, i in rules.first_matches(text):
        value = rules.values[i]
        for item in value if isinstance(value, tuple) else (value,):
            found.append((start, str(item)))
    ordered: list[str] = []
    for _, item in sorted(found, key=lambda hit: hit[0]):
        if item not in ordered:
            ordered.append(item)
    return ordered


@dataclass(frozen=True)
class RoleFields:
    """A profile's roles, partner roles and markets, and whether each was stated or read."""

    roles: tuple[str, ...]
    partner_roles: tuple[str, ...]
    markets: tuple[str, ...]
    inferred: frozenset[str]  # names of the fields that were read from text


def infer_roles(profile: Profile) -> list[str]:
    """What the organisation is, from its sectors and the first sentence of its description.

    The identity sentence comes first because "wholesaler" there outweighs a
    sector tag or a product list; sectors are read only when the identity names
    no role, offers only when neither does, and an organisation none of them
    places in life sciences is ``other-industry``.
    """
    # Korean: the head noun phrase, then the first clause; Latvian: the first clause
    # (role_inference_ko_lv). English: the head, then the first clause (role_inference_en).
    readings = ko_lv.identity_readings(profile.identity)
    for text in (*readings, " ; ".join(profile.sectors), profile.offers):
        roles = roles_in(text)
        if roles:
            return roles[:2]
    return ["other-industry"]


def infer_partner_roles(profile: Profile) -> list[str]:
    return wanted_roles_in(profile.seeks)


def infer_markets(profile: Profile) -> list[str]:
    # a European country has no market slug of its own: its home market is Europe
    home = _HOME.get(profile.country) or ("europe" if profile.country in EUROPEAN_COUNTRIES
                                          else profile.country.lower())
    found = markets_in(" ; ".join([profile.description, profile.offers, profile.seeks]))
    return [home, *[m for m in found if m != home]]


def effective_fields(profile: Profile) -> RoleFields:
    """The stated fields, with each empty one read from text instead."""
    inferred = set()
    roles = list(profile.roles)
    if not roles:
        roles, _ = infer_roles(profile), inferred.add("roles")
    partner_roles = list(profile.partner_roles)
    if not partner_roles:
        partner_roles, _ = infer_partner_roles(profile), inferred.add("partner_roles")
    markets = list(profile.markets)
    if not markets:
        markets, _ = infer_markets(profile), inferred.add("markets")
    return RoleFields(tuple(roles), tuple(partner_roles), tuple(markets), frozenset(inferred))
