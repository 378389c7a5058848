"""Training utilities shared by all models: time budgets and a model cache.

* :class:`TimeBudget` stops ``fit`` after a wall-clock budget, so "quality
  after 5 CPU-minutes" is a measurable, reproducible setting.
* :func:`load_or_train` reuses a trained model from the git-ignored cache
  (``helpers.runtime.cache_dir``) so a class can run a chapter in minutes,
  and retrains on request.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import keras

from .runtime import cache_dir


class TimeBudget(keras.callbacks.Callback):
    """Stop training once ``seconds`` of wall-clock time have passed (checked every batch)."""

    def __init__(self, seconds: float | None):
        super().__init__()
        self.seconds = seconds
        self.start = None
        self.elapsed = 0.0
        self.epochs_done = 0.0
        self.batches = 0  # over the whole fit
        self.first_batch_seconds = None  # graph tracing happens in the first batch

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        self._epoch, self._batch = 0, 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch, self._batch = epoch, 0

    def on_train_batch_end(self, batch, logs=None):
        self._batch = batch + 1
        self.batches += 1
        self.elapsed = time.perf_counter() - self.start
        if self.first_batch_seconds is None:
            self.first_batch_seconds = self.elapsed
        if self.seconds is not None and self.elapsed >= self.seconds:
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.elapsed = time.perf_counter() - self.start
        steps = (self.params or {}).get("steps")
        # whole epochs finished plus the fraction of the interrupted one
        self.epochs_done = self._epoch + (self._batch / steps if steps else 1.0)


def model_path(name: str) -> Path:
    """Cache file for the weights of model ``name`` (per mode, git-ignored)."""
    return cache_dir("models") / f"{name}.weights.h5"


def load_or_train(name: str, build, train, retrain: bool = False, verbose: bool = True):
    """Return ``(model, info)``: cached weights when present, else ``train(model)``.

    ``build()`` must return a *built* model (variables created, e.g. by calling
    it once on a dummy batch) so weights can be loaded into it. ``train(model)``
    fits it and may return a dict (e.g. the history), stored next to the
    weights and returned as ``info`` on later loads.
    """
    path = model_path(name)
    meta = path.with_suffix("").with_suffix(".json")
    model = build()
    if path.exists() and not retrain:
        model.load_weights(path)
        info = json.loads(meta.read_text()) if meta.exists() else {}
        info["source"] = f"loaded from cache {path}"
        if verbose:
            print(f"{name}: reused cached weights ({path}); pass retrain=True to train again.")
        return model, info
    start = time.perf_counter()
    result = train(model) or {}
    info = dict(result) if isinstance(result, dict) else {}
    info["train_seconds"] = round(time.perf_counter() - start, 1)
    model.save_weights(path)
    meta.write_text(json.dumps(info, default=float))
    info["source"] = "trained now"
    return model, info
