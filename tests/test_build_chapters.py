"""One source per chapter: the learner versions hold no solutions, the solutions work, nothing is stale."""

import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("build_chapters", REPO / "tools" / "build_chapters.py")
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)

SOURCES = sorted((REPO / "source").glob("[0-9][0-9]_*.ipynb"))
WITH_SOLUTIONS = [p for p in SOURCES if build.has_solutions(json.loads(p.read_text(encoding="utf-8")))]
# Chapters with graded build-it exercises (nbgrader metadata); chapter 00 has only questions.
WITH_EXERCISES = [p for p in WITH_SOLUTIONS
                  if any("nbgrader" in c.get("metadata", {}) for c in json.loads(p.read_text(encoding="utf-8"))["cells"])]


def _nb(*cells):
    return {"cells": [{"cell_type": kind, "metadata": {"nbgrader": {"solution": True}}, "source": text,
                       **({"outputs": [], "execution_count": 3} if kind == "code" else {})} for kind, text in cells],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_nothing_generated_is_stale():
    assert build.stale() == [], "run `python tools/build_chapters.py` after editing source/"


def test_every_chapter_has_a_source_and_a_learner_version():
    assert SOURCES and {p.name for p in SOURCES} == {p.name for p in (REPO / "chapters").glob("*.ipynb")}
    assert WITH_EXERCISES, "no chapter has a build-it exercise yet"
    assert {p.name for p in WITH_SOLUTIONS} == {p.name for p in (REPO / "solutions").glob("*.ipynb")}


@pytest.mark.parametrize("path", SOURCES, ids=[p.name for p in SOURCES])
def test_learner_chapters_hold_no_solution_code_and_no_markers(path):
    text = (REPO / "chapters" / path.name).read_text(encoding="utf-8")
    for marker in (*build.MARKERS, *build.MARKERS.values(), '"nbgrader"'):
        assert marker not in text
    # No line of a solution in any code cell (the exercise's text may name an idiom like `with tf.GradientTape()`).
    learner = {line.strip() for cell in json.loads(text)["cells"] if cell["cell_type"] == "code"
               for line in build._lines(cell)}
    source = json.loads(path.read_text(encoding="utf-8"))
    # A line the source also has outside its solutions (e.g. `return d_loss, g_loss` in another listing) is no leak.
    elsewhere = {line.strip() for cell in source["cells"] if cell["cell_type"] == "code"
                 for line in build.transform_cell(build._lines(cell), keep_solution=False)}
    for cell in source["cells"]:
        lines = build._lines(cell)
        solution = build.transform_cell(lines, keep_solution=True)
        stub = build.transform_cell(lines, keep_solution=False)
        for line in set(solution) - set(stub):  # the lines only the solution has
            if len(line.strip()) > 12 and not line.strip().startswith("#") and line.strip() not in elsewhere:
                assert line.strip() not in learner, f"solution line in a code cell of chapters/{path.name}: {line}"


def test_learner_version_gets_nbgrader_stubs_with_the_markers_indent():
    nb = _nb(("code", "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n"
                      "check(f)\n### BEGIN HIDDEN TESTS\nassert check(f)\n### END HIDDEN TESTS"),
             ("markdown", "Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"))
    learner = build.version(nb, "99_x.ipynb", keep_solution=False)
    assert "".join(learner["cells"][0]["source"]) == \
        "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\ncheck(f)"
    assert "".join(learner["cells"][1]["source"]) == "Why?\nYOUR ANSWER HERE"
    assert learner["cells"][0]["outputs"] == [] and learner["cells"][0]["execution_count"] is None
    assert "nbgrader" not in learner["cells"][0]["metadata"]
    solution = build.version(nb, "99_x.ipynb", keep_solution=True)
    assert "".join(solution["cells"][0]["source"]) == "def f(x):\n    return x + 1\ncheck(f)"  # hidden tests go too


def test_a_questions_top_level_answer_keeps_only_the_comment_so_run_all_goes_on():
    nb = _nb(("code", "my_answer = None\n### BEGIN SOLUTION\nmy_answer = 24.5\n### END SOLUTION\ncheck(my_answer)"))
    learner = "".join(build.version(nb, "99_x.ipynb", keep_solution=False)["cells"][0]["source"])
    assert learner == "my_answer = None\n# YOUR CODE HERE\ncheck(my_answer)"
    exec(compile(learner, "cell", "exec"), {"check": lambda answer: None})  # runs: no raise at top level


def test_solutions_badge_points_at_the_solutions_file():
    nb = _nb(("markdown", "[badge](https://x/blob/main/chapters/99_x.ipynb)\n\n# 99 · Title\n\ntext"))
    first = "".join(build.version(nb, "99_x.ipynb", keep_solution=True)["cells"][0]["source"])
    assert "blob/main/solutions/99_x.ipynb" in first and "chapters/99_x.ipynb)" not in first.split("\n")[0]
    assert first.index("**Worked solutions.**") < first.index("# 99 · Title")


@pytest.mark.parametrize("text", ["### BEGIN SOLUTION\nx = 1", "x = 1\n### END SOLUTION",
                                  "### BEGIN SOLUTION\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n### END SOLUTION"])
def test_unbalanced_markers_are_an_error_naming_the_cell(text):
    with pytest.raises(build.MarkerError, match="source/99_x.ipynb cell 0"):
        build.version(_nb(("code", text)), "99_x.ipynb", keep_solution=False)


def test_check_mode_names_a_stale_and_an_orphan_file(tmp_path):
    for folder in ("source", "chapters", "solutions"):
        (tmp_path / folder).mkdir()
    (tmp_path / "source" / "01_a.ipynb").write_text(json.dumps(_nb(("code", "x = 1"))))
    (tmp_path / "chapters" / "01_a.ipynb").write_text("{}")
    (tmp_path / "chapters" / "02_orphan.ipynb").write_text("{}")
    assert build.stale(tmp_path) == ["chapters/01_a.ipynb", "chapters/02_orphan.ipynb (no source/02_orphan.ipynb)"]


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=[p.name for p in WITH_EXERCISES])
def test_every_exercise_cell_is_gradable(path):
    """nbgrader needs unique grade ids, points on every graded cell, and graded check cells that hide their asserts."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    meta = [c["metadata"]["nbgrader"] for c in cells if "nbgrader" in c.get("metadata", {})]
    ids = [m["grade_id"] for m in meta]
    assert len(ids) == len(set(ids))
    graded = [c for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    assert graded and all(c["metadata"]["nbgrader"]["points"] > 0 for c in graded)
    assert all("### BEGIN HIDDEN TESTS" in "".join(c["source"]) for c in graded)
    assert sum(m.get("solution", False) for m in meta) >= 2, "at least two build-it exercises per chapter"


@pytest.mark.parametrize("path", SOURCES, ids=[p.name for p in SOURCES])
def test_sources_are_valid_notebooks_with_unique_cell_ids(path):
    import nbformat

    nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    nbformat.validate(nb)
    ids = [cell.get("id") for cell in nb.cells]
    assert all(ids) and len(ids) == len(set(ids))


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=[p.name for p in WITH_EXERCISES])
def test_every_build_it_exercise_links_its_worked_solution(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    intros = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"
              and "".join(c["source"]).startswith("### Build it")]
    assert len(intros) >= 2
    for text in intros:
        assert f"(../solutions/{path.name})" in text, text.splitlines()[0]


@pytest.mark.parametrize("path", SOURCES, ids=[p.name for p in SOURCES])
def test_learner_chapters_print_no_expected_value_and_hide_no_solution_in_details(path):
    """The old style gave answers away: `expected X · yours None` prints and `<details>` solutions below them."""
    import re

    for index, cell in enumerate(json.loads((REPO / "chapters" / path.name).read_text(encoding="utf-8"))["cells"]):
        text = "".join(cell["source"])
        assert "<details>" not in text, f"chapters/{path.name} cell {index}: a solution in <details>; use the markers"
        if cell["cell_type"] == "code":
            assert not re.search(r"expected.*yours|yours.*expected", text, re.IGNORECASE | re.DOTALL), \
                f"chapters/{path.name} cell {index} prints the expected value beside the learner's"


@pytest.mark.parametrize("path", WITH_SOLUTIONS, ids=[p.name for p in WITH_SOLUTIONS])
def test_every_question_links_the_worked_answers(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    exercises = [i for i, c in enumerate(cells) if "\n## Exercises" in "\n" + "".join(c["source"])]
    assert exercises, f"source/{path.name} has no Exercises section"
    section = "".join(cells[exercises[0]]["source"]).split("## Exercises", 1)[1]
    assert f"(../solutions/{path.name})" in section
