"""Driving JupyterLab in a headless Chromium: the server, the page, and what a learner would check.

Used by ``conftest.py`` (fixtures) and the browser tests. :class:`LabServer` runs
JupyterLab from the course venv in its own process group on 127.0.0.1 (random free
port, token auth, smoke mode) and shuts it down with its kernels; :class:`LabPage`
opens a notebook, runs all cells through the menu, and checks outputs and widgets.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
DOCS_IMG = REPO / "docs" / "img"

# Flags Debian's Chromium needs as root on a closed network (Playwright adds --headless
# and its own fresh --user-data-dir; chromium_sandbox=False adds --no-sandbox).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]

SERVER_START_TIMEOUT_S = 120
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

# JupyterLab user settings for a quiet, deterministic UI: every cell in the DOM (no
# virtual scrolling, so checks see the whole notebook), no autosave, no news/update toasts.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}


def browser_required() -> bool:
    """True in CI, where missing browser tooling must fail rather than skip."""
    ci = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
    return ci or os.environ.get("COURSE_REQUIRE_BROWSER", "") == "1"


def find_chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"),
                      shutil.which("chromium-browser"), "/usr/bin/chromium"):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def find_tools() -> tuple[str | None, list[str]]:
    """(Chromium path, what is missing to run the browser tests, with how to install it)."""
    missing = []
    chromium = find_chromium()
    if chromium is None:
        missing.append("Chromium (`apt-get install chromium`, or set CHROMIUM=/path/to/chrome)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("Playwright (`pip install -r requirements-browser.txt`)")
    if importlib.util.find_spec("jupyterlab") is None:
        missing.append("JupyterLab (`pip install -r requirements.txt`)")
    return chromium, missing


def require_or_skip(missing: list[str]) -> None:
    """Skip when tooling is missing on a laptop; fail in CI, where the suite must not vanish."""
    import pytest

    if not missing:
        return
    message = "browser tests need " + " and ".join(missing)
    if browser_required():
        pytest.fail(message + " — required in CI (CI=true / COURSE_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(message)


def _die_with_parent() -> None:
    """In the server's child process (Linux): die with pytest, even when pytest is SIGKILLed.
    SIGKILL, because a server told to stop mid-request can hang; its kernels notice their
    parent is gone (ipykernel's parent poller) and exit on their own."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> list:
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def seed_model_store(cache: Path) -> Path:
    """A ``COURSE_CACHE_DIR`` for the server whose smoke-mode store holds hard links to the entries of
    the checkout's store (``$COURSE_CACHE_DIR`` or ``.cache``, filled by the nbval run of ``make test``).

    The store writes an entry into a temporary folder and renames it into place, and deletes by
    renaming first, so links are safe: a model trained in the browser never changes the source.
    Without a source store the copy is empty and the chapters train their (smoke-mode) models.
    """
    source = Path(os.environ.get("COURSE_CACHE_DIR") or REPO / ".cache") / "smoke" / "store"
    target = cache / "smoke" / "store"
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        def link_or_copy(src, dst):
            try:
                os.link(src, dst)
            except OSError:  # another file system
                shutil.copy2(src, dst)

        shutil.copytree(source, target, copy_function=link_or_copy, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".*", "backups"))
    target.mkdir(parents=True, exist_ok=True)
    return cache


def check_helpers_import(env: dict, cwd: Path) -> None:
    """Fail unless a kernel started with ``env`` in ``cwd`` imports this checkout's ``helpers``."""
    code = "import importlib.util; print(importlib.util.find_spec('helpers').origin)"
    out = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                         timeout=60)
    origin = Path(out.stdout.strip() or "?").resolve()
    if out.returncode != 0 or not origin.is_relative_to(REPO / "helpers"):
        raise RuntimeError(f"kernels would import helpers from {origin} instead of {REPO / 'helpers'}: "
                           f"{out.stderr.strip()[-500:]}")


# ----------------------------------------------------------------------------- server


