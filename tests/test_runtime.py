"""Modes, seeding (bitwise reproducibility on CPU), caches and the one-line setup."""

import numpy as np
import pytest

from helpers import runtime


def test_default_mode_is_full(monkeypatch):
    monkeypatch.delenv(runtime.MODE_ENV, raising=False)
    assert runtime.mode() == "full" and not runtime.is_smoke()
    assert runtime.by_mode(full=20, smoke=1) == 20


def test_smoke_mode_from_env(monkeypatch):
    monkeypatch.setenv(runtime.MODE_ENV, " Smoke ")
    assert runtime.is_smoke()
    assert runtime.by_mode(full=20, smoke=1) == 1


def test_unknown_mode_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(runtime.MODE_ENV, "fast")
    with pytest.raises(ValueError, match="COURSE_MODE='fast' is not a course mode; use one of full, smoke"):
        runtime.mode()


def test_cache_dir_is_per_mode(tmp_path, monkeypatch):
    monkeypatch.setenv(runtime.CACHE_ENV, str(tmp_path))
    monkeypatch.setenv(runtime.MODE_ENV, "smoke")
    smoke = runtime.cache_dir("models")
    monkeypatch.setenv(runtime.MODE_ENV, "full")
    full = runtime.cache_dir("models")
    assert smoke == tmp_path / "smoke" / "models" and full == tmp_path / "full" / "models"
    assert smoke.is_dir() and full.is_dir()


def _train_tiny_model(seed):
    import keras

    runtime.set_seed(seed)
    x = np.random.rand(64, 8).astype("float32")
    y = (x.sum(axis=1) > 4).astype("int32")
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dropout(0.3), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=16, epochs=2, shuffle=True, verbose=0)
    return [w.copy() for w in model.get_weights()]


def test_same_seed_gives_bitwise_identical_weights():
    first, second = _train_tiny_model(7), _train_tiny_model(7)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    other = _train_tiny_model(8)
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_setup_prints_one_line_with_device_mode_and_data(capsys, monkeypatch, real_data_dir):
    monkeypatch.setenv("COURSE_DATA_DIR", str(real_data_dir))
    monkeypatch.setenv(runtime.MODE_ENV, "smoke")
    info = runtime.setup(seed=3)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    assert "mode=smoke" in lines[0] and "seed=3" in lines[0] and "TF " in lines[0]
    assert info["device"].startswith(("CPU, ", "GPU: ")) and info["device"] in lines[0]
    assert str(real_data_dir) in info["data"]


def test_colab_badge_points_at_the_file():
    badge = runtime.colab_badge("chapters/00_start_here.ipynb")
    repo = runtime.REPO_URL.removeprefix("https://github.com/")
    assert f"colab.research.google.com/github/{repo}/blob/main/chapters/00_start_here.ipynb" in badge


# ------------------------------------------------------------------ backend and global seeding
def test_set_seed_does_not_pretend_to_set_the_hash_seed(monkeypatch):
    import inspect

    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    runtime.set_seed(5)
    assert "PYTHONHASHSEED" not in __import__("os").environ  # it would have no effect at run time
    assert "PYTHONHASHSEED=0 python" in inspect.getdoc(runtime.set_seed)


@pytest.mark.parametrize("name", ["jax", "torch"])
def test_a_non_tensorflow_backend_is_one_clear_error(monkeypatch, name):
    import keras

    from helpers.errors import BackendError, CourseError

    monkeypatch.setenv("KERAS_BACKEND", name)
    monkeypatch.setattr(keras.backend, "backend", lambda: name)  # as if Keras had been imported on it
    with pytest.raises(BackendError) as exc:
        runtime.setup(seed=1, quiet=True)
    text = str(exc.value)
    assert isinstance(exc.value, CourseError) and "\n" not in text
    assert text.startswith(f"This course runs on TensorFlow; Keras is using {name!r} (KERAS_BACKEND={name}).")
    assert "KERAS_BACKEND=tensorflow" in text and "Colab" in text


def test_backend_is_read_without_importing_keras(monkeypatch, tmp_path):
    import sys

    monkeypatch.delitem(sys.modules, "keras", raising=False)  # as before the first `import keras`
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert runtime.keras_backend() == ("tensorflow", "default") and runtime.backend_problem() is None
    (tmp_path / "keras.json").write_text('{"backend": "jax"}')
    assert runtime.keras_backend()[0] == "jax"
    assert f"change the backend in {tmp_path / 'keras.json'}" in runtime.backend_problem()
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")  # the variable wins over keras.json, as in Keras
    assert runtime.backend_problem() is None
    assert "keras" not in sys.modules


def test_runtime_checks_the_real_keras_backend():
    runtime.check_backend()  # this test session runs on TensorFlow
    assert runtime.keras_backend()[0] == "tensorflow"


