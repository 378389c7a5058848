"""Every public helper says where the course uses it (d2l style).

Each module under ``helpers/`` is parsed with :mod:`ast` (nothing is
imported). Every module needs a module docstring, and every public
module-level function and class (name not starting with ``_``) needs a
docstring that names where it is used:

* a chapter: ``chapter 03``, ``chapters 03-06``, ``Chapter 5`` or a section
  sign (``§4``), or
* for code no chapter calls directly, one of the tags ``(command line)``,
  ``(benchmark)``, ``(all chapters)`` or ``(tests)``.

A class's methods need no reference of their own: the class docstring
carries it. Modules under ``helpers/weights/`` hold data, not code, and are
skipped. A failure lists every offender as ``path:line: name``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "helpers"
SKIPPED = ("weights",)  # sub-packages of data, not code

CHAPTER = re.compile(r"[Cc]hapters? \d\d|[Cc]hapter \d|§")
TAGS = ("(command line)", "(benchmark)", "(all chapters)", "(tests)")


def module_paths() -> list[Path]:
    """Every ``.py`` file of the package, except the skipped data folders."""
    return [p for p in sorted(PACKAGE.rglob("*.py"))
            if not set(p.relative_to(PACKAGE).parts[:-1]) & set(SKIPPED)]


def public_definitions(tree: ast.Module):
    """Module-level ``def``/``class`` nodes whose name is public (also inside a top-level ``if``/``try``)."""
    stack = list(tree.body)
    while stack:
        node = stack.pop(0)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if not node.name.startswith("_"):
                yield node
        elif isinstance(node, (ast.If, ast.Try)):
            stack.extend(node.body + node.orelse + getattr(node, "finalbody", []))
            for handler in getattr(node, "handlers", []):
                stack.extend(handler.body)


def names_its_use(docstring: str) -> bool:
    return bool(CHAPTER.search(docstring)) or any(tag in docstring for tag in TAGS)


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_the_scan_finds_the_package():
    paths = module_paths()
    assert len(paths) > 40, "helpers/ looks empty: did the package move?"
    assert sum(1 for p in paths for _ in public_definitions(ast.parse(p.read_text(encoding="utf-8")))) > 200


def test_every_module_has_a_docstring():
    missing = [_rel(p) for p in module_paths() if not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))]
    assert not missing, "modules without a docstring:\n" + "\n".join(missing)


def test_every_public_helper_names_where_it_is_used():
    undocumented, unreferenced = [], []
    for path in module_paths():
        for node in public_definitions(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{_rel(path)}:{node.lineno}: {node.name}"
            doc = ast.get_docstring(node)
            if not doc:
                undocumented.append(where)
            elif not names_its_use(doc):
                unreferenced.append(where)
    message = []
    if undocumented:
        message += ["public helpers without a docstring:", *undocumented]
    if unreferenced:
        message += ["docstrings that name no chapter (e.g. 'chapter 03 §2') and no tag "
                    f"{', '.join(TAGS)}:", *unreferenced]
    assert not message, "\n".join(message)


def test_the_rule_accepts_and_refuses_what_it_should():
    assert names_its_use("Mean squared error per pixel (chapter 03 §2).")
    assert names_its_use("Used by chapters 03-06 through helpers.store.")
    assert names_its_use("The options of ``python -m helpers bench`` (command line).")
    assert names_its_use("Drop all remembered toggles (tests).")
    assert not names_its_use("Mean squared error per pixel.")
    assert not names_its_use("Train a model (every chapter's training).")
    assert not names_its_use("See the tests; a benchmark helper.")
