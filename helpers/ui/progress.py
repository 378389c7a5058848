"""Live training progress in a notebook (chapters 02-05): one updating line of numbers and, for GANs, the newest samples.

Keras's own progress bar prints a line per epoch, which says nothing during a
90-second GAN run that ends mid-epoch. :class:`LiveProgress` shows elapsed
time against the budget, batches, images/s and the latest metrics, refreshed
at most every ``every_seconds``; given a :class:`helpers.models.gan.SampleGrid`
it also shows the grid's newest frame, so learners watch digits appear.
Outside a Jupyter kernel it stays silent (scripts and the benchmark log their own).
"""

from __future__ import annotations

import html
import time

import keras
import numpy as np

from .images import mosaic_png

SAMPLE_COLUMNS = 20  # the newest samples are shown in rows of this many


def format_line(elapsed: float, batches: int, images: int, logs: dict, seconds: float | None = None,
                steps: int | None = None) -> str:
    """``"45 / 90 s · 412 batches · 1,170 images/s · d_loss 0.612 · g_loss 1.05"`` (chapters 02-05)."""
    parts = [f"{elapsed:.0f} / {seconds:g} s" if seconds else f"{elapsed:.0f} s",
             f"{batches:,}" + (f" / {steps:,}" if steps else "") + " batches",
             f"{images / max(elapsed, 1e-9):,.0f} images/s"]
    parts += [f"{k} {float(v):.3g}" for k, v in logs.items()]
    return " · ".join(parts)


class LiveProgress(keras.callbacks.Callback):
    """Notebook progress for time-budgeted training (chapters 02-05; see the module docstring).

    ``batch_size`` converts batches to images/s; ``grid`` (optional) is a
    ``SampleGrid`` whose frames are shown as they are recorded.
    """

    def __init__(self, batch_size: int, seconds: float | None = None, steps: int | None = None, grid=None,
                 title: str = "training", every_seconds: float = 0.5, show: bool | None = None):
        super().__init__()
        from ..cache_control import in_notebook

        self.batch_size, self.seconds, self.steps, self.grid = batch_size, seconds, steps, grid
        self.title, self.every_seconds = title, every_seconds
        self.show = in_notebook() if show is None else show
        self.lines: list[str] = []  # every line shown, for tests and for a final summary
        self._line = self._image = None

    def on_train_begin(self, logs=None):
        self._start, self._last, self._batches = time.perf_counter(), -1e9, 0
        if self.show:
            import ipywidgets as w
            from IPython.display import display

            self._line = w.HTML(f"<code>{html.escape(self.title)}: starting (the first batch builds the graph)…</code>")
            self._image = w.Image(format="png")
            self._image.layout.display = "none"
            display(w.VBox([self._line, self._image]))
        self._logs = {}
        if self.grid is not None:
            self._previous_on_record = previous = self.grid.on_record

            def on_record(frame, step):
                if previous is not None:
                    previous(frame, step)
                if self._image is not None:
                    self._image.value = mosaic_png(frame, ncols=SAMPLE_COLUMNS, pad=0, vmax=255)
                    self._image.layout.display = ""
            self.grid.on_record = on_record

    def _update(self, logs, force=False):
        now = time.perf_counter()
        if not force and now - self._last < self.every_seconds:
            return
        self._last = now
        logs = {k: v for k, v in (logs or {}).items() if np.ndim(v) == 0}
        line = format_line(now - self._start, self._batches, self._batches * self.batch_size, logs,
                           self.seconds, self.steps)
        self.lines.append(line)
        if self._line is not None:
            self._line.value = f"<code>{html.escape(self.title)}: {html.escape(line)}</code>"

    def on_train_batch_end(self, batch, logs=None):
        self._batches += 1
        self._logs = logs or self._logs
        self._update(self._logs)

    def on_train_end(self, logs=None):
        self._update(self._logs, force=True)
        if self.grid is not None:
            self.grid.on_record = self._previous_on_record
        if self._line is not None:
            self._line.value = self._line.value.replace("</code>", " · done</code>")
