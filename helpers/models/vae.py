"""Variational autoencoders (chapter 04): VAE, β-VAE and a conditional VAE.

The model follows Kingma & Welling (2014). An encoder maps an image ``x`` to
the mean ``mu`` and log-variance ``log_var`` of a diagonal Gaussian
``q(z|x)``; a latent ``z = mu + sigma * eps`` (the reparameterisation trick)
goes through the decoder, which outputs one Bernoulli logit per pixel, so
``p(x|z)`` is a product of 784 coin flips. Training maximises the evidence
lower bound (ELBO); ``train_step`` minimises, per image and in nats,

    loss = reconstruction + beta * KL
    reconstruction = -log p(x|z)       = sum_pixels BCE(x, sigmoid(logits))
    KL             = KL(q(z|x) || N(0, I)) = 1/2 sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2)

With ``beta = 1`` the loss is the negative ELBO, an upper bound on
``-log p(x)``. ``ConditionalVAE`` feeds a one-hot label to the encoder and the
decoder, so ``decode(z, labels)`` draws the digit you ask for.

Data: images in [0, 1]. With ``binarize=True`` (default) every training batch
is binarised afresh, ``x_bin ~ Bernoulli(x)`` ("dynamically binarised MNIST");
the test set is binarised once with a fixed seed (:func:`binarize`). Binarising
an already binary image changes nothing, so evaluation on that fixed set is
deterministic apart from the one z sample per image.

Architecture: a multilayer perceptron by default. On a 2-core CPU it
processes several times more images per second than a small conv net, and
for a VAE on MNIST more epochs beat a fancier decoder at equal CPU time
(see the benchmark in the README and :data:`RECIPES`).
"""

from __future__ import annotations

import math
import time

import keras
import numpy as np
from keras import layers, ops

LOG_2PI = math.log(2.0 * math.pi)


# ---------------------------------------------------------------- loss terms
def bernoulli_nll(x, logits):
    """``-log p(x|z)`` per image (nats) for a Bernoulli decoder: summed pixel BCE from logits.

    ``softplus(l) - x * l`` is ``-[x log s(l) + (1-x) log(1-s(l))]`` written stably.
    """
    x = ops.reshape(ops.cast(x, logits.dtype), (ops.shape(x)[0], -1))
    logits = ops.reshape(logits, (ops.shape(logits)[0], -1))
    return ops.sum(ops.softplus(logits) - x * logits, axis=-1)


def gaussian_kl(mu, log_var):
    """``KL(N(mu, diag(exp(log_var))) || N(0, I))`` per row, in nats (closed form)."""
    return 0.5 * ops.sum(ops.square(mu) + ops.exp(log_var) - 1.0 - log_var, axis=-1)


def gaussian_log_density(z, mu, log_var):
    """``log N(z; mu, diag(exp(log_var)))`` summed over the last axis."""
    return -0.5 * ops.sum(LOG_2PI + log_var + ops.square(z - mu) * ops.exp(-log_var), axis=-1)


def binarize(x, seed: int = 0) -> np.ndarray:
    """A fixed stochastic binarisation: each pixel is 1 with probability equal to its intensity.

    ``x`` is uint8 (N, 28, 28) or float in [0, 1]; returns float32 (N, 28, 28, 1) of 0s and 1s.
    Used once for the test set so every epoch is evaluated on the same binary images.
    """
    x = np.asarray(x)
    if x.dtype == np.uint8:
        x = x.astype(np.float32) / 255.0
    if x.ndim == 3:
        x = x[..., None]
    rng = np.random.default_rng(seed)
    return (rng.random(x.shape, dtype=np.float32) < x).astype(np.float32)


