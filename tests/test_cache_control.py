"""The "reuse cached model / retrain" toggle and how load_or_train and zoo.trained obey it."""

import json

import keras
import numpy as np
import pytest

from helpers import cache_control as cc
from helpers import training


def _tiny_model():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _counting_train(calls, value=3.0):
    def train(model):
        calls.append(1)
        model.layers[0].kernel.assign(np.full((4, 1), value + len(calls), "float32"))
        return {"loss": 0.5, "frames": np.arange(6, dtype="float32").reshape(2, 3)}
    return train


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


def test_load_or_train_follows_the_toggle_and_keeps_arrays(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    calls = []
    model, info = training.load_or_train("tiny", _tiny_model, _counting_train(calls))
    assert len(calls) == 1 and info["source"] == "trained now" and "saved_at" in info
    meta = json.loads(training.model_path("tiny").with_suffix("").with_suffix(".json").read_text())
    assert "frames" not in meta and meta["loss"] == 0.5          # arrays go to the .npz, not JSON

    again, info2 = training.load_or_train("tiny", _tiny_model, _counting_train(calls), verbose=False)
    assert len(calls) == 1 and np.all(again.layers[0].kernel.numpy() == 4.0)
    np.testing.assert_array_equal(info2["frames"], np.arange(6).reshape(2, 3))

    cc.choice("tiny").set_value(cc.RETRAIN)
    retrained, _ = training.load_or_train("tiny", _tiny_model, _counting_train(calls), verbose=False)
    assert len(calls) == 2 and np.all(retrained.layers[0].kernel.numpy() == 5.0)
    assert cc.choice("tiny").value == cc.REUSE


def test_load_or_train_retrains_when_cached_weights_do_not_fit(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    calls = []
    training.load_or_train("net", _tiny_model, _counting_train(calls), verbose=False)

    def wider():
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
        model.compile(optimizer="sgd", loss="mse")
        return model

    def train_wider(model):
        calls.append(1)

    model, info = training.load_or_train("net", wider, train_wider, verbose=False)
    assert len(calls) == 2 and info["source"] == "trained now"
    assert "cannot be loaded" in capsys.readouterr().out


def test_cached_fit_returns_the_same_record_when_trained_or_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    x = np.ones((20, 4), "float32")

    def fit(model):
        history = model.fit(x, x[:, :1], epochs=3, batch_size=10, verbose=0)
        history.budget = {"seconds": 1.5, "epochs": 3}
        return history

    model, record = training.cached_fit("fitted", _tiny_model, fit, verbose=False)
    assert record.source == "trained now" and len(record.history["loss"]) == 3 and record.budget["epochs"] == 3
    again, loaded = training.cached_fit("fitted", _tiny_model, fit, verbose=False)
    assert loaded.source.startswith("loaded from cache")
    assert loaded.history["loss"] == pytest.approx(record.history["loss"]) and loaded.budget == record.budget
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_truncated_cache_file_is_retrained_not_fatal(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    calls = []
    training.load_or_train("broken", _tiny_model, _counting_train(calls), verbose=False)
    path = training.model_path("broken")
    path.write_bytes(path.read_bytes()[:100])                  # an interrupted copy
    model, info = training.load_or_train("broken", _tiny_model, _counting_train(calls), verbose=False)
    assert len(calls) == 2 and info["source"] == "trained now"
    assert not list(path.parent.glob("*.part.*"))             # the save went through a temporary file


def test_loading_a_trained_model_does_not_warn_about_the_optimiser(tmp_path, monkeypatch):
    import warnings

    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    x = np.ones((20, 4), "float32")

    def fit(model):
        return model.fit(x, x[:, :1], epochs=1, verbose=0)   # Adam state exists in the saved file

    def build():
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        return model

    training.cached_fit("adam_model", build, fit, verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        training.cached_fit("adam_model", build, fit, verbose=False)
