"""The layout keeps its promises: no import cycles, nothing low imports something high,
and no module grows past 500 lines.

Imports are read with the standard ``ast`` module from every file under
src/matchmaker/, including imports inside functions (a lazy import is still a
dependency, and hiding a cycle behind one is how the old report_formats <->
report_html cycle lived). Imports under ``if TYPE_CHECKING:`` are left out: they
never run.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "matchmaker"
MAX_LINES = 500

#: Modules over MAX_LINES, each with the reason it is not split yet.
TOO_LONG_FOR_NOW: dict[str, str] = {}

#: Layers, lowest first: a module may import its own layer and the layers below it.
#: Every module is named here (a package name covers what is inside it, unless a longer
#: name says otherwise), so a new module gets a layer on purpose, never by default;
#: the README's module map shows the same layers (the module map tests below).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "domain (no database, no front end)",
        (
            "matchmaker",  # the package file itself (__version__), not what is inside it
            "matchmaker.config",
            "matchmaker.errors",
            "matchmaker.files",
            "matchmaker.formulas",
            "matchmaker.accounts",
            "matchmaker.profiles",
            "matchmaker.roles",
            "matchmaker.role_inference",
            "matchmaker.role_inference_ko_lv",
            "matchmaker.role_inference_en",
            "matchmaker.rule_scan",
            "matchmaker.role_fit",
            "matchmaker.licensing",
            "matchmaker.therapy",
            "matchmaker.focus_fit",
            "matchmaker.names",
            "matchmaker.lookup",
            "matchmaker.text_languages",
            "matchmaker.lexicon",
            "matchmaker.languages",
            "matchmaker.reason_texts",
            "matchmaker.estimator",
            "matchmaker.judgements",
            "matchmaker.texts",
            "matchmaker.embedding",
            "matchmaker.ranking",
            "matchmaker.ranking.dense_fit",  # named on its own: the fit's arrays, chunk by chunk
            "matchmaker.ranking.array_files",  # and the files it appends them to
            "matchmaker.learning",
            "matchmaker.dataset",
            # the planner's pure parts: settings and slots, the solver, hand changes
            "matchmaker.missions.model",
            "matchmaker.missions.solve",
            "matchmaker.missions.adjust",
        ),
    ),
    (
        "storage",
        (
            "matchmaker.store",
            "matchmaker.directory",
            "matchmaker.mission_store",
            "matchmaker.importing",
            "matchmaker.exporting",
            "matchmaker.indexing",
            "matchmaker.fitted_state",
            "matchmaker.saved_parts",
            "matchmaker.saved_pages",
            "matchmaker.fit_location",
            "matchmaker.work_folders",
        ),
    ),
    (
        "operations",
        (
            "matchmaker.engine",
            "matchmaker.service",
            "matchmaker.live_index",
            "matchmaker.evaluation",
            "matchmaker.reports",
            "matchmaker.training",
            "matchmaker.missions",
            "matchmaker.duplicates",
            "matchmaker.model_comparison",
        ),
    ),
    (
        "front ends",
        (
            "matchmaker.cli",
            "matchmaker.cli_support",
            "matchmaker.web",
            "matchmaker.__main__",
        ),
    ),
]
#: The one place the command line reaches into the web app: ``matchmaker serve`` runs it.
CLI_MODULES_THAT_RUN_THE_WEB_APP = frozenset({"matchmaker.cli.server"})
#: Front-end modules (under matchmaker/cli/ and matchmaker/web/) allowed to import
#: :mod:`matchmaker.engine` instead of holding the service (:class:`service.Matchmaker`),
#: each with its reason. Everything else a front end needs from engine, the service
#: has or re-exports (``Progress``, ``make_embedder``).
FRONT_ENDS_USING_THE_ENGINE: dict[str, str] = {
    # eval and train rank the labelled sets' own profile files, fitted in memory
    # (engine.fit_in_memory); there is no database, so no service to hold
    "matchmaker.cli.evaluate": "fits in-memory rankers on eval files, not on the database",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def imports_of(name: str) -> set[str]:
    """The matchmaker modules that module ``name`` imports (as they would be loaded)."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    package = name if is_package(name) else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found.update(_known(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in MODULES else _known(base))
    found.discard(None)  # third-party and standard-library imports
    found.discard(name)
    return found


def _runtime_nodes(tree: ast.AST):
    """Every node, except those under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".")
    base = ".".join(parts[: len(parts) - node.level + 1])
    return f"{base}.{node.module}" if node.module else base


def _known(name: str) -> str | None:
    """The longest matchmaker module that ``name`` is, or is inside of."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


GRAPH = {name: imports_of(name) for name in MODULES}


def layer_of(name: str) -> int:
    best, level = -1, None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            inside = prefix != "matchmaker" and name.startswith(prefix + ".")
            if (name == prefix or inside) and len(prefix) > best:
                best, level = len(prefix), index
    assert level is not None, f"{name} belongs to no layer: add it to LAYERS in {__file__}"
    return level


def test_every_module_has_a_layer():
    unplaced = []
    for name in MODULES:
        try:
            layer_of(name)
        except AssertionError:
            unplaced.append(name)
    assert unplaced == [], f"add these to LAYERS in {__file__}: {unplaced}"


def test_the_import_reader_sees_relative_lazy_and_submodule_imports():
    assert "matchmaker.store" in GRAPH["matchmaker.engine"]
    assert "matchmaker.engine" in GRAPH["matchmaker.evaluation"]  # imported inside a function
    assert "matchmaker.ranking.batch" in GRAPH["matchmaker.ranking.partner"]  # from . import
    assert "matchmaker.ranking.partner" not in GRAPH["matchmaker.ranking.batch"]  # TYPE_CHECKING
    assert "matchmaker.reports.formats.csv" in GRAPH["matchmaker.reports.formats"]


