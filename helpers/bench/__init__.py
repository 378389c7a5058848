"""Benchmark: every generative model trained for the same wall-clock budget, then measured.

``python -m helpers bench --seconds 300`` (``make bench``) trains each model of
the registry (:mod:`helpers.models.registry`) *fresh*, in full mode, for ``seconds`` of
wall-clock time on this machine, draws ``n`` samples and scores them with the
course's evaluation toolkit (:func:`helpers.metrics.evaluate_samples`). The
course models and the re-implemented tutorial models
(:mod:`helpers.models.reference`) run under the same budget, so the table
reads as *quality at equal CPU time*.

What is recorded per model:

* training: wall-clock seconds, epochs completed, training images per second
  (real images consumed by the optimiser per second, including the first
  step's graph tracing, i.e. what a learner waits for);
* samples: Fréchet distance in the evaluator's feature space with the
  real-vs-real baseline at the same sample size beside it, precision, recall,
  memorisation ratio and near-copy rate; for conditional models TSTR accuracy
  (beside the same CNN trained on as many real images) and label fidelity;
* model-specific numbers where the model's recipe offers them
  (``Recipe.extra_metrics``): test negative ELBO and importance-weighted NLL
  (VAEs, on dynamically binarised MNIST), test reconstruction MSE against PCA
  with as many components (autoencoder), code purity (InfoGAN);
* each issue-8 target, pass or miss, with the measured value;
* what the row was measured with (settings, data, the model's store key), for ``--resume``.

A model missing from the registry is skipped with a note; a model that
crashes is recorded with its error and the run goes on. ``--out`` (default
``benchmarks/``) is checked for writing before any training. After each
model the rows so far go to ``partial.json``, so a killed run keeps them and
``bench --resume`` measures only what is left; at the end the results go to
``results-<UTC timestamp>.json``, ``latest.json`` and ``RESULTS.md`` (the
table, with the machine described) with the samples figure.

Modules: :mod:`.targets` (the goals), :mod:`.run` (measuring),
:mod:`.resume` (which earlier rows still hold), :mod:`.report` (the table,
figure and README block), :mod:`.files` (atomic files, the ``--out`` check).
"""

from .files import prepare_out_dir
from .report import (
    README_END,
    README_START,
    markdown_table,
    readme_block,
    readme_markers,
    render,
    samples_figure,
    update_readme,
    write_outputs,
    write_partial,
)
from .run import (
    COURSE_MODELS,
    DEFAULT_MODELS,
    DEFAULT_N,
    DEFAULT_SECONDS,
    METRIC_KEYS,
    REFERENCE_MODELS,
    SCHEMA,
    bench_model,
    default_evaluate,
    describe_machine,
    model_specific,
    run_bench,
    training_stats,
)
from .targets import COMPARED_WITH, TARGET_SETTINGS, TARGETS, Target, check_targets, comparable, targets_for

