"""Fault injection on the real command line: ``python -m helpers ...`` in a subprocess.

Each fault must end with ONE ``error: ...`` line on stderr, no traceback and a
non-zero exit; Ctrl-C exits 130; nothing half-written is ever left behind.
The network is blocked in every subprocess (a proxy on a closed port), so a
missing dataset cannot be downloaded.
"""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MNIST_FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def _env(tmp_path: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("KERAS_BACKEND", "COURSE_RETRAIN")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        COURSE_MODE="smoke", COURSE_CACHE_DIR=str(tmp_path / "cache"), KERAS_HOME=str(tmp_path / "keras"),
        TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1",
        http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9",  # offline: nothing listens on 9
        HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9", no_proxy="", NO_PROXY="",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _cli(tmp_path, *args, timeout=300, **env):
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "helpers", *map(str, args)], cwd=tmp_path,
                          env=_env(tmp_path, **env), capture_output=True, text=True, timeout=timeout)
    return proc, time.perf_counter() - start


def assert_one_line_error(proc, *fragments, code=None):
    """Non-zero exit, no traceback, and exactly one ``error:`` line (the last) holding every fragment."""
    err = proc.stderr
    assert proc.returncode != 0, (proc.returncode, err)
    if code is not None:
        assert proc.returncode == code, (proc.returncode, err)
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line]
    assert len(errors) == 1 and errors[0] == lines[-1], err
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])
    return errors[0]


