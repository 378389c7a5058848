"""Reference models: the two GAN tutorials learners usually find first, re-implemented.

The benchmark (``python -m helpers bench``) trains these next to the course's
own models under the same wall-clock budget, so its table reads as *quality
at equal CPU time*. They are re-implemented from the published architectures
and hyperparameters, not copied; only the framework idiom changes (Keras 3
``keras.Model`` subclasses with a custom ``train_step``, trained by ``fit``).

* :class:`TFDocsDCGAN` -- TensorFlow docs, "Deep Convolutional Generative
  Adversarial Network", https://www.tensorflow.org/tutorials/generative/dcgan
  (source: github.com/tensorflow/docs, ``site/en/tutorials/generative/dcgan.ipynb``).
  Latent 100; generator Dense(7*7*256, no bias)-BN-LeakyReLU, Conv2DTranspose
  128 (5x5, stride 1), 64 (5x5, stride 2), 1 (5x5, stride 2, tanh), batch norm
  and LeakyReLU between them, no biases; discriminator Conv2D 64 and 128 (5x5,
  stride 2) each with LeakyReLU and Dropout(0.3), Flatten, Dense(1) logit.
  Images in [-1, 1]; batch 256; Adam(1e-4) for both networks; binary
  cross-entropy on logits (real = 1, fake = 0); one noise batch per step feeds
  both networks' updates (two gradient tapes); 50 epochs.
* :class:`KerasIOConditionalGAN` -- keras.io, "Conditional GAN" by Sayak Paul
  (2021), https://keras.io/examples/generative/conditional_gan/ (source:
  github.com/keras-team/keras-io, ``examples/generative/conditional_gan.py``).
  Latent 128; the one-hot label is concatenated to the noise (138 inputs) and,
  repeated into 10 extra image channels with the example's own layout (see
  :meth:`KerasIOConditionalGAN.label_channels`), to the image fed to the
  discriminator (11 channels). Generator Dense(7*7*138)-LeakyReLU(0.2),
  reshape to 7x7x138, Conv2DTranspose 128 (4x4, stride 2)-LeakyReLU(0.2) twice,
  Conv2D 1 (7x7, sigmoid); discriminator Conv2D 64, 128 (3x3, stride 2) with
  LeakyReLU(0.2), GlobalMaxPooling2D, Dense(1) logit. Images in [0, 1];
  batch 64; Adam(3e-4) for both; binary cross-entropy on logits with the
  example's label convention (discriminator: fake = 1, real = 0; generator
  wants its fakes labelled 0); the discriminator step and the generator step
  draw separate noise; 20 epochs.

Deliberate, minor differences from the originals (none touches architecture,
optimiser, batch size or loss): both train on the images the caller passes
(the benchmark passes the 60,000 MNIST training images; the keras.io example
used train + test, 70,000); the keras.io data are reshuffled fully every epoch
(the example used a 1,024-image shuffle buffer); the TF-docs noise batch has
the size of the real batch (the tutorial always drew 256, also for the last,
partial batch); random numbers come from Keras seed generators so that a seed
makes a run reproducible.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from .. import training
from ..datasets import to_uint8
from ..runtime import by_mode


# --------------------------------------------------------------------------- TF docs DCGAN
def tfdocs_generator(latent_dim: int = 100) -> keras.Sequential:
    """The TF-docs DCGAN generator: z (latent_dim,) -> image (28, 28, 1) in [-1, 1] (tanh).

    Trained by the benchmark, not by a chapter (benchmark).
    """
    return keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(7 * 7 * 256, use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),  # default slope 0.3, as in tf.keras 2
        layers.Reshape((7, 7, 256)),
        layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh"),
    ], name="generator")


def tfdocs_discriminator() -> keras.Sequential:
    """The TF-docs DCGAN discriminator: image (28, 28, 1) in [-1, 1] -> one logit (real > 0).

    Trained by the benchmark, not by a chapter (benchmark).
    """
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(64, 5, strides=2, padding="same"),
        layers.LeakyReLU(),
        layers.Dropout(0.3),
        layers.Conv2D(128, 5, strides=2, padding="same"),
        layers.LeakyReLU(),
        layers.Dropout(0.3),
        layers.Flatten(),
        layers.Dense(1),
    ], name="discriminator")


class _TwoOptimizerGAN(keras.Model):
    """Shared plumbing: two Adam optimisers, loss trackers, saving without optimizer state."""

    default_learning_rate = 1e-4

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")

    @property
    def metrics(self):
        return [self.g_loss_tracker, self.d_loss_tracker]

    def compile(self, g_learning_rate: float | None = None, d_learning_rate: float | None = None, **kwargs):
        """Adam for each network, at the tutorial's learning rate unless told otherwise."""
        super().compile(**kwargs)
        self.g_learning_rate = g_learning_rate or self.default_learning_rate
        self.d_learning_rate = d_learning_rate or self.default_learning_rate
        self.g_optimizer = keras.optimizers.Adam(self.g_learning_rate)
        self.d_optimizer = keras.optimizers.Adam(self.d_learning_rate)
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)

    def get_compile_config(self):
        if not self.compiled:
            return {}
        return {"g_learning_rate": self.g_learning_rate, "d_learning_rate": self.d_learning_rate}

    def compile_from_config(self, config):
        self.compile(**config)

    def _apply(self, optimizer, tape, loss, variables):
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))


