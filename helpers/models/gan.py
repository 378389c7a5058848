"""Generative adversarial networks for chapter 05: a DCGAN and a conditional GAN.

A generator ``G`` maps noise ``z ~ N(0, I)`` (and, for the conditional GAN, a
class label ``y``) to an image; a discriminator ``D`` outputs a *logit* ``l``
whose sigmoid ``D(x) = σ(l)`` is the probability that ``x`` is real. Both are
trained in turns by :meth:`DCGAN.train_step`, which reads like the chapter's
equations:

* discriminator: minimise ``-E[log D(x)] - E[log(1 - D(G(z)))]``
  (:func:`discriminator_loss`; binary cross-entropy, real = 1, fake = 0);
* generator: minimise the *non-saturating* ``-E[log D(G(z))]``
  (:func:`generator_loss`) rather than the minimax ``E[log(1 - D(G(z)))]``
  (:func:`minimax_generator_loss`), whose gradient vanishes exactly when the
  generator is bad and the discriminator is sure.

Images are in **[-1, 1]** (tanh output); :func:`to_gan_range` and
:func:`from_gan_range` convert from/to the course's uint8 images.

The models are sized for a 2-core CPU: a few hundred thousand weights,
4×4 stride-2 (transposed) convolutions, batch 128, Adam at 2e-4..5e-4 with
β₁ = 0.5, and an exponential moving average (EMA) of the generator's weights
that is used for sampling (averaging out the oscillation of adversarial
training gives visibly cleaner digits after a few CPU-minutes). The
conditional discriminator uses a *projection* (Miyato & Koyama, 2018): its
logit is ``ψ(h) + ⟨embed(y), h⟩`` for image features ``h``, plus an
auxiliary classification head (AC-GAN, Odena et al., 2017) so that the
generator is pushed to draw the requested digit from the first minutes on.
"""

from __future__ import annotations

import time

import keras
import numpy as np
from keras import layers, ops

from ..datasets import to_float, to_uint8
from ..training import TimeBudget

GAN_RANGE = (-1.0, 1.0)


def to_gan_range(x_uint8) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 28, 28, 1) in [-1, 1] (the GANs' tanh range)."""
    return to_float(x_uint8, GAN_RANGE)


def from_gan_range(x) -> np.ndarray:
    """Generator output in [-1, 1] -> uint8 (N, 28, 28)."""
    return to_uint8(np.asarray(x), GAN_RANGE)


# ---------------------------------------------------------------- losses
# Pure functions of the discriminator's logits, so tests can check them by hand.
# log σ(l) = -softplus(-l) and log(1 - σ(l)) = -softplus(l), computed stably.

def discriminator_loss(real_logits, fake_logits, label_smoothing: float = 0.0):
    """``-E[t·log D(x) + (1-t)·log(1-D(x))] - E[log(1 - D(G(z)))]`` with real target ``t``.

    ``t = 1 - label_smoothing`` (one-sided label smoothing: only the real
    target is softened, so D is never asked to be certain about real images).
    """
    t = 1.0 - label_smoothing
    real = t * ops.softplus(-real_logits) + (1.0 - t) * ops.softplus(real_logits)
    fake = ops.softplus(fake_logits)
    return ops.mean(real) + ops.mean(fake)


def generator_loss(fake_logits):
    """Non-saturating generator loss ``-E[log D(G(z))]``."""
    return ops.mean(ops.softplus(-fake_logits))


def minimax_generator_loss(fake_logits):
    """The original minimax generator objective ``E[log(1 - D(G(z)))]`` (to minimise).

    Its gradient with respect to the logit is ``-σ(l)``: near zero when D
    confidently rejects the fakes (σ(l) ≈ 0), i.e. early in training.
    """
    return -ops.mean(ops.softplus(fake_logits))


def hinge_discriminator_loss(real_logits, fake_logits, label_smoothing: float = 0.0):
    """Hinge loss ``E[max(0, 1 - l_real)] + E[max(0, 1 + l_fake)]`` (``label_smoothing`` ignored)."""
    del label_smoothing
    return ops.mean(ops.relu(1.0 - real_logits)) + ops.mean(ops.relu(1.0 + fake_logits))


def hinge_generator_loss(fake_logits):
    """Hinge generator loss ``-E[l_fake]``."""
    return -ops.mean(fake_logits)


LOSSES = {
    "non_saturating": (discriminator_loss, generator_loss),
    "minimax": (discriminator_loss, minimax_generator_loss),
    "hinge": (hinge_discriminator_loss, hinge_generator_loss),
}


def top_k_logits(logits, fraction: float):
    """The ``round(fraction × n)`` highest of ``n`` logits (at least one), for top-k generator updates."""
    flat = ops.reshape(logits, (-1,))
    n = ops.cast(ops.shape(flat)[0], "float32")
    k = ops.maximum(1, ops.cast(ops.round(fraction * n), "int32"))
    return ops.top_k(flat, k)[0]


# ---------------------------------------------------------------- networks
def build_generator(latent_dim: int = 64, width: int = 64, num_classes: int | None = None,
                    batch_norm: bool = True, name: str = "generator") -> keras.Model:
    """z (and label) -> Dense 7×7×2w -> ConvT w (14×14) -> ConvT 1 (28×28), tanh.

    With ``num_classes`` the label arrives one-hot (or as a mixture of classes,
    for class interpolation), is embedded by a bias-free dense layer and
    concatenated to the noise.
    Batch normalisation after each hidden layer keeps the generator's
    activations well scaled (the DCGAN recipe); ``batch_norm=False`` drops it.
    """
    def norm(t):
        return layers.BatchNormalization()(t) if batch_norm else t

    z = keras.Input((latent_dim,), name="z")
    inputs = [z]
    h = z
    if num_classes:
        y = keras.Input((num_classes,), name="label_onehot")
        inputs.append(y)
        h = layers.Concatenate()([z, layers.Dense(16, use_bias=False, name="label_embedding")(y)])
    h = layers.Dense(7 * 7 * 2 * width, use_bias=not batch_norm)(h)
    h = norm(h)
    h = layers.ReLU()(h)
    h = layers.Reshape((7, 7, 2 * width))(h)
    h = layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=not batch_norm)(h)
    h = norm(h)
    h = layers.ReLU()(h)
    x = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh", name="image")(h)
    return keras.Model(inputs if num_classes else z, x, name=name)


