"""``python -m helpers synth`` / ``evaluate``: happy paths with a fake model, and every error path."""

import json
import os

import numpy as np
import pytest

from helpers import cli, zoo
from helpers.commands import synth

HAS_DATA = bool(os.environ.get("COURSE_DATA_DIR"))


def _fake_images(n, seed, labels=None):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 60, size=(n, 28, 28), dtype=np.uint8)
    if labels is not None:  # a bright column whose position encodes the class
        for i, c in enumerate(labels):
            x[i, :, 2 + 2 * int(c)] = 255
    return x


def _tiny_model():
    import keras

    return keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])


class Calls:
    train = 0


def _train(x_train, y_train, seconds=None, seed=0):
    Calls.train += 1
    assert x_train.dtype == np.uint8 and x_train.shape[1:] == (28, 28)
    return _tiny_model()


def _generate(model, n, seed=0, labels=None):
    return _fake_images(n, seed), None


def _generate_cond(model, n, seed=0, labels=None):
    labels = np.arange(n) % 10 if labels is None else np.asarray(labels)
    return _fake_images(n, seed, labels), labels


FAKES = {
    "fake": zoo.Recipe("fake", "noise images", False, _train, _generate),
    "cfake": zoo.Recipe("cfake", "noise with a class stripe", True, _train, _generate_cond),
}


@pytest.fixture
def fake_zoo(monkeypatch, tmp_path):
    """Registry with two fake recipes, a private cache and tiny fake training data."""
    import helpers.datasets

    monkeypatch.setattr(zoo, "recipes", lambda: dict(FAKES))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    fake_data = ((_fake_images(20, 0), np.arange(20) % 10), (_fake_images(10, 1), np.arange(10) % 10))
    monkeypatch.setattr(helpers.datasets, "load", lambda name="mnist", **kw: fake_data)
    Calls.train = 0
    return tmp_path


def _run(argv, capsys):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# ----------------------------------------------------------------- synth: happy paths
def test_synth_writes_npz_with_meta_and_progress(fake_zoo, capsys):
    out = fake_zoo / "s.npz"
    code, stdout, err = _run(["synth", "--model", "fake", "--n", "2500", "--out", str(out),
                              "--seconds", "5", "--seed", "3"], capsys)
    assert code == 0, err
    assert "generated 2,500/2,500" in err and "[3/3] wrote" in err
    with np.load(out) as data:
        assert set(data.files) == {"x", "meta"}
        assert data["x"].shape == (2500, 28, 28) and data["x"].dtype == np.uint8
        meta = json.loads(str(data["meta"]))
    assert meta == {"model": "fake", "dataset": "mnist", "seed": 3, "seconds": 5.0, "n": 2500,
                    "conditional": False}
    assert [p.name for p in fake_zoo.iterdir() if p.suffix != ""] == ["s.npz"]  # no temp file left


def test_synth_conditional_balanced_labels_and_cache_reuse(fake_zoo, capsys):
    a, b = fake_zoo / "a.npz", fake_zoo / "b.npz"
    for out in (a, b):
        code, _, err = _run(["synth", "--model", "cfake", "--n", "1005", "--out", str(out),
                             "--seconds", "2"], capsys)
        assert code == 0, err
    assert Calls.train == 1  # the second run loaded the cached checkpoint
    with np.load(a) as da, np.load(b) as db:
        np.testing.assert_array_equal(da["x"], db["x"])  # same seed -> same file
        y = da["y"]
    assert y.shape == (1005,) and np.bincount(y).min() == 100 and np.bincount(y).max() == 101


def test_synth_list_shows_registered_models(fake_zoo, capsys):
    code, out, _ = _run(["synth", "--model", "list"], capsys)
    assert code == 0 and "cfake" in out and "conditional" in out


# ----------------------------------------------------------------- synth: error paths
@pytest.mark.parametrize("argv, message", [
    (["--model", "nope", "--out", "{d}/o.npz"], "unknown model 'nope'; available: cfake, fake"),
    (["--model", "fake", "--n", "0", "--out", "{d}/o.npz"], "--n must be a positive"),
    (["--model", "fake", "--seconds", "-1", "--out", "{d}/o.npz"], "--seconds must be a positive"),
    (["--model", "fake", "--out", "{d}/o.txt"], "--out must end in .npz"),
    (["--model", "fake"], "--out is required"),
])
def test_synth_user_errors_exit_2_with_a_message(fake_zoo, capsys, argv, message):
    argv = [a.replace("{d}", str(fake_zoo)) for a in argv]
    code, out, err = _run(["synth", *argv], capsys)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert not list(fake_zoo.glob("*.npz"))


