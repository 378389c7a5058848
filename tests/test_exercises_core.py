"""The question checker every chapter's end-of-chapter questions use: it never prints the expected value."""

import numpy as np

from helpers.exercises.core import WrongValue, check_value

WRONG = (WrongValue("mean_not_sum", 0.5, "you averaged; the question asks for the total."),)


def test_none_is_not_attempted_and_prints_one_line(capsys):
    verdict = check_value("Q1", None, 392.0, WRONG)
    assert verdict.status == "not attempted" and not verdict
    assert capsys.readouterr().out.count("\n") == 1


def test_the_right_value_passes_within_the_tolerance_and_for_tuples_and_labels():
    assert check_value("Q1", 392.0001, 392.0, quiet=True).passed
    assert check_value("Q1", (1, 16, 28, 28, 1), (1, 16, 28, 28, 1), quiet=True).passed
    assert check_value("Q1", "seven", "seven", quiet=True).passed


def test_a_known_wrong_value_names_its_mistake():
    verdict = check_value("Q1", 0.5, 392.0, WRONG, quiet=True)
    assert verdict.mistakes == ("mean_not_sum",) and "you averaged" in verdict.message


def test_an_unknown_wrong_number_says_which_side_without_the_value_or_the_ratio():
    low, high = check_value("Q1", 300.0, 392.0, quiet=True), check_value("Q1", 500.0, 392.0, quiet=True)
    assert "too small" in low.message and "too large" in high.message
    for verdict in (low, high):
        assert "392" not in verdict.message and "1.3" not in verdict.message and "0.77" not in verdict.message


def test_a_known_factor_is_named_and_a_wrong_length_or_nan_is_said():
    factors = {1 / 784: "you averaged over the pixels instead of summing."}
    assert "1/784" in check_value("Q1", 0.5, 392.0, factors=factors, quiet=True).message
    assert "4 number(s); the question asks for 5" in check_value("Q1", (16, 28, 28, 1), (1, 16, 28, 28, 1),
                                                                   quiet=True).message
    assert "NaN" in check_value("Q1", float("nan"), 1.0, quiet=True).message
    assert "not the one" in check_value("Q1", "eight", "seven", quiet=True).message
    assert "a str; the answer is a number" in check_value("Q1", "lots", np.float64(3.0), quiet=True).message
