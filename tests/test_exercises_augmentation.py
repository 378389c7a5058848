"""Chapter 02's checks: a correct layer and mixup pass; each typical mistake gets its own hint."""

import keras
import numpy as np
import pytest
from keras import ops

from helpers.exercises import augmentation as ex


def _layer(mode="right"):
    class RandomShift(keras.layers.Layer):
        def __init__(self, max_shift=2, seed=None, **kwargs):
            super().__init__(**kwargs)
            self.max_shift = int(max_shift)
            self.seed_generator = keras.random.SeedGenerator(seed)
            self.rng = np.random.default_rng()

        def call(self, images, training=False):
            if mode == "always" or training:
                m = self.max_shift + (2 if mode == "too_far" else 0)
                n = ops.shape(images)[0]
                if mode == "numpy_rng":
                    shifts = ops.convert_to_tensor(self.rng.integers(0, 2 * m + 1, (int(n), 2)), "int32")
                elif mode == "fixed_seed":
                    shifts = keras.random.randint((n, 2), 0, 2 * m + 1, seed=7)
                elif mode == "per_batch":
                    shifts = ops.tile(keras.random.randint((1, 2), 0, 2 * m + 1, seed=self.seed_generator), (n, 1))
                else:
                    shifts = keras.random.randint((n, 2), 0, 2 * m + 1, seed=self.seed_generator)
                if mode == "flip":
                    return ops.flip(images, axis=2)
                if mode == "noop":
                    return images
                padded = ops.pad(images, [[0, 0], [m, m], [m, m], [0, 0]])
                rows = ops.arange(28)[None, :] + shifts[:, :1]
                cols = ops.arange(28)[None, :] + shifts[:, 1:]
                out = ops.take_along_axis(padded, rows[:, :, None, None], axis=1)
                out = ops.take_along_axis(out, cols[:, None, :, None], axis=2)
                if mode == "not_graph":
                    out = ops.convert_to_tensor(np.asarray(out))
                return out
            return images

    return RandomShift


def test_a_correct_layer_passes_and_shift_helpers_work():
    assert ex.check_random_shift(_layer(), quiet=True).passed
    img = np.zeros((28, 28))
    img[10, 10] = 1
    assert ex.shifted(img, 2, -1)[12, 9] == 1 and ex.find_shift(img, ex.shifted(img, -2, 3)) == (-2, 3)


@pytest.mark.parametrize("mode, name", [
    ("always", "not_identity_at_inference"), ("flip", "flip"), ("too_far", "too_far"), ("noop", "never_shifts"),
    ("per_batch", "one_shift_per_batch"), ("fixed_seed", "same_every_call"), ("numpy_rng", "not_reproducible"),
    ("not_graph", "not_graph_safe"),
])
def test_each_layer_mistake_gets_its_own_hint(mode, name):
    verdict = ex.check_random_shift(_layer(mode), quiet=True)
    assert verdict.mistakes == (name,), verdict.message


def test_mixup_check():
    def mine(x1, y1, x2, y2, lam, num_classes=10):
        e = np.eye(num_classes)
        return lam * x1 + (1 - lam) * x2, lam * e[y1] + (1 - lam) * e[y2]

    assert ex.check_mixup(mine, quiet=True).passed
    for mistake in ex.MIXUP_MISTAKES:
        def wrong(*args, _m=mistake):
            flat = _m.wrong(*args)
            return flat[:784].reshape(28, 28, 1), flat[784:]
        assert ex.check_mixup(wrong, quiet=True).mistakes[:1] == (mistake.name,), mistake.name
    x1, x2 = np.ones((28, 28, 1)), np.full((28, 28, 1), 0.2)
    assert ex.reference_mixup(x1, 3, x2, 8, 0.7)[0] == pytest.approx(0.76)  # chapter 02's worked example


def test_scaffolds_are_not_attempted():
    class Scaffold(keras.layers.Layer):
        def __init__(self, max_shift=2, seed=None, **kwargs):
            super().__init__(**kwargs)

        def call(self, images, training=False):
            raise NotImplementedError()

    assert ex.check_random_shift(Scaffold, quiet=True).status == "not attempted"
    assert ex.check_mixup(lambda *a: None, quiet=True).status == "not attempted"
