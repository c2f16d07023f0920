"""The package's layers (issue 21): imports go one way, from the commands down to the core.

    commands   cli, serve, check, __main__          what a user runs
    build      builder, engine, pipeline,           one run over the whole edition
               distributed                          (on one machine or a Dask cluster)
    read       sources, notes, ids, header          one source -> one TEI tree
    resolve    quotations                           across texts
    write      site, pages, render, export, search  the site and the files it holds
    core       everything else (config, errors, model, tei, workers, ...)

A module may import from its own layer and from the layers below it; read, resolve and write
do not import from one another. A module falls into its layer by the first part of its name
under ``edition`` (a new ``edition/sources/tei.py`` is read, ``edition/quotations/ann.py``
resolve, ``edition/export.py`` write, a new top-level module core): no list of modules to keep
up to date. The check reads the source with :mod:`ast` (every ``import``, also those inside
functions and under ``TYPE_CHECKING``), so it needs no tool beyond the standard library. It
also finds import cycles between modules and private names (``_x``) imported from another module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "edition"

LAYERS: dict[str, tuple[str, ...]] = {
    "commands": ("cli", "serve", "check", "__main__"),
    "build": ("builder", "engine", "pipeline", "distributed"),
    "read": ("sources", "notes", "ids", "header"),
    "resolve": ("quotations",),
    "write": ("site", "pages", "render", "export", "search"),
}
"""Layer -> the first name under ``edition`` of its modules; any other module is ``core``."""

BELOW: dict[str, set[str]] = {
    "commands": {"commands", "build", "read", "resolve", "write", "core"},
    "build": {"build", "read", "resolve", "write", "core"},
    "read": {"read", "core"},
    "resolve": {"resolve", "core"},
    "write": {"write", "core"},
    "core": {"core"},
}
"""Layer -> the layers its modules may import from."""

MAX_LINES = 640
"""No module over ~600 lines (issue 21)."""

# Issue 21 is done in parallel branches; what the others' branches fix is listed here, to be
# emptied when they are merged (a listed case that is gone fails its test: take it out).
PENDING_PRIVATE_IMPORTS: set[tuple[str, str]] = set()
PENDING_CYCLES: list[list[str]] = []
PENDING_SPLITS: set[str] = set()


def layer_of(module: str) -> str:
    parts = module.split(".")
    first = parts[1] if len(parts) > 1 else "__init__"
    for layer, names in LAYERS.items():
        if first in names:
            return layer
    return "core"


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def resolve_from(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name a ``from ... import`` names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(known: dict[str, Path]) -> dict[str, list[tuple[str, str | None, int]]]:
    """Module -> (imported module inside ``edition``, the name imported from it or None, line)."""
    out: dict[str, list[tuple[str, str | None, int]]] = {}
    for mod, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        is_package = path.name == "__init__.py"
        found: list[tuple[str, str | None, int]] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.extend((a.name, None, node.lineno) for a in node.names if a.name.split(".")[0] == "edition")
            elif isinstance(node, ast.ImportFrom):
                target = resolve_from(mod, is_package, node)
                if target.split(".")[0] != "edition":
                    continue
                for a in node.names:
                    sub = f"{target}.{a.name}"
                    if sub in known:  # ``from . import quotations``: the module itself
                        found.append((sub, None, node.lineno))
                    else:
                        found.append((target, a.name, node.lineno))
        out[mod] = found
    return out


KNOWN = modules()
IMPORTS = imports(KNOWN)


def test_layers_are_imported_downwards_only() -> None:
    wrong = []
    for mod, found in IMPORTS.items():
        here = layer_of(mod)
        for target, _name, line in found:
            there = layer_of(target)
            if there not in BELOW[here]:
                wrong.append(f"{KNOWN[mod].relative_to(PACKAGE.parent)}:{line}: {mod} ({here}) imports {target} ({there})")
    assert not wrong, "\n".join(wrong)


def test_no_private_names_imported_across_modules() -> None:
    wrong = []
    seen: set[tuple[str, str]] = set()
    for mod, found in IMPORTS.items():
        for target, name, line in found:
            private = name is not None and name.startswith("_") and not name.startswith("__")
            if private and target != mod:
                seen.add((mod, name or ""))
                if (mod, name) not in PENDING_PRIVATE_IMPORTS:
                    wrong.append(f"{KNOWN[mod].relative_to(PACKAGE.parent)}:{line}: {mod} imports {name} from {target}")
    assert not wrong, "\n".join(wrong)
    assert PENDING_PRIVATE_IMPORTS <= seen, f"fixed, take out of PENDING_PRIVATE_IMPORTS: {PENDING_PRIVATE_IMPORTS - seen}"


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles() -> None:
    """Between modules (a package's ``__init__`` counts as a module of its own; importing a
    package's submodule does not count as importing the package)."""
    graph = {mod: {t for t, _n, _l in found if t in KNOWN and t != mod} for mod, found in IMPORTS.items()}
    assert cycles(graph) == PENDING_CYCLES


def test_layer_rules_place_modules_others_add() -> None:
    assert layer_of("edition.export") == "write"
    assert layer_of("edition.sources.tei") == "read"
    assert layer_of("edition.quotations.ann") == "resolve"
    assert layer_of("edition.scale") == "core"
    assert layer_of("edition.serve.http") == "commands"
    assert layer_of("edition.engine.run") == "build"
    assert layer_of("edition.distributed") == "build"


@pytest.mark.parametrize("mod", sorted(KNOWN))
def test_no_module_over_about_600_lines(mod: str) -> None:
    lines = KNOWN[mod].read_text(encoding="utf-8").count("\n")
    if mod in PENDING_SPLITS:
        assert lines > MAX_LINES, f"{mod} was split: take it out of PENDING_SPLITS"
        return
    assert lines <= MAX_LINES, f"{KNOWN[mod].relative_to(PACKAGE.parent)}: {lines} lines; split it by responsibility"


def test_builtin_matcher_names_are_those_the_quotation_stage_registers() -> None:
    """edition.config checks ``quotations.matcher`` against :data:`BUILTIN_MATCHERS` without
    importing the quotation stage (that import was a cycle): the list must stay in step."""
    from edition.quotation_settings import BUILTIN_MATCHERS, matcher_names
    from edition.quotations.matcher import MATCHERS

    ours = {name for name, m in MATCHERS.items() if type(m).__module__.startswith("edition.")}
    assert ours == set(BUILTIN_MATCHERS)
    assert set(MATCHERS) <= matcher_names()


PENDING_FORKS: set[str] = set()


def test_only_the_workers_module_starts_processes() -> None:
    """``edition.workers`` forks (pools, background jobs); other modules ask it to."""
    starting = set()
    for mod, path in KNOWN.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            if any(n.split(".")[0] in ("multiprocessing", "concurrent") for n in names):
                starting.add(mod)
    assert starting - PENDING_FORKS == {"edition.workers"}
    assert PENDING_FORKS <= starting, f"take out of PENDING_FORKS: {PENDING_FORKS - starting}"
