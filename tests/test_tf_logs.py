"""TensorFlow's C++ log stays out of the chapters and the command line; Python warnings and real errors do not."""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import tf_logs

REPO = Path(__file__).resolve().parent.parent
CPP_LOG_LINE = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ \S+:\d+\]", re.M)  # glog/absl prefix


def _python(code: str, extra_path: Path | None = None, **env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != tf_logs.LEVEL_ENV}
    environ.update(env)
    environ["PYTHONPATH"] = os.pathsep.join(str(p) for p in (extra_path, REPO) if p)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=environ, timeout=180, cwd=REPO)


@pytest.mark.slow
def test_a_chapter_like_session_prints_no_cpp_log_but_keeps_python_warnings():
    """What chapter 04 does first: import helpers, then TensorFlow, a tf.data map and a fit."""
    run = _python("""
        import warnings
        import helpers
        import keras, numpy as np, tensorflow as tf
        ds = tf.data.Dataset.from_tensor_slices(np.zeros((8, 4), "float32"))
        ds = ds.map(lambda x: (x, x[:1]), num_parallel_calls=2).batch(4)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        model.compile("adam", "mse")
        model.fit(ds, verbose=0)
        warnings.warn("a warning that matters")
        print("ok", tf.__version__)
    """)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("ok ")
    assert not CPP_LOG_LINE.search(run.stderr), f"TensorFlow's C++ log reached stderr:\n{run.stderr}"
    assert "absl::InitializeLog" not in run.stderr and "cuInit" not in run.stderr
    assert "UserWarning: a warning that matters" in run.stderr  # Python warnings are untouched


def _fake_tensorflow(tmp_path: Path, body: str) -> Path:
    package = tmp_path / "fake" / "tensorflow"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(body))
    return package.parent


def test_start_up_lines_written_to_descriptor_2_are_hidden(tmp_path):
    fake = _fake_tensorflow(tmp_path, """
        import os
        os.write(2, b"I0000 00:00:1.5 1 port.cc:153] oneDNN custom operations are on\\n")
        __version__ = "fake"
    """)
    run = _python("import helpers, tensorflow, os; print(tensorflow.__version__, os.environ['TF_CPP_MIN_LOG_LEVEL'])",
                  extra_path=fake)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["fake", "3"]
    assert run.stderr == ""


def test_a_failing_import_still_shows_what_tensorflow_wrote(tmp_path):
    fake = _fake_tensorflow(tmp_path, """
        import os
        os.write(2, b"libcudnn.so.9: cannot open shared object file\\n")
        raise ImportError("DLL load failed")
    """)
    run = _python("import helpers, tensorflow", extra_path=fake)
    assert run.returncode != 0
    assert "libcudnn.so.9: cannot open shared object file" in run.stderr  # the C++ explanation is not lost
    assert "ImportError: DLL load failed" in run.stderr


def test_a_level_set_by_the_learner_wins_and_0_shows_everything(tmp_path):
    fake = _fake_tensorflow(tmp_path, """
        import os
        os.write(2, b"I0000 start-up line\\n")
    """)
    run = _python("import helpers, tensorflow, os; print(os.environ['TF_CPP_MIN_LOG_LEVEL'])", extra_path=fake,
                  TF_CPP_MIN_LOG_LEVEL="0")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "0" and "I0000 start-up line" in run.stderr


def test_no_hook_once_tensorflow_is_imported(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", sys.modules.get("tensorflow", object()))
    before = list(sys.meta_path)
    assert tf_logs.quiet_tensorflow_logs() is False
    assert sys.meta_path == before


def test_stderr_to_file_hides_output_and_shows_it_on_error(capfd):
    with tf_logs.stderr_to_file():
        os.write(2, b"hidden\n")
    assert capfd.readouterr().err == ""
    with pytest.raises(RuntimeError), tf_logs.stderr_to_file():
        os.write(2, b"explains the failure\n")
        raise RuntimeError("boom")
    assert capfd.readouterr().err == "explains the failure\n"
    os.write(2, b"descriptor 2 is back\n")
    assert capfd.readouterr().err == "descriptor 2 is back\n"
