"""The course's error base: a message for the learner, shown as one line (the CLI prints it, no traceback)."""

from __future__ import annotations


class CourseError(Exception):
    """An error whose message tells the learner what to do; the CLI prints it as one line and exits 1."""


class TrainingDiverged(CourseError):
    """A loss became NaN or infinite: the run is stopped and nothing is cached."""