class LabServer:
    """A JupyterLab server in its own process group, with its log in a file."""

    def __init__(self, root: Path, workdir: Path):
        self.root, self.workdir = root, workdir
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.log_path = workdir / "jupyterlab.log"
        self.proc: subprocess.Popen | None = None
        self.started_pids: set[int] = set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}/{path.lstrip('/')}{sep}token={self.token}"

    def api(self, method: str, path: str, timeout: float = 10.0):
        req = urllib.request.Request(f"{self.base_url}/{path.lstrip('/')}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def start(self) -> None:
        settings, workspaces = self.workdir / "lab-settings", self.workdir / "lab-workspaces"
        for name, value in LAB_SETTINGS.items():
            path = settings / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        workspaces.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(
            COURSE_MODE="smoke",  # what CI runs; every chapter finishes in well under a minute
            JUPYTER_CONFIG_DIR=str(self.workdir / "jupyter-config"),  # no personal config
            JUPYTER_RUNTIME_DIR=str(self.workdir / "jupyter-runtime"),
            JUPYTER_DATA_DIR=str(self.workdir / "jupyter-data"),  # notebook secret etc. stay out of ~
            IPYTHONDIR=str(self.workdir / "ipython"),
            JUPYTER_PLATFORM_DIRS="1",
            # TF_CPP_MIN_LOG_LEVEL is left to `import helpers` (level 3), as in a learner's kernel.
            PYTHONUNBUFFERED="1",
            # The kernels import this checkout's helpers, not whatever `pip install -e` points at.
            PYTHONPATH=os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
            # A private copy of the smoke-mode model store: the chapters reuse what nbval trained, and
            # what a click trains here never reaches (or comes from) the checkout's own store.
            COURSE_CACHE_DIR=str(seed_model_store(self.workdir / "course-cache")),
        )
        check_helpers_import(env, self.root / "chapters")
        # COURSE_DATA_DIR (and everything else) passes through from the environment.
        cmd = [
            sys.executable, "-m", "jupyterlab", "--no-browser",
            "--ip=127.0.0.1", f"--port={self.port}", "--port-retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={workspaces}",
            "--ServerApp.terminals_enabled=False",
            # Safety net should pytest itself be killed: kernels are culled and the
            # server exits on its own after 10 idle minutes.
            "--MappingKernelManager.cull_idle_timeout=600",
            "--MappingKernelManager.cull_interval=60",
            "--MappingKernelManager.cull_connected=True",
            "--ServerApp.shutdown_no_activity_timeout=600",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
                                     preexec_fn=_die_with_parent)
        self.started_pids.add(self.proc.pid)
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.proc.returncode} while starting.\n"
                                   f"--- server log ---\n{self.log_tail()}")
            try:
                self.api("GET", "api/status", timeout=2)
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.5)
        raise RuntimeError(f"JupyterLab did not answer on {self.base_url} within {SERVER_START_TIMEOUT_S} s.\n"
                           f"--- server log ---\n{self.log_tail()}")

    def fresh_copy(self, notebook: str, suffix: str) -> str:
        """Copy ``notebook`` as the checkout has it (no outputs) beside itself as ``<stem>-<suffix>.ipynb``;
        return its path under the root. For a second test of one chapter: its own kernel, no saved outputs."""
        source = Path(notebook)
        target = source.with_name(f"{source.stem}-{suffix}{source.suffix}")
        shutil.copyfile(REPO / source, self.root / target)
        return target.as_posix()

    def log_tail(self, lines: int = 150) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    def track_children(self) -> None:
        """Remember the kernels the server started (they run in their own sessions)."""
        if self.proc is not None:
            self.started_pids.update(p.pid for p in descendants(self.proc.pid))

    def stop(self) -> list[str]:
        """Shut down kernels and server; return a description of anything that had to be killed."""
        import psutil

        if self.proc is None:
            return []
        self.track_children()
        procs = []
        for pid in self.started_pids:
            try:
                procs.append(psutil.Process(pid))
            except psutil.NoSuchProcess:
                pass
        try:  # the polite way: the server shuts its kernels down, then exits
            self.api("POST", "api/shutdown", timeout=5)
        except Exception:  # noqa: BLE001 (a dead or hung server is handled below)
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        killed = []
        _, alive = psutil.wait_procs(procs, timeout=10)
        for p in alive:
            try:
                killed.append(f"pid {p.pid} {' '.join(p.cmdline())[:120]}")
                p.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(alive, timeout=5)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self._log.close()
        return killed


