"""The nbgrader round trip (``make test-grading``): marked ``grading``, so ``make test`` leaves it out.

nbgrader lives in the instructor environment (requirements-instructor.txt, ``.venv-instructor``). Where it
cannot be imported these tests are skipped on a laptop, and fail in CI (``CI=true`` or
``COURSE_REQUIRE_GRADING=1``), so the check cannot silently vanish.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def pytest_configure(config):
    config.addinivalue_line("markers", "grading: nbgrader generate_assignment/autograde round trip (make test-grading)")


def grading_required() -> bool:
    """True in CI, where a missing nbgrader must fail rather than skip."""
    ci = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
    return ci or os.environ.get("COURSE_REQUIRE_GRADING", "") == "1"


@pytest.fixture(scope="session")
def grading():
    """tools/grading.py as a module; skips (or fails in CI) when nbgrader is not installed."""
    if importlib.util.find_spec("nbgrader") is None:
        message = ("nbgrader is not installed here: run `make test-grading` (it builds .venv-instructor from "
                   "requirements.txt + requirements-instructor.txt)")
        if grading_required():
            pytest.fail(message + " — required in CI (CI=true / COURSE_REQUIRE_GRADING=1)", pytrace=False)
        pytest.skip(message)
    spec = importlib.util.spec_from_file_location("grading", REPO / "tools" / "grading.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