def build_discriminator(width: int = 64, num_classes: int | None = None, dropout: float = 0.0,
                        spectral_norm: bool = False, name: str = "discriminator",
                        code_head: int | None = None) -> keras.Model:
    """x (and label) -> Conv w (14×14) -> Conv 2w (7×7) -> flattened features h -> logit.

    Unconditional: ``logit = dense(h)``. Conditional: a projection discriminator
    ``logit = dense(h) + ⟨embed(y), h⟩`` and a second output, class logits
    ``classify(h)`` (the auxiliary classifier). No batch normalisation: D sees
    real and fake batches separately, and batch statistics would let it tell
    them apart by the batch rather than by the image. ``spectral_norm=True``
    divides each convolution's kernel by its largest singular value, which
    bounds how sharply D can react to its input (a smoother teacher for G).
    ``code_head=k`` (InfoGAN): unconditional, plus a second output of ``k``
    logits that guess which of ``k`` codes a fake was drawn from.
    """
    def conv(filters):
        layer = layers.Conv2D(filters, 4, strides=2, padding="same")
        return layers.SpectralNormalization(layer) if spectral_norm else layer

    x = keras.Input((28, 28, 1), name="image")
    h = conv(width)(x)
    h = layers.LeakyReLU(0.2)(h)
    h = conv(2 * width)(h)
    h = layers.LeakyReLU(0.2)(h)
    h = layers.Flatten(name="features")(h)
    if dropout:
        h = layers.Dropout(dropout)(h)
    logit = layers.Dense(1, name="logit")(h)
    if code_head:
        return keras.Model(x, [logit, layers.Dense(code_head, name="code_logits")(h)], name=name)
    if not num_classes:
        return keras.Model(x, logit, name=name)
    y = keras.Input((), dtype="int32", name="label")
    embedded = layers.Embedding(num_classes, 7 * 7 * 2 * width, name="projection")(y)
    projection = layers.Dot(axes=-1)([embedded, h])
    class_logits = layers.Dense(num_classes, name="class_logits")(h)
    return keras.Model([x, y], [layers.Add(name="cond_logit")([logit, projection]), class_logits], name=name)


def _with_one_hot(z, labels, depth: int):
    """G's inputs ``[z, one_hot(labels)]``; labels are indices (N,) or rows of class weights (N, depth)."""
    z = ops.convert_to_tensor(z, "float32")
    if len(labels.shape) == 1:
        return [z, ops.one_hot(ops.cast(labels, "int32"), depth)]
    return [z, ops.cast(labels, "float32")]


