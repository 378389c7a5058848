"""helpers.classifiers: the small CNN and its compile recipe (chapters 01 §5, 02 §3-§4)."""

import numpy as np
import pytest

from helpers.classifiers import compile_classifier, small_cnn


@pytest.mark.parametrize("soft_labels, loss", [(False, "sparse_categorical_crossentropy"),
                                               (True, "categorical_crossentropy")])
def test_compile_classifier_takes_class_numbers_or_label_vectors(soft_labels, loss):
    model = compile_classifier(small_cnn(width=4, seed=0), learning_rate=1e-2, soft_labels=soft_labels)
    assert model.loss == loss
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-2)
    x = np.random.default_rng(0).random((8, 28, 28, 1), dtype=np.float32)
    y = np.arange(8) % 10
    labels = np.eye(10, dtype="float32")[y] * 0.7 + 0.03 if soft_labels else y  # mixed vectors sum to 1
    logs = model.train_on_batch(x, labels, return_dict=True)
    assert np.isfinite(logs["loss"]) and 0.0 <= logs["accuracy"] <= 1.0
    assert model.predict(x, verbose=0).shape == (8, 10)
