"""helpers.metrics.features.checked_images: the checks of as_images without a float copy of a large set."""

import numpy as np
import pytest

from helpers.metrics import MetricsError
from helpers.metrics.features import as_images, checked_images


def test_checked_images_keeps_the_array_and_guesses_the_range_from_all_of_it():
    u8 = np.random.default_rng(0).integers(0, 256, size=(12, 28, 28, 1), dtype=np.uint8)
    images, value_range = checked_images(u8, chunk=5)
    assert images.dtype == np.uint8 and images.shape == (12, 28, 28) and np.shares_memory(images, u8)
    assert value_range == (0.0, 255.0)
    np.testing.assert_array_equal(as_images(images[3:7], value_range), as_images(u8)[3:7])
    signed = as_images(u8)[..., 0] * 2 - 1
    signed[:10] = np.abs(signed[:10])  # only the last chunk has negative values: the set is still [-1, 1]
    _, value_range = checked_images(signed, chunk=5)
    assert value_range == (-1.0, 1.0)


@pytest.mark.parametrize("bad, message", [
    (np.zeros((3, 27, 27), np.uint8), "shape"),
    (np.zeros((0, 28, 28), np.uint8), "empty"),
    (np.zeros((3, 28, 28), np.int32), "integer dtype"),
])
def test_checked_images_rejects_what_as_images_rejects(bad, message):
    with pytest.raises(MetricsError, match=message):
        checked_images(bad)


def test_checked_images_finds_a_bad_value_in_any_chunk():
    x = np.full((11, 28, 28), 0.5, np.float32)
    x[9, 3, 3] = np.nan  # in the second of the chunks of 5, and the third
    with pytest.raises(MetricsError, match="NaN"):
        checked_images(x, chunk=5)
    x[9, 3, 3] = 2.0
    with pytest.raises(MetricsError, match="outside the range"):
        checked_images(x, chunk=5)


def test_image_batches_convert_like_as_images_and_check_every_batch():
    from helpers.metrics.features import image_batches

    u8 = np.random.default_rng(1).integers(0, 256, size=(11, 28, 28), dtype=np.uint8)
    batches = list(image_batches(u8, 5))
    assert [len(b) for b in batches] == [5, 5, 1]
    np.testing.assert_array_equal(np.concatenate(batches), as_images(u8))
    x = np.full((11, 28, 28), 0.5, np.float32)
    x[10, 0, 0] = np.nan  # only the last batch is bad
    with pytest.raises(MetricsError, match="NaN"):
        list(image_batches(x, 5))


def test_classifier_probs_matches_predict_on_the_whole_set_in_any_batch_size():
    import keras

    from helpers.metrics import classifier_probs

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    u8 = np.random.default_rng(2).integers(0, 256, size=(23, 28, 28), dtype=np.uint8)
    want = model.predict(as_images(u8), verbose=0)
    for batch_size in (1, 5, 250):
        got = classifier_probs(model, u8, batch_size=batch_size)
        assert got.shape == (23, 10) and got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    with pytest.raises(MetricsError, match="NaN"):
        classifier_probs(model, np.full((3, 28, 28), np.nan, np.float32))


class _FixedScores:
    """A stand-in classifier: class ``i % 10`` for image ``i``, whatever the batch it arrives in."""

    def __init__(self):
        self.seen = 0
        self.batch_sizes = []

    def __call__(self, batch, training=False):
        assert training is False
        n = len(batch)
        out = np.zeros((n, 10), np.float32)
        out[np.arange(n), (self.seen + np.arange(n)) % 10] = 1.0
        self.seen += n
        self.batch_sizes.append(n)
        return out


def test_classifier_accuracy_counts_hand_made_hits_across_batch_boundaries():
    from helpers.metrics import classifier_accuracy

    x = np.zeros((23, 28, 28), np.uint8)
    y = np.arange(23) % 10
    y[[0, 7, 22]] = (y[[0, 7, 22]] + 1) % 10  # three wrong: accuracy 20/23
    for batch_size in (1, 5, 23, 250):
        model = _FixedScores()
        assert classifier_accuracy(model, x, y, batch_size=batch_size) == pytest.approx(20 / 23)
        assert max(model.batch_sizes) == min(batch_size, 23) and sum(model.batch_sizes) == 23
    with pytest.raises(MetricsError, match=r"y has shape \(22,\)"):
        classifier_accuracy(_FixedScores(), x, y[:22])
    with pytest.raises(MetricsError, match="empty"):
        classifier_accuracy(_FixedScores(), x[:0], y[:0])
    with pytest.raises(MetricsError, match="NaN"):
        classifier_accuracy(_FixedScores(), np.full((3, 28, 28), np.nan, np.float32), y[:3])


def test_classifier_accuracy_matches_keras_evaluate():
    import keras

    from helpers.metrics import classifier_accuracy

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(3)
    u8 = rng.integers(0, 256, size=(41, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, size=41)
    want = model.evaluate(as_images(u8), y, batch_size=8, verbose=0)[1]
    assert classifier_accuracy(model, u8, y, batch_size=8) == pytest.approx(want, abs=1e-6)
