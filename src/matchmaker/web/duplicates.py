"""Duplicate profiles for agency staff (login required): find, compare field by field, merge, undo.

Detection is :mod:`matchmaker.duplicates` (names across scripts, website,
stored profile vectors); a merge is :meth:`Store.merge` (audited, undoable,
the merged id redirects to the kept one). Views only parse, call and render.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from ..duplicates import find_in_store
from ..indexing import embed_profiles
from ..profiles import ProfileError, validate_profile
from ..store import ConflictError, NotFoundError, StaleEditError
from .auth import login_needed
from .errors import respond
from .forms import PROFILE_FIELDS
from .resources import get_embedder, get_store

bp = Blueprint("duplicates", __name__, url_prefix="/staff")

#: The fields staff choose between, in form order, with their labels.
MERGE_FIELDS = [(name, label) for name, label, *_ in PROFILE_FIELDS]


@bp.before_request
def staff_only():
    return None if g.user else login_needed()


@bp.get("/duplicates")
def index():
    store = get_store()
    pairs = find_in_store(store, get_embedder().model_id)
    return render_template("staff/duplicates.html", pairs=pairs, merges=store.merges(limit=20))


@bp.get("/duplicates/merge")
def preview():
    """Both profiles side by side; each field chooses the kept or the other value."""
    store = get_store()
    keep, other = request.args.get("keep", ""), request.args.get("merge", "")
    if not keep or not other or keep == other:
        return respond(400, "Choose two different profiles to merge (keep=… and merge=…).")
    kept, merged = store.get(keep), store.get(other)
    return _preview(kept, merged)


def _preview(kept, merged, choices: dict | None = None, errors: str | None = None, status=200):
    a, b = kept.content(), merged.content()
    rows = [
        {
            "name": name,
            "label": label,
            "kept": a.get(name),
            "other": b.get(name),
            "same": a.get(name) == b.get(name),
            "take": (choices or {}).get(name) or _default_choice(a.get(name), b.get(name)),
        }
        for name, label in MERGE_FIELDS
    ]
    return render_template(
        "staff/merge.html", kept=kept, merged=merged, rows=rows, errors=errors
    ), status


def _default_choice(kept_value, other_value) -> str:
    """Keep the kept profile's value unless it is empty and the other one is not."""
    return "other" if kept_value in (None, "", [], False) and other_value else "kept"


@bp.post("/duplicates/merge")
def merge():
    store = get_store()
    keep, other = request.form.get("keep", ""), request.form.get("merge", "")
    kept, merged = store.get(keep), store.get(other)
    choices = {name: request.form.get(f"take_{name}", "kept") for name, _ in MERGE_FIELDS}
    content = kept.content()
    other_content = merged.content()
    for name, take in choices.items():
        if take == "other":
            content[name] = other_content[name]
    try:
        profile = validate_profile({**content, "id": kept.id})
        store.merge(profile, merged.id, g.user, expected_versions=_versions(request.form))
    except ProfileError as exc:
        return _preview(kept, merged, choices, errors=str(exc), status=400)
    except StaleEditError:
        return _preview(
            store.get(keep),
            store.get(other),
            choices,
            errors="One of the profiles changed since this page was opened; check the values "
            "again and merge.",
            status=409,
        )
    except ConflictError as exc:
        return respond(409, str(exc))
    embed_profiles(store, get_embedder(), [store.get(kept.id)])
    flash(
        f"Merged {merged.name} ({merged.id}) into {kept.name}. Its address now leads here; "
        "undo it on the duplicates page.",
        "success",
    )
    return redirect(url_for("search.company", company_id=kept.id), code=303)


def _versions(form) -> tuple[int, int] | None:
    try:
        return int(form.get("keep_version", "")), int(form.get("merge_version", ""))
    except ValueError:
        return (-1, -1)  # a form without versions can only be stale


@bp.post("/merges/<merge_id>/undo")
def undo(merge_id: str):
    store = get_store()
    if not merge_id.isdigit() or len(merge_id) > 18:
        return respond(404, f"no merge with id {merge_id[:40]!r}")
    try:
        merge = store.undo_merge(int(merge_id), g.user)
    except NotFoundError as exc:
        return respond(404, str(exc))
    except StaleEditError as exc:
        return respond(
            409,
            f"{exc.company_id} was edited after the merge, so undoing it would lose that edit; "
            "nothing was done. Edit the profile by hand instead.",
        )
    except ConflictError as exc:
        return respond(409, str(exc))
    embed_profiles(
        store, get_embedder(), [store.get(merge["kept_id"]), store.get(merge["merged_id"])]
    )
    flash(f"Undid the merge: {merge['merged_id']} is a profile of its own again.", "success")
    return redirect(url_for("duplicates.index"), code=303)
