"""Opaque cursors for keyset paging of ``GET /api/companies`` (``?after=``).

A page ends with the id of its last company; the next page starts past that id,
so a client that walks the whole list (a CRM sync) pays the same for its last
page as for its first, and meets every company that lives throughout exactly
once, whatever is created or deleted between its requests. ``offset`` cannot
promise that: a deletion before the offset shifts the rest by one.

The token is ``base64url(json + check)``: the JSON holds a format version, the
last id and a digest of the listing's filters (country and folded text), so a
cursor sent with other filters is refused instead of resuming a different list;
``check`` is a BLAKE2b digest of the JSON, so a token that was cut short or
edited is refused too. Refusals are :class:`CursorError` (a 400), never a 5xx.

The check is not a secret: a cursor only says where a public listing resumes,
and anyone may ask for the companies after any id. It is unkeyed on purpose, so
a cursor stays valid across a server restart, on every app server, and when the
secret key is rotated.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json

from ..store import search_key

#: The token format; a token of another version is refused, never guessed at.
VERSION = 1
#: Longer tokens are refused before decoding (ids are at most 100 characters).
MAX_TOKEN_LENGTH = 600
#: Longer ids never come from the store; a longer one is not a cursor we made.
MAX_ID_LENGTH = 300
_CHECK_SIZE = 8
_PERSON = b"mm-api-cursor"


class CursorError(ValueError):
    """A cursor that is not one this API made for this listing; ``str()`` says why."""


def listing_of(country: str | None, text: str) -> str:
    """A short digest of the filters a listing was asked with (country, folded text).

    Folded with :func:`~matchmaker.store.search_key`, as the store matches it, so
    "Rīga" and "riga" are the same listing.
    """
    spelled = f"{country or ''}\0{search_key(text)}".encode()
    return hashlib.blake2b(spelled, digest_size=6, person=_PERSON).hexdigest()


def make_cursor(last_id: str, country: str | None, text: str) -> str:
    """The token a page ending with ``last_id`` hands out for the next page."""
    body = json.dumps([VERSION, last_id, listing_of(country, text)], separators=(",", ":"))
    raw = body.encode() + _check(body.encode())
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def read_cursor(token: str, country: str | None, text: str) -> str:
    """The id a cursor resumes after; CursorError unless this API made it for this listing."""
    body = _checked_body(token)
    try:
        version, last_id, listing = json.loads(body)
    except (ValueError, TypeError):  # not JSON, not UTF-8, or not three values
        raise CursorError(_NOT_OURS) from None
    if type(version) is not int or version != VERSION:
        raise CursorError(_NOT_OURS)
    if not isinstance(last_id, str) or not isinstance(listing, str):
        raise CursorError(_NOT_OURS)
    if not last_id or len(last_id) > MAX_ID_LENGTH or not last_id.isprintable():
        raise CursorError(_NOT_OURS)
    if not hmac.compare_digest(listing, listing_of(country, text)):
        raise CursorError(
            "this cursor belongs to a listing with other filters: send the same country "
            "and q as the request whose response gave it, or start again without 'after'"
        )
    return last_id


_NOT_OURS = (
    "not a cursor from this API (cut short or changed?): send the X-Next-Cursor value "
    "or follow the Link header of the previous page exactly, or start again without 'after'"
)


def _checked_body(token: str) -> bytes:
    """The token's JSON bytes, once its alphabet, length and check are right."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise CursorError(f"a cursor is at most {MAX_TOKEN_LENGTH} characters")
    try:
        padded = token.encode("ascii") + b"=" * (-len(token) % 4)
        raw = base64.b64decode(padded, altchars=b"-_", validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise CursorError(_NOT_OURS) from None
    body, check = raw[:-_CHECK_SIZE], raw[-_CHECK_SIZE:]
    if len(raw) <= _CHECK_SIZE or not hmac.compare_digest(check, _check(body)):
        raise CursorError(_NOT_OURS)
    return body


def _check(body: bytes) -> bytes:
    return hashlib.blake2b(body, digest_size=_CHECK_SIZE, person=_PERSON).digest()
