"""Autoencoders (chapter 03): dense and convolutional, denoising, a PCA baseline, anomaly scores.

An autoencoder is an encoder ``E`` (image -> ``latent_dim`` numbers, the code)
followed by a decoder ``D`` (code -> image), trained for

    min_{E,D}  E_{x ~ p(x)} [ l(x, D(E(x))) ],   l = mean squared error per pixel,

exactly the objective of the source chapter. ``train_step`` below is that line.
With ``noise_std > 0`` the encoder sees ``x~ = clip(x + noise)`` but the loss
still compares with the clean ``x``: a *denoising* autoencoder (Vincent et al.
2008), which must learn what digits look like rather than copy pixels.

:class:`PCA` is the linear baseline with the same number of dimensions: the
best *linear* encoder/decoder pair for squared error. A non-linear
autoencoder should beat it clearly (Hinton & Salakhutdinov 2006).

:func:`anomaly_scores` and :func:`roc_curve` turn reconstruction error into an
anomaly detector: an MNIST autoencoder reconstructs Fashion-MNIST badly.

A plain autoencoder is *not* a generative model: nothing says which codes
decode to digits. ``RECIPES["ae"]`` generates anyway, by decoding codes drawn
from a Gaussian fitted to the training codes (:meth:`Autoencoder.fit_code_gaussian`),
so the course can measure how poor that is — the motivation for VAEs.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from .. import training
from ..memory import INFERENCE_BATCH_SIZE

# Chapter 03 §2's linear baseline, ``ae.PCA().fit(x).mse(x_test, k)``: the course's one PCA.
from ..metrics.geometry import PCA  # noqa: F401

ARCHS = ("dense", "conv")


@keras.saving.register_keras_serializable(package="course")
class Autoencoder(keras.Model):
    """``D(E(x))`` with a dense or convolutional encoder/decoder; images in [0, 1], (N, 28, 28, 1).

    ``arch="dense"``: 784-512-256-latent and back. ``arch="conv"``: two stride-2
    3x3 convolutions (``width``, ``2*width`` channels) and a dense layer to the
    code; the decoder mirrors it with transposed convolutions. ``noise_std``
    > 0 trains a denoising autoencoder (Gaussian noise on the input only).
    Chapter 03 (§1, §3-§7) and chapter 06, as the registry's ``ae``.
    """

    def __init__(self, latent_dim: int = 32, arch: str = "conv", width: int = 32,
                 noise_std: float = 0.0, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        if arch not in ARCHS:
            raise ValueError(f"arch must be one of {ARCHS}, got {arch!r}")
        if latent_dim < 1:
            raise ValueError(f"latent_dim must be >= 1, got {latent_dim}")
        self.latent_dim, self.arch, self.width = int(latent_dim), arch, int(width)
        self.noise_std, self.seed = float(noise_std), int(seed)
        self.seed_generator = keras.random.SeedGenerator(seed)
        if arch == "dense":
            self.encoder = keras.Sequential([
                layers.Flatten(), layers.Dense(512, activation="relu"), layers.Dense(256, activation="relu"),
                layers.Dense(self.latent_dim, name="code")], name="encoder")
            self.decoder = keras.Sequential([
                layers.Dense(256, activation="relu"), layers.Dense(512, activation="relu"),
                layers.Dense(28 * 28, activation="sigmoid"), layers.Reshape((28, 28, 1))], name="decoder")
        else:
            w = self.width
            self.encoder = keras.Sequential([
                layers.Conv2D(w, 3, strides=2, padding="same", activation="relu"),       # 14x14
                layers.Conv2D(2 * w, 3, strides=2, padding="same", activation="relu"),   # 7x7
                layers.Flatten(), layers.Dense(self.latent_dim, name="code")], name="encoder")
            self.decoder = keras.Sequential([
                layers.Dense(7 * 7 * 2 * w, activation="relu"), layers.Reshape((7, 7, 2 * w)),
                layers.Conv2DTranspose(2 * w, 3, strides=2, padding="same", activation="relu"),  # 14x14
                layers.Conv2DTranspose(w, 3, strides=2, padding="same", activation="relu"),      # 28x28
                layers.Conv2D(1, 3, padding="same", activation="sigmoid")], name="decoder")
        # A Gaussian fitted to the training codes (for RECIPES["ae"].generate); saved with the model.
        self.code_mean = self.add_weight(shape=(self.latent_dim,), initializer="zeros",
                                         trainable=False, name="code_mean")
        self.code_chol = self.add_weight(shape=(self.latent_dim, self.latent_dim), initializer="identity",
                                         trainable=False, name="code_chol")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.build()  # create the weights now: saving/loading and weight counts then work before any call

    def encode(self, x):
        return self.encoder(ops.cast(x, "float32"))

    def decode(self, z):
        return self.decoder(ops.cast(z, "float32"))

    def call(self, x, training=False):
        return self.decode(self.encode(x))

    def corrupt(self, x, noise_std=None, seed=None):
        """``clip(x + noise_std * eps, 0, 1)``: the denoising autoencoder's input."""
        std = self.noise_std if noise_std is None else noise_std
        if not std:
            return x
        eps = keras.random.normal(ops.shape(x), seed=self.seed_generator if seed is None else seed)
        return ops.clip(x + std * eps, 0.0, 1.0)

    def train_step(self, data):
        import tensorflow as tf  # train_step is backend-specific (GradientTape)

        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        x = ops.cast(x, "float32")
        with tf.GradientTape() as tape:
            x_hat = self.decode(self.encode(self.corrupt(x)))   # D(E(x~))
            loss = ops.mean(ops.square(x - x_hat))               # l(x, D(E(x~))), averaged over the batch
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def test_step(self, data):
        """Reconstruction MSE of the *clean* input (what the PCA comparison measures)."""
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        x = ops.cast(x, "float32")
        self.loss_tracker.update_state(ops.mean(ops.square(x - self(x))))
        return {"loss": self.loss_tracker.result()}

    @property
    def metrics(self):
        return [self.loss_tracker]

    def build(self, input_shape=None):
        if self.built:
            return
        self.decode(self.encode(ops.zeros((1, 28, 28, 1))))
        self.built = True

    def get_config(self):
        config = super().get_config()
        config.update(latent_dim=self.latent_dim, arch=self.arch, width=self.width,
                      noise_std=self.noise_std, seed=self.seed)
        return config

    # -- NumPy conveniences ---------------------------------------------------
    def codes(self, x, batch_size: int = INFERENCE_BATCH_SIZE) -> np.ndarray:
        """Codes ``E(x)`` (N, latent_dim) for float images in [0, 1]."""
        return _batched(lambda b: self.encode(b), x, batch_size)

    def reconstruct(self, x, batch_size: int = INFERENCE_BATCH_SIZE) -> np.ndarray:
        """``D(E(x))`` as NumPy, (N, 28, 28, 1)."""
        return _batched(lambda b: self(b), x, batch_size)

    def fit_code_gaussian(self, x, batch_size: int = INFERENCE_BATCH_SIZE):
        """Fit ``N(m, C)`` to the codes of ``x``; stored in the model (and saved with it)."""
        z = self.codes(x, batch_size).astype(np.float64)
        mean = z.mean(axis=0)
        cov = np.cov(z, rowvar=False).reshape(self.latent_dim, self.latent_dim)
        chol = np.linalg.cholesky(cov + 1e-6 * np.eye(self.latent_dim))
        self.code_mean.assign(mean.astype(np.float32))
        self.code_chol.assign(chol.astype(np.float32))
        return self

    def sample(self, n: int, seed: int = 0, source: str = "fitted") -> np.ndarray:
        """Decode ``n`` random codes: ``"fitted"`` from the Gaussian of :meth:`fit_code_gaussian`,
        ``"standard"`` from ``N(0, I)``. Returns (n, 28, 28, 1) in [0, 1]."""
        eps = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32)
        if source == "fitted":
            z = ops.convert_to_numpy(self.code_mean) + eps @ ops.convert_to_numpy(self.code_chol).T
        elif source == "standard":
            z = eps
        else:
            raise ValueError(f"source must be 'fitted' or 'standard', got {source!r}")
        return _batched(lambda b: self.decode(b), z, 1000)


