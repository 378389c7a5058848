"""Flow-matching models (chapter 07): one Keras model per space, pixels or an autoencoder's codes.

:class:`FlowMatcher` learns the velocity of the straight path from noise (t = 0) to data (t = 1)
(:mod:`.process`); its ``train_step`` is the flow-matching objective,

    t ~ U(0, 1),  eps ~ N(0, I),  x_t = (1 - t) eps + t x,
    loss = E || v_theta(x_t, t, y) - (x - eps) ||^2       (summed over a sample's numbers, mean over the batch)

With ``num_classes`` the label ``y`` is replaced by the null label with probability ``label_dropout``, so
the same network also learns the unconditional velocity, which classifier-free guidance needs. With ``ema`` > 0
sampling uses an exponential moving average of the network's weights (``ema_network``, warmed up as the GANs'
are: the decay is ``min(ema, (1 + t)/(10 + t))`` after ``t`` steps, so a short run is not stuck near its start).

* :class:`PixelFlow` works on images scaled to [-1, 1] with a tiny U-Net (the teaching model, §2-§5).
* :class:`LatentFlow` works on the codes of chapter 03's convolutional autoencoder, which it owns and
  saves with itself (§6): the codes are standardised with statistics stored in the model, the flow runs in
  32 dimensions instead of 784, and the decoder turns its samples into images. The decoder's own error is a
  floor under the quality the flow can reach (:meth:`LatentFlow.reconstruct` measures it).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from ...memory import INFERENCE_BATCH_SIZE
from ..autoencoder import Autoencoder
from ..ema import update_moving_average
from . import process
from .networks import build_latent_mlp, build_tiny_unet

SAMPLERS = ("euler", "heun", "ddim", "ancestral")


class FlowMatcher(keras.Model):
    """The flow-matching objective and the samplers; subclasses supply the network and the data space (chapter 07)."""

    def __init__(self, num_classes: int | None = None, label_dropout: float = 0.1, ema: float = 0.999, seed: int = 0,
                 **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= label_dropout < 1.0:
            raise ValueError(f"label_dropout must be in [0, 1), got {label_dropout}")
        if not 0.0 <= ema < 1.0:
            raise ValueError(f"ema must be in [0, 1), got {ema}")
        self.num_classes = int(num_classes) if num_classes else None
        self.label_dropout, self.ema, self.seed = float(label_dropout), float(ema), int(seed)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")

    # -- the space the flow runs in (subclasses) --------------------------------------------------------
    def to_space(self, x):
        """Images (N, 28, 28[, 1]) in [0, 1] -> the points the flow moves (NumPy)."""
        raise NotImplementedError

    def from_space(self, points):
        """The flow's points -> images (N, 28, 28, 1) in [0, 1] (NumPy)."""
        raise NotImplementedError

    @property
    def point_shape(self) -> tuple:
        raise NotImplementedError

    # -- the objective -------------------------------------------------------------------------------
    def _inputs(self, x_t, t, labels):
        return [x_t, t, labels] if self.num_classes else [x_t, t]

    def _drop_labels(self, labels):
        keep = keras.random.uniform(ops.shape(labels), seed=self.seed_generator) >= self.label_dropout
        return ops.where(keep, labels, ops.full_like(labels, self.num_classes))

    def train_step(self, data):
        import tensorflow as tf  # train_step is backend-specific (GradientTape)

        x, labels = (data if isinstance(data, tuple) else (data, None))[:2]
        x = ops.cast(x, "float32")
        batch = ops.shape(x)[0]
        t = keras.random.uniform((batch, 1), seed=self.seed_generator)            # t ~ U(0, 1)
        eps = keras.random.normal(ops.shape(x), seed=self.seed_generator)         # eps ~ N(0, I)
        t_b = ops.reshape(t, (-1,) + (1,) * (len(x.shape) - 1))
        x_t = (1.0 - t_b) * eps + t_b * x                                          # the straight path
        if self.num_classes:
            labels = self._drop_labels(ops.reshape(ops.cast(labels, "int32"), (-1, 1)))  # some become "null"
        with tf.GradientTape() as tape:
            v = self.network(self._inputs(x_t, t, labels), training=True)
            err = ops.reshape(v - (x - eps), (batch, -1))                         # v_theta - (x - eps)
            loss = ops.mean(ops.sum(ops.square(err), axis=1))
        grads = tape.gradient(loss, self.network.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.network.trainable_weights, strict=True))
        self.update_ema()
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def _make_ema(self):
        """The moving-average copy of ``self.network`` (subclasses call it once the network exists)."""
        self.ema_network = keras.models.clone_model(self.network)
        self.ema_network.set_weights(self.network.get_weights())
        self.ema_network.trainable = False

    def update_ema(self):
        """``v_ema ← d·v_ema + (1-d)·v`` with the warm-up ``d = min(ema, (1+t)/(10+t))`` after ``t`` steps (§6)."""
        if self.ema > 0:
            update_moving_average(self.ema_network, self.network, self.ema, self.optimizer.iterations)

    @property
    def sampling_network(self):
        """The network sampling uses: the moving average when ``ema`` > 0 (chapter 07)."""
        return self.ema_network if self.ema > 0 else self.network

    @property
    def metrics(self):
        return [self.loss_tracker]

    def build(self, input_shape=None):
        """Every weight exists once ``__init__`` ends (the networks are functional): nothing to build."""
        self.built = True

    # -- sampling -------------------------------------------------------------------------------------
    def velocity(self, x_t, t: float, labels=None, guidance: float = 1.0, batch_size: int | None = None) -> np.ndarray:
        """``v(x_t, t)`` as NumPy; with labels and ``guidance != 1`` the classifier-free mix (:func:`process.guided`).

        ``batch_size`` defaults to 2,000 points of a latent space and ``INFERENCE_BATCH_SIZE`` images in pixel
        space: a pixel U-Net's activations for 2,000 images take about 200 MB each, which raised chapter 07's peak.
        """
        x_t = np.asarray(x_t, np.float32)
        if batch_size is None:
            batch_size = 2000 if x_t.ndim == 2 else INFERENCE_BATCH_SIZE
        n = len(x_t)
        t_col = np.full((n, 1), t, np.float32)
        if not self.num_classes:
            return self._predict(x_t, t_col, None, batch_size)
        if labels is None:  # unconditional samples from a conditional model: the null label
            labels, guidance = np.full(n, self.num_classes), 1.0
        labels = np.asarray(labels, np.int32).reshape(-1, 1)
        if guidance == 1.0:
            return self._predict(x_t, t_col, labels, batch_size)
        null = np.full_like(labels, self.num_classes)
        both = self._predict(np.concatenate([x_t, x_t]), np.concatenate([t_col, t_col]),
                             np.concatenate([labels, null]), batch_size)
        return process.guided(both[:n], both[n:], guidance)

    def _predict(self, x_t, t_col, labels, batch_size):
        out = []
        for start in range(0, len(x_t), batch_size):
            stop = start + batch_size
            args = self._inputs(x_t[start:stop], t_col[start:stop],
                                None if labels is None else labels[start:stop])
            out.append(ops.convert_to_numpy(self._forward(args)))
        return np.concatenate(out)

    def _forward(self, args):
        if not hasattr(self, "_compiled_forward"):
            import tensorflow as tf

            @tf.function(reduce_retracing=True)
            def forward(args):
                return self.sampling_network(args, training=False)

            self._compiled_forward = forward
        return self._compiled_forward(args)

    def sample_points(self, n: int, labels=None, steps: int = 20, guidance: float = 1.0, sampler: str = "euler",
                      seed: int = 0, trajectory: bool = False):
        """``n`` points in the flow's space from noise with ``steps`` steps of ``sampler`` (chapter 07 §3)."""
        if sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")
        rng = np.random.default_rng(seed)
        x0 = rng.standard_normal((n, *self.point_shape)).astype(np.float32)

        def velocity(x, t):
            return self.velocity(x, t, labels, guidance)

        if sampler == "euler":
            return process.euler(velocity, x0, steps, trajectory)
        if sampler == "heun":
            return process.heun(velocity, x0, steps, trajectory)
        grid, x, path = process.time_grid(steps), x0, [x0]
        for t0, t1 in zip(grid[:-1], grid[1:], strict=True):
            v = velocity(x, float(t0))
            if sampler == "ddim" or t1 == 1.0:  # the last step lands on the data: no fresh noise there
                x = process.ddim_step(x, v, float(t0), float(t1)).astype(np.float32)
            else:
                fresh = rng.standard_normal(x.shape).astype(np.float32)
                x = process.ancestral_step(x, v, float(t0), float(t1), fresh).astype(np.float32)
            path.append(x)
        return (x, np.stack(path)) if trajectory else x

    def sample(self, n: int, labels=None, steps: int = 20, guidance: float = 1.0, sampler: str = "euler",
               seed: int = 0) -> np.ndarray:
        """``n`` images (n, 28, 28, 1) in [0, 1] (chapter 07 §3-§6)."""
        return self.from_space(self.sample_points(n, labels, steps, guidance, sampler, seed))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "label_dropout": self.label_dropout,
                "ema": self.ema, "seed": self.seed}


