"""English identity sentences are read head first, as Korean ones are (issue 10).

The sentences are from the curated batches (data/batches), where reading in order
of mention gave the organisation the roles of its clients, owners or partners.
"""

from __future__ import annotations

import pytest

from matchmaker.profiles import Profile
from matchmaker.role_inference import infer_roles
from matchmaker.role_inference_en import english_clause, english_head


def _profile(description: str, country: str = "KR") -> Profile:
    return Profile(id="x", name="X", country=country, description=description)


@pytest.mark.parametrize(
    ("description", "roles"),
    [
        # clients: "for Korean pharmaceutical and biotech companies" is not what it is
        ("Korea's first contract research organisation, established in 1997 in Seoul, running "
         "clinical trials for Korean pharmaceutical and biotech companies.", ["cro"]),
        # owners: a university hospital is a hospital, not a research institute
        ("Large tertiary hospital in Seoul opened in 1994 and affiliated with Sungkyunkwan "
         "University School of Medicine, known for cancer care and clinical research.",
         ["hospital"]),
        # members: an association of manufacturers is an association
        ("Association of Latvian medicine manufacturers that in 2025 presented a Latvian "
         "pharmaceutical industry development strategy.", ["industry-association"]),
        # "one of": the phrase after it names the organisation
        ("One of Latvia's largest pharmaceutical wholesalers; it supplies pharmacies.",
         ["distributor"]),
        # a subject and "is a": the phrase after the copula
        ("Olpha is a Latvian pharmaceutical manufacturer that exports to the CIS.",
         ["pharma-company"]),
    ],
)
def test_the_first_clause_says_what_the_organisation_is(description, roles):
    assert infer_roles(_profile(description)) == roles


def test_a_head_without_a_role_falls_back_to_its_clause_then_the_sentence():
    # "Korean maker" names no role: "of 3D intraoral scanners" does
    assert english_head("Korean maker of 3D intraoral scanners, founded in 2004.") == "Korean maker"
    assert infer_roles(_profile("Korean developer of DNA and mRNA vaccines.")) == [
        "drug-developer"
    ]
    # neither head nor clause names a role: the whole sentence is read, as before
    assert infer_roles(_profile(
        "Life sciences division of Seoul-based LG Chem; it makes prescription drugs."
    )) == ["pharma-company"]


def test_asides_and_in_vitro_do_not_cut_the_phrase():
    assert english_head("Korean pharmaceutical company (formerly Boryung) known for Kanarb.") == (
        "Korean pharmaceutical company"
    )
    assert english_head("Korean in vitro diagnostics company founded in 2011") == (
        "Korean in vitro diagnostics company"
    )


def test_a_relative_clause_is_no_subject():
    # "organisation that was the first..." has no "X is a" subject to strip
    clause = english_clause("Private Korean nonclinical contract research organisation that "
                            "was the first to be designated a GLP facility.")
    assert clause == "Private Korean nonclinical contract research organisation"
