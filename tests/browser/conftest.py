"""Browser tests: the chapters as a learner sees them, in JupyterLab and a real Chromium.

nbval runs a notebook in a bare kernel, so it cannot see a widget that shows up as
``IntSlider(value=3)`` text or "Error displaying widget" because the JupyterLab widget
front end is missing or mismatched. These fixtures start JupyterLab from the course
environment on 127.0.0.1 (random free port, token auth, smoke mode) over a temporary
copy of the course, and drive Debian's Chromium headless with Playwright.

Fixtures: ``lab_server`` (session), ``chromium`` (session), ``lab`` (one fresh browser
context per test, a :class:`LabPage`). Server and browser are always shut down, and the
session checks that no process it started is left behind. When a test fails, the
report shows the server log and the browser console, and a screenshot is saved under
``test-artifacts/browser/``.

Missing Chromium or Playwright skips these tests on a laptop; in CI (``CI=true`` or
``COURSE_REQUIRE_BROWSER=1``) it is an error, so the suite cannot silently vanish.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import time
from pathlib import Path

import pytest
from lab_harness import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    REPO,
    LabPage,
    LabServer,
    descendants,
    find_tools,
    pid_alive,
    require_or_skip,
    safe_cmdline,
)

_ACTIVE: dict = {}  # the running LabServer, for failure reports
_PHASES: list = []  # (test name, [(step, seconds)]) of every browser test, for the summary
CONSOLE_KEY = pytest.StashKey[list]()


@pytest.fixture(scope="session")
def browser_tools():
    """Path of the Chromium executable; skips (or fails in CI) when the tooling is missing."""
    chromium, missing = find_tools()
    require_or_skip(missing)
    return chromium


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory) -> Path:
    """A throwaway copy of the course: chapters/ copied (the UI may write into it),
    every other top-level folder linked, so relative paths in notebooks still work."""
    root = tmp_path_factory.mktemp("course")
    for entry in REPO.iterdir():
        if entry.name.startswith(".") or entry.name in {"test-artifacts", "chapters"}:
            continue
        (root / entry.name).symlink_to(entry)
    shutil.copytree(REPO / "chapters", root / "chapters",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return root


@pytest.fixture(scope="session")
def lab_server(browser_tools, lab_root, tmp_path_factory):
    server = LabServer(lab_root, tmp_path_factory.mktemp("jupyterlab"))
    _ACTIVE["server"] = server
    # A CI timeout sends SIGTERM: turn it into KeyboardInterrupt so pytest still runs the
    # teardowns below (server, kernels, browser) before it exits.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.start()
        yield server
    finally:
        signal.signal(signal.SIGTERM, previous)
        killed = server.stop()
        _ACTIVE.pop("server", None)
        still_alive = [pid for pid in server.started_pids if pid_alive(pid)]
        problems = []
        if killed:
            problems.append(f"had to kill processes the server did not stop: {killed}")
        if still_alive:
            problems.append(f"processes left behind: pids {still_alive}")
        if problems:
            pytest.fail("JupyterLab teardown: " + "; ".join(problems) + f"\n--- server log ---\n{server.log_tail()}")


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def chromium(browser_tools):
    """One headless Chromium for the session (system binary, driven by Playwright)."""
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    browser = None
    try:
        browser = pw.chromium.launch(executable_path=browser_tools, headless=True, args=CHROMIUM_ARGS,
                                     chromium_sandbox=False)
        yield browser
    finally:
        if browser is not None:
            browser.close()
        pw.stop()
        # Playwright's driver and Chromium are our children: none may survive.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            left = [p for p in descendants(os.getpid())
                    if any(k in " ".join(safe_cmdline(p)) for k in ("chrom", "playwright"))
                    and pid_alive(p.pid)]
            if not left:
                break
            time.sleep(0.2)
        else:
            for p in left:
                p.kill()
            pytest.fail(f"browser teardown left processes behind: {[p.pid for p in left]}")



@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """test-artifacts/browser/, emptied of the previous run's screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    return ARTIFACTS


@pytest.fixture
def lab(request, lab_server, chromium, artifacts_dir):
    """A fresh browser context on the JupyterLab server, as a :class:`LabPage`."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    context.set_default_timeout(30_000)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(f"[{m.type}] {m.text}") if m.type in {"error", "warning"} else None)
    page.on("pageerror", lambda e: console.append(f"[pageerror] {e}"))
    request.node.stash[CONSOLE_KEY] = console
    lab_page = LabPage(page, lab_server, name=re.sub(r"[^\w.-]+", "_", request.node.name))
    try:
        yield lab_page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is None or report.failed:
            try:
                page.screenshot(path=str(artifacts_dir / f"{lab_page.name}-FAILED.png"))
            except Exception:  # noqa: BLE001 (a screenshot must never hide the real failure)
                pass
        _PHASES.append((request.node.name, lab_page.phases))
        lab_server.track_children()
        lab_page.shutdown_kernels()
        context.close()



@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach the server log and the browser console to a failing browser test's report."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
    if report.failed and "browser" in item.keywords:
        server = _ACTIVE.get("server")
        if server is not None:
            report.sections.append(("JupyterLab server log (last 150 lines)", server.log_tail()))
        console = item.stash.get(CONSOLE_KEY, None)
        if console:
            report.sections.append(("browser console (errors and warnings)", "\n".join(console[-80:])))




def pytest_terminal_summary(terminalreporter):
    """Where each browser test's time went (open = kernel start, wait_cells/run_all = running cells,
    record_while_busy = watching a training): what to trim when the stage nears its 5-minute budget."""
    if not _PHASES:
        return
    terminalreporter.section("browser test phases (seconds)")
    for name, phases in _PHASES:
        steps = " · ".join(f"{step} {seconds:.1f}" for step, seconds in phases if seconds >= 0.5)
        terminalreporter.write_line(f"{sum(s for _, s in phases):6.1f}  {name}: {steps}")
