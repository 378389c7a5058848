"""Chapter 05's checks: the course's losses and train_step pass; each typical mistake gets its own hint."""

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