def _batched(fn, x, batch_size):
    # The NumPy conveniences default to helpers.memory.INFERENCE_BATCH_SIZE images per step: 1,000 set chapter 03's peak.
    x = np.asarray(x, np.float32)
    out = [ops.convert_to_numpy(fn(x[i:i + batch_size])) for i in range(0, len(x), batch_size)]
    return np.concatenate(out)


def compile_autoencoder(model, learning_rate: float = 2e-3, jit_compile="auto"):
    """Adam; the loss lives in ``train_step``. ``"auto"`` turns XLA off on CPU-only machines,
    where it measured ~5x slower than TensorFlow's oneDNN kernels for these models.
    Chapter 03 (§7 directly, §3-§4 through :func:`train_autoencoder`) and chapter 06's ``ae``.
    """
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), jit_compile=jit_compile)
    return model


def fit_autoencoder(model, x_train, x_val=None, epochs: int | None = 5, batch_size: int = 128,
                    seconds: float | None = None, verbose=0, callbacks=(), backup_dir=None,
                    progress: str | None = None):
    """Train on float images in [0, 1] (or uint8); ``seconds`` caps wall-clock time (chapter 03).

    Returns a :class:`helpers.training.TrainResult` (history, seconds, images/s).
    """
    from ..pipelines import image_batches

    val = None if x_val is None else (_as_float(x_val),)
    return training.fit(model, image_batches(x_train, batch_size=batch_size), name=f"autoencoder (latent {model.latent_dim})",
                        epochs=epochs, seconds=seconds, batch_size=batch_size,
                        validation_data=val, callbacks=callbacks, verbose=verbose, backup_dir=backup_dir,
                        progress=progress)


