"""The keys stored at write time are pinned: changing their rules needs a refill migration.

``name_keys`` rows (``lookup.name_keys``: folding, ``names.search_keys``' romanising,
word tails) and ``companies.search_key`` (``records.search_key``) are computed in
Python when a profile is written, and only then. Change how they are computed and
every stored row keeps the old keys: look-ups miss companies, silently, until each
one is edited again. This test pins the keys of a fixed, varied sample of names
(tests/fixtures/stored_keys.json) and, when they change, says what to add.

After adding the refill migration, write the new pins with::

    PYTHONPATH=$PWD/src .venv/bin/python tests/store/test_stored_keys.py
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matchmaker import names
from matchmaker.lookup import name_keys
from matchmaker.store.records import search_key

PINNED = Path(__file__).resolve().parents[1] / "fixtures" / "stored_keys.json"

#: (id, name, name_local, city): Latin with diacritics, Latvian, Hangul (whole and
#: mixed with Latin), ids with digits, punctuation, compatibility characters.
SAMPLE = [
    ("baltic-generics", "Baltic Generics (fictional)", None, "Rīga"),
    ("kekavas-farmacija", "Ķekavas Farmācija", "Ķekavas Farmācija SIA", "Ķekava"),
    ("rigas-udens-2", "Rīgas Ūdens & Partneri", None, "Rīga"),
    ("zalais-cesis", "ZAĻAIS ĒRGLIS, Cēsis", "Zaļais Ērglis", "Cēsis"),
    ("celltrion", "Celltrion", "셀트리온", "인천"),
    ("geo-young", "Geo-Young Corporation", "지오영", "서울"),
    ("hanmi-pharm", "Hanmi Pharm. Co., Ltd.", "한미약품(주)", "Seoul"),
    ("bionet-kr", "BioNet 바이오넷", "바이오넷 주식회사", None),
    ("syn-000042", "Synthetic Hanbit Pharma 42", "한빛제약 42", "Busan"),
    ("o-neil-smith", "O'Neil–Smith Labs / Diagnostics", None, "Daugavpils"),
    ("grosshandel", "Straße Großhandel GmbH", None, "Liepāja"),
    ("fullwidth", "ＡＢＣ ﬁne Chemicals", None, "  Jelgava  "),
]


def current_keys() -> dict[str, dict[str, object]]:
    """What a write stores today for each sample company (sorted: rows are a set)."""
    pinned: dict[str, dict[str, object]] = {}
    for company_id, name, name_local, city in SAMPLE:
        keys = name_keys(company_id, name, name_local)
        pinned[company_id] = {
            "name_keys whole": sorted(keys.whole),
            "name_keys words": sorted(keys.words),
            "companies.search_key": search_key(company_id, name, name_local, city),
        }
    return pinned


REFILL = """the keys a write stores changed for {ids}.

Rows written before this change keep the old keys, so look-ups would miss those
companies until each is edited. Add a refill migration in
src/matchmaker/store/schema.py, then write the new pins
(PYTHONPATH=$PWD/src .venv/bin/python tests/store/test_stored_keys.py):

- name_keys: a new version N in MIGRATIONS with the SQL "DELETE FROM name_keys" and
  MIGRATION_STEPS[N] = "_fill_name_keys" (it writes every company's rows again,
  deleted ones included, in the same transaction; about 7 minutes at a million);
- companies.search_key: a version with MIGRATION_STEPS[N] = "_fill_search_keys" (it
  updates every companies row, and migration 15's trigger stamps each one changed:
  running servers' live index then takes every company as edited).

A PostgreSQL form (pg_schema.PG_FORMS) is needed only if the SQL differs there."""


def test_the_stored_keys_of_a_varied_sample_are_the_pinned_ones():
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))
    now = current_keys()
    changed = [company_id for company_id in now if now[company_id] != pinned.get(company_id)]
    assert not changed, REFILL.format(ids=", ".join(changed))
    assert list(pinned) == [company_id for company_id, *_ in SAMPLE]


def test_a_changed_rule_fails_with_what_to_add(monkeypatch):
    monkeypatch.setattr(names, "search_keys", lambda name, name_local: [])  # no romanising
    with pytest.raises(AssertionError, match="Add a refill migration") as failure:
        test_the_stored_keys_of_a_varied_sample_are_the_pinned_ones()
    assert "celltrion" in str(failure.value)


def pins_text(keys: dict[str, dict[str, object]]) -> str:
    """The pins as JSON, Latvian and Hangul syllables as they are, Hangul jamo escaped.

    A folded Hangul key is jamo (NFKD: what a half-typed syllable matches), which looks
    the same as the syllables on screen; escaped, the two keys of "셀트리온" read apart.
    """
    text = json.dumps(keys, ensure_ascii=False, indent=1)
    return "".join(f"\\u{ord(c):04x}" if "\u1100" <= c <= "\u11ff" else c for c in text) + "\n"


if __name__ == "__main__":
    PINNED.write_text(pins_text(current_keys()), encoding="utf-8")
    print(f"wrote {PINNED}")
