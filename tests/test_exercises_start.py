"""Chapter 00's question checks: the answer passes, each typical mistake gets its own hint, nothing gives the answer."""

import numpy as np
import pytest

from helpers.exercises import start as ex

# 40 training labels with 6 sevens (share 0.15, label sum 42, 34 others), 12 test labels with 3 sevens.
Y_TRAIN = np.array([7] * 6 + [0, 1, 2, 3, 4, 5, 6, 8, 9] * 3 + [1] * 7)
Y_TEST = np.array([7] * 3 + [0] * 9)


def test_q1_passes_the_count_in_any_integer_type_and_none_is_not_attempted():
    assert ex.q1_count_sevens(6, Y_TRAIN, Y_TEST, quiet=True).passed
    assert ex.q1_count_sevens(np.int64((Y_TRAIN == 7).sum()), Y_TRAIN, Y_TEST, quiet=True).passed
    assert ex.q1_count_sevens(None, Y_TRAIN, Y_TEST, quiet=True).status == "not attempted"


@pytest.mark.parametrize(("answer", "mistake"), [
    (0.15, "share"), (42, "sum_of_labels"), (34, "not_sevens"), (40, "all_images"), (3, "test_split"),
    (Y_TRAIN == 7, "mask_not_count"),
])
def test_q1_names_each_mistake_without_the_count(answer, mistake):
    verdict = ex.q1_count_sevens(answer, Y_TRAIN, Y_TEST, quiet=True)
    assert verdict.mistakes == (mistake,), verdict.message
    assert "6" not in verdict.message.replace("Q1", "")


def test_q1_another_wrong_count_says_which_side_only():
    verdict = ex.q1_count_sevens(9, Y_TRAIN, Y_TEST, quiet=True)
    assert verdict.status == "hint" and "too large" in verdict.message and "6" not in verdict.message


@pytest.mark.parametrize(("mode", "right", "other"), [("smoke", 16, 128), ("full", 128, 16)])
def test_q2_judges_the_value_of_the_current_mode(monkeypatch, mode, right, other):
    monkeypatch.setenv("COURSE_MODE", mode)
    assert ex.q2_batch_size(right, quiet=True).passed
    verdict = ex.q2_batch_size(other, quiet=True)
    assert verdict.mistakes == ("other_mode",) and f"runs in {mode} mode" in verdict.message
    assert str(right) not in verdict.message
    assert ex.q2_batch_size(None, quiet=True).status == "not attempted"


@pytest.mark.parametrize(("answer", "mistake"), [("16", "string"), ((128, 16), "both_values"),
                                                 ({"full": 128, "smoke": 16}, "both_values")])
def test_q2_names_a_string_and_both_values(monkeypatch, answer, mistake):
    monkeypatch.setenv("COURSE_MODE", "smoke")
    assert ex.q2_batch_size(answer, quiet=True).mistakes == (mistake,)


def test_q2_another_number_gives_no_value_away(monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "smoke")
    verdict = ex.q2_batch_size(32, quiet=True)
    assert verdict.status == "hint" and "16" not in verdict.message and "128" not in verdict.message
