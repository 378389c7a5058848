"""Chapter 06's checks: the reference passes, each typical mistake earns its own hint."""

import numpy as np
import pytest
from scipy import linalg

from helpers.exercises import metrics as ex


def test_references_pass_and_a_hand_computed_fd():
    assert ex.check_frechet_distance(ex.reference_frechet_distance, quiet=True).passed
    assert ex.check_precision_recall(ex.reference_precision_recall, quiet=True).passed
    # 1-D by hand: N(0, 1) vs N(2, 4) → (0-2)² + 1 + 4 - 2·√(1·4) = 5, up to sampling of the fits
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, (200_000, 1)), rng.normal(2, 2, (200_000, 1))
    assert ex.reference_frechet_distance(a, b) == pytest.approx(5.0, rel=0.02)


def test_an_independent_correct_solution_passes():
    def mine(fa, fb):
        m1, m2 = fa.mean(0), fb.mean(0)
        s1, s2 = np.cov(fa.T), np.cov(fb.T)
        return np.sum((m1 - m2) ** 2) + np.trace(s1 + s2 - 2 * linalg.sqrtm(s1 @ s2).real)

    def mine_pr(real, fake, k=3):
        def radii(x):
            d = np.linalg.norm(x[:, None] - x[None], axis=-1)
            return np.sort(d, axis=1)[:, k]  # column 0 is the point itself

        def share(points, centres, r):
            d = np.linalg.norm(points[:, None] - centres[None], axis=-1)
            return float(np.mean((d <= r[None]).any(axis=1)))

        return share(fake, real, radii(real)), share(real, fake, radii(fake))

    assert ex.check_frechet_distance(mine, quiet=True).passed
    assert ex.check_precision_recall(mine_pr, quiet=True).passed


@pytest.mark.parametrize("mistake", ex.FRECHET_MISTAKES, ids=[m.name for m in ex.FRECHET_MISTAKES])
def test_each_frechet_mistake_gets_its_own_hint(mistake):
    verdict = ex.check_frechet_distance(mistake.wrong, quiet=True)
    assert verdict.mistakes[:1] == (mistake.name,) and mistake.hint in verdict.message


@pytest.mark.parametrize("mistake", ex.PR_MISTAKES, ids=[m.name for m in ex.PR_MISTAKES])
def test_each_precision_recall_mistake_gets_its_own_hint(mistake):
    verdict = ex.check_precision_recall(mistake.wrong, quiet=True)
    assert verdict.mistakes[:1] == (mistake.name,) and mistake.hint in verdict.message


def test_scaffolds_and_wrong_types_do_not_stop_run_all():
    def scaffold(*args):
        raise NotImplementedError()

    assert ex.check_frechet_distance(scaffold, quiet=True).status == "not attempted"
    assert ex.check_precision_recall(scaffold, quiet=True).status == "not attempted"
    as_dict = ex.check_precision_recall(lambda r, f, k=3: {"precision": 1.0, "recall": 1.0}, quiet=True)
    assert as_dict.status == "hint" and "not numbers" in as_dict.message


# ------------------------------------------------------------------ the end-of-chapter questions
def test_q1_passes_the_squared_distance_and_says_not_attempted_for_none():
    from helpers.metrics import frechet_from_stats

    assert ex.q1_frechet_by_hand((0 - 2) ** 2 + 1 + 4 - 2 * np.sqrt(1 * 4), quiet=True).passed
    assert ex.q1_frechet_by_hand(frechet_from_stats([0.0], [[1.0]], [2.0], [[4.0]]), quiet=True).passed
    assert ex.q1_frechet_by_hand(None, quiet=True).status == "not attempted"
    assert "too large" in ex.q1_frechet_by_hand(100.0, quiet=True).message


@pytest.mark.parametrize(("answer", "mistake"), [
    (np.sqrt(5.0), "not_squared"),                            # the distance, not d_F²
    ((0 - 2) ** 2, "no_trace_term"),                          # only the mean term
    (4 + 1 + 2 - 2 * np.sqrt(1 * 2), "std_for_variance"),     # Σ = 1 and 2 (the standard deviations)
    (4 + 1 + 16 - 2 * np.sqrt(1 * 16), "variance_for_std"),   # Σ = 1 and 16 (the variances squared)
    (4 + 1 + 4 + 2 * np.sqrt(1 * 4), "variance_for_std"),     # + before the cross term gives the same 13
    (2 + 1, "mean_not_squared"),                              # |μ₁ − μ₂| instead of its square
    (4 + 1 + 4 - np.sqrt(1 * 4), "missing_factor_2"),
])
def test_q1_names_each_wrong_distance_without_giving_the_answer(answer, mistake):
    verdict = ex.q1_frechet_by_hand(answer, quiet=True)
    assert verdict.mistakes == (mistake,) and "5" not in verdict.message


