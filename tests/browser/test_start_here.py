"""Chapter 00 in JupyterLab: runs clean, and its DigitBrowser is a live control."""

import re

import pytest

pytestmark = pytest.mark.browser

NOTEBOOK = "chapters/00_start_here.ipynb"


def test_start_here_runs_and_digit_browser_responds(lab):
    lab.open(NOTEBOOK)
    state = lab.run_all()
    lab.screenshot("1-after-run-all")
    lab.assert_no_errors()
    assert state["done"] == state["total"], f"only {state['done']} of {state['total']} code cells ran: {state}"
    assert lab.assert_widgets_rendered(lab.save()) >= 1, "the chapter displays no widget at all"

    # The DigitBrowser: a class dropdown, an index slider, the digit image and a caption.
    panel = lab.widget_with(".widget-dropdown select", ".widget-slider .noUi-handle", "img.widget-image")
    panel.scroll_into_view_if_needed()
    select = panel.locator(".widget-dropdown select").first
    handle = panel.locator(".widget-slider .noUi-handle").first
    readout = panel.locator(".widget-slider .widget-readout").first
    image = panel.locator("img.widget-image").first
    caption = panel.locator(".widget-html-content").first
    assert image.evaluate("img => img.complete && img.naturalWidth") > 0, "the digit image did not load"
    start_index = int(readout.inner_text())
    lab.screenshot("2-digit-browser", panel)
    cell = panel.locator("xpath=ancestor::div[contains(concat(' ', @class, ' '), ' jp-Cell ')][1]")
    lab.save_docs_screenshot(cell, "digit_browser.png")

    # Slider one step right (keyboard, as a learner may): the kernel renders a new digit.
    src, pixels, text = image.get_attribute("src"), image.screenshot(), caption.inner_text()
    handle.focus()
    lab.page.keyboard.press("ArrowRight")
    lab.wait_changed(lambda: readout.inner_text().strip(), str(start_index), "the slider readout")
    assert int(readout.inner_text()) == start_index + 1
    lab.wait_changed(lambda: image.get_attribute("src"), src, "the digit image after moving the slider")
    lab.wait_changed(lambda: caption.inner_text(), text, "the caption after moving the slider")
    assert image.screenshot() != pixels, "the image source changed but the pixels on screen did not"
    lab.screenshot("3-after-slider", panel)

    # Another class from the dropdown: image, caption and slider all follow.
    src, text = image.get_attribute("src"), caption.inner_text()
    select.select_option(index=2)
    lab.wait_changed(lambda: image.get_attribute("src"), src, "the digit image after picking class 2")
    lab.wait_changed(lambda: caption.inner_text(), text, "the caption after picking class 2")
    assert re.search(r"label\s+2\b", caption.inner_text()), f"caption does not name class 2: {caption.inner_text()!r}"
    assert readout.inner_text().strip() == "0", "picking a class should reset the index slider to 0"
    lab.screenshot("4-after-dropdown", panel)
