"""Browse labelled images: one at a time, or two classes side by side (chapters 00 and 01).

* :class:`DigitBrowser`: pick a class and an index, see the image and its label.
* :class:`ClassComparison`: two classes side by side (samples, mean images, their difference).
"""

from __future__ import annotations

import numpy as np

from .images import mosaic_png, to_png


class DigitBrowser:
    """Browse a labelled image set by class and index (chapters 00, 01).

    ``DigitBrowser(x, y, class_names).widget`` is a panel with a class
    dropdown, an index slider, the image, and a caption. ``show(cls, i)``
    moves it programmatically (used by tests and by the notebook itself).
    """

    def __init__(self, x, y, class_names=None, scale: int = 8):
        import ipywidgets as w

        self.x, self.y = np.asarray(x), np.asarray(y)
        self.class_names = list(class_names) if class_names is not None else [str(c) for c in range(10)]
        self.scale = scale
        self._by_class = {c: np.flatnonzero(self.y == c) for c in range(len(self.class_names))}
        options = [(f"{c}: {name}", c) for c, name in enumerate(self.class_names)]
        self.class_picker = w.Dropdown(options=options, value=0, description="class")
        self.index_slider = w.IntSlider(value=0, min=0, max=max(0, len(self._by_class[0]) - 1),
                                        description="index", continuous_update=True)
        self.image = w.Image(format="png", width=28 * scale, height=28 * scale)
        self.caption = w.HTML()
        self.class_picker.observe(self._on_class, names="value")
        self.index_slider.observe(lambda _: self._render(), names="value")
        self.widget = w.VBox([w.HBox([self.class_picker, self.index_slider]), self.image, self.caption])
        self._render()

    @property
    def current_row(self) -> int:
        """Row in ``x`` of the image on display."""
        return int(self._by_class[self.class_picker.value][self.index_slider.value])

    def _on_class(self, _change):
        self.index_slider.max = max(0, len(self._by_class[self.class_picker.value]) - 1)
        self.index_slider.value = 0
        self._render()

    def _render(self):
        row = self.current_row
        self.image.value = to_png(self.x[row], scale=self.scale // 2 or 1)
        cls = int(self.y[row])
        self.caption.value = (f"row {row} · label <b>{cls}</b> ({self.class_names[cls]}) · "
                              f"{len(self._by_class[cls]):,} images of this class")

    def show(self, cls: int, index: int = 0):
        """Show image ``index`` of class ``cls``; returns self."""
        self.class_picker.value = cls
        self.index_slider.value = index
        return self


class ClassComparison:
    """Compare two classes: ``n`` random samples of each, both mean images and ``mean_a - mean_b`` (chapter 01).

    ``compare(a, b)`` switches classes; ``resample()`` draws other samples. State:
    ``left``, ``right`` (class ids), ``rows_left``, ``rows_right`` (rows shown), ``difference``.
    """

    def __init__(self, x, y, class_names=None, n: int = 8, seed: int = 0, scale: int = 3):
        import ipywidgets as w

        self.x = np.asarray(x)
        self.y = np.asarray(y)
        self.class_names = list(class_names) if class_names is not None else [str(c) for c in range(10)]
        self.n, self.scale = n, scale
        self.rng = np.random.default_rng(seed)
        if self.x.ndim == 4:
            self.x = self.x[..., 0]
        self._means = {}
        options = [(f"{c}: {name}", c) for c, name in enumerate(self.class_names)]
        self.pick_left = w.Dropdown(options=options, value=0, description="class A")
        self.pick_right = w.Dropdown(options=options, value=min(1, len(options) - 1), description="class B")
        self.resample_button = w.Button(description="other samples", icon="refresh")
        self.samples_left = w.Image(format="png")
        self.samples_right = w.Image(format="png")
        self.means_image = w.Image(format="png")
        self.caption = w.HTML()
        self.pick_left.observe(lambda _: self._render(), names="value")
        self.pick_right.observe(lambda _: self._render(), names="value")
        self.resample_button.on_click(lambda _: self.resample())
        self.widget = w.VBox([
            w.HBox([self.pick_left, self.pick_right, self.resample_button]),
            w.HBox([w.VBox([w.HTML("<b>A</b>"), self.samples_left]),
                    w.VBox([w.HTML("<b>B</b>"), self.samples_right])]),
            w.HTML("mean A · mean B · A − B (red: more ink in A, blue: more ink in B)"),
            self.means_image, self.caption])
        self._draw_rows()
        self._render()

    @property
    def left(self) -> int:
        return int(self.pick_left.value)

    @property
    def right(self) -> int:
        return int(self.pick_right.value)

    @staticmethod
    def _floats(x) -> np.ndarray:
        """Images in [0, 1] as float32, converted per use: the widget keeps no float copy of the whole set."""
        return x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)

    def mean_image(self, cls: int) -> np.ndarray:
        if cls not in self._means:
            self._means[cls] = self._floats(self.x[self.y == cls]).mean(axis=0)
        return self._means[cls]

    def _draw_rows(self):
        self._rows = {c: self.rng.choice(np.flatnonzero(self.y == c), size=min(self.n, int((self.y == c).sum())),
                                         replace=False) for c in np.unique(self.y)}

    @property
    def rows_left(self) -> np.ndarray:
        return self._rows[self.left]

    @property
    def rows_right(self) -> np.ndarray:
        return self._rows[self.right]

    def _render(self):
        self.samples_left.value = mosaic_png(self._floats(self.x[self.rows_left]), ncols=4, scale=self.scale)
        self.samples_right.value = mosaic_png(self._floats(self.x[self.rows_right]), ncols=4, scale=self.scale)
        ma, mb = self.mean_image(self.left), self.mean_image(self.right)
        self.difference = ma - mb
        strip = np.concatenate([ma, np.ones((ma.shape[0], 2)), mb], axis=1)
        self.means_image.value = to_png(_means_and_difference(strip, self.difference), scale=self.scale + 1)
        overlap = float(np.minimum(ma, mb).sum() / max(1e-6, np.maximum(ma, mb).sum()))
        self.caption.value = (f"{self.class_names[self.left]} vs {self.class_names[self.right]}: "
                              f"mean images overlap {overlap:.0%} (ink in both / ink in either); "
                              f"mean |A − B| = {np.abs(self.difference).mean():.3f}")
        self.overlap = overlap

    def compare(self, a: int, b: int):
        self.pick_left.value, self.pick_right.value = a, b
        return self

    def resample(self):
        self._draw_rows()
        self._render()
        return self


def _means_and_difference(strip, difference) -> np.ndarray:
    """RGB image: the means in grey (ink dark), then the signed difference in a red-blue colour map."""
    from matplotlib import colormaps

    grey = 1.0 - np.clip(strip, 0, 1)
    rgb_means = np.repeat(grey[..., None], 3, axis=2)
    lim = max(1e-6, float(np.abs(difference).max()))
    rgb_diff = colormaps["bwr"]((np.clip(difference / lim, -1, 1) + 1) / 2)[..., :3]
    gap = np.ones((strip.shape[0], 2, 3))
    return np.concatenate([rgb_means, gap, rgb_diff], axis=1)
