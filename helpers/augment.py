"""Data augmentation for digits: label-preserving random transformations.

Every transformation here is a Keras 3 layer (or, for mixup, a batch
function) with three guarantees the tests pin down:

* **strength zero is the identity**: the output equals the input exactly;
* **seeded determinism**: two layers built with the same ``seed`` produce the
  same outputs on the same inputs;
* **the value range is preserved**: images in [0, 1] stay in [0, 1].

Like Keras's own preprocessing layers, they transform only when
``training=True`` (the default when you call them directly, and what ``fit``
passes) and are the identity at inference, so they can sit *inside* a model.

* :class:`RandomAffine` fuses rotation, translation, zoom and shear into one
  affine matrix per image and resamples once (cheaper than four layers).
* :class:`ElasticDistortion` is Simard, Steinkraus & Platt (2003): a random
  displacement field, smoothed by a Gaussian, scaled, then bilinear resampling.
* :class:`AdditiveNoise` (clipped Gaussian noise) and :class:`RandomErase`
  (a random rectangle set to background, after Zhong et al., 2020).
* :func:`mixup_batch` / :func:`mixup_dataset` (Zhang et al., 2018) blend pairs of
  images *and* their one-hot labels.
* :func:`digit_augmentation` builds a recipe from one strength per transformation.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

#: Physical size of each transformation at strength 1 (strength scales it linearly).
TRANSFORMS = {
    "rotation": (12.0, "max. rotation in degrees"),
    "translation": (0.10, "max. shift as a fraction of the image size"),
    "zoom": (0.10, "max. relative zoom in or out"),
    "shear": (0.15, "max. shear factor"),
    "elastic": (34.0, "elastic displacement scale alpha (Simard et al.: 34, sigma 4)"),
    "noise": (0.10, "standard deviation of additive Gaussian noise"),
    "erasing": (0.20, "max. side of the erased rectangle, as a fraction of the image size"),
}

#: The transformations :class:`RandomAffine` fuses into one resampling.
AFFINE = ("rotation", "translation", "zoom", "shear")

#: The default digit recipe: geometric transformations on, the rest opt-in.
DEFAULT_STRENGTHS = {"rotation": 1.0, "translation": 1.0, "zoom": 1.0, "shear": 1.0,
                     "elastic": 0.0, "noise": 0.0, "erasing": 0.0}


def _check_nonneg(**values):
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"{name} must be >= 0 (0 switches the transformation off), got {value}.")


class _RandomLayer(keras.layers.Layer):
    """Base: a seeded layer that is the identity unless ``training`` is true."""

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def is_identity(self) -> bool:  # overridden: zero strength
        return False

    def call(self, inputs, training=True):
        if not training or self.is_identity():
            return inputs
        return self.transform(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="course")
class RandomAffine(_RandomLayer):
    """Random rotation, translation, zoom and shear as ONE affine resampling (chapter 02 §2-§3).

    For each image, with :math:`\\theta` (rotation), :math:`s` (shear) and
    :math:`z` (zoom) drawn uniformly from ``[-rotation, rotation]`` degrees,
    ``[-shear, shear]`` and ``[1 - zoom, 1 + zoom]``, output pixel :math:`p`
    reads the input at :math:`c + R(\\theta)\\,S(s)\\,z\\,(p - c) - t`, where
    :math:`c` is the image centre and :math:`t` a shift of up to ``translation``
    times the image size. Bilinear interpolation; outside pixels are 0 (background).
    """

    def __init__(self, rotation: float = 12.0, translation: float = 0.1, zoom: float = 0.1,
                 shear: float = 0.15, seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _check_nonneg(rotation=rotation, translation=translation, zoom=zoom, shear=shear)
        if zoom >= 1:
            raise ValueError(f"zoom must be < 1 (a factor in [1 - zoom, 1 + zoom]), got {zoom}.")
        self.rotation, self.translation, self.zoom, self.shear = rotation, translation, zoom, shear

    def is_identity(self):
        return self.rotation == 0 and self.translation == 0 and self.zoom == 0 and self.shear == 0

    @staticmethod
    def affine_matrix(theta, shear, zoom, tx, ty, height, width):
        """The 8-number transforms (B, 8) of ``ops.image.affine_transform`` for per-image parameters.

        ``M = zoom * R(theta) @ [[1, shear], [0, 1]]`` maps an output offset from the
        centre to an input offset; the last column moves the centre and shifts by ``(tx, ty)``.
        """
        theta = ops.convert_to_tensor(theta, "float32")
        cos, sin = ops.cos(theta), ops.sin(theta)
        m00, m01 = cos * zoom, (cos * shear - sin) * zoom
        m10, m11 = sin * zoom, (sin * shear + cos) * zoom
        cx = (ops.cast(width, "float32") - 1.0) / 2.0
        cy = (ops.cast(height, "float32") - 1.0) / 2.0
        b0 = cx - m00 * cx - m01 * cy - tx
        b1 = cy - m10 * cx - m11 * cy - ty
        zeros = ops.zeros_like(theta)
        return ops.stack([m00, m01, b0, m10, m11, b1, zeros, zeros], axis=1)

    def transform(self, images):
        shape = ops.shape(images)
        batch, height, width = shape[0], shape[1], shape[2]

        def uniform(limit):
            return keras.random.uniform((batch,), -limit, limit, seed=self.seed_generator)

        theta = uniform(self.rotation * math.pi / 180.0)
        shear = uniform(self.shear)
        zoom = 1.0 + uniform(self.zoom)
        tx = uniform(self.translation) * ops.cast(width, "float32")
        ty = uniform(self.translation) * ops.cast(height, "float32")
        matrix = self.affine_matrix(theta, shear, zoom, tx, ty, height, width)
        out = ops.image.affine_transform(images, matrix, interpolation="bilinear",
                                         fill_mode="constant", fill_value=0,
                                         data_format="channels_last")
        return ops.cast(out, images.dtype)

    def get_config(self):
        return {**super().get_config(), "rotation": self.rotation, "translation": self.translation,
                "zoom": self.zoom, "shear": self.shear}


def gaussian_kernel(sigma: float, radius: int | None = None) -> np.ndarray:
    """1-D Gaussian weights with standard deviation ``sigma`` that sum to 1.

    Used by :class:`ElasticDistortion` (chapter 02 §2).
    """
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0, got {sigma}.")
    radius = int(math.ceil(3 * sigma)) if radius is None else radius
    t = np.arange(-radius, radius + 1, dtype=np.float32)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    return (k / k.sum()).astype(np.float32)


def bilinear_sample(images, rows, cols):
    """Read ``images`` (B, H, W, C) at real-valued positions ``rows``, ``cols`` (B, H, W) (chapter 02 §2).

    Bilinear interpolation between the four neighbouring pixels; positions
    outside the image read 0. At integer positions this returns the pixels exactly.
    """
    shape = ops.shape(images)
    batch, height, width, channels = shape[0], shape[1], shape[2], shape[3]
    flat = ops.reshape(images, (batch, height * width, channels))
    rows, cols = ops.cast(rows, "float32"), ops.cast(cols, "float32")
    r0, c0 = ops.floor(rows), ops.floor(cols)
    fr, fc = rows - r0, cols - c0
    out = 0.0
    for dr, dc, weight in ((0, 0, (1 - fr) * (1 - fc)), (0, 1, (1 - fr) * fc),
                           (1, 0, fr * (1 - fc)), (1, 1, fr * fc)):
        r, c = r0 + dr, c0 + dc
        inside = (r >= 0) & (r <= ops.cast(height - 1, "float32")) & (c >= 0) & (c <= ops.cast(width - 1, "float32"))
        ri = ops.cast(ops.clip(r, 0, ops.cast(height - 1, "float32")), "int32")
        ci = ops.cast(ops.clip(c, 0, ops.cast(width - 1, "float32")), "int32")
        index = ops.reshape(ri * width + ci, (batch, height * width, 1))
        values = ops.take_along_axis(flat, ops.repeat(index, channels, axis=2), axis=1)
        values = ops.reshape(values, (batch, height, width, channels))
        w = ops.where(inside, weight, ops.zeros_like(weight))
        out = out + values * w[..., None]
    return out


@keras.saving.register_keras_serializable(package="course")
class ElasticDistortion(_RandomLayer):
    """Elastic distortion (Simard, Steinkraus & Platt, 2003; chapter 02 §2-§3).

    Draw independent displacements :math:`u, v \\sim U(-1, 1)` per pixel, smooth
    each field with a Gaussian of standard deviation ``sigma`` pixels (which makes
    neighbouring pixels move together, like a rubber sheet), multiply by
    ``alpha`` and read pixel :math:`(i, j)` of the output from position
    :math:`(i + \\alpha (G_\\sigma * v)_{ij},\\; j + \\alpha (G_\\sigma * u)_{ij})` of the
    input, with bilinear interpolation. ``alpha = 0`` is the identity.
    """

    def __init__(self, alpha: float = 34.0, sigma: float = 4.0, seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _check_nonneg(alpha=alpha)
        if sigma <= 0:
            raise ValueError(f"sigma must be > 0 (smoothing in pixels), got {sigma}.")
        self.alpha, self.sigma = float(alpha), float(sigma)
        self._kernel = gaussian_kernel(self.sigma)

    def is_identity(self):
        return self.alpha == 0

    def _smooth(self, field):
        """Separable Gaussian blur of (B, H, W, 2) with zero padding."""
        k = ops.convert_to_tensor(self._kernel)
        n = self._kernel.shape[0]
        kh = ops.tile(ops.reshape(k, (n, 1, 1, 1)), (1, 1, 2, 1))
        kw = ops.tile(ops.reshape(k, (1, n, 1, 1)), (1, 1, 2, 1))
        field = ops.depthwise_conv(field, kh, padding="same", data_format="channels_last")
        return ops.depthwise_conv(field, kw, padding="same", data_format="channels_last")

    def displacement(self, images):
        """The random field (B, H, W, 2) of (row, column) shifts in pixels used for ``images``."""
        shape = ops.shape(images)
        noise = keras.random.uniform((shape[0], shape[1], shape[2], 2), -1.0, 1.0, seed=self.seed_generator)
        return self.alpha * self._smooth(noise)

    def transform(self, images):
        shape = ops.shape(images)
        height, width = shape[1], shape[2]
        d = self.displacement(images)
        rows = ops.cast(ops.arange(height), "float32")[None, :, None] + d[..., 0]
        cols = ops.cast(ops.arange(width), "float32")[None, None, :] + d[..., 1]
        return ops.cast(bilinear_sample(ops.cast(images, "float32"), rows, cols), images.dtype)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "sigma": self.sigma}


@keras.saving.register_keras_serializable(package="course")
class AdditiveNoise(_RandomLayer):
    """Add Gaussian noise of standard deviation ``stddev`` and clip to ``value_range`` (chapter 02 §2-§3).

    Unlike ``keras.layers.GaussianNoise`` the result stays a valid image.
    """

    def __init__(self, stddev: float = 0.1, value_range=(0.0, 1.0), seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _check_nonneg(stddev=stddev)
        self.stddev, self.value_range = float(stddev), tuple(value_range)

    def is_identity(self):
        return self.stddev == 0

    def transform(self, images):
        noise = keras.random.normal(ops.shape(images), stddev=self.stddev, seed=self.seed_generator)
        lo, hi = self.value_range
        return ops.clip(images + ops.cast(noise, images.dtype), lo, hi)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "value_range": list(self.value_range)}


@keras.saving.register_keras_serializable(package="course")
class RandomErase(_RandomLayer):
    """Set one random rectangle per image to ``fill_value`` (background), with probability ``rate``.

    Each side is drawn uniformly in ``[0, max_size]`` times the image side, so the
    network cannot rely on any single stroke (Zhong et al., 2020, "Random Erasing").
    Chapter 02 §2-§3 (Q1's worked answer builds the same mask and inverts the patch instead).
    """

    def __init__(self, max_size: float = 0.2, rate: float = 0.5, fill_value: float = 0.0,
                 seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _check_nonneg(max_size=max_size, rate=rate)
        if max_size > 1 or rate > 1:
            raise ValueError(f"max_size and rate must be in [0, 1], got {max_size} and {rate}.")
        self.max_size, self.rate, self.fill_value = float(max_size), float(rate), float(fill_value)

    def is_identity(self):
        return self.max_size == 0 or self.rate == 0

    def transform(self, images):
        shape = ops.shape(images)
        batch, height, width = shape[0], shape[1], shape[2]
        hf, wf = ops.cast(height, "float32"), ops.cast(width, "float32")

        def u(lo, hi):
            return keras.random.uniform((batch,), lo, hi, seed=self.seed_generator)

        h = u(0.0, self.max_size) * hf
        w = u(0.0, self.max_size) * wf
        top = u(0.0, 1.0) * (hf - h)
        left = u(0.0, 1.0) * (wf - w)
        apply = ops.cast(u(0.0, 1.0) < self.rate, "float32")
        rows = ops.cast(ops.arange(height), "float32")[None, :, None]
        cols = ops.cast(ops.arange(width), "float32")[None, None, :]
        inside = ((rows >= top[:, None, None]) & (rows < (top + h)[:, None, None])
                  & (cols >= left[:, None, None]) & (cols < (left + w)[:, None, None]))
        mask = ops.cast(inside, "float32") * apply[:, None, None]
        mask = ops.cast(mask[..., None], images.dtype)
        return images * (1 - mask) + self.fill_value * mask

    def get_config(self):
        return {**super().get_config(), "max_size": self.max_size, "rate": self.rate,
                "fill_value": self.fill_value}


# --------------------------------------------------------------------- recipes
def _resolve(strength: float, strengths: dict) -> dict:
    unknown = set(strengths) - set(TRANSFORMS)
    if unknown:
        raise ValueError(f"unknown transformation(s) {sorted(unknown)}; choose from {list(TRANSFORMS)}.")
    _check_nonneg(strength=strength, **strengths)
    merged = {**DEFAULT_STRENGTHS, **strengths}
    return {name: strength * s * TRANSFORMS[name][0] for name, s in merged.items()}


def digit_augmentation(strength: float = 1.0, seed: int = 0, name: str = "augmentation", **strengths):
    """A digit augmentation recipe as one ``keras.Sequential`` of course layers (chapters 01 and 02).

    ``strength`` scales everything (0 = identity); keyword strengths scale single
    transformations relative to :data:`TRANSFORMS` (defaults :data:`DEFAULT_STRENGTHS`),
    e.g. ``digit_augmentation(elastic=1, rotation=0)``. No flips: a mirrored 2,
    3, 4, 5 or 7 is not a digit, and rotations stay small so a 6 never becomes a 9.
    """
    p = _resolve(strength, strengths)
    layers = []
    if any(p[k] > 0 for k in AFFINE):
        layers.append(RandomAffine(p["rotation"], p["translation"], min(p["zoom"], 0.9), p["shear"],
                                   seed=seed, name="affine"))
    if p["elastic"] > 0:
        layers.append(ElasticDistortion(alpha=p["elastic"], sigma=4.0, seed=seed + 1, name="elastic"))
    if p["erasing"] > 0:
        layers.append(RandomErase(max_size=min(p["erasing"], 1.0), seed=seed + 2, name="erasing"))
    if p["noise"] > 0:
        layers.append(AdditiveNoise(stddev=p["noise"], seed=seed + 3, name="noise"))
    if not layers:
        layers = [keras.layers.Identity(name="identity")]
    return keras.Sequential(layers, name=name)


def keras_builtin_augmentation(strength: float = 1.0, seed: int = 0, name: str = "builtin_augmentation"):
    """The same geometric recipe from Keras's built-in layers (four resamplings instead of one).

    Used to compare cost with :class:`RandomAffine`; Keras expresses rotation as
    a fraction of a full turn, hence the division by 360.
    Chapter 02 §3.
    """
    p = _resolve(strength, {})
    kw = dict(fill_mode="constant", fill_value=0.0)
    return keras.Sequential([
        keras.layers.RandomRotation(p["rotation"] / 360.0, seed=seed, **kw),
        keras.layers.RandomTranslation(p["translation"], p["translation"], seed=seed + 1, **kw),
        keras.layers.RandomZoom(p["zoom"], seed=seed + 2, **kw),
        keras.layers.RandomShear(p["shear"], p["shear"], seed=seed + 3, **kw),
    ], name=name)


def rotate(x, degrees: float) -> np.ndarray:
    """Rotate every image by exactly ``degrees`` (counter-clockwise on screen) about its centre.

    A deterministic probe for label preservation: how does a classifier do on digits
    rotated by 30, 90 or 180 degrees? Accepts (N, H, W) or (N, H, W, 1) floats.
    Chapter 02 §5.
    """
    x = np.asarray(x, dtype=np.float32)
    squeeze = x.ndim == 3
    x4 = x[..., None] if squeeze else x
    n, height, width = x4.shape[:3]
    theta = np.full((n,), degrees * math.pi / 180.0, np.float32)
    zeros = np.zeros((n,), np.float32)
    matrix = RandomAffine.affine_matrix(theta, zeros, 1.0 + zeros, zeros, zeros, height, width)
    out = ops.convert_to_numpy(ops.image.affine_transform(x4, matrix, fill_value=0, data_format="channels_last"))
    return out[..., 0] if squeeze else out


def augment(layer, x, batch_size: int = 1024) -> np.ndarray:
    """Apply an augmentation layer to a NumPy batch (``training=True``); returns NumPy (chapters 01, 02)."""
    x = np.asarray(x, dtype=np.float32)
    squeeze = x.ndim == 3
    if squeeze:
        x = x[..., None]
    out = np.concatenate([ops.convert_to_numpy(layer(x[i:i + batch_size], training=True))
                          for i in range(0, len(x), batch_size)]) if len(x) else x
    return out[..., 0] if squeeze else out


# ---------------------------------------------------------------------- mixup
def mixup_batch(x, y, alpha: float, num_classes: int = 10, seed=(0, 0)):
    """Mixup (Zhang et al., 2018) of one batch: returns ``(x_mix, y_soft)`` (chapter 02 §2).

    For each example :math:`i`, draw :math:`\\lambda_i \\sim \\mathrm{Beta}(\\alpha, \\alpha)`
    and a partner :math:`\\pi(i)` (a random permutation of the batch), then
    :math:`\\tilde x_i = \\lambda_i x_i + (1-\\lambda_i) x_{\\pi(i)}` and
    :math:`\\tilde y_i = \\lambda_i e_{y_i} + (1-\\lambda_i) e_{y_{\\pi(i)}}` with
    :math:`e_k` the one-hot vector of class :math:`k`. ``alpha = 0`` returns the
    batch unchanged (with one-hot labels). ``seed`` is a pair of ints (stateless RNG).
    Train with ``categorical_crossentropy`` since the labels are soft.
    """
    import tensorflow as tf

    if alpha < 0:
        raise ValueError(f"alpha must be >= 0 (0 switches mixup off), got {alpha}.")
    x = tf.convert_to_tensor(x, tf.float32)
    y_hot = tf.one_hot(tf.cast(y, tf.int32), num_classes)
    if alpha == 0:
        return x, y_hot
    seed = tf.cast(tf.convert_to_tensor(seed), tf.int64)
    n = tf.shape(x)[0]
    g1 = tf.random.stateless_gamma([n], seed=seed, alpha=alpha)
    g2 = tf.random.stateless_gamma([n], seed=seed + [0, 1], alpha=alpha)
    lam = g1 / (g1 + g2)
    perm = tf.argsort(tf.random.stateless_uniform([n], seed=seed + [0, 2]))
    lam_x = tf.reshape(lam, tf.concat([[n], tf.ones(tf.rank(x) - 1, tf.int32)], 0))
    x_mix = lam_x * x + (1 - lam_x) * tf.gather(x, perm)
    y_mix = lam[:, None] * y_hot + (1 - lam[:, None]) * tf.gather(y_hot, perm)
    return x_mix, y_mix


def mixup_dataset(ds, alpha: float, num_classes: int = 10, seed: int = 0):
    """Apply :func:`mixup_batch` to every batch of a ``tf.data`` dataset of ``(x, y)`` batches.

    Batch ``i`` uses the stateless seed ``(seed, i)``: reproducible, yet different per batch.
    Not called by a chapter: the ``tf.data`` form of chapter 02 §2's mixup.
    """
    import tensorflow as tf

    def mix(i, batch):
        x, y = batch
        return mixup_batch(x, y, alpha, num_classes, seed=tf.stack([tf.cast(seed, tf.int64), i]))

    return ds.enumerate().map(mix, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
