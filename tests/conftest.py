"""Shared fixtures: the real data folder (CI points COURSE_DATA_DIR at ../shared/datasets)."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


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


@pytest.fixture(autouse=True)
def _fresh_cache_toggles(monkeypatch):
    """Each test starts with no remembered "reuse / retrain" toggles and no COURSE_RETRAIN."""
    from helpers import cache_control

    monkeypatch.delenv(cache_control.RETRAIN_ENV, raising=False)
    cache_control.forget()
    yield
    cache_control.forget()
