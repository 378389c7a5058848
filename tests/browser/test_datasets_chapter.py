"""Chapter 01 in JupyterLab: the digit browser, the class comparison and the probe CNN's cache toggle
respond. Runs only the cells those widgets need (nbval runs the whole chapter)."""

import re

import pytest

pytestmark = pytest.mark.browser

NOTEBOOK = "chapters/01_datasets.ipynb"
CELLS = ("from helpers.ui.browse import", "N_PCA_POINTS = by_mode", '(fx_train, fy_train), (fx_test, fy_test) = load(',
         "(x_val, y_val) = stratified_split(", "browser = DigitBrowser(", "compare = ClassComparison(",
         "probe_run = store.trained(")


def test_browser_comparison_and_cache_toggle(lab):
    lab.open(NOTEBOOK)
    state = lab.run_cells(*CELLS)
    lab.assert_no_errors()
    assert state["errors"] == 0, state
    assert lab.assert_widgets_rendered(lab.save()) >= 3, "expected the browser, the comparison and a cache toggle"

    # DigitBrowser, opened by the cell on the 4th seven: one step right shows the 5th.
    browser = lab.widget_with(".widget-dropdown select", ".widget-slider .noUi-handle", "img.widget-image")
    browser.scroll_into_view_if_needed()
    readout = browser.locator(".widget-slider .widget-readout").first
    image, caption = browser.locator("img.widget-image").first, browser.locator(".widget-html-content").last
    assert readout.inner_text().strip() == "3" and re.search(r"label\s+7\b", caption.inner_text()), caption.inner_text()

    def step():
        browser.locator(".widget-slider .noUi-handle").first.focus()
        lab.page.keyboard.press("ArrowRight")

    text = caption.inner_text()
    lab.image_changes(image, step, "the digit browser's image after moving the slider")
    assert readout.inner_text().strip() == "4"
    lab.wait_changed(lambda: caption.inner_text(), text, "the digit browser's caption (another row)")
    assert re.search(r"label\s+7\b", caption.inner_text())
    lab.screenshot("1-digit-browser", browser)

    # ClassComparison, opened on 4 vs 9: class B = 0 redraws the means and the caption; "other samples"
    # draws other examples.
    compare = lab.widget_with("button:text-is('other samples')")
    compare.scroll_into_view_if_needed()
    images = compare.locator("img.widget-image")
    samples_a, means = images.nth(0), images.nth(2)
    caption = compare.locator(".widget-html-content").last
    assert caption.inner_text().startswith("4 vs 9: mean images overlap"), caption.inner_text()
    lab.image_changes(means, lambda: compare.locator(".widget-dropdown select").nth(1).select_option(index=0),
                      "the mean images after picking class B = 0")
    assert caption.inner_text().startswith("4 vs 0:"), caption.inner_text()
    lab.image_changes(samples_a, lambda: compare.locator("button", has_text="other samples").click(),
                      "class A's samples after 'other samples'")
    lab.screenshot("2-class-comparison", compare)

    # The probe CNN's cache toggle: "retrain" reaches the kernel, which answers with what to do next.
    toggle = lab.widget_with("button.widget-toggle-button:text-is('retrain')")
    toggle.scroll_into_view_if_needed()
    assert "ch01_probe_cnn" in toggle.inner_text()
    status = toggle.locator(".widget-html-content").last
    before = status.inner_text()
    assert "cached" in before, f"the toggle's status does not mention the cache: {before!r}"
    toggle.locator("button.widget-toggle-button").filter(has_text=re.compile("^retrain$")).first.click()
    lab.wait_changed(lambda: status.inner_text(), before, "the cache toggle's status after clicking retrain")
    assert "re-run this cell" in status.inner_text()
    lab.assert_no_errors()