def train_autoencoder(x_train, x_val=None, latent_dim: int = 32, arch: str = "conv", width: int = 32,
                      noise_std: float = 0.0, learning_rate: float = 2e-3, epochs: int | None = 5,
                      batch_size: int = 128, seconds: float | None = None, seed: int = 0,
                      store: str | None = None, retrain: bool | None = None, verbose=0, progress: bool = False):
    """Build, compile and train an :class:`Autoencoder`; with ``store="name"`` it is kept in the model store.

    Every argument, and a fingerprint of the data, is part of the store's key,
    so changing any of them trains a new model (chapter 03).
    """
    from .. import store as model_store

    def build():
        return compile_autoencoder(Autoencoder(latent_dim=latent_dim, arch=arch, width=width,
                                               noise_std=noise_std, seed=seed), learning_rate)

    def fit(model, backup_dir=None):
        return fit_autoencoder(model, x_train, x_val, epochs=epochs, batch_size=batch_size, seconds=seconds,
                               verbose=verbose, backup_dir=backup_dir,
                               progress=(store or "autoencoder") if progress else None)

    settings = {"data": model_store.fingerprint(x_train, x_val), "epochs": epochs, "batch_size": batch_size,
                "seconds": seconds}
    return model_store.train_or_load(store, build, fit, settings, seed=seed, retrain=retrain)


def _as_float(x):
    from ..datasets import to_float

    x = np.asarray(x)
    return to_float(x) if x.dtype == np.uint8 else x.astype(np.float32, copy=False)  # float32 stays as it is


def reconstruction_mse(model, x, batch_size: int = INFERENCE_BATCH_SIZE) -> float:
    """Mean squared error per pixel of ``D(E(x))`` against ``x`` (float in [0, 1]; chapter 03 §3, §7)."""
    x = _as_float(x)
    return float(np.mean((model.reconstruct(x, batch_size) - x) ** 2))


# --------------------------------------------------------------- anomalies
def anomaly_scores(model, x, batch_size: int = INFERENCE_BATCH_SIZE) -> np.ndarray:
    """Per-image reconstruction error (mean squared error over pixels): high = unlike the training data.

    Chapter 03 §5.
    """
    x = _as_float(x)
    return np.mean((model.reconstruct(x, batch_size) - x) ** 2, axis=(1, 2, 3))


def roc_curve(scores_normal, scores_anomalous):
    """ROC of the rule "anomalous if score > t" over all thresholds t (chapter 03 §5 and Q2).

    Returns ``(false_positive_rate, true_positive_rate, auc)``; AUC is the
    probability that a random anomaly scores higher than a random normal
    image (ties count one half), computed exactly from ranks.
    """
    s0 = np.asarray(scores_normal, np.float64).ravel()
    s1 = np.asarray(scores_anomalous, np.float64).ravel()
    if len(s0) == 0 or len(s1) == 0:
        raise ValueError("roc_curve needs at least one normal and one anomalous score")
    scores = np.concatenate([s0, s1])
    is_anomaly = np.concatenate([np.zeros(len(s0)), np.ones(len(s1))])
    order = np.argsort(-scores, kind="stable")
    scores, is_anomaly = scores[order], is_anomaly[order]
    distinct = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]  # last index of each threshold
    tpr = np.r_[0.0, np.cumsum(is_anomaly)[distinct] / len(s1)]
    fpr = np.r_[0.0, np.cumsum(1 - is_anomaly)[distinct] / len(s0)]
    auc = float(np.trapezoid(tpr, fpr)) if hasattr(np, "trapezoid") else float(np.trapz(tpr, fpr))
    return fpr, tpr, auc


# ------------------------------------------------------------------ registry
#: Full-mode recipe settings for the CLI/benchmark (conv AE, latent 32).
AE_SETTINGS = {"latent_dim": 32, "arch": "conv", "batch_size": 128, "learning_rate": 2e-3, "epochs": 10}


def build_recipe_model(seed: int = 0):
    """The registry's ``ae`` (chapters 03 and 06): the conv autoencoder of :data:`AE_SETTINGS`."""
    model = Autoencoder(latent_dim=AE_SETTINGS["latent_dim"], arch=AE_SETTINGS["arch"], seed=seed)
    return compile_autoencoder(model, AE_SETTINGS["learning_rate"])


def fit_recipe_model(model, x_train, y_train=None, seconds=None, seed=0, backup_dir=None):
    """Train the registry's ``ae`` and fit the Gaussian its samples are drawn from (chapter 06)."""
    result = fit_autoencoder(model, x_train, epochs=AE_SETTINGS["epochs"] if seconds is None else None,
                             batch_size=AE_SETTINGS["batch_size"], seconds=seconds, backup_dir=backup_dir,
                             progress="Autoencoder")
    model.fit_code_gaussian(_as_float(x_train))
    return result


def generate_recipe_samples(model, n, seed=0, labels=None):
    """``n`` uint8 samples of the registry's ``ae``: decoded codes from the fitted Gaussian (chapter 06)."""
    from ..datasets import to_uint8

    if labels is not None:
        raise ValueError("the autoencoder is unconditional: it cannot generate a requested label")
    return to_uint8(model.sample(n, seed=seed)), None
