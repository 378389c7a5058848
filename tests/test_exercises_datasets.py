"""Chapter 01's checks: the references pass, each typical mistake gets its own hint."""

import numpy as np
import pytest

from helpers.exercises import datasets as ex


def test_references_pass():
    assert ex.check_group_split(ex.reference_group_split, quiet=True).passed
    assert ex.check_nearest_rms(ex.reference_nearest_rms, quiet=True).passed


def test_nearest_rms_by_hand():
    a = np.zeros((1, 28, 28), np.uint8)
    b = np.full((1, 28, 28), 51, np.uint8)  # 51/255 = 0.2 everywhere
    assert ex.reference_nearest_rms(a, b) == pytest.approx([0.2])


def _row_split(groups, test_fraction=0.2, seed=0):
    return np.random.default_rng(seed).random(len(groups)) < test_fraction


def _first_groups(groups, test_fraction=0.2, seed=0):
    unique = np.unique(groups)
    return np.isin(groups, unique[: int(round(test_fraction * len(unique)))])


def _global_rng(groups, test_fraction=0.2, seed=0):
    unique = np.unique(groups)
    return np.isin(groups, np.random.permutation(unique)[: int(round(test_fraction * len(unique)))])


def _ignores_seed(groups, test_fraction=0.2, seed=0):
    return ex.reference_group_split(groups, test_fraction, seed=123)


def _row_share(groups, test_fraction=0.2, seed=0):  # 20% of rows' worth of groups: too many when groups are small
    unique = np.random.default_rng(seed).permutation(np.unique(groups))
    return np.isin(groups, unique[: int(round(test_fraction * len(groups)))])


@pytest.mark.parametrize("name, fn", [
    ("rows_not_groups", _row_split),
    ("not_random", _first_groups),
    ("not_reproducible", _global_rng),
    ("ignores_seed", _ignores_seed),
    ("wrong_share", _row_share),
    ("indices", lambda g, f=0.2, s=0: np.flatnonzero(ex.reference_group_split(g, f, s))),
])
def test_each_group_split_mistake_gets_its_own_hint(name, fn):
    verdict = ex.check_group_split(fn, quiet=True)
    assert verdict.mistakes == (name,), verdict.message


@pytest.mark.parametrize("mistake", ex.NEAREST_MISTAKES, ids=[m.name for m in ex.NEAREST_MISTAKES])
def test_each_nearest_mistake_gets_its_own_hint(mistake):
    verdict = ex.check_nearest_rms(mistake.wrong, quiet=True)
    assert verdict.mistakes[:1] == (mistake.name,) and mistake.hint in verdict.message


def test_scaffolds_are_not_attempted():
    def scaffold(*args):
        raise NotImplementedError()

    assert ex.check_group_split(scaffold, quiet=True).status == "not attempted"
    assert ex.check_nearest_rms(scaffold, quiet=True).status == "not attempted"