class _FakeEvaluator:
    """Class probabilities from the image itself: every pixel holds the label; 98% confident (tests)."""

    def __init__(self):
        self.calls = 0

    def probs(self, x):
        self.calls += 1
        labels = np.asarray(x)[:, 0, 0].astype(int)
        p = np.full((len(labels), 10), 0.02 / 9)
        p[np.arange(len(labels)), labels] = 0.98
        return p


def _labelled_images(n: int = 200):
    y = np.arange(n) % 10
    return np.repeat(y[:, None, None], 28, axis=1).repeat(28, axis=2).astype(np.uint8), y.astype(np.uint8)


def test_q2_passes_the_measured_score_and_the_prediction_2():
    from helpers.metrics import classifier_score

    evaluator, (x, y) = _FakeEvaluator(), _labelled_images()
    measured = classifier_score(evaluator.probs(x[y <= 1]))
    assert ex.q2_zeros_and_ones_score(measured, evaluator, x, y, quiet=True).passed
    assert ex.q2_zeros_and_ones_score(2.0, evaluator, x, y, quiet=True).passed
    assert ex.q2_zeros_and_ones_score(measured - 0.08, evaluator, x, y, quiet=True).passed  # a subset of them
    assert "too small" in ex.q2_zeros_and_ones_score(1.5, evaluator, x, y, quiet=True).message


def test_q2_not_attempted_runs_no_evaluator():
    evaluator, (x, y) = _FakeEvaluator(), _labelled_images()
    assert ex.q2_zeros_and_ones_score(None, evaluator, x, y, quiet=True).status == "not attempted"
    assert evaluator.calls == 0


def _q2_wrong(which: str, evaluator, x, y) -> float:
    from helpers.metrics import classifier_score

    if which == "log_of_score":
        return float(np.log(classifier_score(evaluator.probs(x[y <= 1]))))
    if which == "one_class":
        return classifier_score(evaluator.probs(x[y == 0]))
    return classifier_score(evaluator.probs(x))  # all_digits: the whole test set


@pytest.mark.parametrize("mistake", ["log_of_score", "one_class", "all_digits"])
def test_q2_names_each_wrong_score_without_giving_the_answer(mistake):
    from helpers.metrics import classifier_score

    evaluator, (x, y) = _FakeEvaluator(), _labelled_images()
    measured = classifier_score(evaluator.probs(x[y <= 1]))
    verdict = ex.q2_zeros_and_ones_score(_q2_wrong(mistake, evaluator, x, y), evaluator, x, y, quiet=True)
    assert verdict.mistakes == (mistake,)
    assert f"{measured:.2f}" not in verdict.message and f"{measured:.3f}" not in verdict.message


def _copier_images():
    """Blocky random images (4×4-pixel blocks: a one-pixel shift changes a quarter of the pixels, so the ratio
    is well below 1); the first 5 have constant rows, so a sideways shift leaves them unchanged (copies). A few
    held-out images are near copies of later training images, so the near-copy threshold is small but not 0."""
    rng = np.random.default_rng(0)
    x_train = np.kron(rng.integers(0, 256, (300, 7, 7)), np.ones((1, 4, 4))).astype(np.uint8)
    x_train[:5] = rng.integers(0, 256, (5, 28, 1)).astype(np.uint8)
    x_test = np.kron(rng.integers(0, 256, (60, 7, 7)), np.ones((1, 4, 4))).astype(np.uint8)
    x_test[:6] = np.clip(x_train[100:106] + rng.integers(-10, 11, (6, 28, 28)), 0, 255)
    return x_train, x_test


def _q3_reference(x_train, x_test, n: int = 20) -> dict:
    from helpers.metrics import memorisation

    return memorisation(np.roll(x_train[:n], 1, axis=2), x_train, x_test, max_samples=n)


def test_q3_passes_the_ratio_and_says_not_attempted_for_none():
    x_train, x_test = _copier_images()
    ratio = _q3_reference(x_train, x_test)["memorisation_ratio"]
    assert ex.q3_shifted_copies(ratio, x_train, x_test, 20, quiet=True).passed
    assert ex.q3_shifted_copies(None, x_train, x_test, 20, quiet=True).status == "not attempted"


@pytest.mark.parametrize("mistake", ["exact_copies", "copy_rate", "median_distance", "inverted"])
def test_q3_names_each_wrong_ratio_without_giving_the_answer(mistake):
    x_train, x_test = _copier_images()
    result = _q3_reference(x_train, x_test)
    assert 0 < result["copy_rate"] < 0.5 and result["memorisation_ratio"] < 0.8  # (the images do what they say)
    answer = {"exact_copies": 0.0,
              "copy_rate": result["copy_rate"], "median_distance": result["nn_distance_samples"],
              "inverted": 1 / result["memorisation_ratio"]}[mistake]
    verdict = ex.q3_shifted_copies(answer, x_train, x_test, 20, quiet=True)
    assert verdict.mistakes[:1] == (mistake,)
    assert f"{result['memorisation_ratio']:.2f}" not in verdict.message
