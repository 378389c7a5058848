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


# ------------------------------------------------------------------ the end-of-chapter questions
def _invert_patch(mode="right"):
    """A RandomInvertPatch layer, right or with one typical mistake (``mode``)."""
    class RandomInvertPatch(keras.layers.Layer):
        def __init__(self, strength=1.0, seed=None, **kwargs):
            super().__init__(**kwargs)
            self.strength = float(strength)
            self.seed_generator = keras.random.SeedGenerator(seed)
            self.rng = np.random.default_rng()

        def call(self, images, training=False):
            if mode == "raises":
                raise ValueError("boom")
            k = round(8 * self.strength) if mode == "round" else int(8 * self.strength)
            if mode == "zero_not_identity":
                k = max(k, 1)
            if not (training or mode == "always") or k == 0:
                return images
            if mode == "noop":
                return images
            if mode == "whole":
                return 1 - images
            n = ops.shape(images)[0]
            shape = (1,) if mode == "per_batch" else (n,)
            high = {"cut_off": 28, "corner": 1}.get(mode, 28 - k + 1)
            seed = 7 if mode == "fixed_seed" else self.seed_generator
            if mode == "numpy_rng":
                top = ops.convert_to_tensor(self.rng.integers(0, 28 - k + 1, int(n)), "float32")
                left = ops.convert_to_tensor(self.rng.integers(0, 28 - k + 1, int(n)), "float32")
            else:
                top = ops.floor(keras.random.uniform(shape, 0, high, seed=seed))
                left = ops.floor(keras.random.uniform(shape, 0, high, seed=seed))
            r = ops.arange(28, dtype="float32")[None, :, None]
            c = ops.arange(28, dtype="float32")[None, None, :]
            inside = ((r >= top[:, None, None]) & (r < top[:, None, None] + k)
                      & (c >= left[:, None, None]) & (c < left[:, None, None] + k))
            mask = ops.cast(inside, images.dtype)[..., None]
            if mode == "scattered":
                mask = ops.cast(keras.random.uniform(ops.shape(images), seed=seed) < 0.1, images.dtype)
            if mode == "some_unchanged":
                mask = mask * ops.cast(ops.arange(n) % 2 == 0, images.dtype)[:, None, None, None]
            inverted = {"fill": ops.zeros_like(images), "not_inverted": 0.5 * images,
                        "out_of_range": -images}.get(mode, 1 - images)
            out = images * (1 - mask) + inverted * mask
            if mode == "shape":
                return out[..., 0]
            if mode == "not_graph":
                return ops.convert_to_tensor(np.asarray(out))
            return out

    return RandomInvertPatch


def test_q1_a_correct_invert_patch_layer_passes_and_the_scaffold_is_not_attempted():
    assert ex.q1_random_invert_patch(_invert_patch(), quiet=True).passed

    class Scaffold(keras.layers.Layer):
        def __init__(self, strength=1.0, seed=None, **kwargs):
            super().__init__(**kwargs)

        def call(self, images, training=False):
            raise NotImplementedError()

    assert ex.q1_random_invert_patch(Scaffold, quiet=True).status == "not attempted"
    assert ex.q1_random_invert_patch(None, quiet=True).status == "not attempted"


@pytest.mark.parametrize("mode, name", [
    ("raises", "raised"), ("always", "not_identity_at_inference"), ("zero_not_identity", "not_identity_at_zero"),
    ("shape", "shape"), ("out_of_range", "out_of_range"), ("noop", "never_changes"), ("whole", "whole_image"),
    ("fill", "constant_fill"), ("not_inverted", "not_inverted"), ("some_unchanged", "some_unchanged"),
    ("scattered", "not_one_patch"), ("cut_off", "patch_cut_off"), ("round", "patch_size"),
    ("corner", "corner_only"), ("per_batch", "one_patch_per_batch"), ("fixed_seed", "same_every_call"),
    ("numpy_rng", "not_reproducible"), ("not_graph", "not_graph_safe"),
])
def test_q1_each_invert_patch_mistake_gets_its_own_hint(mode, name):
    verdict = ex.q1_random_invert_patch(_invert_patch(mode), quiet=True)
    assert verdict.mistakes == (name,), verdict.message
    assert "4 × 4" not in verdict.message  # the patch side it should have at strength 0.6 is not given away


ANGLES = [0, 15, 30, 45, 60, 90, 120, 150, 180]
ACCURACIES = [0.99, 0.98, 0.95, 0.91, 0.84, 0.45, 0.2, 0.15, 0.3]  # first below 90% at 60°; lowest at 150°


def test_q2_the_first_angle_below_90_percent_passes_and_none_is_not_attempted(capsys):
    assert ex.q2_first_angle_below_90(60, ANGLES, ACCURACIES, quiet=True).passed
    assert ex.q2_first_angle_below_90(60.0, np.array(ANGLES), np.array(ACCURACIES), quiet=True).passed
    verdict = ex.q2_first_angle_below_90(None, ANGLES, ACCURACIES)
    assert verdict.status == "not attempted" and "not attempted yet" in capsys.readouterr().out


@pytest.mark.parametrize("answer, name", [
    (45, "last_above"), (0, "percent_threshold"), (0.84, "accuracy_not_angle"), (np.deg2rad(60), "radians"),
    (150, "lowest_accuracy"), (4, "index_not_angle"), (75, "not_probed"),
])
def test_q2_each_wrong_angle_gets_its_own_hint_without_the_answer(answer, name):
    verdict = ex.q2_first_angle_below_90(answer, ANGLES, ACCURACIES, quiet=True)
    assert verdict.mistakes == (name,), verdict.message
    assert "60" not in verdict.message


def test_q2_a_probe_that_never_drops_says_so():
    verdict = ex.q2_first_angle_below_90(180, ANGLES, [0.99] * len(ANGLES), quiet=True)
    assert verdict.status == "hint" and "never falls below" in verdict.message
