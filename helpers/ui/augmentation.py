"""Play with data augmentation: one slider per transformation, a live grid of augmented digits (chapter 02).

The chapter's "retrain with these settings" button is a :class:`helpers.ui.panel.TrainPanel`.
"""

from __future__ import annotations

import numpy as np

from .compat import tooltip
from .images import mosaic_png


class AugmentationPanel:
    """One slider per transformation strength (0 = off) and a live grid of augmented digits (chapter 02).

    Each grid row is one original image followed by ``copies`` augmented versions.
    ``set(rotation=2, elastic=1)`` moves sliders programmatically; ``strengths``
    reads them; ``grid`` holds the last images shown ((rows, 1 + copies, 28, 28)).
    The *seed* box (``seed_control``, after the sliders and the *new random
    draw* button) shows the seed of the draw and sets it: the same seed and
    strengths repeat the same augmented copies; ``reseed(7)`` does the same
    from code.
    """

    def __init__(self, x, n_images: int = 6, copies: int = 7, seed: int = 0, scale: int = 2,
                 max_strength: float = 3.0):
        import ipywidgets as w

        from ..augment import DEFAULT_STRENGTHS, TRANSFORMS

        x = np.asarray(x)
        x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
        self.originals = x[:n_images, ..., 0] if x.ndim == 4 else x[:n_images]
        self.copies, self.seed, self.scale = copies, seed, scale
        self.sliders = {
            name: w.FloatSlider(value=DEFAULT_STRENGTHS[name], min=0.0, max=max_strength, step=0.25,
                                description=name, continuous_update=False,
                                **tooltip(TRANSFORMS[name][1]))
            for name in TRANSFORMS
        }
        self.new_seed = w.Button(description="new random draw", icon="refresh",
                                 layout=w.Layout(width="auto", min_width="148px"))  # 148 px cuts the label
        self.seed_control = w.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed",
                                             **tooltip("the random draw shown: the same seed repeats the same copies"))
        self.image = w.Image(format="png")
        self.caption = w.HTML()
        self._quiet = False
        for s in self.sliders.values():
            s.observe(lambda _: self._render(), names="value")
        self.new_seed.on_click(lambda _: self.reseed())
        self.seed_control.observe(self._seed_typed, names="value")
        self.widget = w.HBox([w.VBox(list(self.sliders.values()) + [self.new_seed, self.seed_control]),
                              w.VBox([self.image, self.caption])])
        self._render()

    @property
    def strengths(self) -> dict:
        return {name: float(s.value) for name, s in self.sliders.items()}

    def augmented(self) -> np.ndarray:
        """(n_images, copies, 28, 28) augmented copies for the current strengths and seed."""
        from ..augment import augment, digit_augmentation

        layer = digit_augmentation(seed=self.seed, **self.strengths)
        reps = np.repeat(self.originals, self.copies, axis=0)
        return augment(layer, reps).reshape(len(self.originals), self.copies, *self.originals.shape[1:])

    def _render(self):
        if self._quiet:
            return
        aug = self.augmented()
        self.grid = np.concatenate([self.originals[:, None], aug], axis=1)
        flat = self.grid.reshape(-1, *self.grid.shape[2:])
        self.image.value = mosaic_png(flat, ncols=1 + self.copies, scale=self.scale)
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

    def _seed_typed(self, change):
        if not self._quiet:
            self.reseed(change["new"])

    def reseed(self, seed: int | None = None):
        """Show the draw of ``seed`` (default: the next seed) and put it in the seed box; returns self."""
        self.seed = self.seed + 1 if seed is None else int(seed)
        self._quiet = True
        try:
            self.seed_control.value = self.seed
        finally:
            self._quiet = False
        self._render()
        return self
