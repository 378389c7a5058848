"""Chapter 05 §5's DCGAN ablation: each variant (one change from the recipe) and WGAN-GP, at one budget, per seed.

    python tools/gan_ablation.py                              # 300 s per model, seeds 0 and 1, every variant
    python tools/gan_ablation.py --seeds 2 --variants baseline,translate --seconds 60

Each seed is one benchmark run (``helpers.bench.run_bench``: train for the budget, draw 10,000 samples, score
them with chapter 06's metrics) into ``OUT/seed<k>/``; a killed run continues where it stopped (the runner's
``--resume``). At the end every seed folder found under OUT is summarised into ``OUT/summary.json`` and
``OUT/SUMMARY.md``: mean (min–max) over seeds. Run it on an idle machine: the budgets are wall-clock.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def seed_results(out: Path) -> list[dict]:
    """The finished results of every ``seed<k>/latest.json`` under ``out`` (tests)."""
    runs = []
    for path in sorted(out.glob("seed*/latest.json")):
        runs.append(json.loads(path.read_text()))
    return runs


def write_summary(out: Path) -> str:
    """Summarise every seed folder under ``out`` into summary.json and SUMMARY.md; return the table (tests)."""
    from helpers.bench.ablation import VARIANTS, markdown_table, summarise

    runs = seed_results(out)
    summary = summarise(runs)
    table = markdown_table(summary)
    seeds = [r["settings"]["seed"] for r in runs]
    seconds = sorted({r["settings"]["seconds"] for r in runs})
    what = {f"dcgan_{k}": v[0] for k, v in VARIANTS.items()}
    (out / "summary.json").write_text(json.dumps({"seeds": seeds, "seconds": seconds, "variants": what,
                                                  "summary": summary}, indent=1))
    header = (f"# DCGAN ablation: {', '.join(f'{s:g}' for s in seconds)} s per model, seeds {seeds}\n\n"
              "Mean (min–max) over the seeds; FD ratio = Fréchet distance ÷ the real-vs-real baseline.\n\n")
    legend = "\n".join(f"- `{k}`: {v}" for k, v in what.items())
    (out / "SUMMARY.md").write_text(header + table + "\n\n" + legend + "\n")
    return table


def main(argv=None) -> int:
    from helpers.bench.ablation import VARIANTS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--seeds", default="0,1", help="comma-separated seeds")
    parser.add_argument("--variants", default=",".join([*VARIANTS, "wgan_gp"]))
    parser.add_argument("--n", type=int, default=10_000, help="samples scored per model")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "gan_ablation")
    args = parser.parse_args(argv)

    from helpers.bench.ablation import variant_recipes
    from helpers.bench.run import run_bench

    recipes = variant_recipes(args.variants.split(","))
    for seed in (int(s) for s in args.seeds.split(",")):
        run_bench(models=list(recipes), seconds=args.seconds, n=args.n, seed=seed, out_dir=args.out / f"seed{seed}",
                  registry=recipes, cache=False, resume_rows=True, label=f"DCGAN ablation, seed {seed}",
                  command="python tools/gan_ablation.py " + " ".join(sys.argv[1:] if argv is None else argv))
    print(write_summary(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
