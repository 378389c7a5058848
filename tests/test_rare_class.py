"""helpers.rare_class: cutting one class to a few examples, topping it up, scoring per class."""

import numpy as np
import pytest

from helpers import rare_class as R


@pytest.fixture
def toy():
    """60 labelled 'images' (their index in every pixel): 10 of class 0, 20 of class 1, 30 of class 2."""
    y = np.repeat([0, 1, 2], [10, 20, 30])
    y = y[np.random.default_rng(0).permutation(len(y))]
    x = np.broadcast_to(np.arange(60, dtype=np.uint8)[:, None, None], (60, 28, 28)).copy()
    return x, y


def test_cut_class_keeps_the_asked_count_and_every_other_example_in_order(toy):
    x, y = toy
    xc, yc = R.cut_class(x, y, digit=2, keep=4, seed=0)
    assert np.sum(yc == 2) == 4 and np.sum(yc == 0) == 10 and np.sum(yc == 1) == 20
    ids = xc[:, 0, 0].astype(int)  # which original examples survived
    assert np.all(np.diff(ids) > 0)  # in their original order
    np.testing.assert_array_equal(y[ids], yc)  # images and labels stay paired
    assert set(ids[yc != 2]) == set(np.flatnonzero(y != 2))  # other classes untouched
    assert set(ids[yc == 2]) <= set(np.flatnonzero(y == 2))
    assert xc.shape == (34, 28, 28) and xc.dtype == np.uint8


def test_cut_class_is_reproducible_and_depends_on_its_seed(toy):
    x, y = toy
    a = R.cut_class(x, y, 2, 5, seed=3)[0][:, 0, 0]
    np.testing.assert_array_equal(a, R.cut_class(x, y, 2, 5, seed=3)[0][:, 0, 0])
    assert any(not np.array_equal(a, R.cut_class(x, y, 2, 5, seed=s)[0][:, 0, 0]) for s in range(4, 9))
    assert len(R.cut_class(x, y, 0, 0)[0]) == 50 and len(R.cut_class(x, y, 0, 10)[0]) == 60  # 0 and all


@pytest.mark.parametrize("digit, keep, message", [(3, 1, "does not occur"), (2.0, 1, "integer class label"),
                                                  (2, 31, "from 0 to 30"), (2, -1, "from 0 to 30"),
                                                  (2, 1.5, "from 0 to 30")])
def test_cut_class_errors_say_what_is_wrong(toy, digit, keep, message):
    x, y = toy
    with pytest.raises(ValueError, match=message):
        R.cut_class(x, y, digit, keep)


def test_cut_class_rejects_mismatched_or_non_integer_labels(toy):
    x, y = toy
    with pytest.raises(ValueError, match="60 images but 59 labels"):
        R.cut_class(x, y[:-1], 2, 1)
    with pytest.raises(ValueError, match="1-D array of integers"):
        R.cut_class(x, y.astype(float), 2, 1)


def test_top_up_count_reaches_the_median_of_the_other_classes(toy):
    _, y = toy
    assert R.top_up_count(y, 0) == 25 - 10  # median of 20 and 30
    assert R.top_up_count(y, 2) == 0  # already the largest class
    y3 = np.concatenate([y, np.full(4, 3)])  # classes of 10, 20, 30 and 4 examples
    assert R.top_up_count(y3, 3) == 20 - 4
    with pytest.raises(ValueError, match="at least one other class"):
        R.top_up_count(np.zeros(5, int), 0)


def test_augmented_copies_cycle_through_the_images_and_are_seeded():
    x = np.zeros((3, 28, 28), np.uint8)
    x[:, 8:20, 12:16] = 255  # a bar
    a = R.augmented_copies(x, 7, seed=0)
    assert a.shape == (7, 28, 28) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, R.augmented_copies(x, 7, seed=0))
    assert not np.array_equal(a, R.augmented_copies(x, 7, seed=1))
    assert not np.array_equal(a[0], x[0]) and a.sum() > 0  # transformed, not blanked
    same = R.augmented_copies(x[:1], 2, strength=0.0)  # strength 0 is the identity
    np.testing.assert_array_equal(same, np.repeat(x[:1], 2, axis=0))
    assert R.augmented_copies(x, 0).shape == (0, 28, 28)
    with pytest.raises(ValueError, match="uint8 images"):
        R.augmented_copies(x.astype(np.float32), 2)
    with pytest.raises(ValueError, match="non-negative integer"):
        R.augmented_copies(x, -1)


