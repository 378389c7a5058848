"""Training runs: time budgets, the TrainResult they return, the NaN guard and resumable backups."""

import keras
import numpy as np
import pytest

from helpers import store, training

X = np.random.default_rng(0).standard_normal((40, 4)).astype("float32")


def _tiny_model(learning_rate=0.01):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="mse")
    return model


def test_time_budget_stops_training_and_counts_partial_epochs():
    model = _tiny_model()
    budget = training.TimeBudget(0.0)  # stop after the first batch
    model.fit(X, X[:, :1], batch_size=10, epochs=5, callbacks=[budget], verbose=0)
    assert budget.epochs_done == pytest.approx(0.25)  # 1 of 4 batches of the first epoch
    unlimited = training.TimeBudget(None)
    model.fit(X, X[:, :1], batch_size=10, epochs=2, callbacks=[unlimited], verbose=0)
    assert unlimited.epochs_done == 2.0 and unlimited.elapsed > 0


def test_fit_returns_the_numbers_of_the_run():
    result = training.fit(_tiny_model(), X, X[:, :1], epochs=2, batch_size=10, name="tiny")
    assert isinstance(result, training.TrainResult)
    assert result.batches == 8 and result.epochs == 2.0 and result.images == 80
    assert 0 < result.first_batch_seconds <= result.seconds
    assert result.images_per_second == pytest.approx(80 / result.seconds)
    assert len(result.history["loss"]) == 2 and len(result.batch_history["loss"]) == 8
    stats = result.stats()
    assert stats["batches"] == 8 and stats["images"] == 80 and stats["steady_images_per_second"] > 0


def test_fit_with_a_time_budget_and_with_exact_steps():
    result = training.fit(_tiny_model(), X, X[:, :1], seconds=0.0, batch_size=10)
    assert result.batches == 1  # the budget was spent after the first batch
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices((X, X[:, :1])).batch(10).repeat()
    assert training.fit(_tiny_model(), data, steps=7, batch_size=10).batches == 7


def test_a_learning_rate_that_diverges_stops_with_a_message_that_names_the_model():
    with pytest.raises(training.TrainingDiverged) as exc:
        training.fit(_tiny_model(learning_rate=1e12), X * 1e3, X[:, :1] * 1e3, epochs=50, batch_size=10,
                     name="tiny regressor", hint="lower learning_rate")
    message = str(exc.value)
    assert message.startswith("tiny regressor diverged: loss became") and "lower learning_rate" in message
    assert "Nothing was cached" in message and "\n" not in message


def test_a_diverged_training_through_the_store_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))

    def fit(model, backup_dir=None):
        return training.fit(model, X * 1e3, X[:, :1] * 1e3, epochs=50, batch_size=10, name="tiny",
                            backup_dir=backup_dir)

    with pytest.raises(training.TrainingDiverged):
        store.trained("tiny", lambda: _tiny_model(1e12), fit, settings={"seconds": None}, seed=0,
                      verbose=False, control=False)
    left = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert left == []  # no entry, no backup, no temporary file


class StopAfter(keras.callbacks.Callback):
    """Simulates a kernel that dies (a disconnect) at the end of epoch ``epoch``."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.epoch:
            raise KeyboardInterrupt


def test_an_interrupted_training_continues_from_its_backup(tmp_path):
    backup = tmp_path / "backup"
    keras.utils.set_random_seed(0)
    model = _tiny_model()
    with pytest.raises(KeyboardInterrupt):
        training.fit(model, X, X[:, :1], epochs=5, batch_size=10, backup_dir=backup, callbacks=[StopAfter(3)])
    assert (backup / "recorder.json").is_file()
    saved = model.get_weights()
    fresh = _tiny_model()  # a new kernel: new model, same settings
    result = training.fit(fresh, X, X[:, :1], epochs=5, batch_size=10, backup_dir=backup)
    assert len(result.history["loss"]) == 2  # epochs 4 and 5 only: 1-3 were restored
    assert result.batches == 20 and result.epochs == 5.0  # the counts cover the whole run
    assert not backup.exists()  # finished: the backup is gone
    assert not all(np.allclose(a, b) for a, b in zip(saved, fresh.get_weights(), strict=True))


def test_a_backup_from_other_settings_is_never_used(tmp_path):
    """Backups live under the store key's hash, so a changed setting starts from scratch."""
    a = store.backup_folder("m", store.make_key("m", _tiny_model(0.01)))
    b = store.backup_folder("m", store.make_key("m", _tiny_model(0.02)))
    assert a != b
