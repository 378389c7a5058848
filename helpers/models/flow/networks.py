"""The velocity networks of chapter 07 (§2 and §6), sized for a 2-core CPU.

Both take ``(x_t, t, label)`` and return a velocity shaped like ``x_t``. The time ``t`` in [0, 1] enters
through sinusoidal features (Vaswani et al.'s position encoding, as in DDPM); the label through an
embedding with one extra row, index ``num_classes``, the **null label** that classifier-free guidance uses
for "no condition". Each block adds the (time, label) embedding to its features (a per-channel shift).
"""

from __future__ import annotations

import math

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="course")
class TimeFeatures(layers.Layer):
    """``t`` (batch,) or (batch, 1) in [0, 1] -> ``[sin(w_i t), cos(w_i t)]`` with geometric frequencies.

    The frequencies run from 1 to ``max_frequency`` radians per unit of ``t``, so both the coarse and the
    fine structure of the schedule can be told apart (chapter 07 §2)."""

    def __init__(self, dim: int = 32, max_frequency: float = 1000.0, **kwargs):
        super().__init__(**kwargs)
        self.dim, self.max_frequency = int(dim), float(max_frequency)

    def call(self, t):
        half = self.dim // 2
        freqs = ops.exp(ops.linspace(0.0, math.log(self.max_frequency), half))
        angles = ops.reshape(ops.cast(t, "float32"), (-1, 1)) * ops.reshape(freqs, (1, half))
        return ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "max_frequency": self.max_frequency}


def _inputs(shape: tuple, num_classes: int | None) -> list:
    """The network's inputs: ``x_t`` of ``shape``, ``t`` (batch, 1) and, with classes, an int ``label`` (batch, 1)."""
    inputs = [keras.Input(shape, name="x_t"), keras.Input((1,), name="t")]
    if num_classes:
        inputs.append(keras.Input((1,), dtype="int32", name="label"))
    return inputs


def _condition(t, label, width: int, num_classes: int | None, name: str):
    """The (time, label) embedding every block adds: sinusoidal t -> MLP, plus a learned label row."""
    h = layers.Dense(width, activation="silu", name=f"{name}_time_1")(TimeFeatures(name=f"{name}_time_features")(t))
    h = layers.Dense(width, name=f"{name}_time_2")(h)
    if num_classes:
        emb = layers.Embedding(num_classes + 1, width, name=f"{name}_label_embedding")(label)  # +1: the null label
        h = layers.Add()([h, layers.Reshape((width,))(emb)])
    return layers.Activation("silu")(h)


def build_latent_mlp(latent_dim: int = 32, width: int = 512, blocks: int = 4, num_classes: int | None = None,
                     name: str = "velocity_mlp") -> keras.Model:
    """Residual MLP for codes ``(batch, latent_dim)`` (chapter 07 §6, latent flow).

    ``blocks`` residual blocks ``h + Dense(silu(Dense(silu(LayerNorm(h)) + c)))`` of ``width`` units, where
    ``c`` is the (time, label) embedding; the last layer starts at zero, so the untrained network predicts a
    zero velocity (a stable start)."""
    inputs = _inputs((latent_dim,), num_classes)
    x, t, label = (*inputs, None)[:3]
    c = _condition(t, label, width, num_classes, name)
    h = layers.Dense(width, name=f"{name}_in")(x)
    for i in range(blocks):
        r = layers.Activation("silu")(layers.LayerNormalization(name=f"{name}_norm_{i}")(h))
        r = layers.Dense(width, name=f"{name}_dense_{i}a")(r)
        r = layers.Activation("silu")(layers.Add()([r, layers.Dense(width, name=f"{name}_cond_{i}")(c)]))
        h = layers.Add()([h, layers.Dense(width, name=f"{name}_dense_{i}b")(r)])
    h = layers.Activation("silu")(layers.LayerNormalization(name=f"{name}_norm_out")(h))
    v = layers.Dense(latent_dim, kernel_initializer="zeros", name=f"{name}_out")(h)
    return keras.Model(inputs, v, name=name)


def _res_block(h, c, channels: int, name: str):
    """GroupNorm -> SiLU -> 3x3 conv, plus the condition as a per-channel shift, twice; a residual path."""
    skip = h if h.shape[-1] == channels else layers.Conv2D(channels, 1, name=f"{name}_skip")(h)
    r = layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv1")(
        layers.Activation("silu")(layers.GroupNormalization(min(8, h.shape[-1]), name=f"{name}_gn1")(h)))
    shift = layers.Reshape((1, 1, channels))(layers.Dense(channels, name=f"{name}_cond")(c))
    r = layers.Add()([r, shift])
    r = layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv2")(
        layers.Activation("silu")(layers.GroupNormalization(8, name=f"{name}_gn2")(r)))
    return layers.Add()([skip, r])


def build_tiny_unet(width: int = 32, num_classes: int | None = None, name: str = "velocity_unet") -> keras.Model:
    """A two-level U-Net for images ``(batch, 28, 28, 1)`` (chapter 07 §2, the pixel-space teaching model).

    28x28 (``width`` channels) -> 14x14 (2 ``width``) -> 7x7 (2 ``width``, the middle) and back up, with skip
    connections at each resolution; each residual block gets the (time, label) embedding."""
    inputs = _inputs((28, 28, 1), num_classes)
    x, t, label = (*inputs, None)[:3]
    c = _condition(t, label, 4 * width, num_classes, name)
    h28 = _res_block(layers.Conv2D(width, 3, padding="same", name=f"{name}_in")(x), c, width, f"{name}_d28")
    h14 = _res_block(layers.Conv2D(2 * width, 3, strides=2, padding="same", name=f"{name}_down14")(h28), c,
                     2 * width, f"{name}_d14")
    h7 = _res_block(layers.Conv2D(2 * width, 3, strides=2, padding="same", name=f"{name}_down7")(h14), c,
                    2 * width, f"{name}_mid")
    u14 = layers.Concatenate()([layers.UpSampling2D(name=f"{name}_up14")(h7), h14])
    u14 = _res_block(u14, c, 2 * width, f"{name}_u14")
    u28 = layers.Concatenate()([layers.UpSampling2D(name=f"{name}_up28")(u14), h28])
    u28 = _res_block(u28, c, width, f"{name}_u28")
    out = layers.Activation("silu")(layers.GroupNormalization(8, name=f"{name}_gn_out")(u28))
    v = layers.Conv2D(1, 3, padding="same", kernel_initializer="zeros", name=f"{name}_out")(out)
    return keras.Model(inputs, v, name=name)
