"""What a training run returns (:class:`TrainResult`): a plain record, no Keras needed to read it.

:func:`helpers.training.fit` makes one; :mod:`helpers.store` saves and
reloads it; the chapters, the CLI, the widgets and the benchmark read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TrainResult:
    """What one training run produced (chapter 03 onwards; the CLI and the benchmark read it).

    ``history``: per-epoch logs (Keras ``History.history``); ``batch_history``:
    the logs of every batch (GAN monitoring); ``extras``: arrays a chapter keeps
    with the model (e.g. the frames of a training animation); ``source``:
    ``"trained now"`` or where the store loaded it from.
    """

    model: object
    batches: int = 0
    seconds: float = 0.0
    epochs: float = 0.0
    batch_size: int | None = None
    first_batch_seconds: float | None = None
    history: dict = field(default_factory=dict)
    batch_history: dict = field(default_factory=dict)
    extras: dict = field(default_factory=dict)
    source: str = "trained now"

    @property
    def images(self) -> int:
        return self.batches * (self.batch_size or 0)

    @property
    def images_per_second(self) -> float:
        return self.images / self.seconds if self.seconds > 0 else 0.0

    @property
    def steady_images_per_second(self) -> float | None:
        """Images/s after the first batch (which traces the graph): the machine's training speed."""
        if self.first_batch_seconds is None or self.batches < 2 or not self.batch_size:
            return None
        rest = self.seconds - self.first_batch_seconds
        return (self.batches - 1) * self.batch_size / rest if rest > 0 else None

    def stats(self) -> dict:
        """The numbers as a JSON-ready dict (stored beside the weights, printed by the CLI)."""
        return {"batches": self.batches, "seconds": round(self.seconds, 2), "epochs": round(self.epochs, 3),
                "batch_size": self.batch_size, "first_batch_seconds": self.first_batch_seconds,
                "images": self.images, "images_per_second": round(self.images_per_second, 1),
                "steady_images_per_second": (None if self.steady_images_per_second is None
                                             else round(self.steady_images_per_second, 1))}

    def __repr__(self):
        name = getattr(self.model, "name", type(self.model).__name__)
        return (f"TrainResult({name}: {self.batches} batches, {self.seconds:.1f} s, "
                f"{self.images_per_second:,.0f} images/s, {self.source})")