# ---------------------------------------------------------------- models
@keras.saving.register_keras_serializable(package="course")
class DCGAN(keras.Model):
    """Deep convolutional GAN trained with alternating D and G steps.

    ``compile(d_optimizer, g_optimizer, loss="non_saturating", label_smoothing=0.0)``
    then ``fit`` on images in [-1, 1] (or ``(images, labels)``: labels are
    ignored). Metrics: ``d_loss``, ``g_loss``, ``d_real`` = mean D(x) and
    ``d_fake`` = mean D(G(z)) (before the discriminator's update).
    ``ema`` > 0 keeps an exponential moving average of the generator's
    weights in ``generator_ema``, which :meth:`generate` uses.
    """

    conditional = False

    def __init__(self, latent_dim: int = 64, width: int = 64, d_width: int | None = None,
                 ema: float = 0.995, dropout: float = 0.0, batch_norm: bool = True,
                 spectral_norm: bool = False, num_classes: int | None = None, top_k: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 < float(top_k) <= 1.0:
            raise ValueError(f"top_k is the share of each batch of fakes G learns from: 0 < top_k <= 1, not {top_k}")
        self.top_k = float(top_k)
        self.latent_dim, self.width, self.ema, self.dropout = int(latent_dim), int(width), float(ema), dropout
        self.d_width = int(d_width or width)
        self.batch_norm, self.spectral_norm = bool(batch_norm), bool(spectral_norm)
        self.num_classes = num_classes if self.conditional else None
        g_labels = self._generator_label_count()
        self.generator = build_generator(self.latent_dim, self.width, g_labels, self.batch_norm)
        self.generator_ema = build_generator(self.latent_dim, self.width, g_labels, self.batch_norm,
                                             name="generator_ema")
        self.generator_ema.set_weights(self.generator.get_weights())
        self.generator_ema.trainable = False
        self.discriminator = self._build_discriminator(dropout)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")
        self.d_loss_fn, self.g_loss_fn = LOSSES["non_saturating"]
        self.label_smoothing = 0.0
        self.loss_name = "non_saturating"
        self.built = True  # both networks are functional models, built above

    def _generator_label_count(self):
        """How many one-hot inputs G takes besides z: none here, classes (cGAN), codes (InfoGAN)."""
        return self.num_classes

    def _build_discriminator(self, dropout):
        return build_discriminator(self.d_width, self.num_classes, dropout, self.spectral_norm)

    # -- configuration ---------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update(latent_dim=self.latent_dim, width=self.width, d_width=self.d_width, ema=self.ema,
                      dropout=self.dropout, batch_norm=self.batch_norm, spectral_norm=self.spectral_norm,
                      num_classes=self.num_classes, top_k=self.top_k)
        return config

    def compile(self, d_optimizer=None, g_optimizer=None, loss: str = "non_saturating",
                label_smoothing: float = 0.0, learning_rate: float = 2e-4, **kwargs):
        """Two Adam(β₁=0.5) optimisers unless given; ``loss`` is a key of :data:`LOSSES`."""
        if loss not in LOSSES:
            raise ValueError(f"loss={loss!r} is not one of {sorted(LOSSES)}")
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(learning_rate, beta_1=0.5)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(learning_rate, beta_1=0.5)
        self.d_loss_fn, self.g_loss_fn = LOSSES[loss]
        self.loss_name, self.label_smoothing = loss, float(label_smoothing)
        # Build the optimisers now, so a saved model's optimiser state (moments, step count) reloads too.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def get_compile_config(self):
        # A reloaded model is compiled with the same loss, smoothing and learning rates.
        if not hasattr(self, "d_optimizer"):
            return None
        return {"loss": self.loss_name, "label_smoothing": self.label_smoothing,
                "d_lr": float(ops.convert_to_numpy(self.d_optimizer.learning_rate)),
                "g_lr": float(ops.convert_to_numpy(self.g_optimizer.learning_rate))}

    def compile_from_config(self, config):
        if config:
            self.compile(keras.optimizers.Adam(config["d_lr"], beta_1=0.5),
                         keras.optimizers.Adam(config["g_lr"], beta_1=0.5),
                         loss=config["loss"], label_smoothing=config["label_smoothing"])

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker]

    # -- the two players --------------------------------------------------
    def sample_noise(self, n, seed=None):
        return keras.random.normal((n, self.latent_dim), seed=seed)

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def discriminate(self, x, labels, training=True):
        """``(logits, class_logits)``; class logits are ``None`` for the unconditional GAN."""
        return self.discriminator(x, training=training), None

    def aux_loss(self, class_logits, labels):
        """Auxiliary classification loss (conditional GAN only)."""
        return 0.0

    def _g_labels(self, labels, batch_size):
        """What G is asked to draw: nothing (DCGAN), the batch's labels (cGAN), random codes (InfoGAN)."""
        return labels

    def d_aux_loss(self, real_class_logits, fake_class_logits, labels, g_labels):
        """Extra terms of D's loss: classify real images (cGAN) or recover fakes' codes (InfoGAN)."""
        return self.aux_loss(real_class_logits, labels)

    def g_aux_loss(self, g_class_logits, g_labels):
        """Extra terms of G's loss: make fakes classified as asked (cGAN) or recoverable (InfoGAN)."""
        return self.aux_loss(g_class_logits, g_labels)

    def _g_inputs(self, z, labels):
        return z

    def _unpack(self, data):
        x, labels = (data[0], data[1] if len(data) > 1 else None) if isinstance(data, (tuple, list)) else (data, None)
        return ops.convert_to_tensor(x, "float32"), labels

    def train_step(self, data):
        import tensorflow as tf

        x_real, labels = self._unpack(data)
        batch_size = ops.shape(x_real)[0]

        # 1) Discriminator: minimise -log D(x) - log(1 - D(G(z))).
        z = self.sample_noise(batch_size)
        g_labels = self._g_labels(labels, batch_size)
        x_fake = self.generator(self._g_inputs(z, g_labels), training=True)
        with tf.GradientTape() as tape:
            real_logits, real_class_logits = self.discriminate(x_real, labels)
            fake_logits, fake_class_logits = self.discriminate(x_fake, g_labels)
            d_loss = self.d_loss_fn(real_logits, fake_logits, self.label_smoothing)
            d_total = d_loss + self.d_aux_loss(real_class_logits, fake_class_logits, labels, g_labels)
        grads = tape.gradient(d_total, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights, strict=True))

        # 2) Generator: minimise -log D(G(z)) (non-saturating); only G's weights move.
        z = self.sample_noise(batch_size)
        g_labels = self._g_labels(labels, batch_size)
        with tf.GradientTape() as tape:
            x_fake = self.generator(self._g_inputs(z, g_labels), training=True)
            g_logits, g_class_logits = self.discriminate(x_fake, g_labels)
            if self.top_k < 1.0:
                # Top-k training (Sinha et al., 2020): G learns only from the fakes D already
                # finds most realistic; the worst ones would pull it towards the mean of all digits.
                g_logits = top_k_logits(g_logits, self.top_k)
            g_loss = self.g_loss_fn(g_logits)
            g_total = g_loss + self.g_aux_loss(g_class_logits, g_labels)
        grads = tape.gradient(g_total, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights, strict=True))

        # 3) Exponential moving average of the generator's weights (used for sampling),
        #    with a warm-up so the random initial weights are forgotten quickly.
        if self.ema > 0:
            step = ops.cast(self.g_optimizer.iterations, "float32")
            decay = ops.minimum(self.ema, (1.0 + step) / (10.0 + step))
            for w_ema, w in zip(self.generator_ema.weights, self.generator.weights, strict=True):
                w_ema.assign(decay * w_ema + (1.0 - decay) * w)

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.d_real_tracker.update_state(ops.mean(ops.sigmoid(real_logits)))
        self.d_fake_tracker.update_state(ops.mean(ops.sigmoid(fake_logits)))
        return {m.name: m.result() for m in self.metrics}

    # -- sampling ---------------------------------------------------------
    def generate(self, n: int = None, seed: int = 0, z=None, labels=None, use_ema: bool = True,
                 batch_size: int = 1000) -> np.ndarray:
        """``n`` images in [-1, 1], shape (n, 28, 28, 1), from fixed noise (``seed``) or given ``z``."""
        if z is None:
            z = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype("float32")
        z = np.asarray(z, dtype="float32")
        if labels is not None:
            labels = np.asarray(labels)
            labels = labels.astype("int32") if labels.ndim == 1 else labels.astype("float32")
        g = self.generator_ema if (use_ema and self.ema > 0) else self.generator
        out = []
        for i in range(0, len(z), batch_size):
            inputs = self._g_inputs(z[i:i + batch_size], None if labels is None else labels[i:i + batch_size])
            out.append(ops.convert_to_numpy(g(inputs, training=False)))
        return np.concatenate(out) if out else np.zeros((0, 28, 28, 1), "float32")


