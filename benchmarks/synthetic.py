"""Synthetic company profiles and their embeddings, for benchmarks only.

Everything here is **synthetic**: every name starts with "Synthetic", every
``source`` is "synthetic benchmark data", every id starts with ``syn-``, and
nothing is ever written into ``data/``. The profiles are made from pools of
pharma, biotech, medtech, diagnostics and logistics phrases, with Latvian
companies offering European things and seeking Korean ones and vice versa, so
the vectors spread out the way real ones do and reciprocal matches exist.

Encoding 100k profiles with all-MiniLM-L6-v2 takes about 20 minutes on two
cores, so :func:`make_vectors` encodes only the first ``sample`` profiles text
by text (exactly what :func:`matchmaker.engine.fit_in_memory` would do) and
builds the others from real embeddings of their pieces: each distinct phrase,
name (without its number), sector list and description sentence is encoded
once; a phrase field gets those vectors as they are, and a whole field
(offers, seeks, profile) gets the normalised mean of its pieces' vectors.
:func:`composition_fidelity` measures how close that mean is to encoding the
whole text.

Profile ``i`` depends only on ``(seed, i)``, so ``make_profiles(1_000, s)`` is
the first thousand of ``make_profiles(100_000, s)`` and nested benchmark sizes
share their data.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from itertools import product

import numpy as np

from matchmaker.embedding import Embedder
from matchmaker.profiles import Profile, validate_profile
from matchmaker.texts import FIELDS

SOURCE = "synthetic benchmark data"
NAME_PREFIX = "Synthetic"
ID_PREFIX = "syn-"
COMPOSED_FIELDS = ("profile", "offers", "seeks")

#: vectors[field][company_id] -> matrix, one row per text: what PartnerRanker.fit takes.
Vectors = dict[str, dict[str, np.ndarray]]
Progress = Callable[[str], None]

# -- phrase pools -------------------------------------------------------------
# Each template is filled with every combination of its slots. Slots named
# home_* describe the company's own country, away_* the partner's.

_REGION = {
    "LV": {
        "home_market": ["EU", "Baltic", "Nordic"],
        "home_region": ["the EU", "the Baltics"],
        "home_country": ["Latvia"],
        "home_reg": ["EMA", "EU decentralised procedure"],
        "home_gmp": ["EU-GMP"],
        "home_dev_reg": ["CE-marked", "EU MDR certified"],
        "home_ivd_reg": ["CE-IVD"],
        "away_adj": ["Korean", "Japanese", "Southeast Asian"],
        "away_region": ["Korea", "East Asia"],
        "away_country": ["Korea"],
        "away_reg": ["MFDS", "PMDA"],
        "away_dev_reg": ["MFDS", "PMDA"],
    },
    "KR": {
        "home_market": ["Korean", "Japanese", "Southeast Asian"],
        "home_region": ["Korea", "East Asia"],
        "home_country": ["Korea"],
        "home_reg": ["MFDS", "PMDA"],
        "home_gmp": ["KGMP", "PIC/S GMP"],
        "home_dev_reg": ["MFDS approved", "KGMP certified"],
        "home_ivd_reg": ["MFDS IVD"],
        "away_adj": ["European", "Baltic", "Nordic"],
        "away_region": ["the EU", "the Baltics"],
        "away_country": ["Latvia", "the EU"],
        "away_reg": ["EMA", "EU decentralised procedure"],
        "away_dev_reg": ["CE", "EU MDR"],
    },
}

_SLOTS = {
    "therapy": [
        "cardiovascular",
        "oncology",
        "CNS",
        "anti-infective",
        "diabetes",
        "respiratory",
        "dermatology",
        "ophthalmology",
        "rare disease",
        "pain management",
    ],
    "form": [
        "tablets",
        "capsules",
        "sterile injectables",
        "oral solutions",
        "lyophilised powders",
        "prefilled syringes",
        "topical creams",
        "eye drops",
    ],
    "modality": [
        "monoclonal antibodies",
        "mRNA vaccines",
        "therapeutic peptides",
        "cell therapies",
        "gene therapies",
        "probiotics",
        "recombinant proteins",
        "antibody-drug conjugates",
    ],
    "device": [
        "orthopaedic implants",
        "surgical instruments",
        "wound care dressings",
        "infusion pumps",
        "patient monitors",
        "dental implants",
        "rehabilitation devices",
        "hearing aids",
        "ultrasound probes",
        "wearable ECG monitors",
    ],
    "specialty": ["cardiology", "radiology", "dermatology", "dentistry", "orthopaedics"],
    "assay": [
        "PCR",
        "rapid antigen",
        "ELISA",
        "chemiluminescence immunoassay",
        "next-generation sequencing",
        "point-of-care",
    ],
    "disease": [
        "respiratory infections",
        "sexually transmitted infections",
        "sepsis",
        "colorectal cancer screening",
        "cardiac markers",
        "tuberculosis",
        "hepatitis B",
        "HPV",
        "influenza",
    ],
    "temp": ["2-8 °C", "-20 °C", "ambient", "cryogenic"],
}

SECTORS = ("pharmaceuticals", "biotechnology", "medical devices", "diagnostics", "logistics")

_TEMPLATES: dict[str, dict[str, list[str]]] = {
    "pharmaceuticals": {
        "offers": [
            "{home_gmp} manufacturing of {form}",
            "{therapy} generic medicines",
            "{therapy} branded products for {home_market} markets",
            "API supply for {therapy} products",
            "registration experience with {home_reg}",
            "contract manufacturing capacity for {form}",
            "pharmacovigilance services for {home_market} markets",
        ],
        "seeks": [
            "{away_adj} distributor for {therapy} medicines",
            "{away_reg} registration support",
            "in-licensing of {therapy} molecules",
            "contract manufacturer for {form}",
            "hospital and pharmacy sales network in {away_country}",
            "API suppliers for {therapy} generics",
        ],
    },
    "biotechnology": {
        "offers": [
            "{modality} discovery platform",
            "preclinical {therapy} pipeline",
            "GMP production of {modality}",
            "out-licensing of {therapy} candidates",
            "cell line development for {modality}",
            "bioassay services in {home_region}",
        ],
        "seeks": [
            "clinical trial sites in {away_region}",
            "licensing partner for {modality}",
            "venture investment for {therapy} programmes",
            "CDMO for {modality} scale-up",
            "co-development of {therapy} {modality}",
        ],
    },
    "medical devices": {
        "offers": [
            "design and manufacturing of {device}",
            "ISO 13485 certified production of {device}",
            "{home_dev_reg} {device}",
            "software as a medical device for {specialty}",
            "after-sales service for {device} in {home_region}",
        ],
        "seeks": [
            "{away_adj} distributor for {device}",
            "{away_dev_reg} certification support for {device}",
            "hospital pilot sites for {specialty} devices",
            "OEM partner for {device}",
            "clinical evaluation partner in {away_region}",
        ],
    },
    "diagnostics": {
        "offers": [
            "{assay} test kits for {disease}",
            "{home_ivd_reg} registered {assay} assays",
            "clinical laboratory testing for {disease}",
            "biobank samples for {disease} research",
            "laboratory information software for {home_market} labs",
        ],
        "seeks": [
            "{away_adj} distributor for {assay} kits",
            "clinical validation of {assay} tests for {disease}",
            "{away_reg} registration of IVD products",
            "laboratory network partners in {away_country}",
            "reagent suppliers for {assay}",
        ],
    },
    "logistics": {
        "offers": [
            "GDP-certified {temp} warehousing for medicines",
            "temperature-controlled air freight from {home_region}",
            "customs clearance for pharmaceuticals in {home_region}",
            "last-mile hospital delivery in {home_country}",
            "clinical trial supply logistics in {home_region}",
            "importer of record services in {home_country}",
        ],
        "seeks": [
            "pharmaceutical shippers to {away_country}",
            "freight forwarding partners in {away_region}",
            "clients for {temp} storage",
            "cold chain packaging suppliers",
            "medical device makers exporting to {home_region}",
        ],
    },
}

_DESCRIPTION = {
    "opening": [
        "{kind} {noun} based in {city}.",
        "{kind} {noun} with its main site in {city}.",
    ],
    "kind": ["Family-owned", "Privately held", "Venture-backed", "Listed", "Mid-sized", "Young"],
}
_FOCUS = {
    "pharmaceuticals": [
        "It makes {form} for {therapy} indications.",
        "It sells in {home_market} markets.",
    ],
    "biotechnology": [
        "Its work centres on {modality} for {therapy}.",
        "It partners in {away_region}.",
    ],
    "medical devices": ["Its portfolio covers {device}.", "It serves {specialty} clinics."],
    "diagnostics": ["It develops {assay} tests for {disease}.", "It serves labs in {home_region}."],
    "logistics": ["It runs {temp} storage for medicines.", "It ships to {away_region}."],
}
_NOUNS = {
    "pharmaceuticals": "pharmaceutical manufacturer",
    "biotechnology": "biotechnology company",
    "medical devices": "medical device maker",
    "diagnostics": "diagnostics company",
    "logistics": "healthcare logistics provider",
}
_CITIES = {
    "LV": ["Riga", "Olaine", "Jelgava", "Daugavpils", "Liepāja", "Valmiera", "Sigulda"],
    "KR": ["Seoul", "Incheon", "Osong", "Daejeon", "Busan", "Seongnam", "Wonju", "Daegu"],
}
_NAME_WORDS = {
    "LV": ["Daugava", "Gauja", "Venta", "Amber", "Kurzeme", "Latgale", "Vidzeme", "Zemgale"],
    "KR": ["Hanbit", "Mirae", "Saemi", "Daehan", "Hangang", "Jeju", "Namsan", "Gyeong"],
}
_NAME_KINDS = {
    "pharmaceuticals": ["Pharma", "Therapeutics", "Medicines"],
    "biotechnology": ["Biologics", "Bio", "Biosciences"],
    "medical devices": ["Medical", "Devices", "Medtech"],
    "diagnostics": ["Diagnostics", "Labs", "Dx"],
    "logistics": ["Logistics", "Cold Chain", "Freight"],
}
_TYPES = {
    "pharmaceuticals": ["distribution", "licensing", "contract manufacturing", "export"],
    "biotechnology": ["R&D", "licensing", "investment", "clinical trials", "joint venture"],
    "medical devices": ["distribution", "technology integration", "supply", "export"],
    "diagnostics": ["distribution", "clinical trials", "supply", "services"],
    "logistics": ["logistics", "services", "supply"],
}
_CERTIFICATIONS = {
    "LV": ["EU-GMP", "ISO 13485", "CE", "CE-IVD", "GDP", "ISO 9001"],
    "KR": ["KGMP", "ISO 13485", "MFDS", "GDP", "ISO 9001", "PIC/S GMP"],
}
_SLOT_NAMES = re.compile(r"{(\w+)}")


def expand(template: str, country: str) -> list[str]:
    """Every filling of a template's slots, for a company in ``country``."""
    names = list(dict.fromkeys(_SLOT_NAMES.findall(template)))
    choices = [_REGION[country].get(n) or _SLOTS[n] for n in names]
    return [template.format(**dict(zip(names, combo, strict=True))) for combo in product(*choices)]


