"""The DCGAN of chapter 05 §4: its ``train_step`` is the two-player objective, line by line."""

from __future__ import annotations

import keras
from keras import ops

from .base import TwoPlayerGAN, images_of
from .losses import top_k_logits
from .networks import build_discriminator, build_generator


@keras.saving.register_keras_serializable(package="course")
class DCGAN(TwoPlayerGAN):
    """Deep convolutional GAN trained with alternating D and G steps (chapter 05 §4).

    ``fit`` on images in [-1, 1] (or ``(images, labels)``: labels are ignored).
    Trackers: ``d_loss``, ``g_loss``, ``d_real`` = mean D(x) and ``d_fake`` =
    mean D(G(z)) (before D's update). ``top_k < 1`` lets G learn only from the
    share of fakes D finds most realistic (Sinha et al., 2020).
    """

    def __init__(self, latent_dim: int = 64, width: int = 64, top_k: float = 1.0, **kwargs):
        super().__init__(latent_dim=latent_dim, width=width, **kwargs)
        if not 0.0 < float(top_k) <= 1.0:
            raise ValueError(f"top_k is the share of each batch of fakes G learns from: 0 < top_k <= 1, not {top_k}")
        self.top_k = float(top_k)
        self._set_networks(build_generator(self.latent_dim, self.width, None, self.batch_norm),
                           build_discriminator(self.d_width, None, self.dropout, self.spectral_norm),
                           trackers=("d_loss", "g_loss", "d_real", "d_fake"))

    def get_config(self):
        return {**super().get_config(), "top_k": self.top_k}

    def train_step(self, data):
        import tensorflow as tf  # the course runs on TensorFlow (GradientTape)

        x_real = images_of(data)
        n = ops.shape(x_real)[0]

        # 1) Discriminator: minimise -log D(x) - log(1 - D(G(z))).
        x_fake = self.fakes(n)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(x_real, training=True)
            fake_logits = self.discriminator(x_fake, training=True)
            d_loss = self.d_loss_fn(real_logits, fake_logits, self.label_smoothing)
        self.apply(self.d_optimizer, tape, d_loss, self.discriminator)

        # 2) Generator: minimise -log D(G(z)) (non-saturating); only G's weights move.
        with tf.GradientTape() as tape:
            g_logits = self.discriminator(self.fakes(n), training=True)
            if self.top_k < 1.0:  # learn only from the fakes D already finds most realistic
                g_logits = top_k_logits(g_logits, self.top_k)
            g_loss = self.g_loss_fn(g_logits)
        self.apply(self.g_optimizer, tape, g_loss, self.generator)

        # 3) Moving average of G's weights, used for sampling.
        self.update_ema()
        return self.track(real_logits, fake_logits, d_loss=d_loss, g_loss=g_loss)
