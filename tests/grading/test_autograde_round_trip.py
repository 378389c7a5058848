"""One autograde round trip with nbgrader: chapter 03 released, three submissions graded in smoke mode.

A solved copy gets every point, the untouched release none, and a copy with one deliberate mistake (exercise 3.2
returns the *root* mean squared error) loses exactly that exercise's points — and each lost point comes from
the hidden assert of its grade cell, not from a crash elsewhere in the notebook.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.grading

REPO = Path(__file__).resolve().parents[2]
CHAPTER = "03_autoencoders"


@pytest.fixture(scope="module")
def trip(grading, tmp_path_factory):
    result = grading.round_trip(tmp_path_factory.mktemp("grading"), CHAPTER)
    print(f"nbgrader round trip: {result['seconds']}; log {result['log']}")
    return result


@pytest.fixture(scope="module")
def points(grading):
    return {r["grade_id"]: r["points"] for r in grading.exercises() if r["chapter"] == CHAPTER}


def test_the_assignment_is_worth_the_points_of_its_grade_cells(trip, points):
    assert points == {"ex3_1_check": 3, "ex3_2_check": 1}  # source/03_autoencoders.ipynb's metadata
    assert {row["max_score"] for row in trip["scores"].values()} == {sum(points.values())}
    assert set(trip["scores"]) == {"solved", "untouched", "one_mistake"}


def test_a_solved_copy_gets_full_marks(trip, points):
    row = trip["scores"]["solved"]
    assert row["score"] == sum(points.values()) == 4, row
    assert row["cells"] == points and row["errors"] == [], row


def test_the_untouched_release_gets_zero(trip, points):
    row = trip["scores"]["untouched"]
    assert row["score"] == 0 and row["cells"] == dict.fromkeys(points, 0), row
    # the checks never raise ("not attempted yet"): only the hidden asserts fail
    assert row["errors"] == [(grade_id, "AssertionError") for grade_id in points], row


def test_one_mistake_loses_exactly_that_exercises_points(trip, points, grading):
    row = trip["scores"]["one_mistake"]
    lost = grading.MISTAKE_COSTS[CHAPTER]
    assert row["score"] == sum(points.values()) - points[lost] == 3, row
    assert row["cells"] == {**points, lost: 0}, row
    assert row["errors"] == [(lost, "AssertionError")], row


def test_nbgraders_release_is_the_learner_chapter_apart_from_metadata(trip):
    released = json.loads((trip["course"] / "release" / CHAPTER / f"{CHAPTER}.ipynb").read_text(encoding="utf-8"))
    learner = json.loads((REPO / "chapters" / f"{CHAPTER}.ipynb").read_text(encoding="utf-8"))

    def content(nb):
        return [(c["cell_type"], c.get("id"), "".join(c["source"])) for c in nb["cells"]]

    assert content(released) == content(learner)
    assert released["metadata"] == learner["metadata"]
    locked = [c["metadata"]["nbgrader"]["grade_id"] for c in released["cells"]
              if c["metadata"].get("editable") is False]
    assert locked == ["ex3_1_check", "ex3_2_check"]  # nbgrader locks the check cells in its release
