"""Chapter 04 in JupyterLab: the latent explorers (2-D VAE, conditional VAE) follow their sliders and
class picker, and the β panel trains a VAE on click and adds a row of results. Runs only the cells those
widgets need; the stored VAEs load in seconds (nbval runs the whole chapter)."""

import re

import pytest

pytestmark = pytest.mark.browser

NOTEBOOK = "chapters/04_variational_autoencoders.ipynb"
CELLS = ("from helpers.models import vae as V", "N_TRAIN = by_mode", "x_test_bin = V.binarize(",
         "vae = vae_run.model", "h = vae_run.history", "beta_panel = RetrainPanel(", "vae2 = h2.model",
         "explorer_2d = LatentExplorer", "cvae = hc.model", "explorer_c = LatentExplorer")


def test_latent_explorers_and_beta_panel(lab):
    lab.open(NOTEBOOK)
    state = lab.run_cells(*CELLS)
    lab.assert_no_errors()
    assert state["errors"] == 0, state
    assert lab.assert_widgets_rendered(lab.save()) >= 3, "expected the β panel and two latent explorers"
    explorers = lab.page.locator(".jp-NotebookPanel .jp-OutputArea > .jp-OutputArea-child > .jp-OutputArea-output") \
        .filter(has=lab.page.locator("label", has_text="z[0]"))
    assert explorers.count() == 2, f"expected two latent explorers, found {explorers.count()}"

    # 2-D VAE: a step of z[0] decodes another digit; the caption shows the new code.
    explorer = explorers.nth(0)
    explorer.scroll_into_view_if_needed()
    image, caption = explorer.locator("img.widget-image").first, explorer.locator(".widget-html-content").last
    assert caption.inner_text().startswith("z = (+0.0, +0.0)"), caption.inner_text()

    def step(name):
        def press():
            slider = explorer.locator(".widget-slider", has=lab.page.locator("label", has_text=name)).first
            slider.locator(".noUi-handle").first.focus()
            for _ in range(10):  # one step is 0.1: move a whole unit, a visible change
                lab.page.keyboard.press("ArrowRight")
        return press

    lab.image_changes(image, step("z[0]"), "the 2-D explorer's digit after moving z[0]")
    lab.wait_changed(lambda: caption.inner_text().startswith("z = (+1.0, +0.0)"), False,
                     "the 2-D explorer's caption showing z[0] = +1.0")
    lab.screenshot("1-explorer-2d", explorer)

    # Conditional VAE: it starts on class 7 (set in the cell); another class, then another style.
    explorer = explorers.nth(1)
    explorer.scroll_into_view_if_needed()
    image, caption = explorer.locator("img.widget-image").first, explorer.locator(".widget-html-content").last
    assert "class 7" in caption.inner_text(), caption.inner_text()
    lab.image_changes(image, lambda: explorer.locator(".widget-dropdown select").select_option(index=2),
                      "the conditional explorer's digit after picking class 2")
    assert "class 2" in caption.inner_text(), caption.inner_text()
    lab.image_changes(image, step("z[1]"), "the conditional explorer's digit after moving z[1]")
    assert re.search(r"z = \(\+0\.0, \+1\.0", caption.inner_text()), caption.inner_text()
    lab.screenshot("2-explorer-conditional", explorer)

    # β panel: move β to 2, click; while it trains the button is disabled and the status names β=2;
    # afterwards the run's numbers and a row of reconstructions and samples appear.
    panel = lab.widget_with("button:text-is('Train and compare')")
    panel.scroll_into_view_if_needed()
    button = panel.locator("button", has_text="Train and compare").first
    images = panel.locator("img.widget-image")
    assert images.count() == 0 and "Not trained yet" in lab.panel_status(panel)
    panel.locator(".widget-slider .noUi-handle").first.focus()
    lab.page.keyboard.press("ArrowRight")  # β 1.0 -> 2.0
    lab.wait_changed(lambda: panel.locator(".widget-readout").first.inner_text().strip(), "1.0", "the β readout")
    button.click()
    seen = lab.record_while_busy(lambda: lab.panel_status(panel), busy=button.is_disabled, timeout_s=180)
    assert any(s.startswith("training with beta=2") for s in seen), f"status while training: {seen}"
    lab.wait_enabled(button, "the Train and compare button after training")
    final = lab.wait_status(panel, r"run 1: beta=2 → reconstruction [\d.]+ · KL [\d.]+")
    assert re.match(r"run 1: beta=2 → reconstruction [\d.]+ · KL [\d.]+", final), final
    assert images.count() == 2, f"expected reconstructions and samples in the new row, found {images.count()} images"
    assert images.first.evaluate("img => img.complete && img.naturalWidth") > 0, "the row's images did not load"
    lab.screenshot("3-beta-panel", panel)
    lab.assert_no_errors()
