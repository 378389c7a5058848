"""Filter generated samples with a threshold slider: what is kept, what is rejected (chapter 06 §12).

``FilterExplorer(sets).widget`` is the panel: a model picker, a threshold
slider, a caption with the kept share, and two strips of images (the first
kept samples, the first rejected ones). ``set(model=..., threshold=...)``
drives it from code (tests, "run all"). It only re-filters: nothing is
retrained or re-scored, so every move is instant.
"""

from __future__ import annotations

import numpy as np

from ..postprocess import filter_by_confidence
from .compat import tooltip
from .images import mosaic_png


class FilterExplorer:
    """A threshold slider over a filter classifier's confidence; kept and rejected samples side by side (chapter 06).

    ``sets``: ``{name: (x, probs, labels_or_None)}``, the samples, the filter
    classifier's probabilities for them and, for conditional models, the
    requested labels (see :func:`helpers.postprocess.filter_by_confidence`).
    After every change ``kept`` and ``rejected`` hold the indices shown,
    ``kept_share`` the share of samples kept, and the caption says so.
    """

    def __init__(self, sets: dict, threshold: float = 0.9, n_show: int = 16, scale: int = 2):
        import ipywidgets as w

        if not sets:
            raise ValueError("FilterExplorer needs at least one set of samples")
        self.sets = {}
        for name, (x, probs, labels) in sets.items():
            x, probs = np.asarray(x), np.asarray(probs)
            if len(x) != len(probs) or len(x) == 0:
                raise ValueError(f"{name}: {len(x)} samples but {len(probs)} rows of probabilities "
                                 "(pass one row per sample, at least one sample)")
            self.sets[name] = (x, probs, None if labels is None else np.asarray(labels))
        filter_by_confidence(self.sets[next(iter(self.sets))][1], threshold)  # a bad threshold fails here
        self.n_show, self.scale = int(n_show), scale
        self.model_picker = w.Dropdown(options=list(self.sets), description="model")
        self.slider = w.FloatSlider(value=float(threshold), min=0.0, max=1.0, step=0.01, description="threshold",
                                    continuous_update=False, readout_format=".2f",
                                    **tooltip("keep samples whose filter-classifier confidence is at least this"))
        self.caption = w.HTML()
        self.kept_image, self.rejected_image = w.Image(format="png"), w.Image(format="png")
        self.kept_title, self.rejected_title = w.HTML(), w.HTML()
        self._quiet = False
        self.model_picker.observe(lambda _: self._render(), names="value")
        self.slider.observe(lambda _: self._render(), names="value")
        self.widget = w.VBox([w.HBox([self.model_picker, self.slider]), self.caption,
                              self.kept_title, self.kept_image, self.rejected_title, self.rejected_image])
        self._render()

    @property
    def model(self) -> str:
        return self.model_picker.value

    @property
    def threshold(self) -> float:
        return float(self.slider.value)

    def _strip(self, x, rows) -> bytes:
        images = x[rows[: self.n_show]]
        if not len(images):  # an empty strip: one blank tile keeps the layout
            images = np.zeros((1,) + x.shape[1:], x.dtype)
        return mosaic_png(images, scale=self.scale, vmax=255 if x.dtype == np.uint8 else 1.0)

    def _render(self):
        if self._quiet:
            return
        x, probs, labels = self.sets[self.model]
        self.kept = filter_by_confidence(probs, self.threshold, labels)
        self.rejected = np.setdiff1d(np.arange(len(x)), self.kept)
        self.kept_share = len(self.kept) / len(x)
        rule = ("the filter's top class is the requested one, with probability"
                if labels is not None else "the filter's largest class probability is")
        self.caption.value = (f"<b>{self.model}</b>: kept {len(self.kept):,} of {len(x):,} samples "
                              f"(<b>{self.kept_share:.1%}</b>), those where {rule} ≥ {self.threshold:.2f}.")
        shown = min(self.n_show, len(self.kept)), min(self.n_show, len(self.rejected))
        self.kept_title.value = f"kept (the first {shown[0]})" if shown[0] else "kept: none"
        self.rejected_title.value = f"rejected (the first {shown[1]})" if shown[1] else "rejected: none"
        self.kept_image.value = self._strip(x, self.kept)
        self.rejected_image.value = self._strip(x, self.rejected)

    def set(self, model: str | None = None, threshold: float | None = None):
        """Pick ``model`` and/or move the slider to ``threshold``, as a learner would (one redraw); returns self."""
        if model is not None and model not in self.sets:
            raise ValueError(f"unknown model {model!r}; choose from {list(self.sets)}")
        if threshold is not None:
            filter_by_confidence(self.sets[model or self.model][1], threshold)  # the same error for a bad value
        self._quiet = True
        try:
            if model is not None:
                self.model_picker.value = model
            if threshold is not None:
                self.slider.value = float(threshold)
        finally:
            self._quiet = False
        self._render()
        return self
