"""Keeping a kernel's resident memory down on small machines: glibc's arenas and trimming (all chapters).

glibc's ``malloc`` gives threads their own *arenas* (up to eight per core) so they do not wait for one
another. TensorFlow's thread pools and ``tf.data``'s workers allocate many small buffers from many threads;
what they free stays scattered over those arenas, so a notebook's resident memory grows with every model it
trains, although the memory is free. Binder gives a learner 2 GB, and that growth is what pushed the
training chapters past it. Two calls, both about memory only (no result changes):

* :func:`limit_arenas` (run by ``import helpers``, before TensorFlow starts its threads): at most
  :data:`ARENAS` arenas, unless ``MALLOC_ARENA_MAX`` is set, which glibc then obeys instead;
* :func:`use_system_allocator` (run by ``import helpers``, before TensorFlow is imported): TensorFlow's oneDNN
  kernels allocate through ``malloc`` instead of their own pool, which never gives memory back (measured: one
  inference over 10,000 test images in batches of 1,000 kept 207 MB for good; with ``malloc``, trimming
  returned it);
* :func:`release_free_memory` (after every training run in :func:`helpers.training.fit`, after the set
  metrics, and after every notebook cell once :func:`helpers.setup` ran, see :func:`trim_after_each_cell`):
  lets TensorFlow free the models nobody holds any more (:func:`drop_all_reduce_gradients`), then hands the
  free pages of every arena back to the operating system (``malloc_trim``).

Every model Keras trains stayed in memory for good, weights, optimizer state and traced graph, although the
learner's notebook held it no more (measured: a 784-2048-784 MLP kept 13.7 MB per trained model, the size of
its weights; chapter 04's twelve classifiers kept about 160 MB). The cause is in TensorFlow, not in Keras or
the course: Keras's optimizer sums the gradients over replicas with ``ReplicaContext.all_reduce``, whose
``tf.custom_gradient`` registers a gradient function under a new name at every trace, in a global registry
that never forgets it; that function holds the traced graph, and the graph holds the variables
(tensorflow/tensorflow#92094 and #97697, open in TensorFlow 2.21). :func:`drop_all_reduce_gradients` forgets
those registrations.

On systems without glibc (macOS, Windows, Alpine's musl) both do nothing and return ``False``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from functools import lru_cache

#: TensorFlow's switch for oneDNN's allocator (read when TensorFlow allocates its first tensor).
SYSTEM_ALLOCATOR_ENV = "TF_ONEDNN_USE_SYSTEM_ALLOCATOR"
#: Images per inference step in the helpers that infer in batches (evaluator, TSTR, generate, codes, velocity):
#: a conv layer's activations for 1,000 images take ~100 MB each. Measured on 2 cores, each pass's transient
#: memory above what it started from (two runs each): the evaluator over 10,000 test images 2.8-3.3 s and
#: +140-210 MB at 125, against 2.5-2.8 s and +235-290 MB at 250; chapter 07's pixel U-Net, guided velocity for
#: 2,000 images, 8.8-9.1 s and +410-470 MB at 125 against 10.7-11.1 s and +530-560 MB at 250.
INFERENCE_BATCH_SIZE = 125
#: Arenas allowed: 2 measured (chapter 03 in a script: 1.33 -> 1.15 GB with trimming) at the same speed.
ARENAS = 2
_M_ARENA_MAX = -8  # glibc's malloc.h
_STATE = {"arenas": None}  # the cap this process set, for arena_limit()


@lru_cache(maxsize=1)
def _glibc():
    """The C library when it is glibc (it has ``mallopt`` and ``malloc_trim``), else ``None``."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 - AttributeError on a C library that is not glibc
    except (OSError, AttributeError):
        return None
    return libc


def limit_arenas(arenas: int = ARENAS, environ=os.environ) -> bool:
    """Cap glibc's malloc arenas at ``arenas``; ``True`` when the cap was set; ``import helpers`` calls it (all chapters).

    Does nothing when ``MALLOC_ARENA_MAX`` is set (glibc read it at start-up; the learner chose) or off glibc.
    """
    if arenas < 1:
        raise ValueError(f"arenas={arenas}; glibc needs at least 1.")
    libc = _glibc()
    if libc is None or environ.get("MALLOC_ARENA_MAX"):
        return False
    if not libc.mallopt(_M_ARENA_MAX, int(arenas)):
        return False
    _STATE["arenas"] = int(arenas)
    return True