@keras.saving.register_keras_serializable(package="course")
class ConditionalGAN(DCGAN):
    """GAN that draws a requested class: ``G(z, y)``, projection ``D(x, y)`` + auxiliary classifier.

    Train on ``(images, labels)``. ``aux_weight`` scales the auxiliary
    classification terms: D learns to classify real images
    (``CE(classify(x), y)``) and G to make its fakes classified as the
    requested label (``CE(classify(G(z, y)), y)``).
    """

    conditional = True

    def __init__(self, latent_dim: int = 64, width: int = 64, num_classes: int = 10,
                 aux_weight: float = 1.0, **kwargs):
        self.aux_weight = float(aux_weight)
        super().__init__(latent_dim=latent_dim, width=width, num_classes=int(num_classes), **kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(aux_weight=self.aux_weight)
        return config

    def _g_inputs(self, z, labels):
        """``[z, one_hot(y)]``; labels are class indices (N,) or class mixtures (N, num_classes)."""
        if labels is None:
            raise ValueError("ConditionalGAN needs labels: pass labels=[...] (one class index per sample).")
        return _with_one_hot(z, labels, self.num_classes)

    def discriminate(self, x, labels, training=True):
        return tuple(self.discriminator([x, labels], training=training))

    def aux_loss(self, class_logits, labels):
        return self.aux_weight * ops.mean(
            keras.losses.sparse_categorical_crossentropy(labels, class_logits, from_logits=True))

    def _unpack(self, data):
        x, labels = super()._unpack(data)
        if labels is None:
            raise ValueError("ConditionalGAN.fit needs (images, labels) batches.")
        return x, ops.cast(labels, "int32")

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def generate(self, n: int = None, seed: int = 0, z=None, labels=None, use_ema: bool = True,
                 batch_size: int = 1000) -> np.ndarray:
        """Images of the requested ``labels`` (default: classes 0..9 in turn).

        ``labels``: class indices (n,), or rows of class weights (n, num_classes)
        to blend classes (see :func:`class_mixtures`).
        """
        if labels is None:
            count = n if z is None else len(z)
            labels = np.arange(count) % self.num_classes
        labels = np.asarray(labels)
        if n is None and z is None:
            n = len(labels)
        return super().generate(n, seed=seed, z=z, labels=labels, use_ema=use_ema, batch_size=batch_size)


@keras.saving.register_keras_serializable(package="course")
class InfoGAN(DCGAN):
    """Unconditional GAN that discovers classes by itself (InfoGAN, Chen et al., 2016). No labels.

    G gets noise ``z`` plus a random one-of-``num_codes`` code ``c``; a second
    head on D guesses ``c`` from the fake image, and both D and G are
    rewarded when the guess is right (``info_weight`` × cross-entropy, a
    bound on the mutual information between ``c`` and the image). The easiest
    way for G to make ``c`` recoverable is to draw a different kind of image
    for each code: on MNIST often a different digit, sometimes a different
    style of one. The codes become rough unsupervised classes (see
    :func:`code_purity`); on short budgets they also cost variety within a code.
    """

    conditional = False

    def __init__(self, latent_dim: int = 64, width: int = 64, num_codes: int = 10, info_weight: float = 1.0,
                 **kwargs):
        self.num_codes, self.info_weight = int(num_codes), float(info_weight)
        kwargs.pop("num_classes", None)
        super().__init__(latent_dim=latent_dim, width=width, **kwargs)

    def _generator_label_count(self):
        return self.num_codes

    def _build_discriminator(self, dropout):
        return build_discriminator(self.d_width, None, dropout, self.spectral_norm, code_head=self.num_codes)

    def get_config(self):
        config = super().get_config()
        config.update(num_codes=self.num_codes, info_weight=self.info_weight)
        return config

    def _g_inputs(self, z, codes):
        """``[z, one_hot(c)]``; codes are indices (N,) or mixtures (N, num_codes)."""
        return _with_one_hot(z, codes, self.num_codes)

    def discriminate(self, x, labels, training=True):
        return tuple(self.discriminator(x, training=training))

    def _g_labels(self, labels, batch_size):
        return keras.random.randint((batch_size,), 0, self.num_codes, dtype="int32")

    def _code_loss(self, code_logits, codes):
        return self.info_weight * ops.mean(
            keras.losses.sparse_categorical_crossentropy(codes, code_logits, from_logits=True))

    def d_aux_loss(self, real_class_logits, fake_class_logits, labels, g_labels):
        return self._code_loss(fake_class_logits, g_labels)

    def g_aux_loss(self, g_class_logits, g_labels):
        return self._code_loss(g_class_logits, g_labels)

    def generate(self, n: int = None, seed: int = 0, z=None, labels=None, use_ema: bool = True,
                 batch_size: int = 1000) -> np.ndarray:
        """``n`` images; ``labels`` are codes (n,) to draw from (default: random codes, like training)."""
        if labels is None:
            count = n if z is None else len(z)
            labels = np.random.default_rng([seed, 1]).integers(0, self.num_codes, count)
        return super().generate(n, seed=seed, z=z, labels=np.asarray(labels), use_ema=use_ema,
                                batch_size=batch_size)


def code_purity(model, per_code: int = 200, seed: int = 0) -> dict:
    """How well an InfoGAN's codes match MNIST's classes, read by the course evaluator.

    For each code, ``per_code`` samples are classified; ``majority`` is the
    most frequent class per code and ``purity`` the share of samples in it.
    ``mean_purity`` averages over codes; ``classes_found`` counts distinct
    majority classes (10 when the codes split the digits one each).
    """
    from .. import metrics

    codes = np.repeat(np.arange(model.num_codes), per_code)
    x = from_gan_range(model.generate(len(codes), seed=seed, labels=codes))
    predicted = metrics.evaluator("mnist").probs(x).argmax(1)
    majority, purity = [], []
    for c in range(model.num_codes):
        counts = np.bincount(predicted[codes == c], minlength=10)
        majority.append(int(counts.argmax()))
        purity.append(float(counts.max() / per_code))
    return {"majority": majority, "purity": purity, "mean_purity": float(np.mean(purity)),
            "classes_found": len(set(majority))}


# ---------------------------------------------------------------- latent walks
def slerp(z0, z1, t):
    """Spherical interpolation between latent vectors (stays where N(0, I) puts its mass).

    A straight line between two Gaussian samples passes near the origin, where
    the prior has almost no samples of that norm; slerp keeps the norm.
    ``t`` is a scalar or an array of steps in [0, 1]; returns (len(t), latent_dim).
    """
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    t = np.atleast_1d(np.asarray(t, np.float64))[:, None]
    cos = np.dot(z0, z1) / (np.linalg.norm(z0) * np.linalg.norm(z1))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-6:
        return ((1 - t) * z0 + t * z1).astype(np.float32)
    return ((np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)).astype(np.float32)


def class_mixtures(a: int, b: int, steps: int = 8, num_classes: int = 10) -> np.ndarray:
    """Label rows moving from one-hot class ``a`` to one-hot class ``b`` in ``steps`` steps."""
    t = np.linspace(0.0, 1.0, steps)[:, None]
    eye = np.eye(num_classes, dtype=np.float32)
    return ((1 - t) * eye[a] + t * eye[b]).astype(np.float32)


# ---------------------------------------------------------------- training
def make_gan_dataset(x_uint8, y=None, batch_size: int = 128, seed: int = 0):
    """Shuffled, batched tf.data pipeline of images in [-1, 1] (and labels); full batches only."""
    from ..datasets import make_dataset

    x = to_gan_range(x_uint8)
    y = None if y is None else np.asarray(y, dtype="int32")
    return make_dataset(x, y, batch_size=batch_size, shuffle=True, seed=seed, drop_remainder=True)


class SampleGrid(keras.callbacks.Callback):
    """Record samples from one fixed noise batch during training (for grids and animations).

    ``frames`` is a list of uint8 arrays (n, 28, 28), ``steps`` the number of
    batches seen at each frame. A frame is taken at the start, at the end of
    every epoch and, with ``every`` set, every ``every`` batches.
    """

    def __init__(self, n: int = 40, seed: int = 1234, every: int | None = None, use_ema: bool = True,
                 on_record=None):
        super().__init__()
        self.n, self.seed, self.every, self.use_ema = n, seed, every, use_ema
        self.on_record = on_record  # called as on_record(frame, step) after each frame (live displays)
        self.frames, self.steps = [], []
        self._step = 0

    def _labels(self):
        if self.model.conditional:
            return np.arange(self.n) % self.model.num_classes
        codes = getattr(self.model, "num_codes", None)  # InfoGAN: one code per column
        return None if codes is None else np.arange(self.n) % codes

    def record(self):
        x = self.model.generate(self.n, seed=self.seed, labels=self._labels(), use_ema=self.use_ema)
        self.frames.append(from_gan_range(x))
        self.steps.append(self._step)
        if self.on_record is not None:
            self.on_record(self.frames[-1], self._step)

    def on_train_begin(self, logs=None):
        if not self.frames:
            self.record()

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        if self.every and self._step % self.every == 0:
            self.record()

    def on_epoch_end(self, epoch, logs=None):
        if not self.steps or self.steps[-1] != self._step:
            self.record()

    def on_train_end(self, logs=None):
        if not self.steps or self.steps[-1] != self._step:
            self.record()


class History(keras.callbacks.Callback):
    """Per-batch log of the GAN's metrics (``d_loss``, ``g_loss``, ``d_real``, ``d_fake``)."""

    def __init__(self):
        super().__init__()
        self.logs = {}

    def on_train_batch_end(self, batch, logs=None):
        for k, v in (logs or {}).items():
            self.logs.setdefault(k, []).append(float(v))


def animate(frames, steps=None, ncols: int = 10, interval: int = 400):
    """An in-notebook animation (``IPython.display.HTML``) of sample grids, one per frame."""
    import matplotlib.pyplot as plt
    from IPython.display import HTML
    from matplotlib import animation

    from ..plots import tile

    tiles = [tile(f, ncols, pad_value=0) for f in frames]
    fig, ax = plt.subplots(figsize=(ncols * 0.6, len(frames[0]) / ncols * 0.6 + 0.4))
    im = ax.imshow(tiles[0], cmap="gray_r", vmin=0, vmax=255)
    ax.axis("off")
    title = ax.set_title("")

    def draw(i):
        im.set_data(tiles[i])
        title.set_text(f"after {steps[i]} batches" if steps is not None else f"frame {i}")
        return im, title

    anim = animation.FuncAnimation(fig, draw, frames=len(tiles), interval=interval, blit=False)
    html = anim.to_jshtml()
    plt.close(fig)
    return HTML(html)


#: Defaults chosen for quality per CPU-minute on 2 cores (see the chapter).
DEFAULTS = dict(latent_dim=64, width=32, batch_size=128, learning_rate=5e-4, ema=0.995)
FULL_EPOCHS = 10


def train_gan(x_train, y_train=None, conditional: bool = False, epochs: int | None = None,
              seconds: float | None = None, seed: int = 0, batch_size: int = DEFAULTS["batch_size"],
              learning_rate: float = DEFAULTS["learning_rate"], d_learning_rate: float | None = None,
              loss: str = "non_saturating", label_smoothing: float = 0.0, callbacks=(), verbose: int = 0,
              steps: int | None = None, run_eagerly: bool = False, cache: str | None = None,
              retrain: bool | None = None, progress: bool = False, info_codes: int = 0, **model_kwargs):
    """Build, compile and fit a (conditional) GAN on uint8 images; returns ``(model, info)``.

    ``seconds`` caps wall-clock training (``helpers.training.TimeBudget``);
    ``epochs`` defaults to :data:`FULL_EPOCHS` (or 1000 with a time budget).
    ``steps`` trains exactly that many batches instead (comparisons of runs
    that must not depend on how busy the machine is).
    ``info`` has ``seconds``, ``epochs_done``, ``images_per_second`` and the
    per-batch ``history`` (a :class:`History`).

    ``cache="name"`` goes through :func:`helpers.training.load_or_train`: a
    model cached under that name is reused (the notebook shows a "reuse /
    retrain" toggle; ``retrain`` forces it), and the frames of any
    :class:`SampleGrid` in ``callbacks`` are restored with it, so the cells
    that plot the training run work either way.
    ``info_codes=k`` trains an :class:`InfoGAN` with ``k`` codes instead of
    a DCGAN (no labels used). ``progress=True`` shows a live line of numbers and the newest sample grid
    in a notebook (:class:`helpers.ui.progress.LiveProgress`).
    """
    from ..runtime import set_seed
    from ..training import load_or_train

    def build():
        set_seed(seed)
        kwargs = {k: DEFAULTS[k] for k in ("latent_dim", "width", "ema")}
        kwargs.update(model_kwargs)
        if info_codes:
            model = InfoGAN(num_codes=info_codes, **kwargs)
        else:
            model = ConditionalGAN(**kwargs) if conditional else DCGAN(**kwargs)
        model.compile(keras.optimizers.Adam(d_learning_rate or learning_rate, beta_1=0.5),
                      keras.optimizers.Adam(learning_rate, beta_1=0.5),
                      loss=loss, label_smoothing=label_smoothing, run_eagerly=run_eagerly)
        return model

    grids = [c for c in callbacks if isinstance(c, SampleGrid)]

    def fit(model):
        nonlocal epochs
        data = make_gan_dataset(x_train, y_train if conditional else None, batch_size=batch_size, seed=seed)
        fit_kwargs = {}
        if steps is not None:
            data, epochs, fit_kwargs = data.repeat(), 1, {"steps_per_epoch": int(steps)}
        elif epochs is None:
            epochs = FULL_EPOCHS if seconds is None else 1000
        budget, history = TimeBudget(seconds), History()
        live = []
        if progress:
            from ..ui.progress import LiveProgress

            live = [LiveProgress(batch_size, seconds=seconds, steps=steps, grid=grids[0] if grids else None,
                                 title=cache or type(model).__name__)]
        start = time.perf_counter()
        model.fit(data, epochs=epochs, verbose=verbose, shuffle=False,
                  callbacks=[budget, history, *live, *callbacks], **fit_kwargs)
        elapsed = time.perf_counter() - start
        images = len(history.logs.get("d_loss", [])) * batch_size
        info = {"seconds": elapsed, "epochs_done": budget.epochs_done, "images": images,
                "images_per_second": images / max(elapsed, 1e-9), "history": history.logs}
        for i, grid in enumerate(grids):
            info[f"grid{i}_frames"] = np.stack(grid.frames)
            info[f"grid{i}_steps"] = np.asarray(grid.steps)
        return info

    if cache is None:
        model = build()
        return model, fit(model)
    model, info = load_or_train(cache, build, fit, retrain=retrain)
    for i, grid in enumerate(grids):
        if not grid.frames and f"grid{i}_frames" in info:  # loaded: show the run that trained it
            grid.frames, grid.steps = list(info[f"grid{i}_frames"]), [int(s) for s in info[f"grid{i}_steps"]]
    return model, info


def _recipe_train(conditional, **model_kwargs):
    def train(x_train, y_train, seconds=None, seed=0):
        model, _ = train_gan(x_train, y_train, conditional=conditional, seconds=seconds, seed=seed, progress=True,
                             **model_kwargs)
        return model
    return train


def _generate_dcgan(model, n, seed=0, labels=None):
    return from_gan_range(model.generate(n, seed=seed)), None


def _generate_cgan(model, n, seed=0, labels=None):
    if labels is None:
        labels = np.arange(n) % model.num_classes
    labels = np.asarray(labels, dtype="int32")
    return from_gan_range(model.generate(len(labels), seed=seed, labels=labels)), labels


def _recipes():
    from ..zoo import Recipe

    return {
        "dcgan": Recipe("dcgan", "DCGAN (non-saturating loss, EMA generator), chapter 05", False,
                        _recipe_train(False), _generate_dcgan),
        "infogan": Recipe("infogan", "InfoGAN (DCGAN + 10 codes D must recover, weight 0.2; no labels), "
                          "chapter 05", False, _recipe_train(False, info_codes=10, info_weight=0.2),
                          _generate_dcgan),
        "cgan": Recipe("cgan", "conditional GAN (projection D + auxiliary classifier), chapter 05", True,
                       _recipe_train(True), _generate_cgan),
    }


RECIPES = _recipes()


# ---------------------------------------------------------------- monitoring
def plot_history(history: dict, smooth: int = 20, title: str | None = None, axes=None):
    """Two panels: D and G losses, and D(x) vs D(G(z)), per batch (moving average of ``smooth``)."""
    import matplotlib.pyplot as plt

    def avg(v):
        v = np.asarray(v, dtype=float)
        k = max(1, min(smooth, len(v)))
        return np.convolve(v, np.ones(k) / k, mode="valid")

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3))
    for key, label in (("d_loss", "D loss"), ("g_loss", "G loss")):
        axes[0].plot(avg(history[key]), label=label)
    for key, label in (("d_real", "D(x), real"), ("d_fake", "D(G(z)), fake")):
        axes[1].plot(avg(history[key]), label=label)
    axes[1].axhline(0.5, color="grey", lw=0.8, ls=":")
    axes[1].set_ylim(0, 1)
    for ax in axes:
        ax.set_xlabel("batch")
        ax.legend(fontsize=8)
    if title:
        axes[0].figure.suptitle(title)
    return axes[0].figure


