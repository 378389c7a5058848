"""binder/ follows repo2docker's conventions and stays in sync with requirements.txt; the hub links are right.

repo2docker (mybinder.org, JupyterHub images) reads ``binder/environment.yml``,
runs ``binder/postBuild`` once at build time and ``binder/start`` before every
server start. These tests parse those files the way repo2docker does, check
that every runtime package of ``requirements.txt`` (and of ``pyproject.toml``,
since postBuild installs the helpers with ``--no-deps``) is pinned there to one
version inside its range, and run the start script. The README's Binder badge
and nbgitpuller link must be what ``tools/hub_link.py`` prints.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

yaml = pytest.importorskip("yaml", reason="PyYAML (a JupyterLab dependency) parses binder/environment.yml")

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
#: requirements.txt lists the runtime packages first, then this comment, then the test tools.
TESTING_MARKER = "# testing"
#: repo2docker's own pattern for the Python version of an environment.yml (repo2docker/buildpacks/conda).
R2D_PYTHON = re.compile(r"python\s*=+\s*([\d\.]*)")

spec = importlib.util.spec_from_file_location("hub_link", ROOT / "tools" / "hub_link.py")
hub_link = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hub_link)


# --- reading the files -------------------------------------------------------------------------------------------

def runtime_requirements(text: str) -> list[Requirement]:
    """The requirements above the ``# testing`` line of a requirements.txt text."""
    lines = text.splitlines()
    assert TESTING_MARKER in [line.strip() for line in lines], \
        f"requirements.txt has no {TESTING_MARKER!r} line separating runtime packages from test tools"
    runtime = lines[: [line.strip() for line in lines].index(TESTING_MARKER)]
    return [Requirement(line.split("#", 1)[0].strip()) for line in runtime if line.split("#", 1)[0].strip()]


def environment() -> dict:
    env = yaml.safe_load((BINDER / "environment.yml").read_text(encoding="utf-8"))
    assert isinstance(env, dict), "binder/environment.yml must be a mapping (repo2docker refuses anything else)"
    return env


def conda_and_pip(env: dict) -> tuple[list[str], list[str]]:
    deps = env.get("dependencies") or []
    conda = [d for d in deps if isinstance(d, str)]
    pips = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert len(pips) <= 1, "one pip: section only"
    return conda, (pips[0] if pips else [])


def pins(pip_lines: list[str]) -> dict[str, Version]:
    """``{canonical name: version}`` of the ``name==version`` lines; anything else is an error."""
    out = {}
    for line in pip_lines:
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==" and "*" not in specs[0].version, \
            f"binder/environment.yml: {line!r} is not pinned to one version (name==X.Y.Z)"
        out[canonicalize_name(req.name)] = Version(specs[0].version)
    return out


def sync_problems(requirements: list[Requirement], pinned: dict[str, Version], source: str) -> list[str]:
    """What is missing from, or pinned outside the range of, ``requirements`` (empty when in sync)."""
    problems = []
    for req in requirements:
        name = canonicalize_name(req.name)
        if name not in pinned:
            problems.append(f"{req.name} ({source}: {req}) is not pinned in binder/environment.yml")
        elif not req.specifier.contains(pinned[name], prereleases=True):
            problems.append(f"{req.name}=={pinned[name]} in binder/environment.yml is outside {source}'s {req}")
    return problems


def pyproject_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(d) for d in project["dependencies"]]


