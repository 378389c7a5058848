"""helpers.augment: identity at zero strength, seeded determinism, value range, maths by hand."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import augment as A


@pytest.fixture(scope="module")
def digits():
    """Eight synthetic 'digits' in [0, 1]: bars and blobs at different places (no dataset needed)."""
    rng = np.random.default_rng(0)
    x = np.zeros((8, 28, 28, 1), np.float32)
    for i in range(8):
        r, c = rng.integers(6, 16, size=2)
        x[i, r:r + 10, c:c + 3, 0] = 1.0
        x[i, r + 4:r + 6, c:c + 9, 0] = 0.6
    return x


LAYERS = {
    "affine": lambda s, seed: A.RandomAffine(12 * s, 0.1 * s, 0.1 * s, 0.15 * s, seed=seed),
    "elastic": lambda s, seed: A.ElasticDistortion(alpha=34 * s, sigma=4, seed=seed),
    "noise": lambda s, seed: A.AdditiveNoise(0.2 * s, seed=seed),
    "erase": lambda s, seed: A.RandomErase(0.5 * s, rate=1.0, seed=seed),
    "recipe": lambda s, seed: A.digit_augmentation(s, seed=seed, elastic=1, noise=1, erasing=1),
}


@pytest.mark.parametrize("name", LAYERS)
def test_zero_strength_is_exactly_the_identity(name, digits):
    out = A.augment(LAYERS[name](0.0, 1), digits)
    np.testing.assert_array_equal(out, digits)


@pytest.mark.parametrize("name", LAYERS)
def test_same_seed_same_output_and_shapes_and_range(name, digits):
    a = A.augment(LAYERS[name](1.0, 7), digits)
    b = A.augment(LAYERS[name](1.0, 7), digits)
    c = A.augment(LAYERS[name](1.0, 8), digits)
    assert a.shape == digits.shape and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c), "a different seed must give a different draw"
    assert not np.array_equal(a, digits), "strength 1 must change the images"
    assert a.min() >= 0.0 and a.max() <= 1.0


@pytest.mark.parametrize("name", LAYERS)
def test_identity_at_inference(name, digits):
    layer = LAYERS[name](1.0, 3)
    out = keras.ops.convert_to_numpy(layer(digits, training=False))
    np.testing.assert_array_equal(out, digits)


def test_augment_accepts_images_without_channel_axis(digits):
    out = A.augment(A.RandomAffine(seed=0), digits[..., 0])
    assert out.shape == digits.shape[:3]


def test_pure_translation_moves_pixels_by_the_drawn_shift():
    """With only translation, the output is an integer-free shift: ink mass stays (mostly) and moves."""
    x = np.zeros((1, 28, 28, 1), np.float32)
    x[0, 13, 13, 0] = 1.0
    layer = A.RandomAffine(rotation=0, translation=0.2, zoom=0, shear=0, seed=3)
    out = A.augment(layer, x)[0, ..., 0]
    r, c = np.unravel_index(out.argmax(), out.shape)
    assert (r, c) != (13, 13)
    assert abs(r - 13) <= 0.2 * 28 + 1 and abs(c - 13) <= 0.2 * 28 + 1
    assert out.sum() == pytest.approx(1.0, abs=1e-4)  # bilinear weights sum to one


def test_affine_matrix_rotates_by_180_degrees_through_the_centre():
    x = np.zeros((1, 28, 28, 1), np.float32)
    x[0, 3, 5, 0] = 1.0
    m = A.RandomAffine.affine_matrix(np.array([np.pi]), 0.0, 1.0, 0.0, 0.0, 28, 28)
    out = keras.ops.convert_to_numpy(keras.ops.image.affine_transform(x, m, fill_value=0))
    # the centre is (13.5, 13.5): pixel (3, 5) lands on (27 - 3, 27 - 5)
    assert out[0, 24, 22, 0] == pytest.approx(1.0, abs=1e-4)
    assert out.sum() == pytest.approx(1.0, abs=1e-4)


def test_affine_matrix_zoom_and_shift_by_hand():
    m = keras.ops.convert_to_numpy(A.RandomAffine.affine_matrix(np.array([0.0]), 0.0, 2.0, 1.0, -3.0, 28, 28))
    # output (x, y) reads input (2x - 13.5 - 1, 2y - 13.5 + 3): zoom 2 about the centre, then the shift
    np.testing.assert_allclose(m[0], [2, 0, -14.5, 0, 2, -10.5, 0, 0], atol=1e-5)


def test_gaussian_kernel_is_normalised_and_symmetric():
    k = A.gaussian_kernel(2.0)
    assert len(k) == 2 * 6 + 1
    assert k.sum() == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(k, k[::-1])
    assert k.argmax() == 6
    with pytest.raises(ValueError, match="sigma"):
        A.gaussian_kernel(0)


def test_bilinear_sample_interpolates_by_hand():
    img = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    rows = np.full((1, 4, 4), 1.5, np.float32)
    cols = np.full((1, 4, 4), 2.25, np.float32)
    out = keras.ops.convert_to_numpy(A.bilinear_sample(img, rows, cols))
    # between rows 1 and 2 (values 4r + c): 4 * 1.5 + 2.25 = 8.25
    np.testing.assert_allclose(out, 8.25, atol=1e-5)
    rows_out = np.full((1, 4, 4), -5.0, np.float32)
    assert np.all(keras.ops.convert_to_numpy(A.bilinear_sample(img, rows_out, cols)) == 0)


def test_elastic_displacement_is_smooth_and_scales_with_alpha(digits):
    small = A.ElasticDistortion(alpha=10, sigma=4, seed=5)
    big = A.ElasticDistortion(alpha=20, sigma=4, seed=5)
    d1 = keras.ops.convert_to_numpy(small.displacement(digits))
    d2 = keras.ops.convert_to_numpy(big.displacement(digits))
    np.testing.assert_allclose(d2, 2 * d1, rtol=1e-5, atol=1e-6)
    # smoothing: neighbouring displacements are strongly correlated
    a, b = d1[:, :, :-1, 0].ravel(), d1[:, :, 1:, 0].ravel()
    assert np.corrcoef(a, b)[0, 1] > 0.9


def test_random_erase_sets_a_rectangle_to_background(digits):
    x = np.ones((16, 28, 28, 1), np.float32)
    out = A.augment(A.RandomErase(max_size=0.5, rate=1.0, seed=2), x)
    erased = out[..., 0] == 0
    assert set(np.unique(out)) <= {0.0, 1.0}
    for m in erased:
        if m.any():
            r, c = np.flatnonzero(m.any(1)), np.flatnonzero(m.any(0))
            assert m[r[0]:r[-1] + 1, c[0]:c[-1] + 1].all(), "erased pixels must form a rectangle"
            assert len(r) <= 14 and len(c) <= 14


def test_noise_is_clipped_to_the_value_range():
    x = np.full((4, 28, 28, 1), 0.5, np.float32)
    out = A.augment(A.AdditiveNoise(1.0, seed=0), x)
    assert out.min() == 0.0 and out.max() == 1.0
    assert abs(float(out.mean()) - 0.5) < 0.05


def test_recipe_rejects_unknown_and_negative_strengths():
    with pytest.raises(ValueError, match="unknown transformation"):
        A.digit_augmentation(flip=1)
    with pytest.raises(ValueError, match=">= 0"):
        A.digit_augmentation(rotation=-1)
    with pytest.raises(ValueError, match="zoom"):
        A.RandomAffine(zoom=1.5)


def test_recipe_layers_follow_strengths():
    names = [layer.name for layer in A.digit_augmentation(elastic=1, rotation=0, translation=0, zoom=0,
                                                          shear=0).layers]
    assert names == ["elastic"]
    aff = A.digit_augmentation(strength=2.0).layers[0]
    assert aff.rotation == pytest.approx(2 * A.TRANSFORMS["rotation"][0])


def test_layers_work_inside_a_model_and_reload(tmp_path, digits):
    inputs = keras.Input((28, 28, 1))
    x = A.digit_augmentation(seed=0, elastic=1, noise=1, erasing=1)(inputs)
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x))
    path = tmp_path / "m.keras"
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(again.predict(digits, verbose=0), model.predict(digits, verbose=0), atol=1e-6)
    cfg = again.layers[1].layers[1].get_config()
    assert cfg["alpha"] == pytest.approx(34.0) and cfg["sigma"] == pytest.approx(4.0)


def test_builtin_recipe_runs_and_keeps_range(digits):
    out = A.augment(A.keras_builtin_augmentation(seed=0), digits)
    assert out.shape == digits.shape and out.min() >= 0 and out.max() <= 1.0 + 1e-6


def test_mixup_by_hand():
    x = np.stack([np.zeros((28, 28, 1)), np.ones((28, 28, 1))]).astype(np.float32)
    y = np.array([3, 7])
    xm, ym = A.mixup_batch(x, y, alpha=0.4, num_classes=10, seed=(1, 2))
    xm, ym = xm.numpy(), ym.numpy()
    np.testing.assert_allclose(ym.sum(axis=1), 1.0, atol=1e-6)
    for i in range(2):
        # image i is 0s or 1s mixed: its pixel value equals the weight of the "ones" image (label 7)
        np.testing.assert_allclose(xm[i], xm[i].flat[0], atol=1e-6)
        assert ym[i, 7] == pytest.approx(float(xm[i].flat[0]), abs=1e-5)
        assert ym[i, 3] == pytest.approx(1 - float(xm[i].flat[0]), abs=1e-5)
    x0, y0 = A.mixup_batch(x, y, alpha=0.0)
    np.testing.assert_array_equal(x0.numpy(), x)
    np.testing.assert_array_equal(y0.numpy().argmax(1), y)
    with pytest.raises(ValueError):
        A.mixup_batch(x, y, alpha=-1)


def test_mixup_dataset_is_reproducible_and_differs_per_batch(digits):
    y = np.arange(8) % 10
    ds = tf.data.Dataset.from_tensor_slices((digits, y)).batch(4)
    run1 = [(a.numpy(), b.numpy()) for a, b in A.mixup_dataset(ds, 0.4, seed=3)]
    run2 = [(a.numpy(), b.numpy()) for a, b in A.mixup_dataset(ds, 0.4, seed=3)]
    assert len(run1) == 2
    for (a1, b1), (a2, b2) in zip(run1, run2, strict=True):
        np.testing.assert_array_equal(a1, a2)
        np.testing.assert_array_equal(b1, b2)
    assert run1[0][1].shape == (4, 10)
    assert run1[0][0].min() >= 0 and run1[0][0].max() <= 1


def test_rotate_by_exact_angles():
    x = np.zeros((1, 28, 28), np.float32)
    x[0, 2:12, 13:15] = 1.0  # a vertical bar above the centre
    np.testing.assert_array_equal(A.rotate(x, 0), x)
    np.testing.assert_allclose(A.rotate(x, 360), x, atol=1e-4)
    half = A.rotate(x, 180)
    np.testing.assert_allclose(half[0], x[0, ::-1, ::-1], atol=1e-4)  # about the centre (13.5, 13.5)
    quarter = A.rotate(x, 90)[0]  # counter-clockwise: the bar moves to the left half
    assert quarter[:, :14].sum() > 0.99 * quarter.sum() and quarter.sum() == pytest.approx(x.sum(), rel=1e-3)
