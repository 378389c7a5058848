"""An ipywidgets panel to compare models (chapter 06): pick a model and a sample size, see its
metrics next to real data and its samples beside their closest training images.

``MetricsExplorer(samples, x_train).widget`` is the panel; ``show(model, n)``
drives it programmatically (tests, "run all"). Results are cached per
(model, n), so flipping back and forth is instant.
"""

from __future__ import annotations

import numpy as np

from ..metrics import as_images, evaluate_samples
from .images import to_png


def pairs_mosaic(x_samples, x_train, pairs) -> np.ndarray:
    """Two rows in [0, 1]: samples (top) above their nearest training images (bottom) (chapter 06).

    ``pairs`` is ``memorisation(...)["pairs"]``: ``(sample_index, train_index, distance)``.
    """
    from ..plots import tile

    top = as_images(np.stack([np.asarray(x_samples)[s] for s, _, _ in pairs]))[..., 0]
    bottom = as_images(np.stack([np.asarray(x_train)[t] for _, t, _ in pairs]))[..., 0]
    return tile(np.concatenate([top, bottom]), ncols=len(pairs), pad_value=0.5)


PANEL_METRICS = ("frechet", "precision_recall", "classifier_score", "label_fidelity", "memorisation")


class MetricsExplorer:
    """Pick a model and a sample size; see its metrics and its closest-to-training samples (chapter 06).

    ``samples``: ``{name: (x, y_or_None)}`` (include real data as a reference if you like).
    """

    def __init__(self, samples: dict, x_train, dataset: str = "mnist", sizes=(100, 500, 1000),
                 n_pairs: int = 8, scale: int = 2, memorisation_samples: int = 500):
        import ipywidgets as w

        if not samples:
            raise ValueError("MetricsExplorer needs at least one set of samples")
        self.samples = {name: (np.asarray(x), None if y is None else np.asarray(y))
                        for name, (x, y) in samples.items()}
        self.x_train = np.asarray(x_train)
        self.dataset, self.n_pairs, self.scale = dataset, n_pairs, scale
        self.memorisation_samples = memorisation_samples
        smallest = min(len(x) for x, _ in self.samples.values())
        self.sizes = [int(s) for s in sizes if s <= smallest] or [smallest]
        self.cache: dict = {}
        self.results: dict | None = None
        self.model_picker = w.Dropdown(options=list(self.samples), description="model")
        self.size_picker = w.Dropdown(options=self.sizes, value=self.sizes[0], description="samples")
        self.table = w.HTML()
        self.pairs_image = w.Image(format="png")
        self.caption = w.HTML()
        self._hold = False  # True while show() changes both controls: render once, at the end
        self.model_picker.observe(lambda _: self._hold or self._render(), names="value")
        self.size_picker.observe(lambda _: self._hold or self._render(), names="value")
        self.widget = w.VBox([w.HBox([self.model_picker, self.size_picker]), self.table,
                              self.caption, self.pairs_image])
        self._render()

    @property
    def model(self) -> str:
        return self.model_picker.value

    @property
    def n(self) -> int:
        return int(self.size_picker.value)

    def compute(self, model: str, n: int) -> dict:
        """Metrics of the first ``n`` samples of ``model`` (cached)."""
        key = (model, int(n))
        if key not in self.cache:
            x, y = self.samples[model]
            self.cache[key] = evaluate_samples(
                x[:n], None if y is None else y[:n], dataset=self.dataset, metrics=PANEL_METRICS,
                memorisation_samples=self.memorisation_samples, seed=0)
        return self.cache[key]

    def pairs_mosaic(self, results: dict, model: str) -> np.ndarray:
        """:func:`pairs_mosaic` of ``model``'s ``n_pairs`` samples closest to a training image."""
        return pairs_mosaic(self.samples[model][0], self.x_train, results["pairs"][: self.n_pairs])

    def _render(self):
        res = self.results = self.compute(self.model, self.n)
        rows = [("Fréchet distance", "frechet_distance", "frechet_distance_real", "lower"),
                ("precision", "precision", "precision_real", "higher"),
                ("recall", "recall", "recall_real", "higher"),
                ("classifier score", "classifier_score", "classifier_score_real", "higher (max 10)"),
                ("label fidelity", "label_fidelity", "label_fidelity_real", "higher"),
                ("memorisation ratio", "memorisation_ratio", None, "about 1")]
        cells = "".join(
            f"<tr><td>{label}</td><td><b>{res[key]:.3f}</b></td>"
            f"<td>{'' if ref is None or res.get(ref) is None else f'{res[ref]:.3f}'}</td><td>{better}</td></tr>"
            for label, key, ref, better in rows if key in res)
        self.table.value = ("<table><tr><th>metric</th><th>samples</th><th>real data (same n)</th>"
                            f"<th>better</th></tr>{cells}</table>")
        self.pairs_image.value = to_png(self.pairs_mosaic(res, self.model), scale=self.scale, vmin=0, vmax=1)
        dists = ", ".join(f"{d:.2f}" for _, _, d in res["pairs"][: self.n_pairs])
        self.caption.value = (f"<b>{self.model}</b>, {self.n} samples. Top: the samples closest to a "
                              f"training image; bottom: that training image (pixel distances {dists}; "
                              f"held-out real images: median {res['nn_distance_heldout']:.2f}).")

    def show(self, model: str, n: int | None = None):
        """Select ``model`` (and ``n``) as if picked in the dropdowns; returns self."""
        self._hold = True
        try:
            if n is not None:
                self.size_picker.value = int(n)
            self.model_picker.value = model
        finally:
            self._hold = False
        self._render()
        return self
