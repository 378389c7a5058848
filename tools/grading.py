"""Grade the build-it exercises with nbgrader: a course folder for a class, the points table, the round trip.

    python tools/grading.py init ~/grading              # an nbgrader course folder: every chapter with exercises
    python tools/grading.py init ~/grading 03 04        #   ... or some of them, as assignments 03_autoencoders, ...
    python tools/grading.py points [--update]           # points per exercise from source/ (--update: into the docs)
    python tools/grading.py round-trip [--keep DIR]     # the check behind `make test-grading` (chapter 03)

Run it with the instructor environment's Python (``.venv-instructor``, see docs/instructors.md): ``init`` and
``round-trip`` call nbgrader. ``points`` needs only the standard library.

The round trip: chapter 03's source becomes an nbgrader assignment, ``nbgrader generate_assignment`` releases it,
three students submit (``solved``: every solution filled in; ``untouched``: the release as handed out;
``one_mistake``: solved, but exercise 3.2 returns the *root* mean squared error) and ``nbgrader autograde``
grades them in smoke mode; the scores come from nbgrader's gradebook. Expected: all points, none, and all but
exercise 3.2's. The kernel is this Python (a ``python3`` kernelspec in a temporary ``JUPYTER_PATH``), so the
grading runs with the packages nbgrader runs with, whatever other kernels the machine has.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "source"
TIMEOUT_S = 600  # nbgrader's per-cell limit; a full-mode training cell on a 2-core CPU stays well under it

_spec = importlib.util.spec_from_file_location("build_chapters", REPO / "tools" / "build_chapters.py")
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)

#: The round trip's deliberate mistake, per chapter: (solution cell's grade_id, exact text, replacement).
MISTAKES = {
    "03_autoencoders": ("ex3_2_reconstruction_mse",
                        "return float(np.mean((np.asarray(x, np.float64) - np.asarray(x_hat, np.float64)) ** 2))",
                        "return float(np.sqrt(np.mean((np.asarray(x, np.float64) - np.asarray(x_hat, np.float64)) ** 2)))"),
}
#: The grade cell whose points the mistake costs.
MISTAKE_COSTS = {"03_autoencoders": "ex3_2_check"}
STUDENTS = ("solved", "untouched", "one_mistake")


def _nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def chapters_with_exercises(root: Path = REPO) -> list[Path]:
    """The source notebooks holding build-it exercises, i.e. nbgrader grade cells (tests)."""
    paths = sorted((root / "source").glob("[0-9][0-9]_*.ipynb"))
    return [p for p in paths if any(_nbgrader_meta(c).get("grade")
                                    for c in json.loads(p.read_text(encoding="utf-8"))["cells"])]


def _exercise(grade_id: str) -> str:
    """``ex3_1_check`` -> ``3.1``: the course's grade ids start with the exercise's number."""
    parts = grade_id.split("_")
    return f"{parts[0][2:]}.{parts[1]}" if parts[0].startswith("ex") and len(parts) > 2 else grade_id


def exercises(root: Path = REPO) -> list[dict]:
    """Every graded cell of source/, in notebook order: chapter (assignment name), exercise number, grade_id,
    points and the grade_id of the exercise's solution cell (tests)."""
    rows = []
    for path in chapters_with_exercises(root):
        cells = [_nbgrader_meta(c) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]]
        solutions = {_exercise(m["grade_id"]): m["grade_id"] for m in cells if m.get("solution")}
        for meta in cells:
            if meta.get("grade"):
                number = _exercise(meta["grade_id"])
                rows.append({"chapter": path.stem, "exercise": number, "grade_id": meta["grade_id"],
                             "points": meta.get("points"), "solution_id": solutions.get(number)})
    return rows


def points_table(root: Path = REPO) -> str:
    """The Markdown table of points per exercise that docs/instructors.md shows (tests)."""
    lines = ["| assignment (chapter) | exercise | solution cell | graded check cell | points |",
             "| --- | --- | --- | --- | ---: |"]
    rows = exercises(root)
    for chapter in dict.fromkeys(r["chapter"] for r in rows):
        mine = [r for r in rows if r["chapter"] == chapter]
        lines += [f"| `{chapter}` | {r['exercise']} | `{r['solution_id']}` | `{r['grade_id']}` | {r['points']:g} |"
                  for r in mine]
        lines.append(f"| `{chapter}` | **total** | | | **{sum(r['points'] for r in mine):g}** |")
    return "\n".join(lines)


DOCS = REPO / "docs" / "instructors.md"
TABLE_START, TABLE_END = "<!-- points:start -->", "<!-- points:end -->"