def test_synth_bad_dataset_choice_is_rejected_by_argparse(fake_zoo, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["synth", "--model", "fake", "--out", "o.npz", "--dataset", "cifar10"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_synth_failure_mid_write_leaves_no_file(fake_zoo, capsys, monkeypatch):
    out = fake_zoo / "half.npz"

    def explode(fh, **arrays):
        fh.write(b"PK partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", explode)
    code, _, err = _run(["synth", "--model", "fake", "--n", "10", "--out", str(out)], capsys)
    assert code == 1 and "disk full" in err and "nothing was written" in err
    assert len(err.strip().splitlines()[-1]) > 0 and "Traceback" not in err
    assert list(fake_zoo.glob("*half*")) == []


def test_synth_rejects_a_recipe_returning_wrong_shapes(fake_zoo, capsys, monkeypatch):
    bad = zoo.Recipe("bad", "", False, _train, lambda m, n, seed=0, labels=None: (np.zeros((n, 32, 32)), None))
    monkeypatch.setattr(zoo, "recipes", lambda: {"bad": bad})
    code, _, err = _run(["synth", "--model", "bad", "--n", "5", "--out", str(fake_zoo / "b.npz")], capsys)
    assert code == 2 and "expected (5, 28, 28) uint8" in err


def test_balanced_labels_are_balanced_and_seeded():
    y = synth.balanced_labels(25, seed=1)
    assert np.bincount(y).tolist() == [3] * 5 + [2] * 5
    np.testing.assert_array_equal(y, synth.balanced_labels(25, seed=1))
    assert not np.array_equal(y, synth.balanced_labels(25, seed=2))


# ----------------------------------------------------------------- evaluate: error paths
def _npz(path, **arrays):
    np.savez(path, **arrays)
    return str(path)


@pytest.mark.parametrize("make, message", [
    (lambda d: str(d / "absent.npz"), "does not exist"),
    (lambda d: (d / "junk.npz").write_bytes(b"not a zip") and str(d / "junk.npz"), "not a readable .npz"),
    (lambda d: _npz(d / "noimg.npz", images=np.zeros((20, 28, 28))), "no 'x'"),
    (lambda d: _npz(d / "shape.npz", x=np.zeros((20, 32, 32), np.uint8)), "expected a batch of 28x28"),
    (lambda d: _npz(d / "range.npz", x=np.full((20, 28, 28), 7.0)), "outside the range"),
    (lambda d: _npz(d / "ylen.npz", x=np.zeros((20, 28, 28), np.uint8), y=np.zeros(3, int)),
     r"expected (20,) integer labels"),
    (lambda d: _npz(d / "few.npz", x=np.zeros((4, 28, 28), np.uint8)), "at least 10"),
])
def test_evaluate_bad_files_exit_2_with_a_message(tmp_path, capsys, make, message):
    path = make(tmp_path)
    code, _, err = _run(["evaluate", path], capsys)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_evaluate_unknown_metric(tmp_path, capsys):
    path = _npz(tmp_path / "ok.npz", x=np.zeros((20, 28, 28), np.uint8))
    code, _, err = _run(["evaluate", path, "--metrics", "frechet,fid"], capsys)
    assert code == 2 and "unknown metrics ['fid']" in err


# ----------------------------------------------------------------- evaluate: happy path (real evaluator)
@pytest.mark.skipif(not HAS_DATA, reason="COURSE_DATA_DIR not set (MNIST needed for the real baselines)")
def test_evaluate_real_images_table_and_json(tmp_path, capsys):
    from helpers.datasets import load

    (_, _), (x_test, y_test) = load("mnist")
    path = _npz(tmp_path / "real.npz", x=x_test[:200], y=y_test[:200])
    code, out, err = _run(["evaluate", path, "--metrics", "frechet,classifier_score,label_fidelity"], capsys)
    assert code == 0, err
    assert "Fréchet distance" in out and "label fidelity" in out and "real data" in out
    code, out, err = _run(["evaluate", path, "--json", "--metrics", "frechet,label_fidelity"], capsys)
    assert code == 0, err
    res = json.loads(out)
    assert res["n"] == 200 and res["conditional"] is True
    assert res["label_fidelity"] > 0.95
    assert res["frechet_distance"] >= 0 and res["frechet_distance_real"] >= 0


@pytest.mark.slow
@pytest.mark.skipif(not HAS_DATA, reason="COURSE_DATA_DIR not set (MNIST needed)")
def test_evaluate_tstr_trains_on_samples_and_on_as_many_real_images(tmp_path, capsys):
    from helpers.datasets import load

    (x_train, y_train), _ = load("mnist")
    path = _npz(tmp_path / "real.npz", x=x_train[-300:], y=y_train[-300:])
    code, out, err = _run(["evaluate", path, "--json", "--metrics", "tstr", "--tstr-epochs", "2"], capsys)
    assert code == 0, err
    res = json.loads(out)
    assert res["tstr_n"] == 300 and res["tstr_epochs"] == 2
    assert 0.15 < res["tstr_acc"] <= 1 and 0.15 < res["trtr_acc"] <= 1  # 6 steps: well above chance (0.1)