@keras.saving.register_keras_serializable(package="course")
class TFDocsDCGAN(_TwoOptimizerGAN):
    """The TensorFlow-docs DCGAN as a Keras 3 model (see the module docstring for the source).

    One training step, as in the tutorial: draw z ~ N(0, I), compute
    ``D(x)`` and ``D(G(z))`` once, and update both networks from that one pass:
    ``L_D = BCE(1, D(x)) + BCE(0, D(G(z)))`` and ``L_G = BCE(1, D(G(z)))``.
    Trained by the benchmark, not by a chapter (benchmark).
    """

    default_learning_rate = 1e-4

    def __init__(self, latent_dim: int = 100, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.seed = seed
        self.generator = tfdocs_generator(latent_dim)
        self.discriminator = tfdocs_discriminator()
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True  # both networks are built from their Input shapes

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def train_step(self, data):
        import tensorflow as tf

        x_real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        batch_size = ops.shape(x_real)[0]
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            x_fake = self.generator(z, training=True)
            real_logits = self.discriminator(x_real, training=True)
            fake_logits = self.discriminator(x_fake, training=True)
            g_loss = self.bce(ops.ones_like(fake_logits), fake_logits)
            d_loss = (self.bce(ops.ones_like(real_logits), real_logits)
                      + self.bce(ops.zeros_like(fake_logits), fake_logits))
        self._apply(self.g_optimizer, g_tape, g_loss, self.generator.trainable_variables)
        self._apply(self.d_optimizer, d_tape, d_loss, self.discriminator.trainable_variables)
        self.g_loss_tracker.update_state(g_loss)
        self.d_loss_tracker.update_state(d_loss)
        return {m.name: m.result() for m in self.metrics}

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim, "seed": self.seed}


# --------------------------------------------------------------------------- keras.io conditional GAN
def kerasio_generator(latent_dim: int = 128, num_classes: int = 10) -> keras.Sequential:
    """The keras.io cGAN generator: [z, one-hot] (latent_dim + num_classes,) -> image in [0, 1].

    Trained by the benchmark, not by a chapter (benchmark).
    """
    channels = latent_dim + num_classes
    return keras.Sequential([
        keras.Input((channels,)),
        layers.Dense(7 * 7 * channels),
        layers.LeakyReLU(0.2),
        layers.Reshape((7, 7, channels)),
        layers.Conv2DTranspose(128, 4, strides=2, padding="same"),
        layers.LeakyReLU(0.2),
        layers.Conv2DTranspose(128, 4, strides=2, padding="same"),
        layers.LeakyReLU(0.2),
        layers.Conv2D(1, 7, padding="same", activation="sigmoid"),
    ], name="generator")


