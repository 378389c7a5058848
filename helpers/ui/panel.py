"""One "train on click" panel: controls, a Train button, a one-line status and an output area.

:class:`TrainPanel` is used as is in chapter 02 and is the base of
:class:`helpers.ui.latent.RetrainPanel` (chapters 03, 04) and
:class:`helpers.ui.gan.TrainAndWatch` (chapter 05). Nothing trains when the
cell that builds a panel runs (nbval, "run all"): only a click, or
:meth:`TrainPanel.run`, trains.
"""

from __future__ import annotations

import html

MAX_ERROR_CHARS = 200


def error_line(exc: BaseException, limit: int = MAX_ERROR_CHARS) -> str:
    """``"ValueError: the first line of the message"``, at most ``limit`` characters (chapters 02-05)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_value(value) -> str:
    """Numbers with 4 significant digits, anything else as ``str`` (the panels' status lines, chapters 02-05)."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class TrainPanel:
    """Controls + a Train button: ``train(**values)`` runs only when the button is clicked (chapter 02).

    ``controls`` maps names to ipywidgets value widgets (sliders, dropdowns,
    checkboxes); a click calls ``train`` with their current values by name.
    While it trains, ``busy`` is True and the button is disabled; what
    ``train`` prints or displays goes to ``output``. The one-line ``status``
    then shows ``run N: ...`` (the returned dict's items, or the returned
    string), and the result is appended to ``results``. An exception raised
    by ``train`` (a diverged model, a bad setting) becomes a one-line
    ``failed: ...`` status, is kept in ``error``, and does not escape the click.

    Subclasses change what a run records and shows by overriding
    :meth:`_summarise` (the value kept in ``results``), :meth:`_show` (update
    their own widgets), :meth:`_describe` (the status text) and
    :meth:`_layout` (the widgets, top to bottom).
    """

    def __init__(self, train, controls: dict | None = None, button_text: str = "Train",
                 idle_text: str | None = None):
        import ipywidgets as w

        self.train_fn = train
        self.controls = dict(controls or {})
        for name, control in self.controls.items():
            if not getattr(control, "description", None):
                control.description = name
        # Wide enough for its label ("Train and compare" does not fit ipywidgets' 148 px default).
        self.button = w.Button(description=button_text, button_style="primary", icon="play",
                               layout=w.Layout(width="auto", min_width="148px"))
        self.status = w.HTML(idle_text or f"Not trained yet: set the controls and click <b>{html.escape(button_text)}</b> "
                                          "(nothing trains until you do).")
        self.output = w.Output()
        self.results: list = []
        self.busy = False
        self.error: Exception | None = None
        self.button.on_click(lambda _: self.click())
        self.widget = w.VBox(self._layout())

    # -- layout and hooks (subclasses override) -------------------------------------------------
    def _layout(self) -> list:
        import ipywidgets as w

        row = w.HBox([*self.controls.values(), self.button], layout=w.Layout(flex_flow="row wrap"))
        return [row, self.status, self.output]

    def _summarise(self, values: dict, result):
        """What one run keeps in ``results`` (default: what ``train`` returned)."""
        return result

    def _show(self, summary) -> None:
        """Update the panel's own widgets after a run (default: nothing beyond the status)."""

    def _describe(self, summary) -> str:
        """The status text after a run, as HTML (default: the dict's items, or the string)."""
        if isinstance(summary, dict):
            return html.escape(" · ".join(f"{k}: {format_value(v)}" for k, v in summary.items()))
        return html.escape(str(summary))

    # -- state and actions --------------------------------------------------------------------------
    @property
    def values(self) -> dict:
        """The controls' current values by name."""
        return {name: control.value for name, control in self.controls.items()}

    def _apply(self, overrides: dict) -> dict:
        """Move the controls to ``overrides``; return the values to train with.

        A value a control cannot show (not among a dropdown's options) is still
        used for this run; an unknown name is a ``KeyError``.
        """
        from traitlets import TraitError

        unknown = [name for name in overrides if name not in self.controls]
        if unknown:
            raise KeyError(f"no control named {', '.join(map(repr, unknown))}; controls: {', '.join(self.controls)}")
        for name, value in overrides.items():
            try:
                self.controls[name].value = value
            except TraitError:
                pass
        return {**self.values, **overrides}

    def _call_train(self, values: dict):
        # Not `with output: return train()`: inside a kernel, ipywidgets' Output swallows an exception
        # raised in its block (it prints the traceback there), so the error is carried out by hand.
        failure = result = None
        with self.output:
            try:
                result = self.train_fn(**values)
            except Exception as exc:  # re-raised below, outside the Output context
                failure = exc
        if failure is not None:
            raise failure
        return result

    def run(self, **overrides):
        """Train once with the controls' values (``overrides`` move the controls first); return the summary.

        Errors are shown in the status line and re-raised (a click, :meth:`click`, keeps them there).
        """
        values = self._apply(overrides)
        settings = ", ".join(f"{k}={format_value(v)}" for k, v in values.items())
        self.busy, self.button.disabled, self.error = True, True, None
        self.status.value = f"training{' with ' + html.escape(settings) if settings else ''} …"
        try:
            summary = self._summarise(values, self._call_train(values))
            self.results.append(summary)
            self._show(summary)
        except Exception as exc:
            self.error = exc
            self.status.value = f"<span style='color:#b00'>failed: {html.escape(error_line(exc))}</span>"
            raise
        finally:
            self.busy, self.button.disabled = False, False
        self.status.value = f"run {len(self.results)}: {self._describe(summary)}"
        return summary

    def click(self):
        """What the Train button does: :meth:`run`, with an error left as a one-line status, not a traceback.

        Returns the summary, or None when training failed (the exception is in ``error``).
        """
        if self.busy:
            return None
        try:
            return self.run()
        except Exception:
            return None