# ------------------------------------------------------------------ determinism on CPU and GPU
@pytest.mark.parametrize("gpus, deterministic, choice, level, says", [
    (0, True, "auto", "strict", None),                     # CPU: every op has a deterministic kernel
    (0, True, None, "strict", None),                       # unset means auto
    (1, True, "auto", "best-effort", "COURSE_DETERMINISM=strict"),  # GPU: never stop at an op by default
    (2, True, " Strict ", "strict", "UnimplementedError"),  # asked for: on, with a warning what can happen
    (1, True, "off", "off", "COURSE_DETERMINISM=off"),
    (0, True, "off", "off", "may differ"),
    (1, False, "strict", "off", "deterministic=False"),    # the caller's explicit False wins
])
def test_determinism_plan(monkeypatch, gpus, deterministic, choice, level, says):
    monkeypatch.delenv(runtime.DETERMINISM_ENV, raising=False)
    got_level, notice = runtime.determinism_plan(gpus, deterministic, choice)
    assert got_level == level
    if says is None:
        assert notice is None
    else:
        assert says in notice and "\n" not in notice


def test_determinism_plan_reads_the_environment_and_rejects_typos(monkeypatch):
    monkeypatch.setenv(runtime.DETERMINISM_ENV, "strict")
    assert runtime.determinism_plan(1)[0] == "strict"
    monkeypatch.setenv(runtime.DETERMINISM_ENV, "bitwise")
    with pytest.raises(ValueError, match="COURSE_DETERMINISM='bitwise' is not a choice; use one of auto, strict, off"):
        runtime.determinism_plan(0)


class _FakeGPU:
    name = "/physical_device:GPU:0"
    device_type = "GPU"


def _fake_tf_devices(monkeypatch, gpus):
    """Make TensorFlow report ``gpus`` fake GPUs and record calls that would change the process for good."""
    import tensorflow as tf

    calls = []
    monkeypatch.setattr(tf.config, "list_physical_devices",
                        lambda kind=None: list(gpus) if kind == "GPU" else [])
    monkeypatch.setattr(tf.config.experimental, "enable_op_determinism", lambda: calls.append("determinism"))
    monkeypatch.setattr(tf.config.experimental, "set_memory_growth", lambda gpu, on: calls.append(("growth", on)))
    monkeypatch.setattr(tf.config.experimental, "get_device_details", lambda gpu: {"device_name": "Fake T4"})
    return calls


def test_set_seed_on_a_gpu_leaves_op_determinism_off_and_says_so(monkeypatch):
    monkeypatch.delenv(runtime.DETERMINISM_ENV, raising=False)
    calls = _fake_tf_devices(monkeypatch, [_FakeGPU()])
    level, notice = runtime.set_seed(3)
    assert level == "best-effort" and "determinism" not in calls
    monkeypatch.setenv(runtime.DETERMINISM_ENV, "strict")
    assert runtime.set_seed(3)[0] == "strict" and calls == ["determinism"]


def test_set_seed_on_a_cpu_switches_op_determinism_on(monkeypatch):
    monkeypatch.delenv(runtime.DETERMINISM_ENV, raising=False)
    calls = _fake_tf_devices(monkeypatch, [])
    assert runtime.set_seed(3) == ("strict", None) and calls == ["determinism"]


def test_setup_on_a_gpu_grows_memory_and_prints_the_determinism_line(monkeypatch, capsys):
    monkeypatch.delenv(runtime.DETERMINISM_ENV, raising=False)
    calls = _fake_tf_devices(monkeypatch, [_FakeGPU()])
    info = runtime.setup(seed=1)
    lines = capsys.readouterr().out.strip().splitlines()
    assert ("growth", True) in calls and "determinism" not in calls
    assert info["device"] == "GPU: Fake T4" and info["determinism"] == "best-effort"
    assert len(lines) == 2 and "GPU: Fake T4" in lines[0] and lines[1].startswith("GPU: best-effort determinism")


@pytest.mark.parametrize("files, expected", [
    ({"cpu.max": "150000 100000\n"}, 2),          # 1.5 CPUs -> 2 threads
    ({"cpu.max": "100000 100000\n"}, 1),
    ({"cpu.max": "max 100000\n"}, None),          # no quota: the affinity decides
    ({"cpu/cpu.cfs_quota_us": "50000", "cpu/cpu.cfs_period_us": "100000"}, 1),  # cgroup v1, half a CPU
    ({"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000"}, None),
    ({}, None),
])
def test_usable_cpus_follows_the_cgroup_quota(tmp_path, monkeypatch, files, expected):
    import os

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert runtime.usable_cpus(str(tmp_path)) == (64 if expected is None else expected)
