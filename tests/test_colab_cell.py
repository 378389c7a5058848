"""The Colab first cell (``helpers.runtime.COLAB_SETUP_CELL``), run in a simulated Colab.

The simulation: a throwaway virtual environment whose preinstalled packages are
this environment's (TensorFlow, Keras, NumPy, ipywidgets, ... as Colab has
them; the course itself left out), a fake ``google.colab`` module imported
before the cell runs, as Colab's kernel does, and a local bare clone of this
repository as the remote. pip may not reach any index (``PIP_NO_INDEX``), so
anything the cell tried to download would fail the test.

Checked: the first run clones and installs the course and nothing else (no
package Colab has is added, removed or changed), ``import helpers`` then works
in the same kernel, and a second run, in the same kernel or after a restart,
runs no command and adds nothing to ``sys.path`` again.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from packaging.version import Version

from helpers.runtime import COLAB_SETUP_CELL, REPO_URL

ROOT = Path(__file__).resolve().parent.parent
COURSE_DIST = "synthdata_course_helpers"  # the course's distribution name, normalised
COLAB_COURSE_DIR = "/content/course"

DRIVER = '''
"""Run the cell like a Colab kernel: google.colab imported first, every cell in one namespace."""
import importlib.util, json, subprocess, sys
import google.colab  # noqa: F401

cell_file, course_dir, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
importable_before = importlib.util.find_spec("helpers") is not None
calls, real_run = [], subprocess.run

def recording_run(cmd, *args, **kwargs):
    calls.append([str(part) for part in cmd])
    return real_run(cmd, *args, **kwargs)

subprocess.run = recording_run
namespace, per_run = {}, []
for _ in range(runs):
    calls.clear()
    exec(open(cell_file).read(), namespace)
    per_run.append(list(calls))
import helpers
print(json.dumps({"importable_before": importable_before, "calls": per_run, "helpers": helpers.__file__,
                  "path_entries": sys.path.count(course_dir), "repo_url": namespace["REPO_URL"]}))
'''


def _skip_unless_possible():
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if subprocess.run(["git", "rev-parse", "--git-dir"], cwd=ROOT, capture_output=True).returncode != 0:
        pytest.skip("not a git checkout: nothing to clone")
    try:  # pip builds the editable install offline, with this environment's setuptools (PEP 660: >= 64)
        if Version(importlib.metadata.version("setuptools")) < Version("64"):
            pytest.skip("setuptools >= 64 is needed to build the editable install offline")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("setuptools is needed to build the editable install offline")


def _is_the_course(name: str) -> bool:
    return name == "helpers" or COURSE_DIST in name.replace("-", "_").lower()


def _listing(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.name != "__pycache__"}


class Colab:
    """A fake Colab: its python, its own site-packages, the cell to run, and where the course goes."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        # "Preinstalled" packages: this environment's site-packages, linked one by one, without the course.
        self.preinstalled = tmp / "colab-preinstalled"
        self.preinstalled.mkdir()
        self.real_site = Path(sysconfig.get_paths()["purelib"])
        for entry in self.real_site.iterdir():
            if not _is_the_course(entry.name):
                (self.preinstalled / entry.name).symlink_to(entry)
        venv.create(tmp / "colab", with_pip=False, symlinks=True)
        self.python = tmp / "colab" / "bin" / "python"
        self.site = Path(self._run([str(self.python), "-c",
                                    "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
        (self.site / "colab_preinstalled.pth").write_text(f"import site; site.addsitedir({str(self.preinstalled)!r})\n")
        fake = tmp / "fake-modules" / "google" / "colab"  # a namespace package beside protobuf's google.*
        fake.mkdir(parents=True)
        (fake / "__init__.py").write_text('"""A stand-in for Colab\'s google.colab module (tests)."""\n')
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV", "COURSE_", "GIT_"))}
        self.env.update(PYTHONPATH=str(tmp / "fake-modules"), PYTHONNOUSERSITE="1", PIP_NO_INDEX="1",
                        PIP_NO_BUILD_ISOLATION="0",  # pip's inverted spelling: build with what is installed
                        PIP_DISABLE_PIP_VERSION_CHECK="1", TF_CPP_MIN_LOG_LEVEL="2")
        # The remote: a bare clone of this repository, reached through file:// so --depth 1 applies.
        self.remote = tmp / "remote.git"
        self._run(["git", "clone", "--quiet", "--bare", str(ROOT), str(self.remote)])
        self.course = tmp / "content" / "course"
        self.course.parent.mkdir()
        cell = COLAB_SETUP_CELL
        assert cell.count(COLAB_COURSE_DIR) == cell.count(REPO_URL) == 1, "the cell repeats a path or URL"
        for old, new in ((f'REPO_URL = "{REPO_URL}"', f'REPO_URL = "{self.remote.as_uri()}"'),
                         (f'COURSE_DIR = "{COLAB_COURSE_DIR}"', f'COURSE_DIR = "{self.course}"')):
            assert cell.count(old) == 1, f"the cell should set {old} once, so the test can point it elsewhere"
            cell = cell.replace(old, new)
        self.cell = tmp / "cell.py"
        self.cell.write_text(cell)
        (tmp / "driver.py").write_text(DRIVER)

    def _run(self, cmd, **kwargs):
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=self.tmp, env=getattr(self, "env", None),
                                timeout=120, **kwargs)
        assert result.returncode == 0, f"{cmd} failed:\n{result.stdout}\n{result.stderr}"
        return result

    def kernel(self, runs: int) -> dict:
        """A fresh kernel that runs the cell ``runs`` times; what it recorded."""
        out = self._run([str(self.python), str(self.tmp / "driver.py"), str(self.cell), str(self.course), str(runs)])
        return json.loads(out.stdout.strip().splitlines()[-1])

    def packages(self) -> dict[str, str]:
        """``pip list`` of the fake Colab: its own packages and the preinstalled ones."""
        out = self._run([str(self.python), "-m", "pip", "list", "--format=json"]).stdout
        return {p["name"].lower().replace("-", "_"): p["version"] for p in json.loads(out)}


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    _skip_unless_possible()
    return Colab(tmp_path_factory.mktemp("colab"))


def test_first_run_clones_and_installs_only_the_course_then_reruns_do_nothing(colab):
    real_before, own_before, packages_before = _listing(colab.real_site), _listing(colab.site), colab.packages()
    assert "tensorflow" in packages_before and COURSE_DIST not in packages_before

    first = colab.kernel(runs=2)  # run the cell, then run it again in the same kernel
    assert not first["importable_before"]
    assert first["repo_url"] == colab.remote.as_uri()
    clone, install = first["calls"][0]
    assert clone == ["git", "clone", "--depth", "1", colab.remote.as_uri(), str(colab.course)]
    assert install[1:4] == ["-m", "pip", "install"] and install[-2:] == ["-e", str(colab.course)], install
    assert "--no-deps" in install, "Colab's TensorFlow, Keras, ... must be left as they are"
    assert first["calls"][1] == [], "a second run of the cell must run nothing"
    assert first["path_entries"] == 1, "a second run must not add the course to sys.path again"
    assert Path(first["helpers"]).resolve() == (colab.course / "helpers" / "__init__.py").resolve()
    shallow = colab._run(["git", "-C", str(colab.course), "rev-parse", "--is-shallow-repository"]).stdout
    assert shallow.strip() == "true"

    packages_after = colab.packages()
    added = {name: version for name, version in packages_after.items() if name not in packages_before}
    assert list(added) == [COURSE_DIST], f"the cell installed more than the course: {added}"
    changed = {n: (v, packages_after.get(n)) for n, v in packages_before.items() if packages_after.get(n) != v}
    assert not changed, f"the cell changed packages Colab already has: {changed}"
    new_files = _listing(colab.site) - own_before
    assert new_files and all(_is_the_course(name) for name in new_files), new_files
    assert _listing(colab.real_site) == real_before, "the real environment was touched"

    restarted = colab.kernel(runs=1)  # Runtime -> Restart: the clone is there, the kernel is new
    assert restarted["importable_before"], "after a restart the course is still installed"
    assert restarted["calls"] == [[]], "after a restart the cell must clone and install nothing"
    assert restarted["path_entries"] == 1
    assert Path(restarted["helpers"]).resolve().is_relative_to(colab.course.resolve())


def test_outside_colab_the_cell_runs_nothing(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)

    def refuse(*args, **kwargs):
        raise AssertionError(f"the cell ran {args} outside Colab")

    monkeypatch.setattr(subprocess, "run", refuse)
    path_before = list(sys.path)
    exec(COLAB_SETUP_CELL, {})  # noqa: S102 - our own constant
    assert sys.path == path_before