def kerasio_discriminator(num_classes: int = 10) -> keras.Sequential:
    """The keras.io cGAN discriminator: image + 10 label channels (28, 28, 11) -> one logit.

    Trained by the benchmark, not by a chapter (benchmark).
    """
    return keras.Sequential([
        keras.Input((28, 28, 1 + num_classes)),
        layers.Conv2D(64, 3, strides=2, padding="same"),
        layers.LeakyReLU(0.2),
        layers.Conv2D(128, 3, strides=2, padding="same"),
        layers.LeakyReLU(0.2),
        layers.GlobalMaxPooling2D(),
        layers.Dense(1),
    ], name="discriminator")


@keras.saving.register_keras_serializable(package="course")
class KerasIOConditionalGAN(_TwoOptimizerGAN):
    """The keras.io conditional GAN as a Keras 3 model (see the module docstring for the source).

    One training step, as in the example, with its labels (fake = 1, real = 0):
    first the discriminator on ``[G(z, c), c]`` and ``[x, c]`` with
    ``L_D = BCE(1, D(G(z,c), c)) + BCE(0, D(x, c))`` averaged over both halves,
    then, with fresh noise, the generator with ``L_G = BCE(0, D(G(z', c), c))``.
    ``data`` is ``(x in [0, 1], one-hot labels)``.
    Trained by the benchmark, not by a chapter (benchmark).
    """

    default_learning_rate = 3e-4

    def __init__(self, latent_dim: int = 128, num_classes: int = 10, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.num_classes = num_classes
        self.seed = seed
        self.generator = kerasio_generator(latent_dim, num_classes)
        self.discriminator = kerasio_discriminator(num_classes)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True  # both networks are built from their Input shapes

    def call(self, inputs, training=False):
        """``inputs = (z, one_hot)`` -> images in [0, 1]."""
        z, one_hot = inputs
        return self.generator(ops.concatenate([z, ops.cast(one_hot, z.dtype)], axis=1), training=training)

    def label_channels(self, one_hot, size: int = 28):
        """One-hot (B, C) -> (B, size, size, C), laid out exactly as the keras.io example does.

        The example repeats each one-hot entry ``size * size`` times
        (``tf.repeat`` without an axis flattens) and reshapes to
        ``(size, size, C)``. So the label is *not* one constant channel per
        class: class ``c`` fills ``size * size`` consecutive values, a band
        about ``size / C`` rows high across all channels whose position
        encodes the class. We keep this quirk, since it is what learners
        running the example train (a per-channel broadcast would condition
        the discriminator more easily).
        """
        repeated = ops.repeat(one_hot, size * size, axis=1)  # (B, C * size * size), entry-major
        return ops.reshape(repeated, (-1, size, size, self.num_classes))

    def train_step(self, data):
        import tensorflow as tf

        x_real, one_hot, _ = keras.utils.unpack_x_y_sample_weight(data)
        one_hot = ops.cast(one_hot, x_real.dtype)
        batch_size = ops.shape(x_real)[0]
        label_maps = self.label_channels(one_hot)

        # Discriminator: fakes labelled 1, reals labelled 0 (the example's convention).
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        x_fake = self.generator(ops.concatenate([z, one_hot], axis=1))
        combined = ops.concatenate([ops.concatenate([x_fake, label_maps], -1),
                                    ops.concatenate([x_real, label_maps], -1)], axis=0)
        targets = ops.concatenate([ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], axis=0)
        with tf.GradientTape() as tape:
            d_loss = self.bce(targets, self.discriminator(combined))
        self._apply(self.d_optimizer, tape, d_loss, self.discriminator.trainable_variables)

        # Generator: fresh noise, wants D to call its fakes "real" (label 0).
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            x_fake = self.generator(ops.concatenate([z, one_hot], axis=1))
            logits = self.discriminator(ops.concatenate([x_fake, label_maps], -1))
            g_loss = self.bce(ops.zeros((batch_size, 1)), logits)
        self._apply(self.g_optimizer, tape, g_loss, self.generator.trainable_variables)

        self.g_loss_tracker.update_state(g_loss)
        self.d_loss_tracker.update_state(d_loss)
        return {m.name: m.result() for m in self.metrics}

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "num_classes": self.num_classes, "seed": self.seed}


