"""ipywidgets 7 (Google Colab ships 7.7) and 8 (everywhere else): the one place that knows their differences.

The course's widgets run on both (``make test-colab`` runs the widget tests and every notebook with
Colab's 7.7). Where the two APIs differ, the panels call a helper from here instead of testing the
version themselves:

* hover text of a slider, dropdown or checkbox: the trait is ``tooltip`` in 8 and
  ``description_tooltip`` in 7. Version 7 drops an unknown ``tooltip=`` with a warning; version 8
  still accepts ``description_tooltip`` but deprecates it. :func:`tooltip` gives the right keyword,
  :func:`tooltip_of` reads it back.
"""

from __future__ import annotations


def _has_tooltip_trait() -> bool:
    import ipywidgets as w

    return "tooltip" in w.DOMWidget.class_trait_names()  # ipywidgets >= 8


def tooltip(text: str) -> dict:
    """Keyword arguments giving a widget the hover text ``text`` on ipywidgets 7 and 8 (chapter 02).

    ``w.FloatSlider(description="rotation", **tooltip("max. rotation in degrees"))``.
    """
    return {"tooltip" if _has_tooltip_trait() else "description_tooltip": text}


def tooltip_of(widget) -> str | None:
    """The hover text a widget shows, whichever ipywidgets names it (chapter 02; the tests read it)."""
    name = "tooltip" if widget.has_trait("tooltip") else "description_tooltip"
    return getattr(widget, name, None)
