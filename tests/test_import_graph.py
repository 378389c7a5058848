"""No import cycles inside ``helpers/``.

Every module under ``helpers/`` is parsed with :mod:`ast` (nothing is
imported), and every import statement counts, at module level or inside a
function: ``import helpers.x``, ``from helpers.x import y``, ``from .x import
y``, ``from .. import x``. ``from pkg import name`` counts as an import of the
sub-module ``pkg.name`` when that file exists, else of ``pkg`` itself.
Imports by name at run time count too: a string naming a ``helpers`` module
in a module that calls ``importlib.import_module`` (the model registry), and
the command modules that ``helpers.cli`` discovers with ``pkgutil``.

A cycle is reported as ``a -> b -> a``. A cycle that already existed in files
this test's author did not own is listed in ``KNOWN_CYCLES`` so that the test
still fails for any *new* cycle; each entry says how to break it, and the list
should become empty.
"""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

PACKAGE = "helpers"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE

# Each entry: the set of modules forming one cycle (strongly connected component).
# A cycle among a subset of an entry's modules is accepted; anything else fails.
KNOWN_CYCLES: list[frozenset[str]] = []  # none left: keep it that way


def module_files() -> dict[str, Path]:
    """``{"helpers.x.y": path}`` for every ``.py`` file of the package."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_package(name: str, files: dict[str, Path]) -> bool:
    return files[name].name == "__init__.py"


def _resolve_from(module: str, node: ast.ImportFrom, files: dict[str, Path]) -> str | None:
    if node.level == 0:
        return node.module
    package = module if _is_package(module, files) else module.rpartition(".")[0]
    parts = package.split(".")
    if node.level > 1:
        parts = parts[: len(parts) - (node.level - 1)]
    base = ".".join(parts)
    return f"{base}.{node.module}" if node.module else base


def _owner(name: str, files: dict[str, Path]) -> str | None:
    """The package module that ``name`` (a module or an attribute path) lives in."""
    while name:
        if name in files:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, files: dict[str, Path]) -> set[str]:
    """The ``helpers`` modules that ``module`` imports, statically or by name."""
    tree = ast.parse(files[module].read_text(encoding="utf-8"), filename=str(files[module]))
    targets: set[str] = set()
    dynamic = False
    strings: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                targets.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve_from(module, node, files)
            if base is None:
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.add(sub if sub in files else base)
        elif isinstance(node, ast.Attribute) and node.attr == "import_module":
            dynamic = True
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            strings.add(node.value)
    if dynamic:
        targets |= {s for s in strings if s in files}
        if module == f"{PACKAGE}.cli":  # discovers every helpers.commands.* module with pkgutil
            targets |= {m for m in files if m.startswith(f"{PACKAGE}.commands.")}
    edges = {_owner(t, files) for t in targets if t == PACKAGE or t.startswith(PACKAGE + ".")}
    return {e for e in edges if e and e != module}


def import_graph() -> dict[str, set[str]]:
    files = module_files()
    return {m: imports_of(m, files) for m in files}


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm: the components with more than one module (the cycles)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def one_cycle(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest cycle through the component's first module, e.g. ``[a, b, a]``."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & component):
                if w == start:
                    return paths[v] + [start]
                if w not in paths:
                    paths[w] = paths[v] + [w]
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover


def describe(graph, component) -> str:
    return " -> ".join(one_cycle(graph, component)) + f"  (modules in this cycle: {', '.join(sorted(component))})"


# ------------------------------------------------------------------------ tests
def test_every_module_parses_and_the_graph_sees_known_edges():
    graph = import_graph()
    assert f"{PACKAGE}.cli" in graph and f"{PACKAGE}.datasets" in graph
    assert f"{PACKAGE}.errors" in graph[f"{PACKAGE}.datasets"]  # from .errors import ...
    assert f"{PACKAGE}.paths" in graph[f"{PACKAGE}.runtime"]
    assert f"{PACKAGE}.commands.synth" in graph[f"{PACKAGE}.cli"]  # discovered with pkgutil
    assert f"{PACKAGE}.models.vae" in graph[f"{PACKAGE}.models.registry"]  # the registry lists the models


def test_detector_finds_function_level_and_relative_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e2"}, "e2": set()}
    comps = strongly_connected(graph)
    assert comps == [{"a", "b", "c"}]
    assert describe(graph, comps[0]).startswith("a -> b -> c -> a")


def test_leaf_modules_import_nothing_of_ours():
    graph = import_graph()
    for leaf in ("errors", "paths"):
        assert graph[f"{PACKAGE}.{leaf}"] == set(), f"helpers/{leaf}.py must stay a leaf module"


def test_no_new_import_cycles():
    graph = import_graph()
    new, seen_known = [], set()
    for comp in strongly_connected(graph):
        known = [k for k in KNOWN_CYCLES if comp <= k]
        if known:
            seen_known.update(known)
        else:
            new.append(describe(graph, comp))
    for stale in set(KNOWN_CYCLES) - seen_known:
        warnings.warn(f"KNOWN_CYCLES entry {sorted(stale)} is gone: remove it from tests/test_import_graph.py",
                      stacklevel=1)
    assert not new, "import cycles in helpers/:\n  " + "\n  ".join(new)
