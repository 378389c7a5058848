"""Chapter 05 in JupyterLab: the GAN widgets. Runs only the cells they need (the stored DCGAN and
conditional GAN load in seconds; nbval runs the whole chapter).

* LatentWalk (DCGAN and conditional GAN) and ClassPicker answer their sliders, dropdowns and buttons.
* TrainAndWatch: a click trains a fresh GAN for its time budget; while it trains the samples and the
  batch count change, afterwards the frame slider scrubs through the recorded grids.
* LiveProgress in a chapter cell: pick "retrain" on the DCGAN's cache toggle and re-run its cell; while
  the cell runs (``[*]``) the live line changes and samples show, and at the end the toggle is back
  on "reuse" with the new model cached.
"""

import re

import pytest

pytestmark = pytest.mark.browser

NOTEBOOK = "chapters/05_gans.ipynb"
DCGAN_CELL = "dcgan_grid = gan.SampleGrid"
CELLS = ("from helpers.ui.gan import", "N_TRAIN = by_mode", "x_train, y_train = x_train[:N_TRAIN]", DCGAN_CELL,
         "cgan = cgan_run.model", "panel = TrainAndWatch(", "walk = LatentWalk(dcgan", "picker = ClassPicker(cgan")


def test_gan_widgets_and_training_while_watching(lab):
    lab.open(NOTEBOOK)
    state = lab.run_cells(*CELLS, timeout_s=300)
    lab.assert_no_errors()
    assert state["errors"] == 0, state
    assert lab.assert_widgets_rendered(lab.save()) >= 5, "expected two cache toggles, the panel, two walks, a picker"
    lab.screenshot("1-after-cells")

    # LatentWalk of the DCGAN: t moves the big image along the path; "new endpoints" redraws the strip.
    walk = lab.widget_with("button:text-is('new endpoints')")
    walk.scroll_into_view_if_needed()
    big, strip = walk.locator("img.widget-image").nth(0), walk.locator("img.widget-image").nth(1)
    caption = walk.locator(".widget-html-content").last

    def step_t():
        walk.locator(".widget-slider .noUi-handle").first.focus()
        lab.page.keyboard.press("ArrowRight")

    lab.image_changes(big, step_t, "the walk's image after moving t")
    lab.wait_changed(lambda: caption.inner_text().startswith("t = 0.05"), False, "the walk's caption showing t = 0.05")
    lab.image_changes(strip, lambda: walk.locator("button", has_text="new endpoints").click(),
                      "the walk's strip after 'new endpoints'")
    assert "seed 1" in caption.inner_text(), caption.inner_text()
    lab.screenshot("2-latent-walk", walk)

    # ClassPicker of the conditional GAN: another class draws other digits; "resample" draws new noise.
    picker = lab.widget_with("button:text-is('resample')")
    picker.scroll_into_view_if_needed()
    image, caption = picker.locator("img.widget-image").first, picker.locator(".widget-html-content").last
    lab.image_changes(image, lambda: picker.locator(".widget-dropdown select").select_option(index=3),
                      "the class picker's samples after picking class 3")
    assert "class 3" in caption.inner_text(), caption.inner_text()
    lab.image_changes(image, lambda: picker.locator("button", has_text="resample").click(),
                      "the class picker's samples after 'resample'")
    assert "noise seed 1" in caption.inner_text(), caption.inner_text()
    # ... and the conditional GAN's LatentWalk has a class picker too.
    cwalk = lab.widget_with("button:text-is('new endpoints')", ".widget-dropdown select")
    lab.image_changes(cwalk.locator("img.widget-image").first,
                      lambda: cwalk.locator(".widget-dropdown select").select_option(index=5),
                      "the conditional walk's image after picking class 5")
    lab.screenshot("3-class-picker", picker)

    # TrainAndWatch: the samples and the batch count move while it trains, then the run's numbers show.
    panel = lab.widget_with("button:text-is('Train and watch')")
    panel.scroll_into_view_if_needed()
    button = panel.locator("button", has_text="Train and watch").first
    image = panel.locator("img.widget-image").first
    frame = panel.locator(".widget-slider", has=lab.page.locator("label", has_text="frame")).first
    track = frame.locator(".noUi-target").first
    assert "Not trained yet" in lab.panel_status(panel)
    assert track.get_attribute("disabled") is not None, "the frame slider is usable before any frame exists"
    button.click()
    seen = lab.record_while_busy(lambda: (lab.panel_status(panel), image.get_attribute("src")),
                                 busy=button.is_disabled, timeout_s=180)
    lab.screenshot("4-train-and-watch-after", panel)
    counts = [st for st, _ in seen if re.search(r"training… \d+ batches", st)]
    assert len(set(counts)) >= 2, f"the batch count did not move while the GAN trained: {[st for st, _ in seen]}"
    pictures = {src for _, src in seen if src}
    assert len(pictures) >= 2, f"the samples did not change while the GAN trained ({len(pictures)} picture(s))"
    lab.wait_enabled(button, "the Train and watch button after training")
    final = lab.wait_status(panel, r"run 1: batches \d+ · images_per_second [\d.]+")
    assert re.search(r"run 1: batches \d+ · images_per_second [\d.]+", final), f"no final numbers: {final!r}"
    assert panel.locator("table tr").count() == 2, "the comparison table should have a header and one run"
    assert track.get_attribute("disabled") is None, "the frame slider stayed disabled after training"
    # The frame slider scrubs back through the recorded grids.
    lab.image_changes(image, lambda: (frame.locator(".noUi-handle").first.focus(), lab.page.keyboard.press("Home")),
                      "the sample grid after moving the frame slider to the first frame")
    assert re.match(r"frame 0: after \d+ batches", lab.panel_status(panel)), lab.panel_status(panel)
    lab.assert_no_errors()

    # LiveProgress in the DCGAN's own cell: "retrain" on its toggle, re-run the cell, watch it train.
    [cell] = lab.code_cells(DCGAN_CELL)
    out = lab.page.locator(".jp-NotebookPanel .jp-Cell").nth(cell).locator(".jp-OutputArea").first
    out.locator("button.widget-toggle-button", has_text=re.compile("^retrain$")).click()
    lab.wait_changed(lambda: "re-run this cell" in out.inner_text(), False, "the toggle's hint after 'retrain'")
    lab.start_cells(DCGAN_CELL)
    live = out.locator(".widget-html-content code", has_text="ch05_dcgan:")
    samples = out.locator(".widget-vbox img.widget-image")
    seen = lab.record_while_busy(lambda: (live.first.inner_text() if live.count() else "",
                                          samples.first.get_attribute("src") if samples.count() else None),
                                 busy=lambda: lab.cell_running(cell), timeout_s=180)
    lab.wait_cells([cell])
    lab.screenshot("5-dcgan-cell-retrained", out)
    lines = [line for line, _ in seen if "batches" in line]
    assert len(set(lines)) >= 2, f"the live line did not change while the cell ran: {seen[-5:]}"
    # (the grid records a frame at the start and every 4 batches; a loaded machine may fit only a few
    # batches into the 3-second smoke budget, so one picture suffices here; TrainAndWatch checks several)
    assert any(src for _, src in seen), "no samples were shown while the cell ran"
    assert live.first.inner_text().endswith("· done"), live.first.inner_text()
    text = out.inner_text()
    assert "trained now" in text and "cached" in text, f"the toggle does not report the new model: {text[:300]!r}"
    active = out.locator("button.widget-toggle-button.mod-active").first.inner_text()
    assert active.strip() == "reuse cached model", f"the toggle did not go back to reuse: {active!r}"
    lab.assert_no_errors()