# --------------------------------------------------------------------------- recipes
def build_tfdocs_dcgan(seed: int = 0):
    """The TF-docs DCGAN, compiled with the tutorial's optimisers (registry ``ref_tfdocs_dcgan``).

    Trained by the benchmark, not by a chapter (benchmark).
    """
    model = TFDocsDCGAN(latent_dim=100, seed=seed)
    model.compile()
    return model


def fit_tfdocs_dcgan(model, x_train, y_train=None, seconds=None, seed=0, backup_dir=None, epochs=None):
    """Train on uint8 images: ``seconds`` of wall clock, else 50 epochs (1 in smoke mode); batch 256.

    Trained by the benchmark, not by a chapter (benchmark).
    """
    x = (np.asarray(x_train, np.float32).reshape(-1, 28, 28, 1) - 127.5) / 127.5
    if epochs is None and seconds is None:
        epochs = by_mode(full=50, smoke=1)
    return training.fit(model, x, name="ref_tfdocs_dcgan", batch_size=256, epochs=epochs, seconds=seconds,
                        shuffle=True, backup_dir=backup_dir)


def build_kerasio_cgan(seed: int = 0):
    """The keras.io conditional GAN, compiled with the example's optimisers (registry ``ref_kerasio_cgan``).

    Trained by the benchmark, not by a chapter (benchmark).
    """
    model = KerasIOConditionalGAN(latent_dim=128, num_classes=10, seed=seed)
    model.compile()
    return model


def fit_kerasio_cgan(model, x_train, y_train, seconds=None, seed=0, backup_dir=None, epochs=None):
    """Train on uint8 images and labels: ``seconds`` of wall clock, else 20 epochs (1 in smoke mode); batch 64.

    Trained by the benchmark, not by a chapter (benchmark).
    """
    x = np.asarray(x_train, np.float32).reshape(-1, 28, 28, 1) / 255.0
    one_hot = keras.utils.to_categorical(np.asarray(y_train), 10).astype(np.float32)
    if epochs is None and seconds is None:
        epochs = by_mode(full=20, smoke=1)
    return training.fit(model, x, one_hot, name="ref_kerasio_cgan", batch_size=64, epochs=epochs,
                        seconds=seconds, shuffle=True, backup_dir=backup_dir)


def _noise(n, latent_dim, seed):
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)


def generate_tfdocs_dcgan(model, n, seed=0, labels=None):
    """``n`` uint8 samples (n, 28, 28) and ``None``; the model is unconditional (benchmark)."""
    if labels is not None:
        raise ValueError("ref_tfdocs_dcgan is unconditional: it cannot generate requested labels "
                         "(use ref_kerasio_cgan, or leave labels=None)")
    images = model.generator.predict(_noise(n, model.latent_dim, seed), batch_size=500, verbose=0)
    return to_uint8(images, (-1.0, 1.0)), None


def generate_kerasio_cgan(model, n, seed=0, labels=None):
    """``n`` uint8 samples and their labels (balanced 0..9 repeating unless ``labels`` is given).

    Trained by the benchmark, not by a chapter (benchmark).
    """
    labels = np.arange(n) % model.num_classes if labels is None else np.asarray(labels)
    if labels.shape != (n,):
        raise ValueError(f"labels must have shape ({n},), got {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= model.num_classes):
        raise ValueError(f"labels must be integers in 0..{model.num_classes - 1}")
    one_hot = keras.utils.to_categorical(labels, model.num_classes).astype(np.float32)
    z_and_label = np.concatenate([_noise(n, model.latent_dim, seed), one_hot], axis=1)
    images = model.generator.predict(z_and_label, batch_size=500, verbose=0)
    return to_uint8(images, (0.0, 1.0)), labels.astype(np.int64)
