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


def _dry_run(*make_args) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(["make", "-n", "-s", *make_args], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return out.replace("\\\n", " ")


def test_make_test_colab_installs_the_colab_pins_then_the_helpers_without_dependencies(tmp_path):
    venv = tmp_path / "venv-colab"  # absent: -n shows the installation too
    out = _dry_run("test-colab", f"COLAB_VENV={venv}", "COLAB_PYTHON=/opt/python3.13")
    lines = out.splitlines()
    steps = [next(i for i, x in enumerate(lines) if s in x) for s in (
        "/opt/python3.13 -m venv", "pip install --quiet -r requirements-colab.txt",
        "pip install --quiet --no-deps -e .", "pip check", "-m pytest")]
    assert steps == sorted(steps)  # nothing installed after the pins may upgrade them (--no-deps)
    (pytest_line,) = [x for x in lines if "-m pytest" in x]
    assert "tests/test_ui_*.py" in pytest_line and "tests/test_colab_env.py" in pytest_line
    assert "chapters --nbval-lax" in pytest_line and "COURSE_MODE=smoke" in pytest_line
    assert "COURSE_COLAB_ENV=1" in pytest_line and f"COURSE_CACHE_DIR=\"{venv}/course-cache\"" in pytest_line


def test_ci_runs_make_test_test_colab_and_test_grading_and_fails_if_any_fails(tmp_path):
    bin_dir, log = tmp_path / "bin", tmp_path / "make.log"
    bin_dir.mkdir()
    (bin_dir / "make").write_text(f'#!/bin/sh\necho "$@" >> {log}\n[ "$1" != "$FAIL" ]\n')
    (bin_dir / "chromium").write_text("#!/bin/sh\n")
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    for fail, expected_rc in (("test", 1), ("test-colab", 1), ("test-grading", 1), ("none", 0)):
        log.unlink(missing_ok=True)
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAIL": fail}
        rc = subprocess.run(["bash", str(ROOT / ".ci" / "run")], env=env, capture_output=True).returncode
        assert (rc, log.read_text().split()) == (expected_rc, ["test", "test-colab", "test-grading"]), fail


def test_make_test_grading_builds_the_instructor_venv_and_make_test_leaves_the_round_trip_out(tmp_path):
    venv = tmp_path / "venv-instructor"  # absent: -n shows the installation too
    lines = _dry_run("test-grading", f"INSTRUCTOR_VENV={venv}", "PYTHON=/opt/python3.11").splitlines()
    steps = [next(i for i, x in enumerate(lines) if s in x) for s in (
        "/opt/python3.11 -m venv", "pip install --quiet -r requirements.txt -r requirements-instructor.txt -e .",
        "pip check", "-m pytest tests/grading -m grading")]
    assert steps == sorted(steps)
    (round_trip,) = [x for x in lines if "-m pytest tests/grading" in x]
    assert "COURSE_MODE=smoke" in round_trip and "COURSE_REQUIRE_GRADING=1" in round_trip
    (solutions,) = [x for x in lines if "-m pytest solutions --nbval-lax" in x]  # the worked solutions run here
    assert "COURSE_MODE=smoke" in solutions
    (make_test,) = [x for x in _dry_run("test").splitlines() if "-m pytest chapters tests --nbval-lax" in x]
    assert '-m "not browser and not grading"' in make_test  # the round trip runs only in make test-grading
    assert "solutions" not in make_test  # ... and the solutions too, to keep make test under 10 minutes


def test_make_test_runs_two_workers_that_keep_each_notebook_in_one_kernel_and_zero_runs_serially():
    (parallel,) = [x for x in _dry_run("test").splitlines() if "-m pytest chapters tests" in x]
    assert "-n 2 --dist loadscope" in " ".join(parallel.split())  # loadscope: a notebook's cells stay together
    (serial,) = [x for x in _dry_run("test", "TEST_WORKERS=0").splitlines() if "-m pytest chapters tests" in x]
    assert "-n" not in serial.split() and "--dist" not in serial
    requirements = (ROOT / "requirements.txt").read_text()
    assert "pytest-xdist" in requirements  # make test's -n needs it in .venv
