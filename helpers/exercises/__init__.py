"""The checks behind the build-it exercises (all chapters): one module per chapter, on :mod:`.core`.

A chapter imports its module (``from helpers.exercises import vae as check``) and calls
``check.check_negative_elbo(negative_elbo)`` after the learner's scaffold cell.
"""

from . import core
