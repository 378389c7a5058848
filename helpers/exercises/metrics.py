"""Chapter 06's build-it exercises: the Fréchet distance from features, and k-NN precision and recall.

``check_frechet_distance(fn)`` and ``check_precision_recall(fn)`` judge the learner's functions against
:mod:`helpers.metrics` on small fixed feature sets, naming the usual mistakes; the chapter then scores its
contestants with the learner's functions beside the course's.
The end-of-chapter questions have one check each (``q1_frechet_by_hand`` ...), which computes the reference
from the chapter's objects and never prints it.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from ..metrics import classifier_score, frechet_from_stats, memorisation
from ..metrics import frechet_distance as course_frechet_distance
from ..metrics import precision_recall as course_precision_recall
from ..metrics.geometry import inside_any_ball, kth_nn_radii, nearest_neighbours, within
from .core import PASS, Mistake, Verdict, WrongValue, announce, check, check_value, hint, to_numpy


# ------------------------------------------------------------------ exercise 6.1: Fréchet distance
def reference_frechet_distance(features_a, features_b):
    """The squared Fréchet distance between Gaussian fits of two feature sets (chapter 06, exercise 6.1)."""
    return course_frechet_distance(features_a, features_b)


def _fd(a, b, *, cov=lambda f: np.cov(f, rowvar=False), root=lambda m: np.real(linalg.sqrtm(m)),
        squared_mean=True, factor=2.0):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    s1, s2 = cov(a), cov(b)
    diff = a.mean(0) - b.mean(0)
    mean_term = diff @ diff if squared_mean else np.sqrt(diff @ diff)
    return float(mean_term + np.trace(s1) + np.trace(s2) - factor * np.trace(root(s1 @ s2)))


FRECHET_MISTAKES = (
    Mistake("no_matrix_sqrt", lambda a, b: _fd(a, b, root=lambda m: m),
            "the cross term needs the matrix square root (Σ₁Σ₂)^½, not the product Σ₁Σ₂ itself."),
    Mistake("elementwise_sqrt", lambda a, b: _fd(a, b, root=lambda m: np.sqrt(np.abs(m))),
            "an element-wise square root is not a matrix square root: use scipy.linalg.sqrtm (and keep its real part)."),
    Mistake("mean_not_squared", lambda a, b: _fd(a, b, squared_mean=False),
            "the mean term is the *squared* distance ‖μ₁ − μ₂‖², not the distance."),
    Mistake("missing_factor_2", lambda a, b: _fd(a, b, factor=1.0),
            "the cross term tr((Σ₁Σ₂)^½) comes with a factor of 2."),
    Mistake("covariance_of_rows", lambda a, b: _fd(a, b, cov=np.cov),
            "np.cov treats each *row* as a variable by default; the features are the columns: pass rowvar=False."),
    Mistake("variances_only", lambda a, b: _fd(a, b, cov=lambda f: np.diag(np.var(f, axis=0, ddof=1))),
            "you used per-feature variances; the Fréchet distance uses the full covariance matrices (np.cov)."),
    Mistake("biased_covariance", lambda a, b: _fd(a, b, cov=lambda f: np.cov(f, rowvar=False, bias=True)),
            "very close: the course uses the unbiased covariance (divide by N − 1, np.cov's default), not N."),
)


def frechet_cases(seed: int = 6) -> list[tuple]:
    """Fixed ``(features_a, features_b)`` pairs: shifted and rescaled Gaussians, and a set against itself (tests)."""
    rng = np.random.default_rng(seed)
    a = rng.normal(0.0, 1.0, (40, 4))
    mix = rng.normal(0.0, 0.6, (4, 4)) + np.eye(4)
    b = rng.normal(0.0, 1.0, (40, 4)) @ mix + np.array([0.5, -1.0, 0.0, 2.0])
    c = rng.normal(0.0, 1.0, (30, 3))
    d = 1.5 * rng.normal(0.0, 1.0, (30, 3)) + 0.3
    return [(a, b), (c, d)]


def check_frechet_distance(frechet_distance, quiet: bool = False) -> Verdict:
    """Chapter 06, exercise 6.1: is ``frechet_distance(features_a, features_b)`` the course's (squared) distance?"""
    return check("Exercise 6.1 (Fréchet distance)", frechet_distance, reference_frechet_distance, frechet_cases(),
                 FRECHET_MISTAKES, what="your distance", rtol=1e-4, atol=1e-6,
                 factors={0.5: "is the factor in front of the cross term right?"}, quiet=quiet)


