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


# ------------------------------------------------------------------ the end-of-chapter questions
def _images(seed, n, zero_share):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 256, (n, 6, 6)).astype(np.uint8)
    x[rng.random(x.shape) < zero_share] = 0
    return x


FX_TEST, FX_TRAIN, X_TEST = _images(0, 20, 0.5), _images(1, 30, 0.4), _images(2, 20, 0.8)
FRACTION = float((FX_TEST == 0).mean())


def test_q1_passes_the_fraction_and_none_is_not_attempted():
    assert ex.q1_background_fraction(FRACTION, FX_TEST, FX_TRAIN, X_TEST, quiet=True).passed
    assert ex.q1_background_fraction(None, FX_TEST, FX_TRAIN, X_TEST, quiet=True).status == "not attempted"


@pytest.mark.parametrize(("answer", "mistake"), [
    (100 * FRACTION, "percent"), (1 - FRACTION, "nonzero"), (float((FX_TEST == 0).sum()), "count"),
    (float((FX_TRAIN == 0).mean()), "train_split"), (float((X_TEST == 0).mean()), "mnist"),
])
def test_q1_names_each_mistake_without_the_fraction(answer, mistake):
    verdict = ex.q1_background_fraction(answer, FX_TEST, FX_TRAIN, X_TEST, quiet=True)
    assert verdict.mistakes == (mistake,), verdict.message
    assert f"{FRACTION:.2f}" not in verdict.message and f"{FRACTION:.1%}" not in verdict.message


def _selection_data():
    """Ten random 30-image training subsets of noisy class prototypes; 1-NN on 8×8 images (fast)."""
    rng = np.random.default_rng(5)
    prototypes = rng.integers(0, 256, (4, 8, 8))

    def draw(n, noise=150):
        y = rng.integers(0, 4, n)
        return np.clip(prototypes[y] + rng.normal(0, noise, (n, 8, 8)), 0, 255).astype(np.uint8), y

    (x_train, y_train), (x_hard, y_hard), (x_easy, y_easy) = draw(400), draw(100), draw(60, noise=120)
    x_test, y_test = np.concatenate([x_hard, x_easy]), np.concatenate([y_hard, y_easy])  # the rest is easier
    subsets = [rng.choice(len(x_train), 30, replace=False) for _ in range(10)]
    return subsets, x_train, y_train, x_test, y_test


def _truths(subsets, x_train, y_train, x_test, y_test, n=50):
    acc = [ex._accuracy(x_train, y_train, rows, x_test, y_test, slice(0, n)) for rows in subsets]
    best = subsets[int(np.argmax(acc))]
    return (acc, ex._accuracy(x_train, y_train, best, x_test, y_test, slice(n, 2 * n)),
            ex._accuracy(x_train, y_train, best, x_test, y_test, slice(n, None)))


def test_q2_passes_the_selected_and_fresh_scores():
    data = _selection_data()
    scores, fresh, rest = _truths(*data)
    best = max(scores)  # every mistake's pair differs from the answer by more than the tolerance (1 image in 50)
    assert min(abs(best - fresh), abs(best - np.mean(scores)), abs(rest - fresh)) > 0.03
    assert ex.q2_selection_bias(best, fresh, *data, n=50, quiet=True).passed
    assert ex.q2_selection_bias(None, None, *data, n=50, quiet=True).status == "not attempted"


@pytest.mark.parametrize("mistake", ["swapped", "mean_of_subsets", "fresh_on_same_images", "rest_of_test_set",
                                     "percent"])
def test_q2_names_each_mistake_without_the_scores(mistake):
    data = _selection_data()
    scores, fresh, rest = _truths(*data)
    best = max(scores)
    answer = {"swapped": (fresh, best), "mean_of_subsets": (float(np.mean(scores)), fresh),
              "fresh_on_same_images": (best, best), "rest_of_test_set": (best, rest),
              "percent": (100 * best, 100 * fresh)}[mistake]
    verdict = ex.q2_selection_bias(*answer, *data, n=50, quiet=True)
    if mistake == "percent":
        assert verdict.status == "hint" and "factor of 100" in verdict.message
    else:
        assert verdict.mistakes == (mistake,), verdict.message
    for value in (best, fresh):
        assert f"{value:.2f}" not in verdict.message and f"{value:.0%}" not in verdict.message


