"""helpers.ui.progress: the line's numbers, the sample image, and silence outside notebooks."""

import numpy as np
import pytest

from helpers.models import gan
from helpers.ui import progress


def test_format_line_shows_budget_batches_rate_and_metrics():
    line = progress.format_line(45.2, 412, 412 * 128, {"d_loss": 0.6123, "g_loss": 1.049}, seconds=90)
    assert line == "45 / 90 s · 412 batches · 1,167 images/s · d_loss 0.612 · g_loss 1.05"
    assert progress.format_line(10, 5, 640, {}, steps=250).startswith("10 s · 5 / 250 batches · 64 images/s")


def test_live_progress_updates_the_widget_and_shows_the_newest_frame():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (64, 28, 28), dtype=np.uint8)
    grid = gan.SampleGrid(n=10, every=2)
    live = progress.LiveProgress(16, steps=4, grid=grid, every_seconds=0.0, show=True)
    model = gan.DCGAN(latent_dim=8, width=8)
    model.compile(run_eagerly=True)
    model.fit(gan.make_gan_dataset(x, batch_size=16), epochs=1, verbose=0, shuffle=False, callbacks=[grid, live])
    assert len(live.lines) == 5 and "4 / 4 batches" in live.lines[-1] and "d_loss" in live.lines[-1]
    assert live._line.value.endswith("done</code>")
    assert live._image.value[:4] == b"\x89PNG" and live._image.layout.display == ""
    from io import BytesIO

    from PIL import Image

    assert Image.open(BytesIO(live._image.value)).size == (10 * 28 * 2, 28 * 2)  # the 10 samples, one row
    assert grid.on_record is None  # the hook is handed back after training


def test_live_progress_is_silent_outside_a_notebook(capsys):
    live = progress.LiveProgress(16)
    assert live.show is False
    live.on_train_begin()
    live.on_train_batch_end(0, {"loss": 1.0})
    live.on_train_end()
    assert capsys.readouterr().out == "" and live._line is None


@pytest.mark.parametrize("every", [60.0])
def test_live_progress_throttles_updates(every):
    live = progress.LiveProgress(16, every_seconds=every, show=False)
    live.on_train_begin()
    for i in range(50):
        live.on_train_batch_end(i, {"loss": float(i)})
    live.on_train_end()
    assert len(live.lines) == 2 and "50 batches" in live.lines[-1] and "loss 49" in live.lines[-1]
