"""Merge benchmark runs made one model at a time into one results table.

``python -m helpers bench`` writes its JSON only when every model is done. On a
shared or time-limited machine it is safer to run one model per invocation
(each leaves its own ``latest.json``) and merge afterwards:

    for m in cgan dcgan vae; do python -m helpers bench --models $m --out /tmp/b-$m; done
    python tools/merge_bench.py /tmp/b-*/latest.json --out benchmarks --readme README.md

The merged file keeps every run's own timing and machine readings; the samples
figure is the per-run figures stacked in the same order.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from helpers import bench  # noqa: E402


def merge(runs: list[dict]) -> dict:
    if not runs:
        raise SystemExit("nothing to merge")
    first, last = runs[0], runs[-1]
    merged = dict(first)
    merged["results"] = [row for run in runs for row in run["results"]]
    merged["settings"] = dict(first["settings"], models=[r["model"] for r in merged["results"]])
    for key in ("seconds", "n", "seed", "dataset", "mode"):
        values = {run["settings"][key] for run in runs}
        if len(values) != 1:
            raise SystemExit(f"runs differ in {key}: {sorted(values)}; merge only comparable runs")
    merged["command"] = (f"one model per run: python -m helpers bench --seconds {first['settings']['seconds']:g} "
                         f"--n {first['settings']['n']} --models M (M = {', '.join(merged['settings']['models'])}), "
                         "then python tools/merge_bench.py")
    merged["started_utc"] = min(run["started_utc"] for run in runs)  # ISO strings in UTC sort by time
    merged["finished_utc"] = max(run["finished_utc"] for run in runs)
    merged["total_seconds"] = round(sum(run["total_seconds"] for run in runs), 1)
    merged["machine"] = dict(first["machine"], load_average_end=last["machine"].get("load_average_end"))
    merged["frechet_real_vs_real_10k"] = next(
        (run["frechet_real_vs_real_10k"] for run in runs if run.get("frechet_real_vs_real_10k") is not None), None)
    return merged


def stack_figures(paths: list[Path], out: Path) -> bool:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    images = [plt.imread(p) for p in paths if p.is_file()]
    if not images:
        return False
    width = max(im.shape[1] for im in images)
    padded = [np.pad(im, ((0, 0), (0, width - im.shape[1]), (0, 0)), constant_values=1.0) for im in images]
    plt.imsave(out, np.concatenate(padded, axis=0))
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="latest.json (or results-*.json) of each run, in table order")
    parser.add_argument("--out", default="benchmarks")
    parser.add_argument("--label", default="")
    parser.add_argument("--readme", default=None)
    args = parser.parse_args(argv)
    paths = [Path(p) for p in args.runs]
    merged = merge([json.loads(p.read_text(encoding="utf-8")) for p in paths])
    if args.label:
        merged["label"] = args.label
    out = Path(args.out)
    written = bench.write_outputs(merged, out)
    if stack_figures([p.parent / "samples-latest.png" for p in paths], out / "samples-latest.png"):
        (out / "RESULTS.md").write_text(bench.markdown_table(merged, "samples-latest.png"), encoding="utf-8")
    if args.readme:
        bench.update_readme(args.readme, merged, results_dir=str(args.out).rstrip("/"))
    print("wrote", ", ".join(str(p) for p in written.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
