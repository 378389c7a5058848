"""ipywidgets building blocks shared by the chapters.

Widgets show images through ``ipywidgets.Image`` (PNG bytes) rather than
re-drawing matplotlib figures: they update instantly, render in JupyterLab,
Colab and VS Code alike, and their state can be checked by tests.
"""

from __future__ import annotations

import io

import numpy as np


def to_png(image, scale: int = 4, cmap: str = "gray_r", vmin=None, vmax=None) -> bytes:
    """Encode one 2-D image (any numeric range) as PNG bytes, upscaled ``scale`` times."""
    from matplotlib import image as mpimg

    x = np.asarray(image, dtype=np.float32)
    if x.ndim == 3 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 2:
        raise ValueError(f"to_png expects one 2-D image, got shape {x.shape}")
    x = np.kron(x, np.ones((scale, scale), dtype=np.float32))
    buf = io.BytesIO()
    lo = float(np.min(x)) if vmin is None else vmin
    hi = float(np.max(x)) if vmax is None else vmax
    mpimg.imsave(buf, x, cmap=cmap, vmin=lo, vmax=max(hi, lo + 1e-6), format="png")
    return buf.getvalue()


class DigitBrowser:
    """Browse a labelled image set by class and index.

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
        self.class_picker.value = cls
        self.index_slider.value = index
        return self