# --------------------------------------------------------------------- model
@keras.saving.register_keras_serializable(package="course")
class VAE(keras.Model):
    """VAE with a diagonal-Gaussian encoder and a Bernoulli (logit) decoder.

    ``hidden`` are the widths of the encoder's dense layers (the decoder mirrors
    them); ``beta`` weighs the KL term (β-VAE, Higgins et al. 2017; 1 = the
    ELBO). ``num_classes > 0`` makes it conditional (see :class:`ConditionalVAE`).
    ``call(x)`` returns the decoded Bernoulli means ``sigmoid(logits)`` for ``x``.
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

    def importance_nll(self, x, labels=None, k: int = 100, batch_size: int = 100, seed: int = 0) -> float:
        """Importance-weighted estimate of ``-log p(x)`` (nats per image; Burda et al. 2016).

        ``log p(x) ≈ log (1/k) Σ_i p(x|z_i) p(z_i) / q(z_i|x)`` with ``z_i ~ q(z|x)``.
        With k = 1 it is the ELBO; it tightens (decreases towards the true NLL) as k grows.
        """
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
    """

    def __init__(self, latent_dim: int = 4, hidden=(512, 256), beta: float = 1.0,
                 num_classes: int = 10, **kwargs):
        if int(num_classes) < 2:
            raise ValueError(f"a conditional VAE needs num_classes >= 2, got {num_classes}")
        super().__init__(latent_dim=latent_dim, hidden=hidden, beta=beta, num_classes=num_classes, **kwargs)


