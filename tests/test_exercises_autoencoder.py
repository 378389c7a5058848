"""Chapter 03's checks: the course's train_step passes; each typical mistake in it gets its own hint."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from helpers.exercises import autoencoder as ex
from helpers.models.autoencoder import Autoencoder


def _variant(loss_fn=None, corrupt=True, apply=True, inside=True, track=True, weights="all"):
    class Variant(Autoencoder):
        def train_step(self, data):
            x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
            x = ops.cast(x, "float32")
            seen = self.corrupt(x) if corrupt else x
            if inside:
                with tf.GradientTape() as tape:
                    x_hat = self.decode(self.encode(seen))
                    loss = (loss_fn or (lambda a, b: ops.mean(ops.square(a - b))))(x, x_hat)
            else:
                x_hat = self.decode(self.encode(seen))
                loss = ops.mean(ops.square(x - x_hat))
                with tf.GradientTape() as tape:
                    pass
            chosen = self.trainable_weights if weights == "all" else self.decoder.trainable_weights
            grads = tape.gradient(loss, chosen)
            if apply:
                self.optimizer.apply_gradients(zip(grads, chosen, strict=True))
            if track:
                self.loss_tracker.update_state(loss)
            return {"loss": self.loss_tracker.result()}

    return Variant


def test_the_course_train_step_and_a_correct_rewrite_pass(capsys):
    assert ex.check_train_step(Autoencoder).passed
    assert capsys.readouterr().out.strip() == "Exercise 3.1 (autoencoder train_step): pass ✓"
    assert ex.check_train_step(_variant(), quiet=True).passed


@pytest.mark.parametrize("name, variant", [
    ("not_applied", _variant(apply=False)),
    ("outside_tape", _variant(inside=False)),
    ("sum", _variant(loss_fn=lambda a, b: ops.sum(ops.square(a - b)))),
    ("sum_per_image", _variant(loss_fn=lambda a, b: ops.mean(ops.sum(ops.square(a - b), axis=(1, 2, 3))))),
    ("mae", _variant(loss_fn=lambda a, b: ops.mean(ops.abs(a - b)))),
    ("no_corruption", _variant(corrupt=False)),
    ("part_of_the_weights", _variant(weights="decoder")),
    ("no_tracker", _variant(track=False)),
])
def test_each_train_step_mistake_gets_its_own_hint(name, variant):
    verdict = ex.check_train_step(variant, quiet=True)
    assert verdict.mistakes == (name,) and ex.TRAIN_STEP_HINTS[name] in verdict.message


def test_train_step_scaffold_and_non_class_are_not_attempted():
    class Scaffold(Autoencoder):
        def train_step(self, data):
            raise NotImplementedError()

    assert ex.check_train_step(Scaffold, quiet=True).status == "not attempted"
    assert ex.check_train_step(None, quiet=True).status == "not attempted"


def test_reconstruction_mse_check():
    assert ex.check_reconstruction_mse(ex.reference_reconstruction_mse, quiet=True).passed
    for mistake in ex.MSE_MISTAKES:
        verdict = ex.check_reconstruction_mse(mistake.wrong, quiet=True)
        assert verdict.mistakes[:1] == (mistake.name,), mistake.name
    x = np.zeros((1, 28, 28, 1))
    x_hat = np.full_like(x, 0.5)
    assert ex.reference_reconstruction_mse(x, x_hat) == pytest.approx(0.25)  # by hand: (0.5)² per pixel


# ------------------------------------------------------------------ the end-of-chapter questions
def _pca_and_images():
    from helpers.models import autoencoder as models

    x = np.random.default_rng(0).random((900, 28, 28, 1)).astype("float32")
    return models.PCA().fit(x), x[:50]


def test_q1_passes_round_off_and_names_the_chapters_component_count():
    pca, x = _pca_and_images()
    assert ex.q1_pca_every_component(pca.mse(x, 784), pca, x, 32, quiet=True).passed
    assert ex.q1_pca_every_component(0.0, pca, x, 32, quiet=True).passed  # "zero" is the idea
    wrong = ex.q1_pca_every_component(pca.mse(x, 32), pca, x, 32, quiet=True)
    assert wrong.mistakes == ("chapters_components",) and f"{pca.mse(x, 784):.2e}" not in wrong.message
    assert ex.q1_pca_every_component(None, pca, x, 32, quiet=True).status == "not attempted"


def test_q2_accepts_sampling_noise_and_names_model_scores_and_non_aucs():
    rng = np.random.default_rng(0)
    from helpers.models.autoencoder import roc_curve

    assert ex.q2_random_auc(roc_curve(rng.random(1000), rng.random(1000))[2], quiet=True).passed
    assert ex.q2_random_auc(0.97, quiet=True).mistakes == ("model_scores",)
    assert ex.q2_random_auc(12.0, quiet=True).mistakes == ("not_an_auc",)
    assert "too small" in ex.q2_random_auc(0.3, quiet=True).message


@pytest.mark.parametrize(("answer", "mistake"), [(32 / 784, "inverted"), (784 / 128, "bytes"), (28 / 32, "one_side")])
def test_q3_names_each_wrong_ratio(answer, mistake):
    assert ex.q3_compression_ratio(784 / 32, 32, quiet=True).passed
    verdict = ex.q3_compression_ratio(answer, 32, quiet=True)
    assert verdict.mistakes == (mistake,) and "24.5" not in verdict.message