def use_system_allocator(environ=os.environ) -> bool:
    """Make TensorFlow's oneDNN kernels use ``malloc``; ``True`` when this set it; ``import helpers`` calls it (all chapters).

    oneDNN's own pool keeps the largest buffers a kernel ever needed, so every bigger batch or new layer raised
    a chapter's memory for good; through ``malloc`` they are freed and :func:`release_free_memory` returns
    them. A value the learner set (``0`` brings the pool back) wins. Takes effect only when TensorFlow has not
    allocated yet, as at ``import helpers`` in a fresh kernel.
    """
    if environ.get(SYSTEM_ALLOCATOR_ENV) is not None:
        return False
    environ[SYSTEM_ALLOCATOR_ENV] = "1"
    return True


def arena_limit() -> int | None:
    """The arena cap :func:`limit_arenas` set in this process, or ``None`` (tests)."""
    return _STATE["arenas"]


#: How TensorFlow names the gradient function of ``ReplicaContext.all_reduce`` (its ``tf.custom_gradient``).
_ALL_REDUCE_GRADIENT = "all_reduce.<locals>.grad_wrapper"


def _is_all_reduce_gradient(function, depth: int = 3) -> bool:
    """Whether a gradient-registry entry is the one ``all_reduce`` registered.

    TensorFlow registers a wrapper, whose closure holds the tape's gradient function, whose closure holds
    ``all_reduce``'s ``grad_wrapper``: look that many closures deep, no further.
    """
    if _ALL_REDUCE_GRADIENT in getattr(function, "__qualname__", ""):
        return True
    if depth == 0:
        return False
    for cell in getattr(function, "__closure__", None) or ():
        try:
            inner = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if callable(inner) and _is_all_reduce_gradient(inner, depth - 1):
            return True
    return False


def drop_all_reduce_gradients() -> int:
    """Forget the gradient functions TensorFlow registered for optimizer steps; how many (all chapters).

    Each registration holds a traced training step, and through it a model's weights and optimizer state, for
    as long as the process lives (see the module's docstring). They are only read when something
    differentiates *through* an optimizer step, which nothing in the course does, and a step traced again
    registers a new one. Other custom gradients (a learner's own ``tf.custom_gradient``) are kept. Does
    nothing before TensorFlow is imported, or where its private registry is not found (then returns 0).
    """
    import sys

    ops = sys.modules.get("tensorflow.python.framework.ops")
    registry = getattr(getattr(ops, "_gradient_registry", None), "_registry", None)
    if not isinstance(registry, dict):
        return 0
    names = [name for name, entry in list(registry.items())
             if name.startswith("CustomGradient-") and isinstance(entry, dict)
             and _is_all_reduce_gradient(entry.get("type"))]
    for name in names:
        registry.pop(name, None)
    if names:
        import gc

        gc.collect()  # the traced graphs form reference cycles with their tensors
    return len(names)


def release_free_memory() -> bool:
    """Free what TensorFlow held for dead models, then return free heap pages to the system; ``True`` if any went.

    Takes milliseconds (a garbage collection when a training step was traced since the last call); called
    after each training run and each notebook cell, so a notebook that trains many models does not keep the
    peak, nor the weights, of every one of them (all chapters).
    """
    drop_all_reduce_gradients()
    libc = _glibc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


def _trim_after_cell(result=None):
    release_free_memory()


def trim_after_each_cell(shell=None) -> bool:
    """In a Jupyter kernel, return free memory to the system after every cell; ``True`` when registered.

    :func:`helpers.setup` calls it (all chapters). Evaluations, sampling and metrics free large buffers
    outside :func:`helpers.training.fit`; without trimming, a chapter's resident memory only climbs (chapter
    04 measured 2.6 GB). Registering twice (``setup`` run again) keeps one hook; outside a kernel it does nothing.
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython ships with Jupyter
            return False
        shell = get_ipython()
    if shell is None or not hasattr(shell, "events"):
        return False
    if _trim_after_cell not in shell.events.callbacks.get("post_run_cell", []):
        shell.events.register("post_run_cell", _trim_after_cell)
    return True
