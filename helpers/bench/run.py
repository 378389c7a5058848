"""Running the benchmark: describe the machine, train / sample / score each model, keep every row on disk.

:func:`run_bench` is what ``python -m helpers bench`` calls; :func:`bench_model`
measures one model and never raises.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import shlex
import subprocess
import sys
import time
import traceback
from pathlib import Path

import numpy as np

from ..paths import PROJECT_ROOT
from . import report, resume
from .files import jsonable, prepare_out_dir
from .targets import COMPARED_WITH, TARGET_SETTINGS, check_targets

COURSE_MODELS = ("ae", "vae", "cvae", "dcgan", "scgan", "infogan", "wgan_gp", "cgan", "flow", "cflow")
REFERENCE_MODELS = ("ref_tfdocs_dcgan", "ref_kerasio_cgan")
DEFAULT_MODELS = COURSE_MODELS + REFERENCE_MODELS
DEFAULT_SECONDS = 300.0
DEFAULT_N = 10_000
SCHEMA = 1
#: evaluate_samples keys the table uses (everything else stays in the JSON's "all" dict).
METRIC_KEYS = ("frechet_distance", "frechet_distance_real", "frechet_distance_real_10k", "precision",
               "precision_real", "recall", "recall_real", "classifier_score", "label_fidelity",
               "label_fidelity_real", "tstr_acc", "trtr_acc", "memorisation_ratio", "copy_rate")


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
    """For the benchmark's header: CPU, cores, memory, library versions, device, load (what comparing runs needs).

    Called by :func:`run_bench` (benchmark).
    """
    import keras
    import tensorflow as tf

    from ..runtime import device_description

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    try:
        load = [round(v, 2) for v in os.getloadavg()]
    except OSError:
        load = None
    return {
        "cpu_model": _cpu_model(), "cpu_count": os.cpu_count(), "cpu_usable": usable, "memory_gb": _memory_gb(),
        "device": device_description(), "platform": platform.platform(), "python": platform.python_version(),
        "tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__, "load_average": load,
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


# --------------------------------------------------------------------------- one model
def training_stats(result, wall_seconds: float) -> dict:
    """A benchmark row's training numbers (seconds, epochs, images/s), read from its :class:`~helpers.results.TrainResult`.

    ``images_per_second`` covers the whole budget (first-step tracing
    included: what a learner gets); ``steady_images_per_second`` leaves the
    first batch out (what the model costs per image once running).
    Called by :func:`bench_model` (benchmark).
    """
    stats = result.stats()
    return {"wall_seconds": round(wall_seconds, 2), "seconds": stats["seconds"], "epochs_done": stats["epochs"],
            "batches": stats["batches"], "images_seen": stats["images"],
            "images_per_second": stats["images_per_second"] or None,
            "steady_images_per_second": stats["steady_images_per_second"],
            "first_batch_seconds": (None if stats["first_batch_seconds"] is None
                                    else round(stats["first_batch_seconds"], 2)),
            "source": "TrainResult"}


def model_specific(recipe, model, data) -> dict:
    """A benchmark row's model-specific numbers: the recipe's own ``extra_metrics`` (empty when it has none).

    Called by :func:`bench_model` (benchmark).
    """
    extra = getattr(recipe, "extra_metrics", None)
    return dict(extra(model, data)) if extra is not None else {}


def _metrics_summary(raw: dict) -> dict:
    values = {k: raw.get(k) for k in METRIC_KEYS if raw.get(k) is not None}
    fd, fd_real = values.get("frechet_distance"), values.get("frechet_distance_real")
    if fd is not None and fd_real:
        values["fd_ratio"] = fd / fd_real
    return values


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def bench_model(name, recipe, data, seconds, n, seed, evaluate, log=print, dataset: str = "mnist",
                cache: bool = True, default_data: bool = False) -> dict:
    """One benchmark row: train, sample and score one model; never raises (errors are recorded in the row).

    With ``cache=True`` the trained model goes into the model store, where
    ``helpers.models.registry.trained(name, seconds=seconds, seed=seed)``
    finds it (``default_data``: ``data`` is ``dataset`` itself), so chapter 06
    and ``synth`` reuse the benchmark's models.
    """
    import keras

    from ..models.registry import train_recipe

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
        row["metrics_all"] = jsonable(raw)
        stage = "model-specific metrics"
        row["model_specific"] = model_specific(recipe, model, data)
        row["evaluate_seconds"] = round(time.perf_counter() - start, 1)
    except Exception as exc:  # noqa: BLE001 - the benchmark records and goes on
        row["status"] = "error"
        row["error"] = f"{stage}: {exc.__class__.__name__}: {exc}"
        row["traceback"] = traceback.format_exc(limit=8)
        log(f"[{name}] FAILED during {stage}: {exc.__class__.__name__}: {exc}")
    finally:
        model = None
        keras.utils.clear_session()
    values = {**row.get("metrics", {}), **row.get("model_specific", {}),
              "generate_seconds": row.get("generate", {}).get("seconds")}
    row["targets"] = check_targets(name, values)
    row["measured_utc"] = _now()
    return row


# --------------------------------------------------------------------------- the whole run
def default_evaluate(dataset: str, seed: int, verbose: bool = True):
    """The benchmark's scorer: :func:`helpers.metrics.evaluate_samples` on ``dataset`` with ``seed``.

    Called by :func:`run_bench` (benchmark).
    """
    from .. import metrics

    def evaluate(x, y):
        return metrics.evaluate_samples(x, y, dataset=dataset, seed=seed, verbose=verbose)

    return evaluate


def _missing_row(name: str, registry: dict) -> dict:
    return {"model": name, "status": "missing", "kind": "reference" if name.startswith("ref_") else "course",
            "note": f"not in the model registry (available: {', '.join(sorted(registry)) or 'none'})",
            "targets": check_targets(name, {})}


def _close(results: dict, started: _dt.datetime, complete: bool) -> dict:
    """Fill in the run's end (time, load, real-vs-real baseline); called after each model and at the end."""
    finished = _dt.datetime.now(_dt.timezone.utc)
    results["complete"] = complete
    results["finished_utc"] = finished.isoformat(timespec="seconds") if complete else None
    results["total_seconds"] = round((finished - started).total_seconds(), 1)
    results["frechet_real_vs_real_10k"] = next(
        (r["metrics"].get("frechet_distance_real_10k") for r in results["results"]
         if (r.get("metrics") or {}).get("frechet_distance_real_10k") is not None), None)
    return results


