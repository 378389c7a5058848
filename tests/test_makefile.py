"""`make lab`: rooted at the repository, opens chapter 00, works as root, takes extra JupyterLab options."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _lab_command(*make_args) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(["make", "-n", "-s", "lab", *make_args], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    joined = out.replace("\\\n", " ")
    (line,) = [x for x in joined.splitlines() if "jupyter lab" in x]  # -n prints, runs nothing
    return line


def test_make_lab_roots_at_the_repository_and_opens_chapter_00():
    line = _lab_command()
    assert f'--ServerApp.root_dir="{ROOT}"' in line
    assert "--LabApp.default_url=/lab/tree/chapters/00_start_here.ipynb" in line
    assert ("--allow-root" in line) == (os.getuid() == 0)  # only where JupyterLab would refuse to start


def test_make_lab_passes_extra_options_through_lab_args():
    line = _lab_command("LAB_ARGS=--port 8890 --no-browser")
    assert line.rstrip().endswith("--port 8890 --no-browser")
