"""Structured fields read from Korean and Latvian text, against the English labels.

    .venv/bin/python benchmarks/language_fields.py [--errors]

``eval/multilingual/profiles.jsonl`` holds 80 of the shipped profiles with their
description, offers and seeks translated (57 Korean, 23 Latvian); it states no
roles, partner roles, markets, therapeutic areas or modalities. The English
records of the same companies (``data/companies.jsonl``) state all of them,
curated by hand. For each field this script reads the value from the
translated text and, beside it, from the English text of the same records
(its labels removed), and scores both against the English labels:
micro-averaged precision and recall per language. The English column is the
bar: a field read as well from Korean as from English text loses nothing to
the language. ``--errors`` lists each record's misses and extras.

In-sample: the Korean and Latvian rules were written looking at these records
(docs/languages.md says which and when); the hidden Korean/Latvian set is
what measures them honestly.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from matchmaker.importing import parse_file  # noqa: E402
from matchmaker.profiles import Profile  # noqa: E402
from matchmaker.role_inference import (  # noqa: E402
    infer_markets,
    infer_partner_roles,
    infer_roles,
)
from matchmaker.therapy import infer_areas, infer_modalities  # noqa: E402

READERS: dict[str, Callable[[Profile], list[str]]] = {
    "roles": infer_roles,
    "partner_roles": infer_partner_roles,
    "markets": infer_markets,
    "therapeutic_areas": infer_areas,
    "modalities": infer_modalities,
}
LANGUAGES = {"KR": "Korean", "LV": "Latvian"}
TRANSLATED = "from the English profile"


def stripped(profile: Profile) -> Profile:
    """The profile with every structured field that inference reads removed."""
    return dataclasses.replace(
        profile, roles=[], partner_roles=[], markets=[], therapeutic_areas=[], modalities=[]
    )


def load(root: Path = ROOT) -> tuple[dict[str, Profile], list[Profile]]:
    """English records by id, and the translated records."""
    english = {p.id: p for p in parse_file(root / "data" / "companies.jsonl").profiles}
    translated = [
        p
        for p in parse_file(root / "eval" / "multilingual" / "profiles.jsonl").profiles
        if (p.source or "").endswith(TRANSLATED)
    ]
    return english, translated


@dataclasses.dataclass
class Score:
    hit: int = 0
    found: int = 0
    stated: int = 0

    @property
    def precision(self) -> float:
        return self.hit / self.found if self.found else 0.0

    @property
    def recall(self) -> float:
        return self.hit / self.stated if self.stated else 0.0

    def add(self, gold: set[str], got: set[str]) -> None:
        self.hit += len(gold & got)
        self.found += len(got)
        self.stated += len(gold)


def scores(
    english: dict[str, Profile], translated: Sequence[Profile], country: str, field: str
) -> tuple[Score, Score, list[str]]:
    """(translated text, English text of the same records, error lines) for one field."""
    reader = READERS[field]
    ml, en, errors = Score(), Score(), []
    for p in translated:
        if p.country != country:
            continue
        gold = set(getattr(english[p.id], field))
        got = set(reader(stripped(p)))
        ml.add(gold, got)
        en.add(gold, set(reader(stripped(english[p.id]))))
        if got != gold:
            errors.append(
                f"    {p.id:<36} missed {sorted(gold - got)} extra {sorted(got - gold)}"
            )
    return ml, en, errors


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--errors", action="store_true", help="list each record's errors")
    args = parser.parse_args(argv)
    english, translated = load()
    print("field, language (records): translated P / R | English text of the same records P / R")
    for field in READERS:
        for country, language in LANGUAGES.items():
            n = sum(p.country == country for p in translated)
            ml, en, errors = scores(english, translated, country, field)
            print(
                f"{field:<18} {language:<8}({n:>2}): {ml.precision:.2f} / {ml.recall:.2f}"
                f" | {en.precision:.2f} / {en.recall:.2f}"
            )
            if args.errors:
                print("\n".join(errors))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
