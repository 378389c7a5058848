"""The benchmark's outputs: the results JSON (partial and final), ``RESULTS.md``, the samples figure, the README block.

``partial.json`` (with ``partial-samples.npz``) is rewritten after each
model, so a killed run keeps every finished row; the final outputs replace it
when the run ends. Every file is written atomically (:mod:`.files`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from .files import (
    LATEST_JSON,
    LATEST_SAMPLES,
    PARTIAL_JSON,
    PARTIAL_SAMPLES,
    SAMPLES_PNG,
    atomic,
    atomic_write_text,
    json_text,
    prepare_out_dir,
    write_samples,
)
from .targets import TARGET_SETTINGS, comparable

README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"


def write_partial(results: dict, out_dir, samples: dict) -> Path:
    """``partial.json`` (+ its samples) after each benchmarked model, so a killed run keeps every finished row.

    Called by :func:`~helpers.bench.run.run_bench` (benchmark).
    """
    out = Path(out_dir)
    write_samples(out / PARTIAL_SAMPLES, results["results"], samples)
    atomic_write_text(out / PARTIAL_JSON, json_text(results))
    return out / PARTIAL_JSON


def write_outputs(results: dict, out_dir, samples: dict | None = None) -> dict:
    """The benchmark's final files: ``results-<timestamp>.json``, ``latest.json``, ``RESULTS.md``, samples PNG/npz.

    Then ``partial.json`` and its samples are removed: the final files hold every row.
    Called by :func:`~helpers.bench.run.run_bench` and ``tools/merge_bench.py`` (benchmark).
    """
    out = Path(out_dir)
    if not out.is_absolute():
        out = Path.cwd() / out
    out.mkdir(parents=True, exist_ok=True)
    stamp = results["started_utc"].replace("-", "").replace(":", "").replace("+0000", "Z")
    stamp = stamp.replace("+00:00", "Z")
    text = json_text(results)
    paths = {"json": out / f"results-{stamp}.json", "latest": out / LATEST_JSON, "markdown": out / "RESULTS.md"}
    for key in ("json", "latest"):
        atomic_write_text(paths[key], text)
    if samples:
        write_samples(out / LATEST_SAMPLES, results["results"], samples)
        try:
            samples_figure(samples, out / SAMPLES_PNG)
            paths["samples"] = out / SAMPLES_PNG
        except Exception as exc:  # noqa: BLE001 - a figure must never lose the numbers
            print(f"(samples figure not written: {exc})")
    atomic_write_text(paths["markdown"], markdown_table(results, SAMPLES_PNG if "samples" in paths else None))
    for name in (PARTIAL_JSON, PARTIAL_SAMPLES):
        (out / name).unlink(missing_ok=True)
    return paths


# --------------------------------------------------------------------------- the table
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


def _header(results: dict) -> list[str]:
    s, m = results["settings"], results["machine"]
    lines = ["# Benchmark: generative models at equal CPU time", ""]
    if results.get("label"):
        lines += [f"> **{results['label']}**", ""]
    if results.get("complete") is False:
        lines += [f"> Partial results: {len(results['results'])} of {len(s.get('models', []))} models so far "
                  "(the run was stopped or is still going; `bench --resume` continues it).", ""]
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
    return lines


COLUMNS_NOTE = (
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
    "to the targets of the course model they compete with (DCGAN, conditional GAN), and InfoGAN and "
    "the self-conditioned GAN, unconditional like the DCGAN, to the DCGAN's.")


def _row_line(row, notes: list) -> str:
    name = f"`{row['model']}`" + (" (reference)" if row.get("kind") == "reference" else "")
    tr, mt = row.get("train") or {}, row.get("metrics") or {}
    rate = _fmt(tr.get("images_per_second"), ".0f")
    if tr.get("steady_images_per_second") is not None:
        rate += f" ({tr['steady_images_per_second']:.0f})"
    if row["status"] == "missing":
        notes.append(f"`{row['model']}`: {row.get('note')}")
        return f"| {name} | skipped |  |  |  |  |  |  |  |  |  | {_targets_cell(row)} |"
    if row["status"] == "error":
        stage = row.get("error", "").split(":", 1)[0]
        notes.append(f"`{row['model']}`: {row.get('error')}")
        return (f"| {name} | {_fmt(tr.get('epochs_done'), '.2f')} | {rate if tr else ''} | "
                f"**error** ({stage}) |  |  |  |  |  |  |  | {_targets_cell(row)} |")
    if row.get("resumed_from"):
        notes.append(f"`{row['model']}`: measured by an earlier run ({row['resumed_from']}), kept by `--resume`")
    fd = f"{_fmt(mt.get('frechet_distance'), 'g3')} ({_fmt(mt.get('frechet_distance_real'), 'g3')})"
    tstr = (f"{_fmt(mt.get('tstr_acc'), percent=True)} ({_fmt(mt.get('trtr_acc'), percent=True)})"
            if "tstr_acc" in mt else "–")
    memo = (f"{_fmt(mt.get('memorisation_ratio'), '.2f')} · {_fmt(mt.get('copy_rate'), percent=True)} copies"
            if "memorisation_ratio" in mt else "–")
    ratio = f"{mt['fd_ratio']:.1f}×" if mt.get("fd_ratio") is not None else "–"
    return (f"| {name} | {_fmt(tr.get('epochs_done'), '.2f')} | {rate} | "
            f"{fd} | {ratio} | {_fmt(mt.get('precision'), '.3f')} | {_fmt(mt.get('recall'), '.3f')} | {tstr} | "
            f"{_fmt(mt.get('label_fidelity'), percent=True)} | {memo} | {_specific_cell(row)} | "
            f"{_targets_cell(row)} |")


def markdown_table(results: dict, samples_png: str | None = None) -> str:
    """``RESULTS.md`` of a benchmark run: the machine, the settings, one row per model, and the notes.

    Also used by ``tools/merge_bench.py`` (benchmark).
    """
    lines = _header(results)
    lines += ["", "| Model | Epochs | Train img/s | Fréchet (real) | FD ratio | Precision | Recall | "
              "TSTR (real) | Label fidelity | Memorisation | Model-specific | Targets |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    notes: list[str] = []
    lines += [_row_line(row, notes) for row in results["results"]]
    lines += ["", COLUMNS_NOTE]
    if notes:
        lines += ["", "Notes:", ""] + [f"- {note}" for note in notes]
    if samples_png:
        lines += ["", "Samples (first 20 of each model):", "", f"![samples]({samples_png})"]
    return "\n".join(lines) + "\n"


def samples_figure(samples: dict, path: Path) -> None:
    """The benchmark's samples figure: one row of 20 samples per model, saved as a PNG next to the table.

    Called by :func:`write_outputs` (benchmark).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from ..plots import tile

    names = list(samples)
    fig, axes = plt.subplots(len(names), 1, figsize=(10, 0.75 * len(names) + 0.3), squeeze=False)
    for ax, name in zip(axes[:, 0], names, strict=True):
        ax.imshow(tile(samples[name][:20], ncols=20, pad_value=0), cmap="gray_r", vmin=0, vmax=255)
        ax.set_title(name, fontsize=8, loc="left")
        ax.axis("off")
    fig.tight_layout()
    try:
        atomic(path, lambda fh: fig.savefig(fh, dpi=80, format="png"))
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------- README block
def readme_block(results: dict, results_dir: str = "benchmarks", samples_png: bool = True) -> str:
    """The benchmark table for the README, between markers so a later run can replace it (benchmark)."""
    png = f"{results_dir}/{SAMPLES_PNG}" if samples_png else None
    body = markdown_table(results, png).split("\n", 2)[2].strip()  # drop the page title
    return (f"{README_START}\n<!-- written by `python -m helpers bench --readme README.md`; "
            f"edit {results_dir}/, not this block -->\n\n{body}\n\n"
            f"Full results and history: [{results_dir}/RESULTS.md]({results_dir}/RESULTS.md), "
            f"`{results_dir}/results-*.json`.\n{README_END}")


