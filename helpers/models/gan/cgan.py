"""The conditional GAN of chapter 05 §6: ``G(z, y)`` draws the requested digit."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from ...memory import INFERENCE_BATCH_SIZE
from .base import TwoPlayerGAN
from .losses import classification_loss
from .networks import build_discriminator, build_generator


@keras.saving.register_keras_serializable(package="course")
class ConditionalGAN(TwoPlayerGAN):
    """GAN that draws a requested class: ``G(z, y)``, projection ``D(x, y)`` + auxiliary classifier (chapter 05 §6).

    Train on ``(images, labels)``. Besides the adversarial terms, D learns to
    classify real images (``CE(classify(x), y)``) and G to make its fakes
    classified as the requested label (``CE(classify(G(z, y)), y)``), both
    scaled by ``aux_weight``. Trackers: ``d_loss``, ``g_loss`` (adversarial
    parts), ``d_class_loss``, ``g_class_loss``, ``d_real``, ``d_fake``.
    """

    conditional = True

    def __init__(self, latent_dim: int = 64, width: int = 64, num_classes: int = 10, aux_weight: float = 1.0,
                 **kwargs):
        super().__init__(latent_dim=latent_dim, width=width, **kwargs)
        self.num_classes, self.aux_weight = int(num_classes), float(aux_weight)
        self.input_labels = ("labels (class indices)", self.num_classes)  # G(z, y): y one-hot
        self._set_networks(build_generator(self.latent_dim, self.width, self.num_classes, self.batch_norm),
                           build_discriminator(self.d_width, self.num_classes, self.dropout, self.spectral_norm),
                           trackers=("d_loss", "g_loss", "d_class_loss", "g_class_loss", "d_real", "d_fake"))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "aux_weight": self.aux_weight}

    def train_step(self, data):
        import tensorflow as tf

        x_real, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if y is None:
            raise ValueError("ConditionalGAN.fit needs (images, labels) batches.")
        x_real, y = ops.convert_to_tensor(x_real, "float32"), ops.cast(y, "int32")
        n = ops.shape(x_real)[0]

        # 1) Discriminator: real/fake for the pair (x, y), and classify the real images.
        x_fake = self.fakes(n, y)
        with tf.GradientTape() as tape:
            real_logits, real_class_logits = self.discriminator([x_real, y], training=True)
            fake_logits, _ = self.discriminator([x_fake, y], training=True)
            d_loss = self.d_loss_fn(real_logits, fake_logits, self.label_smoothing)
            d_class_loss = self.aux_weight * classification_loss(y, real_class_logits)
            d_total = d_loss + d_class_loss
        self.apply(self.d_optimizer, tape, d_total, self.discriminator)

        # 2) Generator: fool D and make the fakes be classified as the requested digit.
        with tf.GradientTape() as tape:
            x_fake = self.fakes(n, y)
            g_logits, g_class_logits = self.discriminator([x_fake, y], training=True)
            g_loss = self.g_loss_fn(g_logits)
            g_class_loss = self.aux_weight * classification_loss(y, g_class_logits)
            g_total = g_loss + g_class_loss
        self.apply(self.g_optimizer, tape, g_total, self.generator)

        self.update_ema()
        return self.track(real_logits, fake_logits, d_loss=d_loss, g_loss=g_loss, d_class_loss=d_class_loss,
                          g_class_loss=g_class_loss)

    def generate(self, n: int = None, seed: int = 0, z=None, labels=None, use_ema: bool = True,
                 batch_size: int = INFERENCE_BATCH_SIZE) -> np.ndarray:
        """Images of the requested ``labels`` (default: classes 0..9 in turn).

        ``labels``: class indices (n,), or rows of class weights (n, num_classes)
        to blend classes (see :func:`~helpers.models.gan.latent.class_mixtures`).
        """
        if labels is None:
            labels = np.arange(n if z is None else len(z)) % self.num_classes
        labels = np.asarray(labels)
        if n is None and z is None:
            n = len(labels)
        return super().generate(n, seed=seed, z=z, labels=labels, use_ema=use_ema, batch_size=batch_size)
