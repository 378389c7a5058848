"""The Wasserstein GAN with gradient penalty of chapter 05 §8 (Gulrajani et al., 2017).

A *critic* ``f`` (D without the sigmoid) scores images; ``E[f(real)] - E[f(fake)]``
estimates the Wasserstein-1 distance between the two distributions when ``f`` is
1-Lipschitz, and G moves its samples along ``∇f``. The penalty keeps ``f`` close
to 1-Lipschitz where it matters: on segments between real and fake images.
"""

from __future__ import annotations

import keras
from keras import ops

from .base import TwoPlayerGAN, images_of
from .networks import build_discriminator, build_generator
from .penalties import gradient_penalty, interpolation_weights


def wasserstein_critic_loss(real_scores, fake_scores, label_smoothing: float = 0.0):
    """``E[f(fake)] - E[f(real)]``: minus the critic's estimate of the Wasserstein distance (chapter 05 §8)."""
    del label_smoothing  # a critic has no targets to smooth
    return ops.mean(fake_scores) - ops.mean(real_scores)


def wasserstein_generator_loss(fake_scores):
    """``-E[f(G(z))]``: G raises the critic's score of its samples (chapter 05 §8)."""
    return -ops.mean(fake_scores)


@keras.saving.register_keras_serializable(package="course")
class WGANGP(TwoPlayerGAN):
    """WGAN-GP: ``n_critic`` critic steps, each with the gradient penalty, then one G step (chapter 05 §8).

    Critic: minimise ``E[f(G(z))] - E[f(x)] + λ·E[(‖∇f(x̂)‖ - 1)²]`` with
    ``x̂ = ε·x + (1-ε)·G(z)``, ``ε ~ U(0, 1)``. Generator: minimise ``-E[f(G(z))]``.
    The paper's settings by default: ``gp_weight`` λ = 10, ``n_critic`` = 5,
    Adam(β₁ = 0, β₂ = 0.9). Each critic step sees the same real batch and fresh
    fakes. Trackers: ``critic_loss``, ``gp``, ``g_loss`` and ``w_distance`` (the
    critic's estimate of the Wasserstein distance, before its update).
    """

    adam_betas = (0.0, 0.9)
    losses = {"wasserstein": (wasserstein_critic_loss, wasserstein_generator_loss)}

    def __init__(self, latent_dim: int = 64, width: int = 64, gp_weight: float = 10.0, n_critic: int = 5, **kwargs):
        super().__init__(latent_dim=latent_dim, width=width, **kwargs)
        if float(gp_weight) < 0 or int(n_critic) < 1:
            raise ValueError(f"gp_weight must be >= 0 and n_critic >= 1, not {gp_weight} and {n_critic}")
        self.gp_weight, self.n_critic = float(gp_weight), int(n_critic)
        self._set_networks(build_generator(self.latent_dim, self.width, None, self.batch_norm),
                           build_discriminator(self.d_width, None, self.dropout, self.spectral_norm,
                                               name="critic"),
                           trackers=("critic_loss", "gp", "g_loss", "w_distance"))

    @property
    def critic(self):
        """The critic ``f`` (stored as ``discriminator``, the name the other GANs use)."""
        return self.discriminator

    def get_config(self):
        return {**super().get_config(), "gp_weight": self.gp_weight, "n_critic": self.n_critic}

    def train_step(self, data):
        import tensorflow as tf  # the course runs on TensorFlow (GradientTape)

        x_real = images_of(data)
        n = ops.shape(x_real)[0]

        # 1) Critic, n_critic times: minimise E[f(fake)] - E[f(real)] + λ·E[(‖∇f(x̂)‖ - 1)²].
        for _ in range(self.n_critic):
            x_fake = self.fakes(n)
            with tf.GradientTape() as tape:
                real_scores = self.critic(x_real, training=True)
                fake_scores = self.critic(x_fake, training=True)
                w_loss = self.d_loss_fn(real_scores, fake_scores)
                gp = gradient_penalty(self.critic, x_real, x_fake, interpolation_weights(n, self.seed_generator))
                critic_loss = w_loss + self.gp_weight * gp
            self.apply(self.d_optimizer, tape, critic_loss, self.critic)

        # 2) Generator: minimise -E[f(G(z))]; only G's weights move.
        with tf.GradientTape() as tape:
            g_loss = self.g_loss_fn(self.critic(self.fakes(n), training=True))
        self.apply(self.g_optimizer, tape, g_loss, self.generator)

        # 3) Moving average of G's weights, used for sampling.
        self.update_ema()
        return self.update_trackers(critic_loss=critic_loss, gp=gp, g_loss=g_loss, w_distance=-w_loss)
