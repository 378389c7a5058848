"""Chapter 03 in JupyterLab: its reconstruction pickers (index and noise), training panel and cache toggle
respond. Runs only the cells they need: the stored autoencoders load in seconds (nbval runs the whole
chapter; chapter 00's test covers Run All in the browser)."""

import re

import pytest

pytestmark = pytest.mark.browser

NOTEBOOK = "chapters/03_autoencoders.ipynb"
CELLS = ("from helpers.models import autoencoder as ae", "N_TRAIN = by_mode", "x_train, x_val, x_test = to_float(",
         "pca = ae.PCA().fit(", "conv_ae = conv_run.model", "dae = ae.train_autoencoder(",
         "(_, _), (fashion_u8, _) = load_fashion_mnist()",  # the anomaly scores the plain picker can sort by
         "picker_plain = ReconstructionPicker(", "panel = RetrainPanel(")


def test_autoencoders_widgets_respond_and_train_on_click(lab):
    lab.open(NOTEBOOK)
    state = lab.run_cells(*CELLS)
    lab.screenshot("1-after-cells")
    lab.assert_no_errors()
    assert state["errors"] == 0, state
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

    # The denoising picker (shown with noise σ 0.5): less noise changes the noisy input, the
    # reconstruction and the error in the caption.
    pickers = lab.page.locator(".jp-NotebookPanel .jp-OutputArea > .jp-OutputArea-child > .jp-OutputArea-output") \
        .filter(has=lab.page.locator("label", has_text="noise σ")).filter(has_not=lab.page.locator("button"))
    assert pickers.count() == 2, f"expected the plain and the denoising picker, found {pickers.count()}"
    dae = pickers.nth(1)
    dae.scroll_into_view_if_needed()
    caption = dae.locator(".widget-html-content").last
    noise = dae.locator(".widget-slider", has=lab.page.locator("label", has_text="noise σ")).first
    assert noise.locator(".widget-readout").first.inner_text().strip() == "0.50", "the cell set noise σ = 0.5"
    text = caption.inner_text()
    assert text.startswith("original · noisy input · reconstruction"), text

    def less_noise():
        noise.locator(".noUi-handle").first.focus()
        lab.page.keyboard.press("ArrowLeft")

    lab.image_changes(dae.locator("img.widget-image").first, less_noise,
                      "the denoising picker's images after lowering the noise")
    lab.wait_changed(lambda: caption.inner_text(), text, "the denoising picker's caption (a new error)")
    assert noise.locator(".widget-readout").first.inner_text().strip() == "0.45"

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
    # While it trains the button is disabled and the status names the settings; then a row appears.
    seen = lab.record_while_busy(lambda: lab.panel_status(panel), busy=button.is_disabled, timeout_s=180)
    assert any(s.startswith("training with latent_dim=8") for s in seen), f"status while training: {seen}"
    lab.wait_changed(lambda: images.count(), 0, "the number of images in the training panel after a click")
    lab.wait_changed(lambda: panel.inner_text(), text, "the training panel's text after a click")
    lab.wait_enabled(button, "the train button after training")
    lab.wait_status(panel, r"run 1: latent_dim=8, noise_std=0 → validation MSE [\d.]+")
    assert re.match(r"run 1: latent_dim=8, noise_std=0 → validation MSE [\d.]+", lab.panel_status(panel)), \
        lab.panel_status(panel)
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
