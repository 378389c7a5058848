"""Chapter 05's checks: the course's losses, train_step and answers pass; each typical mistake gets its own hint."""

import re

import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from helpers.exercises import gan as ex
from helpers.models.gan import DCGAN
from helpers.models.gan import losses as L
from helpers.models.gan.base import images_of


def _ops(mistake):
    return lambda r, f: tuple(ops.convert_to_tensor(np.float32(v)) for v in mistake.wrong(r, f))


def test_reference_losses_pass_and_match_hand_values():
    assert ex.check_gan_losses(ex.reference_gan_losses, quiet=True).passed
    zero = np.zeros((4, 1), "float32")  # D(x) = 1/2 everywhere: each term is log 2
    d, g = ex.reference_gan_losses(zero, zero)
    assert float(d) == pytest.approx(2 * np.log(2)) and float(g) == pytest.approx(np.log(2))


@pytest.mark.parametrize("mistake", ex.GAN_LOSS_MISTAKES, ids=[m.name for m in ex.GAN_LOSS_MISTAKES])
def test_each_loss_mistake_gets_its_own_hint(mistake):
    verdict = ex.check_gan_losses(_ops(mistake), quiet=True)
    assert verdict.mistakes[:1] == (mistake.name,) and mistake.hint in verdict.message


def _variant(d_step=True, g_step=True, fresh_fakes=True, g_loss=None, track=True):
    class Variant(DCGAN):
        def train_step(self, data):
            x_real = images_of(data)
            n = ops.shape(x_real)[0]
            x_fake = self.fakes(n)
            with tf.GradientTape() as tape:
                real_logits = self.discriminator(x_real, training=True)
                fake_logits = self.discriminator(x_fake, training=True)
                d_loss = L.discriminator_loss(real_logits, fake_logits)
            if d_step:
                self.apply(self.d_optimizer, tape, d_loss, self.discriminator)
            with tf.GradientTape() as tape:
                g_logits = self.discriminator(self.fakes(n) if fresh_fakes else x_fake, training=True)
                loss = (g_loss or L.generator_loss)(g_logits)
            if g_step:
                self.apply(self.g_optimizer, tape, loss, self.generator)
            if track:
                return self.track(real_logits, fake_logits, d_loss=d_loss, g_loss=loss)
            return {m.name: m.result() for m in self.metrics}

    return Variant


def test_the_course_train_step_and_a_rewrite_pass():
    assert ex.check_train_step(DCGAN, quiet=True).passed
    assert ex.check_train_step(_variant(), quiet=True).passed


@pytest.mark.parametrize("name, variant", [
    ("no_d_step", _variant(d_step=False)),
    ("no_g_step", _variant(g_step=False)),
    ("no_gradient", _variant(fresh_fakes=False)),
    ("wrong_loss", _variant(g_loss=L.minimax_generator_loss)),
    ("no_tracking", _variant(track=False)),
])
def test_each_train_step_mistake_gets_its_own_hint(name, variant):
    verdict = ex.check_train_step(variant, quiet=True)
    assert verdict.mistakes == (name,), verdict.message
    assert ex.TRAIN_STEP_HINTS[name] in verdict.message


def test_scaffolds_are_not_attempted():
    class Scaffold(DCGAN):
        def train_step(self, data):
            raise NotImplementedError()

    assert ex.check_train_step(Scaffold, quiet=True).status == "not attempted"
    assert ex.check_gan_losses(lambda r, f: None, quiet=True).status == "not attempted"


# ------------------------------------------------------------------ the end-of-chapter questions
def test_q1_passes_the_listings_shape_in_any_form_and_says_not_attempted():
    assert ex.q1_broken_generator_shape(tuple(tf.expand_dims(tf.zeros((16, 28, 28, 1)), axis=0).shape),
                                        quiet=True).passed
    assert ex.q1_broken_generator_shape([1, 16, 28, 28, 1], quiet=True).passed
    assert ex.q1_broken_generator_shape(None, quiet=True).status == "not attempted"


@pytest.mark.parametrize(("answer", "mistake"), [((16, 28, 28, 1), "reshape_only"), ((16, 28, 28, 1, 1), "axis_at_end"),
                                                 ((1, 28, 28, 1), "batch_replaced"), ((16, 784), "dense_output"),
                                                 ((28, 28, 1), "one_image")])
def test_q1_names_each_wrong_shape_without_the_right_one(answer, mistake):
    verdict = ex.q1_broken_generator_shape(answer, quiet=True)
    assert verdict.mistakes == (mistake,) and "(1, 16" not in verdict.message