def safe_cmdline(p) -> list[str]:
    try:
        return p.cmdline()
    except Exception:  # noqa: BLE001
        return []


def pid_alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


# ----------------------------------------------------------------------------- page


# What a widget looks like when the front end cannot render it: its Python repr.
WIDGET_REPR = re.compile(r"^\s*(?:[A-Z]\w*|interactive)\((?:children|value|description|options|layout|"
                         r"index|min|max|format|_dom_classes|outputs)=")

# JupyterLab 4 renders a cell's error (an nbformat "error" output) with the stderr renderer: the DOM
# says data-mime-type="application/vnd.jupyter.stderr" for both. An IPython traceback is told apart by
# its header line; the error mime type is kept for front ends that do render it separately.
ERROR_OUTPUTS_JS = """(root) => [...root.querySelectorAll('.jp-OutputArea-output')].filter(out =>
  out.dataset.mimeType === 'application/vnd.jupyter.error' ||
  (out.dataset.mimeType === 'application/vnd.jupyter.stderr' &&
   /Traceback \\(most recent call last\\)/.test(out.innerText || '')))"""

_ERROR_TEXTS_JS = """() => (""" + ERROR_OUTPUTS_JS + """)(
  document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)')).map(out => out.innerText)"""

_KERNEL_READY_JS = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return false;
  const name = (panel.querySelector('.jp-Toolbar-kernelName') || {}).textContent || '';
  const ind = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  return !!name.trim() && !/No Kernel/i.test(name) && !!ind && ind.dataset.status === 'idle';
}"""

_STATE_JS = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return null;
  let pending = 0, done = 0, total = 0, last = null;
  const notRun = [];
  [...panel.querySelectorAll('.jp-Cell')].forEach((cell, i) => {
    if (!cell.classList.contains('jp-CodeCell')) return;
    const src = (cell.querySelector('.jp-InputArea-editor .cm-content') || {}).textContent || '';
    if (!src.trim()) return;
    total++;
    const prompt = (cell.querySelector('.jp-InputArea-prompt') || {}).textContent || '';
    if (prompt.includes('*')) pending++;
    else if (/\\[\\d+\\]/.test(prompt)) {
      done++;
      last = {cell: i + 1, prompt: prompt.trim(),
              output: ((cell.querySelector('.jp-OutputArea') || {}).innerText || '').slice(-600)};
    } else notRun.push(`cell ${i + 1}: ${src.trim().slice(0, 70)}`);
  });
  const errors = (""" + ERROR_OUTPUTS_JS + """)(panel).length;
  const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  return {pending, done, total, errors, status: indicator ? indicator.dataset.status : null,
          not_run: notRun.slice(0, 5), last_run: last};
}"""

# Top-level outputs of every cell (not the ones nested in an ipywidgets Output), in order.
_OUTPUTS_JS = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  return [...panel.querySelectorAll('.jp-Cell')].map(cell => {
    const area = cell.querySelector('.jp-OutputArea');
    if (!area) return [];
    return [...area.querySelectorAll(':scope > .jp-OutputArea-child')].map(child => {
      const out = child.querySelector('.jp-OutputArea-output');
      if (!out) return {mime: null, text: '', widget: false, hidden: true};
      const first = out.firstElementChild;
      return {
        mime: out.dataset.mimeType || null,
        text: (out.innerText || '').slice(0, 300),
        widget: !!(first && first.classList.contains('jupyter-widgets')),
        hidden: out.classList.contains('lm-mod-hidden') || child.classList.contains('lm-mod-hidden'),
      };
    });
  });
}"""


# Visible widget buttons whose label does not fit (ipywidgets buttons are 148 px wide and end in "…").
_CUT_LABELS_JS = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jupyter-widgets button.jupyter-button')]
  .filter(b => b.offsetParent !== null && b.scrollWidth > b.clientWidth + 1).map(b => b.innerText.trim())"""

