"""Every chapter notebook follows the course conventions (see STYLE in the README)."""

import json
import re

import pytest
import tomllib

from helpers.runtime import COLAB_SETUP_CELL, PROJECT_ROOT, REPO_URL, colab_badge

NOTEBOOKS = sorted((PROJECT_ROOT / "chapters").glob("*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _markdown(nb):
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def _code_cells(nb):
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def test_there_are_chapters():
    assert any(p.name.startswith("00_") for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_without_outputs(path):
    nb = _load(path)
    dirty = [i for i, c in enumerate(nb["cells"])
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; run `python tools/nb.py strip {path}`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_badge_points_at_this_file(path):
    first = "".join(_load(path)["cells"][0]["source"])
    assert colab_badge(f"chapters/{path.name}") in first


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_first_code_cell_is_the_canonical_colab_setup(path):
    assert _code_cells(_load(path))[0] == COLAB_SETUP_CELL


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_setup_called_once_with_a_seed(path):
    code = "\n".join(_code_cells(_load(path)))
    assert len(re.findall(r"\bsetup\(seed=\d+", code)) == 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_structure(path):
    nb = _load(path)
    first = "".join(nb["cells"][0]["source"])
    assert re.search(r"^# \S", first, re.M), "first cell needs a title"
    assert "learning objectives" in first.lower()
    time_line = next((line for line in first.splitlines() if "estimated time" in line.lower()), "")
    assert "CPU" in time_line and "GPU" in time_line, "state the full-mode time on CPU and GPU"
    headings = [line.strip("# ").lower() for line in _markdown(nb).splitlines() if line.startswith("## ")]
    tail = [h for h in headings if h.split()[0] in ("summary", "exercises", "references")]
    assert [h.split()[0] for h in tail] == ["summary", "exercises", "references"], headings
    assert "<details>" in _markdown(nb) or "solution" in _markdown(nb).lower(), "exercises need solutions"


def test_repo_url_is_defined_once_and_used_everywhere():
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["urls"]["Repository"] == REPO_URL
    files = NOTEBOOKS + [PROJECT_ROOT / "README.md"] + sorted((PROJECT_ROOT / "helpers").rglob("*.py"))
    assignments = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        assignments += [(path.name, v) for v in re.findall(r'REPO_URL = \\?"([^"\\]+)', text)]
    assert len(assignments) >= len(NOTEBOOKS) + 1
    assert {v for _, v in assignments if "{" not in v} == {REPO_URL}, assignments


def test_canonical_cell_is_a_no_op_outside_colab():
    namespace = {}
    exec(COLAB_SETUP_CELL, namespace)  # noqa: S102 - our own constant
    assert namespace["REPO_URL"] == REPO_URL


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_helpers_is_imported_before_tensorflow(path):
    """``import helpers`` silences TensorFlow's C++ start-up log only if it comes first (helpers/tf_logs.py)."""
    imports = re.findall(r"^\s*(?:import|from)\s+(helpers|tensorflow|keras)\b", "\n".join(_code_cells(_load(path))),
                         re.M)
    assert imports and imports[0] == "helpers", f"the first import of TensorFlow, Keras or helpers is {imports[:1]}"
