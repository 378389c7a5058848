"""What chapter 05's GANs share: two networks, two optimisers, an EMA generator, sampling.

Each GAN (:class:`~helpers.models.gan.dcgan.DCGAN`,
:class:`~helpers.models.gan.cgan.ConditionalGAN`,
:class:`~helpers.models.gan.infogan.InfoGAN`,
:class:`~helpers.models.gan.wgan.WGANGP`) is its own short class with its
own ``train_step``; this base holds only the machinery that is the same for
all of them, none of which changes the objective.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from ...memory import INFERENCE_BATCH_SIZE
from ..ema import update_moving_average
from .losses import LOSSES
from .networks import with_one_hot


class TwoPlayerGAN(keras.Model):
    """A generator ``G``, its moving average ``G_ema`` and a discriminator ``D``, trained in turns.

    ``compile(d_optimizer, g_optimizer, loss="non_saturating", label_smoothing=0.0)``;
    ``ema`` > 0 keeps an exponential moving average of G's weights in
    ``generator_ema``, which :meth:`generate` uses (averaging out the
    oscillation of adversarial training gives cleaner digits after a few
    CPU-minutes). Randomness in training comes from the model's own
    ``seed_generator``. The base of chapter 05's DCGAN, conditional GAN, InfoGAN and WGAN-GP.
    """

    conditional = False
    #: Adam's (β₁, β₂) for both players: β₁ = 0.5, the DCGAN recipe (Radford et al., 2016).
    adam_betas = (0.5, 0.999)
    #: The ``loss=`` names this GAN accepts: (D's loss, G's loss) as functions of D's logits.
    losses = LOSSES

    def __init__(self, latent_dim: int = 64, width: int = 64, d_width: int | None = None, ema: float = 0.995,
                 dropout: float = 0.0, batch_norm: bool = True, spectral_norm: bool = False, seed: int = 0,
                 **kwargs):
        super().__init__(**kwargs)
        self.latent_dim, self.width, self.d_width = int(latent_dim), int(width), int(d_width or width)
        self.ema, self.dropout, self.seed = float(ema), float(dropout), int(seed)
        self.batch_norm, self.spectral_norm = bool(batch_norm), bool(spectral_norm)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.loss_name, self.label_smoothing = self.default_loss(), 0.0
        self.d_loss_fn, self.g_loss_fn = self.losses[self.loss_name]

    def _set_networks(self, generator, discriminator, trackers):
        """Keep G, an EMA copy of it (``keras.models.clone_model``), D and one ``Mean`` tracker per name."""
        self.generator, self.discriminator = generator, discriminator
        self.generator_ema = keras.models.clone_model(generator)
        self.generator_ema.set_weights(generator.get_weights())
        self.generator_ema.trainable = False
        self.trackers = {name: keras.metrics.Mean(name=name) for name in trackers}
        self.built = True  # both networks are functional models, built above

    # -- configuration ---------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update(latent_dim=self.latent_dim, width=self.width, d_width=self.d_width, ema=self.ema,
                      dropout=self.dropout, batch_norm=self.batch_norm, spectral_norm=self.spectral_norm,
                      seed=self.seed)
        return config

    @classmethod
    def default_loss(cls) -> str:
        """The ``loss=`` name used when none is given: the first key of :attr:`losses` (chapter 05)."""
        return next(iter(cls.losses))

    @classmethod
    def adam(cls, learning_rate: float):
        """An Adam optimiser with this GAN's :attr:`adam_betas`."""
        return keras.optimizers.Adam(learning_rate, beta_1=cls.adam_betas[0], beta_2=cls.adam_betas[1])

    def compile(self, d_optimizer=None, g_optimizer=None, loss: str | None = None,
                label_smoothing: float = 0.0, learning_rate: float = 2e-4, **kwargs):
        """Two :meth:`adam` optimisers unless given; ``loss`` is a key of :attr:`losses` (default: the first)."""
        loss = loss or self.default_loss()
        if loss not in self.losses:
            raise ValueError(f"loss={loss!r} is not one of {sorted(self.losses)}")
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer or self.adam(learning_rate)
        self.g_optimizer = g_optimizer or self.adam(learning_rate)
        self.d_loss_fn, self.g_loss_fn = self.losses[loss]
        self.loss_name, self.label_smoothing = loss, float(label_smoothing)
        # Build the optimisers now, so a saved model's optimiser state (moments, step count) reloads too.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def get_compile_config(self):
        # A reloaded model is compiled with the same loss, smoothing and learning rates (and the store keys on them).
        if not hasattr(self, "d_optimizer"):
            return None
        return {"loss": self.loss_name, "label_smoothing": self.label_smoothing,
                "d_lr": float(ops.convert_to_numpy(self.d_optimizer.learning_rate)),
                "g_lr": float(ops.convert_to_numpy(self.g_optimizer.learning_rate))}

    def compile_from_config(self, config):
        if config:
            self.compile(self.adam(config["d_lr"]), self.adam(config["g_lr"]),
                         loss=config["loss"], label_smoothing=config["label_smoothing"])

    @property
    def metrics(self):
        return list(self.trackers.values())

    # -- pieces of every train_step --------------------------------------
    def sample_noise(self, n):
        """``z ~ N(0, I)``, (n, latent_dim), from the model's seed generator."""
        return keras.random.normal((n, self.latent_dim), seed=self.seed_generator)

    def fakes(self, n, labels=None):
        """``G(z)`` (or ``G(z, labels)``) for fresh noise: a batch of ``n`` fakes, in training mode."""
        return self.generator(self.generator_inputs(self.sample_noise(n), labels), training=True)

    @staticmethod
    def apply(optimizer, tape, loss, network):
        """One gradient step of ``network``'s weights on ``loss`` (the other player's weights stay put)."""
        grads = tape.gradient(loss, network.trainable_weights)
        optimizer.apply_gradients(zip(grads, network.trainable_weights, strict=True))

    def update_ema(self):
        """``G_ema ← d·G_ema + (1-d)·G``, with a warm-up ``d = min(ema, (1+t)/(10+t))`` after ``t`` G steps."""
        if self.ema > 0:
            update_moving_average(self.generator_ema, self.generator, self.ema, self.g_optimizer.iterations)

    def track(self, real_logits, fake_logits, **losses):
        """Update the trackers with the losses and ``d_real`` = mean D(x), ``d_fake`` = mean D(G(z)); return them."""
        return self.update_trackers(**losses, d_real=ops.mean(ops.sigmoid(real_logits)),
                                    d_fake=ops.mean(ops.sigmoid(fake_logits)))

    def update_trackers(self, **values):
        """Add each value to the tracker of its name; return every tracker's running mean (``fit``'s logs)."""
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {m.name: m.result() for m in self.metrics}

    # -- sampling ---------------------------------------------------------
    #: How many one-hot inputs G takes besides z (classes, codes) and what they are called; None: just z.
    input_labels: tuple[str, int] | None = None

    def generator_inputs(self, z, labels):
        """What G takes: the noise ``z``, and ``[z, one_hot(labels)]`` for the conditional GAN and InfoGAN.

        Labels are indices (N,) or rows of weights (N, depth) that blend classes or codes.
        """
        if self.input_labels is None:
            if labels is not None:
                raise ValueError(f"{type(self).__name__} is unconditional: it takes no labels")
            return ops.convert_to_tensor(z, "float32")
        kind, depth = self.input_labels
        if labels is None:
            raise ValueError(f"{type(self).__name__} needs {kind}: pass labels=[...] (one per sample).")
        return with_one_hot(z, labels, depth)

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def generate(self, n: int = None, seed: int = 0, z=None, labels=None, use_ema: bool = True,
                 batch_size: int = INFERENCE_BATCH_SIZE) -> np.ndarray:
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
            inputs = self.generator_inputs(z[i:i + batch_size], None if labels is None else labels[i:i + batch_size])
            out.append(ops.convert_to_numpy(g(inputs, training=False)))
        return np.concatenate(out) if out else np.zeros((0, 28, 28, 1), "float32")


def images_of(data):
    """The images of a batch that is ``x`` or ``(x, labels)``, as float32.

    Used by the DCGAN's and InfoGAN's ``train_step`` (chapter 05 §4, §7).
    """
    x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
    return ops.convert_to_tensor(x, "float32")
