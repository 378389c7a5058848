"""Keep TensorFlow's C++ log out of the notebooks (all chapters) and the terminal (command line).

Importing TensorFlow prints lines such as ``oneDNN custom operations are on`` and ``Could not find cuda
drivers on your machine``; the first model prints ``failed call to cuInit`` on a CPU machine, and
``tf.data`` prints ``NodeDef mentions attribute use_unbounded_threadpool ...``. They are harmless, but
Jupyter shows them as red stderr boxes that learners read as failures.

Two things silence them, both done by ``import helpers`` before anything imports TensorFlow:

* ``TF_CPP_MIN_LOG_LEVEL=3`` hides the C++ messages TensorFlow logs once it is running;
* the start-up lines are written before TensorFlow reads that setting (Abseil's "All log messages before
  absl::InitializeLog() is called are written to STDERR"), straight to file descriptor 2, so the first
  ``import tensorflow`` runs with descriptor 2 pointed at a temporary file. What was written there is
  shown only when the import fails, so a broken installation still explains itself.

Python warnings (Keras's ``UserWarning``\\ s, the course's own) are not touched. A value of
``TF_CPP_MIN_LOG_LEVEL`` set before ``import helpers`` wins; ``TF_CPP_MIN_LOG_LEVEL=0`` shows everything,
the start-up lines included.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import os
import sys
import tempfile

LEVEL_ENV = "TF_CPP_MIN_LOG_LEVEL"
QUIET_LEVEL = "3"  # 0 all, 1 no INFO, 2 no WARNING, 3 no ERROR (fatal messages still show)


@contextlib.contextmanager
def stderr_to_file():
    """Point file descriptor 2 at a temporary file for the block; on an exception, show what it caught.

    Used around the first ``import tensorflow`` (all chapters) and the command line.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no descriptor 2 (some embedded interpreters): do nothing
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            caught = sink.read().decode("utf-8", errors="replace")
            if caught:
                sys.stderr.write(caught)
                sys.stderr.flush()
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class _QuietLoader(importlib.abc.Loader):
    """TensorFlow's own loader, executing the package with descriptor 2 redirected."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        with stderr_to_file():
            self._loader.exec_module(module)

    def __getattr__(self, name):  # resource readers, get_source, ...: the real loader answers
        return getattr(self._loader, name)


class QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """A one-shot import hook: finds ``tensorflow`` as usual and wraps its loader in :class:`_QuietLoader`.

    Installed by :func:`quiet_tensorflow_logs` (all chapters) and the command line; removes itself on first use.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


def quiet_tensorflow_logs() -> bool:
    """Set ``TF_CPP_MIN_LOG_LEVEL=3`` unless already set, and hide the start-up lines of the first import.

    Called by ``import helpers`` (all chapters) and the command line. Returns whether the import hook was
    installed: not when TensorFlow is already imported or the level was set to ``0``.
    """
    os.environ.setdefault(LEVEL_ENV, QUIET_LEVEL)
    if "tensorflow" in sys.modules or os.environ[LEVEL_ENV].strip() == "0":
        return False
    if not any(isinstance(finder, QuietTensorFlowImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, QuietTensorFlowImport())
    return True