def _decode(a, b):
    import tensorflow as tf

    return tf.cast(a, tf.float32)[..., None] / 255.0, b


def _reference_cache_before_map(x, y, batch_size):
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices((x, y)).cache().map(_decode).batch(batch_size)


def _pipeline(*steps):
    """A cache_before_map variant: ``steps`` are applied in order to the (x, y) slices."""
    def build(x, y, batch_size):
        import tensorflow as tf

        ds = tf.data.Dataset.from_tensor_slices((x, y))
        for step in steps:
            ds = step(ds, batch_size)
        return ds
    return build


def _map(fn):
    return lambda ds, _: ds.map(fn)


def _cast(dtype, scale=255.0, channel=True):
    def fn(a, b):
        import tensorflow as tf

        image = tf.cast(a, dtype) / scale
        return (image[..., None] if channel else image), b
    return fn


CACHE, BATCH = (lambda ds, _: ds.cache()), (lambda ds, bs: ds.batch(bs))


def _raises(x, y, batch_size):
    raise ValueError("oops")


def _q3_mistakes():
    import tensorflow as tf

    from helpers import data_quality as Q

    return [
        ("not_a_dataset", lambda x, y, bs: x.astype(np.float32) / 255),
        ("no_cache", _pipeline(_map(_decode), BATCH)),
        ("no_map", _pipeline(CACHE, BATCH)),
        ("cache_after_map", lambda x, y, bs: Q.build_pipeline(x, y, bs, shuffle=False, prefetch=False)),
        ("extra_step", _pipeline(CACHE, _map(_decode), lambda ds, _: ds.shuffle(10, seed=0), BATCH)),
        ("not_pairs", _pipeline(CACHE, _map(lambda a, b: tf.cast(a, tf.float32)[..., None] / 255.0), BATCH)),
        ("no_channel", _pipeline(CACHE, _map(_cast(tf.float32, channel=False)), BATCH)),
        ("not_batched", _pipeline(CACHE, _map(_decode))),
        ("batch_size", _pipeline(CACHE, _map(_decode), lambda ds, _: ds.batch(128))),
        ("wrong_shape", _pipeline(CACHE, _map(lambda a, b: (tf.cast(a, tf.float32)[..., None, None] / 255, b)),
                                  BATCH)),
        ("not_float", _pipeline(CACHE, _map(_cast(tf.float64)), BATCH)),
        ("not_scaled", _pipeline(CACHE, _map(_cast(tf.float32, scale=1.0)), BATCH)),
        ("different_values", _pipeline(CACHE, _map(_cast(tf.float32, scale=256.0)), BATCH)),
        ("raised", _raises),
    ]


def test_q3_passes_the_reference_and_a_parallel_map_and_scaffolds_are_not_attempted():
    assert ex.q3_cache_before_map(_reference_cache_before_map, quiet=True).passed
    assert ex.q3_cache_before_map(_pipeline(CACHE, lambda ds, _: ds.map(_decode, num_parallel_calls=2), BATCH),
                                  quiet=True).passed

    def scaffold(x, y, batch_size):
        raise NotImplementedError()

    assert ex.q3_cache_before_map(scaffold, quiet=True).status == "not attempted"
    assert ex.q3_cache_before_map(None, quiet=True).status == "not attempted"
    assert ex.q3_cache_before_map(lambda x, y, bs: None, quiet=True).status == "not attempted"


def test_q3_names_each_mistake():
    for name, fn in _q3_mistakes():
        verdict = ex.q3_cache_before_map(fn, quiet=True)
        assert verdict.mistakes == (name,), (name, verdict.message)
