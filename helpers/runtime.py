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

The course runs on Keras's TensorFlow backend. :func:`check_backend` (called
by ``setup()`` and by ``python -m helpers``) stops with one clear line when
Keras is set to JAX or PyTorch instead, before the first ``fit`` fails
obscurely.
"""

from __future__ import annotations

import json
import os
import platform
import random
import sys
from pathlib import Path

import numpy as np

from .errors import BackendError, UsageError
from .paths import PROJECT_ROOT  # noqa: F401  (defined in the leaf module helpers.paths; re-exported)

MODE_ENV = "COURSE_MODE"
CACHE_ENV = "COURSE_CACHE_DIR"
MODES = ("full", "smoke")

#: The course repository, defined once. Colab setup cells clone this URL;
#: ``tests/test_notebook_conventions.py`` checks every notebook uses it verbatim.
REPO_URL = "https://github.com/mnist-synthetic-data/course"
REPO_BRANCH = "main"

_seeded_with: int | None = None


def mode() -> str:
    """The current mode, ``"full"`` or ``"smoke"``, read from ``COURSE_MODE``.

    Printed by :func:`setup` (all chapters); chapter 00 §2 explains the modes.
    """
    value = os.environ.get(MODE_ENV, "full").strip().lower() or "full"
    if value not in MODES:
        raise UsageError(
            f"{MODE_ENV}={value!r} is not a course mode; use one of {', '.join(MODES)} "
            f"(e.g. `export {MODE_ENV}=smoke`), or unset it for full mode."
        )
    return value


def is_smoke() -> bool:
    """True when running in smoke mode (CI, ``make test``); :func:`by_mode` asks it (all chapters)."""
    return mode() == "smoke"


def by_mode(full, smoke):
    """Pick a parameter per mode: ``EPOCHS = by_mode(full=20, smoke=1)`` (all chapters)."""
    return smoke if is_smoke() else full


DETERMINISM_ENV = "COURSE_DETERMINISM"
DETERMINISM_CHOICES = ("auto", "strict", "off")


def determinism_plan(gpu_count: int, deterministic: bool = True, choice: str | None = None) -> tuple[str, str | None]:
    """Which determinism to use, and the one-line notice to print (``None``: nothing worth saying).

    Returns ``(level, notice)`` with level ``"strict"`` (TensorFlow's op determinism on), ``"best-effort"``
    (seeded, op determinism off) or ``"off"``. ``choice`` is ``COURSE_DETERMINISM``: ``auto`` (default)
    is strict on a CPU, where every op the course uses has a deterministic kernel, and best-effort on a
    GPU, where TensorFlow documents that ``enable_op_determinism`` raises ``UnimplementedError`` at the
    first op without a deterministic GPU kernel; ``strict`` asks for it anyway, ``off`` never.
    Decided by :func:`set_seed`, so by :func:`setup` (all chapters; chapter 00 §3 explains it).
    """
    value = (choice if choice is not None else os.environ.get(DETERMINISM_ENV, "auto")).strip().lower() or "auto"
    if value not in DETERMINISM_CHOICES:
        raise UsageError(f"{DETERMINISM_ENV}={value!r} is not a choice; use one of "
                         f"{', '.join(DETERMINISM_CHOICES)}, or unset it (auto: strict on CPU, best-effort on GPU).")
    if not deterministic or value == "off":
        why = "deterministic=False" if not deterministic else f"{DETERMINISM_ENV}=off"
        return "off", f"Op determinism is off ({why}): re-runs with the same seed may differ slightly."
    if gpu_count == 0:
        return "strict", None
    if value == "strict":
        return "strict", (f"GPU with strict determinism ({DETERMINISM_ENV}=strict): an op without a "
                          f"deterministic GPU kernel stops with UnimplementedError; unset it for best-effort.")
    return "best-effort", ("GPU: best-effort determinism (seeded, but GPU kernels may add in a varying order, "
                           "so re-runs can differ slightly); set COURSE_DETERMINISM=strict for bitwise repeats "
                           "(TensorFlow then stops at an op that cannot give them).")


def set_seed(seed: int = 42, deterministic: bool = True) -> tuple[str, str | None]:
    """Seed Python, NumPy, TensorFlow and Keras from one number; returns :func:`determinism_plan`'s answer.

    With ``deterministic=True`` on a CPU, TensorFlow's op determinism is switched on, so the same seed
    on the same CPU gives bitwise-identical weights. On a GPU it stays off unless
    ``COURSE_DETERMINISM=strict`` (see :func:`determinism_plan`). This and :func:`setup` are the only
    places in the course that touch the global random state; everything else uses its own seeded
    generator.

    ``PYTHONHASHSEED`` is deliberately not set: Python reads it only when the
    interpreter starts, so setting it here would change nothing. Hash seeding
    only affects the iteration order of sets of strings, which no result of
    the course depends on. Should you ever need it, set it before Python
    starts: ``PYTHONHASHSEED=0 python -m helpers ...`` (or in the Jupyter
    kernel's environment).
    Called by :func:`setup` (all chapters) and ``tools/train_evaluator.py``.
    """
    global _seeded_with
    import keras
    import tensorflow as tf

    level, notice = determinism_plan(len(tf.config.list_physical_devices("GPU")), deterministic)
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)  # also seeds tf.random and python/numpy
    if level == "strict":
        tf.config.experimental.enable_op_determinism()
    _seeded_with = seed
    return level, notice


def enable_gpu_memory_growth() -> list[str]:
    """Let TensorFlow allocate GPU memory on demand; return the GPU names.

    Called through :func:`setup` (all chapters; chapter 00 §3 explains why).
    """
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
    """``"GPU: <name>"`` when a GPU is visible, else ``"CPU, N threads"``.

    The device in :func:`setup`'s banner (all chapters; chapter 00 §3 prints it) and the benchmark's header.
    """
    gpus = enable_gpu_memory_growth()
    if gpus:
        return "GPU: " + ", ".join(gpus)
    return f"CPU, {usable_cpus()} threads (no GPU found; chapters are sized for CPUs)"


def usable_cpus(cgroup_root: str = "/sys/fs/cgroup") -> int:
    """The CPUs this process may use: its affinity, capped by a cgroup CPU quota (containers, Binder).

    ``os.cpu_count()`` counts the host's cores, which on mybinder.org is dozens while the server may use one or
    two; ``binder/start`` sizes the thread pools the same way. Printed by :func:`setup` (all chapters).
    """
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS, Windows
        n = os.cpu_count() or 1
    quota = None
    try:
        with open(os.path.join(cgroup_root, "cpu.max"), encoding="ascii") as fh:  # cgroup v2: "max 100000"
            value, period = fh.read().split()[:2]
        if value != "max":
            quota = int(value) / int(period)
    except (OSError, ValueError):
        try:  # cgroup v1
            with open(os.path.join(cgroup_root, "cpu", "cpu.cfs_quota_us"), encoding="ascii") as fh:
                value = int(fh.read())
            with open(os.path.join(cgroup_root, "cpu", "cpu.cfs_period_us"), encoding="ascii") as fh:
                period = int(fh.read())
            quota = value / period if value > 0 and period > 0 else None
        except (OSError, ValueError):
            quota = None
    if quota:
        n = min(n, max(1, -(-int(quota * 1000) // 1000)))  # a quota of 1.5 CPUs -> 2
    return max(1, n)


def has_gpu() -> bool:
    """True when TensorFlow sees a GPU. Not called by the course; chapter 00 §3 covers CPU versus GPU."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def in_colab() -> bool:
    """True inside Google Colab. Not called by the course; chapter 00 §3 covers Colab."""
    import sys

    return "google.colab" in sys.modules


def cache_dir(*parts: str) -> Path:
    """A git-ignored folder for trained models and results (``COURSE_CACHE_DIR``
    or ``<project>/.cache``), created on demand. Smoke mode uses its own
    sub-folder so tiny CI models never replace a learner's full-mode ones.
    The model store lives in it (chapters 01-06).
    """
    root = Path(os.environ.get(CACHE_ENV, PROJECT_ROOT / ".cache"))
    path = root / mode()
    for part in parts:
        path = path / part
    path.mkdir(parents=True, exist_ok=True)
    return path


def _keras_config_backend() -> tuple[str | None, str]:
    """The backend named in Keras's ``keras.json`` (``$KERAS_HOME`` or ``~/.keras``), without importing Keras."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    path = os.path.join(home, "keras.json")
    try:
        with open(path, encoding="utf-8") as fh:
            value = json.load(fh).get("backend")
    except (OSError, ValueError, AttributeError):
        return None, path
    return (value if isinstance(value, str) and value else None), path


def keras_backend() -> tuple[str, str]:
    """``(backend, where_it_was_set)`` for Keras, found without importing Keras if it is not loaded yet.

    Keras takes its backend from ``KERAS_BACKEND``, else from ``keras.json``,
    else TensorFlow; once imported, ``keras.backend.backend()`` is the truth.
    Used by :func:`backend_problem`, so by :func:`setup` (all chapters) and the command line.
    """
    keras = sys.modules.get("keras")
    backend_fn = getattr(getattr(keras, "backend", None), "backend", None)
    if callable(backend_fn):
        name = backend_fn()
        origin = f"KERAS_BACKEND={name}" if os.environ.get("KERAS_BACKEND") == name else "already imported"
        return name, origin
    env = os.environ.get("KERAS_BACKEND")
    if env:
        return env, f"KERAS_BACKEND={env}"
    value, path = _keras_config_backend()
    if value:
        return value, f'"backend": "{value}" in {path}'
    return "tensorflow", "default"


def backend_problem() -> str | None:
    """One line saying what to do when Keras is not on TensorFlow; ``None`` when all is well.

    Checked by :func:`setup` (all chapters) and before every ``python -m helpers`` command.
    """
    name, origin = keras_backend()
    if name == "tensorflow":
        return None
    if origin.startswith("KERAS_BACKEND"):
        how = ("Set KERAS_BACKEND=tensorflow (or unset it) before importing keras (in Colab: Runtime → "
               "Restart session, then run `import os; os.environ['KERAS_BACKEND'] = 'tensorflow'` first).")
    elif origin == "already imported":
        how = ("Restart the kernel and run `import os; os.environ['KERAS_BACKEND'] = 'tensorflow'` before "
               "importing keras (in Colab: Runtime → Restart session).")
    else:
        how = (f"Set KERAS_BACKEND=tensorflow before importing keras, or change the backend in "
               f"{origin.split(' in ', 1)[1]} to \"tensorflow\".")
    return f"This course runs on TensorFlow; Keras is using {name!r} ({origin}). {how}"


def check_backend() -> None:
    """Raise :class:`~helpers.errors.BackendError` (one line: what to do) unless Keras uses TensorFlow.

    The first thing :func:`setup` does (all chapters).
    """
    problem = backend_problem()
    if problem:
        raise BackendError(problem)


def setup(seed: int = 42, deterministic: bool = True, quiet: bool = False) -> dict:
    """One call at the top of every notebook (all chapters).

    Checks that Keras runs on TensorFlow (else raises
    :class:`~helpers.errors.BackendError` saying how to switch), seeds
    everything, enables GPU memory growth and prints one line: versions,
    device, mode and data source; on a GPU a second line says which
    determinism is in force (:func:`determinism_plan`). In a notebook it also
    returns free memory to the system after every cell
    (:func:`helpers.memory.trim_after_each_cell`). Returns the same
    facts as a dict. Mixed precision is never switched on: the course's
    models are small, and it has not been measured to help them.
    """
    check_backend()  # before importing keras: with KERAS_BACKEND=jax and no JAX, the import itself fails
    import keras
    import tensorflow as tf

    from . import datasets
    from .memory import trim_after_each_cell

    trim_after_each_cell()  # in a notebook: free memory goes back to the system after every cell (helpers.memory)
    device = device_description()
    determinism, notice = set_seed(seed, deterministic=deterministic)
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
        "determinism": determinism,
        "data": data,
    }
    if not quiet:
        print(
            f"TF {info['tensorflow']} · Keras {info['keras']} · Python {info['python']} · "
            f"{device} · mode={info['mode']} · seed={seed} · data: {data}"
        )
        if notice:
            print(notice)
    return info


def colab_badge(notebook_path: str) -> str:
    """Markdown for the 'Open in Colab' badge of ``chapters/<file>.ipynb``.

    ``tools/nb.py`` writes it into each chapter's first cell; ``test_notebook_conventions`` checks it (tests).
    """
    repo = REPO_URL.removeprefix("https://github.com/")
    url = f"https://colab.research.google.com/github/{repo}/blob/{REPO_BRANCH}/{notebook_path}"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"


#: The first code cell of every chapter, verbatim (a test checks it). In Colab it
#: clones the course and installs its helpers without their dependencies (Colab's own
#: TensorFlow, Keras, NumPy, ... are used as they are); everywhere else it does nothing.
#: Running it again, or after a kernel restart, clones and installs nothing
#: (``tests/test_colab_cell.py`` runs it in a simulated Colab).
COLAB_SETUP_CELL = f'''# Colab only: fetch the course and install its helpers (does nothing elsewhere, or when run again).
import os, subprocess, sys
REPO_URL = "{REPO_URL}"
COURSE_DIR = "/content/course"
if "google.colab" in sys.modules and COURSE_DIR not in sys.path:
    if not os.path.isdir(COURSE_DIR):
        subprocess.run(["git", "clone", "--depth", "1", REPO_URL, COURSE_DIR], check=True)
        # --no-deps: Colab already has TensorFlow, Keras, NumPy, ...; never reinstall them
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", COURSE_DIR], check=True)
    sys.path.insert(0, COURSE_DIR)'''
