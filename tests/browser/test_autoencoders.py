"""Chapter 03 in JupyterLab: runs clean; its reconstruction picker, training panel and cache toggle respond."""

import re

import pytest

pytestmark = pytest.mark.browser

NOTEBOOK = "chapters/03_autoencoders.ipynb"


def test_autoencoders_widgets_respond_and_train_on_click(lab):
    lab.open(NOTEBOOK)
    state = lab.run_all(timeout_s=300)
    lab.screenshot("1-after-run-all")
    lab.assert_no_errors()
    assert state["done"] == state["total"], f"only {state['done']} of {state['total']} code cells ran: {state}"
    assert lab.assert_widgets_rendered(lab.save()) >= 2, "expected the reconstruction pickers and the training panel"

    # Reconstruction picker: another test image → the kernel reconstructs it and sends a new picture.
    picker = lab.widget_with(".widget-slider .noUi-handle", "img.widget-image")
    picker.scroll_into_view_if_needed()
    image = picker.locator("img.widget-image").first
    caption = picker.locator(".widget-html-content").first
    src, pixels, text = image.get_attribute("src"), image.screenshot(), caption.inner_text()
    picker.locator(".widget-slider .noUi-handle").first.focus()
    lab.page.keyboard.press("ArrowRight")
    lab.wait_changed(lambda: image.get_attribute("src"), src, "the reconstruction after moving the image slider")
    lab.wait_changed(lambda: caption.inner_text(), text, "the picker's caption after moving the image slider")
    assert image.screenshot() != pixels, "the image source changed but the pixels on screen did not"
    lab.screenshot("2-reconstruction-picker", picker)

    # Training panel: nothing trains until the button is clicked; a click trains one model and
    # adds its numbers and reconstructions to the panel.
    train = re.compile(r"train", re.I)
    panel = lab.widget_with("button.jupyter-button:not(.widget-toggle-button):text-matches('train', 'i')")
    panel.scroll_into_view_if_needed()
    button = panel.locator("button.jupyter-button:not(.widget-toggle-button)").filter(has_text=train).first
    images = panel.locator("img.widget-image")
    assert images.count() == 0, "the training panel shows results before anyone clicked: it trained on its own"
    text = panel.inner_text()
    lab.screenshot("3-training-panel-before", panel)
    button.click()
    lab.wait_changed(lambda: images.count(), 0, "the number of images in the training panel after a click",
                     timeout_s=180)
    lab.wait_changed(lambda: panel.inner_text(), text, "the training panel's text after a click")
    for _ in range(50):  # the button is disabled while training and comes back when done
        if button.is_enabled():
            break
        lab.page.wait_for_timeout(200)
    assert button.is_enabled(), "the train button stayed disabled after training finished"
    assert images.first.evaluate("img => img.complete && img.naturalWidth") > 0, "the new reconstructions did not load"
    lab.assert_no_errors()
    lab.screenshot("4-training-panel-after", panel)

    # Cache toggle: each training cell shows "reuse cached model / retrain"; a click on "retrain" reaches
    # the kernel, which answers in the toggle's status line with what to do next.
    toggle = lab.widget_with("button.widget-toggle-button:text-is('retrain')")
    toggle.scroll_into_view_if_needed()
    status = toggle.locator(".widget-html-content").last
    before = status.inner_text()
    assert "cached" in before, f"the toggle's status does not mention the cache: {before!r}"
    toggle.locator("button.widget-toggle-button").filter(has_text=re.compile("^retrain$")).first.click()
    lab.wait_changed(lambda: status.inner_text(), before, "the cache toggle's status after clicking retrain")
    assert "re-run this cell" in status.inner_text()
    lab.assert_no_errors()
    lab.screenshot("5-cache-toggle", toggle)