# ----------------------------------------------------------------- training
def compile_vae(model, learning_rate: float = 2e-3, jit_compile="auto"):
    """Adam + the model's own loss (in ``train_step``). XLA (``jit_compile``) helps on CPU and GPU."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), jit_compile=jit_compile)
    return model


class CosineDecay(keras.callbacks.Callback):
    """Cosine learning-rate decay from the compiled rate to ``final`` x it, over the training run.

    Progress is the larger of epochs done / ``epochs`` and elapsed / ``seconds``,
    so the rate also anneals inside a wall-clock budget. Annealing at the end
    is worth a few nats of ELBO for free.
    """

    def __init__(self, epochs: int, seconds: float | None = None, final: float = 0.05):
        super().__init__()
        self.epochs, self.seconds, self.final = epochs, seconds, final

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        self.base = float(ops.convert_to_numpy(self.model.optimizer.learning_rate))
        self.steps = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        steps = self.params.get("steps") or 1
        progress = (self.epoch + batch / steps) / max(self.epochs, 1)
        if self.seconds:
            progress = max(progress, (time.perf_counter() - self.start) / self.seconds)
        factor = self.final + (1 - self.final) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
        self.model.optimizer.learning_rate.assign(self.base * factor)

    def on_train_end(self, logs=None):
        self.model.optimizer.learning_rate.assign(self.base)


def fit_vae(model, x_train, y_train=None, x_test=None, y_test=None, epochs: int = 10,
            batch_size: int = 128, seconds: float | None = None, seed: int = 0, decay: bool = True,
            verbose="auto", callbacks=()):
    """Train on images ``x_train`` (uint8 or float in [0, 1]); report the test ``-ELBO`` each epoch.

    ``x_test`` (if given) is binarised once with ``seed`` and used as validation
    data, so ``history["val_neg_elbo"]`` is the test negative ELBO in nats per
    epoch. ``seconds`` caps the wall-clock time (:class:`helpers.training.TimeBudget`);
    ``decay`` anneals the learning rate over ``epochs`` or ``seconds`` (:class:`CosineDecay`).
    Returns the Keras ``History``; ``history.budget`` holds time, epochs done and images/s.
    """
    from ..datasets import to_float
    from ..training import TimeBudget

    x = to_float(x_train) if np.asarray(x_train).dtype == np.uint8 else np.asarray(x_train, np.float32)
    conditional = bool(model.num_classes)
    if conditional and y_train is None:
        raise ValueError("a conditional VAE needs y_train")
    validation = None
    if x_test is not None:
        x_val = binarize(x_test, seed=seed) if model.binarize else to_float(x_test)
        validation = (x_val, np.asarray(y_test)) if conditional else (x_val,)
    budget = TimeBudget(seconds)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))  # shuffle=True below reshuffles each epoch with Keras's seed
    args = (x[order], np.asarray(y_train)[order]) if conditional else (x[order],)
    history = model.fit(*args, batch_size=batch_size, epochs=epochs, shuffle=True,
                        validation_data=validation, verbose=verbose,
                        callbacks=[budget] + ([CosineDecay(epochs, seconds)] if decay else []) + list(callbacks))
    history.budget = {"seconds": round(budget.elapsed, 1), "epochs": round(budget.epochs_done, 2),
                      "images_per_second": round(budget.epochs_done * len(x) / max(budget.elapsed, 1e-9))}
    return history


def measure_throughput(model, x, batch_size: int = 128, steps: int = 30) -> float:
    """Training images per second of a compiled model (after one warm-up step), on this machine now."""
    x = np.asarray(x[: batch_size * (steps + 1)], np.float32)
    if len(x) < batch_size * (steps + 1):
        x = np.resize(x, (batch_size * (steps + 1),) + x.shape[1:])
    y = np.zeros(len(x), np.int32)
    data = (x, y) if model.num_classes else x
    model.fit(*(data if isinstance(data, tuple) else (data,)), batch_size=batch_size, epochs=1,
              steps_per_epoch=1, verbose=0, shuffle=False)
    start = time.perf_counter()
    model.fit(*(data if isinstance(data, tuple) else (data,)), batch_size=batch_size, epochs=1,
              steps_per_epoch=steps, verbose=0, shuffle=False)
    return steps * batch_size / (time.perf_counter() - start)


# ------------------------------------------------------------------ registry
#: Full-mode recipe settings, chosen for quality per CPU-minute on 2 cores.
VAE_SETTINGS = {"latent_dim": 32, "hidden": (512, 256), "batch_size": 128, "learning_rate": 2e-3,
                "epochs": 30}
CVAE_SETTINGS = {"latent_dim": 4, "hidden": (512, 256), "batch_size": 128, "learning_rate": 2e-3,
                 "epochs": 30}


def _train(cls, settings, x_train, y_train, seconds=None, seed=0):
    from ..ui.progress import LiveProgress
    from ..runtime import set_seed

    set_seed(seed)
    model = cls(latent_dim=settings["latent_dim"], hidden=settings["hidden"], seed=seed)
    compile_vae(model, settings["learning_rate"])
    fit_vae(model, x_train, y_train if model.num_classes else None,
            epochs=settings["epochs"] if seconds is None else 10_000,
            batch_size=settings["batch_size"], seconds=seconds, seed=seed, verbose=0,
            callbacks=[LiveProgress(settings["batch_size"], seconds=seconds, title=type(model).__name__)])
    return model


def _train_vae(x_train, y_train=None, seconds=None, seed=0):
    return _train(VAE, VAE_SETTINGS, x_train, None, seconds, seed)


def _train_cvae(x_train, y_train, seconds=None, seed=0):
    return _train(ConditionalVAE, CVAE_SETTINGS, x_train, y_train, seconds, seed)


def _generate(model, n, seed=0, labels=None):
    from ..datasets import to_uint8

    if model.num_classes:
        if labels is None:
            labels = np.arange(n) % model.num_classes
        labels = np.asarray(labels, np.int32)
        return to_uint8(model.sample(n, labels=labels, seed=seed)), labels
    return to_uint8(model.sample(n, seed=seed)), None


try:
    from ..zoo import Recipe

    RECIPES = {
        "vae": Recipe("vae", "VAE, Bernoulli decoder, MLP 512-256, latent 32 (chapter 04)", False,
                      _train_vae, _generate),
        "cvae": Recipe("cvae", "Conditional VAE, one-hot label into encoder and decoder, latent 4 "
                               "(chapter 04)", True, _train_cvae, _generate),
    }
except ImportError:  # pragma: no cover - registry not present
    RECIPES = {}
