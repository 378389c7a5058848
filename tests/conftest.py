"""Shared fixtures: the real data folder (CI points COURSE_DATA_DIR at ../shared/datasets)."""

import os
from pathlib import Path

import pytest

import helpers  # noqa: E402,F401  (quiets TensorFlow's C++ log, as in the chapters)


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The folder holding genuine mnist/ and fashion-mnist/ IDX files, or skip."""
    candidates = [os.environ.get("COURSE_DATA_DIR"), Path(__file__).resolve().parents[2] / "shared" / "datasets"]
    for c in candidates:
        if c and (Path(c) / "mnist" / "t10k-labels-idx1-ubyte.gz").is_file():
            return Path(c)
    pytest.skip("genuine MNIST files not found: set COURSE_DATA_DIR to a folder holding mnist/")


@pytest.fixture(scope="session")
def mnist(real_data_dir):
    """``(x_train, y_train), (x_test, y_test)`` of the real MNIST, loaded once per session."""
    from helpers import datasets

    return datasets.load("mnist", real_data_dir)


@pytest.fixture(scope="module")
def data():
    """120 fake labelled digits for widget tests: class ``c`` is a bar at height ``4 + c`` on light noise."""
    import numpy as np

    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 12)
    x = np.zeros((120, 28, 28), np.uint8)
    for i, c in enumerate(y):
        x[i, 4 + c:10 + c, 5:20] = 255  # class c: a bar at height 4 + c
        x[i] = np.maximum(x[i], rng.integers(0, 30, size=(28, 28)).astype(np.uint8))
    return x, y


@pytest.fixture(autouse=True)
def _fresh_cache_toggles(monkeypatch):
    """Each test starts with no remembered "reuse / retrain" toggles and no COURSE_RETRAIN."""
    from helpers import cache_control

    monkeypatch.delenv(cache_control.RETRAIN_ENV, raising=False)
    cache_control.forget()
    yield
    cache_control.forget()
