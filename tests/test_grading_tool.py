"""tools/grading.py without nbgrader: the points table in docs/instructors.md, the course folder, the submissions.

The round trip itself (nbgrader generate_assignment + autograde) is tests/grading, run by ``make test-grading``.
"""

import copy
import importlib.util
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("grading", REPO / "tools" / "grading.py")
grading = importlib.util.module_from_spec(spec)
spec.loader.exec_module(grading)


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_points_table_in_the_instructors_guide_is_current():
    text = grading.DOCS.read_text(encoding="utf-8")
    assert grading.docs_with_table(text) == text, "run `python tools/grading.py points --update`"


def test_every_exercise_has_a_solution_cell_and_points():
    rows = grading.exercises()
    assert {r["chapter"] for r in rows} == {p.stem for p in grading.chapters_with_exercises()}
    assert all(r["solution_id"] and r["points"] > 0 for r in rows), rows
    assert grading.total_points("03_autoencoders") == 4 and grading.points_of("ex3_2_check") == 1


def test_init_writes_one_assignment_per_chapter_and_the_config(tmp_path):
    names = grading.init_course(tmp_path / "course", ["03", "06_evaluating_synthetic_data"])
    assert names == ["03_autoencoders", "06_evaluating_synthetic_data"]
    for name in names:
        written = _load(tmp_path / "course" / "source" / name / f"{name}.ipynb")
        source = _load(REPO / "source" / f"{name}.ipynb")
        # The build-it exercises reach nbgrader as the source has them; the ungraded questions as released.
        graded = [c for c in source["cells"] if "nbgrader" in c.get("metadata", {})]
        assert graded and graded == [c for c in written["cells"] if "nbgrader" in c.get("metadata", {})]
        for cell, learner in zip(written["cells"], _load(REPO / "chapters" / f"{name}.ipynb")["cells"], strict=True):
            if "nbgrader" not in cell.get("metadata", {}):
                assert cell["source"] == learner["source"]
    config = (tmp_path / "course" / "nbgrader_config.py").read_text()
    assert f"c.CourseDirectory.root = {str(tmp_path / 'course')!r}" in config and "gradebook.db" in config


def _fake_release(chapter: str) -> dict:
    """What generate_assignment releases: the learner version with the source's nbgrader metadata."""
    source, learner = _load(REPO / "source" / f"{chapter}.ipynb"), _load(REPO / "chapters" / f"{chapter}.ipynb")
    release = copy.deepcopy(learner)
    for cell, original in zip(release["cells"], source["cells"], strict=True):
        if "nbgrader" in original.get("metadata", {}):
            cell["metadata"]["nbgrader"] = original["metadata"]["nbgrader"]
    return release


def test_the_solved_submission_holds_the_worked_solutions_and_the_mistake_only_one_change(tmp_path):
    chapter = "03_autoencoders"
    course = tmp_path / "course"
    grading.init_course(course, [chapter])
    (course / "release" / chapter).mkdir(parents=True)
    (course / "release" / chapter / f"{chapter}.ipynb").write_text(json.dumps(_fake_release(chapter)))
    subs = grading.submissions(course, chapter)
    solutions = _load(REPO / "solutions" / f"{chapter}.ipynb")

    def code(nb):
        return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]

    # The graded build-it cells hold the worked solutions; the ungraded questions stay as handed out.
    source, learner = _load(REPO / "source" / f"{chapter}.ipynb"), _load(REPO / "chapters" / f"{chapter}.ipynb")
    graded = ["nbgrader" in c.get("metadata", {}) for c in source["cells"] if c["cell_type"] == "code"]
    expected = [sol if g else lrn for sol, lrn, g in zip(code(solutions), code(learner), graded, strict=True)]
    assert code(subs["solved"]) == expected and expected != code(solutions)  # (chapter 03 has questions)
    assert code(subs["untouched"]) == code(_load(REPO / "chapters" / f"{chapter}.ipynb"))
    changed = [(a, b) for a, b in zip(code(subs["solved"]), code(subs["one_mistake"]), strict=True) if a != b]
    assert len(changed) == 1 and "np.sqrt(" in changed[0][1]
