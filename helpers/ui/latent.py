"""Widgets for chapters 03-04: explore a latent space, inspect reconstructions, retrain and compare.

* :class:`LatentExplorer` (chapter 04): sliders for ``z`` (and a class picker for a
  conditional VAE); the decoded digit updates as you drag.
* :class:`ReconstructionPicker` (chapter 03): pick a test image (and a noise level):
  original, noisy input and reconstruction side by side, with the error; given
  anomaly scores, it can walk the images from the highest score down.
* :class:`RetrainPanel` (chapters 03, 04): a :class:`helpers.ui.panel.TrainPanel` whose
  every click trains a small model and adds a row (numbers + images), so runs can be compared.
"""

from __future__ import annotations

import html

import numpy as np

from .images import mosaic_png, to_png
from .panel import TrainPanel, format_value


class LatentExplorer:
    """Sliders for the first ``dims`` latent coordinates -> ``decode(z, label)`` shown live (chapter 04).

    ``decode(z, label)`` takes one latent vector (latent_dim,) and a label (or
    None) and returns one image in [0, 1]. Coordinates without a slider stay
    at 0 (the prior's mean). With ``num_classes > 0`` a class picker appears.
    """

    def __init__(self, decode, latent_dim: int, num_classes: int = 0, dims: int = 4,
                 limit: float = 3.0, class_names=None, scale: int = 8):
        import ipywidgets as w

        if latent_dim < 1:
            raise ValueError(f"latent_dim must be >= 1, got {latent_dim}")
        self.decode, self.latent_dim, self.num_classes = decode, int(latent_dim), int(num_classes)
        self.scale = scale
        self.z = np.zeros(self.latent_dim, np.float32)
        n = min(int(dims), self.latent_dim)
        self.sliders = [w.FloatSlider(value=0.0, min=-limit, max=limit, step=0.1, description=f"z[{i}]",
                                      continuous_update=True) for i in range(n)]
        for i, s in enumerate(self.sliders):
            s.observe(lambda change, i=i: self._on_slider(i, change["new"]), names="value")
        controls = list(self.sliders)
        self.class_picker = None
        if self.num_classes:
            names = list(class_names) if class_names is not None else [str(c) for c in range(num_classes)]
            self.class_picker = w.Dropdown(options=[(f"{c}: {nm}", c) for c, nm in enumerate(names)],
                                           value=0, description="class")
            self.class_picker.observe(lambda _: self._render(), names="value")
            controls = [self.class_picker] + controls
        self.image = w.Image(format="png", width=28 * scale, height=28 * scale)
        self.caption = w.HTML()
        self.widget = w.HBox([w.VBox(controls), w.VBox([self.image, self.caption])])
        self.current = None
        self._render()

    @classmethod
    def from_model(cls, model, **kwargs):
        """Explorer for a :class:`helpers.models.vae.VAE` / ``ConditionalVAE`` (or anything with
        ``latent_dim``, ``num_classes`` and ``decode_batched(z, labels)``)."""
        num_classes = int(getattr(model, "num_classes", 0))

        def decode(z, label):
            labels = None if label is None else np.array([label])
            return model.decode_batched(z[None], labels)[0]

        return cls(decode, model.latent_dim, num_classes=num_classes, **kwargs)

    @property
    def label(self):
        return None if self.class_picker is None else int(self.class_picker.value)

    def _on_slider(self, i, value):
        self.z[i] = value
        self._render()

    def _render(self):
        self.current = np.asarray(self.decode(self.z.copy(), self.label), np.float32)
        self.image.value = to_png(self.current, scale=self.scale // 2 or 1, vmin=0.0, vmax=1.0)
        shown = ", ".join(f"{v:+.1f}" for v in self.z[: len(self.sliders)])
        extra = f" · class <b>{self.label}</b>" if self.label is not None else ""
        self.caption.value = f"z = ({shown}{', 0 …' if self.latent_dim > len(self.sliders) else ''}){extra}"

    def set(self, z=None, label=None):
        """Move sliders to ``z`` (first ``len(z)`` coordinates) and/or pick ``label``; returns self."""
        if label is not None:
            if self.class_picker is None:
                raise ValueError("this explorer is unconditional: there is no class to pick")
            self.class_picker.value = int(label)
        if z is not None:
            for s, v in zip(self.sliders, np.asarray(z, np.float32), strict=False):
                s.value = float(np.clip(v, s.min, s.max))
        return self


class ReconstructionPicker:
    """Pick a test image by index (and a noise level): input, noisy input, reconstruction (chapter 03).

    ``reconstruct(x_batch)`` maps (N, 28, 28, 1) floats to reconstructions. With
    ``noise`` > 0 the image is corrupted by Gaussian noise (fixed seed per
    index) before reconstruction: try it with a denoising autoencoder.

    With ``scores`` (one number per image, e.g. the anomaly scores of chapter 03 §5),
    an *order* menu follows the other controls: *highest score first* makes the
    image slider walk the images from the highest score down (position 0 is the
    most unusual image), and the caption gives each image's score and rank.
    ``index`` is the image shown, whatever the order.
    """

    ORDERS = (("test-set order", "given"), ("highest score first", "score"))

    def __init__(self, x, reconstruct, y=None, max_noise: float = 0.0, scale: int = 6, seed: int = 0,
                 scores=None):
        import ipywidgets as w

        self.x = np.asarray(x, np.float32)
        if self.x.ndim == 3:
            self.x = self.x[..., None]
        self.y = None if y is None else np.asarray(y)
        self.scores = None if scores is None else np.asarray(scores, np.float64).reshape(-1)
        if self.scores is not None and len(self.scores) != len(self.x):
            raise ValueError(f"scores has {len(self.scores)} values for {len(self.x)} images: give one per image.")
        self.reconstruct, self.scale, self.seed = reconstruct, scale, seed
        self.index_slider = w.IntSlider(value=0, min=0, max=len(self.x) - 1, description="image")
        self.noise_slider = w.FloatSlider(value=0.0, min=0.0, max=max(max_noise, 0.0), step=0.05,
                                          description="noise σ", disabled=max_noise <= 0)
        controls = [self.index_slider, self.noise_slider]
        self.order_picker = None
        if self.scores is not None:
            self.ranking = np.argsort(-self.scores, kind="stable")  # image indices, highest score first
            self.rank = np.empty(len(self.x), int)
            self.rank[self.ranking] = np.arange(1, len(self.x) + 1)
            self.order_picker = w.Dropdown(options=list(self.ORDERS), value="given", description="order")
            controls.append(self.order_picker)
        self.image = w.Image(format="png")
        self.caption = w.HTML()
        for s in controls:
            s.observe(lambda _: self._render(), names="value")
        self.widget = w.VBox([w.HBox(controls), self.image, self.caption])
        self.mse = None
        self._render()

    @property
    def by_score(self) -> bool:
        return self.order_picker is not None and self.order_picker.value == "score"

    @property
    def index(self) -> int:
        """The image shown: the slider's position, read in the chosen order."""
        position = int(self.index_slider.value)
        return int(self.ranking[position]) if self.by_score else position

    def noisy_input(self) -> np.ndarray:
        x = self.x[self.index]
        std = float(self.noise_slider.value)
        if std <= 0:
            return x
        rng = np.random.default_rng(self.seed + self.index)
        return np.clip(x + std * rng.standard_normal(x.shape).astype(np.float32), 0.0, 1.0)

    def _render(self):
        i = self.index
        x_in = self.noisy_input()
        self.reconstruction = np.asarray(self.reconstruct(x_in[None]), np.float32)[0]
        self.mse = float(np.mean((self.reconstruction - self.x[i]) ** 2))
        panels = [self.x[i], x_in, self.reconstruction] if self.noise_slider.value > 0 else \
            [self.x[i], self.reconstruction]
        self.image.value = mosaic_png(panels, scale=self.scale // 2 or 1)
        label = "" if self.y is None else f" · label {int(self.y[i])}"
        if self.scores is not None:
            label += f" · score {self.scores[i]:.4f} (rank {self.rank[i]} of {len(self.x)}, highest first)"
        what = "original · noisy input · reconstruction" if self.noise_slider.value > 0 else \
            "original · reconstruction"
        self.caption.value = f"{what} · image {i}{label} · MSE vs original <b>{self.mse:.4f}</b>"

    def show(self, index: int, noise: float | None = None):
        """Display image ``index`` (and set the noise level), in whichever order is chosen; returns self."""
        if noise is not None:
            self.noise_slider.value = noise
        self.index_slider.value = int(self.rank[int(index)] - 1) if self.by_score else int(index)
        return self


class RetrainPanel(TrainPanel):
    """A :class:`~helpers.ui.panel.TrainPanel` that keeps every run's numbers and images as a row (chapters 03, 04).

    ``train(**values)`` gets the controls' current values by name and returns
    ``{"metrics": {name: number}, "images": {title: images (N, 28, 28[, 1]) in [0, 1]}}``.
    Each run adds ``{"settings", "metrics", "images"}`` to ``results`` and a row to ``rows``.
    """

    def __init__(self, train, controls: dict, button_text: str = "Train and compare", scale: int = 2):
        import ipywidgets as w

        if not controls:
            raise ValueError("RetrainPanel needs at least one control")
        self.scale = scale
        self.rows = w.VBox()
        super().__init__(train, controls, button_text=button_text)

    def _layout(self) -> list:
        return [*super()._layout(), self.rows]

    def _summarise(self, values: dict, result) -> dict:
        return {"settings": values, "metrics": dict(result.get("metrics", {})),
                "images": dict(result.get("images", {}))}

    @staticmethod
    def _settings(summary) -> str:
        return html.escape(", ".join(f"{k}={format_value(v)}" for k, v in summary["settings"].items()))

    def _describe(self, summary) -> str:
        numbers = " · ".join(f"{html.escape(k)} <b>{v:.4g}</b>" if isinstance(v, (int, float))
                             else f"{html.escape(k)} {html.escape(str(v))}" for k, v in summary["metrics"].items())
        return f"{self._settings(summary)} → {numbers}"

    def _show(self, summary) -> None:
        import ipywidgets as w

        children = [w.HTML(f"<b>run {len(self.results)}</b>: {self._describe(summary)}")]
        for title, images in summary["images"].items():
            children.append(w.HBox([w.HTML(f"{html.escape(title)}&nbsp;"),
                                    w.Image(value=mosaic_png(images, scale=self.scale), format="png")]))
        self.rows.children = (*self.rows.children, w.VBox(children))
