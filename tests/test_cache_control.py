"""The "reuse cached model / retrain" toggle (the model store obeys it: see test_store.py)."""

import pytest

from helpers import cache_control as cc


def test_decide_retrain_defaults_to_reuse_only_when_cached():
    assert cc.decide_retrain("a", cached=None) is True          # nothing cached: train
    assert "no cached model" in cc.choice("a").status_text
    assert cc.decide_retrain("b", cached="b.weights.h5") is False  # cached: reuse
    assert cc.choice("b").value == cc.REUSE


def test_toggle_choice_is_remembered_and_reset_after_training():
    assert cc.decide_retrain("m", cached="m.h5") is False
    cc.choice("m").set_value(cc.RETRAIN)                        # the learner clicks "retrain" ...
    assert cc.decide_retrain("m", cached="m.h5") is True         # ... and re-runs the cell
    cc.report_trained("m", 12.3, "m.h5")
    assert cc.choice("m").value == cc.REUSE and "12 s" in cc.choice("m").status_text
    assert cc.decide_retrain("m", cached="m.h5") is False        # the next run reuses the new model


def test_explicit_argument_and_environment_override_the_toggle(monkeypatch):
    assert cc.decide_retrain("x", cached="x.h5", retrain=True) is True
    assert cc.decide_retrain("x", cached="x.h5", retrain=False) is False
    monkeypatch.setenv(cc.RETRAIN_ENV, "1")
    assert cc.decide_retrain("x", cached="x.h5") is True
    assert cc.decide_retrain("x", cached="x.h5", retrain=False) is False  # code beats the environment
    with pytest.raises(ValueError, match="reuse cached model"):
        cc.choice("x").set_value("maybe")


def test_widget_mirrors_the_choice_and_clicking_retrain_explains_what_to_do():
    control = cc.choice("w")
    widget = control.build_widget()
    toggle = widget.children[0].children[1]
    assert toggle.options == (cc.REUSE, cc.RETRAIN) and toggle.value == cc.REUSE
    toggle.value = cc.RETRAIN                                     # a click in the browser
    assert control.value == cc.RETRAIN and "re-run this cell" in control.status_text
    cc.report_trained("w", 5, "w.h5")
    assert toggle.value == cc.REUSE and "trained now" in widget.children[1].value