def _build_pools() -> dict[tuple[str, str, str], tuple[tuple[str, ...], ...]]:
    """(sector, 'offers' | 'seeks', country) -> the fillings of each template, template by template.

    Kept per template so that a template with many slots does not crowd out the others.
    """
    return {
        (sector, side, country): tuple(tuple(expand(t, country)) for t in templates)
        for sector, sides in _TEMPLATES.items()
        for side, templates in sides.items()
        for country in _REGION
    }


PHRASES = _build_pools()


# -- profiles -----------------------------------------------------------------


def make_profiles(n: int, seed: int = 0) -> list[Profile]:
    """``n`` validated synthetic profiles, about half LV and half KR; stable per (seed, index)."""
    return [make_profile(i, seed) for i in range(n)]


def make_profile(i: int, seed: int = 0) -> Profile:
    """Synthetic profile number ``i``, passed through the real validation like any import."""
    rng = random.Random(f"{seed}:{i}")
    country = rng.choice(("LV", "KR"))
    sectors = _pick_sectors(rng)
    city = rng.choice(_CITIES[country])
    offers = _pick_phrases(rng, sectors, "offers", country, rng.randint(2, 5))
    seeks = [] if rng.random() < 0.05 else _pick_phrases(rng, sectors, "seeks", country, 3)
    types = rng.sample(_TYPES[sectors[0]], rng.randint(1, 3))
    raw = {
        "id": f"{ID_PREFIX}{country.lower()}-{i:06d}",
        "name": f"{NAME_PREFIX} {rng.choice(_NAME_WORDS[country])} "
        f"{rng.choice(_NAME_KINDS[sectors[0]])} {i}",
        "country": country,
        "city": city,
        "sectors": sectors,
        "description": _description(rng, sectors[0], country, city),
        "offers": "; ".join(offers),
        "seeks": "; ".join(seeks),
        "partnership_types": types,
        "employees": int(rng.lognormvariate(4, 1.2)),
        "founded": rng.randint(1960, 2023),
        "certifications": rng.sample(_CERTIFICATIONS[country], rng.randint(0, 2)),
        "source": SOURCE,
    }
    return validate_profile(raw)