def readme_markers(path) -> tuple[str, int, int]:
    """The README's text and where its benchmark block starts and ends; ValueError (one line) without markers.

    ``bench --readme`` calls it before training too, so a README without the block fails in seconds.
    Benchmark only (benchmark).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"{path} has no '{README_START}' ... '{README_END}' block; add those two lines "
                         "where the benchmark table should go, then run again.")
    return text, start, end


def update_readme(path, results: dict, results_dir: str = "benchmarks") -> None:
    """Replace the README's benchmark block (between ``README_START`` and ``README_END``) with the table.

    Called by ``bench --readme`` and ``tools/merge_bench.py`` (benchmark).
    """
    path = Path(path)
    text, start, end = readme_markers(path)
    has_png = (path.parent / results_dir / SAMPLES_PNG).is_file()
    new = text[:start] + readme_block(results, results_dir, has_png) + text[end + len(README_END):]
    atomic_write_text(path, new)


def render(results_json, out_dir) -> Path:
    """Rewrite ``RESULTS.md`` in ``out_dir`` from a saved benchmark results JSON, no training (benchmark)."""
    results = json.loads(Path(results_json).read_text(encoding="utf-8"))
    out = prepare_out_dir(out_dir)
    png = SAMPLES_PNG if (out / SAMPLES_PNG).is_file() else None
    atomic_write_text(out / "RESULTS.md", markdown_table(results, png))
    return out / "RESULTS.md"
