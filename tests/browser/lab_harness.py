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
            TF_CPP_MIN_LOG_LEVEL="2",
            PYTHONUNBUFFERED="1",
        )
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
  const errors = panel.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]').length;
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


class LabPage:
    """A notebook opened in JupyterLab, with the checks a learner would make by eye."""

    def __init__(self, page, server: LabServer, name: str):
        self.page, self.server, self.name = page, server, name
        self.notebook: str | None = None

    # -- driving the UI ---------------------------------------------------------
    def open(self, notebook: str, timeout_s: float = 120) -> None:
        """Open ``notebook`` (path under the server root) in a fresh workspace; wait for its kernel."""
        self.notebook = notebook
        workspace = f"t{uuid.uuid4().hex[:8]}"
        self.page.goto(self.server.url(f"lab/workspaces/{workspace}/tree/{urllib.parse.quote(notebook)}"),
                       wait_until="domcontentloaded")
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

    def run_all(self, timeout_s: float = 240) -> dict:
        """Run → Run All Cells from the menu bar; wait until the kernel is idle and every cell ran
        (or one failed). Returns the final execution state."""
        self.page.locator("#jp-MainMenu .lm-MenuBar-item", has_text=re.compile(r"^\s*Run\s*$")).click()
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

    def save(self) -> dict:
        """Save through the UI (Ctrl+S) and return the notebook JSON as the front end wrote it."""
        before = self.server.api("GET", f"api/contents/{urllib.parse.quote(self.notebook)}?content=0")
        self.page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
        self.page.keyboard.press("Control+s")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = self.server.api("GET", f"api/contents/{urllib.parse.quote(self.notebook)}?content=0")
            if now["last_modified"] != before["last_modified"]:
                break
            time.sleep(0.25)
        else:
            raise AssertionError(f"{self.notebook}: saving from the UI did not write the file within 30 s")
        return self.server.api("GET", f"api/contents/{urllib.parse.quote(self.notebook)}?content=1")["content"]

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
        errors = self.outputs_text("application/vnd.jupyter.error")
        assert not errors, (f"{self.notebook}: {len(errors)} cell(s) raised in JupyterLab:\n\n"
                            + "\n\n".join(e[-1500:] for e in errors))
        bad_stderr = [t for t in self.outputs_text("application/vnd.jupyter.stderr")
                      if re.search(r"Traceback|Error\b|Exception\b", t)]
        assert not bad_stderr, f"{self.notebook}: errors on stderr:\n\n" + "\n\n".join(t[-1500:] for t in bad_stderr)

    def assert_widgets_rendered(self, saved_notebook: dict) -> int:
        """Every widget output of the saved notebook is a live control on the page, not its
        text repr, not 'Error displaying widget'. Returns how many widgets were checked."""
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
