"""Chapter 06 in JupyterLab: the metrics explorer computes another model's and another sample size's
metrics on demand, and shows the cached ones again when a learner goes back. Runs only the cells it
needs: the evaluator, the stored models and their samples (nbval runs the whole chapter)."""

import re

import pytest

pytestmark = pytest.mark.browser

NOTEBOOK = "chapters/06_evaluating_synthetic_data.ipynb"
CELLS = ("from helpers.ui.metrics import", "MODELS = [", "EVALUATOR = metrics.evaluator(",
         "SAMPLES, TRAINED, SECONDS = {}", "EXPLORER = MetricsExplorer(")


def test_metrics_explorer_responds(lab):
    lab.open(NOTEBOOK)
    state = lab.run_cells(*CELLS)
    lab.assert_no_errors()
    assert state["errors"] == 0, state
    assert lab.assert_widgets_rendered(lab.save()) >= 1, "the metrics explorer is not displayed"

    explorer = lab.widget_with("label:text-is('model')", "table")
    explorer.scroll_into_view_if_needed()
    model, size = explorer.locator(".widget-dropdown select").nth(0), explorer.locator(".widget-dropdown select").nth(1)
    table, pairs = explorer.locator("table").first, explorer.locator("img.widget-image").first
    caption = explorer.locator(".widget-html-content", has_text="closest to a training image").first
    options = model.locator("option").all_inner_texts()
    assert options[0] == "real" and len(options) >= 2, f"models offered: {options}"
    assert re.search(r"Fréchet distance\s+[\d.]+", table.inner_text()), table.inner_text()
    first_table, first_caption = table.inner_text(), caption.inner_text()
    assert first_caption.startswith("real, "), first_caption
    lab.screenshot("1-explorer-real", explorer)

    # Another model: the kernel scores its samples; table, caption and nearest-neighbour pairs follow.
    other = options[1]
    lab.image_changes(pairs, lambda: model.select_option(label=other), f"the nearest-neighbour pairs of {other}",
                      timeout_s=120)
    lab.wait_changed(lambda: caption.inner_text().startswith(f"{other}, "), False, f"the caption naming {other}")
    assert table.inner_text() != first_table, "the metrics table did not change with the model"
    # Another sample size: the caption and the numbers follow.
    sizes = size.locator("option").all_inner_texts()
    assert len(sizes) >= 2, sizes
    text = table.inner_text()
    size.select_option(label=sizes[1])
    lab.wait_changed(lambda: f"{sizes[1]} samples" in caption.inner_text(), False,
                     f"the caption naming {sizes[1]} samples", timeout_s=120)
    lab.wait_changed(lambda: table.inner_text(), text, f"the metrics table for {sizes[1]} samples")
    lab.screenshot("2-explorer-other", explorer)
    # Back to the first choice: the cached results are shown again, the same numbers.
    size.select_option(label=sizes[0])
    model.select_option(label="real")
    lab.wait_changed(lambda: table.inner_text() == first_table and caption.inner_text() == first_caption, False,
                     "the first model's table and caption after going back")
    lab.assert_no_errors()
