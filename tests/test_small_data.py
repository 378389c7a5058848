"""helpers.small_data: chapter 02 §4's recipe comparison (one recipe, one seed per run)."""

import numpy as np
import pytest

from helpers import augment, small_data


@pytest.fixture()
def small(data):
    """80 training and 40 validation images (floats in [0, 1], one channel) of the fake-digit fixture."""
    x, y = data
    x = (x / 255.0).astype("float32")[..., None]
    return x[::3][:40], y[::3][:40], x[1::3][:20], y[1::3][:20]


def test_recipe_layer_builds_the_named_family_only():
    assert small_data.recipe_layer(None) is None
    assert small_data.recipe_layer("mixup") is None  # mixup acts on batches, not inside the network
    affine = small_data.recipe_layer({}, strength=1.5, seed=3)
    assert [layer.name for layer in affine.layers] == ["affine"]
    elastic = small_data.recipe_layer({**small_data.ONLY, "elastic": 1.0})
    assert [layer.name for layer in elastic.layers] == ["elastic"]
    both = small_data.recipe_layer({**small_data.ONLY, "erasing": 1.0, "noise": 1.0})
    assert [layer.name for layer in both.layers] == ["erasing", "noise"]
    # the strength scales the recipe exactly as digit_augmentation does: rotation 1.5 x 12 degrees
    assert affine.layers[0].get_config()["rotation"] == pytest.approx(1.5 * augment.TRANSFORMS["rotation"][0])


@pytest.mark.parametrize("recipe", ["cutmix", 3, {"blur": 1.0}])
def test_unknown_recipes_are_refused_with_the_choices(recipe):
    with pytest.raises(ValueError, match="recipe|unknown transformation"):
        small_data.recipe_layer(recipe)


def test_spread_is_mean_min_max():
    assert small_data.spread([0.9, 0.95, 0.97]) == pytest.approx((0.94, 0.9, 0.97))
    assert small_data.spread(iter([0.5])) == (0.5, 0.5, 0.5)
    with pytest.raises(ValueError, match="at least one seed"):
        small_data.spread([])


def test_train_recipe_scores_the_validation_set_and_reuses_the_stored_run(small, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    x, y, x_val, y_val = small
    kwargs = dict(epochs=2, width=4, batch_size=16, name="tiny_recipe")
    first = small_data.train_recipe({}, x, y, x_val, y_val, seed=1, **kwargs)
    assert first["source"] == "trained now"
    assert len(first["history"]["accuracy"]) == 2
    again = small_data.train_recipe({}, x, y, x_val, y_val, seed=1, **kwargs)
    assert again["source"].startswith("loaded from the store")
    assert again["val_accuracy"] == first["val_accuracy"]
    # another seed, recipe or training set is another run, never a reused one
    assert small_data.train_recipe({}, x, y, x_val, y_val, seed=2, **kwargs)["source"] == "trained now"
    assert small_data.train_recipe(None, x, y, x_val, y_val, seed=1, **kwargs)["source"] == "trained now"
    assert small_data.train_recipe({}, x[:30], y[:30], x_val, y_val, seed=1, **kwargs)["source"] == "trained now"
    # the validation images only score the run: other ones reuse the stored model and score it on them
    half = small_data.train_recipe({}, x, y, x_val[:10], y_val[:10], seed=1, **kwargs)
    assert half["source"].startswith("loaded from the store")
    tenths = half["val_accuracy"] * 10  # an accuracy on exactly those 10 images: a whole number of tenths
    assert tenths == pytest.approx(round(tenths), abs=1e-5)


def test_mixup_trains_on_soft_labels_and_needs_a_positive_alpha(small, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    x, y, x_val, y_val = small
    run = small_data.train_recipe("mixup", x, y, x_val, y_val, seed=0, epochs=1, width=4, batch_size=16,
                                  mixup_alpha=0.4, name="tiny_mixup")
    assert 0.0 <= run["val_accuracy"] <= 1.0
    assert np.isfinite(run["history"]["loss"][0])  # sparse cross-entropy on its one-hot labels would not even run
    with pytest.raises(ValueError, match="mixup_alpha"):
        small_data.train_recipe("mixup", x, y, x_val, y_val, mixup_alpha=0.0, name="tiny_mixup")