def docs_with_table(text: str, root: Path = REPO) -> str:
    """``text`` (docs/instructors.md) with the block between the points markers replaced by the current table (tests)."""
    start, end = text.index(TABLE_START) + len(TABLE_START), text.index(TABLE_END)
    note = "\n<!-- written by `python tools/grading.py points --update`; the points live in source/'s metadata -->\n"
    return text[:start] + note + points_table(root) + "\n" + text[end:]


def total_points(chapter: str, root: Path = REPO) -> float:
    """All points of one chapter's assignment (tests)."""
    return sum(r["points"] for r in exercises(root) if r["chapter"] == chapter)


def points_of(grade_id: str, root: Path = REPO) -> float:
    """The points of one grade cell (tests)."""
    (points,) = [r["points"] for r in exercises(root) if r["grade_id"] == grade_id]
    return points


def write_config(course: Path) -> Path:
    """``nbgrader_config.py`` for a course folder: its root, a SQLite gradebook inside it, the cell timeout (tests)."""
    config = course / "nbgrader_config.py"
    config.write_text(
        "# nbgrader's settings for this course folder (written by tools/grading.py; edit freely).\n"
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        f"c.CourseDirectory.db_url = {'sqlite:///' + str(course / 'gradebook.db')!r}\n"
        f"c.Execute.timeout = {TIMEOUT_S}  # seconds per cell while autograding\n",
        encoding="utf-8")
    return config


def questions_as_released(nb: dict, name: str = "") -> dict:
    """The source with its ungraded questions already in their learner form (tests).

    Only the build-it exercises (cells with nbgrader metadata) are graded. The end-of-chapter questions are for
    self-study: nbgrader would turn their top-level answer into a ``raise`` that stops "run all", so they reach
    nbgrader as the learner chapter has them, and the release stays the learner chapter."""
    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb["cells"]):
        if not _nbgrader_meta(cell) and build.has_solutions({"cells": [cell]}):
            build._set(cell, build.transform_cell(build._lines(cell), keep_solution=False,
                                                  markdown=cell["cell_type"] == "markdown",
                                                  where=f"source/{name} cell {index}"))
    return nb


def init_course(course: Path, chapters: list[str] | None = None, root: Path = REPO) -> list[str]:
    """An nbgrader course folder: ``source/<chapter>/<chapter>.ipynb`` per chapter, and its config (command line).

    ``chapters`` are names or number prefixes (``["03", "04_variational_autoencoders"]``); by default every
    chapter with exercises. Returns the assignment names."""
    available = chapters_with_exercises(root)
    picked = available if not chapters else [p for p in available
                                             if any(p.stem == c or p.stem.startswith(f"{c}_") for c in chapters)]
    unknown = [c for c in chapters or [] if not any(p.stem == c or p.stem.startswith(f"{c}_") for p in available)]
    if unknown:
        names = ", ".join(p.stem for p in available)
        raise SystemExit(f"error: no chapter with exercises matches {', '.join(unknown)} (there are: {names})")
    course.mkdir(parents=True, exist_ok=True)
    for path in picked:
        target = course / "source" / path.stem
        target.mkdir(parents=True, exist_ok=True)
        nb = json.loads(path.read_text(encoding="utf-8"))
        (target / path.name).write_text(build.dumps(questions_as_released(nb, path.name)), encoding="utf-8")
    write_config(course)
    return [p.stem for p in picked]


def nbgrader_env(jupyter_path: Path) -> dict:
    """The environment nbgrader runs in: this Python's bin/ first on PATH (nbgrader calls ``alembic`` from PATH)
    and a ``python3`` kernelspec for this Python first on JUPYTER_PATH (tests)."""
    kernel = jupyter_path / "kernels" / "python3"
    kernel.mkdir(parents=True, exist_ok=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (course, grading)", "language": "python"}), encoding="utf-8")
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in [str(jupyter_path), env.get("JUPYTER_PATH", "")] if p)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def nbgrader(course: Path, *args: str, env: dict, log: Path) -> None:
    """Run ``nbgrader ARGS`` in the course folder, appending its output to ``log``; fail with the log's tail (tests)."""
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ nbgrader {' '.join(args)}\n")
        out.flush()
        code = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, stdout=out,
                              stderr=subprocess.STDOUT).returncode
    if code:
        tail = "\n".join(log.read_text(encoding="utf-8").splitlines()[-40:])
        raise RuntimeError(f"nbgrader {' '.join(args)} exited {code}; its log ({log}) ends:\n{tail}")


def _fill_solutions(release: dict, source: dict) -> dict:
    """The release with every solution cell replaced by the source's solution, markers removed."""
    solutions = {_nbgrader_meta(c)["grade_id"]: c for c in source["cells"] if _nbgrader_meta(c).get("solution")}
    solved = copy.deepcopy(release)
    for cell in solved["cells"]:
        meta = _nbgrader_meta(cell)
        if meta.get("solution"):
            lines = build.transform_cell(build._lines(solutions[meta["grade_id"]]), keep_solution=True)
            build._set(cell, lines)
    return solved


