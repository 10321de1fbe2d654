"""The staff account of the web and report fixtures: its password hash, made once.

scrypt costs about 0.2 s of CPU to hash and 0.14 s to check by design (Werkzeug's
N=2**15), and about 300 tests log in to an app with a fixture account. The fixture
account's hash therefore uses scrypt with N=2**10, made once per process: the app's
own ``check_password_hash`` verifies it at every login, exactly as it verifies a
production hash (the parameters travel in the hash), in a few milliseconds. The
password rules and the production work factor are tested where accounts are made
(``matchmaker user add`` and ``passwd`` in tests/cli/test_server_and_users.py).
"""

from __future__ import annotations

from functools import cache

from werkzeug.security import generate_password_hash

from matchmaker.web.auth import MIN_PASSWORD_LENGTH

#: scrypt with a 32 times smaller work factor than Werkzeug's default (N=2**15)
FIXTURE_KDF = "scrypt:1024:8:1"


@cache
def password_hash(password: str) -> str:
    """A scrypt hash of ``password`` for a fixture account, computed once per process."""
    assert len(password) >= MIN_PASSWORD_LENGTH, "the app would refuse this password"
    return generate_password_hash(password, method=FIXTURE_KDF)
