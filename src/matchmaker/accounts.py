"""Staff account rules: what a user name may be, how long a password must be, how it is hashed.

Accounts are made from the CLI (``matchmaker user add``) and checked at every web login
(:mod:`matchmaker.web.auth`), so the rules live below both front ends: the two can
never disagree, and ``matchmaker user`` needs nothing of the web app.
Passwords are hashed with scrypt, Werkzeug's default KDF.
"""

from __future__ import annotations

import re

from werkzeug.security import generate_password_hash

from .errors import InvalidInput

MIN_PASSWORD_LENGTH = 12
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_username(username: str) -> str:
    """The name itself if it is a valid user name, else InvalidInput saying what one is."""
    if not USERNAME.match(username or ""):
        raise InvalidInput(
            "a user name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return username


def hash_password(password: str) -> str:
    """A scrypt hash of a long-enough password; raise InvalidInput (a ValueError) for a weak one."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return generate_password_hash(password)