# ------------------------------------------------------------------ exercise 6.2: precision and recall
def reference_precision_recall(real, fake, k=3):
    """``(precision, recall)`` with k-NN balls (Kynkäänniemi et al., 2019; chapter 06, exercise 6.2)."""
    result = course_precision_recall(real, fake, k=k)
    return result["precision"], result["recall"]


def _radii_counting_self(points, k):
    return kth_nn_radii(points, k - 1) if k > 1 else np.zeros(len(points))


def _nearest_ball_only(points, centres, radii):
    dist, idx = nearest_neighbours(points, centres)
    return within(dist ** 2, np.asarray(radii)[idx] ** 2)


PR_MISTAKES = (
    Mistake("swapped", lambda r, f, k=3: reference_precision_recall(r, f, k)[::-1],
            "precision and recall are swapped: precision asks whether the *samples* fall inside the balls around "
            "the real points; recall asks the reverse."),
    Mistake("self_as_neighbour", lambda r, f, k=3: (
        float(inside_any_ball(f, r, _radii_counting_self(r, k)).mean()),
        float(inside_any_ball(r, f, _radii_counting_self(f, k)).mean())),
            "each ball must reach the k-th nearest *other* point: a point's distance to itself (0) is not one of "
            "its neighbours, so the balls came out too small."),
    Mistake("nearest_ball_only", lambda r, f, k=3: (
        float(_nearest_ball_only(f, r, kth_nn_radii(r, k)).mean()),
        float(_nearest_ball_only(r, f, kth_nn_radii(f, k)).mean())),
            "a point counts when it lies inside *any* ball of the other set, not only inside the ball of its "
            "nearest neighbour there."),
    Mistake("radii_from_the_other_set", lambda r, f, k=3: (
        float(inside_any_ball(f, r, np.resize(kth_nn_radii(f, k), len(r))).mean()),
        float(inside_any_ball(r, f, np.resize(kth_nn_radii(r, k), len(f))).mean())),
            "the balls around the real points take their radii from the real points' own neighbours (and the "
            "samples' balls from the samples')."),
)


def precision_recall_cases(seed: int = 7) -> list[tuple]:
    """Fixed ``(real, fake, k)``: a narrower fake cloud, a shifted one, and real data with an outlier (tests)."""
    rng = np.random.default_rng(seed)
    real = rng.normal(0.0, 1.0, (40, 3))
    narrow = 0.4 * rng.normal(0.0, 1.0, (40, 3))
    shifted = rng.normal(0.0, 1.0, (40, 3)) + np.array([1.5, 0.0, 0.0])
    with_outlier = np.vstack([rng.normal(0.0, 1.0, (39, 3)), [[8.0, 8.0, 8.0]]])
    return [(real, narrow, 3), (real, shifted, 3), (with_outlier, shifted, 5)]


def check_precision_recall(precision_recall, quiet: bool = False) -> Verdict:
    """Chapter 06, exercise 6.2: is ``precision_recall(real, fake, k)`` the course's ``(precision, recall)``?"""
    return check("Exercise 6.2 (precision and recall)", precision_recall, reference_precision_recall,
                 precision_recall_cases(), PR_MISTAKES, what="your (precision, recall)", rtol=1e-6, atol=1e-9,
                 quiet=quiet)


# ------------------------------------------------------------------ the end-of-chapter questions
Q1, Q2, Q3 = "Q1 (Fréchet distance by hand)", "Q2 (only 0s and 1s)", "Q3 (shifted copies)"
#: Q1's two Gaussians as (mean, variance): N(0, 1) and N(2, 2²).
Q1_GAUSSIANS = ((0.0, 1.0), (2.0, 4.0))


def _fd_1d(m1, v1, m2, v2) -> float:
    return frechet_from_stats([m1], [[v1]], [m2], [[v2]])


