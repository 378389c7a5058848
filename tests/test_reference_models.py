"""The re-implemented tutorial GANs match their published architectures and train the published way."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from helpers.models import reference as ref  # noqa: E402


def _layers(model, cls):
    return [layer for layer in model.layers if isinstance(layer, cls)]


# ----------------------------------------------------------------------------- architecture
def test_tfdocs_parameter_counts_match_the_published_summaries():
    # The tutorial's model.summary(): generator 2,330,944 params (2,305,472 trainable), discriminator 212,865.
    g, d = ref.tfdocs_generator(), ref.tfdocs_discriminator()
    assert g.count_params() == 2_330_944
    assert sum(int(np.prod(v.shape)) for v in g.trainable_weights) == 2_305_472
    assert d.count_params() == 212_865


def test_kerasio_parameter_counts_follow_from_the_published_layers():
    c = 128 + 10  # generator_in_channels
    dense = c * 7 * 7 * c + 7 * 7 * c
    up1, up2, out = 4 * 4 * c * 128 + 128, 4 * 4 * 128 * 128 + 128, 7 * 7 * 128 + 1
    assert ref.kerasio_generator().count_params() == dense + up1 + up2 + out == 1_491_215
    d_params = (3 * 3 * 11 * 64 + 64) + (3 * 3 * 64 * 128 + 128) + (128 + 1)
    assert ref.kerasio_discriminator().count_params() == d_params == 80_385


def test_tfdocs_layers_are_the_tutorials():
    g, d = ref.tfdocs_generator(), ref.tfdocs_discriminator()
    convs = _layers(g, keras.layers.Conv2DTranspose)
    assert [(c.filters, c.kernel_size, c.strides) for c in convs] == [
        (128, (5, 5), (1, 1)), (64, (5, 5), (2, 2)), (1, (5, 5), (2, 2))]
    assert all(not layer.use_bias for layer in convs + _layers(g, keras.layers.Dense))
    assert len(_layers(g, keras.layers.BatchNormalization)) == 3
    assert convs[-1].activation.__name__ == "tanh"
    assert [drop.rate for drop in _layers(d, keras.layers.Dropout)] == [0.3, 0.3]
    assert [(c.filters, c.kernel_size, c.strides) for c in _layers(d, keras.layers.Conv2D)] == [
        (64, (5, 5), (2, 2)), (128, (5, 5), (2, 2))]
    assert _layers(d, keras.layers.Dense)[-1].activation.__name__ == "linear"  # logits


def test_kerasio_layers_are_the_examples():
    g, d = ref.kerasio_generator(), ref.kerasio_discriminator()
    assert g.input_shape == (None, 138) and d.input_shape == (None, 28, 28, 11)
    assert _layers(g, keras.layers.Dense)[0].units == 7 * 7 * 138
    assert all(a.negative_slope == pytest.approx(0.2) for a in _layers(g, keras.layers.LeakyReLU))
    assert _layers(g, keras.layers.Conv2D)[-1].activation.__name__ == "sigmoid"
    assert len(_layers(d, keras.layers.GlobalMaxPooling2D)) == 1
    assert not _layers(d, keras.layers.BatchNormalization) and not _layers(d, keras.layers.Dropout)


def test_output_shapes_and_ranges():
    z = np.random.default_rng(0).standard_normal((3, 100)).astype("float32")
    x = np.asarray(ref.tfdocs_generator()(z))
    assert x.shape == (3, 28, 28, 1) and x.min() >= -1 and x.max() <= 1
    assert ref.tfdocs_discriminator()(x).shape == (3, 1)
    cgan = ref.KerasIOConditionalGAN()
    z = np.random.default_rng(0).standard_normal((4, 128)).astype("float32")
    one_hot = np.eye(10, dtype="float32")[[0, 3, 3, 9]]
    img = np.asarray(cgan((z, one_hot)))
    assert img.shape == (4, 28, 28, 1) and img.min() >= 0 and img.max() <= 1
    maps = np.asarray(cgan.label_channels(one_hot))
    assert maps.shape == (4, 28, 28, 10)


def test_label_channels_reproduce_the_keras_io_layout():
    import tensorflow as tf

    one_hot = np.eye(10, dtype="float32")[[0, 3, 9]]
    # The example, literally: repeat without an axis (flattens), then reshape.
    original = tf.reshape(tf.repeat(one_hot[:, :, None, None], repeats=[28 * 28]), (-1, 28, 28, 10))
    maps = np.asarray(ref.KerasIOConditionalGAN().label_channels(one_hot))
    assert np.array_equal(maps, original.numpy())
    assert maps.sum(axis=(1, 2, 3)).tolist() == [784.0] * 3
    rows_with_label = np.nonzero(maps[1].sum(axis=(1, 2)))[0].tolist()
    assert rows_with_label == [8, 9, 10, 11]  # class 3: a band of rows across all channels


def test_optimisers_follow_the_tutorials():
    dcgan, cgan = ref.TFDocsDCGAN(), ref.KerasIOConditionalGAN()
    dcgan.compile()
    cgan.compile()
    for model, lr in ((dcgan, 1e-4), (cgan, 3e-4)):
        for opt in (model.g_optimizer, model.d_optimizer):
            assert isinstance(opt, keras.optimizers.Adam)
            assert float(opt.learning_rate) == pytest.approx(lr)


# ----------------------------------------------------------------------------- training
def _weights(net):
    return [np.array(w) for w in net.trainable_weights]


def _changed(before, net):
    return any(not np.allclose(a, b) for a, b in zip(before, _weights(net), strict=True))


def _mean_logit(model, x, one_hot=None):
    if one_hot is not None:
        x = np.concatenate([x, np.asarray(model.label_channels(one_hot))], axis=-1)
    return float(np.mean(np.asarray(model.discriminator(x, training=False))))


def test_tfdocs_one_step_changes_both_networks_and_labels_real_as_one():
    x = np.full((8, 28, 28, 1), -1.0, "float32")
    x[:, 8:20, 12:16] = 1.0  # a bar: easy to tell from the generator's noise
    model = ref.TFDocsDCGAN(seed=1)
    model.compile()
    g0, d0 = _weights(model.generator), _weights(model.discriminator)
    model.fit(x, batch_size=8, epochs=1, verbose=0)
    assert _changed(g0, model.generator) and _changed(d0, model.discriminator)
    # Discriminator alone (generator frozen by a zero-ish learning rate): real -> positive logits.
    model.compile(g_learning_rate=1e-12, d_learning_rate=3e-3)
    model.fit(x, batch_size=8, epochs=15, verbose=0)
    z = np.random.default_rng(0).standard_normal((8, 100)).astype("float32")
    fake = np.asarray(model.generator(z, training=False))
    assert _mean_logit(model, x) > 0 > _mean_logit(model, fake)


def test_kerasio_one_step_changes_both_networks_with_the_examples_label_convention():
    rng = np.random.default_rng(0)
    x = np.zeros((8, 28, 28, 1), "float32")
    x[:, 8:20, 12:16] = 1.0
    one_hot = np.eye(10, dtype="float32")[rng.integers(0, 10, 8)]
    model = ref.KerasIOConditionalGAN(seed=1)
    model.compile()
    g0, d0 = _weights(model.generator), _weights(model.discriminator)
    model.fit(x, one_hot, batch_size=8, epochs=1, verbose=0)
    assert _changed(g0, model.generator) and _changed(d0, model.discriminator)
    # keras.io convention: the discriminator labels fakes 1 and reals 0, so after D-only
    # training real images get negative logits and fakes positive ones.
    model.compile(g_learning_rate=1e-12, d_learning_rate=3e-3)
    model.fit(x, one_hot, batch_size=8, epochs=15, verbose=0)
    z = rng.standard_normal((8, 128)).astype("float32")
    fake = np.asarray(model((z, one_hot)))
    assert _mean_logit(model, x, one_hot) < 0 < _mean_logit(model, fake, one_hot)
    # ... and the generator, trained alone, pushes D(G(z)) towards "real" (label 0): logits fall.
    before = _mean_logit(model, fake, one_hot)
    model.compile(g_learning_rate=1e-3, d_learning_rate=1e-12)
    model.fit(x, one_hot, batch_size=8, epochs=3, verbose=0)
    assert _mean_logit(model, np.asarray(model((z, one_hot))), one_hot) < before


# ----------------------------------------------------------------------------- recipes, save/load
def test_recipes_are_registered():
    from helpers.models import registry

    found = registry.recipes()
    assert not found["ref_tfdocs_dcgan"].conditional
    assert found["ref_kerasio_cgan"].conditional


@pytest.mark.parametrize("name, cls", [("ref_tfdocs_dcgan", ref.TFDocsDCGAN),
                                       ("ref_kerasio_cgan", ref.KerasIOConditionalGAN)])
def test_generate_and_save_load_round_trip(name, cls, tmp_path):
    from helpers.models import registry

    recipe = registry.get(name)
    model = cls(seed=0)
    model.compile(g_learning_rate=2e-4)
    images, labels = recipe.generate(model, 25, seed=3)
    assert images.shape == (25, 28, 28) and images.dtype == np.uint8
    assert np.array_equal(images, recipe.generate(model, 25, seed=3)[0])  # same seed, same samples
    assert not np.array_equal(images, recipe.generate(model, 25, seed=4)[0])
    if recipe.conditional:
        assert np.array_equal(labels, np.arange(25) % 10)
        _, asked = recipe.generate(model, 3, labels=[7, 7, 1])
        assert asked.tolist() == [7, 7, 1]
        with pytest.raises(ValueError, match="0..9"):
            recipe.generate(model, 2, labels=[3, 10])
    else:
        assert labels is None
        with pytest.raises(ValueError, match="unconditional"):
            recipe.generate(model, 2, labels=[1, 2])
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is cls and loaded.get_config() == model.get_config()
    assert float(loaded.g_optimizer.learning_rate) == pytest.approx(2e-4)  # compile settings survive
    assert np.array_equal(recipe.generate(loaded, 25, seed=3)[0], images)


@pytest.mark.slow  # traces two GAN training graphs: ~10 s of CPU each
@pytest.mark.parametrize("name", ["ref_tfdocs_dcgan", "ref_kerasio_cgan"])
def test_recipe_trains_and_reports_its_run(name):
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (64, 28, 28), dtype=np.uint8), rng.integers(0, 10, 64)
    from helpers.models import registry

    recipe = registry.get(name)
    result = recipe.fit(recipe.build(seed=0), x, y, seed=0, epochs=1)
    assert result.epochs == 1.0 and result.seconds > 0
    assert result.batch_size == (256 if name == "ref_tfdocs_dcgan" else 64)
    assert result.batches == (1 if name == "ref_tfdocs_dcgan" else 1)  # 64 images: one (partial) batch
    assert result.model is not None and len(result.batch_history["g_loss"]) == result.batches