def test_q2_passes_rounded_values_and_says_not_attempted_for_the_starting_pair():
    assert ex.q2_perfect_generator((0.5, -np.log(4)), quiet=True).passed
    assert ex.q2_perfect_generator([0.5, -1.386], quiet=True).passed
    assert ex.q2_perfect_generator((None, None), quiet=True).status == "not attempted"
    assert ex.q2_perfect_generator(None, quiet=True).status == "not attempted"


@pytest.mark.parametrize(("answer", "mistake"), [
    ((1.0, -np.log(4)), "certain"), ((np.log(0.5), -np.log(4)), "log_d"), ((0.5, 0.0), "no_constant"),
    ((0.5, -np.log(2)), "one_term"), ((0.5, np.log(4)), "sign"), ((0.5, -2.0), "bits"), (0.5, "not_two_numbers")])
def test_q2_names_each_mistake_without_the_values(answer, mistake):
    verdict = ex.q2_perfect_generator(answer, quiet=True)
    assert verdict.mistakes == (mistake,)
    assert "1.386" not in verdict.message and "1.39" not in verdict.message and "log 4" not in verdict.message


def test_q3_reference_passes_and_agrees_with_minimising_the_course_loss():
    assert ex.q3_smoothed_d_star(ex.reference_d_star, quiet=True).passed
    assert ex.q3_smoothed_d_star(lambda p, q, s: (1 - s) * p / (p + q), quiet=True).passed
    for smoothing in (0.0, 0.1, 0.2):  # gan.discriminator_loss's smoothing s is a real target of 1 − s
        assert ex.smoothed_optimum(L.discriminator_loss, smoothing) == pytest.approx(
            float(ex.reference_d_star(1.0, 1.0, smoothing)), abs=1e-4)


def test_q3_scaffold_is_not_attempted():
    def scaffold(p_data, p_g, smoothing=0.0):
        raise NotImplementedError()

    assert ex.q3_smoothed_d_star(scaffold, quiet=True).status == "not attempted"
    assert ex.q3_smoothed_d_star(None, quiet=True).status == "not attempted"


@pytest.mark.parametrize("mistake", ex.D_STAR_MISTAKES, ids=[m.name for m in ex.D_STAR_MISTAKES])
def test_q3_each_mistake_gets_its_own_hint(mistake):
    verdict = ex.q3_smoothed_d_star(mistake.wrong, quiet=True)
    assert verdict.mistakes[:1] == (mistake.name,) and mistake.hint in verdict.message
    assert "0.45" not in verdict.message


def _demo(seed, smoothing=0.0, lr=5e-4, frechet=20.0, batches=2):
    from types import SimpleNamespace

    from helpers.models.gan.training import build_gan

    model = build_gan("dcgan", seed=seed, learning_rate=lr, label_smoothing=smoothing, latent_dim=8, width=8)
    row = {"frechet": frechet * 3.0, "frechet_ratio": frechet}
    return model, SimpleNamespace(batches=batches), row


@pytest.fixture(scope="module")
def q4_runs():
    plain, smoothed = ex.Q4_RUNS
    # Section 5 keeps one demo(...) per seed (0, 1); the check must take seed 0's, wherever it is in the list.
    runs = {plain: [_demo(1, frechet=50.0), _demo(0, frechet=20.0)],
            smoothed: [_demo(0, 0.2, frechet=23.0), _demo(1, 0.2, frechet=40.0)]}  # +3 at seed 0
    mine = {plain: _demo(2, frechet=25.0), smoothed: _demo(2, 0.2, frechet=24.0)}  # −1 at seed 2
    return runs, mine


def test_q4_passes_both_differences_rounded_and_says_not_attempted(q4_runs):
    runs, mine = q4_runs
    assert ex.q4_smoothing_two_seeds((3.0, -1.0), mine, runs, quiet=True).passed
    assert ex.q4_smoothing_two_seeds((3.004, -0.996), mine, runs, quiet=True).passed
    assert ex.q4_smoothing_two_seeds(None, None, runs, quiet=True).status == "not attempted"


@pytest.mark.parametrize(("answer", "mistake"), [((-3.0, 1.0), "inverted"), ((-1.0, 3.0), "seed_order"),
                                                 ((3.0, 3.0), "seed0_twice"), ((9.0, -3.0), "frechet_not_ratio"),
                                                 ((3.0, 1.0), None)])
