"""One compiled copy of each Jinja template for every app a test process creates.

Each test builds its own Flask app (its own database, its own settings), and each
app's Jinja environment compiles every template it renders again: 0.1-0.2 s of CPU
for a test's first page, most of a web test's cost. Jinja's bytecode cache is
the documented way to skip that: a template's code is kept under its name and file,
and reused only while the source's checksum is unchanged, so an edited template is
compiled afresh. Rendering, autoescaping and translations still run for real.
"""

from __future__ import annotations

from flask import Flask
from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket


class InMemoryBytecodeCache(BytecodeCache):
    """Compiled templates kept in this process's memory (Jinja checks the source checksum)."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


SHARED = InMemoryBytecodeCache()
_create_jinja_environment = Flask.create_jinja_environment


def create_jinja_environment(app: Flask) -> Environment:
    """Flask's own environment, with the process's shared bytecode cache."""
    environment = _create_jinja_environment(app)
    environment.bytecode_cache = SHARED
    return environment
