"""helpers.ui.compat: one spelling for traits that ipywidgets 7 (Colab) and 8 name differently.

These tests run in both environments: ``make test`` (ipywidgets 8) and ``make test-colab`` (7.7).
"""

import warnings

import ipywidgets as w
import pytest

from helpers.augment import TRANSFORMS
from helpers.ui import augmentation as A
from helpers.ui.compat import tooltip, tooltip_of

MAJOR = int(w.__version__.split(".")[0])


def _widget_warnings(record):
    return [str(r.message) for r in record if "tooltip" in str(r.message) or "unrecognized" in str(r.message)]


@pytest.mark.parametrize("cls", [w.FloatSlider, w.IntSlider, w.Dropdown, w.Checkbox], ids=lambda c: c.__name__)
def test_tooltip_reaches_the_widget_without_a_warning(cls):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        widget = cls(description="x", **tooltip("hover text"))
        assert tooltip_of(widget) == "hover text"
    assert _widget_warnings(record) == []


def test_tooltip_uses_the_name_of_the_running_ipywidgets():
    assert MAJOR in (7, 8)
    assert tooltip("t") == ({"tooltip": "t"} if MAJOR >= 8 else {"description_tooltip": "t"})


def test_augmentation_sliders_explain_their_transformation(data):
    x, _ = data
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        panel = A.AugmentationPanel(x, n_images=2, copies=2, seed=0)
    assert {name: tooltip_of(s) for name, s in panel.sliders.items()} == {n: t[1] for n, t in TRANSFORMS.items()}
    assert _widget_warnings(record) == []
