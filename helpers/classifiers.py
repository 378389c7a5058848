"""Small, fast MNIST classifiers used across the course.

``small_cnn`` is the workhorse: chapter 02 trains it with and without
augmentation, and the evaluation toolkit uses it (with a fixed recipe) for
train-on-synthetic-test-on-real. It is sized for a 2-core CPU: about 99% test
accuracy on MNIST after 2-3 epochs.
"""

from __future__ import annotations


def small_cnn(num_classes: int = 10, width: int = 32, dropout: float = 0.25, augmentation=None,
              name: str = "small_cnn", seed: int | None = None):
    """Conv(32)-Conv(32)-pool-Conv(64)-pool-Dense(128)-softmax, inputs (28, 28, 1) in [0, 1].

    ``augmentation`` (a Keras layer or list of layers) is applied inside the
    model, so it is active only during ``fit`` and not at inference.
    ``seed`` seeds every initialiser and dropout layer explicitly, so the
    same seed builds the same network without touching global random state
    (the TSTR classifier needs that); ``None`` keeps Keras's defaults, which
    draw from the global seeds that ``helpers.runtime.setup`` sets.
    Chapters 01 §5 and 02 §3-§4; chapter 06 §6 through :func:`helpers.metrics.train_fixed_cnn`.
    """
    import keras
    import numpy as np
    from keras import layers

    # one distinct seed per random layer: a seeded Keras initialiser repeats its values on every call
    seeds = None if seed is None else iter(np.random.default_rng(seed).integers(0, 2**31 - 1, 7).tolist())

    def kernel():
        return "glorot_uniform" if seeds is None else keras.initializers.GlorotUniform(seed=next(seeds))

    def drop():
        return layers.Dropout(dropout, seed=None if seeds is None else next(seeds))

    inputs = keras.Input((28, 28, 1))
    x = inputs
    if augmentation is not None:
        for layer in augmentation if isinstance(augmentation, (list, tuple)) else [augmentation]:
            x = layer(x)
    x = layers.Conv2D(width, 3, padding="same", activation="relu", kernel_initializer=kernel())(x)
    x = layers.Conv2D(width, 3, padding="same", activation="relu", kernel_initializer=kernel())(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(2 * width, 3, padding="same", activation="relu", kernel_initializer=kernel())(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = drop()(x)
    x = layers.Dense(128, activation="relu", name="features", kernel_initializer=kernel())(x)
    x = drop()(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="probs", kernel_initializer=kernel())(x)
    return keras.Model(inputs, outputs, name=name)


def compile_classifier(model, learning_rate: float = 1e-3, soft_labels: bool = False):
    """Adam + sparse categorical cross-entropy + accuracy: the course's default recipe.

    ``soft_labels=True`` takes one-hot or mixed label vectors instead of class numbers (categorical
    cross-entropy), for mixup. Chapters 01 §5 and 02 §3-§4.
    """
    import keras

    loss = "categorical_crossentropy" if soft_labels else "sparse_categorical_crossentropy"
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss, metrics=["accuracy"])
    return model
