"""How high could any ranker go on the real deals, given what the profiles' fields say?

    PYTHONPATH=src .venv/bin/python benchmarks/deal_ceiling.py

DEFINITION (written and committed before any figure was computed).

Sets and pools are those of ``matchmaker eval``: the a/b queries of
``eval/deals/judgements.jsonl`` over ``eval/deals/profiles.jsonl``, and the held-out
batch c (``judgements_c.jsonl``) over both profile files. A query's candidates are the
profiles of its target region (``region_countries``) other than the query company;
its *partners* are the candidates graded 2 (every other candidate is graded 0).

Partner kind is described, for query q and candidate c, by the curated structured
fields exactly as the ranker reads them (``RoleFit.evidence`` of the shipped code;
``effective_fields`` / ``effective_focus``: a stated value, else the value read
from text), as the tuple

    kind(q, c) = (role_need, role_offer, market, shared)

* ``role_need``: c plays a role q looks for (q's ``partner_roles``, else the roles
  the compatibility table gives q's own roles), 0 or 1;
* ``role_offer``: q plays a role c looks for (same rule from c's side), 0 or 1;
* ``market``: q's markets cover c's country or c's markets cover q's, 0 or 1;
* ``shared``: how many therapeutic areas plus how many modalities q and c share
  (|areas_q ∩ areas_c| + |modalities_q ∩ modalities_c|), an integer.

A second variant adds ``licensing`` (one licenses out and the other in,
``LicensingFit``, read from text phrases) as a fifth component.

Tie set of a partner p (the *dominance* set, what the brief asks for):

    T(q, p) = {c : kind(q, c) >= kind(q, p) in every component}   (p itself included)

i.e. every candidate that fits at least as well as the signed partner on every field.
A ranker that never scores a candidate lower for fitting better on a field (a
*monotone* ranker: every sensible use of these fields) must put all of T(q, p) at or
above p. The *equal-kind* set E(q, p) = {c : kind(q, c) == kind(q, p)} is reported
beside it: no ranker that sees only these fields can separate p from E(q, p), so the
ceiling built on E bounds every ranker on these fields, monotone or not.

Oracle ceiling: for one partner, the ranker puts T(q, p) first in random order; the
figures are the exact expectations over that order (nDCG@5 with gain 2^grade - 1 and
the ideal from all of q's grades, MRR of the first partner), not samples. With
several partners the oracle also chooses the best order of them: for every ordered
partition of the partners into groups it lays out blocks, each block being the union
of its group's sets minus the candidates already placed, in random order within a
block; the ceiling is the best expectation over those layouts (nDCG@5 and MRR
maximised separately, each an upper bound of its own). A partner missing from the
pool counts as never ranked, as in ``matchmaker eval``.

Text tie-break (optional view): the same blocks, ordered within each block by a text
measure (BM25 over the whole profile, as ``matchmaker eval``'s baseline) instead of at
random: the ceiling of a ranker that uses the fields first and the text only to break
their ties.

Distractors (label-side view): for each batch-c deal, ``deals.csv`` names real
same-industry, same-country organisations that did not do the deal. For each
distractor d in the country of one party p, the query is the other party, if it has a
query in the set; the figure is the share of such (query, p, d) triples where the
shipped ranker (``matchmaker eval --models none``'s code: ``fit_in_memory`` and
``PartnerEvaluation.rank_matchmaker``) ranks d above p, and how many d are in T(q, p).
"""
