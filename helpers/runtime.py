"""Runtime setup shared by every notebook: seeding, modes, devices, caches.

Every chapter starts with ``setup(seed=42)``: one call that seeds Python,
NumPy and Keras, lets TensorFlow grow GPU memory instead of grabbing all of it
(so several open notebooks can share one GPU), and prints one line telling the
learner what they are running on.

Two modes keep one notebook useful for both learners and CI:

* ``full`` (default): what learners run; real data sizes and epochs.
* ``smoke``: set ``COURSE_MODE=smoke``; tiny data and one epoch, so the test
  suite can execute every notebook in seconds.

A Parameters cell reads ``EPOCHS = by_mode(full=20, smoke=1)``.
"""

from __future__ import annotations

import os
import platform
import random
from pathlib import Path

import numpy as np

MODE_ENV = "COURSE_MODE"
CACHE_ENV = "COURSE_CACHE_DIR"
MODES = ("full", "smoke")

#: The course repository, defined once. Colab setup cells clone this URL;
#: ``tests/test_notebook_conventions.py`` checks every notebook uses it verbatim.
REPO_URL = "https://github.com/mnist-synthetic-data/course"
REPO_BRANCH = "main"

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_seeded_with: int | None = None


def mode() -> str:
    """The current mode, ``"full"`` or ``"smoke"``, read from ``COURSE_MODE``."""
    value = os.environ.get(MODE_ENV, "full").strip().lower() or "full"
    if value not in MODES:
        raise ValueError(
            f"{MODE_ENV}={value!r} is not a course mode; use one of {', '.join(MODES)} "
            f"(e.g. `export {MODE_ENV}=smoke`), or unset it for full mode."
        )
    return value


def is_smoke() -> bool:
    """True when running in smoke mode (CI, ``make test``)."""
    return mode() == "smoke"


def by_mode(full, smoke):
    """Pick a parameter per mode: ``EPOCHS = by_mode(full=20, smoke=1)``."""
    return smoke if is_smoke() else full


def set_seed(seed: int = 42, deterministic: bool = True) -> None:
    """Seed Python, NumPy, TensorFlow and Keras from one number.

    With ``deterministic=True`` TensorFlow's op determinism is switched on,
    so the same seed on the same CPU gives bitwise-identical weights.
    """
    global _seeded_with
    import keras
    import tensorflow as tf

    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)  # also seeds tf.random and python/numpy
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    _seeded_with = seed


def enable_gpu_memory_growth() -> list[str]:
    """Let TensorFlow allocate GPU memory on demand; return the GPU names."""
    import tensorflow as tf

    names = []
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:  # already initialised: growth can no longer change
            pass
        try:
            details = tf.config.experimental.get_device_details(gpu)
            names.append(details.get("device_name", gpu.name))
        except Exception:  # pragma: no cover - depends on driver
            names.append(gpu.name)
    return names


def device_description() -> str:
    """``"GPU: <name>"`` when a GPU is visible, else ``"CPU, N threads"``."""
    gpus = enable_gpu_memory_growth()
    if gpus:
        return "GPU: " + ", ".join(gpus)
    return f"CPU, {os.cpu_count()} threads (no GPU found; chapters are sized for CPUs)"


def has_gpu() -> bool:
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def in_colab() -> bool:
    import sys

    return "google.colab" in sys.modules


def cache_dir(*parts: str) -> Path:
    """A git-ignored folder for trained models and results (``COURSE_CACHE_DIR``
    or ``<project>/.cache``), created on demand. Smoke mode uses its own
    sub-folder so tiny CI models never replace a learner's full-mode ones."""
    root = Path(os.environ.get(CACHE_ENV, PROJECT_ROOT / ".cache"))
    path = root / mode()
    for part in parts:
        path = path / part
    path.mkdir(parents=True, exist_ok=True)
    return path


def setup(seed: int = 42, deterministic: bool = True, quiet: bool = False) -> dict:
    """One call at the top of every notebook.

    Seeds everything, enables GPU memory growth and prints one line:
    versions, device, mode and data source. Returns the same facts as a dict.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    from . import datasets

    device = device_description()
    set_seed(seed, deterministic=deterministic)
    try:
        data = datasets.describe_source("mnist")
    except Exception as exc:  # never fail setup because of data; say why
        data = f"MNIST not available ({exc.__class__.__name__})"
    info = {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "device": device,
        "mode": mode(),
        "seed": seed,
        "data": data,
    }
    if not quiet:
        print(
            f"TF {info['tensorflow']} · Keras {info['keras']} · Python {info['python']} · "
            f"{device} · mode={info['mode']} · seed={seed} · data: {data}"
        )
    return info


def colab_badge(notebook_path: str) -> str:
    """Markdown for the 'Open in Colab' badge of ``chapters/<file>.ipynb``."""
    repo = REPO_URL.removeprefix("https://github.com/")
    url = f"https://colab.research.google.com/github/{repo}/blob/{REPO_BRANCH}/{notebook_path}"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"


#: The first code cell of every chapter, verbatim (a test checks it). In Colab it
#: clones the course and installs its helpers; everywhere else it does nothing.
COLAB_SETUP_CELL = f'''# Colab only: fetch the course and install its helpers (does nothing elsewhere).
import os, subprocess, sys
REPO_URL = "{REPO_URL}"
if "google.colab" in sys.modules:
    if not os.path.isdir("/content/course"):
        subprocess.run(["git", "clone", "--depth", "1", REPO_URL, "/content/course"], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", "/content/course"], check=True)
    sys.path.insert(0, "/content/course")'''