def q1_frechet_by_hand(answer, quiet: bool = False) -> Verdict:
    """Chapter 06, Q1: the (squared) Fréchet distance d_F² of N(0, 1) and N(2, 2²), by hand."""
    (m1, v1), (m2, v2) = Q1_GAUSSIANS
    want = _fd_1d(m1, v1, m2, v2)
    wrong = [WrongValue("not_squared", np.sqrt(want),
                        "that is the square root. The chapter's Fréchet distance is the *squared* distance d_F² of "
                        "section 4's formula: take it as it stands."),
             WrongValue("no_trace_term", (m1 - m2) ** 2,
                        "that is only the mean term ‖μ₁ − μ₂‖²: the trace term tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½) compares the "
                        "spreads and is not 0 here."),
             WrongValue("std_for_variance", _fd_1d(m1, np.sqrt(v1), m2, np.sqrt(v2)),
                        "you put the standard deviations where the formula wants Σ, the (co)variances: N(2, 2²) has "
                        "variance 2²."),
             WrongValue("variance_for_std", _fd_1d(m1, v1 ** 2, m2, v2 ** 2),
                        "that is what the variances squared give: in N(2, 2²) the 2² already *is* the variance "
                        "(the standard deviation is 2), and Σ in the formula is that variance, not its square. "
                        "(A plus sign before the cross term 2(Σ₁Σ₂)^½ gives the same number.)"),
             WrongValue("mean_not_squared", abs(m1 - m2) + (want - (m1 - m2) ** 2),
                        "the mean term is the *squared* distance ‖μ₁ − μ₂‖², not the distance."),
             WrongValue("missing_factor_2", want + np.sqrt(v1 * v2),
                        "the cross term (Σ₁Σ₂)^½ comes with a factor of 2.")]
    return check_value(Q1, answer, want, wrong, what="your d_F²", quiet=quiet)


def q2_zeros_and_ones_score(answer, evaluator, x_test, y_test, quiet: bool = False) -> Verdict:
    """Chapter 06, Q2: the classifier score of the test set's real 0s and 1s (about 2; within 0.1 of it passes).

    The reference is computed here from ``evaluator.probs`` on every test image labelled 0 or 1; the prediction
    2 passes too, and so does a subset of the 0s and 1s (the tolerance covers it).
    """
    got = to_numpy(answer)
    if got is None:  # not attempted, or not a number: no need to run the evaluator
        return check_value(Q2, answer, 2.0, what="your score", quiet=quiet)
    value = float(got.ravel()[0]) if got.size == 1 and np.isfinite(got).all() else None
    if value is not None and abs(value - 2.0) < 1e-3:
        return announce(Verdict(Q2, PASS, f"{Q2}: pass ✓"), quiet)  # the prediction: two classes, used evenly
    if value is not None and 2.5 < value <= 10.5:
        return announce(hint(Q2, "a score that high means many classes in use: keep only the test images labelled "
                                 "0 or 1 (`y_test <= 1`).", "all_digits"), quiet)
    y_test = np.asarray(y_test)
    keep = y_test <= 1
    probs = np.asarray(evaluator.probs(np.asarray(x_test)[keep]), np.float64)
    want = classifier_score(probs)
    wrong = [WrongValue("log_of_score", np.log(want),
                        "that is the mean KL divergence, the exponent: the score is exp of it."),
             WrongValue("one_class", classifier_score(probs[y_test[keep] == 0]),
                        "a score of about 1 means one class in use: did you keep only the 0s (or only the 1s)? "
                        "The generator draws both.")]
    return check_value(Q2, answer, want, wrong, what="your score", rtol=0, atol=0.1, quiet=quiet)


def q3_shifted_copies(answer, x_train, x_test, n: int, quiet: bool = False) -> Verdict:
    """Chapter 06, Q3: the pixel memorisation ratio of the first ``n`` training images shifted one pixel right.

    The reference is ``memorisation(np.roll(x_train[:n], 1, axis=2), x_train, x_test, max_samples=n)``,
    computed here (about a second in smoke mode, n = 100).
    """
    if to_numpy(answer) is None:  # not attempted, or not a number: no need to search 60,000 images
        return check_value(Q3, answer, 1.0, what="your ratio", quiet=quiet)
    result = memorisation(np.roll(x_train[:n], 1, axis=2), x_train, x_test, max_samples=n)
    want = result["memorisation_ratio"]
    wrong = [WrongValue("exact_copies", 0.0,
                        "a ratio of 0 is what exact copies score: did np.roll move the pixels (axis 2) or only the "
                        "order of the images (axis 0)? And report `memorisation_ratio`, not `copy_rate`."),
             WrongValue("copy_rate", result["copy_rate"],
                        "that is the near-copy rate (`copy_rate`); the question asks for `memorisation_ratio`."),
             WrongValue("median_distance", result["nn_distance_samples"],
                        "that is the samples' median distance to the training set; the ratio divides it by the "
                        "held-out images' median distance."),
             WrongValue("inverted", 1.0 / want if want else float("inf"),
                        "you divided the held-out distance by the samples'; the ratio is samples over held-out.")]
    return check_value(Q3, answer, want, wrong, what="your ratio", rtol=0.01, quiet=quiet)