def test_class_scores_by_hand():
    y = np.array([0, 0, 1, 1, 1, 2])
    pred = np.array([0, 1, 1, 1, 2, 1])
    s = R.class_scores(pred, y, digit=1)
    assert s["overall"] == pytest.approx(3 / 6)
    assert s["digit"] == pytest.approx(2 / 3)  # two of the three 1s found
    assert s["digit_precision"] == pytest.approx(2 / 4)  # four images called 1, two of them are
    probs = np.eye(3)[pred]
    assert R.class_scores(probs, y, 1) == s  # probabilities work like predictions
    assert np.isnan(R.class_scores(np.zeros(6, int), y, 2)["digit_precision"])  # nothing called 2
    with pytest.raises(ValueError, match="6 images but 5 labels"):
        R.class_scores(pred, y[:5], 1)


def test_compare_training_sets_gives_one_score_per_seed_and_repeats(data):
    x, y = data
    sets = {"all": (x, y), "cut": R.cut_class(x, y, 3, 2, seed=0)}
    out = R.compare_training_sets(sets, x[:40], y[:40], digit=3, steps=2, seeds=[1], width=4)
    assert list(out) == ["all", "cut"] and out["all"]["n"] == 120 and out["cut"]["n"] == 110
    for row in out.values():
        assert all(len(row[k]) == 1 and all(0 <= v <= 1 or np.isnan(v) for v in row[k])
                   for k in ("overall", "digit", "digit_precision"))
    again = R.compare_training_sets({"cut": sets["cut"]}, x[:40], y[:40], digit=3, steps=2, seeds=[1], width=4)
    assert again["cut"]["overall"] == out["cut"]["overall"]  # the same seed, the same classifier
    assert again["cut"]["digit"] == out["cut"]["digit"]
    with pytest.raises(ValueError, match="at least one training set"):
        R.compare_training_sets({}, x, y, 3, steps=1)
    with pytest.raises(ValueError, match="at least one seed"):
        R.compare_training_sets(sets, x, y, 3, steps=1, seeds=[])


def test_compare_training_sets_scores_the_test_set_a_batch_at_a_time_in_any_format(monkeypatch):
    # A stand-in classifier predicts the class written in pixel (0, 0) (value 25 * class), so the scores are
    # known by hand; 300 test images cross two batch boundaries (125 per batch).
    import helpers.metrics as metrics

    seen = []

    def stand_in(batch, training=False):
        batch = np.asarray(batch)
        seen.append((len(batch), batch.dtype, float(batch.max())))
        return np.eye(10, dtype=np.float32)[np.rint(batch[:, 0, 0, 0] * 255 / 25).astype(int)]

    monkeypatch.setattr(metrics, "train_fixed_cnn", lambda *args, **kwargs: stand_in)
    y_test = np.arange(300) % 10
    predicted = y_test.copy()
    predicted[:30] = 3  # 27 wrong (the three 3s among them are right): overall 273/300
    x_u8 = np.zeros((300, 28, 28), np.uint8)
    x_u8[:, 0, 0] = 25 * predicted
    sets = {"any": (x_u8, y_test)}
    out = R.compare_training_sets(sets, x_u8, y_test, digit=3, steps=1, seeds=[0])
    assert [n for n, _, _ in seen] == [125, 125, 50] and {d for _, d, _ in seen} == {np.dtype(np.float32)}
    assert max(m for _, _, m in seen) <= 1.0  # converted to [0, 1] batch by batch
    assert out["any"]["overall"] == [pytest.approx(273 / 300)]
    assert out["any"]["digit"] == [1.0]  # every 3 is called a 3
    assert out["any"]["digit_precision"] == [pytest.approx(30 / 57)]  # 30 true 3s among 57 called 3
    as_float = R.compare_training_sets(sets, x_u8.astype(np.float32) / 255, y_test, digit=3, steps=1, seeds=[0])
    assert as_float["any"]["overall"] == out["any"]["overall"]
    bad = x_u8.astype(np.float32)
    bad[7, 3, 3] = np.nan
    with pytest.raises(ValueError, match="x_test"):
        R.compare_training_sets(sets, bad, y_test, digit=3, steps=1, seeds=[0])