def class_coverage(x_uint8) -> dict:
    """How the course evaluator classifies samples: share per class, entropy (bits; 3.32 = uniform).

    A mode-collapsed generator draws a few digits only: low entropy, a large
    ``max_share``, few ``classes_covered`` (classes with at least 2% of samples).
    """
    from .. import metrics

    probs = metrics.evaluator().probs(x_uint8)
    share = np.bincount(probs.argmax(axis=1), minlength=probs.shape[1]) / len(probs)
    nz = share[share > 0]
    return {"share": share, "entropy_bits": float(-(nz * np.log2(nz)).sum()),
            "max_share": float(share.max()), "classes_covered": int((share >= 0.02).sum())}


def quick_scores(model, n: int = 2000, seed: int = 0, use_ema: bool = True) -> dict:
    """Fréchet distance (÷ real-vs-real baseline at the same size), precision, recall and class coverage.

    A fast summary for comparing training runs; chapter 06 and
    :func:`helpers.metrics.evaluate_samples` give the full picture.
    """
    from .. import metrics

    labels = np.arange(n) % model.num_classes if model.conditional else None
    x = from_gan_range(model.generate(n, seed=seed, labels=labels, use_ema=use_ema))
    res = metrics.evaluate_samples(x, labels, metrics=("frechet", "precision_recall"), n_real=n, seed=seed)
    cov = class_coverage(x)
    return {"frechet": res["frechet_distance"], "frechet_real": res["frechet_distance_real"],
            "frechet_ratio": res["frechet_distance"] / res["frechet_distance_real"],
            "precision": res["precision"], "recall": res["recall"],
            "entropy_bits": cov["entropy_bits"], "max_share": cov["max_share"],
            "classes_covered": cov["classes_covered"]}
