"""Widgets for chapter 07: sample a flow live, and scrub along its path from noise to digit.

* :class:`FlowSampler`: sliders for the number of sampling steps and the guidance scale, a class picker and a
  sampler choice; the samples, the seconds they took and (with ``score``) their scores update on every change.
* :class:`TrajectoryScrubber`: one batch of noise integrated once; a slider moves along the path, showing the
  current point and the digit the model predicts from it (``x_t + (1 - t) v``).
"""

from __future__ import annotations

import html
import time

import numpy as np

from .images import mosaic_png

ALL_CLASSES = -1


def _options(num_classes: int):
    return [("0–9 in turn", ALL_CLASSES)] + [(str(c), c) for c in range(num_classes)]


class FlowSampler:
    """Steps, guidance, class and sampler -> ``n`` fresh samples and their scores (chapter 07 §3-§5).

    ``model`` is a :class:`helpers.models.flow.FlowMatcher`; ``score(images, labels) -> dict`` (optional) adds
    numbers under the samples, e.g. the evaluator's label fidelity. Every render uses the same noise (``seed``),
    so a change of steps or guidance shows its effect on the same starting points.
    """

    def __init__(self, model, n: int = 20, steps: int = 20, guidance: float = 1.0, seed: int = 0, score=None,
                 scale: int = 2):
        import ipywidgets as w

        self.model, self.n, self.seed, self.score, self.scale = model, int(n), int(seed), score, scale
        style = {"description_width": "initial"}
        self.steps = w.IntSlider(value=steps, min=1, max=50, description="sampling steps", style=style,
                                 continuous_update=False)
        self.sampler = w.Dropdown(options=["euler", "heun", "ancestral"], value="euler", description="sampler")
        controls = [self.steps, self.sampler]
        self.guidance = self.class_picker = None
        if model.num_classes:
            self.guidance = w.FloatSlider(value=guidance, min=0.0, max=4.0, step=0.25, description="guidance w",
                                          style=style, continuous_update=False)
            self.class_picker = w.Dropdown(options=_options(model.num_classes), value=ALL_CLASSES,
                                           description="class")
            controls += [self.guidance, self.class_picker]
        for control in controls:
            control.observe(lambda _: self.render(), names="value")
        self.image = w.Image(format="png")
        self.caption = w.HTML()
        self.widget = w.VBox([w.HBox(controls[:2]), w.HBox(controls[2:]), self.image, self.caption])
        self.current = self.numbers = None
        self.render()

    def labels(self):
        """The labels of the current render (``None`` for an unconditional flow)."""
        if self.class_picker is None:
            return None
        if self.class_picker.value == ALL_CLASSES:
            return np.arange(self.n) % self.model.num_classes
        return np.full(self.n, self.class_picker.value)

    def render(self):
        labels = self.labels()
        guidance = self.guidance.value if self.guidance is not None else 1.0
        start = time.perf_counter()
        self.current = self.model.sample(self.n, labels=labels, steps=self.steps.value, guidance=guidance,
                                         sampler=self.sampler.value, seed=self.seed)
        seconds = time.perf_counter() - start
        self.image.value = mosaic_png(self.current, ncols=10, scale=self.scale)
        self.numbers = dict(self.score(self.current, labels)) if self.score is not None else {}
        calls = self.steps.value * (2 if self.sampler.value == "heun" else 1)
        parts = [f"{self.n} samples · {self.steps.value} steps of {self.sampler.value} ({calls} network calls) · "
                 f"{seconds:.2f} s"]
        if self.guidance is not None:
            parts.append(f"guidance w = {guidance:g}")
        parts += [f"{html.escape(str(k))} {v:.3g}" if isinstance(v, float) else f"{html.escape(str(k))} {v}"
                  for k, v in self.numbers.items()]
        self.caption.value = " · ".join(parts)
        return self

    def set(self, steps: int | None = None, guidance: float | None = None, label: int | None = None,
            sampler: str | None = None):
        """Move the controls from code (tests, or a cell that shows a setting)."""
        if steps is not None:
            self.steps.value = int(steps)
        if sampler is not None:
            self.sampler.value = sampler
        if guidance is not None or label is not None:
            if self.guidance is None:
                raise ValueError("this flow is unconditional: it has no guidance and no class to pick")
            if guidance is not None:
                self.guidance.value = float(guidance)
            if label is not None:
                self.class_picker.value = int(label)
        return self


class TrajectoryScrubber:
    """A slider along one sampling path: the point at time t and the digit it predicts (chapter 07 §3).

    The path is integrated once with Euler steps; for a latent flow each point is decoded. The second row is
    the model's guess of the end from the current point, ``x_t + (1 - t) v``: sharp long before the path ends,
    which is why few steps can suffice.
    """

    def __init__(self, model, n: int = 10, steps: int = 20, labels=None, guidance: float = 1.0, seed: int = 0,
                 scale: int = 2):
        import ipywidgets as w

        if labels is None and model.num_classes:
            labels = np.arange(n) % model.num_classes
        self.model, self.scale = model, scale
        _, path = model.sample_points(n, labels=labels, steps=steps, guidance=guidance, seed=seed, trajectory=True)
        self.times = np.linspace(0.0, 1.0, steps + 1)
        h = 1.0 / steps
        velocities = np.concatenate([(path[1:] - path[:-1]) / h, np.zeros_like(path[:1])])
        predictions = path + (1.0 - self.times.reshape((-1,) + (1,) * (path.ndim - 1))) * velocities
        self.frames = np.stack([model.from_space(p) for p in path])
        self.predicted = np.stack([model.from_space(p) for p in predictions])
        self.slider = w.IntSlider(value=0, min=0, max=steps, description="step", continuous_update=True)
        self.slider.observe(lambda _: self._render(), names="value")
        self.image = w.Image(format="png")
        self.caption = w.HTML()
        self.widget = w.VBox([self.slider, self.image, self.caption])
        self._render()

    def _render(self):
        i = self.slider.value
        both = np.concatenate([self.frames[i], self.predicted[i]])
        self.image.value = mosaic_png(both, ncols=len(self.frames[i]), scale=self.scale)
        self.caption.value = (f"t = {self.times[i]:.2f} · top: the current point x_t · bottom: the digit predicted "
                              f"from it, x_t + (1 − t)·v")

    def show(self, step: int):
        self.slider.value = int(step)
        return self