def _pick_sectors(rng: random.Random) -> list[str]:
    primary = rng.choice(SECTORS)
    if rng.random() < 0.3:
        return [primary, rng.choice([s for s in SECTORS if s != primary])]
    return [primary]


def _pick_phrases(
    rng: random.Random, sectors: list[str], side: str, country: str, k: int
) -> list[str]:
    """Up to k phrases from distinct templates, mostly of the primary sector, one of the second."""
    templates = PHRASES[(sectors[0], side, country)]
    chosen = rng.sample(templates, min(k, len(templates)))
    if len(sectors) > 1:
        chosen[-1] = rng.choice(PHRASES[(sectors[1], side, country)])
    return list(dict.fromkeys(rng.choice(fillings) for fillings in chosen))


def _description(rng: random.Random, sector: str, country: str, city: str) -> str:
    opening = rng.choice(_DESCRIPTION["opening"]).format(
        kind=rng.choice(_DESCRIPTION["kind"]),
        noun=_NOUNS[sector],
        city=city,
    )
    focus = rng.choice(expand(rng.choice(_FOCUS[sector]), country))
    return f"{opening} {focus}"


# -- vectors ------------------------------------------------------------------


def describe_vectors(n: int, sample: int) -> str:
    """One plain sentence on how the vectors of an n-profile benchmark were made."""
    exact = min(n, sample)
    text = f"{exact} of {n} profiles encoded field by field with the model"
    if n > sample:
        text += (
            f"; the other {n - sample} built from real embeddings of their pieces (each distinct "
            "phrase, name without its number, sector list and description sentence encoded "
            "once): phrase rows as encoded; offers/seeks = normalised mean of their phrase "
            "vectors; profile = normalised mean of name, sectors, sentences, offers and seeks"
        )
    return text


