"""InfoGAN (chapter 05 §7): a GAN that discovers classes by itself, without labels."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from ...memory import INFERENCE_BATCH_SIZE
from .base import TwoPlayerGAN, images_of
from .losses import classification_loss
from .networks import build_discriminator, build_generator


@keras.saving.register_keras_serializable(package="course")
class InfoGAN(TwoPlayerGAN):
    """Unconditional GAN whose random codes become rough classes (InfoGAN, Chen et al., 2016; chapter 05 §7).

    G gets noise ``z`` plus a random one-of-``num_codes`` code ``c``; a second
    head on D (Q) guesses ``c`` from the fake image, and both D and G are
    rewarded when the guess is right (``info_weight`` × cross-entropy, a
    bound on the mutual information between ``c`` and the image). The easiest
    way for G to make ``c`` recoverable is to draw a different kind of image
    for each code: on MNIST often a different digit, sometimes a different
    style of one (see :func:`~helpers.models.gan.monitor.code_purity`).
    Trackers: ``d_loss``, ``g_loss``, ``d_code_loss``, ``g_code_loss``, ``d_real``, ``d_fake``.
    """

    def __init__(self, latent_dim: int = 64, width: int = 64, num_codes: int = 10, info_weight: float = 1.0,
                 **kwargs):
        super().__init__(latent_dim=latent_dim, width=width, **kwargs)
        self.num_codes, self.info_weight = int(num_codes), float(info_weight)
        self.input_labels = ("codes", self.num_codes)  # G(z, c): c one-hot
        self._set_networks(build_generator(self.latent_dim, self.width, self.num_codes, self.batch_norm),
                           build_discriminator(self.d_width, None, self.dropout, self.spectral_norm,
                                               code_head=self.num_codes),
                           trackers=("d_loss", "g_loss", "d_code_loss", "g_code_loss", "d_real", "d_fake"))

    def get_config(self):
        return {**super().get_config(), "num_codes": self.num_codes, "info_weight": self.info_weight}

    def train_step(self, data):
        import tensorflow as tf

        x_real = images_of(data)  # labels, if any, are never used
        n = ops.shape(x_real)[0]

        # 1) D and Q: tell real from fake, and recover the code c of each fake.
        c = self.sample_codes(n)
        x_fake = self.fakes(n, c)
        with tf.GradientTape() as tape:
            real_logits, _ = self.discriminator(x_real, training=True)
            fake_logits, fake_code_logits = self.discriminator(x_fake, training=True)
            d_loss = self.d_loss_fn(real_logits, fake_logits, self.label_smoothing)
            d_code_loss = self.info_weight * classification_loss(c, fake_code_logits)
            d_total = d_loss + d_code_loss
        self.apply(self.d_optimizer, tape, d_total, self.discriminator)

        # 2) G: fool D and draw each code so that Q recognises it.
        c = self.sample_codes(n)
        with tf.GradientTape() as tape:
            x_fake = self.fakes(n, c)
            g_logits, g_code_logits = self.discriminator(x_fake, training=True)
            g_code_loss = self.info_weight * classification_loss(c, g_code_logits)  # Q must recognise c ...
            g_loss = self.g_loss_fn(g_logits)                                       # ... and D be fooled
            g_total = g_loss + g_code_loss
        self.apply(self.g_optimizer, tape, g_total, self.generator)

        self.update_ema()
        return self.track(real_logits, fake_logits, d_loss=d_loss, g_loss=g_loss, d_code_loss=d_code_loss,
                          g_code_loss=g_code_loss)

    def sample_codes(self, n):
        """Codes ``c`` uniform over ``num_codes``, fresh for every batch."""
        return keras.random.randint((n,), 0, self.num_codes, dtype="int32", seed=self.seed_generator)

    def generate(self, n: int = None, seed: int = 0, z=None, labels=None, use_ema: bool = True,
                 batch_size: int = INFERENCE_BATCH_SIZE) -> np.ndarray:
        """``n`` images; ``labels`` are codes (n,) to draw from (default: random codes, like training)."""
        if labels is None:
            labels = np.random.default_rng([seed, 1]).integers(0, self.num_codes, n if z is None else len(z))
        return super().generate(n, seed=seed, z=z, labels=np.asarray(labels), use_ema=use_ema,
                                batch_size=batch_size)
