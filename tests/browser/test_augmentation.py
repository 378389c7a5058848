"""Chapter 02 in JupyterLab: the augmentation sliders redraw the grid, and the "retrain" panel trains
on click with the live training line (LiveProgress, updated from inside ``fit``) moving while the kernel
is busy. Runs only the cells those widgets need (the chapter's other cells are nbval's job)."""

import re

import pytest

pytestmark = pytest.mark.browser

NOTEBOOK = "chapters/02_augmentation.ipynb"
CELLS = ("from helpers.ui.augmentation import", "N_PER_CLASS = by_mode", "load_mnist()",
         "AugmentationPanel(x_train", "def small_experiment", "trainer = TrainPanel(")
EPOCHS = 10  # a few seconds of training in smoke mode: long enough to watch the live line move


def test_augmentation_sliders_and_train_panel_with_live_progress(lab):
    lab.open(NOTEBOOK)
    state = lab.run_cells(*CELLS)
    lab.assert_no_errors()
    assert state["errors"] == 0, state
    assert lab.assert_widgets_rendered(lab.save()) >= 2, "expected the augmentation panel and the training panel"

    # AugmentationPanel: one more step of rotation redraws the grid; "new random draw" draws other copies.
    aug = lab.widget_with("button.jupyter-button:text-is('new random draw')")
    aug.scroll_into_view_if_needed()
    image = aug.locator("img.widget-image").first
    caption = aug.locator(".widget-html-content").last
    rotation = aug.locator(".widget-slider", has=lab.page.locator("label", has_text=re.compile("^rotation$"))).first
    before = caption.inner_text()
    lab.screenshot("1-augmentation-before", aug)

    def more_rotation():
        rotation.locator(".noUi-handle").first.focus()
        lab.page.keyboard.press("ArrowRight")

    lab.image_changes(image, more_rotation, "the augmented grid after moving the rotation slider")
    after = lab.wait_changed(lambda: caption.inner_text(), before, "the caption after moving the rotation slider")
    assert re.search(r"rotation×\d", after), f"the caption does not list the rotation strength: {after!r}"
    assert "seed 0" in after
    lab.image_changes(image, lambda: aug.locator("button", has_text="new random draw").click(),
                      "the augmented grid after 'new random draw'")
    lab.wait_changed(lambda: "seed 1" in caption.inner_text(), False, "the caption naming the new seed")
    lab.screenshot("2-augmentation-after", aug)

    # TrainPanel: nothing trains before the click; while it trains, the button is disabled, the status says
    # so and LiveProgress's line moves (batches, elapsed time); afterwards the final numbers are shown.
    panel = lab.widget_with("button.jupyter-button:text-is('Train')")
    panel.scroll_into_view_if_needed()
    button = panel.locator("button.jupyter-button", has_text=re.compile(r"^\s*Train\s*$")).first
    status = panel.locator(".widget-html-content", has_text=re.compile("Not trained yet")).first
    assert status.count(), "the panel's status line does not say it has not trained yet"
    status_text = status.inner_text()
    epochs = panel.locator(".widget-slider", has=lab.page.locator("label", has_text="epochs")).first
    lab.set_slider(epochs, EPOCHS)
    live = panel.locator(".widget-html-content code", has_text="small_cnn, augmentation strength")
    assert live.count() == 0, "a live training line is shown before anyone clicked Train"

    button.click()
    seen = lab.record_while_busy(lambda: (live.first.inner_text() if live.count() else "", lab.panel_status(panel)),
                                 busy=button.is_disabled)  # the panel disables its button while it trains
    lab.screenshot("3-train-panel-after", panel)
    lines = [line for line, _ in seen if "batches" in line]
    assert len(set(lines)) >= 2, f"the live training line did not change while the model trained: {seen[-5:]}"
    assert any(f"epochs={EPOCHS}" in st for _, st in seen), \
        f"the status never said it was training with epochs={EPOCHS}: {[st for _, st in seen][-3:]}"
    lab.wait_changed(lambda: live.first.inner_text().endswith("· done"), False, "the live line's final '· done'")
    lab.wait_enabled(button, "the Train button after training")
    done = lab.wait_status(panel, rf"run 1: .*epochs: {EPOCHS}.*test accuracy: 0\.\d+")
    assert done != status_text and re.search(rf"run 1: .*epochs: {EPOCHS}.*test accuracy: 0\.\d+", done), \
        f"the status does not show the finished run's numbers: {done!r}"
    assert "trained now" in panel.inner_text(), "the run's cache toggle does not say the model was just trained"
    lab.assert_no_errors()

