"""The warmed-up exponential moving average of a network's weights (chapters 05 and 07).

The GANs sample from an average of the generator's weights and the flows from an average of the velocity
network's: one update rule serves both.
"""

from __future__ import annotations

from keras import ops


def update_moving_average(averaged, current, ema: float, step) -> None:
    """``a ← d·a + (1-d)·w`` for each weight, with the warm-up ``d = min(ema, (1+t)/(10+t))`` after ``t`` steps.

    The warm-up keeps a short run from being stuck near its starting weights (chapters 05 and 07)."""
    step = ops.cast(step, "float32")
    decay = ops.minimum(ema, (1.0 + step) / (10.0 + step))
    for w_ema, w in zip(averaged.weights, current.weights, strict=True):
        w_ema.assign(decay * w_ema + (1.0 - decay) * w)
