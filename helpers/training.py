"""Training runs that return what happened: budgets, a NaN guard, resumable backups (all chapters).

Every model in the course trains through :func:`fit`, which wraps Keras's
``model.fit`` with the same few callbacks and returns a :class:`TrainResult`
(the model plus batches, seconds, images/s and the history). The benchmark,
the CLI, the widgets and the chapters read that result; nothing is stuck onto
the model or the Keras ``History`` afterwards.

* :class:`TimeBudget` stops training after a wall-clock budget, so "quality
  after 5 CPU-minutes" is a measurable setting.
* :class:`Recorder` counts batches and seconds and keeps every batch's losses.
* :class:`DivergenceGuard` stops a run whose loss became NaN or infinite and
  raises :class:`TrainingDiverged` with the model's name and what to change;
  :mod:`helpers.store` never caches such a model.
* ``backup_dir`` adds Keras's ``BackupAndRestore``: a killed or disconnected
  run continues from its last epoch when it is started again.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path

import keras
import numpy as np

from .atomic import write_atomically
from .errors import TrainingDiverged
from .memory import release_free_memory
from .results import TrainResult

__all__ = ["TrainResult", "TrainingDiverged", "TimeBudget", "Recorder", "DivergenceGuard", "fit"]


class TimeBudget(keras.callbacks.Callback):
    """Stop training once ``seconds`` of wall-clock time have passed (checked every batch).

    ``already`` counts seconds spent before a resumed run, so a run that was
    interrupted and continued still trains for ``seconds`` in all.
    Added by :func:`fit` to every run, a limit only when ``seconds`` is given (chapters 01-06).
    """

    def __init__(self, seconds: float | None, already: float = 0.0):
        super().__init__()
        self.seconds, self.already = seconds, float(already)
        self.elapsed = self.already
        self.epochs_done = 0.0

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        self._epoch, self._batch = 0, 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch, self._batch = epoch, 0

    def on_train_batch_end(self, batch, logs=None):
        self._batch = batch + 1
        self.elapsed = self.already + time.perf_counter() - self.start
        if self.seconds is not None and self.elapsed >= self.seconds:
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.elapsed = self.already + time.perf_counter() - self.start
        steps = (self.params or {}).get("steps")
        # whole epochs finished plus the fraction of the interrupted one
        self.epochs_done = self._epoch + (self._batch / steps if steps else 1.0)


class Recorder(keras.callbacks.Callback):
    """Batches, seconds and every batch's logs of a run (``state`` carries them over a resume).

    Added by :func:`fit` to every run (chapters 01-06).
    """

    def __init__(self, state: dict | None = None):
        super().__init__()
        state = state or {}
        self.batches = int(state.get("batches", 0))
        self.seconds_before = float(state.get("seconds", 0.0))
        self.first_batch_seconds = state.get("first_batch_seconds")
        self.logs = {k: list(v) for k, v in state.get("logs", {}).items()}
        self.seconds = self.seconds_before

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1
        self.seconds = self.seconds_before + time.perf_counter() - self.start
        if self.first_batch_seconds is None:
            self.first_batch_seconds = self.seconds
        for k, v in (logs or {}).items():
            if np.ndim(v) == 0:
                self.logs.setdefault(k, []).append(float(v))

    def on_train_end(self, logs=None):
        self.seconds = self.seconds_before + time.perf_counter() - self.start

    def state(self) -> dict:
        return {"batches": self.batches, "seconds": self.seconds, "first_batch_seconds": self.first_batch_seconds,
                "logs": self.logs}


class ReleaseMemory(keras.callbacks.Callback):
    """Return free memory to the system at epoch ends, at most every ``every`` seconds (:mod:`helpers.memory`).

    Each epoch's validation and data pipeline free large buffers; trimming them before the next epoch keeps
    a run's peak near what it holds, not what it once held. Added by :func:`fit` to every run (chapters 01-07).
    """

    def __init__(self, every: float = 5.0):
        super().__init__()
        self.every, self.last = every, time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if time.perf_counter() - self.last >= self.every:
            release_free_memory()
            self.last = time.perf_counter()


class DivergenceGuard(keras.callbacks.Callback):
    """Raise :class:`TrainingDiverged` as soon as a logged loss is NaN or infinite.

    Keras's ``TerminateOnNaN`` only stops quietly; the course also has to say
    which model failed and what to change, and make sure nothing is cached.
    Added by :func:`fit` to every run (chapters 01-06).
    """

    def __init__(self, name: str, hint: str = "lower the learning rate (learning_rate=...) and train again"):
        super().__init__()
        self.name, self.hint = name, hint
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1
        for key, value in (logs or {}).items():
            if np.ndim(value) == 0 and not math.isfinite(float(value)):
                self.model.stop_training = True
                raise TrainingDiverged(f"{self.name} diverged: {key} became {float(value)} after "
                                       f"{self.batches} batches; {self.hint}. Nothing was cached.")


class _SaveRecorderState(keras.callbacks.Callback):
    """Write the recorder's counts beside Keras's backup at every epoch end (read back on resume)."""

    def __init__(self, recorder: Recorder, path: Path):
        super().__init__()
        self.recorder, self.path = recorder, path

    def on_epoch_end(self, epoch, logs=None):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        state = json.dumps({"epoch": epoch + 1, **self.recorder.state()}).encode()
        write_atomically(self.path, lambda fh: fh.write(state))


def _resume_state(backup_dir: Path) -> dict:
    """The recorder state of an interrupted run, when Keras's backup of the same epoch exists."""
    try:
        state = json.loads((backup_dir / "recorder.json").read_text())
        keras_meta = json.loads((backup_dir / "training_metadata.json").read_text())
        return state if state.get("epoch") == keras_meta.get("epoch") else {}
    except (OSError, ValueError):
        return {}


