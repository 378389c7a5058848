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
