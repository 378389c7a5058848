"""helpers.ui.postprocess: the filter panel, driven programmatically (no browser)."""

from io import BytesIO

import numpy as np
import pytest
from PIL import Image

from helpers.postprocess import filter_by_confidence
from helpers.ui.postprocess import FilterExplorer


def width_of(png: bytes) -> int:
    return Image.open(BytesIO(png)).size[0]


@pytest.fixture
def sets(data):
    x, y = data
    sure = np.random.default_rng(0).uniform(0.05, 1.0, len(x))  # p(requested label); the rest spread evenly
    probs = np.repeat(((1 - sure) / 9)[:, None], 10, axis=1)
    probs[np.arange(len(x)), y] = sure
    return {"conditional": (x, probs, y), "unconditional": (x[:50], probs[:50], None)}


def test_the_panel_follows_the_slider_and_the_kept_share_matches_the_filter(sets):
    panel = FilterExplorer(sets, threshold=0.5, n_show=6, scale=1)
    x, probs, y = sets["conditional"]
    np.testing.assert_array_equal(panel.kept, filter_by_confidence(probs, 0.5, y))
    assert len(panel.kept) + len(panel.rejected) == len(x) and not set(panel.kept) & set(panel.rejected)
    assert panel.kept_share == pytest.approx(len(panel.kept) / len(x))
    assert f"{panel.kept_share:.1%}" in panel.caption.value and "requested" in panel.caption.value
    before = len(panel.kept)
    panel.slider.value = 0.9  # what dragging the slider does
    assert len(panel.kept) < before and "0.90" in panel.caption.value
    np.testing.assert_array_equal(panel.kept, filter_by_confidence(probs, 0.9, y))
    assert width_of(panel.kept_image.value) == min(6, len(panel.kept)) * 29 + 1  # a strip of the first kept ones
    assert width_of(panel.rejected_image.value) == 6 * 29 + 1


def test_the_model_picker_and_set_switch_sets_and_the_extremes(sets):
    panel = FilterExplorer(sets, threshold=0.5)
    panel.set(model="unconditional", threshold=0.0)
    assert panel.model == "unconditional" and panel.kept_share == 1.0  # threshold 0 keeps every sample
    assert panel.rejected_title.value == "rejected: none" and "largest class probability" in panel.caption.value
    panel.model_picker.value = "conditional"
    assert 0 < panel.kept_share < 1
    panel.set(threshold=1.0)
    assert panel.kept_title.value == "kept: none" and panel.kept_image.value[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="unknown model"):
        panel.set(model="gan")
    with pytest.raises(ValueError, match="threshold must be a probability"):
        panel.set(threshold=1.5)
    with pytest.raises(ValueError, match="threshold must be a probability"):
        FilterExplorer(sets, threshold=-1)
    with pytest.raises(ValueError, match="one row per sample"):
        FilterExplorer({"bad": (sets["conditional"][0], sets["conditional"][1][:3], None)})
