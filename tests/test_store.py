"""The model store: keys that see every setting, atomic entries, and faults that retrain instead of crashing."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import keras
import numpy as np
import pytest

from helpers import cache_control, store, training

X = np.random.default_rng(0).standard_normal((32, 4)).astype("float32")


@pytest.fixture(autouse=True)
def _own_store(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv(cache_control.RETRAIN_ENV, raising=False)
    cache_control.forget()
    yield
    cache_control.forget()


def _builder(units=1, learning_rate=0.01, activation=None):
    def build():
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation=activation)])
        model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
        return model
    return build


class Fitter:
    """A fit function that counts its calls and returns a real TrainResult."""

    def __init__(self, epochs=2, extras=None):
        self.calls, self.epochs, self.extras = 0, epochs, extras or {}

    def __call__(self, model):
        self.calls += 1
        result = training.fit(model, X, X[:, :1], epochs=self.epochs, batch_size=8)
        result.extras.update(self.extras)
        return result


def _trained(name="tiny", build=None, fit=None, settings=None, **kwargs):
    return store.trained(name, build or _builder(), fit, settings={"n": 32, **(settings or {})}, seed=0,
                         verbose=False, control=False, **kwargs)


# ------------------------------------------------------------------------ keys
def test_same_settings_reuse_and_the_loaded_model_is_the_stored_one():
    fit = Fitter(extras={"frames": np.arange(6).reshape(2, 3)})
    first = _trained(fit=fit)
    again = _trained(fit=fit)
    assert fit.calls == 1 and first.source == "trained now" and again.source.startswith("loaded from the store")
    np.testing.assert_array_equal(again.model.predict(X, verbose=0), first.model.predict(X, verbose=0))
    assert again.batches == first.batches == 8 and again.history["loss"] == pytest.approx(first.history["loss"])
    np.testing.assert_array_equal(again.extras["frames"], np.arange(6).reshape(2, 3))
    assert again.batch_history["loss"] == pytest.approx(first.batch_history["loss"])


@pytest.mark.parametrize("change", [
    {"build": _builder(units=2)},                     # architecture (model config, weight shapes)
    {"build": _builder(activation="relu")},           # a layer setting that keeps the weight shapes
    {"build": _builder(learning_rate=0.02)},          # compile config: the optimiser's learning rate
    {"settings": {"n": 33}},                          # a setting outside the model (data, budget ...)
    {"seed": 1},                                      # the seed
])
def test_a_changed_setting_of_any_kind_trains_a_new_model(change):
    fit = Fitter()
    _trained(fit=fit)
    kwargs = dict(change)
    seed = kwargs.pop("seed", 0)
    store.trained("tiny", kwargs.get("build", _builder()), fit, settings={"n": 32, **kwargs.get("settings", {})},
                  seed=seed, verbose=False, control=False)
    assert fit.calls == 2


def test_the_key_does_not_depend_on_keras_automatic_layer_names():
    a = store.make_key("k", _builder()())
    keras.layers.Dense(3)  # advances Keras's name counters, as re-running a notebook cell does
    b = store.make_key("k", _builder()())
    assert a == b and store.digest(a) == store.digest(b)
    assert store.digest(a) != store.digest(store.make_key("k", _builder(units=2)()))


def test_gan_settings_that_chapter_05_used_to_miss_are_in_the_key():
    from helpers.models import gan

    base = dict(latent_dim=8, width=8)
    keys = {store.digest(store.make_key("g", gan.build_gan("dcgan", **kw)))
            for kw in (base, {**base, "loss": "hinge"}, {**base, "label_smoothing": 0.1}, {**base, "top_k": 0.5},
                       {**base, "d_learning_rate": 1e-3})}
    assert len(keys) == 5
    info = {store.digest(store.make_key("g", gan.build_gan("infogan", info_weight=w, **base))) for w in (0.2, 1.0)}
    assert len(info) == 2


def test_fingerprint_sees_the_data():
    a = np.zeros((4, 2), np.uint8)
    b = a.copy()
    b[0, 0] = 1
    assert store.fingerprint(a) == store.fingerprint(a.copy()) != store.fingerprint(b)
    assert store.fingerprint(a, None) != store.fingerprint(a)


# ------------------------------------------------------------------------ faults
def _entry_folder():
    (folder,) = [p for p in store.root().iterdir() if p.name.startswith("tiny-")]
    return folder


@pytest.mark.parametrize("victim,damage", [
    ("model.weights.h5", "truncate"), ("meta.json", "truncate"), ("extras.npz", "truncate"),
    ("model.weights.h5", "delete"), ("meta.json", "garbage"),
])
def test_a_damaged_entry_is_retrained_with_a_notice(victim, damage, capsys):
    fit = Fitter(extras={"frames": np.ones((50, 50))})
    _trained(fit=fit)
    path = _entry_folder() / victim
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    elif damage == "delete":
        path.unlink()
    else:
        path.write_text("{not json")
    result = _trained(fit=fit)
    assert fit.calls == 2 and result.source == "trained now"
    out = capsys.readouterr().out
    assert "cannot be used" in out and "training a new one" in out and out.count("\n") == 1
    assert _trained(fit=fit).source.startswith("loaded")  # the new entry is whole


def test_an_entry_stored_with_another_key_is_not_served(capsys):
    fit = Fitter()
    _trained(fit=fit)
    meta_path = _entry_folder() / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["key"]["settings"]["n"] = 999  # e.g. a hash collision or a hand-copied folder
    meta_path.write_text(json.dumps(meta))
    assert _trained(fit=fit).source == "trained now" and fit.calls == 2
    assert "other settings" in capsys.readouterr().out


def test_a_failed_training_leaves_no_entry_and_no_temporary_folder():
    def crash(model):
        raise RuntimeError("out of memory")

    with pytest.raises(RuntimeError):
        _trained(fit=crash)
    assert not store.root().exists() or not [p for p in store.root().iterdir() if p.name != "backups"]


def test_a_failed_save_leaves_no_temporary_folder(monkeypatch):
    fit = Fitter()

    def full_disk(self, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(keras.Model, "save_weights", full_disk)
    with pytest.raises(OSError, match="No space"):
        _trained(fit=fit)
    assert [p.name for p in store.root().iterdir() if p.name != "backups"] == []


def test_a_diverged_model_is_never_stored():
    def diverge(model):
        result = Fitter()(model)
        model.layers[0].kernel.assign(np.full((4, 1), np.nan, "float32"))  # NaN weights, finite logs
        return result

    with pytest.raises(training.TrainingDiverged, match="tiny diverged.*not finite.*Nothing was cached"):
        _trained(fit=diverge)
    assert not [p for p in store.root().iterdir() if p.name.startswith("tiny-")]


def test_leftovers_of_dead_processes_are_removed():
    root = store.root()
    dead = root / ".tmp-999999-abcd-tiny-0123"
    trash = root / ".trash-abcd-tiny-0123"
    mine = root / f".tmp-{os.getpid()}-abcd-tiny-0123"  # a save in progress in this very process
    for folder in (dead, trash, mine):
        folder.mkdir(parents=True)
    store.clean_leftovers()
    assert not dead.exists() and not trash.exists() and mine.exists()


def test_the_toggle_and_course_retrain_still_decide(monkeypatch):
    fit = Fitter()
    store.trained("tiny", _builder(), fit, settings={"n": 32}, seed=0, verbose=False)
    assert cache_control.choice("tiny").value == cache_control.REUSE
    cache_control.choice("tiny").set_value(cache_control.RETRAIN)      # the learner clicks 'retrain'
    store.trained("tiny", _builder(), fit, settings={"n": 32}, seed=0, verbose=False)
    assert fit.calls == 2 and cache_control.choice("tiny").value == cache_control.REUSE
    monkeypatch.setenv(cache_control.RETRAIN_ENV, "1")
    store.trained("tiny", _builder(), fit, settings={"n": 32}, seed=0, verbose=False)
    assert fit.calls == 3
    assert len([p for p in store.root().iterdir() if p.name.startswith("tiny-")]) == 1  # replaced, not added


def test_loading_a_stored_model_does_not_warn_about_the_optimiser():
    import warnings

    _trained(fit=Fitter())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _trained(fit=Fitter()).source.startswith("loaded")


def test_reuse_longer_takes_the_longest_budget_only_when_asked():
    fit = Fitter()
    _trained(fit=fit, settings={"seconds": 300})
    assert _trained(fit=fit, settings={"seconds": 60}, reuse_longer=True).source.startswith("loaded")
    assert fit.calls == 1
    _trained(fit=fit, settings={"seconds": 60})
    assert fit.calls == 2
    _trained(fit=fit, settings={"seconds": 600}, reuse_longer=True)  # nothing longer than 600 s: trains
    assert fit.calls == 3


def test_training_is_reproducible_and_leaves_the_learners_random_state_alone():
    import random

    random.seed(123)
    np.random.seed(123)
    expected = (random.random(), np.random.rand())
    random.seed(123)
    np.random.seed(123)
    a = store.train_or_load(None, _builder(), Fitter(), {}, seed=4)
    b = store.train_or_load(None, _builder(), Fitter(), {}, seed=4)
    assert (random.random(), np.random.rand()) == expected
    for wa, wb in zip(a.model.get_weights(), b.model.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)


# --------------------------------------------------------------- killed mid-save
CHILD = textwrap.dedent("""
    import hashlib, os, sys, time
    from pathlib import Path
    from helpers import store
    from helpers.results import TrainResult

    class SlowModel:
        '''Writes a 4 MB weights file in chunks, its checksum last: a save that takes time to kill.'''
        weights = []
        def __init__(self, seed):
            self.payload = os.urandom(4 << 20)
        def save_weights(self, path):
            with open(path, "wb") as f:
                for i in range(0, len(self.payload), 1 << 16):
                    f.write(self.payload[i:i + (1 << 16)])
                    f.flush()
                f.write(hashlib.sha256(self.payload).digest())

    key = {"k": 1}
    print("ready", flush=True)
    for i in range(1000):
        store.save("killed", key, TrainResult(model=SlowModel(i), batches=i, extras={"a": [i] * 1000}))