def commands(path: Path) -> list[str]:
    """The script's lines without comments and blank lines."""
    lines = [line.split(" #", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def _bash():
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    return bash


# --- environment.yml -----------------------------------------------------------------------------------------------

def test_environment_parses_and_pins_python_3_11_from_conda_forge():
    env = environment()
    conda, pip_lines = conda_and_pip(env)
    assert "conda-forge" in env.get("channels", [])
    pythons = [d for d in conda if R2D_PYTHON.match(d)]
    assert len(pythons) == 1 and R2D_PYTHON.match(pythons[0]).group(1) == "3.11", pythons
    assert "pip" in conda, "a pip: section needs pip among the conda packages"
    assert pip_lines, "the course's packages come from PyPI, in the pip: section"


def test_pip_section_pins_every_package_and_installs_no_local_code():
    _, pip_lines = conda_and_pip(environment())
    pins(pip_lines)  # each line name==version
    local = [line for line in pip_lines if line.startswith(("-", ".", "/")) or "://" in line]
    assert not local, f"{local}: the helpers are installed by postBuild; no -r/-e/paths in environment.yml"


def test_every_runtime_requirement_is_pinned_inside_its_range():
    pinned = pins(conda_and_pip(environment())[1])
    requirements = runtime_requirements((ROOT / "requirements.txt").read_text(encoding="utf-8"))
    assert {"tensorflow", "keras", "numpy", "jupyterlab"} <= {canonicalize_name(r.name) for r in requirements}
    problems = sync_problems(requirements, pinned, "requirements.txt")
    problems += sync_problems(pyproject_requirements(), pinned, "pyproject.toml")
    assert not problems, "\n".join(problems)


def test_the_sync_check_catches_drift():
    text = "keras>=3.0\nnumpy>=1.26\nrich>=13  # newly added\n# testing\npytest>=7\n"
    reqs = runtime_requirements(text)
    assert [r.name for r in reqs] == ["keras", "numpy", "rich"]  # test tools are not runtime packages
    pinned = pins(["keras==3.15.1", "NumPy==1.25.0"])
    problems = sync_problems(reqs, pinned, "requirements.txt")
    assert len(problems) == 2
    assert "numpy==1.25.0" in problems[0] and "outside" in problems[0]
    assert problems[1].startswith("rich ") and "not pinned" in problems[1]
    assert sync_problems(reqs[:1], pinned, "requirements.txt") == []
    for loose in ("keras>=3.0", "keras==3.*", "keras"):
        with pytest.raises(AssertionError, match="not pinned"):
            pins([loose])
    with pytest.raises(AssertionError, match="# testing"):
        runtime_requirements("keras>=3.0\npytest>=7\n")


# --- postBuild and start --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["postBuild", "start"])
def test_scripts_are_executable_bash_that_parses(name):
    path = BINDER / name
    assert os.access(path, os.X_OK), f"chmod +x binder/{name}"
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first in ("#!/bin/bash", "#!/usr/bin/env bash"), first
    subprocess.run([_bash(), "-n", str(path)], check=True)
    if shutil.which("git") and (ROOT / ".git").exists():
        listed = subprocess.run(["git", "ls-files", "-s", f"binder/{name}"], cwd=ROOT, capture_output=True,
                                text=True).stdout
        if listed:  # committed: the executable bit must be committed too
            assert listed.startswith("100755"), listed


def test_postbuild_stops_on_errors_installs_the_helpers_and_fetches_the_data():
    lines = commands(BINDER / "postBuild")
    assert re.match(r"set -[a-z]*e", lines[0]), f"the first command must be `set -euo pipefail`, not {lines[0]!r}"
    installs = [line for line in lines if re.search(r"\bpip install\b", line)]
    assert len(installs) == 1, installs
    words = installs[0].split()
    assert "--no-deps" in words, "the pins of environment.yml are the dependencies; pip must not change them"
    assert words[-2:] == ["-e", "."], installs  # editable: datasets/ is the repository's folder
    assert "python -m helpers data --download" in lines
    assert lines.index("python -m helpers data --download") > lines.index(installs[0])


def test_the_postbuild_data_command_exists_and_downloads_into_the_course_folder(monkeypatch):
    from helpers import cli, data_sources, downloads

    args = cli.build_parser().parse_args(["data", "--download"])
    assert args.command == "data" and args.download
    monkeypatch.delenv(data_sources.DATA_ENV, raising=False)  # as on Binder: nothing set, nothing found yet
    monkeypatch.setattr(downloads, "candidate_sources", lambda name, data_dir=None: [])
    for name in ("mnist", "fashion-mnist"):
        assert downloads.repair_folder(name).parent == ROOT / "datasets"


def _start(tmp_path, *command, cgroup: str | None = None, **env):
    root = tmp_path / "cgroup"
    root.mkdir(exist_ok=True)
    if cgroup is not None:
        (root / "cpu.max").write_text(cgroup + "\n")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "TF_NUM_"))}
    environ.update(COURSE_CGROUP_ROOT=str(root), **env)
    return subprocess.run([_bash(), str(BINDER / "start"), *command], capture_output=True, text=True, env=environ)


