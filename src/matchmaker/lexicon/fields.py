"""Structured fields read from Korean and Latvian text through the lexicon's concepts.

The keyword rules of ``therapy`` and ``role_inference`` are written in English
with a few Korean and Latvian stems beside them. A stem is a substring: it
cannot tell 암 "cancer" in 폐암을 from 암 inside another word, misses
inflections it was not written for (antivielas, antivielu, antivielām) and
every synonym nobody added. The lexicon already knows each domain idea in
all three languages and reads Korean through Kiwi's morphemes and Latvian
through the stemmer, so here its concepts are mapped to the values of the
structured fields (the oncology concept names the area ``oncology``, the
biosimilar concept the product type ``biosimilars``): one list of words per
idea, in ``concepts.tsv``, instead of a word list per field.

Only the Korean and Latvian clauses of a text are read, and only through the
concepts' Korean and Latvian forms: English text is left to the English rules,
whose figures (docs/roles.md, docs/therapy.md) must not move.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from functools import lru_cache

from ..text_languages import is_latvian_clause
from . import Lexicon, load_concepts

#: concept id -> therapeutic area (``therapy.AREAS``)
CONCEPT_AREAS: dict[str, str] = {
    "oncology": "oncology",
    "lung_cancer": "oncology",
    "breast_cancer": "oncology",
    "oncology_drug": "oncology",
    "immunotherapy": "oncology",
    "cardiovascular": "cardiovascular",
    "metabolic": "metabolic",
    "glucose": "metabolic",
    "insulin": "metabolic",
    "cns": "cns",
    "neurodegeneration": "cns",
    "psychiatry": "cns",
    "infectious": "infectious-disease",
    "covid": "infectious-disease",
    "tuberculosis": "infectious-disease",
    "antibiotic": "infectious-disease",
    "antiviral": "infectious-disease",
    "antimicrobial_resistance": "infectious-disease",
    "immunology": "immunology",
    "respiratory": "respiratory",
    "ophthalmic": "ophthalmology",
    "dermatology": "dermatology",
    "botulinum": "dermatology",
    "filler": "dermatology",
    "rare_disease": "rare-diseases",
    "womens_health": "womens-health",
    "osteo": "musculoskeletal",
    "orthopaedic": "musculoskeletal",
    "dental": "dental",
    "oral_health": "dental",
    "haematology": "hematology",
    "plasma": "hematology",
    "gastro": "gastroenterology",
    "nephrology": "renal-urology",
}

#: concept id -> product type (``therapy.MODALITIES``)
CONCEPT_MODALITIES: dict[str, str] = {
    "generic": "generics",
    "small_molecule": "small-molecule",
    "innovative_drug": "small-molecule",
    "prescription_medicine": "small-molecule",
    "api": "api",
    "intermediate": "api",
    "biologic": "biologics",
    "antibody": "biologics",
    "adc": "biologics",
    "bispecific": "biologics",
    "protein": "biologics",
    "peptide": "biologics",
    "enzyme": "biologics",
    "plasma": "biologics",
    "insulin": "biologics",
    "hormone": "biologics",
    "botulinum": "biologics",
    "biosimilar": "biosimilars",
    "vaccine": "vaccines",
    "vaccine_development": "vaccines",
    "cell_therapy": "cell-gene-therapy",
    "gene_therapy": "cell-gene-therapy",
    "stem_cell": "cell-gene-therapy",
    "mrna": "nucleic-acids",
    "medical_device": "medical-devices",
    "implant": "medical-devices",
    "catheter": "medical-devices",
    "xray": "medical-devices",
    "ultrasound": "medical-devices",
    "mri_ct": "medical-devices",
    "patient_monitoring": "medical-devices",
    "wearable": "medical-devices",
    "diagnostics": "diagnostics",
    "diagnostic_kit": "diagnostics",
    "rapid_test": "diagnostics",
    "pcr": "diagnostics",
    "immunoassay": "diagnostics",
    "companion_dx": "diagnostics",
    "ai": "digital-health",
    "digital_health": "digital-health",
    "telemedicine": "digital-health",
    "health_data": "digital-health",
    "supplement": "consumer-health",
    "probiotic": "consumer-health",
    "herbal": "consumer-health",
    "cosmetics": "consumer-health",
    "cosmeceutical": "consumer-health",
    "otc": "consumer-health",
}

FIELD_MAPS: dict[str, dict[str, str]] = {
    "therapeutic_areas": CONCEPT_AREAS,
    "modalities": CONCEPT_MODALITIES,
}

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_CLAUSE = re.compile(r"[^.;:!?\n]+")

_lock = threading.Lock()
_native: Lexicon | None = None


def native_lexicon() -> Lexicon:
    """Every concept that names a field value, with its Korean and Latvian forms only.

    The English forms are left out so that an English word inside a Korean or
    Latvian clause ("AI", "PCR" are in the Korean and Latvian columns too) is
    read as the writer's language has it, and so that this reading can never
    stand in for the English rules.
    """
    global _native
    with _lock:
        if _native is None:
            wanted = {c for mapping in FIELD_MAPS.values() for c in mapping}
            concepts = [
                dataclasses.replace(c, english=()) for c in load_concepts() if c.id in wanted
            ]
            _native = Lexicon(concepts)
        return _native


def foreign_clauses(text: str) -> list[str]:
    """The clauses of a text written in Korean (any Hangul) or in Latvian."""
    if not text:
        return []
    clauses = [m.group() for m in _CLAUSE.finditer(text)]
    in_latvian = any(is_latvian_clause(c) for c in clauses if not _HANGUL.search(c))
    return [c for c in clauses if _HANGUL.search(c) or is_latvian_clause(c, in_latvian)]


@lru_cache(maxsize=1 << 14)
def native_values(text: str, field: str) -> tuple[str, ...]:
    """Values of ``field`` named by concepts in the Korean and Latvian clauses, in order."""
    mapping = FIELD_MAPS[field]
    found: list[str] = []
    # one analysis of all the Korean and Latvian clauses together: Kiwi is the cost
    for concept in native_lexicon().concepts_in(" ; ".join(foreign_clauses(text))):
        value = mapping.get(concept)
        if value and value not in found:
            found.append(value)
    return tuple(found)
