"""Where the app's templates, static files and API description are found.

The project keeps them where its design puts them: ``web/templates``,
``web/static``, ``web/translations`` and ``docs/openapi.yaml`` at the top of the
repository. A wheel carries them inside the package, under ``matchmaker/site/`` (hatchling's
``force-include`` in pyproject.toml). Both are found through
``importlib.resources`` from the installed (or checked-out) ``matchmaker``
package, so an installed wheel and an editable checkout serve the same pages.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

#: name -> (where a wheel puts it inside the package, where it is in a source checkout)
LOCATIONS: dict[str, tuple[str, str]] = {
    "templates": ("site/templates", "web/templates"),
    "static": ("site/static", "web/static"),
    "translations": ("site/translations", "web/translations"),
    "openapi.yaml": ("site/openapi.yaml", "docs/openapi.yaml"),
}


class AssetNotFoundError(FileNotFoundError):
    """The installation lacks the web files: a broken wheel or a partial checkout."""


def locate(name: str) -> Path:
    """The file or folder ``name`` (a key of :data:`LOCATIONS`), installed or checked out."""
    packaged, checked_out = LOCATIONS[name]
    package = Path(str(files("matchmaker")))
    for candidate in (package / packaged, package.parents[1] / checked_out):
        if candidate.exists():
            return candidate
    raise AssetNotFoundError(
        f"matchmaker's {name} is neither in the package ({package / packaged}) nor in a "
        f"checkout ({package.parents[1] / checked_out}); reinstall the wheel"
    )