def test_q4_names_each_wrong_pair_without_the_right_one(q4_runs, answer, mistake):
    runs, mine = q4_runs
    verdict = ex.q4_smoothing_two_seeds(answer, mine, runs, quiet=True)
    assert verdict.mistakes == ((mistake,) if mistake else ()) and not verdict.passed
    assert "-1.0" not in verdict.message and "3.0" not in verdict.message


def test_q4_reads_the_runs_settings(q4_runs):
    runs, mine = q4_runs
    plain, smoothed = ex.Q4_RUNS
    cases = {"no_runs": None,
             "seed": {**mine, plain: _demo(0, frechet=25.0)},
             "no_smoothing": {**mine, smoothed: _demo(2, frechet=24.0)},  # demo(smoothed, seed=2) without the setting
             "other_settings": {**mine, plain: _demo(2, lr=1e-3, frechet=25.0)}}
    for name, my_runs in cases.items():
        assert ex.q4_smoothing_two_seeds((3.0, -1.0), my_runs, runs, quiet=True).mistakes == (name,), name
    batches = {**mine, plain: _demo(2, frechet=25.0, batches=3)}
    assert "batches" in ex.q4_smoothing_two_seeds((3.0, -1.0), batches, runs, quiet=True).message


def test_q5_passes_the_worst_class_or_any_of_a_tie_and_says_not_attempted():
    scores = {"label_fidelity_per_class": {0: 0.9, 1: 0.95, 2: 0.6, 3: 0.8, 4: 0.6}}
    assert ex.q5_least_faithful_class(2, scores, quiet=True).passed
    assert ex.q5_least_faithful_class(np.int64(4), scores, quiet=True).passed
    assert ex.q5_least_faithful_class(None, scores, quiet=True).status == "not attempted"


@pytest.mark.parametrize(("answer", "mistake"), [(1, "best_class"), (0, "min_of_keys"), (0.6, "a_share"),
                                                 ([2], "not_a_digit"), (11, "not_a_class"), (3, "other_class")])
def test_q5_names_each_mistake_without_the_class(answer, mistake):
    scores = {"label_fidelity_per_class": {0: 0.9, 1: 0.95, 2: 0.6, 3: 0.8}}
    verdict = ex.q5_least_faithful_class(answer, scores, quiet=True)
    assert verdict.mistakes == (mistake,) and not re.search(r"\b2\b(?!-)", verdict.message.split("—", 1)[1])


class _CodeModel:
    """A stand-in InfoGAN whose Q recovers each code with logit margin 3 (plus noise that depends on the seed)."""

    num_codes = 10

    def generate(self, n, seed=0, labels=None):
        x = np.zeros((n, 28, 28, 1), "float32")
        x[:, 0, 0, 0], x[:, 0, 1, 0] = labels, np.random.default_rng(seed).normal(0, 0.5, n)
        return x

    def discriminator(self, x, training=False):
        codes, noise = x[:, 0, 0, 0].astype(int), x[:, 0, 1, 0]
        return None, np.eye(10, dtype="float32")[codes] * (3.0 + noise[:, None])


def _bound(model, seed=5, n=1000):
    import keras

    codes = np.arange(n) % 10
    _, logits = model.discriminator(model.generate(n, seed=seed, labels=codes), training=False)
    return float(np.log(10) - keras.ops.mean(keras.losses.sparse_categorical_crossentropy(codes, logits,
                                                                                          from_logits=True)))


def test_q6_passes_the_bound_from_any_noise_and_says_not_attempted():
    model = _CodeModel()
    assert ex.q6_code_information_bound(_bound(model), model, quiet=True).passed
    assert ex.q6_code_information_bound(_bound(model, seed=11), model, quiet=True).passed  # other samples
    assert ex.q6_code_information_bound(None, model, quiet=True).status == "not attempted"
    from helpers.models.gan import InfoGAN

    untrained = InfoGAN(latent_dim=8, width=8, num_codes=10, seed=0)  # the real model's API
    assert ex.q6_code_information_bound(_bound(untrained), untrained, quiet=True).passed


@pytest.mark.parametrize("mistake", ["cross_entropy", "sign", "bits", "max_possible"])
def test_q6_names_each_mistake_without_the_bound(mistake):
    model = _CodeModel()
    bound = _bound(model)
    answer = {"cross_entropy": np.log(10) - bound, "sign": -bound, "bits": bound / np.log(2),
              "max_possible": np.log(10)}[mistake]
    verdict = ex.q6_code_information_bound(answer, model, quiet=True)
    assert verdict.mistakes == (mistake,) and f"{bound:.2f}" not in verdict.message