def _no_outputs(folder: Path):
    """Every file below ``folder`` (final, temporary or probe): there should be none."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


# ------------------------------------------------------------------ data faults
def test_synth_with_no_data_anywhere_and_offline(tmp_path):
    if any((ROOT / "datasets" / "mnist").glob("*-ubyte*")):
        pytest.skip("this checkout's datasets/mnist/ holds MNIST, so it is never missing here")
    empty = tmp_path / "empty"
    empty.mkdir()
    proc, _ = _cli(tmp_path, "synth", "--model", "vae", "--n", "10", "--seconds", "2", "--out", "out/s.npz",
                   COURSE_DATA_DIR=empty)
    assert_one_line_error(proc, "mnist is not available locally and the download failed", "COURSE_DATA_DIR")
    assert _no_outputs(tmp_path / "out") == []


def test_evaluate_with_corrupt_data(tmp_path):
    import numpy as np

    data = tmp_path / "data" / "mnist"
    data.mkdir(parents=True)
    real = Path(os.environ.get("COURSE_DATA_DIR") or ROOT.parent / "shared" / "datasets") / "mnist"
    if not (real / MNIST_FILES[0]).is_file():
        pytest.skip("genuine MNIST files not found (set COURSE_DATA_DIR)")
    for name in MNIST_FILES:
        (data / name).symlink_to(real / name)
    (data / MNIST_FILES[3]).unlink()  # t10k labels: one flipped label, still a valid gzip of the right size
    raw = bytearray(gzip.decompress((real / MNIST_FILES[3]).read_bytes()))
    raw[8] = (raw[8] + 1) % 10
    (data / MNIST_FILES[3]).write_bytes(gzip.compress(bytes(raw)))
    np.savez(tmp_path / "samples.npz", x=np.zeros((20, 28, 28), np.uint8) + 30)
    proc, _ = _cli(tmp_path, "evaluate", "samples.npz", "--metrics", "frechet", COURSE_DATA_DIR=tmp_path / "data")
    assert_one_line_error(proc, "t10k-labels-idx1-ubyte.gz has the right size but different content",
                          "data --download")


def test_data_with_an_unknown_name_and_a_bad_data_dir(tmp_path):
    proc, _ = _cli(tmp_path, "data", "cifar10")
    assert_one_line_error(proc, "Unknown dataset 'cifar10'")
    proc, _ = _cli(tmp_path, "data", "mnist", COURSE_DATA_DIR=tmp_path / "nope")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "COURSE_DATA_DIR points to" in proc.stdout and "which is not a folder" in proc.stdout


def test_data_download_offline_says_so_in_one_line(tmp_path):
    proc, _ = _cli(tmp_path, "data", "--download", "--data-dir", tmp_path / "dl", "mnist", "fashion_mnist")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr + proc.stdout
    failed = [line for line in proc.stdout.splitlines() if "FAILED" in line]
    assert len(failed) == 2, proc.stdout
    assert failed[0].startswith("mnist: FAILED: Could not download") and "offline? Nothing was written" in failed[0]
    assert "COURSE_DATA_DIR" in failed[0]
    assert failed[1].startswith("fashion_mnist: FAILED: not downloaded: the network failed")
    assert _no_outputs(tmp_path / "dl") == []  # no temporary file left


# ------------------------------------------------------------------ argument and output faults
def test_bad_arguments_give_one_line(tmp_path):
    proc, _ = _cli(tmp_path, "synth", "--model", "vae", "--n", "many", "--out", "s.npz")
    line = assert_one_line_error(proc, "argument --n: invalid int value: 'many'", "--help", code=2)
    assert line.startswith("python -m helpers synth: error:")
    proc, _ = _cli(tmp_path, "frobnicate")
    assert_one_line_error(proc, "invalid choice: 'frobnicate'", code=2)


@pytest.mark.parametrize("where", ["under_a_file", "proc"])
def test_unwritable_output_fails_fast_before_any_training(tmp_path, where):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    out = blocker / "s.npz" if where == "under_a_file" else Path("/proc/helpers-test-no-such-folder/s.npz")
    proc, elapsed = _cli(tmp_path, "synth", "--model", "vae", "--n", "10", "--seconds", "2", "--out", out)
    assert_one_line_error(proc, "cannot create the folder", "choose another --out", code=2)
    assert elapsed < 15, f"took {elapsed:.1f} s: the output must be checked before importing or training a model"
    assert "[1/3]" not in proc.stderr  # training never started
    assert not (tmp_path / "cache").exists() or _no_outputs(tmp_path / "cache") == []  # nothing trained or cached


def test_unexpected_error_is_one_line_and_debug_shows_the_traceback(tmp_path):
    # A bug the CLI did not anticipate, raised where the model would be trained.
    script = _script(tmp_path, """
        def train_or_load(args):
            raise ZeroDivisionError("boom")
        synth.train_or_load = train_or_load
    """)
    proc = _run_script(tmp_path, script, "--out", "o.npz")
    line = assert_one_line_error(proc, "unexpected ZeroDivisionError: boom", "--debug", code=1)
    assert line.startswith("error:")
    proc = _run_script(tmp_path, script, "--out", "o.npz", "--debug")
    assert proc.returncode == 1 and "Traceback" in proc.stderr and "ZeroDivisionError: boom" in proc.stderr


def test_diverged_training_error_is_one_line(tmp_path):
    script = _script(tmp_path, """
        from helpers.errors import CourseError

        class TrainingDiverged(CourseError):  # stands in for the training module's own error class
            pass

        def train_or_load(args):
            raise TrainingDiverged("training of fake diverged (loss became NaN at epoch 2);\\n"
                                   "retrain with a lower learning rate")
        synth.train_or_load = train_or_load
    """)
    proc = _run_script(tmp_path, script, "--out", "o.npz")
    assert_one_line_error(proc, "training of fake diverged (loss became NaN at epoch 2); retrain", code=1)
    assert _no_outputs(tmp_path / "work") == []


def test_nan_samples_are_refused_and_nothing_written(tmp_path):
    script = _script(tmp_path, """
        def generate(model, n, seed=0, labels=None):
            return np.full((n, 28, 28), np.nan, np.float32), None
        FAKE["generate"] = generate
    """)
    proc = _run_script(tmp_path, script, "--out", "o.npz")
    assert_one_line_error(proc, "NaN or infinite", "diverged", "--retrain", code=1)
    assert _no_outputs(tmp_path / "work") == []


# ------------------------------------------------------------------ Ctrl-C
# The fake model runs in the real CLI process; only the model is fake.
PRELUDE = """
import signal, sys, time
import numpy as np
signal.signal(signal.SIGINT, signal.default_int_handler)  # even if the test runner ignores SIGINT
from helpers import cli
from helpers.commands import synth
from helpers.models import registry

