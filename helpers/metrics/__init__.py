"""Measuring synthetic images: quality, diversity, realism, usefulness and privacy.

Every metric takes images as uint8 ``(N, 28, 28)`` (or ``(N, 28, 28, 1)``), or
floats in ``[0, 1]`` or ``[-1, 1]``; :func:`as_images` normalises them and
rejects anything else with a message that says what was expected.

Distances between *sets* of images are computed in the feature space of the
**course evaluator**, a small CNN trained on the real dataset (weights shipped
in ``helpers/weights/``, rebuilt by ``tools/train_evaluator.py``). Inception
features, used by FID on photos, were learned on ImageNet photos, not on 28x28
digits; a classifier trained on MNIST knows the domain (chapter 06 §2).

========================  ==================================================  ===============
function                  what it measures                                    perfect value
========================  ==================================================  ===============
``frechet_distance``      realism: Gaussian fit of features, samples vs real  real-vs-real baseline
``precision_recall``      quality (precision) and diversity (recall), k-NN    1.0 / 1.0
``density_coverage``      the same, robust to outliers (computed with it)      about 1 / 1.0
``classifier_score``      confident *and* varied classes (Inception Score)    10 (num classes)
``label_fidelity``        conditional models: evaluator agrees with label     real test accuracy
``tstr``                  usefulness: train on synthetic, test on real        same CNN on real data
``memorisation``          privacy: nearest-training-image distance ratio      about 1 (0 = copies)
========================  ==================================================  ===============

:func:`evaluate_samples` runs them all and returns one dict (used by
``python -m helpers evaluate`` and chapter 06); :func:`format_results` prints it
as a table.

The modules, from inputs to report (each imports only those above it):

* :mod:`.features`: input normalisation (``as_images``, ``as_labels``, ``MetricsError``),
  the shipped evaluator and the real data.
* :mod:`.geometry`: the one implementation of chunked distances, nearest neighbours,
  k-NN balls and PCA (``helpers.data_quality`` and ``helpers.models.autoencoder`` use it too).
* :mod:`.frechet`: feature statistics and the Fréchet distance.
* :mod:`.fidelity`: precision/recall, density/coverage, classifier score, label fidelity.
* :mod:`.usefulness`: TSTR and its fixed, explicitly seeded CNN.
* :mod:`.privacy`: memorisation (nearest training images).
* :mod:`.report`: real-data baselines, ``evaluate_samples`` and the result tables.
* :mod:`.explorer`: the chapter 06 widget (imported on demand).

Randomness is explicit: functions that draw random numbers take a ``seed`` and
never seed or switch global state (Python, NumPy, Keras, TensorFlow).
Caches live in memory for the process: the evaluator and real data
(:mod:`.features`) and real-data scores (:mod:`.report`); :func:`clear_caches`
empties them all.
"""

from .features import (
                       DATASETS,
                       EVALUATOR_WIDTH,
                       WEIGHTS_DIR,
                       Evaluator,
                       MetricsError,
                       as_features,
                       as_images,
                       as_labels,
                       build_evaluator,
                       canonical_dataset,
                       classifier_accuracy,
                       classifier_probs,
                       evaluator,
                       evaluator_paths,
                       real_data,
)
from .fidelity import DC_K, classifier_score, density_coverage, label_fidelity, precision_recall
from .frechet import feature_stats, frechet_distance, frechet_from_stats
from .geometry import kth_nn_radii, nearest_neighbours, pairwise_distances
from .privacy import memorisation
from .report import (
                       ALL_METRICS,
                       clear_caches,
                       compare,
                       evaluate_samples,
                       format_results,
                       real_baseline,
                       summary,
)
from .usefulness import (
                       TSTR_BATCH_SIZE,
                       TSTR_EPOCHS,
                       TSTR_LEARNING_RATE,
                       TSTR_SEED,
                       test_accuracy,
                       train_fixed_cnn,
                       tstr,
)

