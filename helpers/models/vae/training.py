"""Training the VAEs (chapter 04) and the registry's ``vae`` / ``cvae`` recipes (chapters 04 and 06).

:func:`compile_vae` (Adam; the loss is in the model's ``train_step``),
:class:`CosineDecay` (the learning-rate schedule, also inside a wall-clock
budget), :func:`fit_vae` (validation ``-ELBO`` every epoch), :func:`train_vae`
(build + fit, kept in :mod:`helpers.store`), :func:`measure_throughput`, and
the recipe functions that :mod:`helpers.models.registry` lists. Import them
from :mod:`helpers.models.vae`.
"""

from __future__ import annotations

import math
import time

import keras
import numpy as np
from keras import ops

from ... import training
from .losses import binarize
from .model import VAE, ConditionalVAE

__all__ = ["CVAE_SETTINGS", "VAE_SETTINGS", "CosineDecay", "build_recipe_model", "compile_vae", "fit_recipe_model",
           "fit_vae", "generate_recipe_samples", "measure_throughput", "train_vae"]


def compile_vae(model, learning_rate: float = 2e-3, jit_compile="auto"):
    """Adam + the model's own loss (in ``train_step``). XLA (``jit_compile``) helps on CPU and GPU (chapter 04)."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), jit_compile=jit_compile)
    return model


class CosineDecay(keras.callbacks.Callback):
    """Cosine learning-rate decay from the compiled rate to ``final`` x it, over the training run.

    Progress is the larger of epochs done / ``epochs`` and elapsed / ``seconds``,
    so the rate also anneals inside a wall-clock budget. Annealing at the end
    is worth a few nats of ELBO for free. Used by :func:`fit_vae` (chapter 04).
    """

    def __init__(self, epochs: int | None, seconds: float | None = None, final: float = 0.05,
                 base: float | None = None):
        super().__init__()
        self.epochs, self.seconds, self.final, self.base = epochs, seconds, final, base

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        if self.base is None:  # a resumed run passes the compiled rate: the restored one is decayed
            self.base = float(ops.convert_to_numpy(self.model.optimizer.learning_rate))

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        steps = self.params.get("steps") or 1
        progress = (self.epoch + batch / steps) / self.epochs if self.epochs else 0.0
        if self.seconds:
            progress = max(progress, (time.perf_counter() - self.start) / self.seconds)
        factor = self.final + (1 - self.final) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
        self.model.optimizer.learning_rate.assign(self.base * factor)

    def on_train_end(self, logs=None):
        self.model.optimizer.learning_rate.assign(self.base)


def fit_vae(model, x_train, y_train=None, x_val=None, y_val=None, epochs: int | None = 10,
            batch_size: int = 128, seconds: float | None = None, seed: int = 0, decay: bool = True,
            verbose=0, callbacks=(), backup_dir=None, progress: str | None = None):
    """Train on images ``x_train`` (uint8 or float in [0, 1]); report the validation ``-ELBO`` each epoch (chapter 04).

    ``x_val`` (if given; held-out training images, not the test set) is
    binarised once with ``seed`` and used as validation data, so
    ``result.history["val_neg_elbo"]`` is the validation negative ELBO in nats
    per epoch (``y_val``: its labels, for the conditional VAE). ``seconds``
    caps the wall-clock time; ``decay`` anneals the learning rate over
    ``epochs`` or ``seconds`` (:class:`CosineDecay`).
    Returns a :class:`helpers.training.TrainResult`.
    """
    from ...datasets import image_batches, to_float

    conditional = bool(model.num_classes)
    if conditional and y_train is None:
        raise ValueError("a conditional VAE needs y_train")
    validation = None
    if x_val is not None:
        x_val = binarize(x_val, seed=seed) if model.binarize else to_float(x_val)
        validation = (x_val, np.asarray(y_val)) if conditional else (x_val,)
    data = image_batches(x_train, np.asarray(y_train) if conditional else None, batch_size=batch_size, seed=seed)
    base = float(ops.convert_to_numpy(model.optimizer.learning_rate))
    schedule = [CosineDecay(epochs, seconds, base=base)] if decay else []
    return training.fit(model, data, name=type(model).__name__, epochs=epochs, seconds=seconds,
                        batch_size=batch_size, validation_data=validation, verbose=verbose,
                        callbacks=[*schedule, *callbacks], backup_dir=backup_dir, progress=progress)


def train_vae(x_train, y_train=None, x_val=None, y_val=None, latent_dim: int = 32, hidden=(512, 256),
              beta: float = 1.0, conditional: bool = False, learning_rate: float = 2e-3, epochs: int | None = 10,
              batch_size: int = 128, seconds: float | None = None, seed: int = 0, store: str | None = None,
              retrain: bool | None = None, verbose=0, progress: bool = False):
    """Build, compile and train a :class:`VAE` (or :class:`ConditionalVAE`); ``store="name"`` keeps it.

    ``x_val``/``y_val`` are the validation images (and labels) scored after every epoch. Every
    argument and a fingerprint of the data (training and validation) are part of the store's key,
    so another split trains a new model (chapter 04).
    """
    from ... import store as model_store

    def build():
        cls = ConditionalVAE if conditional else VAE
        return compile_vae(cls(latent_dim=latent_dim, hidden=hidden, beta=beta, seed=seed), learning_rate)

    def fit(model, backup_dir=None):
        return fit_vae(model, x_train, y_train if conditional else None, x_val, y_val, epochs=epochs,
                       batch_size=batch_size, seconds=seconds, seed=seed, verbose=verbose, backup_dir=backup_dir,
                       progress=(store or type(model).__name__) if progress else None)

    data = model_store.fingerprint(x_train, y_train if conditional else None, x_val, y_val)
    settings = {"data": data, "epochs": epochs, "batch_size": batch_size, "seconds": seconds}
    return model_store.train_or_load(store, build, fit, settings, seed=seed, retrain=retrain)


def measure_throughput(model, x, batch_size: int = 128, steps: int = 30) -> float:
    """Training images per second of a compiled model (after one warm-up step), on this machine now.

    Not called by a chapter: use it to check chapter 04's images-per-second comparison (section 4) here.
    """
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


def _settings(conditional: bool) -> dict:
    return CVAE_SETTINGS if conditional else VAE_SETTINGS


def build_recipe_model(seed: int = 0, conditional: bool = False):
    """The registry's ``vae`` / ``cvae`` (chapters 04 and 06), with :data:`VAE_SETTINGS` / :data:`CVAE_SETTINGS`."""
    settings = _settings(conditional)
    cls = ConditionalVAE if conditional else VAE
    return compile_vae(cls(latent_dim=settings["latent_dim"], hidden=settings["hidden"], seed=seed),
                       settings["learning_rate"])


def fit_recipe_model(model, x_train, y_train=None, seconds=None, seed=0, backup_dir=None):
    """Train a recipe model with its settings, or for ``seconds`` (the registry's ``vae`` / ``cvae``; chapter 06)."""
    settings = _settings(bool(model.num_classes))
    return fit_vae(model, x_train, y_train if model.num_classes else None,
                   epochs=settings["epochs"] if seconds is None else None, batch_size=settings["batch_size"],
                   seconds=seconds, seed=seed, backup_dir=backup_dir, progress=type(model).__name__)


def generate_recipe_samples(model, n, seed=0, labels=None):
    """``n`` uint8 samples (and their labels for the conditional VAE: 0..9 in turn unless given; chapter 06)."""
    from ...datasets import to_uint8

    if model.num_classes:
        if labels is None:
            labels = np.arange(n) % model.num_classes
        labels = np.asarray(labels, np.int32)
        return to_uint8(model.sample(n, labels=labels, seed=seed)), labels
    return to_uint8(model.sample(n, seed=seed)), None
