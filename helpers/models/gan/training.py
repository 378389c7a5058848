"""Training chapter 05's GANs: fixed-noise sample grids and :func:`train_gan`, plus the registry's recipes."""

from __future__ import annotations

import keras
import numpy as np

from ... import training
from .cgan import ConditionalGAN
from .data import from_gan_range, make_gan_dataset
from .dcgan import DCGAN
from .infogan import InfoGAN
from .selfcond import NUM_CLUSTERS, SelfConditionedGAN
from .wgan import WGANGP

#: Defaults chosen for quality per CPU-minute on 2 cores (chapter 05 §4).
DEFAULTS = dict(latent_dim=64, width=32, batch_size=128, learning_rate=5e-4, ema=0.995)
FULL_EPOCHS = 10


class SampleGrid(keras.callbacks.Callback):
    """Record samples from one fixed noise batch during training, for grids and animations (chapter 05 §4).

    ``frames`` is a list of uint8 arrays (n, 28, 28), ``steps`` the number of
    batches seen at each frame. A frame is taken at the start, at the end of
    every epoch and, with ``every`` set, every ``every`` batches. Conditional
    GANs draw classes 0..9 in turn, InfoGANs one code per column.
    """

    def __init__(self, n: int = 40, seed: int = 1234, every: int | None = None, use_ema: bool = True,
                 on_record=None):
        super().__init__()
        self.n, self.seed, self.every, self.use_ema = n, seed, every, use_ema
        self.on_record = on_record  # called as on_record(frame, step) after each frame (live displays)
        self.frames, self.steps = [], []
        self._step = 0

    def settings(self) -> dict:
        return {"n": self.n, "seed": self.seed, "every": self.every, "use_ema": self.use_ema}

    def _labels(self):
        count = getattr(self.model, "num_classes", None) or getattr(self.model, "num_codes", None)
        return None if count is None else np.arange(self.n) % count

    def record(self):
        x = self.model.generate(self.n, seed=self.seed, labels=self._labels(), use_ema=self.use_ema)
        self.frames.append(from_gan_range(x))
        self.steps.append(self._step)
        if self.on_record is not None:
            self.on_record(self.frames[-1], self._step)

    def on_train_begin(self, logs=None):
        if not self.frames:
            self.record()

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        if self.every and self._step % self.every == 0:
            self.record()

    def on_epoch_end(self, epoch, logs=None):
        if not self.steps or self.steps[-1] != self._step:
            self.record()

    def on_train_end(self, logs=None):
        self.on_epoch_end(None)

    def restore(self, extras: dict, index: int):
        """Take the frames of a stored run (a model loaded from the store shows how it was trained)."""
        if not self.frames and f"grid{index}_frames" in extras:
            self.frames = list(extras[f"grid{index}_frames"])
            self.steps = [int(s) for s in extras[f"grid{index}_steps"]]


def build_gan(kind: str = "dcgan", seed: int = 0, learning_rate: float = DEFAULTS["learning_rate"],
              d_learning_rate: float | None = None, loss: str | None = None, label_smoothing: float = 0.0,
              run_eagerly: bool = False, **model_kwargs):
    """A compiled ``"dcgan"``, ``"cgan"``, ``"infogan"``, ``"scgan"`` or ``"wgan_gp"`` with the course defaults (chapter 05)."""
    classes = {"dcgan": DCGAN, "cgan": ConditionalGAN, "infogan": InfoGAN, "scgan": SelfConditionedGAN,
               "wgan_gp": WGANGP}
    if kind not in classes:
        raise ValueError(f"kind must be one of {sorted(classes)}, not {kind!r}")
    kwargs = {k: DEFAULTS[k] for k in ("latent_dim", "width", "ema")}
    model = classes[kind](seed=seed, **{**kwargs, **model_kwargs})
    model.compile(model.adam(d_learning_rate or learning_rate), model.adam(learning_rate),
                  loss=loss, label_smoothing=label_smoothing, run_eagerly=run_eagerly)
    return model


def fit_gan(model, x_train, y_train=None, epochs: int | None = None, seconds: float | None = None,
            steps: int | None = None, seed: int = 0, batch_size: int = DEFAULTS["batch_size"], callbacks=(),
            progress: str | None = None, backup_dir=None, verbose=0) -> training.TrainResult:
    """Fit a compiled GAN on uint8 images; the frames of every :class:`SampleGrid` go into ``extras``.

    Called by :func:`train_gan` (chapter 05) and the registry's GANs (chapter 06).
    """
    if isinstance(model, SelfConditionedGAN):
        labels = model.cluster(x_train, seed)  # its "labels" are its own k-means clusters of the images
    else:
        labels = y_train if model.conditional else None
    data = make_gan_dataset(x_train, labels, batch_size=batch_size, seed=seed)
    if steps is not None:
        data = data.repeat()
    elif epochs is None and seconds is None:
        epochs = FULL_EPOCHS
    grids = [c for c in callbacks if isinstance(c, SampleGrid)]
    result = training.fit(model, data, name=type(model).__name__, epochs=epochs, seconds=seconds, steps=steps,
                          batch_size=batch_size, shuffle=False, callbacks=callbacks, progress=progress,
                          grid=grids[0] if grids else None, backup_dir=backup_dir, verbose=verbose,
                          hint="lower learning_rate (or d_learning_rate) and train again")
    for i, grid in enumerate(grids):
        result.extras[f"grid{i}_frames"] = np.stack(grid.frames)
        result.extras[f"grid{i}_steps"] = np.asarray(grid.steps)
    return result


