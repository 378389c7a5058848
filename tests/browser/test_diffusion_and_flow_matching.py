"""Chapter 07 in JupyterLab: the trajectory scrubber follows its slider, and the flow sampler re-samples
when its class, sampler and steps change. Runs only the cells those widgets need (the stored latent flow
loads in seconds; nbval runs the whole chapter)."""

import pytest

pytestmark = pytest.mark.browser

NOTEBOOK = "chapters/07_diffusion_and_flow_matching.ipynb"
CELLS = ("from helpers.ui.flow import", "N_TRAIN = by_mode", "(x_all, y_all), (x_test, y_test) = load_mnist()",
         "cflow_run = registry.train_recipe", "scrubber = TrajectoryScrubber(", "sampler_panel = FlowSampler(")


def test_scrubber_and_sampler_follow_their_controls(lab):
    lab.open(NOTEBOOK)
    state = lab.run_cells(*CELLS, timeout_s=300)
    lab.assert_no_errors()
    assert state["errors"] == 0, state
    assert lab.assert_widgets_rendered(lab.save()) >= 2, "expected the scrubber and the sampler"

    # TrajectoryScrubber: one step along the path redraws the two rows and the caption's t.
    scrubber = lab.widget_with("label:text-is('step')")
    scrubber.scroll_into_view_if_needed()
    image, caption = scrubber.locator("img.widget-image").first, scrubber.locator(".widget-html-content").last
    assert caption.inner_text().startswith("t = 0.00"), caption.inner_text()

    def step():
        scrubber.locator(".widget-slider .noUi-handle").first.focus()
        lab.page.keyboard.press("ArrowRight")

    lab.image_changes(image, step, "the scrubber's rows after one step")
    lab.wait_changed(lambda: caption.inner_text().startswith("t = 0.05"), False, "the scrubber's caption at t = 0.05")
    lab.screenshot("1-scrubber", scrubber)

    # FlowSampler: a class, another sampler, one more step: each re-samples and says so in the caption.
    panel = lab.widget_with("label:text-is('sampling steps')")
    panel.scroll_into_view_if_needed()
    image, caption = panel.locator("img.widget-image").first, panel.locator(".widget-html-content").last
    assert "20 steps of euler (20 network calls)" in caption.inner_text(), caption.inner_text()
    assert "label fidelity" in caption.inner_text(), caption.inner_text()
    selects = panel.locator(".widget-dropdown select")
    lab.image_changes(image, lambda: selects.nth(1).select_option(index=4), "the sampler's digits after class 3")
    lab.image_changes(image, lambda: selects.nth(0).select_option("heun"), "the sampler's digits with Heun")
    lab.wait_changed(lambda: "(40 network calls)" in caption.inner_text(), False, "the caption naming Heun's calls")
    panel.locator(".widget-slider .noUi-handle").first.focus()
    lab.page.keyboard.press("ArrowRight")
    lab.wait_changed(lambda: "21 steps of heun" in caption.inner_text(), False, "the caption after one more step")
    lab.screenshot("2-sampler", panel)
    lab.assert_no_errors()
