"""The DCGAN of chapter 05 §4: its ``train_step`` is the two-player objective, line by line."""

from __future__ import annotations

import keras
from keras import ops

from .augment import MAX_SHIFT, random_translate
from .base import TwoPlayerGAN, images_of
from .losses import top_k_logits
from .networks import build_discriminator, build_generator
from .penalties import r1_penalty


@keras.saving.register_keras_serializable(package="course")
class DCGAN(TwoPlayerGAN):
    """Deep convolutional GAN trained with alternating D and G steps (chapter 05 §4).

    ``fit`` on images in [-1, 1] (or ``(images, labels)``: labels are ignored).
    Trackers: ``d_loss``, ``g_loss``, ``d_real`` = mean D(x) and ``d_fake`` =
    mean D(G(z)) (before D's update), and ``r1`` with an R1 penalty.

    Options of chapter 05 §5's ablation, all off by default: ``top_k < 1`` lets G
    learn only from the share of fakes D finds most realistic (Sinha et al.,
    2020); ``minibatch_std`` gives D a batch-diversity channel (Karras et al.,
    2018); ``translate`` shows D every real and fake image moved by up to
    ``MAX_SHIFT`` pixels (DiffAugment, Zhao et al., 2020); ``r1_gamma > 0``
    adds the R1 penalty ``γ/2·E‖∇D(x_real)‖²`` every ``r1_every`` D steps,
    scaled by ``r1_every`` (lazy regularisation, Karras et al., 2020).
    """

    def __init__(self, latent_dim: int = 64, width: int = 64, top_k: float = 1.0, minibatch_std: bool = False,
                 translate: bool = False, r1_gamma: float = 0.0, r1_every: int = 16, **kwargs):
        super().__init__(latent_dim=latent_dim, width=width, **kwargs)
        if not 0.0 < float(top_k) <= 1.0:
            raise ValueError(f"top_k is the share of each batch of fakes G learns from: 0 < top_k <= 1, not {top_k}")
        if float(r1_gamma) < 0 or int(r1_every) < 1:
            raise ValueError(f"r1_gamma must be >= 0 and r1_every >= 1, not {r1_gamma} and {r1_every}")
        self.top_k, self.minibatch_std, self.translate = float(top_k), bool(minibatch_std), bool(translate)
        self.r1_gamma, self.r1_every = float(r1_gamma), int(r1_every)
        self._set_networks(build_generator(self.latent_dim, self.width, None, self.batch_norm),
                           build_discriminator(self.d_width, None, self.dropout, self.spectral_norm,
                                               minibatch_std=self.minibatch_std),
                           trackers=("d_loss", "g_loss", "d_real", "d_fake") + (("r1",) if self.r1_gamma else ()))

    def get_config(self):
        return {**super().get_config(), "top_k": self.top_k, "minibatch_std": self.minibatch_std,
                "translate": self.translate, "r1_gamma": self.r1_gamma, "r1_every": self.r1_every}

    def augment(self, x):
        """What D is shown of ``x``: ``x`` itself, or ``x`` randomly translated (``translate=True``)."""
        return random_translate(x, self.seed_generator, MAX_SHIFT) if self.translate else x

    def lazy_r1(self, x_real):
        """``r1_every · γ/2·E‖∇D(x_real)‖²`` on every ``r1_every``-th D step, else 0."""
        if not self.r1_gamma:
            return ops.zeros(())
        due = ops.equal(self.d_optimizer.iterations % self.r1_every, 0)
        return ops.cond(due, lambda: self.r1_every * r1_penalty(self.discriminator, x_real, self.r1_gamma),
                        lambda: ops.zeros(()))

    def train_step(self, data):
        import tensorflow as tf  # the course runs on TensorFlow (GradientTape)

        x_real = images_of(data)
        n = ops.shape(x_real)[0]

        # 1) Discriminator: minimise -log D(x) - log(1 - D(G(z))) (+ R1 on the reals, when on).
        x_fake = self.fakes(n)
        with tf.GradientTape() as tape:
            x_shown = self.augment(x_real)
            real_logits = self.discriminator(x_shown, training=True)
            fake_logits = self.discriminator(self.augment(x_fake), training=True)
            d_loss = self.d_loss_fn(real_logits, fake_logits, self.label_smoothing)
            r1 = self.lazy_r1(x_shown)
            d_total = d_loss + r1
        self.apply(self.d_optimizer, tape, d_total, self.discriminator)

        # 2) Generator: minimise -log D(G(z)) (non-saturating); only G's weights move.
        with tf.GradientTape() as tape:
            g_logits = self.discriminator(self.augment(self.fakes(n)), training=True)
            if self.top_k < 1.0:  # learn only from the fakes D already finds most realistic
                g_logits = top_k_logits(g_logits, self.top_k)
            g_loss = self.g_loss_fn(g_logits)
        self.apply(self.g_optimizer, tape, g_loss, self.generator)

        # 3) Moving average of G's weights, used for sampling.
        self.update_ema()
        extra = {"r1": r1} if self.r1_gamma else {}
        return self.track(real_logits, fake_logits, d_loss=d_loss, g_loss=g_loss, **extra)
