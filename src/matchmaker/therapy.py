"""Therapeutic areas and product types (modalities): which right-kind partner signs.

Roles say that a Korean pharma company in-licenses molecules; they cannot say
*which* of twenty in-licensers takes a Latvian developer's eye-drop candidate.
The real deals in ``eval/deals/`` show that the answer is mostly the one
working in the same disease area and product type: an ophthalmology group
signs with an eye-disease biotech, a diabetes-care company with an insulin-pump
maker, a generics distributor with a generics maker (docs/ranking.md, error
analysis). Profiles therefore carry two more fields from small controlled
vocabularies (docs/therapy.md):

* ``therapeutic_areas``: the disease areas the organisation works in, sells
  in or wants products for;
* ``modalities``: the kinds of product it makes, sells or wants (generics,
  biologics, vaccines, devices, diagnostics, ...).

One field each, not an "offers" and a "seeks" copy: the direction (who
licenses to whom) is what ``roles`` and ``partner_roles`` already carry, and
an area a company wants to in-license is as much its focus as one it sells.
The fields are read from text (:func:`infer_areas`, :func:`infer_modalities`)
when a profile does not state them; a stated value always wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .lexicon.fields import native_values
from .role_inference_ko_lv import spaced
from .roles import check_vocabulary
from .rule_scan import RuleSet

if TYPE_CHECKING:  # profiles imports this module's checks
    from .profiles import Profile

#: slug -> short English label (docs/therapy.md explains each)
AREAS: dict[str, str] = {
    "oncology": "oncology",
    "cardiovascular": "cardiovascular",
    "metabolic": "metabolic, diabetes, obesity, liver",
    "cns": "neurology and psychiatry (CNS)",
    "infectious-disease": "infectious diseases",
    "immunology": "immunology, autoimmune and inflammation",
    "respiratory": "respiratory",
    "ophthalmology": "ophthalmology",
    "dermatology": "dermatology and aesthetics",
    "rare-diseases": "rare and orphan diseases",
    "womens-health": "women's health and fertility",
    "musculoskeletal": "bone, joint and muscle",
    "dental": "dental and oral health",
    "hematology": "blood and plasma disorders",
    "gastroenterology": "digestive diseases",
    "renal-urology": "kidney and urology",
}

#: slug -> short English label of the product types
MODALITIES: dict[str, str] = {
    "generics": "generic and improved generic medicines",
    "small-molecule": "originator small-molecule drugs",
    "api": "active ingredients and intermediates",
    "biologics": "antibodies, proteins and peptides",
    "biosimilars": "biosimilars",
    "vaccines": "vaccines",
    "cell-gene-therapy": "cell and gene therapies",
    "nucleic-acids": "RNA and DNA medicines",
    "medical-devices": "medical devices",
    "diagnostics": "in vitro diagnostics",
    "digital-health": "health software and AI",
    "consumer-health": "nutraceuticals, supplements, cosmetics and OTC",
    "research-tools": "research tools and reagents",
}


def check_areas(values: Iterable[str]) -> list[str]:
    """The values as area slugs, in order, without repeats; ValueError names a stranger."""
    return check_vocabulary(values, AREAS, "therapeutic area")


def check_modalities(values: Iterable[str]) -> list[str]:
    """The values as modality slugs, in order, without repeats; ValueError names a stranger."""
    return check_vocabulary(values, MODALITIES, "modality")


# -- reading the fields from text ------------------------------------------------

# Each rule: a regular expression (case-insensitive) and the slug it names. English,
# Latvian and Korean stems side by side, as in role_inference.
AREA_RULES: tuple[tuple[str, str], ...] = (
    (r"oncolog|cancer|tumou?r|anti-?cancer|carcinom|leukaemi|leukemi|lymphom|myelom|"
     r"\badcs?\b|antibody[- ]drug conjugate|immuno-oncolog|docetaxel|paclitaxel|"
     r"항암|종양|onkoloģ|vēz", "oncology"),
    (r"cardio(?!metabolic)|cardiac|heart|hypertens|thromb|anticoagul|statin|lipid|"
     r"cholesterol|omega-3|vascular|stent|심혈관|고혈압|심장|kardio|sirds", "cardiovascular"),
    (r"cardiometabolic|metabolic|diabet|insulin|obesity|\bnash\b|\bmash\b|fatty liver|"
     r"glp-1|glucose|당뇨|비만|대사(?!관)|diabēt|metabol", "metabolic"),
    (r"\bcns\b|neurolog|neuro(?:science|degenerat)|psychiatr|antipsychotic|antidepress|"
     r"epilep|parkinson|alzheimer|dementia|schizophren|brain|migraine|multiple sclerosis|"
     r"신경|뇌전증|치매|정신|neiroloģ|psihiatr", "cns"),
    (r"infectious|infection|anti-?infective|antibiotic|antibacterial|antifungal|antiviral|"
     r"\bhiv\b|hepatitis|tubercul|covid|sars-cov|influenza|pathogen|sepsis|"
     r"감염|항생|항바이러스|infekc|antibiotik", "infectious-disease"),
    (r"immunolog|autoimmun|inflammat|rheumat|arthritis|psoria|atopic|lupus|allerg|"
     r"\bfcrn\b|crohn|colitis|면역|자가면역|알레르기|imūn|autoimūn|alerģ", "immunology"),
    (r"respirator|pulmonar|\blungs?\b|asthma|\bcopd\b|\bards\b|fibrosis|cough|"
     r"호흡기|천식|elpošan|plauš", "respiratory"),
    (r"ophthalm|\beyes?\b|eye-care|retina|macular|\bamd\b|glaucoma|dry eye|ocular|"
     r"안과|망막|안구|oftalmoloģ|acu\b|acīm", "ophthalmology"),
    (r"dermatolog|\bskin\b|acne|eczema|aesthetic|botulinum|\btoxins?\b|dermal filler|"
     r"fillers|wound|피부|보툴리눔|톡신|필러|dermatoloģ|ād(?:as|a)\b|estētisk", "dermatology"),
    (r"\brare\b|orphan|희귀|reto(?:s|ām)? slimīb", "rare-diseases"),
    (r"women'?s health|gynaecolog|gynecolog|obstetric|prenatal|fertility|contracept|"
     r"menopaus|여성|산부인과|ginekoloģ|sieviešu veselīb", "womens-health"),
    (r"orthop(?:a)?edic|\bbones?\b|bone-age|osteo|joint (?:disease|pain|replacement)|cartilage|"
     r"\bspine|spinal|musculoskelet|knee|fracture|정형외과|골다공|관절|ortopēd|kaulu|locītav",
     "musculoskeletal"),
    (r"dental|dentist|implant dentistry|oral (?:health|care|tissue)|\bteeth\b|"
     r"치과|임플란트|zob", "dental"),
    (r"haematolog|hematolog|plasma-derived|plasma protein|plasma fractionation|"
     r"blood (?:disorders|cancers|products)|haemophil|hemophil|haemostasis|anaemi|anemi|"
     r"\bepo\b|혈액|혈장|hematoloģ", "hematology"),
    (r"gastro|digestive|\bliver\b|hepat(?!itis)|\bgut\b|bowel|ulcer|proton pump|p-cab|"
     r"acid blocker|dyspepsia|\bgi\b|소화기|간질환|gastroenteroloģ|aknu", "gastroenterology"),
    (r"\bkidney|\brenal\b|nephro|dialysis|urolog|bladder|prostat|신장|비뇨|\bnier|uroloģ",
     "renal-urology"),
)

MODALITY_RULES: tuple[tuple[str, str], ...] = (
    (r"generic|off-patent|incrementally modified|improved (?:formulation|generic)|"
     r"value-added|fixed-dose combination|combination drugs|복제약|제네릭|개량신약|ģenērisk",
     "generics"),
    (r"small[- ]molecule|first-in-class|kinase inhibitor|synthetic drug|chemical entit|"
     r"new drugs?|novel drugs?|medicinal chemistry|molecules?\b|prescription (?:drugs|medicines)|"
     r"ethical (?:drug|pharmaceutical)|branded (?:medicines|products)|"
     r"original (?:products|medicines)|"
     r"합성신약|저분자|mazmolekul", "small-molecule"),
    (r"active pharmaceutical ingredient|\bapis?\b|intermediates|fine chemical|"
     r"원료의약품|aktīvās vielas|starpprodukt", "api"),
    (r"biologic|biopharmaceutical|antibod|protein|peptide|fusion|plasma|enzyme replacement|"
     r"insulin|growth hormone|\bepo\b|toxin|항체|단백질|펩타이드|바이오의약품|antivielu|bioloģisk",
     "biologics"),
    (r"biosimilar|바이오시밀러|biolīdzīg", "biosimilars"),
    (r"vaccin|백신|vakcīn", "vaccines"),
    (r"cell therap|gene therap|stem cell|\bcar-?t\b|viral vector|\baav\b|lentivir|"
     r"gene[- ]edit|crispr|exosome|세포치료|유전자치료|줄기세포|šūnu terap|gēnu terap",
     "cell-gene-therapy"),
    (r"\brna\b|rnai|sirna|mrna|oligonucleotide|antisense|dna vaccine|nucleic", "nucleic-acids"),
    (r"medical devices?|device maker|implant|catheter|stent|pump|surgical|imaging systems?|"
     r"ultrasound|x-ray|\bmri\b|\bct\b|wearable|aesthetic devices|monitor|의료기기|"
     r"medicīnas ierīc|ierīc", "medical-devices"),
    (r"diagnost|\bivd\b|in vitro|assay|rapid tests?|test kits?|\bpcr\b|immunoassay|analy[sz]er|"
     r"진단|diagnostik", "diagnostics"),
    (r"software|\bai\b|artificial intelligence|digital health|e-health|health[- ]tech|"
     r"telemedic|health data|\bapps?\b|인공지능|소프트웨어|디지털 헬스|digitāl|programmatūr",
     "digital-health"),
    (r"nutraceutical|supplement|cosmetic|skincare|consumer health|\botc\b|over-the-counter|"
     r"vitamin|probiotic|herbal|건강기능식품|화장품|uztura bagātinā|kosmētik", "consumer-health"),
    (r"reagent|research tools|laboratory (?:equipment|instruments)|lab instruments|"
     r"bioprocess|cas enzymes|sequencers?\b|시약|연구용 장비|reaģent", "research-tools"),
)

_AREAS = RuleSet(AREA_RULES)
_MODALITIES = RuleSet(MODALITY_RULES)


def _hits(text: str, rules: RuleSet) -> list[str]:
    text = spaced(text)  # "AI로" -> "AI 로": a Korean particle hides the word boundary
    found = [(start, rules.values[i]) for start, i in rules.first_matches(text)]
    return [slug for _, slug in sorted(found)]


def areas_in(text: str) -> list[str]:
    """Therapeutic areas named in a text, in order of first mention; then those the
    lexicon finds in its Korean and Latvian clauses (``lexicon.fields``)."""
    return _with_native(_hits(text, _AREAS), text, "therapeutic_areas")


def modalities_in(text: str) -> list[str]:
    """Product types named in a text, in order of first mention, then as ``areas_in``."""
    return _with_native(_hits(text, _MODALITIES), text, "modalities")


def _with_native(found: list[str], text: str, field: str) -> list[str]:
    return found + [v for v in native_values(text or "", field) if v not in found]


def _profile_text(profile: Profile) -> str:
    return " ; ".join([profile.description, profile.offers, profile.seeks, *profile.sectors])


def infer_areas(profile: Profile) -> list[str]:
    """Areas read from the description, offers, seeks and sectors."""
    return areas_in(_profile_text(profile))


def infer_modalities(profile: Profile) -> list[str]:
    """Product types read from the description, offers, seeks and sectors."""
    return modalities_in(_profile_text(profile))


@dataclass(frozen=True)
class Focus:
    """A profile's areas and product types, and which of the two were read from text."""

    areas: tuple[str, ...]
    modalities: tuple[str, ...]
    inferred: frozenset[str]


def effective_focus(profile: Profile) -> Focus:
    """The stated fields, each empty one read from text instead (a stated value wins)."""
    inferred = set()
    areas = list(profile.therapeutic_areas)
    if not areas:
        areas = infer_areas(profile)
        inferred.add("therapeutic_areas")
    modalities = list(profile.modalities)
    if not modalities:
        modalities = infer_modalities(profile)
        inferred.add("modalities")
    return Focus(tuple(areas), tuple(modalities), frozenset(inferred))
