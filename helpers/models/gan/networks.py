"""The generator and discriminator networks of chapter 05's GANs (§4), sized for a 2-core CPU.

4×4 stride-2 (transposed) convolutions, a few hundred thousand weights. The
conditional discriminator is a *projection* discriminator (Miyato & Koyama,
2018) with an auxiliary classifier head (AC-GAN, Odena et al., 2017).
"""

from __future__ import annotations

import keras
from keras import layers, ops


def build_generator(latent_dim: int = 64, width: int = 64, num_classes: int | None = None,
                    batch_norm: bool = True, name: str = "generator") -> keras.Model:
    """z (and label) -> Dense 7×7×2w -> ConvT w (14×14) -> ConvT 1 (28×28), tanh (chapter 05 §4).

    With ``num_classes`` the label arrives one-hot (or as a mixture of classes,
    for class interpolation), is embedded by a bias-free dense layer and
    concatenated to the noise. Batch normalisation after each hidden layer
    keeps the activations well scaled (the DCGAN recipe); ``batch_norm=False`` drops it.
    """
    def norm(t):
        return layers.BatchNormalization()(t) if batch_norm else t

    z = keras.Input((latent_dim,), name="z")
    inputs, h = [z], z
    if num_classes:
        y = keras.Input((num_classes,), name="label_onehot")
        inputs.append(y)
        h = layers.Concatenate()([z, layers.Dense(16, use_bias=False, name="label_embedding")(y)])
    h = layers.ReLU()(norm(layers.Dense(7 * 7 * 2 * width, use_bias=not batch_norm)(h)))
    h = layers.Reshape((7, 7, 2 * width))(h)
    h = layers.ReLU()(norm(layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=not batch_norm)(h)))
    x = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh", name="image")(h)
    return keras.Model(inputs if num_classes else z, x, name=name)


@keras.saving.register_keras_serializable(package="course")
class MinibatchStdDev(layers.Layer):
    """Append one channel holding the batch's average feature standard deviation (Karras et al., 2018).

    A generator that collapses onto a few digits makes batches whose features
    barely vary; this channel lets D see that, from the batch, and punish it
    (chapter 05 §5). D sees real and fake batches separately, so the statistic
    is a real batch's or a fake batch's, never a mixture.
    """

    def call(self, h):
        spread = ops.mean(ops.sqrt(ops.var(h, axis=0) + 1e-8))  # one number for the batch
        return ops.concatenate([h, ops.ones_like(h[..., :1]) * spread], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)


def build_discriminator(width: int = 64, num_classes: int | None = None, dropout: float = 0.0,
                        spectral_norm: bool = False, code_head: int | None = None, minibatch_std: bool = False,
                        name: str = "discriminator") -> keras.Model:
    """x (and label) -> Conv w (14×14) -> Conv 2w (7×7) -> flattened features h -> logit (chapter 05 §4).

    Unconditional: ``logit = dense(h)``. ``num_classes`` (conditional GAN): a
    projection discriminator ``logit = dense(h) + ⟨embed(y), h⟩`` and a second
    output, class logits ``classify(h)``. ``code_head=k`` (InfoGAN): a second
    output of ``k`` logits that guess which code a fake was drawn from.
    No batch normalisation: D sees real and fake batches separately, and batch
    statistics would let it tell them apart by the batch rather than the image.
    ``spectral_norm=True`` divides each kernel by its largest singular value,
    which bounds how sharply D reacts to its input (a smoother teacher for G).
    ``minibatch_std=True`` adds a :class:`MinibatchStdDev` channel at 7×7.
    """
    def conv(filters):
        layer = layers.Conv2D(filters, 4, strides=2, padding="same")
        return layers.SpectralNormalization(layer) if spectral_norm else layer

    x = keras.Input((28, 28, 1), name="image")
    h = layers.LeakyReLU(0.2)(conv(width)(x))
    h = layers.LeakyReLU(0.2)(conv(2 * width)(h))
    if minibatch_std:
        h = MinibatchStdDev(name="minibatch_std")(h)
    h = layers.Flatten(name="features")(h)
    if dropout:
        h = layers.Dropout(dropout)(h)
    logit = layers.Dense(1, name="logit")(h)
    if code_head:
        return keras.Model(x, [logit, layers.Dense(code_head, name="code_logits")(h)], name=name)
    if not num_classes:
        return keras.Model(x, logit, name=name)
    y = keras.Input((), dtype="int32", name="label")
    projection = layers.Dot(axes=-1)([layers.Embedding(num_classes, h.shape[-1], name="projection")(y), h])
    class_logits = layers.Dense(num_classes, name="class_logits")(h)
    return keras.Model([x, y], [layers.Add(name="cond_logit")([logit, projection]), class_logits], name=name)


def with_one_hot(z, labels, depth: int):
    """G's inputs ``[z, one_hot(labels)]``; labels are indices (N,) or rows of class weights (N, depth).

    The conditional GAN's and InfoGAN's generator inputs (chapter 05 §6-§7).
    """
    z = ops.convert_to_tensor(z, "float32")
    if len(labels.shape) == 1:
        return [z, ops.one_hot(ops.cast(labels, "int32"), depth)]
    return [z, ops.cast(labels, "float32")]
