"""The course's error classes: a problem the learner can fix, with a one-line message.

A leaf module (it imports nothing of ours), so every layer can raise these
without import cycles. ``python -m helpers`` prints any :class:`CourseError`
as ``error: <message>`` on one line and exits non-zero, never with a
traceback; in a notebook the message is the last line of the traceback.
"""

from __future__ import annotations


def one_line(text: object) -> str:
    """``text`` with every run of whitespace (newlines included) folded into one space (all chapters)."""
    return " ".join(str(text).split())


class CourseError(Exception):
    """Base class of every error whose message tells the user what to do.

    ``exit_code`` is what the command line exits with (1 unless a subclass says otherwise).
    Caught by ``python -m helpers``; in a notebook its message ends the traceback (all chapters).
    """

    exit_code = 1

    def __str__(self) -> str:
        return one_line(super().__str__())


class CommandError(CourseError):
    """A bad command-line argument or input file: exit code 2, like argparse's own errors (command line)."""

    exit_code = 2


class UsageError(CourseError, ValueError):
    """A bad setting or name in code (unknown dataset, bad ``COURSE_MODE``); also a ``ValueError``.

    Raised by :func:`helpers.mode` and the dataset loaders (all chapters).
    """


class BackendError(CourseError):
    """Keras is set to a backend other than TensorFlow, which the course does not run on.

    Raised by :func:`helpers.setup` (all chapters) and the command line.
    """


class SampleError(CourseError):
    """A model produced unusable samples (NaN / infinite / blank): it diverged or is untrained.

    Raised by ``synth`` (command line).
    """


class TrainingDiverged(CourseError):
    """A loss or weight became NaN or infinite: the run is stopped and nothing is cached (chapters 01-06)."""


class DatasetError(CourseError, RuntimeError):
    """A dataset is missing, incomplete or corrupt. The message says how to fix it (chapter 00)."""


class DownloadError(DatasetError):
    """The network could not be reached (or refused): the message names the offline alternatives (chapter 00)."""
