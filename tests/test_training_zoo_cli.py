"""Time budgets, the model cache, the model registry and the `data` command."""

import json

import keras
import numpy as np
import pytest

from helpers import cli, training, zoo


def _tiny_model():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_time_budget_stops_training_and_counts_partial_epochs():
    model = _tiny_model()
    budget = training.TimeBudget(0.0)  # stop after the first batch
    x = np.zeros((40, 4), "float32")
    model.fit(x, x[:, :1], batch_size=10, epochs=5, callbacks=[budget], verbose=0)
    assert budget.epochs_done == pytest.approx(0.25)  # 1 of 4 batches of the first epoch
    unlimited = training.TimeBudget(None)
    model.fit(x, x[:, :1], batch_size=10, epochs=2, callbacks=[unlimited], verbose=0)
    assert unlimited.epochs_done == 2.0 and unlimited.elapsed > 0


def test_load_or_train_reuses_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    calls = []

    def train(model):
        calls.append(1)
        model.layers[0].kernel.assign(np.full((4, 1), 3.0, "float32"))
        return {"loss": 0.5}

    model, info = training.load_or_train("tiny", _tiny_model, train)
    assert info["source"] == "trained now" and info["loss"] == 0.5 and len(calls) == 1
    again, info2 = training.load_or_train("tiny", _tiny_model, train, verbose=False)
    assert len(calls) == 1 and info2["loss"] == 0.5 and info2["source"].startswith("loaded from cache")
    assert np.all(again.layers[0].kernel.numpy() == 3.0)
    training.load_or_train("tiny", _tiny_model, train, retrain=True, verbose=False)
    assert len(calls) == 2
    meta = json.loads(training.model_path("tiny").with_suffix("").with_suffix(".json").read_text())
    assert meta["loss"] == 0.5


def test_zoo_unknown_model_lists_available(monkeypatch):
    fake = zoo.Recipe("fake", "a fake", False, train=None, generate=None)
    monkeypatch.setattr(zoo, "recipes", lambda: {"fake": fake})
    assert zoo.get("fake") is fake
    with pytest.raises(KeyError, match="unknown model 'gpt'; available: fake"):
        zoo.get("gpt")


def test_cli_data_reports_ok_and_bad(real_data_dir, tmp_path, capsys):
    from helpers import datasets

    datasets._load_cached.cache_clear()
    assert cli.main(["data", "--data-dir", str(real_data_dir), "mnist"]) == 0
    assert "mnist: OK: found in argument" in capsys.readouterr().out
    bad = tmp_path / "mnist"
    bad.mkdir()
    (bad / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip")
    assert cli.main(["data", "--data-dir", str(tmp_path), "mnist"]) == 1
    out = capsys.readouterr().out
    assert "mnist: BAD:" in out and "train-images-idx3-ubyte.gz" in out


def test_cli_unknown_command_exits_nonzero(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["frobnicate"])
    assert exc.value.code == 2


def test_zoo_trained_caches_and_reuses_a_longer_budget(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_MODE", "smoke")
    budgets = []

    def train(x, y, seconds=None, seed=0):
        budgets.append(seconds)
        model = _tiny_model()
        model.layers[0].kernel.assign(np.full((4, 1), float(seconds or 0), "float32"))
        return model

    fake = zoo.Recipe("fake", "a fake", False, train=train, generate=None)
    monkeypatch.setattr(zoo, "recipes", lambda: {"fake": fake})
    tiny = np.zeros((4, 28, 28), np.uint8), np.zeros(4, np.uint8)
    monkeypatch.setattr("helpers.datasets.load", lambda name: (tiny, tiny))

    zoo.trained("fake", seconds=300, verbose=False)
    assert zoo.cache_path("fake", seconds=300).is_file() and budgets == [300]
    reused = zoo.trained("fake", seconds=60, verbose=False)  # a 300-s model serves a 60-s request
    assert budgets == [300] and float(reused.layers[0].kernel.numpy()[0, 0]) == 300.0
    zoo.trained("fake", seconds=60, reuse_longer=False, verbose=False)  # exact budget only: trains
    assert budgets == [300, 60]
    assert zoo.cached_at_least("fake", seconds=600) is None
    zoo.trained("fake", seconds=300, retrain=True, verbose=False)
    assert budgets == [300, 60, 300]


def test_time_budget_counts_batches_and_first_batch_time():
    model = _tiny_model()
    budget = training.TimeBudget(None)
    x = np.zeros((40, 4), "float32")
    model.fit(x, x[:, :1], batch_size=10, epochs=2, callbacks=[budget], verbose=0)
    assert budget.batches == 8
    assert 0 < budget.first_batch_seconds <= budget.elapsed