def fit(model, x, y=None, *, name: str | None = None, seconds: float | None = None, epochs: int | None = None,
        steps: int | None = None, batch_size: int | None = None, callbacks=(), backup_dir=None,
        progress: str | None = None, grid=None, hint: str | None = None, verbose=0, **fit_kwargs) -> TrainResult:
    """Train ``model`` with ``model.fit`` and return a :class:`TrainResult` (chapters 01-06).

    ``x`` is an array (then ``batch_size`` is passed to Keras) or a batched
    ``tf.data.Dataset`` (give ``batch_size`` for the images/s count).
    ``seconds`` caps wall-clock time (``epochs`` then defaults to "until the
    budget ends"); ``steps`` trains exactly that many batches (one long epoch
    of a repeated dataset). ``backup_dir`` makes the run resumable.
    ``progress="title"`` shows the live progress line in a notebook (with the
    newest frame of ``grid``, a GAN's ``SampleGrid``).
    """
    name = name or getattr(model, "name", "model")
    if steps is not None:
        epochs, fit_kwargs["steps_per_epoch"] = 1, int(steps)
    elif epochs is None:
        epochs = 10_000 if seconds is not None else 1
    resumed = _resume_state(Path(backup_dir)) if backup_dir else {}
    recorder = Recorder(resumed)
    budget = TimeBudget(seconds, already=recorder.seconds_before)
    extra = []
    if backup_dir:
        extra = [keras.callbacks.BackupAndRestore(str(backup_dir)),
                 _SaveRecorderState(recorder, Path(backup_dir) / "recorder.json")]
    if progress:
        from .ui.progress import LiveProgress  # a notebook display; silent elsewhere

        extra.append(LiveProgress(batch_size or 0, seconds=seconds, steps=steps, grid=grid, title=progress))
    guard = DivergenceGuard(name, hint or "lower the learning rate (learning_rate=...) and train again")
    if y is not None:
        fit_kwargs["y"] = y
    if _is_dataset(x):
        fit_kwargs.setdefault("shuffle", False)  # a tf.data pipeline shuffles itself
    elif batch_size is not None:
        fit_kwargs["batch_size"] = batch_size
    try:
        history = model.fit(x, epochs=epochs, verbose=verbose, callbacks=[guard, budget, recorder, ReleaseMemory(), *extra,
                                                                          *callbacks], **fit_kwargs)
    except TrainingDiverged:
        if backup_dir:  # a backup of a diverging run must not be resumed
            shutil.rmtree(backup_dir, ignore_errors=True)
        raise
    if backup_dir:
        shutil.rmtree(backup_dir, ignore_errors=True)  # finished: Keras removed its files, ours go too
    release_free_memory()  # what the run freed goes back to the system (helpers.memory)
    return TrainResult(model=model, batches=recorder.batches, seconds=recorder.seconds,
                       epochs=budget.epochs_done, batch_size=batch_size,
                       first_batch_seconds=recorder.first_batch_seconds,
                       history={k: [float(v) for v in vs] for k, vs in history.history.items()},
                       batch_history=recorder.logs)


def _is_dataset(x) -> bool:
    return type(x).__module__.startswith("tensorflow") and hasattr(x, "element_spec")
