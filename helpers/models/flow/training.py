"""Training the flow models (chapter 07) and the registry's ``flow`` / ``cflow`` / ``pixel_cflow`` recipes.

:func:`compile_flow` (Adam), :func:`fit_flow` (the flow on its
space's points), :func:`fit_latent_flow` (the autoencoder first, then the flow on its codes, one budget for
both) and the recipe functions that :mod:`helpers.models.registry` lists.
"""

from __future__ import annotations

import time

import keras
import numpy as np

from ... import training
from ..autoencoder import compile_autoencoder, fit_autoencoder
from ..vae.training import CosineDecay
from .model import LatentFlow, PixelFlow


def compile_flow(model, learning_rate: float = 2e-3, jit_compile="auto", run_eagerly: bool = False):
    """Adam; the loss and the weight average are in the model's ``train_step`` (chapter 07).

    ``run_eagerly`` skips tracing the step: slower per batch, but a run of a few batches (a test) starts at once."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), jit_compile=False if run_eagerly else jit_compile,
                  run_eagerly=run_eagerly)
    return model


def point_batches(points, labels=None, batch_size: int = 256, seed: int = 0):
    """Shuffled float32 batches of the flow's points (and int32 labels), reshuffled each epoch (chapter 07)."""
    import tensorflow as tf

    points = np.asarray(points, np.float32)
    data = points if labels is None else (points, np.asarray(labels, np.int32))
    ds = tf.data.Dataset.from_tensor_slices(data).shuffle(len(points), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def fit_flow(model, points, labels=None, epochs: int | None = 10, seconds: float | None = None,
             batch_size: int = 256, seed: int = 0, decay: bool = True, backup_dir=None, progress=None):
    """Train the flow on ``points`` already in its space (``model.to_space``); returns a TrainResult (chapter 07)."""
    if model.num_classes and labels is None:
        raise ValueError("a conditional flow needs labels")
    data = point_batches(points, labels if model.num_classes else None, batch_size, seed)
    schedule = [CosineDecay(epochs if seconds is None else None, seconds)] if decay else []
    return training.fit(model, data, name=type(model).__name__, epochs=epochs, seconds=seconds,
                        batch_size=batch_size, callbacks=schedule, backup_dir=backup_dir, progress=progress,
                        hint="lower the learning rate (learning_rate=...) and train again")


def fit_latent_flow(model: LatentFlow, x_train, y_train=None, ae_epochs: int | None = 8, epochs: int | None = 30,
                    seconds: float | None = None, ae_share: float = 0.3, batch_size: int = 256, seed: int = 0,
                    backup_dir=None, progress=None):
    """The autoencoder for ``ae_epochs`` (or ``ae_share`` of ``seconds``), then the flow on its codes (§6).

    One budget covers both stages; the returned TrainResult is the flow's, with the autoencoder's stage in
    ``extras`` (its seconds and final loss)."""
    start = time.perf_counter()
    ae = model.autoencoder
    ae.trainable = True
    try:
        ae_result = fit_autoencoder(compile_autoencoder(ae, 2e-3), x_train, epochs=None if seconds else ae_epochs,
                                    batch_size=128, seconds=None if seconds is None else ae_share * seconds,
                                    progress=f"{progress} (autoencoder)" if progress else None)
    finally:
        ae.trainable = False  # the flow's optimiser (and its weight EMA) must not touch the decoder
    points = model.fit_code_statistics(x_train)
    left = None if seconds is None else max(1.0, seconds - (time.perf_counter() - start))
    result = fit_flow(model, points, y_train, epochs=None if seconds else epochs, seconds=left,
                      batch_size=batch_size, seed=seed, backup_dir=backup_dir, progress=progress)
    result.extras["autoencoder_seconds"] = np.float64(ae_result.seconds)
    result.extras["total_seconds"] = np.float64(time.perf_counter() - start)
    result.extras["autoencoder_loss"] = np.float64(ae_result.history.get("loss", [np.nan])[-1])
    return result


# ------------------------------------------------------------------ registry
#: Full-mode recipe settings, chosen for quality per CPU-minute on 2 cores (chapter 07 §6-§7).
LATENT_SETTINGS = {"latent_dim": 32, "width": 256, "blocks": 4, "learning_rate": 2e-3, "ema": 0.999,
                   "batch_size": 256, "ae_epochs": 8, "epochs": 30, "ae_share": 0.4}
PIXEL_SETTINGS = {"width": 32, "learning_rate": 2e-3, "ema": 0.999, "batch_size": 128, "epochs": 5}
#: Default sampling settings of the recipes (the benchmark's rows): Euler steps and guidance scale.
SAMPLING = {"steps": 20, "guidance": 1.25, "sampler": "euler"}


def build_recipe_model(space: str = "latent", conditional: bool = True, seed: int = 0):
    """The registry's ``flow`` / ``cflow`` (latent) and ``pixel_cflow`` (chapters 07 and 06)."""
    num_classes = 10 if conditional else None
    if space == "latent":
        s = LATENT_SETTINGS
        model = LatentFlow(latent_dim=s["latent_dim"], width=s["width"], blocks=s["blocks"],
                           num_classes=num_classes, ema=s["ema"], seed=seed)
    elif space == "pixel":
        s = PIXEL_SETTINGS
        model = PixelFlow(width=s["width"], num_classes=num_classes, ema=s["ema"], seed=seed)
    else:
        raise ValueError(f"space must be 'latent' or 'pixel', got {space!r}")
    return compile_flow(model, s["learning_rate"])


def fit_recipe_model(model, x_train, y_train=None, seconds=None, seed=0, backup_dir=None):
    """Train a recipe flow with its settings, or for ``seconds`` in all (the registry's flows; chapter 06)."""
    labels = y_train if model.num_classes else None
    if isinstance(model, LatentFlow):
        s = LATENT_SETTINGS
        return fit_latent_flow(model, x_train, labels, ae_epochs=s["ae_epochs"], epochs=s["epochs"], seconds=seconds,
                               ae_share=s["ae_share"], batch_size=s["batch_size"], seed=seed,
                               backup_dir=backup_dir, progress=type(model).__name__)
    s = PIXEL_SETTINGS
    return fit_flow(model, model.to_space(x_train), labels, epochs=None if seconds else s["epochs"], seconds=seconds,
                    batch_size=s["batch_size"], seed=seed, backup_dir=backup_dir, progress=type(model).__name__)


def generate_recipe_samples(model, n, seed=0, labels=None, **sampling):
    """``n`` uint8 samples with :data:`SAMPLING` (labels 0..9 in turn for a conditional flow; chapter 06)."""
    from ...datasets import to_uint8

    settings = {**SAMPLING, **sampling}
    if not model.num_classes:
        if labels is not None:
            raise ValueError("this flow is unconditional: it cannot generate a requested label")
        settings["guidance"] = 1.0
        return to_uint8(model.sample(n, seed=seed, **settings)), None
    labels = np.arange(n) % model.num_classes if labels is None else np.asarray(labels, np.int32)
    return to_uint8(model.sample(n, labels=labels, seed=seed, **settings)), labels
