"""Training utilities shared by all models: time budgets and a model cache.

* :class:`TimeBudget` stops ``fit`` after a wall-clock budget, so "quality
  after 5 CPU-minutes" is a measurable, reproducible setting.
* :func:`load_or_train` reuses a trained model from the git-ignored cache
  (``helpers.runtime.cache_dir``) so a class can run a chapter in minutes,
  and retrains on request (a toggle in the notebook, see
  :mod:`helpers.cache_control`).
"""

from __future__ import annotations

import json
import time
import warnings
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


def _split_arrays(info: dict) -> tuple[dict, dict]:
    """Numpy arrays of ``info`` (e.g. frames of a training animation) go to an .npz, the rest to JSON."""
    import numpy as np

    arrays = {k: v for k, v in info.items() if isinstance(v, np.ndarray)}
    return {k: v for k, v in info.items() if k not in arrays}, arrays


def describe_cached(path: Path, meta: dict) -> str:
    """Short text for the cache control: when it was trained and for how long."""
    parts = []
    if meta.get("saved_at"):
        parts.append(f"trained {meta['saved_at']}")
    if meta.get("train_seconds") is not None:
        parts.append(f"in {float(meta['train_seconds']):.0f} s")
    return " ".join(parts + [f"· {path.name}"])


def load_or_train(name: str, build, train, retrain: bool | None = None, verbose: bool = True,
                  control: bool = True):
    """Return ``(model, info)``: cached weights when present, else ``train(model)``.

    ``build()`` must return a *built* model (variables created, e.g. by calling
    it once on a dummy batch) so weights can be loaded into it. ``train(model)``
    fits it and may return a dict (e.g. the history), stored next to the
    weights (numpy arrays in an ``.npz``) and returned as ``info`` on later loads.

    ``retrain=None`` lets the cell's "reuse cached model / retrain" toggle
    decide (:mod:`helpers.cache_control`, shown in notebooks when ``control``),
    which defaults to reuse when a cache exists; True or False force it.
    """
    import datetime

    import numpy as np

    from . import cache_control

    path = model_path(name)
    meta_path = path.with_suffix("").with_suffix(".json")
    arrays_path = path.with_suffix("").with_suffix(".npz")
    cached = None
    if path.exists():
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        cached = describe_cached(path, meta)
    model = build()
    if not cache_control.decide_retrain(name, cached, retrain, show=control):
        try:
            with warnings.catch_warnings():  # the optimiser's saved state is not needed to use the model
                warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
                model.load_weights(path)
        except (ValueError, OSError) as exc:  # settings changed but the name did not, or a broken file
            print(f"{name}: the cached weights cannot be loaded into this model ({exc}); training a new one.")
            return load_or_train(name, build, train, retrain=True, verbose=verbose, control=False)
        info = dict(meta)
        if arrays_path.exists():
            with np.load(arrays_path) as stored:
                info.update({k: stored[k] for k in stored.files})
        info["source"] = f"loaded from cache {path}"
        if verbose:
            print(f"{name}: reused the cached model ({cached}); choose 'retrain' (or retrain=True) to train again.")
        return model, info
    start = time.perf_counter()
    result = train(model) or {}
    info = dict(result) if isinstance(result, dict) else {}
    info["train_seconds"] = round(time.perf_counter() - start, 1)
    info["saved_at"] = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    meta, arrays = _split_arrays(info)
    partial = path.with_name(path.name.replace(".weights.h5", ".part.weights.h5"))
    model.save_weights(partial)  # then rename: an interrupted save never leaves a broken cache
    partial.replace(path)
    meta_path.write_text(json.dumps(meta, default=_to_json))
    if arrays:
        np.savez_compressed(arrays_path, **arrays)
    elif arrays_path.exists():
        arrays_path.unlink()
    cache_control.report_trained(name, info["train_seconds"], path.name)
    info["source"] = "trained now"
    return model, info


def _to_json(value):
    """JSON for numpy scalars and small arrays inside histories."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return float(value)


class FitRecord:
    """What a chapter needs from a (possibly cached) training run: ``history`` (per-epoch lists),
    ``budget`` (seconds, epochs, images/s of the run that trained it) and ``source``."""

    def __init__(self, history: dict, budget: dict, source: str):
        self.history, self.budget, self.source = history, budget, source

    def __repr__(self):
        return f"FitRecord(source={self.source!r}, budget={self.budget})"


def cached_fit(name: str, build, fit, retrain: bool | None = None, verbose: bool = True):
    """:func:`load_or_train` for the chapters' ``fit_*`` helpers, which return a Keras ``History``.

    ``fit(model)`` trains and returns the History (with the ``budget`` dict the
    course's fit helpers attach); the result is ``(model, FitRecord)`` whether
    the model was trained now or loaded, so the cells below read
    ``record.history[...]`` and ``record.budget[...]`` either way.
    """
    def train(model):
        history = fit(model)
        return {"history": dict(history.history), "budget": dict(getattr(history, "budget", {}))}

    model, info = load_or_train(name, build, train, retrain=retrain, verbose=verbose)
    return model, FitRecord(info.get("history", {}), info.get("budget", {}), info["source"])
