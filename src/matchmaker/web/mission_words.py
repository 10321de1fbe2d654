"""The mission planner's stored English words in the page's language.

Plan and log actions, solver states and the planner's notes are stored as written
(the CLI and the JSON read them); the pages translate what they recognise and show
the rest as it is. Registered as template filters by :func:`register`.
"""

from __future__ import annotations

import re

from flask import Blueprint
from flask_babel import format_decimal, gettext, ngettext
from flask_babel import lazy_gettext as _l

from ..ranking.fit import fit_label

PLAN_ACTIONS = {
    "plan": _l("plan"),
    "move": _l("move"),
    "add": _l("add"),
    "remove": _l("remove"),
    "restore": _l("restore"),
}
MISSION_ACTIONS = {
    "create": _l("create"),
    "add participant": _l("add participant"),
    "update participant": _l("update participant"),
    "remove participant": _l("remove participant"),
    "set wish": _l("set wish"),
    "remove wish": _l("remove wish"),
}
FIT_WORDS = {"strong": _l("strong fit"), "good": _l("good fit"), "possible": _l("possible fit")}
WISH_KINDS = {"must": _l("must meet"), "never": _l("never meet")}
SOLVER_STATES = {
    "optimal": _l("optimal"),
    "feasible": _l("feasible"),
    "infeasible": _l("infeasible"),
    "unknown": _l("unknown"),
    "greedy": _l("greedy"),
}
_SOLVED = re.compile(r"solved by CP-SAT \((?P<status>\w+)\)")
_KEPT = re.compile(r"solved by CP-SAT \((?P<status>\w+)\), keeping version (?P<version>\d+)")
_RESTORED = re.compile(r"restore version (?P<version>\d+)")
_DROPPED = re.compile(
    r"(?P<n>\d+) meetings of version (?P<version>\d+) broke a rule and were planned again"
)
_CHANGED = re.compile(r"(?P<action>move|add|remove) (?P<pair>.+?)(?: \(slot (?P<slot>\d+)\))?")
_UNTIMED = re.compile(r"(?P<n>\d+) chosen meetings found no common free slot and table")
_UNCOVERED = re.compile(r"(?P<n>\d+) companies could not get a good meeting \(fit ≥ (?P<fit>.+)\)")


def _word(labels: dict, value: object) -> str:
    label = labels.get(str(value or "").lower())
    return str(label) if label is not None else str(value or "")


def plan_action(value: str) -> str:
    """'plan', 'move'... (a plan version's stored action) in the page's language."""
    return _word(PLAN_ACTIONS, value)


def mission_action(value: str) -> str:
    """A mission log entry's stored action in the page's language."""
    return _word(MISSION_ACTIONS, value)


def wish_kind(value: str | None) -> str:
    """'must' or 'never' as the wish reads in the page's language."""
    return _word(WISH_KINDS, value)


def solver_status(value: str | None) -> str:
    """CP-SAT's status word (OPTIMAL, FEASIBLE...) in the page's language."""
    return _word(SOLVER_STATES, value)


def fit(value: float | None) -> str:
    """A fit (or any planner figure) with two decimals, as the page's language writes it."""
    return format_decimal(value or 0, "0.00")


def fit_band(score: float | None) -> str:
    """A side's partner score as the results page labels it (strong / good / possible fit)."""
    if score is None:
        return ""
    return str(FIT_WORDS[fit_label(score)])


def plan_note(note: str | None) -> str:
    """A planner's stored note (English) in the page's language, when it is a known one."""
    note = note or ""
    if found := _SOLVED.fullmatch(note):
        return gettext("solved by CP-SAT (%(status)s)", status=solver_status(found["status"]))
    if found := _KEPT.fullmatch(note):
        return gettext(
            "solved by CP-SAT (%(status)s), keeping the meetings of version %(version)s",
            status=solver_status(found["status"]),
            version=found["version"],
        )
    if found := _RESTORED.fullmatch(note):
        return gettext("version %(version)s restored", version=found["version"])
    if found := _DROPPED.fullmatch(note):
        return ngettext(
            "%(num)d meeting of version %(version)s broke a rule and was planned again",
            "%(num)d meetings of version %(version)s broke a rule and were planned again",
            int(found["n"]),
            version=found["version"],
        )
    if found := _UNTIMED.fullmatch(note):
        return ngettext(
            "%(num)d chosen meeting found no common free slot and table",
            "%(num)d chosen meetings found no common free slot and table",
            int(found["n"]),
        )
    if found := _UNCOVERED.fullmatch(note):
        return ngettext(
            "%(num)d company could not get a good meeting (fit ≥ %(fit)s)",
            "%(num)d companies could not get a good meeting (fit ≥ %(fit)s)",
            int(found["n"]),
            fit=found["fit"],
        )
    if found := _CHANGED.fullmatch(note):
        if found["slot"] is None:
            return gettext("%(action)s %(pair)s", action=plan_action(found["action"]),
                           pair=found["pair"])
        return gettext("%(action)s %(pair)s (slot %(slot)s)", action=plan_action(found["action"]),
                       pair=found["pair"], slot=found["slot"])
    return note


def register(bp: Blueprint) -> None:
    """Make the words available to every template as filters."""
    for function in (
        plan_action, mission_action, wish_kind, solver_status, fit, fit_band, plan_note
    ):
        bp.add_app_template_filter(function, function.__name__)