def test_there_are_no_import_cycles():
    cycles = []
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for target in sorted(GRAPH[node]):
            if state.get(target) == "open":
                cycles.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = "done"

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert cycles == [], "\n".join(" -> ".join(c) for c in cycles)


def test_nothing_low_imports_something_high():
    wrong = [
        f"{name} ({LAYERS[layer_of(name)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for name, targets in sorted(GRAPH.items())
        for target in sorted(targets)
        if layer_of(target) > layer_of(name)
    ]
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("low", ["matchmaker.ranking", "matchmaker.texts", "matchmaker.profiles"])
def test_ranking_and_profile_text_never_reach_the_database_or_a_front_end(low):
    """Also through other modules: what ranking imports, transitively, holds no SQL."""
    seen, todo = set(), [m for m in MODULES if m == low or m.startswith(low + ".")]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(GRAPH[name])
    forbidden = ("matchmaker.store", "matchmaker.web", "matchmaker.cli", "matchmaker.engine")
    assert sorted(m for m in seen if m.startswith(forbidden)) == []


def test_no_module_is_over_500_lines():
    long = {
        name: len(path.read_text(encoding="utf-8").splitlines())
        for name, path in MODULES.items()
    }
    too_long = {name for name, lines in long.items() if lines > MAX_LINES}
    assert too_long - set(TOO_LONG_FOR_NOW) == set(), {n: long[n] for n in too_long}
    # an exception that no longer applies is taken off the list, so the list stays true
    assert set(TOO_LONG_FOR_NOW) <= too_long


def test_the_front_ends_stand_apart():
    """The web app never imports the command line, and the command line imports the web
    app only in ``matchmaker serve``, the command that runs it: what both need (staff
    account rules, reports) lives below them."""
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        for target in targets
        if (_inside(name, "matchmaker.web") and _inside(target, "matchmaker.cli"))
        or (
            _inside(name, "matchmaker.cli")
            and _inside(target, "matchmaker.web")
            and name not in CLI_MODULES_THAT_RUN_THE_WEB_APP
        )
    )
    assert wrong == [], "\n".join(wrong)


def front_ends_importing_the_engine() -> set[str]:
    return {
        name
        for name, targets in GRAPH.items()
        if (_inside(name, "matchmaker.cli") or _inside(name, "matchmaker.web"))
        and "matchmaker.engine" in targets
    }


def test_the_front_ends_hold_only_the_service():
    """The commands, the web views and the web's report jobs call :class:`Matchmaker`
    (``save``, ``import_file``, ``match``, ``report``, ``reembed``, ``stats``...), never
    engine's steps by hand, so each operation is written once, below both front ends."""
    wrong = sorted(front_ends_importing_the_engine() - set(FRONT_ENDS_USING_THE_ENGINE))
    assert wrong == [], f"{wrong} import matchmaker.engine: use matchmaker.service.Matchmaker"


def test_the_engine_exceptions_are_still_needed():
    """An exception that no longer imports engine comes off the list, so the list stays true."""
    assert set(FRONT_ENDS_USING_THE_ENGINE) <= front_ends_importing_the_engine()


def _inside(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


# -- the README's module map ---------------------------------------------------------------

README = SRC.parent / "README.md"
MAP_HEADING = "## How it is built"


def module_map() -> dict[str, str]:
    """{path under src/matchmaker/: the README layer row it is listed under}.

    The map is the table under "How it is built". Only its first column counts: each
    backticked path there is relative to src/matchmaker/, a bare file name (``lexical.py``)
    is in the folder of the path before it in the same cell, and a folder (``ranking/``)
    stands for its ``__init__.py``. A bold row (``**storage**``) starts a layer.
    """
    text = README.read_text(encoding="utf-8")
    section = text[text.index(MAP_HEADING) :]
    section = section[: section.find("\n## ", 1)]
    listed: dict[str, str] = {}
    layer = ""
    for line in section.splitlines():
        if not line.startswith("| "):
            continue
        cell = line.split("|")[1]
        bold = re.match(r"\s*\*\*(.+?)\*\*", cell)
        if bold:
            layer = bold.group(1)
            continue
        if not layer:  # the table's header
            continue
        folder = ""
        for name in re.findall(r"`([^`]+)`", cell):
            path = name if "/" in name else folder + name
            folder = path.rpartition("/")[0] + "/" if "/" in path else ""
            listed[path + "__init__.py" if path.endswith("/") else path] = layer
    return listed


MAP = module_map()


def test_the_module_map_names_every_module():
    """A module the README's map does not name is a behaviour a newcomer cannot find."""
    present = {str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")}
    assert sorted(present - set(MAP)) == [], "add these to the README's module map"


def test_the_module_map_names_only_what_exists():
    assert sorted(p for p in MAP if not (PACKAGE / p).is_file()) == []


def test_the_module_map_shows_each_module_in_its_layer():
    """The map's layer rows say what LAYERS says, so the README cannot promise another house."""
    wrong = []
    for path, shown in sorted(MAP.items()):
        if path.endswith(".py") and (PACKAGE / path).is_file():
            name = module_name(PACKAGE / path)
            actual = LAYERS[layer_of(name)][0]
            if not actual.startswith(shown):
                wrong.append(f"{path}: listed under '{shown}', its layer is '{actual}'")
    assert wrong == [], "\n".join(wrong)


def test_the_module_map_reader_follows_the_rules():
    assert MAP["ranking/__init__.py"] == "domain"
    assert MAP["ranking/lexical.py"] == MAP["ranking/phrases.py"]  # a bare name in a cell
    assert MAP["store/__init__.py"] == "storage"
    assert "lexical.py" not in MAP
