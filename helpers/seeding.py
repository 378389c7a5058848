"""Seeded work that leaves the learner's random state as it was (chapters 05-06, the CLI, the benchmark).

``setup(seed)`` (:mod:`helpers.runtime`) is the only call that sets the global
seeds of a session. A helper that needs reproducible randomness of its own
(building and training a model for the store, say) runs inside
:func:`seeded`, which seeds Python, NumPy, TensorFlow and Keras for the block
and restores all four afterwards: the result depends on ``seed`` alone, and
the learner's next random draw is the one it would have been.
"""

from __future__ import annotations

import contextlib
import random

import numpy as np


def _tf_global_seed():
    try:
        from tensorflow.python.eager import context

        return context.global_seed()
    except (ImportError, AttributeError):  # pragma: no cover - other TF layouts
        return None


def _set_tf_global_seed(seed):
    try:
        from tensorflow.python.eager import context

        context.set_global_seed(seed)
    except (ImportError, AttributeError):  # pragma: no cover
        pass


@contextlib.contextmanager
def seeded(seed: int):
    """Run the block with every global generator seeded by ``seed``; restore them on exit.

    Every stored training runs under it (chapters 01-06, through :mod:`helpers.store`).
    """
    import keras
    from keras.src.backend.common import global_state

    saved_keras = {k: global_state.get_global_attribute(k) for k in ("global_random_seed", "global_seed_generator")}
    saved_python, saved_numpy, saved_tf = random.getstate(), np.random.get_state(), _tf_global_seed()
    try:
        keras.utils.set_random_seed(int(seed))
        yield
    finally:
        random.setstate(saved_python)
        np.random.set_state(saved_numpy)
        _set_tf_global_seed(saved_tf)
        for k, v in saved_keras.items():
            global_state.set_global_attribute(k, v)
