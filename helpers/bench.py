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
* model-specific numbers where the model offers them: test negative ELBO and
  importance-weighted NLL (VAEs, on dynamically binarised MNIST), test
  reconstruction MSE against PCA with as many components (autoencoder);
* each issue-8 target, pass or miss, with the measured value.

A model missing from the registry is skipped with a note; a model that
crashes is recorded with its error and the run goes on. Results go to
``benchmarks/results-<UTC timestamp>.json``, ``benchmarks/latest.json`` and
``benchmarks/RESULTS.md`` (the table, with the machine described).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .runtime import PROJECT_ROOT

COURSE_MODELS = ("ae", "vae", "cvae", "dcgan", "infogan", "cgan")
REFERENCE_MODELS = ("ref_tfdocs_dcgan", "ref_kerasio_cgan")
DEFAULT_MODELS = COURSE_MODELS + REFERENCE_MODELS
DEFAULT_SECONDS = 300.0
DEFAULT_N = 10_000
#: The settings the issue-8 targets are defined for; other runs are labelled "indicative".
TARGET_SETTINGS = {"seconds": 300.0, "n": 10_000, "mode": "full"}
SCHEMA = 1


# --------------------------------------------------------------------------- targets
@dataclass(frozen=True)
class Target:
    """One measurable goal: ``metric op threshold`` (op is ``"<="`` or ``">="``)."""

    metric: str
    op: str
    threshold: float
    label: str

    def check(self, value) -> bool | None:
        """True (pass), False (miss) or None (the metric was not measured)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        return bool(value <= self.threshold) if self.op == "<=" else bool(value >= self.threshold)


#: Issue 8's targets (full mode, 300 s on a 2-core CPU, 10,000 samples).
#: "No sign of memorisation": samples are not closer to their nearest training
#: image than held-out real images are (ratio ≥ 0.9), and near copies are not
#: more frequent than twice the 1 % expected by chance.
TARGETS = {
    "cgan": (
        Target("fd_ratio", "<=", 5.0, "FD ≤ 5× real"),
        Target("tstr_acc", ">=", 0.95, "TSTR ≥ 95%"),
        Target("label_fidelity", ">=", 0.97, "label fidelity ≥ 97%"),
        Target("memorisation_ratio", ">=", 0.9, "memorisation ratio ≥ 0.9"),
        Target("copy_rate", "<=", 0.02, "near copies ≤ 2%"),
    ),
    "dcgan": (
        Target("fd_ratio", "<=", 8.0, "FD ≤ 8× real"),
        Target("recall", ">=", 0.5, "recall ≥ 0.5"),
    ),
    "cvae": (
        Target("tstr_acc", ">=", 0.93, "TSTR ≥ 93%"),
        Target("label_fidelity", ">=", 0.95, "label fidelity ≥ 95%"),
    ),
    "vae": (
        Target("test_neg_elbo", "<=", 100.0, "test −ELBO ≤ 100 nats"),
    ),
    # Not an issue-8 target: chapter 03's (issue 5) "conv AE beats PCA by ≥ 3× in MSE at latent 32".
    "ae": (
        Target("pca_over_ae", ">=", 3.0, "MSE ≥ 3× lower than PCA"),
    ),
}
#: Reference models are held to the targets of the course model they compete with, and
#: InfoGAN (an unconditional model, like the DCGAN: no labels) to the DCGAN's.
COMPARED_WITH = {"ref_tfdocs_dcgan": "dcgan", "ref_kerasio_cgan": "cgan", "infogan": "dcgan"}


def targets_for(model: str) -> tuple[Target, ...]:
    return TARGETS.get(COMPARED_WITH.get(model, model), ())


def check_targets(model: str, values: dict) -> list[dict]:
    """Each target of ``model`` with its measured value and ``passed`` (True/False/None)."""
    out = []
    for target in targets_for(model):
        value = values.get(target.metric)
        out.append({**asdict(target), "value": value, "passed": target.check(value)})
    return out


# --------------------------------------------------------------------------- machine
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 ** 2, 1)
    except (OSError, ValueError):
        pass
    return None


def _git(*args) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def describe_machine() -> dict:
    """CPU model, cores, memory, library versions, device, load: what a reader needs to compare runs."""
    import keras
    import tensorflow as tf

    from .runtime import device_description

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    try:
        load = [round(v, 2) for v in os.getloadavg()]
    except OSError:
        load = None
    return {
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_usable": usable,
        "memory_gb": _memory_gb(),
        "device": device_description(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "load_average": load,
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


# --------------------------------------------------------------------------- training statistics
def training_stats(result, wall_seconds: float) -> dict:
    """Seconds, epochs and images/s of one training run, read from its :class:`~helpers.training.TrainResult`.

    ``images_per_second`` covers the whole budget (first-step tracing
    included: what a learner gets); ``steady_images_per_second`` leaves the
    first batch out (what the model costs per image once running).
    """
    stats = result.stats()
    return {"wall_seconds": round(wall_seconds, 2), "seconds": stats["seconds"], "epochs_done": stats["epochs"],
            "batches": stats["batches"], "images_seen": stats["images"],
            "images_per_second": stats["images_per_second"] or None,
            "steady_images_per_second": stats["steady_images_per_second"],
            "first_batch_seconds": (None if stats["first_batch_seconds"] is None
                                    else round(stats["first_batch_seconds"], 2)),
            "source": "TrainResult"}


# --------------------------------------------------------------------------- model-specific metrics
def vae_metrics(model, x_test, y_test, seed: int = 0, iw_k: int = 100, iw_n: int = 2000) -> dict:
    """Test −ELBO (all test images) and importance-weighted NLL (first ``iw_n``, k = ``iw_k``), nats.

    The test set is binarised once with ``seed`` (the VAE module's own
    :func:`~helpers.models.vae.binarize`), as in chapter 04.
    """
    from .models.vae import binarize

    x = binarize(x_test, seed=seed)
    labels = np.asarray(y_test) if getattr(model, "num_classes", None) else None
    elbo = model.negative_elbo(x, labels, seed=seed)
    out = {"test_neg_elbo": elbo["neg_elbo"], "test_reconstruction": elbo.get("reconstruction"),
           "test_kl": elbo.get("kl")}
    if iw_n:
        sub = None if labels is None else labels[:iw_n]
        out["test_iw_nll"] = model.importance_nll(x[:iw_n], sub, k=iw_k, seed=seed)
        out["iw_nll_k"], out["iw_nll_n"] = iw_k, min(iw_n, len(x))
    return out


def pca_mse(x_train, x_test, components: int) -> float:
    """Test MSE (pixels in [0, 1]) of PCA reconstruction with ``components`` components fitted on ``x_train``."""
    a = np.asarray(x_train, np.float32).reshape(len(x_train), -1) / 255.0
    b = np.asarray(x_test, np.float32).reshape(len(x_test), -1) / 255.0
    mean = a.mean(axis=0)
    _, _, vt = np.linalg.svd(a - mean, full_matrices=False)
    basis = vt[:components]
    recon = (b - mean) @ basis.T @ basis + mean
    return float(np.mean((recon - b) ** 2))


def ae_metrics(model, x_train, x_test) -> dict:
    """Test reconstruction MSE of the autoencoder and of PCA with as many components as its code.

    Uses chapter 03's own functions (:func:`helpers.models.autoencoder.reconstruction_mse`
    and its ``PCA``) when they exist, so the numbers match the chapter.
    """
    latent = int(model.latent_dim)
    try:
        from .models.autoencoder import PCA, reconstruction_mse
    except ImportError:
        from .datasets import to_float

        x = to_float(x_test)
        mse = float(np.mean((np.asarray(model.predict(x, batch_size=500, verbose=0)).reshape(x.shape) - x) ** 2))
        baseline = pca_mse(x_train, x_test, latent)
    else:
        mse = reconstruction_mse(model, x_test)
        baseline = PCA().fit(x_train).mse(x_test, latent)
    return {"test_mse": mse, "pca_mse": baseline, "pca_over_ae": baseline / mse if mse > 0 else None,
            "latent_dim": latent}


def model_specific(name: str, model, data) -> dict:
    """The extra numbers a model family offers (empty when it offers none)."""
    (x_train, _), (x_test, y_test) = data
    if hasattr(model, "negative_elbo") and hasattr(model, "importance_nll"):
        return vae_metrics(model, x_test, y_test)
    if name == "ae" and hasattr(model, "latent_dim"):
        return ae_metrics(model, x_train, x_test)
    if hasattr(model, "num_codes"):  # InfoGAN: how well its codes found the digit classes
        from .models.gan import code_purity

        purity = code_purity(model, per_code=500)
        return {"code_purity": purity["mean_purity"], "codes_classes_found": purity["classes_found"]}
    return {}


# --------------------------------------------------------------------------- one model
#: evaluate_samples keys the table uses (everything else stays in the JSON's "all" dict).
METRIC_KEYS = ("frechet_distance", "frechet_distance_real", "frechet_distance_real_10k", "precision",
               "precision_real", "recall", "recall_real", "classifier_score", "label_fidelity",
               "label_fidelity_real", "tstr_acc", "trtr_acc", "memorisation_ratio", "copy_rate")


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return None  # per-sample arrays are not worth storing
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def _metrics_summary(raw: dict) -> dict:
    values = {k: raw.get(k) for k in METRIC_KEYS if raw.get(k) is not None}
    fd, fd_real = values.get("frechet_distance"), values.get("frechet_distance_real")
    if fd is not None and fd_real:
        values["fd_ratio"] = fd / fd_real
    return values


def bench_model(name, recipe, data, seconds, n, seed, evaluate, log=print, dataset: str = "mnist",
                cache: bool = True, default_data: bool = False) -> dict:
    """Train, sample and score one model; never raises (errors are recorded in the result).

    With ``cache=True`` the trained model goes into the model store, where
    ``helpers.models.registry.trained(name, seconds=seconds, seed=seed)``
    finds it (``default_data``: ``data`` is ``dataset`` itself), so chapter 06
    and ``synth`` reuse the benchmark's models.
    """
    import keras

    from .models.registry import train_recipe

    (x_train, y_train), _ = data
    row = {"model": name, "kind": "reference" if name.startswith("ref_") else "course",
           "description": recipe.description, "conditional": bool(recipe.conditional),
           "compared_with": COMPARED_WITH.get(name), "status": "ok"}
    stage = "train"
    try:
        log(f"[{name}] training for {seconds:g} s ...")
        start = time.perf_counter()
        result = train_recipe(recipe, dataset=dataset, seconds=seconds, seed=seed,
                              data=None if default_data else (x_train, y_train), store=cache, retrain=True,
                              verbose=False, control=False)
        model = result.model
        row["train"] = training_stats(result, time.perf_counter() - start)
        log(f"[{name}] trained: {row['train']}")
        if cache:
            row["cached_model"] = "model store (helpers.store)"

        stage = "generate"
        start = time.perf_counter()
        x_gen, y_gen = recipe.generate(model, n, seed=seed)
        gen_seconds = time.perf_counter() - start
        x_gen = np.asarray(x_gen)
        if x_gen.shape != (n, 28, 28) or x_gen.dtype != np.uint8:
            raise ValueError(f"generate returned {x_gen.dtype} {x_gen.shape}; expected uint8 ({n}, 28, 28)")
        row["generate"] = {"n": n, "seconds": round(gen_seconds, 2),
                           "images_per_second": round(n / gen_seconds, 1) if gen_seconds > 0 else None}
        row["samples"] = x_gen[:40]  # removed before writing JSON; drawn into the samples figure

        stage = "evaluate"
        start = time.perf_counter()
        raw = evaluate(x_gen, y_gen if recipe.conditional else None)
        row["metrics"] = _metrics_summary(raw)
        row["metrics_all"] = _jsonable(raw)
        stage = "model-specific metrics"
        row["model_specific"] = model_specific(name, model, data)
        row["evaluate_seconds"] = round(time.perf_counter() - start, 1)
    except Exception as exc:  # noqa: BLE001 - the benchmark records and goes on
        row["status"] = "error"
        row["error"] = f"{stage}: {exc.__class__.__name__}: {exc}"
        row["traceback"] = traceback.format_exc(limit=8)
        log(f"[{name}] FAILED during {stage}: {exc.__class__.__name__}: {exc}")
    finally:
        model = None
        keras.utils.clear_session()
    values = {**row.get("metrics", {}), **row.get("model_specific", {})}
    row["targets"] = check_targets(name, values)
    return row


# --------------------------------------------------------------------------- the whole run
def default_evaluate(dataset: str, seed: int, verbose: bool = True):
    from . import metrics

    def evaluate(x, y):
        return metrics.evaluate_samples(x, y, dataset=dataset, seed=seed, verbose=verbose)

    return evaluate


def run_bench(models=DEFAULT_MODELS, seconds: float = DEFAULT_SECONDS, n: int = DEFAULT_N, seed: int = 0,
              dataset: str = "mnist", out_dir: str | os.PathLike | None = "benchmarks", label: str = "",
              registry: dict | None = None, data=None, evaluate=None, command: str | None = None,
              log=print, cache: bool = True) -> dict:
    """Benchmark ``models`` and (unless ``out_dir`` is None) write JSON + markdown. Returns the results.

    ``registry`` (name -> Recipe), ``data`` and ``evaluate(x, y) -> dict``
    default to the course registry, the dataset and
    :func:`helpers.metrics.evaluate_samples`; tests pass small fakes.
    """
    from .runtime import mode

    if registry is None:
        from .models.registry import recipes

        registry = recipes()
    default_data = data is None
    if data is None:
        from .datasets import load

        data = load(dataset)
    if evaluate is None:
        evaluate = default_evaluate(dataset, seed)
    started = _dt.datetime.now(_dt.timezone.utc)
    results = {
        "schema": SCHEMA,
        "label": label,
        "command": command or "python -m helpers bench " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        "started_utc": started.isoformat(timespec="seconds"),
        "settings": {"seconds": float(seconds), "n": int(n), "seed": int(seed), "dataset": dataset,
                     "mode": mode(), "models": list(models), "n_train": int(len(data[0][0]))},
        "machine": describe_machine(),
        "target_settings": TARGET_SETTINGS,
        "results": [],
    }
    for name in models:
        if name not in registry:
            log(f"[{name}] not in the registry: skipped")
            results["results"].append({
                "model": name, "status": "missing", "kind": "reference" if name.startswith("ref_") else "course",
                "note": f"not in the model registry (available: {', '.join(sorted(registry)) or 'none'})",
                "targets": check_targets(name, {})})
            continue
        results["results"].append(bench_model(name, registry[name], data, seconds, n, seed, evaluate, log=log,
                                              dataset=dataset, cache=cache, default_data=default_data))
    finished = _dt.datetime.now(_dt.timezone.utc)
    results["finished_utc"] = finished.isoformat(timespec="seconds")
    results["total_seconds"] = round((finished - started).total_seconds(), 1)
    results["machine"]["load_average_end"] = describe_machine()["load_average"]
    baseline = next((r["metrics"].get("frechet_distance_real_10k") for r in results["results"]
                     if r.get("metrics", {}).get("frechet_distance_real_10k") is not None), None)
    results["frechet_real_vs_real_10k"] = baseline
    samples = {r["model"]: r.pop("samples") for r in results["results"] if "samples" in r}
    if out_dir is not None:
        write_outputs(results, out_dir, samples)
    return results


# --------------------------------------------------------------------------- outputs
def _fmt(value, spec=".3f", percent=False):
    if value is None:
        return "–"
    if percent:
        return f"{100 * value:.1f}%"
    if spec == "g3":  # distances: 3 significant digits, never scientific notation
        if value == 0 or abs(value) >= 100:
            return f"{value:.1f}" if value else "0"
        decimals = 2 - int(math.floor(math.log10(abs(value))))
        return f"{value:.{decimals}f}"
    return format(value, spec)


def _targets_cell(row) -> str:
    parts = []
    for t in row.get("targets", []):
        if t["passed"] is None:
            parts.append(f"{t['label']}: not measured")
        else:
            parts.append(f"{t['label']}: **{'pass' if t['passed'] else 'miss'}**")
    return "<br>".join(parts) if parts else "(no target)"


def _specific_cell(row) -> str:
    s = row.get("model_specific") or {}
    if "test_neg_elbo" in s:
        text = f"test −ELBO {s['test_neg_elbo']:.1f} nats"
        if s.get("test_iw_nll") is not None:
            text += f"; IW-NLL {s['test_iw_nll']:.1f} (k={s['iw_nll_k']}, {s['iw_nll_n']} images)"
        return text
    if "test_mse" in s:
        text = f"test MSE {s['test_mse']:.4f}, PCA-{s['latent_dim']} {s['pca_mse']:.4f}"
        ratio = s.get("pca_over_ae")
        if ratio:
            text += f" (AE {ratio:.1f}× lower)" if ratio >= 1 else f" (AE {1 / ratio:.1f}× higher)"
        return text
    if "code_purity" in s:
        return (f"codes match digits: purity {s['code_purity']:.0%}, "
                f"{s['codes_classes_found']} of 10 digits are some code's majority")
    return ""


def comparable(results: dict) -> bool:
    """True when the run used the settings the targets are defined for."""
    s = results["settings"]
    return (s["seconds"] == TARGET_SETTINGS["seconds"] and s["n"] == TARGET_SETTINGS["n"]
            and s["mode"] == TARGET_SETTINGS["mode"])


def markdown_table(results: dict, samples_png: str | None = None) -> str:
    """``RESULTS.md``: the machine, the settings, one row per model, and the notes."""
    s, m = results["settings"], results["machine"]
    lines = ["# Benchmark: generative models at equal CPU time", ""]
    if results.get("label"):
        lines += [f"> **{results['label']}**", ""]
    if not comparable(results):
        lines += [f"> Settings differ from the targets' ({TARGET_SETTINGS['seconds']:g} s of training, "
                  f"{TARGET_SETTINGS['n']:,} samples, full mode): pass/miss below is indicative only.", ""]
    lines += [
        f"- **Command:** `{results['command']}`",
        f"- **Machine:** {m['cpu_model']}, {m['cpu_count']} cores ({m['cpu_usable']} usable), "
        f"{m['memory_gb']} GB RAM · device: {m['device']} · TensorFlow {m['tensorflow']} · "
        f"Keras {m['keras']} · Python {m['python']}",
        f"- **Date:** {results['started_utc']} (UTC), {results['total_seconds']:.0f} s in total · "
        f"load average at start {m['load_average']}, at end {m.get('load_average_end')} · "
        f"commit {m['git_commit']}{' (uncommitted changes)' if m['git_dirty'] else ''}",
        f"- **Settings:** {s['seconds']:g} s of training per model (fresh start), {s['n']:,} samples, "
        f"seed {s['seed']}, dataset {s['dataset']} ({s['n_train']:,} training images), mode {s['mode']}",
    ]
    if results.get("frechet_real_vs_real_10k") is not None:
        lines.append(f"- **Real-vs-real Fréchet baseline** (10k train vs 10k test): "
                     f"{_fmt(results['frechet_real_vs_real_10k'], 'g3')}")
    lines += ["", "| Model | Epochs | Train img/s | Fréchet (real) | FD ratio | Precision | Recall | "
              "TSTR (real) | Label fidelity | Memorisation | Model-specific | Targets |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    notes = []
    for row in results["results"]:
        name = f"`{row['model']}`" + (" (reference)" if row.get("kind") == "reference" else "")
        tr, mt = row.get("train") or {}, row.get("metrics") or {}
        rate = _fmt(tr.get("images_per_second"), ".0f")
        if tr.get("steady_images_per_second") is not None:
            rate += f" ({tr['steady_images_per_second']:.0f})"
        if row["status"] == "missing":
            lines.append(f"| {name} | skipped |  |  |  |  |  |  |  |  |  | {_targets_cell(row)} |")
            notes.append(f"`{row['model']}`: {row.get('note')}")
            continue
        if row["status"] == "error":
            stage = row.get("error", "").split(":", 1)[0]
            lines.append(f"| {name} | {_fmt(tr.get('epochs_done'), '.2f')} | {rate if tr else ''} | "
                         f"**error** ({stage}) |  |  |  |  |  |  |  | {_targets_cell(row)} |")
            notes.append(f"`{row['model']}`: {row.get('error')}")
            continue
        fd = f"{_fmt(mt.get('frechet_distance'), 'g3')} ({_fmt(mt.get('frechet_distance_real'), 'g3')})"
        tstr = (f"{_fmt(mt.get('tstr_acc'), percent=True)} ({_fmt(mt.get('trtr_acc'), percent=True)})"
                if "tstr_acc" in mt else "–")
        memo = (f"{_fmt(mt.get('memorisation_ratio'), '.2f')} · {_fmt(mt.get('copy_rate'), percent=True)} copies"
                if "memorisation_ratio" in mt else "–")
        ratio = f"{mt['fd_ratio']:.1f}×" if mt.get("fd_ratio") is not None else "–"
        lines.append(
            f"| {name} | {_fmt(tr.get('epochs_done'), '.2f')} | {rate} | "
            f"{fd} | {ratio} | {_fmt(mt.get('precision'), '.3f')} | {_fmt(mt.get('recall'), '.3f')} | {tstr} | "
            f"{_fmt(mt.get('label_fidelity'), percent=True)} | {memo} | {_specific_cell(row)} | "
            f"{_targets_cell(row)} |")
    lines += [
        "",
        "Columns: *Epochs* completed in the budget. *Train img/s*: real training images consumed per "
        "second over the whole budget (first-step graph tracing included), and in brackets once running "
        "(first batch left out). *Fréchet (real)*: Fréchet distance in the "
        "course evaluator's feature space between the samples and as many real test images, with real "
        "training images scored the same way in brackets; *FD ratio* divides the two. *Precision/recall*: "
        "k-NN manifolds (Kynkäänniemi et al., 2019). *TSTR (real)*: the fixed CNN trained on the "
        "labelled samples, tested on the real test set, with the same CNN trained on as many real images "
        "in brackets. *Label fidelity*: how often the evaluator agrees with the requested class. "
        "*Memorisation*: median distance of samples to their nearest training image over the same for "
        "held-out real images (1 = no copying), and the share of near copies. Reference rows are held "
        "to the targets of the course model they compete with (DCGAN, conditional GAN), and InfoGAN, "
        "unconditional like the DCGAN, to the DCGAN's.",
    ]
    if notes:
        lines += ["", "Notes:", ""] + [f"- {note}" for note in notes]
    if samples_png:
        lines += ["", "Samples (first 20 of each model):", "", f"![samples]({samples_png})"]
    return "\n".join(lines) + "\n"


def samples_figure(samples: dict, path: Path) -> None:
    """One row of 20 samples per model, saved as a PNG next to the table."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from .plots import tile

    names = list(samples)
    fig, axes = plt.subplots(len(names), 1, figsize=(10, 0.75 * len(names) + 0.3), squeeze=False)
    for ax, name in zip(axes[:, 0], names, strict=True):
        ax.imshow(tile(samples[name][:20], ncols=20, pad_value=0), cmap="gray_r", vmin=0, vmax=255)
        ax.set_title(name, fontsize=8, loc="left")
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def write_outputs(results: dict, out_dir, samples: dict | None = None) -> dict:
    """Write ``results-<timestamp>.json``, ``latest.json``, ``RESULTS.md`` (and the samples PNG)."""
    out = Path(out_dir)
    if not out.is_absolute():
        out = Path.cwd() / out
    out.mkdir(parents=True, exist_ok=True)
    stamp = results["started_utc"].replace("-", "").replace(":", "").replace("+0000", "Z")
    stamp = stamp.replace("+00:00", "Z")
    text = json.dumps(_jsonable(results), indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    paths = {"json": out / f"results-{stamp}.json", "latest": out / "latest.json", "markdown": out / "RESULTS.md"}
    for key in ("json", "latest"):
        _atomic_write(paths[key], text)
    if samples:
        try:
            samples_figure(samples, out / "samples-latest.png")
            paths["samples"] = out / "samples-latest.png"
        except Exception as exc:  # noqa: BLE001 - a figure must never lose the numbers
            print(f"(samples figure not written: {exc})")
    _atomic_write(paths["markdown"], markdown_table(results, "samples-latest.png" if "samples" in paths else None))
    return paths


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# --------------------------------------------------------------------------- README block
README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"


def readme_block(results: dict, results_dir: str = "benchmarks", samples_png: bool = True) -> str:
    """The benchmark table for the README, between markers so a later run can replace it."""
    png = f"{results_dir}/samples-latest.png" if samples_png else None
    body = markdown_table(results, png).split("\n", 2)[2].strip()  # drop the page title
    return (f"{README_START}\n<!-- written by `python -m helpers bench --readme README.md`; "
            f"edit {results_dir}/, not this block -->\n\n{body}\n\n"
            f"Full results and history: [{results_dir}/RESULTS.md]({results_dir}/RESULTS.md), "
            f"`{results_dir}/results-*.json`.\n{README_END}")


def update_readme(path, results: dict, results_dir: str = "benchmarks") -> None:
    """Replace the text between ``README_START`` and ``README_END`` in ``path`` with the table."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"{path} has no '{README_START}' ... '{README_END}' block; add those two lines "
                         "where the benchmark table should go, then run again.")
    has_png = (path.parent / results_dir / "samples-latest.png").is_file()
    new = text[:start] + readme_block(results, results_dir, has_png) + text[end + len(README_END):]
    _atomic_write(path, new)


def render(results_json, out_dir) -> Path:
    """Rewrite ``RESULTS.md`` in ``out_dir`` from a saved results JSON (no training)."""
    results = json.loads(Path(results_json).read_text(encoding="utf-8"))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    png = "samples-latest.png" if (out / "samples-latest.png").is_file() else None
    _atomic_write(out / "RESULTS.md", markdown_table(results, png))
    return out / "RESULTS.md"