# Prompts and errors of some cells (by position), and the execution indicator.
_CELLS_JS = """(indices) => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const cells = [...panel.querySelectorAll('.jp-Cell')];
  const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  return {
    prompts: indices.map(i => ((cells[i] && cells[i].querySelector('.jp-InputArea-prompt')) || {}).textContent || ''),
    errors: indices.filter(i => cells[i] && (""" + ERROR_OUTPUTS_JS + """)(cells[i]).length).length,
    status: indicator ? indicator.dataset.status : null,
  };
}"""


def _timed(method):
    """Record how long each call of a LabPage step took in ``page.phases`` (printed after the run)."""
    import functools

    @functools.wraps(method)
    def timed(self, *args, **kwargs):
        start = time.monotonic()
        try:
            return method(self, *args, **kwargs)
        finally:
            self.phases.append((method.__name__, time.monotonic() - start))
    return timed


class LabPage:
    """A notebook opened in JupyterLab, with the checks a learner would make by eye."""

    def __init__(self, page, server: LabServer, name: str):
        self.page, self.server, self.name = page, server, name
        self.notebook: str | None = None
        self.opened: list[str] = []
        self.phases: list[tuple[str, float]] = []  # (step, seconds), see _timed

    # -- driving the UI ---------------------------------------------------------
    @_timed
    def open(self, notebook: str, timeout_s: float = 120, ui: str = "lab") -> None:
        """Open ``notebook`` (path under the server root) and wait for its kernel: in JupyterLab
        (``ui="lab"``, a fresh workspace) or in Jupyter Notebook 7's interface (``ui="notebook"``,
        ``/notebooks/<path>``, same server). Both build the notebook from the same JupyterLab
        components, so every check below works in either."""
        self.notebook = notebook
        self.opened.append(notebook)
        quoted = urllib.parse.quote(notebook)
        if ui == "lab":
            path = f"lab/workspaces/t{uuid.uuid4().hex[:8]}/tree/{quoted}"
        elif ui == "notebook":
            path = f"notebooks/{quoted}"
        else:
            raise ValueError(f"ui must be 'lab' or 'notebook', not {ui!r}")
        self.page.goto(self.server.url(path), wait_until="domcontentloaded")
        self.page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(state="visible", timeout=timeout_s * 1000)
        # The execution indicator reads "idle" before any kernel exists ("No Kernel | Initializing"),
        # so wait for the session on the server, then for the page to show its kernel idle.
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            sessions = [s for s in self.server.api("GET", "api/sessions") if s.get("path") == notebook]
            kernel = sessions[0]["kernel"] if sessions else {}
            ready = (kernel.get("execution_state") == "idle" and kernel.get("connections", 0) > 0
                     and self.page.evaluate(_KERNEL_READY_JS))
            if ready:
                self.server.track_children()
                return
            self._accept_kernel_dialog()
            time.sleep(0.5)
        self.screenshot("open-timeout")
        raise AssertionError(f"{notebook}: kernel not ready in JupyterLab within {timeout_s} s "
                             f"(sessions: {self.server.api('GET', 'api/sessions')})")

    def _accept_kernel_dialog(self) -> None:
        """Should JupyterLab ask which kernel to use, take its default (the notebook's python3)."""
        dialog = self.page.locator(".jp-Dialog", has_text="Select Kernel")
        if dialog.count():
            dialog.locator(".jp-mod-accept").first.click()

    @_timed
    def run_all(self, timeout_s: float = 240) -> dict:
        """Run → Run All Cells from the menu bar; wait until the kernel is idle and every cell ran
        (or one failed). Returns the final execution state."""
        # The menu bar: #jp-MainMenu in JupyterLab, the one .lm-MenuBar of Notebook 7.
        self.page.locator(".lm-MenuBar .lm-MenuBar-item", has_text=re.compile(r"^\s*Run\s*$")).first.click()
        label = self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^\s*Run All Cells\s*$"))
        self.page.locator(".lm-Menu .lm-Menu-item", has=label).first.click()
        started = time.monotonic()
        deadline = started + timeout_s
        state, stable_since, stalled_since, progress = None, None, None, None
        while time.monotonic() < deadline:
            self._accept_kernel_dialog()
            state = self.page.evaluate(_STATE_JS)
            idle = state and state["pending"] == 0 and state["status"] == "idle"
            finished = idle and (state["errors"] > 0 or state["done"] == state["total"])
            if finished:
                stable_since = stable_since or time.monotonic()
                if time.monotonic() - stable_since >= 1.5:  # idle and unchanged: truly done
                    state["seconds"] = round(time.monotonic() - started, 1)
                    self.server.track_children()
                    return state
            else:
                stable_since = None
            # Idle, nothing queued, cells left unrun and no progress: the run was cut short
            # (a kernel restart, a cell that failed without an error output, ...).
            if idle and state["done"] > 0 and state["done"] == progress:
                stalled_since = stalled_since or time.monotonic()
                if time.monotonic() - stalled_since >= 10:
                    self.screenshot("run-all-stopped")
                    restarts = [line for line in self.log_lines() if re.search(r"restart|died|dead", line, re.I)]
                    raise AssertionError(
                        f"{self.notebook}: 'Run All Cells' stopped after {state['done']} of {state['total']} "
                        f"code cells with no error output; not run: {state['not_run']}; "
                        f"last cell that ran: {state['last_run']}; kernel restarts in the server log: "
                        f"{restarts[-3:] or 'none'}")
            else:
                stalled_since = None
            progress = state["done"] if state else None
            time.sleep(0.25)
        self.screenshot("run-all-timeout")
        raise AssertionError(f"{self.notebook}: 'Run All Cells' did not finish within {timeout_s} s "
                             f"(last state: {state})")

    def code_cells(self, *markers: str) -> list[int]:
        """Positions (0-based, among all cells) of the code cell whose source contains each marker
        (exactly one must: "cgan_grid =" also matches "dcgan_grid =")."""
        cells = json.loads((self.server.root / self.notebook).read_text(encoding="utf-8"))["cells"]  # see save()
        found = []
        for marker in markers:
            hits = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and marker in "".join(c["source"])]
            assert len(hits) == 1, (f"{self.notebook}: {len(hits)} code cells contain {marker!r}"
                                    f"{' (cells ' + str([i + 1 for i in hits]) + ')' if hits else ''}")
            found.append(hits[0])
        return found

    def run_cells(self, *markers: str, timeout_s: float = 240) -> dict:
        """Run only the code cells containing ``markers`` (one each, in the order given), as a
        learner would: click the cell's prompt, Ctrl+Enter. Cheaper than Run All for a chapter whose
        widgets need a few cells. Waits until they all ran (or one failed) and the kernel is idle."""
        return self.wait_cells(self.start_cells(*markers), timeout_s=timeout_s)

    def start_cells(self, *markers: str) -> list[int]:
        """Queue the cells of :meth:`run_cells` without waiting; returns their positions."""
        indices = self.code_cells(*markers)
        cells = self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell")
        for i in indices:
            cell = cells.nth(i)
            for _ in range(20):  # cells above may still be running and growing: the page moves under the mouse
                prompt = cell.locator(".jp-InputArea-prompt").first
                prompt.scroll_into_view_if_needed()
                prompt.click()
                if "jp-mod-active" in (cell.get_attribute("class") or "").split():
                    break
                time.sleep(0.1)
            else:
                raise AssertionError(f"{self.notebook}: could not select cell {i + 1} to run it")
            self.page.keyboard.press("Control+Enter")  # runs the active cell, wherever the mouse now is
        return indices

    @_timed
    def wait_cells(self, indices: list[int], timeout_s: float = 240) -> dict:
        """Wait until the cells at ``indices`` show an execution count (or one failed) and the kernel is idle."""
        started = time.monotonic()
        deadline = started + timeout_s
        state, stable_since, idle_since = None, None, None
        while time.monotonic() < deadline:
            state = self.page.evaluate(_CELLS_JS, indices)
            idle = state["status"] == "idle" and not any("*" in p for p in state["prompts"])
            ran = all(re.search(r"\[\d+\]", p) for p in state["prompts"])
            if idle and (ran or state["errors"]):
                stable_since = stable_since or time.monotonic()
                if time.monotonic() - stable_since >= 1.0:
                    state["seconds"] = round(time.monotonic() - started, 1)
                    self.server.track_children()
                    return state
            else:
                stable_since = None
            idle_since = (idle_since or time.monotonic()) if idle and not ran else None
            if idle_since and time.monotonic() - idle_since >= 10:
                self.screenshot("run-cells-stopped")
                raise AssertionError(f"{self.notebook}: cells {[i + 1 for i in indices]} did not all run "
                                     f"(prompts {state['prompts']}) and the kernel is idle")
            time.sleep(0.25)
        self.screenshot("run-cells-timeout")
        raise AssertionError(f"{self.notebook}: cells {[i + 1 for i in indices]} did not finish within "
                             f"{timeout_s} s (last state: {state})")

    @_timed
    def record_while_busy(self, read, busy, start_timeout_s: float = 30, timeout_s: float = 240,
                          every_s: float = 0.1) -> list:
        """After an action that makes the kernel work: poll ``read()`` while ``busy()`` is true and return
        the distinct values seen, in order, while it was; the caller asserts on them ("the live line
        changed while training"). Waits up to ``start_timeout_s`` for ``busy()`` to turn true.

        ``busy``: :meth:`cell_running` for a cell, or a panel's disabled Train button for a click. Not
        the kernel status: with ipykernel 7 it reads "idle" during a click's training whenever an Output
        widget is written to, because the front end's echo of that Output's state is handled (busy,
        then idle) while the click handler still runs.
        """
        deadline = time.monotonic() + start_timeout_s
        while not busy():
            assert time.monotonic() < deadline, f"{self.notebook}: the work never started (busy() stayed false)"
            time.sleep(0.05)
        seen: list = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = read()
            if not busy():  # read first: a value counts only if the work was still going on after it
                return seen
            if not seen or seen[-1] != value:
                seen.append(value)
            time.sleep(every_s)
        self.screenshot("still-busy")
        raise AssertionError(f"{self.notebook}: still busy after {timeout_s} s")

    def cell_running(self, index: int) -> bool:
        """True while cell ``index`` (0-based position) is queued or running: its prompt reads ``[*]``."""
        return "*" in self.page.evaluate(_CELLS_JS, [index])["prompts"][0]

    def shutdown_kernels(self) -> None:
        """Shut down the kernels of the notebooks this page opened (each holds TensorFlow's memory)."""
        for session in self.server.api("GET", "api/sessions"):
            if session.get("path") in self.opened:
                try:
                    self.server.api("DELETE", f"api/sessions/{session['id']}", timeout=30)
                except Exception:  # noqa: BLE001 (the session teardown also kills what is left)
                    pass

    @_timed
    def save(self) -> dict:
        """Save through the UI (Ctrl+S) and return the notebook JSON as the front end wrote it.

        Read from disk, not through the contents API: the server overwrites the file in place after
        copying it to ``.~<name>``, and a GET that arrives meanwhile "recovers" that copy over the file
        being written, which fails the save (seen on a loaded machine). Done = file changed, copy gone,
        valid JSON."""
        path = self.server.root / self.notebook
        backup = path.with_name(f".~{path.name}")
        before = path.stat().st_mtime_ns
        self.page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
        self.page.keyboard.press("Control+s")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if path.stat().st_mtime_ns != before and not backup.exists():
                try:
                    return json.loads(path.read_text(encoding="utf-8"))
                except ValueError:  # caught mid-write
                    pass
            time.sleep(0.1)
        raise AssertionError(f"{self.notebook}: saving from the UI did not write the file within 30 s")

    def log_lines(self) -> list[str]:
        try:
            return self.server.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []

    def screenshot(self, step: str, locator=None) -> Path:
        path = ARTIFACTS / f"{self.name}-{step}.png"
        (locator or self.page).screenshot(path=str(path))
        return path

    # -- what the learner sees ----------------------------------------------------
    def outputs_text(self, mime: str) -> list[str]:
        loc = self.page.locator(f'.jp-NotebookPanel .jp-OutputArea-output[data-mime-type="{mime}"]')
        return [t.strip() for t in loc.all_inner_texts()]

    def assert_no_errors(self) -> None:
        """No cell raised, and nothing that looks like a traceback went to stderr."""
        errors = [t.strip() for t in self.page.evaluate(_ERROR_TEXTS_JS)]
        assert not errors, (f"{self.notebook}: {len(errors)} cell(s) raised in JupyterLab:\n\n"
                            + "\n\n".join(e[-1500:] for e in errors))
        bad_stderr = [t for t in self.outputs_text("application/vnd.jupyter.stderr")
                      if re.search(r"Traceback|Error\b|Exception\b", t)]
        assert not bad_stderr, f"{self.notebook}: errors on stderr:\n\n" + "\n\n".join(t[-1500:] for t in bad_stderr)

    def assert_widgets_rendered(self, saved_notebook: dict) -> int:
        """Every widget output of the saved notebook is a live control on the page, not its
        text repr, not 'Error displaying widget', and no button label is cut off. Returns how many
        widgets were checked."""
        rendered = self.page.evaluate(_OUTPUTS_JS)
        cells = saved_notebook["cells"]
        assert len(rendered) == len(cells), (f"{self.notebook}: page shows {len(rendered)} cells, "
                                             f"file has {len(cells)}")
        problems, checked, flagged = [], 0, set()
        for i, (cell, shown) in enumerate(zip(cells, rendered, strict=True)):
            outputs = [o for o in cell.get("outputs", [])]
            for j, out in enumerate(outputs):
                data = out.get("data", {})
                if WIDGET_MIME not in data or not data[WIDGET_MIME].get("model_id"):
                    continue
                checked += 1
                dom = shown[j] if j < len(shown) else None
                where = f"cell {i + 1} (execution count {cell.get('execution_count')})"
                if dom is None:
                    problems.append(f"{where}: widget output missing from the page")
                elif not dom["widget"]:
                    flagged.add((i, j))
                    problems.append(f"{where}: widget not rendered as a control; the page shows "
                                    f"{dom['mime'] or 'no mime type'}: {dom['text'][:160]!r}")
        for i, shown in enumerate(rendered):  # widget reprs the file does not know about
            for j, dom in enumerate(shown):
                if (i, j) not in flagged and dom["mime"] == "text/plain" and WIDGET_REPR.match(dom["text"]):
                    problems.append(f"cell {i + 1}: a widget is shown as its text repr: {dom['text'][:160]!r}")
        broken = self.page.locator(".jp-NotebookPanel .jupyter-widgets",
                                   has_text=re.compile(r"^(Error displaying widget|Loading widget)"))
        for text in broken.all_inner_texts():
            problems.append(f"widget front end reports: {text.strip()[:160]!r}")
        if problems:
            first = min(flagged, default=None) or next(
                ((i, 0) for i, shown in enumerate(rendered) for dom in shown
                 if dom["mime"] == "text/plain" and WIDGET_REPR.match(dom["text"])), None)
            if first is not None:  # show the broken widget, not wherever the page was scrolled to
                self.page.locator(".jp-NotebookPanel .jp-Cell").nth(first[0]).scroll_into_view_if_needed()
            self.screenshot("widget-problem")
            raise AssertionError(
                f"{self.notebook}: {len(problems)} widget problem(s) — the JupyterLab widget front end "
                "(jupyterlab_widgets) is missing, mismatched or failed:\n  - " + "\n  - ".join(problems))
        cut = self.page.evaluate(_CUT_LABELS_JS)  # "Train and com…": the learner cannot read the button
        if cut:
            self.screenshot("cut-label")
            raise AssertionError(f"{self.notebook}: button label(s) cut off, wider than ipywidgets' 148 px "
                                 f"button: {cut} (give the button layout=Layout(width='auto'))")
        return checked

    def widget_with(self, *selectors: str):
        """The first top-level widget output that contains all ``selectors``."""
        loc = self.page.locator(".jp-NotebookPanel .jp-OutputArea > .jp-OutputArea-child > .jp-OutputArea-output")
        for sel in selectors:
            loc = loc.filter(has=self.page.locator(sel))
        assert loc.count() > 0, f"{self.notebook}: no widget output contains all of {selectors}"
        return loc.first

    def wait_changed(self, read, before, what: str, timeout_s: float = 30):
        """Poll ``read()`` until it differs from ``before``; fail naming ``what`` otherwise."""
        deadline = time.monotonic() + timeout_s
        value = read()
        while value == before and time.monotonic() < deadline:
            time.sleep(0.2)
            value = read()
        assert value != before, f"{self.notebook}: {what} did not change within {timeout_s} s"
        return value

    def image_changes(self, image, action, what: str, timeout_s: float = 30) -> None:
        """Do ``action()``; the kernel must send ``image`` (an ``img.widget-image``) a new picture that
        loads and differs on screen, not just in its ``src``."""
        image.scroll_into_view_if_needed()
        src, pixels = image.get_attribute("src"), image.screenshot()
        action()
        self.wait_changed(lambda: image.get_attribute("src"), src, what, timeout_s=timeout_s)
        # A new src is decoded asynchronously: wait for it to load (asserting at once failed in CI, 3 Dec 2026).
        deadline = time.monotonic() + 10
        while not image.evaluate("img => img.complete && img.naturalWidth > 0") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), f"{what}: the new image did not load"
        assert image.screenshot() != pixels, f"{what}: the image source changed but the pixels on screen did not"

    @staticmethod
    def panel_status(panel) -> str:
        """A TrainPanel's one-line status: the first HTML directly inside its VBox (chapters 02-05)."""
        return panel.locator(".widget-vbox > .widget-html").first.inner_text()

    def wait_status(self, panel, pattern: str, timeout_s: float = 30) -> str:
        """A TrainPanel's status once it matches ``pattern`` (``re.search``), or the last one seen after
        ``timeout_s``: the button can come back a moment before the final status reaches the page."""
        deadline = time.monotonic() + timeout_s
        text = self.panel_status(panel)
        while not re.search(pattern, text) and time.monotonic() < deadline:
            time.sleep(0.1)
            text = self.panel_status(panel)
        return text

    def drag_slider(self, slider, dx: float) -> None:
        """Drag an ipywidgets slider's handle ``dx`` pixels with the mouse."""
        handle = slider.locator(".noUi-handle").first
        handle.scroll_into_view_if_needed()
        box = handle.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        self.page.mouse.move(x, y)
        self.page.mouse.down()
        self.page.mouse.move(x + dx, y, steps=5)
        self.page.mouse.up()

    def set_slider(self, slider, value) -> None:
        """Type ``value`` into an ipywidgets slider's readout and press Enter, as a learner can."""
        readout = slider.locator(".widget-readout").first
        readout.scroll_into_view_if_needed()
        readout.click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(str(value))
        self.page.keyboard.press("Enter")
        self.wait_changed(lambda: readout.inner_text().strip() == str(value), False,
                          f"the slider readout showing {value}", timeout_s=10)

    def wait_enabled(self, button, what: str, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while not button.is_enabled():
            assert time.monotonic() < deadline, f"{self.notebook}: {what} stayed disabled for {timeout_s} s"
            time.sleep(0.1)

    def save_docs_screenshot(self, locator, filename: str, max_bytes: int = 300_000) -> Path | None:
        """Refresh ``docs/img/<filename>`` (the README's picture) when UPDATE_DOCS_SCREENSHOTS=1."""
        if os.environ.get("UPDATE_DOCS_SCREENSHOTS") != "1":
            return None
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        path = DOCS_IMG / filename
        locator.screenshot(path=str(path))
        size = path.stat().st_size
        assert size < max_bytes, f"{path} is {size:,} bytes; keep README images under {max_bytes:,}"
        return path