def generate(model, n, seed=0, labels=None):
    return np.random.default_rng(seed).integers(0, 255, (n, 28, 28), dtype=np.uint8), None

FAKE = {"generate": generate}
registry.recipes = lambda: {"fake": registry.Recipe("fake", "noise", False, None, None,
                                                    lambda *a, **k: FAKE["generate"](*a, **k))}
synth.train_or_load = lambda args: "a trained model"
"""


def _script(tmp_path, body):
    path = tmp_path / "fake_cli.py"
    path.write_text(PRELUDE + textwrap.dedent(body) + "\nsys.exit(cli.main(sys.argv[1:]))\n")
    return path


def _popen(tmp_path, script, *args):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return subprocess.Popen([sys.executable, str(script), "synth", "--model", "fake", "--n", "3000", *args],
                            cwd=work, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _run_script(tmp_path, script, *args):
    proc = _popen(tmp_path, script, *args)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _interrupt_when(proc, marker, timeout=60):
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if marker in line:
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
            return subprocess.CompletedProcess(proc.args, proc.returncode, out, "".join(seen) + err)
    proc.kill()
    raise AssertionError(f"never saw {marker!r}: {''.join(seen)}")


def test_ctrl_c_while_generating_exits_130_and_writes_nothing(tmp_path):
    script = _script(tmp_path, """
        def slow(model, n, seed=0, labels=None):
            if seed > 0:  # after the first chunk of 1000 images
                print("SLOW GENERATE", file=sys.stderr, flush=True)
                time.sleep(60)
            return generate(model, n, seed)
        FAKE["generate"] = slow
    """)
    proc = _interrupt_when(_popen(tmp_path, script, "--out", "sub/o.npz"), "SLOW GENERATE")
    assert proc.returncode == 130, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.strip().splitlines()[-1] == "interrupted (Ctrl-C)"
    assert _no_outputs(tmp_path / "work") == []


def test_ctrl_c_while_writing_removes_the_temporary_file(tmp_path):
    script = _script(tmp_path, """
        def slow_save(fh, **arrays):
            fh.write(b"PK half a zip file")
            fh.flush()
            print("WRITING", file=sys.stderr, flush=True)
            time.sleep(60)
        np.savez_compressed = slow_save
    """)
    proc = _popen(tmp_path, script, "--out", "o.npz")
    result = _interrupt_when(proc, "WRITING")
    assert result.returncode == 130, result.stderr
    assert "Traceback" not in result.stderr
    assert _no_outputs(tmp_path / "work") == []  # neither o.npz nor .o.npz.*.part


def test_fake_cli_happy_path_writes_the_file(tmp_path):
    proc = _run_script(tmp_path, _script(tmp_path, ""), "--out", "o.npz")
    assert proc.returncode == 0, proc.stderr
    assert _no_outputs(tmp_path / "work") == ["o.npz"]


# ------------------------------------------------------------------ backend
def test_cli_refuses_a_jax_backend_before_importing_keras(tmp_path):
    proc, elapsed = _cli(tmp_path, "synth", "--model", "vae", "--out", "s.npz", KERAS_BACKEND="jax")
    assert_one_line_error(proc, "This course runs on TensorFlow; Keras is using 'jax' (KERAS_BACKEND=jax)",
                          "KERAS_BACKEND=tensorflow", code=1)
    assert "No module named 'jax'" not in proc.stderr


def test_setup_refuses_a_torch_backend_with_a_clear_error(tmp_path):
    code = "import helpers\ntry:\n    helpers.setup()\nexcept helpers.CourseError as e:\n    print(type(e).__name__, e)\n"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env(tmp_path, KERAS_BACKEND="torch"),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("BackendError This course runs on TensorFlow; Keras is using 'torch'")
    assert "keras" not in proc.stderr.lower()  # stopped before Keras was imported
