"""Layering: helpers.ui sits on top; data, models, metrics and the CLI do not import it when imported."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

HELPERS = Path(__file__).resolve().parents[1] / "helpers"
CLI = [HELPERS / "cli.py", HELPERS / "__main__.py", *sorted((HELPERS / "commands").glob("*.py"))]


def _ui_imports(path: Path, top_level_only: bool):
    """Line numbers of imports of helpers.ui in ``path`` (only module-level ones if ``top_level_only``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    depth = len(path.relative_to(HELPERS).parts)  # from helpers/x.py, `.ui` is helpers.ui; from helpers/a/x.py, `..ui`
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 0:
                names = [module]
            elif node.level == depth:
                names = ["helpers." + module if module else "helpers." + a.name for a in node.names]
        if any(n == "helpers.ui" or n.startswith("helpers.ui.") for n in names):
            found.append(node.lineno)
    return found


@pytest.mark.parametrize("path", [p for p in sorted(HELPERS.rglob("*.py")) if "ui" not in p.relative_to(HELPERS).parts],
                         ids=lambda p: str(p.relative_to(HELPERS)))
def test_lower_layers_do_not_import_the_ui_at_import_time(path):
    assert _ui_imports(path, top_level_only=True) == [], f"{path.name} imports helpers.ui at module level"


@pytest.mark.parametrize("path", CLI, ids=lambda p: p.name)
def test_the_cli_never_imports_the_ui(path):
    assert _ui_imports(path, top_level_only=False) == [], f"{path.name} imports helpers.ui"


def test_the_checker_sees_relative_and_absolute_ui_imports(tmp_path, monkeypatch):
    sub = tmp_path / "helpers" / "models"
    sub.mkdir(parents=True)
    (sub / "m.py").write_text("from ..ui.progress import LiveProgress\nimport helpers.ui.gan\nfrom ..plots import tile\n"
                              "def f():\n    from ..ui import images\n")
    monkeypatch.setattr(sys.modules[__name__], "HELPERS", tmp_path / "helpers")
    assert _ui_imports(sub / "m.py", top_level_only=True) == [1, 2]
    assert sorted(_ui_imports(sub / "m.py", top_level_only=False)) == [1, 2, 5]


def test_importing_the_cli_and_its_commands_leaves_the_ui_unimported():
    code = ("import pkgutil, importlib, sys, helpers.cli, helpers.commands as c\n"
            "[importlib.import_module(f'helpers.commands.{m.name}') for m in pkgutil.iter_modules(c.__path__)]\n"
            "print(sorted(m for m in sys.modules if m.startswith('helpers.ui')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=HELPERS.parent).stdout
    assert out.strip() == "[]"
