"""The VAE models of chapter 04: :class:`VAE` (also the β-VAE) and :class:`ConditionalVAE`.

An encoder maps an image ``x`` to the mean ``mu`` and log-variance
``log_var`` of a diagonal Gaussian ``q(z|x)``; ``z = mu + sigma * eps`` goes
through the decoder, which outputs one Bernoulli logit per pixel.
``train_step`` minimises ``reconstruction + beta * KL`` (the loss terms are in
:mod:`helpers.models.vae.losses`; the package docstring has the derivation).
Import the classes from :mod:`helpers.models.vae`.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers, ops

from .losses import bernoulli_nll, gaussian_kl, gaussian_log_density

__all__ = ["ConditionalVAE", "VAE"]


@keras.saving.register_keras_serializable(package="course")
class VAE(keras.Model):
    """VAE with a diagonal-Gaussian encoder and a Bernoulli (logit) decoder.

    ``hidden`` are the widths of the encoder's dense layers (the decoder mirrors
    them); ``beta`` weighs the KL term (β-VAE, Higgins et al. 2017; 1 = the
    ELBO). ``num_classes > 0`` makes it conditional (see :class:`ConditionalVAE`).
    ``call(x)`` returns the decoded Bernoulli means ``sigmoid(logits)`` for ``x``.
    Chapter 04 (and chapter 06, as the registry's ``vae``).
    """

    def __init__(self, latent_dim: int = 32, hidden=(512, 256), beta: float = 1.0,
                 num_classes: int = 0, binarize: bool = True, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = int(latent_dim)
        self.hidden = tuple(int(h) for h in hidden)
        self.beta = float(beta)
        self.num_classes = int(num_classes)
        self.binarize = bool(binarize)
        self.seed = int(seed)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.encoder_layers = [layers.Dense(h, activation="relu", name=f"enc_{i}")
                               for i, h in enumerate(self.hidden)]
        self.to_moments = layers.Dense(2 * self.latent_dim, name="enc_moments")  # [mu, log_var]
        self.decoder_layers = [layers.Dense(h, activation="relu", name=f"dec_{i}")
                               for i, h in enumerate(reversed(self.hidden))]
        self.to_logits = layers.Dense(28 * 28, name="dec_logits")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.neg_elbo_tracker = keras.metrics.Mean(name="neg_elbo")
        self.build()  # create the weights now: saving/loading and weight counts then work before any call

    # -- the two halves --------------------------------------------------
    def _with_label(self, h, labels):
        if not self.num_classes:
            return h
        if labels is None:
            raise ValueError("this VAE is conditional: pass labels (integers 0..num_classes-1)")
        onehot = ops.one_hot(ops.cast(ops.reshape(labels, (-1,)), "int32"), self.num_classes)
        return ops.concatenate([h, ops.cast(onehot, h.dtype)], axis=-1)

    def encode(self, x, labels=None):
        """``(mu, log_var)`` of ``q(z|x[, y])``, each (N, latent_dim)."""
        h = ops.reshape(ops.cast(x, "float32"), (ops.shape(x)[0], 28 * 28))
        h = self._with_label(h, labels)
        for layer in self.encoder_layers:
            h = layer(h)
        moments = self.to_moments(h)
        mu, log_var = moments[:, : self.latent_dim], moments[:, self.latent_dim:]
        return mu, ops.clip(log_var, -12.0, 8.0)

    def decode_logits(self, z, labels=None):
        """Bernoulli logits of ``p(x|z[, y])``, shape (N, 28, 28, 1)."""
        h = self._with_label(ops.cast(z, "float32"), labels)
        for layer in self.decoder_layers:
            h = layer(h)
        return ops.reshape(self.to_logits(h), (-1, 28, 28, 1))

    def decode(self, z, labels=None):
        """Pixel probabilities ``E[x|z] = sigmoid(logits)`` in [0, 1]."""
        return ops.sigmoid(self.decode_logits(z, labels))

    def reparameterize(self, mu, log_var, seed=None):
        """``z = mu + sigma * eps`` with ``eps ~ N(0, I)``: z is random, yet differentiable in mu, sigma."""
        eps = keras.random.normal(ops.shape(mu), seed=self.seed_generator if seed is None else seed)
        return mu + ops.exp(0.5 * log_var) * eps

    def call(self, inputs, training=False):
        x, labels = self._split(inputs)
        mu, log_var = self.encode(x, labels)
        z = self.reparameterize(mu, log_var) if training else mu
        return self.decode(z, labels)

    def _split(self, inputs):
        if isinstance(inputs, (tuple, list)):
            return inputs[0], inputs[1]
        return inputs, None

    # -- the objective ----------------------------------------------------
    def loss_terms(self, x, labels=None):
        """Per-image ``(reconstruction, kl)`` in nats for one z sample per image."""
        mu, log_var = self.encode(x, labels)
        z = self.reparameterize(mu, log_var)
        reconstruction = bernoulli_nll(x, self.decode_logits(z, labels))
        return reconstruction, gaussian_kl(mu, log_var)

    def _prepare(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if isinstance(x, (tuple, list)):  # fit((x, y)) for the conditional model
            x, y = x[0], x[1]
        x = ops.cast(x, "float32")
        if self.binarize:  # dynamic binarisation: a fresh Bernoulli draw every time
            u = keras.random.uniform(ops.shape(x), seed=self.seed_generator)
            x = ops.cast(u < x, "float32")
        return x, (y if self.num_classes else None)

    def _update(self, reconstruction, kl, loss):
        self.loss_tracker.update_state(loss)
        self.reconstruction_tracker.update_state(ops.mean(reconstruction))
        self.kl_tracker.update_state(ops.mean(kl))
        self.neg_elbo_tracker.update_state(ops.mean(reconstruction + kl))
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        import tensorflow as tf  # train_step is backend-specific (GradientTape)

        x, labels = self._prepare(data)
        with tf.GradientTape() as tape:
            reconstruction, kl = self.loss_terms(x, labels)
            loss = ops.mean(reconstruction + self.beta * kl)
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
        return self._update(reconstruction, kl, loss)

    def test_step(self, data):
        x, labels = self._prepare(data)
        reconstruction, kl = self.loss_terms(x, labels)
        return self._update(reconstruction, kl, ops.mean(reconstruction + self.beta * kl))

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker, self.neg_elbo_tracker]

    def build(self, input_shape=None):
        if self.built:
            return
        dummy = ops.zeros((1, 28, 28, 1))
        labels = ops.zeros((1,), "int32") if self.num_classes else None
        mu, _ = self.encode(dummy, labels)
        self.decode_logits(mu, labels)
        self.built = True

    def get_config(self):
        config = super().get_config()
        config.update(latent_dim=self.latent_dim, hidden=list(self.hidden), beta=self.beta,
                      num_classes=self.num_classes, binarize=self.binarize, seed=self.seed)
        return config

    # -- generation and evaluation -----------------------------------------
    def sample(self, n: int, labels=None, seed: int = 0, temperature: float = 1.0) -> np.ndarray:
        """``n`` images (N, 28, 28, 1) in [0, 1]: Bernoulli means of ``p(x|z)``, ``z ~ N(0, T^2 I)``."""
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32)
        return self.decode_batched(temperature * z, labels)

    def decode_batched(self, z, labels=None, batch_size: int = 1000) -> np.ndarray:
        """``decode`` in batches, as a NumPy array."""
        z = np.asarray(z, np.float32)
        if self.num_classes:
            if labels is None:
                raise ValueError("this VAE is conditional: pass labels (integers 0..num_classes-1)")
            labels = np.broadcast_to(np.asarray(labels, np.int32), (len(z),))
        out = [ops.convert_to_numpy(self.decode(z[i:i + batch_size],
                                                None if labels is None else labels[i:i + batch_size]))
               for i in range(0, len(z), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, 28, 28, 1), np.float32)

    def encode_mean(self, x, labels=None, batch_size: int = 1000) -> np.ndarray:
        """``mu`` of ``q(z|x)`` for many images (float in [0, 1]), as NumPy."""
        x = np.asarray(x, np.float32)
        out = []
        for i in range(0, len(x), batch_size):
            lab = None if labels is None else np.asarray(labels)[i:i + batch_size]
            out.append(ops.convert_to_numpy(self.encode(x[i:i + batch_size], lab)[0]))
        return np.concatenate(out)

    def negative_elbo(self, x, labels=None, batch_size: int = 1000, seed: int = 0) -> dict:
        """Mean ``-ELBO``, reconstruction and KL (nats per image) on binary ``x``, one z per image."""
        x = np.asarray(x, np.float32)
        rec, kl = [], []
        gen = keras.random.SeedGenerator(seed)
        for i in range(0, len(x), batch_size):
            lab = None if labels is None else np.asarray(labels)[i:i + batch_size]
            mu, log_var = self.encode(x[i:i + batch_size], lab)
            z = self.reparameterize(mu, log_var, seed=gen)
            rec.append(ops.convert_to_numpy(bernoulli_nll(x[i:i + batch_size], self.decode_logits(z, lab))))
            kl.append(ops.convert_to_numpy(gaussian_kl(mu, log_var)))
        rec, kl = np.concatenate(rec), np.concatenate(kl)
        return {"neg_elbo": float(np.mean(rec + kl)), "reconstruction": float(np.mean(rec)),
                "kl": float(np.mean(kl))}

    def importance_nll(self, x, labels=None, k: int = 100, batch_size: int | None = None, seed: int = 0) -> float:
        """Importance-weighted estimate of ``-log p(x)`` (nats per image; Burda et al. 2016).

        ``log p(x) ≈ log (1/k) Σ_i p(x|z_i) p(z_i) / q(z_i|x)`` with ``z_i ~ q(z|x)``.
        With k = 1 it is the ELBO; it tightens (decreases towards the true NLL) as k grows.
        Each step decodes ``batch_size * k`` codes; by default about 2,000 (``batch_size=100`` with k = 100
        decoded 10,000 at once and raised chapter 04's peak memory by ~400 MB).
        """
        if batch_size is None:
            batch_size = max(1, 2000 // k)
        x = np.asarray(x, np.float32)
        gen = keras.random.SeedGenerator(seed)
        totals = []
        for i in range(0, len(x), batch_size):
            xb = x[i:i + batch_size]
            n = len(xb)
            lab = None if labels is None else np.asarray(labels)[i:i + batch_size]
            mu, log_var = self.encode(xb, lab)
            mu_k = ops.repeat(mu[None], k, axis=0)  # (k, n, d)
            lv_k = ops.repeat(log_var[None], k, axis=0)
            z = mu_k + ops.exp(0.5 * lv_k) * keras.random.normal(ops.shape(mu_k), seed=gen)
            z_flat = ops.reshape(z, (k * n, self.latent_dim))
            lab_k = None if lab is None else np.tile(lab, k)
            logits = self.decode_logits(z_flat, lab_k)
            x_k = ops.reshape(ops.repeat(ops.convert_to_tensor(xb)[None], k, axis=0), (k * n, -1))
            log_px_z = -ops.reshape(bernoulli_nll(x_k, logits), (k, n))
            log_pz = gaussian_log_density(z, ops.zeros_like(z), ops.zeros_like(z))
            log_qz = gaussian_log_density(z, mu_k, lv_k)
            log_w = log_px_z + log_pz - log_qz
            log_px = ops.logsumexp(log_w, axis=0) - math.log(k)
            totals.append(-ops.convert_to_numpy(log_px))
        return float(np.mean(np.concatenate(totals)))


@keras.saving.register_keras_serializable(package="course")
class ConditionalVAE(VAE):
    """A VAE whose encoder ``q(z|x, y)`` and decoder ``p(x|z, y)`` both see the one-hot label ``y``.

    The label carries the class, so ``z`` is free to carry only the style
    (slant, thickness); ``decode(z, labels)`` draws any digit in any style.
    Train it with ``fit(x_train, y_train)``. A small code (default 4) matters:
    with 16 dimensions some class information stays in ``z`` and samples often
    show the wrong digit (label fidelity 62% vs 94% after 4 epochs, measured).
    Chapter 04 (and chapter 06, as the registry's ``cvae``).
    """

    def __init__(self, latent_dim: int = 4, hidden=(512, 256), beta: float = 1.0,
                 num_classes: int = 10, **kwargs):
        if int(num_classes) < 2:
            raise ValueError(f"a conditional VAE needs num_classes >= 2, got {num_classes}")
        super().__init__(latent_dim=latent_dim, hidden=hidden, beta=beta, num_classes=num_classes, **kwargs)

