"""Helpers for the course *Datasets and synthetic data generation* (Keras 3, MNIST).

Notebooks stay short by calling into these modules, one concern each:
``runtime`` (setup, seeds, modes), ``datasets`` (load, verify, split, feed),
``plots`` (image grids), and the model, metric and widget modules added by
later chapters. ``python -m helpers --help`` lists the command-line tools.
"""

from .tf_logs import quiet_tensorflow_logs

quiet_tensorflow_logs()  # before anything imports TensorFlow: no red C++ start-up lines in the notebooks

from .memory import limit_arenas, use_system_allocator  # noqa: E402

limit_arenas()  # before TensorFlow starts its threads: less resident memory per trained model (see helpers.memory)
use_system_allocator()  # before TensorFlow allocates: its oneDNN kernels' buffers can be given back (helpers.memory)

from .errors import CourseError  # noqa: E402, F401
from .runtime import by_mode, is_smoke, mode, setup  # noqa: E402, F401

__version__ = "0.1.0"