def make_vectors(
    profiles: Sequence[Profile],
    embedder: Embedder,
    sample: int = 1000,
    progress: Progress | None = None,
    encoded: Vectors | None = None,
) -> Vectors:
    """Embeddings in the shape PartnerRanker.fit takes, encoding only a sample in full.

    The first ``sample`` profiles are encoded text by text; the rest are composed
    from real embeddings of their pieces (see the module docstring), so a 100k
    benchmark costs minutes instead of half an hour and every vector is still an
    embedding of that profile's own text. Pass ``encoded`` (from :func:`encode_exact`
    on ``profiles[:sample]``) when the sample is already encoded, e.g. by a timing run.
    """
    say = progress or (lambda _message: None)
    head, tail = list(profiles[:sample]), list(profiles[sample:])
    if encoded is None:
        say(f"encoding {len(head)} profiles field by field")
        encoded = encode_exact(head, embedder)
    vectors: Vectors = {field: dict(encoded.get(field, {})) for field in FIELDS}
    if tail:
        say(f"encoding the distinct pieces of {len(tail)} more profiles")
        pieces = encode_pieces(tail, embedder)
        say(f"composing vectors for {len(tail)} profiles")
        for field, rows in compose(tail, pieces).items():
            vectors[field].update(rows)
    return vectors


def vector_chunks(
    profiles: Sequence[Profile],
    embedder: Embedder,
    sample: int = 1000,
    progress: Progress | None = None,
    encoded: Vectors | None = None,
) -> Callable[[Sequence[Profile]], Vectors]:
    """:func:`make_vectors`'s vectors, made for a chunk of profiles when the fit asks.

    The same numbers as make_vectors (the sample encoded text by text, the rest
    composed from the same piece vectors), but only the piece vectors (a few
    thousand) and the sample's are held: a fit reads a million profiles' vectors
    a chunk at a time instead of from one dict of 15 GB (ranking.dense_fit).
    """
    say = progress or (lambda _message: None)
    head, tail = list(profiles[:sample]), profiles[sample:]
    if encoded is None:
        say(f"encoding {len(head)} profiles field by field")
        encoded = encode_exact(head, embedder)
    pieces = {}
    if len(tail):
        say(f"encoding the distinct pieces of {len(tail)} more profiles")
        pieces = encode_pieces(tail, embedder)
    exact = {p.id for p in head}

    def read(part: Sequence[Profile]) -> Vectors:
        vectors: Vectors = {field: {} for field in FIELDS}
        for p in part:
            if p.id in exact:
                for field in FIELDS:
                    if p.id in encoded.get(field, {}):
                        vectors[field][p.id] = encoded[field][p.id]
        composed = compose([p for p in part if p.id not in exact], pieces)
        for field, rows in composed.items():
            vectors[field].update(rows)
        return vectors

    return read


