"""``python -m helpers synth`` / ``evaluate``: happy paths with a fake model, and every error path."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from helpers import cli
from helpers.commands import synth
from helpers.models import registry
from helpers.results import TrainResult

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


def _build(seed=0):
    return _tiny_model()


def _train(model, x_train, y_train, seconds=None, seed=0, backup_dir=None):
    Calls.train += 1
    assert x_train.dtype == np.uint8 and x_train.shape[1:] == (28, 28)
    return TrainResult(model=model, batches=1, seconds=0.1, batch_size=len(x_train))


def _generate(model, n, seed=0, labels=None):
    return _fake_images(n, seed), None


def _generate_cond(model, n, seed=0, labels=None):
    labels = np.arange(n) % 10 if labels is None else np.asarray(labels)
    return _fake_images(n, seed, labels), labels


FAKES = {
    "fake": registry.Recipe("fake", "noise images", False, _build, _train, _generate),
    "cfake": registry.Recipe("cfake", "noise with a class stripe", True, _build, _train, _generate_cond),
}


@pytest.fixture
def fake_zoo(monkeypatch, tmp_path):
    """Registry with two fake recipes, a private cache and tiny fake training data."""
    import helpers.datasets

    monkeypatch.setattr(registry, "recipes", lambda: dict(FAKES))
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

    real_savez = np.savez_compressed

    def explode(fh, **arrays):
        if not hasattr(fh, "write"):  # the model store's own files: written normally
            return real_savez(fh, **arrays)
        fh.write(b"PK partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", explode)
    code, _, err = _run(["synth", "--model", "fake", "--n", "10", "--out", str(out)], capsys)
    assert code == 1 and "disk full" in err and "nothing was written" in err
    assert len(err.strip().splitlines()[-1]) > 0 and "Traceback" not in err
    assert list(fake_zoo.glob("*half*")) == []


def test_synth_rejects_a_recipe_returning_wrong_shapes(fake_zoo, capsys, monkeypatch):
    bad = registry.Recipe("bad", "", False, _build, _train, lambda m, n, seed=0, labels=None: (np.zeros((n, 32, 32)), None))
    monkeypatch.setattr(registry, "recipes", lambda: {"bad": bad})
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


# ----------------------------------------------------------------- faults: one line, nothing written
def _one_error_line(err):
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err and lines and lines[-1].startswith("error: "), err
    assert sum("error:" in line for line in lines) == 1, err
    return lines[-1]


def test_check_samples_accepts_real_looking_images():
    synth.check_samples(_fake_images(50, 0), "fake")
    synth.check_samples(np.random.default_rng(0).random((5, 28, 28), dtype=np.float32), "fake")
    one_blank = _fake_images(10, 0)
    one_blank[3] = 0  # a single blank image among real ones is allowed
    synth.check_samples(one_blank, "fake")


@pytest.mark.parametrize("x, message", [
    (np.full((4, 28, 28), np.nan, np.float32), "4 of 4 images with NaN or infinite pixel values"),
    (np.where(np.eye(28, dtype=bool), np.inf, 0.5)[None].repeat(3, 0), "3 of 3 images with NaN or infinite"),
    (np.zeros((7, 28, 28), np.uint8), "7 blank images"),
    (np.full((7, 28, 28), 255, np.uint8), "typical value 255"),
    (np.random.default_rng(0).integers(100, 102, (5, 28, 28)).astype(np.uint8), "5 blank images"),
])
def test_check_samples_refuses_diverged_output(x, message):
    from helpers.errors import CourseError, SampleError

    with pytest.raises(SampleError, match=message) as exc:
        synth.check_samples(x, "vae")
    text = str(exc.value)
    assert isinstance(exc.value, CourseError) and "\n" not in text
    assert "diverged" in text and "lower learning rate" in text and "--retrain" in text


@pytest.mark.parametrize("output", ["nan", "blank"])
def test_synth_refuses_to_write_diverged_samples(fake_zoo, capsys, monkeypatch, output):
    def broken(model, n, seed=0, labels=None):
        if output == "nan":
            return np.full((n, 28, 28), np.nan, np.float32), None
        return np.zeros((n, 28, 28), np.uint8), None

    monkeypatch.setattr(registry, "recipes", lambda: {"fake": registry.Recipe("fake", "", False, _build, _train, broken)})
    code, out, err = _run(["synth", "--model", "fake", "--n", "2500", "--out", str(fake_zoo / "d.npz")], capsys)
    assert code == 1 and "diverged" in _one_error_line(err) and "--retrain" in err
    assert "[2/3]" not in err  # refused at the first chunk, not after generating everything
    assert not list(fake_zoo.glob("*.npz")) and not list(fake_zoo.glob(".d.npz*"))


def test_synth_creates_a_missing_output_folder(fake_zoo, capsys):
    out = fake_zoo / "new" / "deeper" / "s.npz"
    code, _, err = _run(["synth", "--model", "fake", "--n", "20", "--out", str(out)], capsys)
    assert code == 0, err
    assert sorted(p.name for p in out.parent.iterdir()) == ["s.npz"]  # the write probe is gone too


@pytest.mark.parametrize("make_out, message", [
    (lambda d: (d / "file").write_text("x") and d / "file" / "s.npz", "cannot create the folder"),
    (lambda d: (d / "dir.npz").mkdir() or d / "dir.npz", "is a folder"),
    (lambda d: Path("/proc/self/s.npz"), "cannot write to the folder /proc/self"),
])
def test_synth_unwritable_output_fails_before_training(fake_zoo, capsys, monkeypatch, make_out, message):
    def must_not_train(args):
        raise AssertionError("trained before checking --out")

    monkeypatch.setattr(synth, "train_or_load", must_not_train)
    out = make_out(fake_zoo)
    code, _, err = _run(["synth", "--model", "fake", "--n", "20", "--out", str(out)], capsys)
    assert code == 2 and message in _one_error_line(err)
    assert "[1/3]" not in err and Calls.train == 0


def test_synth_missing_or_corrupt_data_is_one_line(fake_zoo, capsys, monkeypatch):
    import helpers.datasets

    def corrupt(name="mnist", **kw):
        raise helpers.datasets.DatasetError("/data/mnist/t10k-labels-idx1-ubyte.gz has IDX magic number 2051,\n"
                                            "expected 2049")

    monkeypatch.setattr(helpers.datasets, "load", corrupt)
    code, _, err = _run(["synth", "--model", "fake", "--n", "20", "--out", str(fake_zoo / "s.npz")], capsys)
    line = _one_error_line(err)
    assert code == 1 and line == "error: /data/mnist/t10k-labels-idx1-ubyte.gz has IDX magic number 2051, expected 2049"
    assert not list(fake_zoo.glob("*.npz"))


def test_evaluate_missing_data_is_one_line(tmp_path, capsys, monkeypatch):
    import helpers.metrics
    from helpers.datasets import DatasetError

    def no_data(*a, **k):
        raise DatasetError("mnist is not available locally and the download failed.")

    monkeypatch.setattr(helpers.metrics, "evaluate_samples", no_data)
    path = _npz(tmp_path / "ok.npz", x=np.zeros((20, 28, 28), np.uint8))
    code, _, err = _run(["evaluate", path, "--metrics", "frechet"], capsys)
    assert code == 1 and "not available locally" in _one_error_line(err)


def test_unexpected_errors_are_one_line_unless_debug(fake_zoo, capsys, monkeypatch):
    def bug(args):
        raise KeyError("weights")

    monkeypatch.setattr(synth, "train_or_load", bug)
    argv = ["synth", "--model", "fake", "--n", "20", "--out", str(fake_zoo / "s.npz")]
    code, _, err = _run(argv, capsys)
    assert code == 1 and _one_error_line(err) == ("error: unexpected KeyError: 'weights'; "
                                                  "rerun with --debug to see the traceback")
    for debug_argv in (["--debug", *argv], [*argv, "--debug"]):
        code, _, err = _run(debug_argv, capsys)
        assert code == 1 and "Traceback" in err and "KeyError: 'weights'" in err


def test_ctrl_c_during_training_exits_130(fake_zoo, capsys, monkeypatch):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(synth, "train_or_load", interrupted)
    code, _, err = _run(["synth", "--model", "fake", "--n", "20", "--out", str(fake_zoo / "s.npz")], capsys)
    assert code == 130 and err.strip().splitlines()[-1] == "interrupted (Ctrl-C)"
    assert [p.name for p in fake_zoo.iterdir() if p.is_file()] == []


def test_write_npz_atomic_removes_the_temp_on_ctrl_c(tmp_path, monkeypatch):
    def interrupted(fh, **arrays):
        fh.write(b"PK partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez_compressed", interrupted)
    (tmp_path / "o.npz").write_bytes(b"the previous file")
    with pytest.raises(KeyboardInterrupt):
        synth.write_npz_atomic(tmp_path / "o.npz", x=np.zeros(3))
    assert [p.name for p in tmp_path.iterdir()] == ["o.npz"]
    assert (tmp_path / "o.npz").read_bytes() == b"the previous file"  # the old file is untouched


def test_bad_arguments_are_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["synth", "--model", "fake", "--n", "ten"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and len(err.strip().splitlines()) == 1
    assert "argument --n: invalid int value: 'ten'" in err and "python -m helpers synth --help" in err


def test_commands_never_import_cli():
    import ast

    for name in ("data", "synth", "evaluate"):
        tree = ast.parse(Path(synth.__file__).with_name(f"{name}.py").read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert "cli" not in imported and "helpers.cli" not in imported, name