def train_gan(x_train, y_train=None, conditional: bool = False, info_codes: int = 0, epochs: int | None = None,
              seconds: float | None = None, steps: int | None = None, seed: int = 0,
              batch_size: int = DEFAULTS["batch_size"], learning_rate: float = DEFAULTS["learning_rate"],
              d_learning_rate: float | None = None, loss: str | None = None, label_smoothing: float = 0.0,
              callbacks=(), verbose: int = 0, run_eagerly: bool = False, store: str | None = None,
              retrain: bool | None = None, progress: bool = False, kind: str | None = None,
              **model_kwargs) -> training.TrainResult:
    """Build, compile and fit a GAN on uint8 images; returns a :class:`~helpers.training.TrainResult` (chapter 05).

    A DCGAN, or with ``conditional=True`` a :class:`ConditionalGAN` (needs
    ``y_train``), or with ``info_codes=k`` an :class:`InfoGAN` with ``k`` codes, or
    with ``kind="wgan_gp"`` a :class:`~helpers.models.gan.wgan.WGANGP`, or with
    ``kind="scgan"`` a :class:`~helpers.models.gan.selfcond.SelfConditionedGAN`.
    ``seconds`` caps wall-clock training, ``steps`` trains exactly that many
    batches (comparisons that must not depend on how busy the machine is),
    else ``epochs`` (default :data:`FULL_EPOCHS`). ``result.batch_history``
    holds every batch's ``d_loss``, ``g_loss``, ``d_real``, ``d_fake`` (and
    the class or code losses). ``store="name"`` keeps the model in the model
    store, keyed by every setting, the data and the seed; a stored model brings
    back the frames of the :class:`SampleGrid` callbacks that recorded its
    training. ``progress=True`` shows a live line and the newest samples.
    """
    from ... import store as model_store

    kind = kind or ("infogan" if info_codes else ("cgan" if conditional else "dcgan"))
    if info_codes:
        model_kwargs["num_codes"] = info_codes
    grids = [c for c in callbacks if isinstance(c, SampleGrid)]

    def build():
        return build_gan(kind, seed=seed, learning_rate=learning_rate, d_learning_rate=d_learning_rate, loss=loss,
                         label_smoothing=label_smoothing, run_eagerly=run_eagerly, **model_kwargs)

    def fit(model, backup_dir=None):
        return fit_gan(model, x_train, y_train, epochs=epochs, seconds=seconds, steps=steps, seed=seed,
                       batch_size=batch_size, callbacks=callbacks, backup_dir=backup_dir, verbose=verbose,
                       progress=(store or type(model).__name__) if progress else None)

    settings = {"data": model_store.fingerprint(x_train, y_train if conditional else None), "epochs": epochs,
                "seconds": seconds, "steps": steps, "batch_size": batch_size,
                "grids": [g.settings() for g in grids]}
    result = model_store.train_or_load(store, build, fit, settings, seed=seed, retrain=retrain)
    for i, grid in enumerate(grids):
        grid.restore(result.extras, i)
    return result


# ------------------------------------------------------------------ registry recipes
RECIPE_SETTINGS = {"dcgan": {}, "cgan": {}, "infogan": {"num_codes": 10, "info_weight": 0.2}, "wgan_gp": {},
                   "scgan": {"num_clusters": NUM_CLUSTERS}}


def build_recipe_model(kind: str, seed: int = 0):
    """The registry's ``dcgan``, ``cgan``, ``infogan``, ``scgan`` or ``wgan_gp`` (chapters 05 and 06): course defaults."""
    return build_gan(kind, seed=seed, **RECIPE_SETTINGS[kind])


#: Without a budget WGAN-GP trains this many epochs: an image costs it about four times what it costs the DCGAN (five
#: critic steps, each with a second-order gradient; 431 against 1,762 images/s in chapter 05, full mode, 2 cores), so
#: 2 epochs take about 80 % of the DCGAN's :data:`FULL_EPOCHS` of compute.
WGAN_FULL_EPOCHS = 2


def fit_recipe_model(model, x_train, y_train=None, seconds=None, seed=0, backup_dir=None):
    """Train the registry's ``dcgan``, ``cgan``, ``infogan`` or ``wgan_gp`` for ``seconds`` (chapter 06)."""
    epochs = WGAN_FULL_EPOCHS if seconds is None and isinstance(model, WGANGP) else None
    return fit_gan(model, x_train, y_train, epochs=epochs, seconds=seconds, seed=seed, backup_dir=backup_dir,
                   progress=type(model).__name__)


def generate_recipe_samples(model, n, seed=0, labels=None):
    """``n`` uint8 samples; the conditional GAN draws ``labels`` (default 0..9 in turn) and returns them.

    The registry's ``dcgan``, ``cgan`` and ``infogan`` (chapter 06).
    """
    if not model.conditional:
        return from_gan_range(model.generate(n, seed=seed)), None
    labels = np.arange(n) % model.num_classes if labels is None else labels
    labels = np.asarray(labels, dtype="int32")
    return from_gan_range(model.generate(len(labels), seed=seed, labels=labels)), labels