def _threads(result) -> dict[str, str]:
    assert result.returncode == 0, result.stderr
    pairs = (line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    return {k: v for k, v in pairs if k in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")}


def test_start_ends_by_running_the_server_it_is_given(tmp_path):
    assert commands(BINDER / "start")[-1] == 'exec "$@"'
    result = _start(tmp_path, "sh", "-c", 'echo "ran with $1"; exit 3', "sh", "two words")
    assert result.returncode == 3 and result.stdout.strip() == "ran with two words"


def test_start_limits_threads_to_the_cpu_quota(tmp_path):
    nproc = int(subprocess.run(["nproc"], capture_output=True, text=True, check=True,
                               env={"PATH": os.environ.get("PATH", "")}).stdout)
    quota = _threads(_start(tmp_path, "env", cgroup="100000 100000"))  # a quota of one CPU
    assert quota == dict.fromkeys(quota, "1") and len(quota) == 3, quota
    half = _threads(_start(tmp_path, "env", cgroup="150000 100000"))  # 1.5 CPUs: 2 threads (never above nproc)
    assert set(half.values()) == {str(min(2, nproc))}, half
    unlimited = _threads(_start(tmp_path, "env", cgroup="max 100000"))
    assert set(unlimited.values()) == {str(nproc)}, unlimited


def test_start_keeps_thread_settings_already_made(tmp_path):
    kept = _threads(_start(tmp_path, "env", cgroup="100000 100000", OMP_NUM_THREADS="7"))
    assert kept == {"OMP_NUM_THREADS": "7", "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}


def _preload(tmp_path, **env) -> dict[str, str]:
    result = _start(tmp_path, "env", **env)
    assert result.returncode == 0, result.stderr
    pairs = (line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    return {k: v for k, v in pairs if k in ("LD_PRELOAD", "MALLOC_CONF")}


def test_apt_installs_jemalloc_and_start_preloads_it_when_present(tmp_path):
    assert "libjemalloc2" in (BINDER / "apt.txt").read_text(encoding="utf-8").split()
    lib = tmp_path / "libjemalloc.so.2"
    lib.write_bytes(b"")  # not a real library: the dynamic loader warns and ignores it, the command still runs
    got = _preload(tmp_path, COURSE_JEMALLOC_LIB=str(lib))
    assert got["LD_PRELOAD"] == str(lib) and "background_thread:true" in got["MALLOC_CONF"], got
    assert _preload(tmp_path, COURSE_JEMALLOC_LIB=str(lib), MALLOC_CONF="narenas:1")["MALLOC_CONF"] == "narenas:1"


def test_start_leaves_preloading_alone_when_off_missing_or_already_set(tmp_path):
    lib = tmp_path / "libjemalloc.so.2"
    lib.write_bytes(b"")
    assert "LD_PRELOAD" not in _preload(tmp_path, COURSE_JEMALLOC_LIB=str(lib), COURSE_JEMALLOC="0")
    assert "LD_PRELOAD" not in _preload(tmp_path, COURSE_JEMALLOC_LIB=str(tmp_path / "absent.so"))
    other = tmp_path / "other.so"
    other.write_bytes(b"")
    assert _preload(tmp_path, COURSE_JEMALLOC_LIB=str(lib), LD_PRELOAD=str(other))["LD_PRELOAD"] == str(other)


# --- README and the generated links --------------------------------------------------------------------------------

def test_readme_shows_the_binder_badge_and_the_generated_hub_link():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert hub_link.binder_badge() in readme
    assert hub_link.nbgitpuller_link(hub_link.EXAMPLE_HUB) in readme, \
        f"paste the output of `python tools/hub_link.py {hub_link.EXAMPLE_HUB}` into the README"
    assert "binder/environment.yml" in readme


def test_nbgitpuller_link_is_encoded_like_nbgitpullers_generator():
    link = hub_link.nbgitpuller_link("https://hub.example.edu")
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "hub.example.edu", "/hub/user-redirect/git-pull")
    assert re.fullmatch(r"[A-Za-z0-9_.~%&=-]+", parts.query), parts.query  # every / and : percent-encoded
    assert list(parse_qs(parts.query)) == ["repo", "urlpath", "branch"]
    assert parse_qs(parts.query) == {
        "repo": [hub_link.REPO_URL],
        "urlpath": ["lab/tree/course/chapters/00_start_here.ipynb"],
        "branch": [hub_link.REPO_BRANCH],
    }
    assert "repo=" + hub_link.REPO_URL.replace(":", "%3A").replace("/", "%2F") + "&" in link


def test_nbgitpuller_link_accepts_how_people_write_a_hub_address():
    expected = hub_link.nbgitpuller_link("https://hub.example.edu")
    for typed in ("hub.example.edu", "https://hub.example.edu/", "https://hub.example.edu/hub/", " hub.example.edu/hub "):
        assert hub_link.nbgitpuller_link(typed) == expected, typed
    prefixed = hub_link.nbgitpuller_link("https://example.edu/jupyter/hub/")
    assert prefixed.startswith("https://example.edu/jupyter/hub/user-redirect/git-pull?")
    for bad in ("ftp://hub.example.edu", "https://"):
        with pytest.raises(ValueError):
            hub_link.nbgitpuller_link(bad)


def test_links_follow_the_repository_url_and_the_chapter():
    link = hub_link.nbgitpuller_link("hub.example.edu", "chapters/05_gans.ipynb",
                                     repo_url="https://gitlab.example.org/teach/mnist-course.git", branch="fall 2026")
    query = parse_qs(urlsplit(link).query)
    assert query["urlpath"] == ["lab/tree/mnist-course/chapters/05_gans.ipynb"]
    assert query["branch"] == ["fall 2026"] and "branch=fall%202026" in link
    url = hub_link.binder_url("chapters/05_gans.ipynb")
    slug = hub_link.REPO_URL.removeprefix("https://github.com/")
    assert url == f"https://mybinder.org/v2/gh/{slug}/{hub_link.REPO_BRANCH}?urlpath=lab%2Ftree%2Fchapters%2F05_gans.ipynb"
    with pytest.raises(ValueError):
        hub_link.binder_url(repo_url="https://gitlab.example.org/teach/mnist-course")


def test_the_command_line_prints_the_link(capsys):
    assert hub_link.main(["hub.example.edu"]) == 0
    assert capsys.readouterr().out.strip() == hub_link.nbgitpuller_link(hub_link.EXAMPLE_HUB)
    assert hub_link.main(["--binder"]) == 0
    assert capsys.readouterr().out.strip() == hub_link.binder_badge()
    with pytest.raises(SystemExit):
        hub_link.main([])