""")


class CheckingModel:
    """Loads the child's weights file only if it is whole (the checksum at its end matches)."""

    weights = []

    def load_weights(self, path):
        import hashlib

        data = open(path, "rb").read()
        if len(data) != (4 << 20) + 32 or hashlib.sha256(data[:-32]).digest() != data[-32:]:
            raise OSError("truncated weights file")


def test_a_process_killed_at_random_points_of_a_save_leaves_a_store_that_loads_or_retrains(tmp_path):
    rng = np.random.default_rng(0)
    env = {**os.environ, "COURSE_CACHE_DIR": str(tmp_path)}
    outcomes = []
    for _ in range(20):
        child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, env=env, text=True)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.4))  # somewhere inside one of the saves
        child.send_signal(signal.SIGKILL)
        child.wait()
        store.clean_leftovers()
        entry = store.entry_for("killed", {"k": 1})
        assert not [p for p in store.root().iterdir() if p.name.startswith((".tmp-", ".trash-"))]
        if entry.folder.exists():
            entry.load(CheckingModel(), {"k": 1})  # a whole entry: never half of one
            outcomes.append("whole")
        else:
            outcomes.append("none")  # killed before the first rename, or between discard and rename
    assert "whole" in outcomes  # the kills did land after complete saves too


def test_entry_folders_have_plain_names_whatever_the_model_is_called():
    fit = Fitter()
    result = _trained("D wins (minimax)", fit=fit)
    (folder,) = [p for p in store.root().iterdir() if p.name.startswith("D_wins")]
    assert " " not in folder.name and "(" not in folder.name and result.source == "trained now"
    assert _trained("D wins (minimax)", fit=fit).source.startswith("loaded") and fit.calls == 1


def test_two_kernels_storing_the_same_key_at_once_keep_one_whole_entry(monkeypatch):
    fit = Fitter()
    first = _trained(fit=fit)
    folder = _entry_folder()
    real_replace = os.replace

    def other_kernel_wins(src, dst):  # the other kernel's rename lands just before ours
        if str(dst) == str(folder) and not folder.exists():
            first_copy = folder.with_name(".other")
            real_replace(src, first_copy)  # stand-in for the other kernel's finished entry
            real_replace(first_copy, folder)
            raise OSError(39, "Directory not empty")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", other_kernel_wins)
    store.save("tiny", store.make_key("tiny", first.model, {"n": 32, "seed": 0}), first)
    monkeypatch.setattr(os, "replace", real_replace)
    assert folder.is_dir() and not [p for p in store.root().iterdir() if p.name.startswith((".tmp-", ".other"))]
    assert _trained(fit=fit).source.startswith("loaded") and fit.calls == 1