def run_bench(models=DEFAULT_MODELS, seconds: float = DEFAULT_SECONDS, n: int = DEFAULT_N, seed: int = 0,
              dataset: str = "mnist", out_dir: str | os.PathLike | None = "benchmarks", label: str = "",
              registry: dict | None = None, data=None, evaluate=None, command: str | None = None,
              log=print, cache: bool = True, resume_rows: bool = False) -> dict:
    """The benchmark (``python -m helpers bench``): every model in ``models``, one row each; returns the results.

    With ``out_dir`` (checked for writing first, in seconds) ``partial.json``
    is rewritten after each model, so an interrupted run keeps its finished
    rows, and the final JSON + markdown + samples figure are written at the end
    (see :mod:`helpers.bench.report`). ``resume_rows`` (``bench --resume``)
    keeps the rows an earlier run into ``out_dir`` measured with the same
    settings (:mod:`helpers.bench.resume`) and measures only the rest.
    ``registry`` (name -> Recipe), ``data`` and ``evaluate(x, y) -> dict``
    default to the course registry, the dataset and
    :func:`helpers.metrics.evaluate_samples`; tests pass small fakes.
    Called by ``python -m helpers bench`` (benchmark).
    """
    from .. import store
    from ..runtime import mode

    out = None if out_dir is None else prepare_out_dir(out_dir)
    earlier = resume.earlier_rows(out) if resume_rows and out is not None else {}
    if registry is None:
        from ..models.registry import recipes

        registry = recipes()
    default_data = data is None
    if data is None:
        from ..datasets import load

        data = load(dataset)
    if evaluate is None:
        evaluate = default_evaluate(dataset, seed)
    started = _dt.datetime.now(_dt.timezone.utc)
    settings = {"seconds": float(seconds), "n": int(n), "seed": int(seed), "dataset": dataset, "mode": mode(),
                "models": list(models), "n_train": int(len(data[0][0]))}
    results = {
        "schema": SCHEMA, "label": label,
        "command": command or "python -m helpers bench " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        "started_utc": started.isoformat(timespec="seconds"), "settings": settings,
        "machine": describe_machine(), "target_settings": TARGET_SETTINGS, "results": [],
    }
    data_fingerprint = store.fingerprint(*data[0])
    samples: dict = {}
    for name in models:
        if name not in registry:
            log(f"[{name}] not in the registry: skipped")
            row = _missing_row(name, registry)
        else:
            wanted = resume.measured_with(name, registry[name], settings, data_fingerprint)
            kept = resume.pick(name, earlier.get(name, []), wanted, log)
            if kept is not None:
                row, kept_samples = kept
                log(f"[{name}] kept from {row['resumed_from']} (same settings): not measured again")
                if kept_samples is not None:
                    samples[name] = kept_samples
            else:
                row = bench_model(name, registry[name], data, seconds, n, seed, evaluate, log=log,
                                  dataset=dataset, cache=cache, default_data=default_data)
                row["measured_with"] = wanted
                if "samples" in row:
                    samples[name] = row.pop("samples")
        results["results"].append(row)
        if out is not None:
            path = report.write_partial(_close(results, started, complete=False), out, samples)
            log(f"[{name}] row saved in {path} (an interrupted run continues with --resume)")
    _close(results, started, complete=True)
    results["machine"]["load_average_end"] = describe_machine()["load_average"]
    if out is not None:
        report.write_outputs(results, out, samples)
    return results