def _with_mistake(nb: dict, grade_id: str, right: str, wrong: str) -> dict:
    nb = copy.deepcopy(nb)
    (cell,) = [c for c in nb["cells"] if _nbgrader_meta(c).get("grade_id") == grade_id]
    text = "".join(cell["source"])
    if right not in text:
        raise RuntimeError(f"the round trip's mistake no longer applies: {grade_id} does not contain {right!r}; "
                           f"update MISTAKES in tools/grading.py")
    build._set(cell, text.replace(right, wrong).split("\n"))
    return nb


def submissions(course: Path, chapter: str) -> dict[str, dict]:
    """The three submissions of the round trip, made from the released and the source notebook (tests)."""
    release = json.loads((course / "release" / chapter / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    source = json.loads((course / "source" / chapter / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    solved = _fill_solutions(release, source)
    return {"solved": solved, "untouched": release, "one_mistake": _with_mistake(solved, *MISTAKES[chapter])}


def scores(course: Path, chapter: str) -> dict[str, dict]:
    """Per student: total score, maximum and each grade cell's score from the gradebook, and the names of the
    graded cells whose autograded output shows an error (tests)."""
    from nbgrader.api import Gradebook

    result = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in gradebook.students:
            submission = gradebook.find_submission(chapter, student.id)
            cells = {g.name: g.score for nb in submission.notebooks for g in nb.grades}
            result[student.id] = {"score": submission.score, "max_score": submission.max_score, "cells": cells}
    for student, row in result.items():
        graded = course / "autograded" / student / chapter / f"{chapter}.ipynb"
        nb = json.loads(graded.read_text(encoding="utf-8"))
        row["errors"] = [(_nbgrader_meta(c).get("grade_id") or c.get("id"), o["ename"])
                         for c in nb["cells"] if c["cell_type"] == "code"
                         for o in c.get("outputs", []) if o["output_type"] == "error"]
    return result


def round_trip(workdir: Path, chapter: str = "03_autoencoders") -> dict:
    """Release one chapter, submit three copies, autograde them; the scores and seconds per step (tests)."""
    course = workdir / "course"
    init_course(course, [chapter])
    env = nbgrader_env(workdir / "jupyter")
    env.setdefault("COURSE_MODE", "smoke")  # the grades do not depend on the mode: the checks use their own data
    log = workdir / "nbgrader.log"
    seconds = {}
    start = time.monotonic()
    nbgrader(course, "generate_assignment", chapter, "--force", env=env, log=log)
    seconds["generate_assignment"] = time.monotonic() - start
    for student, nb in submissions(course, chapter).items():
        folder = course / "submitted" / student / chapter
        folder.mkdir(parents=True)
        (folder / f"{chapter}.ipynb").write_text(build.dumps(nb), encoding="utf-8")
    start = time.monotonic()
    nbgrader(course, "autograde", chapter, env=env, log=log)
    seconds["autograde"] = time.monotonic() - start
    return {"scores": scores(course, chapter), "seconds": seconds, "course": course, "log": log}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="write an nbgrader course folder with the chapters' sources as assignments")
    init.add_argument("course", type=Path, help="the folder to create (e.g. ~/grading)")
    init.add_argument("chapters", nargs="*", help="chapter numbers or names (default: every chapter with exercises)")
    points = sub.add_parser("points", help="print the points per exercise as a Markdown table")
    points.add_argument("--update", action="store_true", help=f"rewrite the table in {DOCS.relative_to(REPO)}")
    trip = sub.add_parser("round-trip", help="release chapter 03, autograde three submissions, print the scores")
    trip.add_argument("--keep", type=Path, help="work in this (new) folder and keep it, instead of a temporary one")
    args = parser.parse_args(argv)
    if args.command == "points":
        if args.update:
            DOCS.write_text(docs_with_table(DOCS.read_text(encoding="utf-8")), encoding="utf-8")
            print(f"wrote the points table into {DOCS.relative_to(REPO)}")
        else:
            print(points_table())
        return 0
    if args.command == "init":
        course = args.course.expanduser().resolve()
        names = init_course(course, args.chapters)
        print(f"wrote {course}/nbgrader_config.py and source/ for: {', '.join(names)}\n"
              f"next: cd {course} && nbgrader generate_assignment {names[0]}")
        return 0
    workdir = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="grading-"))
    workdir.mkdir(parents=True, exist_ok=True)
    result = round_trip(workdir)
    for student, row in result["scores"].items():
        print(f"{student:12s} {row['score']:g} / {row['max_score']:g}  {row['cells']}")
    print(f"nbgrader log: {result['log']}")
    if not args.keep:
        shutil.rmtree(workdir / "course", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
