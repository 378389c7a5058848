"""Widgets for chapter 05: train a GAN and watch it, walk its latent space, pick a class.

* :class:`TrainAndWatch`: a :class:`helpers.ui.panel.TrainPanel` with learning rates,
  latent size, label smoothing and a time budget; a click trains a fresh GAN for a
  few seconds and the sample grid (fixed noise) updates while it learns.
* :class:`LatentWalk`: a slider moving along a spherical path between two
  noise vectors; for a conditional GAN a class picker too.
* :class:`ClassPicker`: a conditional GAN draws a row of the requested digit.
"""

from __future__ import annotations

import numpy as np

from .images import mosaic_png, to_png
from .panel import TrainPanel

FRAME_COLUMNS = 10


def _class_dropdown(num_classes: int, class_names=None):
    import ipywidgets as w

    names = list(class_names) if class_names is not None else [str(c) for c in range(num_classes)]
    return w.Dropdown(options=[(f"{c}: {nm}", c) for c, nm in enumerate(names)], value=0, description="class")


class TrainAndWatch(TrainPanel):
    """Controls -> button -> a fresh GAN trains for ``seconds`` while its samples update live (chapter 05).

    A :class:`~helpers.ui.panel.TrainPanel` whose controls are the G and D
    learning rates, latent size, label smoothing and time budget. ``train``
    defaults to :func:`helpers.models.gan.train_gan`; tests pass a tiny
    stand-in (it returns a :class:`~helpers.results.TrainResult`). After a
    run: ``model``, ``result`` (seconds, images/s, per-batch history),
    ``frames``/``steps`` (the fixed-noise grids) and ``results`` (one summary
    dict per run, so settings can be compared, also in ``table``) are set;
    the frame slider scrubs through the recorded grids.
    """

    def __init__(self, x_train, y_train=None, conditional: bool = False, seconds: float = 20.0,
                 n_samples: int = 20, every: int = 10, train=None, scale: int = 2, **train_kwargs):
        import ipywidgets as w

        self.x_train, self.y_train, self.conditional = x_train, y_train, conditional
        self.n_samples, self.every, self.scale = n_samples, every, scale
        self.train_kwargs = train_kwargs
        if train is None:
            from ..models.gan import train_gan as train
        self.trainer = train
        style = {"description_width": "initial"}
        lr_options = [("1e-4", 1e-4), ("2e-4", 2e-4), ("5e-4", 5e-4), ("1e-3", 1e-3), ("2e-3", 2e-3)]
        self.g_lr = w.Dropdown(options=lr_options, value=5e-4, description="G learning rate", style=style)
        self.d_lr = w.Dropdown(options=lr_options, value=5e-4, description="D learning rate", style=style)
        self.latent_dim = w.Dropdown(options=[2, 8, 32, 64, 128], value=64, description="latent size", style=style)
        self.label_smoothing = w.FloatSlider(value=0.0, min=0.0, max=0.3, step=0.05,
                                             description="label smoothing", style=style)
        self.seconds = w.FloatSlider(value=seconds, min=5, max=120, step=5, description="seconds", style=style)
        self.frame_slider = w.IntSlider(value=0, min=0, max=0, description="frame", disabled=True)
        self.image = w.Image(format="png")
        self.table = w.HTML()
        self.frame_slider.observe(lambda change: self.show_frame(change["new"]), names="value")
        self.model, self.result, self.frames, self.steps = None, None, [], []
        super().__init__(self._train_gan, {"learning_rate": self.g_lr, "d_learning_rate": self.d_lr,
                                           "latent_dim": self.latent_dim, "label_smoothing": self.label_smoothing,
                                           "seconds": self.seconds},
                         button_text="Train and watch")

    def _layout(self) -> list:
        import ipywidgets as w

        return [w.HBox([self.g_lr, self.d_lr]), w.HBox([self.latent_dim, self.label_smoothing]),
                w.HBox([self.seconds, self.button]), self.status, self.image, self.frame_slider, self.table,
                self.output]

    def _frame_png(self, frame) -> bytes:
        return mosaic_png(frame, ncols=FRAME_COLUMNS, scale=self.scale, vmax=255)

    def _on_frame(self, frame, step):
        self.image.value = self._frame_png(frame)
        self.status.value = f"training… {step} batches"

    def show_frame(self, i: int):
        """Show recorded grid ``i`` (clipped to the frames there are)."""
        if self.frames:
            i = int(np.clip(i, 0, len(self.frames) - 1))
            self.image.value = self._frame_png(self.frames[i])
            self.status.value = f"frame {i}: after {self.steps[i]} batches"

    def _train_gan(self, **settings):
        from ..models.gan import SampleGrid

        grid = SampleGrid(n=self.n_samples, every=self.every, on_record=self._on_frame)
        result = self.trainer(self.x_train, self.y_train, conditional=self.conditional,
                              callbacks=[grid], **settings, **self.train_kwargs)
        return result, grid

    def _summarise(self, values: dict, result) -> dict:
        self.result, grid = result
        self.model = self.result.model
        self.frames, self.steps = grid.frames, grid.steps
        tail = {k: float(np.mean(v[-20:])) for k, v in self.result.batch_history.items() if v}
        return {**values, "batches": self.steps[-1] if self.steps else 0,
                "images_per_second": self.result.images_per_second, **tail}

    def _show(self, summary) -> None:
        self.frame_slider.max = max(0, len(self.frames) - 1)
        self.frame_slider.disabled = len(self.frames) < 2
        self.frame_slider.value = self.frame_slider.max
        self.show_frame(self.frame_slider.max)
        self.table.value = self._table()

    def _describe(self, summary) -> str:
        shown = ("batches", "images_per_second", "d_real", "d_fake")
        return " · ".join(f"{k} {summary[k]:.3g}" for k in shown if k in summary)

    def _table(self) -> str:
        cols = ["learning_rate", "d_learning_rate", "latent_dim", "label_smoothing", "batches",
                "images_per_second", "d_real", "d_fake", "d_loss", "g_loss"]
        head = "".join(f"<th>{c}</th>" for c in ["run", *cols])
        rows = []
        for i, r in enumerate(self.results, 1):
            cells = "".join(f"<td>{r.get(c, float('nan')):.3g}</td>" for c in cols)
            rows.append(f"<tr><td>{i}</td>{cells}</tr>")
        return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


