"""Widgets for chapters 01 and 02: compare classes, play with augmentation, retrain on request.

Same pattern as :class:`helpers.widgets.DigitBrowser`: each class builds an
ipywidgets panel (``.widget``), exposes its state as attributes and has
methods that drive it, so tests (and "run all") work without a browser.

* :class:`ClassComparison`: two classes side by side (samples, mean images, their difference).
* :class:`AugmentationPanel`: one slider per transformation strength and a live grid
  of augmented samples (each row: an original, then augmented copies).
* :class:`TrainPanel`: a "train" button that runs a training function only when clicked.
"""

from __future__ import annotations

import numpy as np

from .widgets import DigitBrowser, to_png  # noqa: F401  (DigitBrowser re-exported for the chapters)


def _grid_png(images, ncols: int, scale: int) -> bytes:
    from .plots import tile

    return to_png(tile(images, ncols=ncols, pad=1, pad_value=0.0), scale=scale, vmin=0.0, vmax=1.0)


class ClassComparison:
    """Compare two classes: ``n`` random samples of each, both mean images and ``mean_a - mean_b``.

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
        self._unit = self.x.astype(np.float32) / 255.0 if self.x.dtype == np.uint8 else self.x.astype(np.float32)
        if self._unit.ndim == 4:
            self._unit = self._unit[..., 0]
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

    def mean_image(self, cls: int) -> np.ndarray:
        if cls not in self._means:
            self._means[cls] = self._unit[self.y == cls].mean(axis=0)
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
        self.samples_left.value = _grid_png(self._unit[self.rows_left], ncols=4, scale=self.scale)
        self.samples_right.value = _grid_png(self._unit[self.rows_right], ncols=4, scale=self.scale)
        ma, mb = self.mean_image(self.left), self.mean_image(self.right)
        self.difference = ma - mb
        strip = np.concatenate([ma, np.ones((ma.shape[0], 2)), mb], axis=1)
        self.means_image.value = _diff_strip_png(strip, self.difference, self.scale + 1)
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


def _diff_strip_png(strip, difference, scale: int) -> bytes:
    """Means in grey, then the signed difference in a red-blue colour map, as one PNG."""
    import io

    from matplotlib import colormaps
    from matplotlib import image as mpimg

    grey = 1.0 - np.clip(strip, 0, 1)
    rgb_means = np.repeat(grey[..., None], 3, axis=2)
    lim = max(1e-6, float(np.abs(difference).max()))
    rgb_diff = colormaps["bwr"]((np.clip(difference / lim, -1, 1) + 1) / 2)[..., :3]
    gap = np.ones((strip.shape[0], 2, 3))
    rgb = np.concatenate([rgb_means, gap, rgb_diff], axis=1)
    rgb = np.kron(rgb, np.ones((scale, scale, 1)))
    buf = io.BytesIO()
    mpimg.imsave(buf, np.clip(rgb, 0, 1), format="png")
    return buf.getvalue()


class AugmentationPanel:
    """One slider per transformation strength (0 = off) and a live grid of augmented digits.

    Each grid row is one original image followed by ``copies`` augmented versions.
    ``set(rotation=2, elastic=1)`` moves sliders programmatically; ``strengths``
    reads them; ``grid`` holds the last images shown ((rows, 1 + copies, 28, 28)).
    """

    def __init__(self, x, n_images: int = 6, copies: int = 7, seed: int = 0, scale: int = 2,
                 max_strength: float = 3.0):
        import ipywidgets as w

        from .augment import DEFAULT_STRENGTHS, TRANSFORMS

        x = np.asarray(x)
        x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
        self.originals = x[:n_images, ..., 0] if x.ndim == 4 else x[:n_images]
        self.copies, self.seed, self.scale = copies, seed, scale
        self.sliders = {
            name: w.FloatSlider(value=DEFAULT_STRENGTHS[name], min=0.0, max=max_strength, step=0.25,
                                description=name, continuous_update=False,
                                tooltip=TRANSFORMS[name][1])
            for name in TRANSFORMS
        }
        self.new_seed = w.Button(description="new random draw", icon="refresh")
        self.image = w.Image(format="png")
        self.caption = w.HTML()
        for s in self.sliders.values():
            s.observe(lambda _: self._render(), names="value")
        self.new_seed.on_click(lambda _: self.reseed())
        self._quiet = False
        self.widget = w.HBox([w.VBox(list(self.sliders.values()) + [self.new_seed]),
                              w.VBox([self.image, self.caption])])
        self._render()

    @property
    def strengths(self) -> dict:
        return {name: float(s.value) for name, s in self.sliders.items()}

    def augmented(self) -> np.ndarray:
        """(n_images, copies, 28, 28) augmented copies for the current strengths and seed."""
        from .augment import augment, digit_augmentation

        layer = digit_augmentation(seed=self.seed, **self.strengths)
        reps = np.repeat(self.originals, self.copies, axis=0)
        return augment(layer, reps).reshape(len(self.originals), self.copies, *self.originals.shape[1:])

    def _render(self):
        if self._quiet:
            return
        aug = self.augmented()
        self.grid = np.concatenate([self.originals[:, None], aug], axis=1)
        flat = self.grid.reshape(-1, *self.grid.shape[2:])
        self.image.value = _grid_png(flat, ncols=1 + self.copies, scale=self.scale)
        active = {k: v for k, v in self.strengths.items() if v > 0}
        change = float(np.abs(aug - self.originals[:, None]).mean())
        self.caption.value = (f"first column: originals · seed {self.seed} · active: "
                              f"{', '.join(f'{k}×{v:g}' for k, v in active.items()) or 'none (identity)'} · "
                              f"mean |augmented − original| = {change:.3f}")
        self.mean_change = change

    def set(self, **strengths):
        """Set several sliders at once (one redraw)."""
        unknown = set(strengths) - set(self.sliders)
        if unknown:
            raise ValueError(f"unknown transformation(s) {sorted(unknown)}; choose from {list(self.sliders)}.")
        self._quiet = True
        try:
            for name, value in strengths.items():
                self.sliders[name].value = value
        finally:
            self._quiet = False
        self._render()
        return self

    def reseed(self, seed: int | None = None):
        self.seed = self.seed + 1 if seed is None else seed
        self._render()
        return self


class TrainPanel:
    """Controls plus a "train" button; ``train_fn(**values)`` runs only when the button is clicked.

    ``controls`` maps names to ipywidgets value widgets (sliders, checkboxes);
    ``train_fn`` returns a dict or a string shown in the result area (and kept in
    ``results``). Nothing trains when the cell merely runs (nbval, "run all").
    """

    def __init__(self, train_fn, controls: dict, description: str = "train"):
        import ipywidgets as w

        self.train_fn, self.controls = train_fn, dict(controls)
        self.button = w.Button(description=description, button_style="primary", icon="play")
        self.status = w.HTML("Not trained yet: set the controls and click the button.")
        self.output = w.Output()
        self.results = []
        self.button.on_click(lambda _: self.train())
        self.widget = w.VBox(list(self.controls.values()) + [self.button, self.status, self.output])

    @property
    def values(self) -> dict:
        return {name: c.value for name, c in self.controls.items()}

    def train(self):
        """What the button does: run ``train_fn`` with the current values and show the result."""
        self.button.disabled = True
        self.status.value = "training…"
        try:
            with self.output:
                result = self.train_fn(**self.values)
            self.results.append(result)
            text = (" · ".join(f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}" for k, v in result.items())
                    if isinstance(result, dict) else str(result))
            self.status.value = f"run {len(self.results)}: {text}"
        except Exception as exc:  # show the error in the panel, keep the button usable
            self.status.value = f"<span style='color:#b00'>failed: {exc}</span>"
            raise
        finally:
            self.button.disabled = False
        return result
