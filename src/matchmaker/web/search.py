"""Partner search, for companies (no login): the start page, results, company pages.

A company either picks itself (by name, in either script) to get partners in
the other country, or describes what it needs in a sentence. Results show
the reasons for each match as the ranker words them and, for a sentence, how
it was read (needs, and the user's own offers), so a user can rephrase it.
"""

from __future__ import annotations

import time

from flask import Blueprint, g, render_template, request
from flask_babel import gettext

from ..judgements import GRADES, query_key
from ..lookup import Entry
from ..ranking import Match, QueryResult, TextQuery, parse_text_query
from .forms import SearchParams, parse_search
from .resources import get_directory, get_ranker, get_snapshot, get_store

bp = Blueprint("search", __name__)

COMPANY_PAGE_TOP = 5


@bp.get("/")
def index():
    return _start_page(SearchParams())


@bp.get("/search")
def results():
    params = parse_search(request.args)
    if params.errors:
        return _start_page(params, status=400)
    if params.q:
        return _text_results(params)
    if params.company:
        return _company_results(params)
    params.errors["company"] = gettext("Choose your company, or describe what you need below.")
    return _start_page(params, status=400)


def _start_page(params: SearchParams, status: int = 200):
    mode = "text" if params.q or "q" in params.errors else "company"
    return render_template(
        "index.html",
        params=params,
        mode=mode,
        blank=SearchParams(),
        sectors=get_directory().sectors,
    ), status


def _company_results(params: SearchParams):
    entry, candidates = get_directory().resolve(params.company)
    if entry is None:
        if candidates:
            return render_template("choose.html", params=params, candidates=candidates)
        params.errors["company"] = gettext(
            "No company called “%(name)s”. Check the spelling (Latin or local script), or "
            "describe what you need instead.",
            name=params.company,
        )
        close = get_directory().did_you_mean(params.company)
        if close:
            params.errors["company"] += " Did you mean " + " or ".join(
                f"{e.name} ({e.id})" for e in close
            ) + "?"
        return _start_page(params, status=404)
    target = params.country or _other(entry.country)
    started = time.perf_counter()
    matches = get_ranker(entry.id).match(entry.id, top=params.top, filters=params.filters(target))
    return _render_results(
        params,
        matches,
        started,
        subject=entry,
        target=target,
        grading=_grading(entry.id, None, target),
    )


def _text_results(params: SearchParams):
    if not params.country:
        params.errors["country"] = gettext("Choose the country to search in.")
        return _start_page(params, status=400)
    started = time.perf_counter()
    found = find_by_text(params)
    return _render_results(
        params,
        found.matches,
        started,
        subject=None,
        target=params.country,
        read_as=found.reading,
        grading=_grading(None, query_key(params.q), params.country),
    )


def find_by_text(params: SearchParams) -> QueryResult:
    """How the need was read and the companies for it; none while the database is empty."""
    if get_snapshot().ranker is None:  # a ranker cannot be fitted on nothing
        return QueryResult(reading=parse_text_query(params.q), matches=[])
    return get_ranker().query(params.q, params.country, params.top, params.filters())


def _render_results(
    params: SearchParams,
    matches: list[Match],
    started: float,
    subject: Entry | None,
    target: str,
    read_as: TextQuery | None = None,
    grading: dict | None = None,
):
    elapsed_ms = (time.perf_counter() - started) * 1000
    return render_template(
        "results.html",
        params=params,
        matches=matches,
        subject=subject,
        target=target,
        elapsed_ms=elapsed_ms,
        sectors=get_directory().sectors,
        mode="text" if subject is None else "company",
        read_as=read_as,
        grading=grading,
    )


def _grading(company: str | None, text: str | None, target: str) -> dict | None:
    """For staff only: the grade form's hidden fields and each shown company's current grade."""
    if not g.user:
        return None
    current = get_store().current_judgements(company, text, target)
    return {
        "query_company": company,
        "query_text": text,
        "target_country": target,
        "next": request.full_path.rstrip("?"),
        "current": {row["candidate_id"]: row for row in current},
        "labels": GRADES,
    }


@bp.get("/companies/<company_id>")
def company(company_id: str):
    profile = get_store().get(company_id)
    ranker = get_ranker(profile.id)
    target = _other(profile.country)
    return render_template(
        "company.html",
        profile=profile,
        partners=ranker.match(profile.id, top=COMPANY_PAGE_TOP),
        similar=ranker.similar(profile.id, top=COMPANY_PAGE_TOP),
        target=target,
        grading=_grading(profile.id, None, target),
    )


def _other(country: str) -> str:
    return "KR" if country == "LV" else "LV"