class LatentWalk:
    """Slide ``t`` from 0 to 1 to move along the great circle from noise ``z0`` to ``z1`` (chapter 05).

    The strip underneath shows the whole path (``steps`` images) and the big
    image the point ``t``. ``new_endpoints()`` draws another pair. With a
    conditional GAN a class picker fixes the digit while the noise (style) moves.
    """

    def __init__(self, model, steps: int = 10, seed: int = 0, scale: int = 8, class_names=None):
        import ipywidgets as w

        self.model, self.steps, self.scale, self.seed = model, steps, scale, seed
        self.conditional = bool(getattr(model, "conditional", False))
        self.t_slider = w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05, description="t",
                                      continuous_update=True)
        self.class_picker = _class_dropdown(model.num_classes, class_names) if self.conditional else None
        self.button = w.Button(description="new endpoints", icon="refresh")
        self.image = w.Image(format="png")
        self.strip = w.Image(format="png")
        self.caption = w.HTML()
        self.t_slider.observe(lambda _: self._render(), names="value")
        if self.class_picker is not None:
            self.class_picker.observe(lambda _: self._render(), names="value")
        self.button.on_click(lambda _: self.new_endpoints())
        controls = [self.t_slider] + ([self.class_picker] if self.class_picker else []) + [self.button]
        self.widget = w.VBox([w.HBox(controls), self.image, self.strip, self.caption])
        self.new_endpoints(seed)

    @property
    def label(self):
        return self.class_picker.value if self.class_picker is not None else None

    def path(self, t) -> np.ndarray:
        from ..models.gan import slerp

        return slerp(self.z0, self.z1, t)

    def images(self, t) -> np.ndarray:
        """uint8 images along the path at steps ``t``."""
        from ..models.gan import from_gan_range

        z = self.path(t)
        labels = None if self.label is None else np.full(len(z), self.label)
        return from_gan_range(self.model.generate(z=z, labels=labels))

    def new_endpoints(self, seed: int | None = None):
        self.seed = self.seed + 1 if seed is None else seed
        rng = np.random.default_rng(self.seed)
        self.z0, self.z1 = rng.standard_normal((2, self.model.latent_dim)).astype(np.float32)
        self._render()
        return self

    def _render(self):
        self.current = self.images([self.t_slider.value])[0]
        self.image.value = to_png(self.current, scale=self.scale, vmin=0, vmax=255)
        self.strip.value = mosaic_png(self.images(np.linspace(0, 1, self.steps)), scale=2, vmax=255)
        extra = f" · class <b>{self.label}</b>" if self.label is not None else ""
        self.caption.value = f"t = {self.t_slider.value:.2f} · endpoints from seed {self.seed}{extra}"

    def set(self, t: float | None = None, label: int | None = None):
        """Move the slider to ``t`` and/or pick ``label`` (conditional GANs only); returns self."""
        if label is not None:
            if self.class_picker is None:
                raise ValueError("this GAN is unconditional: there is no class to pick")
            self.class_picker.value = int(label)
        if t is not None:
            self.t_slider.value = float(t)
        return self


class ClassPicker:
    """A conditional GAN draws ``n`` samples of the class you pick; "resample" draws new noise (chapter 05)."""

    def __init__(self, model, n: int = 10, seed: int = 0, scale: int = 3, class_names=None):
        import ipywidgets as w

        if not getattr(model, "conditional", False):
            raise ValueError("ClassPicker needs a conditional GAN (helpers.models.gan.ConditionalGAN).")
        self.model, self.n, self.seed, self.scale = model, n, seed, scale
        self.class_picker = _class_dropdown(model.num_classes, class_names)
        self.button = w.Button(description="resample", icon="refresh")
        self.image = w.Image(format="png")
        self.caption = w.HTML()
        self.class_picker.observe(lambda _: self._render(), names="value")
        self.button.on_click(lambda _: self.resample())
        self.widget = w.VBox([w.HBox([self.class_picker, self.button]), self.image, self.caption])
        self._render()

    def _render(self):
        from ..models.gan import from_gan_range

        labels = np.full(self.n, self.class_picker.value)
        self.current = from_gan_range(self.model.generate(self.n, seed=self.seed, labels=labels))
        self.image.value = mosaic_png(self.current, scale=self.scale, vmax=255)
        self.caption.value = f"{self.n} samples of class <b>{self.class_picker.value}</b> · noise seed {self.seed}"

    def show(self, label: int):
        self.class_picker.value = int(label)
        return self

    def resample(self):
        self.seed += 1
        self._render()
        return self
