"""Chapter 00 in Jupyter Notebook 7's interface (``/notebooks/...``, which many learners open instead of
JupyterLab): it runs clean, and its DigitBrowser renders and responds there too."""

import re
from importlib.metadata import PackageNotFoundError, version

import pytest
from lab_harness import require_or_skip

pytestmark = pytest.mark.browser

NOTEBOOK = "chapters/00_start_here.ipynb"


def notebook7_missing() -> list[str]:
    try:
        major = int(version("notebook").split(".")[0])
    except (PackageNotFoundError, ValueError):
        major = 0
    return [] if major >= 7 else ["Jupyter Notebook 7 (`pip install -r requirements-browser.txt`)"]


def test_start_here_in_notebook7(lab, lab_server):
    require_or_skip(notebook7_missing())  # skipped on a laptop without it, an error in CI
    # Its own copy: not the file (and kernel) JupyterLab's chapter 00 test ran and saved.
    lab.open(lab_server.fresh_copy(NOTEBOOK, "nb7"), ui="notebook")
    assert "/notebooks/" in lab.page.url and lab.page.locator(".jp-LabShell").count() == 0, \
        "this is not Notebook 7's single-document interface"
    state = lab.run_all()
    lab.screenshot("1-after-run-all")
    lab.assert_no_errors()
    assert state["done"] == state["total"], f"only {state['done']} of {state['total']} code cells ran: {state}"
    assert lab.assert_widgets_rendered(lab.save()) >= 1, "the chapter displays no widget in Notebook 7"

    browser = lab.widget_with(".widget-dropdown select", ".widget-slider .noUi-handle", "img.widget-image")
    browser.scroll_into_view_if_needed()
    readout = browser.locator(".widget-slider .widget-readout").first
    image, caption = browser.locator("img.widget-image").first, browser.locator(".widget-html-content").last
    start = int(readout.inner_text())

    # With the mouse: in Notebook 7 an arrow key on a focused slider moves the focus to the notebook's
    # active cell instead (JupyterLab passes it to the slider; test_start_here uses the keyboard).
    lab.image_changes(image, lambda: lab.drag_slider(browser.locator(".widget-slider").first, 30),
                      "the digit image after dragging the slider (Notebook 7)")
    assert int(readout.inner_text()) > start, f"the readout did not move right: {readout.inner_text()}"
    text = caption.inner_text()
    lab.image_changes(image, lambda: browser.locator(".widget-dropdown select").select_option(index=2),
                      "the digit image after picking class 2 (Notebook 7)")
    lab.wait_changed(lambda: caption.inner_text(), text, "the caption after picking class 2 (Notebook 7)")
    assert re.search(r"label\s+2\b", caption.inner_text()), caption.inner_text()
    lab.screenshot("2-digit-browser", browser)
