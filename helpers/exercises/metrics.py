"""Chapter 06's build-it exercises: the Fréchet distance from features, and k-NN precision and recall.

``check_frechet_distance(fn)`` and ``check_precision_recall(fn)`` judge the learner's functions against
:mod:`helpers.metrics` on small fixed feature sets, naming the usual mistakes; the chapter then scores its
contestants with the learner's functions beside the course's.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from ..metrics import frechet_distance as course_frechet_distance
from ..metrics import precision_recall as course_precision_recall
from ..metrics.geometry import inside_any_ball, kth_nn_radii, nearest_neighbours, within
from .core import Mistake, Verdict, check


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
