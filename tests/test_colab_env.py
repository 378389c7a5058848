"""requirements-colab.txt: Google Colab's versions, pinned, and (in ``make test-colab``) really installed.

The file's checks run everywhere; the installed-versions check runs in ``.venv-colab``, where
``make test-colab`` sets ``COURSE_COLAB_ENV=1``.
"""

import os
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements-colab.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!-]+)$")


def _lines():
    text = REQUIREMENTS.read_text(encoding="utf-8")
    return text, [x.strip() for x in text.splitlines() if x.strip() and not x.startswith("#")]


def pins() -> dict[str, str]:
    """``{name: version}`` of every requirement line (tests)."""
    return dict(PIN.match(line).groups() for line in _lines()[1])


def colab_python() -> tuple[int, int]:
    """The ``# python: 3.13`` line of the header as ``(3, 13)`` (tests)."""
    (found,) = re.findall(r"^# python: (\d+)\.(\d+)$", _lines()[0], re.M)
    return int(found[0]), int(found[1])


def test_every_line_is_a_pin_and_the_header_says_where_and_when_it_was_read():
    text, lines = _lines()
    assert [x for x in lines if not PIN.match(x)] == []
    names = {n.lower().replace("_", "-") for n in pins()}
    assert len(names) == len(lines)  # no package pinned twice
    assert {"tensorflow", "keras", "numpy", "ipywidgets", "pytest", "nbval", "ipykernel"} <= names
    assert pins()["ipywidgets"].startswith("7.")  # the point of the exercise
    assert "https://github.com/googlecolab/backend-info" in text
    assert re.search(r"Read on \d{4}-\d\d-\d\d", text)
    assert colab_python() >= (3, 10)


@pytest.mark.skipif(os.environ.get("COURSE_COLAB_ENV") != "1", reason="only in .venv-colab (make test-colab)")
def test_the_colab_venv_holds_exactly_the_pinned_versions():
    wrong = {}
    for name, version in pins().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            wrong[name] = (version, installed)
    assert wrong == {}, "pinned vs installed: pip upgraded or missed these"
    assert sys.version_info[:2] == colab_python(), "not Colab's Python minor: see the header of requirements-colab.txt"
