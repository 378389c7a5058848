"""Train the course evaluators and publish their real-data baselines.

    python tools/train_evaluator.py                       # both datasets
    python tools/train_evaluator.py --dataset mnist
    python tools/train_evaluator.py --stats-only          # recompute the JSON from shipped weights

For each dataset it trains ``helpers.metrics.build_evaluator`` (``small_cnn``,
width 32) on the 60k training images with a fixed seed and recipe, checks the
test accuracy, and writes ``helpers/weights/evaluator-<dataset>.weights.h5``
plus ``evaluator-<dataset>.json`` holding the accuracy and the baselines every
score is published next to: the real-vs-real Fréchet distance (10k random
training images vs the 10k test images), precision/recall and classifier score
of real data. Same seed on the same CPU gives the same weights.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import helpers  # noqa: E402,F401  (first: it quiets TensorFlow's C++ start-up log)

RECIPE = {  # dataset -> training recipe (fixed, so the weights are reproducible)
    "mnist": {"epochs": 6, "batch_size": 128, "learning_rate": 2e-3, "min_accuracy": 0.990},
    "fashion_mnist": {"epochs": 3, "batch_size": 128, "learning_rate": 2e-3, "min_accuracy": 0.89},
}
SEED = 1234


def train(dataset: str) -> dict:
    import keras
    import numpy as np

    from helpers.classifiers import compile_classifier
    from helpers.datasets import load, to_float
    from helpers.metrics import build_evaluator, evaluator_paths
    from helpers.runtime import set_seed

    recipe = RECIPE[dataset]
    set_seed(SEED)
    (x_train, y_train), (x_test, y_test) = load(dataset)
    x_train, x_test = to_float(x_train), to_float(x_test)
    model = build_evaluator(dataset)
    steps = recipe["epochs"] * int(np.ceil(len(x_train) / recipe["batch_size"]))
    schedule = keras.optimizers.schedules.CosineDecay(recipe["learning_rate"], decay_steps=steps)
    compile_classifier(model, learning_rate=schedule)
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=recipe["epochs"], batch_size=recipe["batch_size"],
              shuffle=True, verbose=2)
    seconds = time.perf_counter() - start
    accuracy = float(model.evaluate(x_test, y_test, batch_size=1000, verbose=0)[1])
    print(f"{dataset}: test accuracy {accuracy:.4f} after {seconds:.0f} s")
    if accuracy < recipe["min_accuracy"]:
        raise SystemExit(f"{dataset}: accuracy {accuracy:.4f} below the required {recipe['min_accuracy']}")
    weights, info_path = evaluator_paths(dataset)
    weights.parent.mkdir(parents=True, exist_ok=True)
    tmp = weights.with_name(weights.name.replace(".weights.h5", ".part.weights.h5"))
    clean = build_evaluator(dataset)  # an uncompiled copy: saves the layers without Adam's state (3x smaller)
    clean.set_weights(model.get_weights())
    clean.save_weights(tmp)
    tmp.replace(weights)
    info = {"dataset": dataset, "test_accuracy": round(accuracy, 4), "train_seconds": round(seconds, 1),
            "seed": SEED, **{k: v for k, v in recipe.items() if k != "min_accuracy"}}
    info_path.write_text(json.dumps(info, indent=2) + "\n")
    return info


def stats(dataset: str) -> dict:
    """Add the real-data baselines (computed with helpers.metrics itself) to the JSON."""
    import numpy as np

    from helpers import metrics

    metrics.evaluator.cache_clear()
    ev = metrics.evaluator(dataset)
    (_, _), (x_test, y_test) = metrics.real_data(dataset)
    info = dict(ev.info)
    info["test_accuracy"] = round(float(np.mean(ev.predict(x_test) == y_test)), 4)
    start = time.perf_counter()
    base = metrics.real_baseline(dataset, n=10000, seed=0)
    info.update({
        "frechet_real_vs_real_10k": round(base["frechet_distance"], 4),
        "precision_real_10k": round(base["precision"], 4),
        "recall_real_10k": round(base["recall"], 4),
        "classifier_score_real_10k": round(base["classifier_score"], 4),
        "baseline_note": "10,000 random training images (seed 0) vs the 10,000 test images",
    })
    print(f"{dataset}: baselines {json.dumps(base)} ({time.perf_counter() - start:.0f} s)")
    path = metrics.evaluator_paths(dataset)[1]
    path.write_text(json.dumps(info, indent=2) + "\n")
    return info


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(RECIPE), action="append",
                        help="dataset(s) to train (default: both)")
    parser.add_argument("--stats-only", action="store_true", help="keep the weights, recompute the JSON")
    args = parser.parse_args()
    for name in args.dataset or sorted(RECIPE, reverse=True):
        if not args.stats_only:
            train(name)
        print(json.dumps(stats(name), indent=2))