def encode_exact(profiles: Sequence[Profile], embedder: Embedder) -> Vectors:
    """Every FIELDS text of every profile through the model, as fit_in_memory does."""
    vectors: Vectors = {field: {} for field in FIELDS}
    texts: list[str] = []
    spans: list[tuple[str, str, int, int]] = []
    for profile in profiles:
        for field, texts_of in FIELDS.items():
            own = texts_of(profile)
            if own:
                spans.append((field, profile.id, len(texts), len(texts) + len(own)))
                texts.extend(own)
    encoded = embedder.encode(texts)
    for field, cid, start, end in spans:
        vectors[field][cid] = encoded[start:end]
    return vectors


def profile_pieces(profile: Profile) -> list[str]:
    """Texts besides the phrases that a whole-profile vector is composed from.

    The name loses its number (which only makes it unique) so the pool of
    distinct pieces stays a few thousand texts however many profiles there are.
    """
    name = re.sub(r"\s+\d+$", "", profile.name)
    sector_text = [", ".join(profile.sectors)] if profile.sectors else []
    sentences = [s for s in re.split(r"(?<=\.)\s+", profile.description) if s]
    return [name, *sector_text, *sentences]


def identity(profile: Profile) -> list[str]:
    """The identity text as the ranker embeds it (``texts.FIELDS["identity"]``)."""
    return FIELDS["identity"](profile)


def encode_pieces(profiles: Sequence[Profile], embedder: Embedder) -> dict[str, np.ndarray]:
    """Each distinct piece (phrase, name, sector list, sentence, identity) encoded once."""
    distinct = list(
        dict.fromkeys(
            text
            for p in profiles
            for text in (*profile_pieces(p), *p.offer_phrases, *p.seek_phrases, *identity(p))
        )
    )
    return dict(zip(distinct, embedder.encode(distinct), strict=True))


def compose(profiles: Sequence[Profile], pieces: dict[str, np.ndarray]) -> Vectors:
    """Vectors for every field from piece vectors: phrases as they are, wholes as means.

    offers (seeks) = normalised mean of its phrase vectors; profile = normalised
    mean of its other pieces' vectors plus the offers and seeks vectors, which
    follows how the whole-profile text is laid out (name, sectors, description,
    offers, seeks) and came closest to encoding that text in full.
    """
    vectors: Vectors = {field: {} for field in FIELDS}
    for p in profiles:
        offers = _stack(p.offer_phrases, pieces)
        seeks = _stack(p.seek_phrases, pieces)
        wholes = [_normalised_mean(rows) for rows in (offers, seeks) if len(rows)]
        if len(offers):  # like fit_in_memory, a field without text gets no entry
            vectors["offer_phrases"][p.id] = offers
            vectors["offers"][p.id] = wholes[0]
        if len(seeks):
            vectors["seek_phrases"][p.id] = seeks
            vectors["seeks"][p.id] = wholes[-1]
        if p.identity:
            vectors["identity"][p.id] = _stack(identity(p), pieces)
        vectors["profile"][p.id] = _normalised_mean(
            np.vstack([_stack(profile_pieces(p), pieces), *wholes])
        )
    return vectors


def composition_fidelity(
    profiles: Sequence[Profile], vectors: Vectors, embedder: Embedder
) -> dict[str, np.ndarray]:
    """Cosine between composed and fully encoded whole-field vectors, per field.

    ``vectors`` must hold fully encoded rows for ``profiles`` (the sample that
    make_vectors encoded). The closer to 1, the more the composed large-N
    vectors behave like encoded ones.
    """
    composed = compose(profiles, encode_pieces(profiles, embedder))
    result = {}
    for field in COMPOSED_FIELDS:
        ids = [p.id for p in profiles if p.id in composed[field] and p.id in vectors[field]]
        exact = np.vstack([vectors[field][cid][0] for cid in ids])
        approx = np.vstack([composed[field][cid][0] for cid in ids])
        result[field] = np.einsum("ij,ij->i", exact, approx)
    return result


def _stack(texts: list[str], pieces: dict[str, np.ndarray]) -> np.ndarray:
    if not texts:
        dim = len(next(iter(pieces.values()))) if pieces else 0
        return np.zeros((0, dim), dtype=np.float32)
    return np.vstack([pieces[t] for t in texts]).astype(np.float32, copy=False)


def _normalised_mean(rows: np.ndarray) -> np.ndarray:
    mean = rows.mean(axis=0, keepdims=True)
    return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)
