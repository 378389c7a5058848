"""The "reuse cached model / retrain" control shown by every training cell.

A class can run a chapter in minutes when trained models are reused, while a
learner who changed a setting wants to train again. Each cached model gets
one toggle, remembered by name across re-runs of its cell:

* it defaults to **reuse cached model** when a cache exists (else it trains);
* pick **retrain** and re-run the cell to train a fresh model; afterwards the
  toggle goes back to *reuse*, so running the notebook again does not repeat
  a long training by accident;
* ``retrain=True/False`` in code, or ``COURSE_RETRAIN=1`` in the environment
  (instructors preparing a class, CI), overrides the toggle.

Outside a Jupyter kernel (scripts, tests) nothing is displayed; the same rules
decide.
"""

from __future__ import annotations

import html
import os

RETRAIN_ENV = "COURSE_RETRAIN"
REUSE, RETRAIN = "reuse cached model", "retrain"

_CHOICES: dict[str, CacheChoice] = {}


def in_notebook() -> bool:
    """True inside a Jupyter kernel, where widgets can be displayed.

    Chapters 01-06: the store's retrain toggle and :class:`~helpers.ui.progress.LiveProgress`.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with Jupyter
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def env_forces_retrain() -> bool:
    """True when ``COURSE_RETRAIN`` is set to 1/true/yes (train every model again).

    Read by :func:`decide_retrain` (chapters 01-06).
    """
    return os.environ.get(RETRAIN_ENV, "").strip().lower() in {"1", "true", "yes"}


class CacheChoice:
    """One model's toggle: ``value`` is :data:`REUSE` or :data:`RETRAIN`; ``widget`` shows it with a status line.

    Shown by every training cell of chapters 01-06 (through :mod:`helpers.store`).
    """

    def __init__(self, name: str):
        self.name = name
        self.value = REUSE
        self.status_text = ""
        self._toggle = self._status = self.widget = None

    # -- widget (built lazily: scripts and tests never import ipywidgets) ---
    def build_widget(self):
        if self.widget is None:
            import ipywidgets as w

            self._toggle = w.ToggleButtons(options=[REUSE, RETRAIN], value=self.value,
                                           tooltips=["load the model trained earlier (seconds)",
                                                     "train a new model when this cell is re-run"],
                                           style={"button_width": "180px"})
            self._toggle.observe(self._on_toggle, names="value")
            self._status = w.HTML()
            self.widget = w.VBox([w.HBox([w.HTML(f"<b>{html.escape(self.name)}</b>&nbsp;"), self._toggle]),
                                  self._status])
            self._sync()
        return self.widget

    def _on_toggle(self, change):
        self.value = change["new"]
        if self.value == RETRAIN:
            self.set_status("re-run this cell (Shift+Enter) to train a new model; cells below use it once re-run")

    def _sync(self):
        if self._toggle is not None:
            self._toggle.value = self.value
            self._status.value = f"<small>{html.escape(self.status_text)}</small>"

    def set_value(self, value: str):
        if value not in (REUSE, RETRAIN):
            raise ValueError(f"value must be {REUSE!r} or {RETRAIN!r}, not {value!r}")
        self.value = value
        self._sync()

    def set_status(self, text: str):
        self.status_text = text
        self._sync()


def choice(name: str) -> CacheChoice:
    """The toggle of model ``name`` (created on first use, then remembered for the session).

    Called by :func:`decide_retrain` and :func:`report_trained` (chapters 01-06).
    """
    if name not in _CHOICES:
        _CHOICES[name] = CacheChoice(name)
    return _CHOICES[name]


def decide_retrain(name: str, cached: str | None, retrain: bool | None = None, show: bool = True) -> bool:
    """Whether to train model ``name`` now, and show its toggle in a notebook.

    ``cached``: a short description of the cached model (None when there is
    none). ``retrain``: True/False force the decision; None asks the toggle,
    which defaults to reuse. ``COURSE_RETRAIN=1`` forces training.
    :func:`helpers.store.trained` calls it for every stored model of chapters 01-06.
    """
    first_use = name not in _CHOICES
    control = choice(name)
    if retrain is None and env_forces_retrain():
        retrain = True
    if retrain is not None:
        control.set_value(RETRAIN if retrain else REUSE)
    elif first_use:
        control.set_value(REUSE)
    train_now = cached is None or control.value == RETRAIN
    if cached is None:
        control.set_status("no cached model yet: training one now (it is cached for the next run)")
    elif train_now:
        control.set_status(f"retraining now (replacing the cached model: {cached})")
    else:
        control.set_status(f"reusing the cached model ({cached}); pick 'retrain' and re-run to train again")
    if show and in_notebook():
        from IPython.display import display

        display(control.build_widget())
    return train_now


def report_trained(name: str, seconds: float, where: str):
    """After training: say so, and turn the toggle back to reuse (the new model is now the cache).

    Called by :func:`helpers.store.trained` (chapters 01-06).
    """
    control = choice(name)
    control.set_value(REUSE)
    control.set_status(f"trained now in {seconds:.0f} s and cached ({where}); re-running this cell reuses it")


def forget():
    """Drop all remembered toggles; a fresh kernel does this by itself (tests)."""
    _CHOICES.clear()