@keras.saving.register_keras_serializable(package="course")
class PixelFlow(FlowMatcher):
    """Flow matching on pixels in [-1, 1] with :func:`~.networks.build_tiny_unet` (chapter 07 §2-§5)."""

    def __init__(self, width: int = 32, num_classes: int | None = None, label_dropout: float = 0.1,
                 ema: float = 0.999, seed: int = 0, **kwargs):
        super().__init__(num_classes, label_dropout, ema, seed, **kwargs)
        self.width = int(width)
        self.network = build_tiny_unet(self.width, self.num_classes)
        self._make_ema()
        self.build()

    @property
    def point_shape(self) -> tuple:
        return (28, 28, 1)

    def to_space(self, x):
        x = np.asarray(x)
        x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
        return (x.reshape(len(x), 28, 28, 1) * 2.0 - 1.0).astype(np.float32)

    def from_space(self, points):
        return np.clip((np.asarray(points, np.float32) + 1.0) / 2.0, 0.0, 1.0)

    def get_config(self):
        return {**super().get_config(), "width": self.width}


@keras.saving.register_keras_serializable(package="course")
class LatentFlow(FlowMatcher):
    """Flow matching on the standardised codes of its own convolutional autoencoder (chapter 07 §6)."""

    def __init__(self, latent_dim: int = 32, ae_width: int = 32, width: int = 256, blocks: int = 4,
                 num_classes: int | None = None, label_dropout: float = 0.1, ema: float = 0.999, seed: int = 0,
                 **kwargs):
        super().__init__(num_classes, label_dropout, ema, seed, **kwargs)
        self.latent_dim, self.ae_width = int(latent_dim), int(ae_width)
        self.width, self.blocks = int(width), int(blocks)
        self.autoencoder = Autoencoder(latent_dim=self.latent_dim, arch="conv", width=self.ae_width, seed=seed)
        self.autoencoder.trainable = False  # trained in its own stage first (training.fit_latent_flow), then fixed
        self.network = build_latent_mlp(self.latent_dim, self.width, self.blocks, self.num_classes)
        self._make_ema()
        # The codes' per-dimension mean and spread, so the flow starts from noise of the right scale.
        self.code_mean = self.add_weight(shape=(self.latent_dim,), initializer="zeros", trainable=False,
                                         name="code_mean")
        self.code_std = self.add_weight(shape=(self.latent_dim,), initializer="ones", trainable=False,
                                        name="code_std")
        self.build()

    @property
    def point_shape(self) -> tuple:
        return (self.latent_dim,)

    def fit_code_statistics(self, x) -> np.ndarray:
        """Store the codes' mean and standard deviation; return the standardised codes of ``x`` (§6)."""
        z = self.autoencoder.codes(_as_float(x))
        mean, std = z.mean(axis=0), z.std(axis=0) + 1e-6
        self.code_mean.assign(mean.astype(np.float32))
        self.code_std.assign(std.astype(np.float32))
        return ((z - mean) / std).astype(np.float32)

    def to_space(self, x):
        z = self.autoencoder.codes(_as_float(x))
        return ((z - ops.convert_to_numpy(self.code_mean)) / ops.convert_to_numpy(self.code_std)).astype(np.float32)

    def from_space(self, points):
        z = np.asarray(points, np.float32) * ops.convert_to_numpy(self.code_std) + ops.convert_to_numpy(self.code_mean)
        return np.concatenate([ops.convert_to_numpy(self.autoencoder.decode(z[i:i + 1000]))
                               for i in range(0, len(z), 1000)])

    def reconstruct(self, x) -> np.ndarray:
        """Images through the autoencoder alone: the floor under the flow's quality (§6)."""
        return self.autoencoder.reconstruct(_as_float(x))

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim, "ae_width": self.ae_width,
                "width": self.width, "blocks": self.blocks}


def _as_float(x) -> np.ndarray:
    x = np.asarray(x)
    x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
    return x.reshape(len(x), 28, 28, 1)
