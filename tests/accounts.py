"""The staff account of the web and report fixtures: its password hashed once per process.

scrypt costs about 0.2 s of CPU by design, and hundreds of tests start from an app with
a staff account, so every fixture reuses one hash of the same test password. The hash
is made by the app's own ``hash_password`` with its real parameters, so each login still
checks a real scrypt hash; the tests of hashing itself (``matchmaker user add``,
``passwd``) hash their own passwords.
"""

from __future__ import annotations

from functools import cache

from matchmaker.web.auth import hash_password


@cache
def password_hash(password: str) -> str:
    """``hash_password(password)``, computed once per test process."""
    return hash_password(password)
