"""Chapter 05 §5's ablation of the DCGAN: one change at a time from the course recipe, equal wall-clock budgets.

Each variant is the registry's ``dcgan`` with exactly one setting changed;
``wgan_gp`` (§8) runs beside them. :func:`variant_recipes` turns them into
registry-style recipes, so the benchmark's runner (``helpers.bench``) trains,
samples and scores them like every other model; ``tools/gan_ablation.py``
runs every seed and :func:`summarise` tabulates the spread.
"""

from __future__ import annotations

import math
from functools import partial

from ..models.gan import training as gan_training

#: R1's weight: StyleGAN2-ADA's value for CIFAR-10 (32×32, the nearest of its settings to 28×28 MNIST).
R1_GAMMA = 0.01

#: name -> (what changes, DCGAN keyword arguments, build_gan keyword arguments).
VARIANTS = {
    "baseline": ("the course recipe: non-saturating loss, EMA generator (0.995)", {}, {}),
    "no_ema": ("sample from G itself, not from its moving average", {"ema": 0.0}, {}),
    "minibatch_std": ("D gets a minibatch standard-deviation channel", {"minibatch_std": True}, {}),
    "translate": ("D sees reals and fakes shifted by up to 3 pixels (DiffAugment)", {"translate": True}, {}),
    "r1": (f"lazy R1 penalty on D, γ = {R1_GAMMA}, every 16 D steps", {"r1_gamma": R1_GAMMA, "r1_every": 16}, {}),
    "hinge": ("hinge loss instead of the non-saturating one", {}, {"loss": "hinge"}),
    "spectral_norm": ("spectral normalisation of D's convolutions", {"spectral_norm": True}, {}),
}


def build_variant(name: str, seed: int = 0):
    """The registry's DCGAN with variant ``name``'s one change (chapter 05 §5)."""
    _, model_kwargs, build_kwargs = VARIANTS[name]
    return gan_training.build_gan("dcgan", seed=seed, **{**gan_training.RECIPE_SETTINGS["dcgan"], **model_kwargs,
                                                         **build_kwargs})


def variant_recipes(names=None) -> dict:
    """``{"dcgan_<variant>": Recipe}`` for the benchmark's runner, plus the registry's ``wgan_gp`` (chapter 05 §5)."""
    from ..models.registry import Recipe, get

    names = list(VARIANTS) if names is None else list(names)
    unknown = [n for n in names if n not in VARIANTS and n != "wgan_gp"]
    if unknown:
        raise KeyError(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join([*VARIANTS, 'wgan_gp'])}")
    out = {}
    for name in names:
        if name == "wgan_gp":
            out[name] = get("wgan_gp")
            continue
        out[f"dcgan_{name}"] = Recipe(f"dcgan_{name}", f"DCGAN, {VARIANTS[name][0]}", False,
                                      partial(build_variant, name), gan_training.fit_recipe_model,
                                      gan_training.generate_recipe_samples)
    return out


def _spread(values):
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not values:
        return None
    mean = sum(values) / len(values)
    return {"mean": mean, "min": min(values), "max": max(values), "n": len(values)}


def summarise(runs, metrics=("fd_ratio", "precision", "recall", "memorisation_ratio")) -> dict:
    """Per model: mean, min and max of each metric (and of ``batches``) over the seeds' benchmark results.

    ``runs``: the results dicts of one benchmark run per seed. Chapter 05 §5 reads this table.
    """
    rows: dict = {}
    for run in runs:
        for row in run["results"]:
            if row.get("status") != "ok":
                continue
            entry = rows.setdefault(row["model"], {m: [] for m in (*metrics, "batches")})
            for m in metrics:
                entry[m].append(row["metrics"].get(m))
            entry["batches"].append(row["train"].get("batches"))
    return {model: {m: _spread(v) for m, v in entry.items()} for model, entry in rows.items()}


def markdown_table(summary: dict) -> str:
    """``summarise``'s numbers as a markdown table: mean (min–max) per metric (chapter 05 §5, the notes)."""
    def cell(s, fmt):
        if s is None:
            return "–"
        return f"{s['mean']:{fmt}} ({s['min']:{fmt}}–{s['max']:{fmt}})" if s["n"] > 1 else f"{s['mean']:{fmt}}"

    lines = ["| model | seeds | batches | FD ratio | precision | recall | memorisation |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for model, s in summary.items():
        seeds = max((v["n"] for v in s.values() if v), default=0)
        lines.append(f"| `{model}` | {seeds} | {cell(s['batches'], ',.0f')} | {cell(s['fd_ratio'], '.1f')} | "
                     f"{cell(s['precision'], '.3f')} | {cell(s['recall'], '.3f')} | "
                     f"{cell(s['memorisation_ratio'], '.3f')} |")
    return "\n".join(lines)
