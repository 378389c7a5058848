"""``python -m helpers bench``: train every model for the same wall-clock budget and score it.

``make bench`` runs ``python -m helpers bench --seconds 300``. See
:mod:`helpers.bench` for what is measured and where the results go.

Every check that needs no model comes first: a bad argument, an unwritable
``--out`` or a ``--readme`` without its markers fails in seconds, before any
training. Each finished model is kept in ``<out>/partial.json``; after a
crash or Ctrl-C (exit 130), ``--resume`` measures only the models still missing.
"""

from __future__ import annotations

import shlex
import sys

HELP = "train each generative model for S seconds, score its samples, write benchmarks/RESULTS.md"


def add_arguments(parser):
    """The options of ``python -m helpers bench`` (command line)."""
    from ..bench import DEFAULT_MODELS, DEFAULT_N, DEFAULT_SECONDS

    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS,
                        help=f"wall-clock training budget per model (default {DEFAULT_SECONDS:g})")
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS),
                        help="comma-separated registry names (default: %(default)s)")
    parser.add_argument("--n", type=int, default=DEFAULT_N,
                        help=f"samples drawn and scored per model (default {DEFAULT_N})")
    parser.add_argument("--seed", type=int, default=0, help="seed for training and sampling (default 0)")
    parser.add_argument("--dataset", default="mnist", choices=("mnist", "fashion_mnist"))
    parser.add_argument("--out", default="benchmarks",
                        help="folder for results-<time>.json, latest.json and RESULTS.md (default benchmarks/)")
    parser.add_argument("--no-cache", action="store_true",
                        help="do not keep the trained models in the model store (reused by synth and chapter 06)")
    parser.add_argument("--readme", default=None, metavar="PATH",
                        help="also write the table into PATH between <!-- bench:start --> and <!-- bench:end -->")
    parser.add_argument("--from-json", default=None, metavar="RESULTS_JSON",
                        help="no training: rewrite RESULTS.md (and --readme) from a saved results JSON")
    parser.add_argument("--resume", action="store_true",
                        help="keep the rows --out already holds (partial.json, then latest.json) that were measured "
                             "with the same settings and model; measure only the others")
    parser.add_argument("--label", default="",
                        help='a note printed at the top of RESULTS.md, e.g. "smoke run, not the 300-s result"')


def run(args) -> int:
    """Run ``python -m helpers bench`` with the parsed ``args``; returns the exit code (command line)."""
    from .. import bench
    from ..errors import CommandError
    from ..runtime import mode

    if args.from_json:
        return _render(args)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    if not models:
        raise CommandError("--models is empty; name at least one model, e.g. --models vae,cgan")
    if args.seconds <= 0:
        raise CommandError(f"--seconds must be positive, got {args.seconds:g}")
    if args.n < 20:
        raise CommandError(f"--n must be at least 20 samples (precision/recall and Fréchet need them), got {args.n}")
    if args.n > 60000:
        raise CommandError(f"--n must be at most 60,000 (TSTR compares with as many real images), got {args.n}")
    bench.prepare_out_dir(args.out)  # CommandError (one line) in milliseconds when --out cannot be written
    if args.readme:
        try:
            bench.readme_markers(args.readme)
        except (OSError, ValueError) as exc:
            raise CommandError(f"--readme: {exc}") from exc
    if mode() != "full":
        print(f"note: COURSE_MODE={mode()}; the targets are defined for full mode", file=sys.stderr)
    # The full command with every setting spelled out, so RESULTS.md says how to reproduce the run.
    command = (f"python -m helpers bench --seconds {args.seconds:g} --models {','.join(models)} --n {args.n} "
               f"--seed {args.seed} --dataset {args.dataset} --out {shlex.quote(args.out)}")
    results = bench.run_bench(models, seconds=args.seconds, n=args.n, seed=args.seed, dataset=args.dataset,
                              out_dir=args.out, label=args.label, command=command,
                              cache=not args.no_cache, resume_rows=args.resume)
    print()
    print(bench.markdown_table(results))
    if args.readme:
        _update_readme(args, results)
    failed = [r["model"] for r in results["results"] if r["status"] == "error"]
    if failed:
        print(f"error: {len(failed)} model(s) failed: {', '.join(failed)} (details in {args.out}/latest.json)",
              file=sys.stderr)
        return 1
    return 0


def _update_readme(args, results):
    from .. import bench
    from ..errors import CommandError

    try:
        bench.update_readme(args.readme, results, results_dir=args.out.rstrip("/"))
    except (OSError, ValueError) as exc:
        raise CommandError(str(exc)) from exc
    print(f"updated the benchmark table in {args.readme}")


def _render(args) -> int:
    import json
    from pathlib import Path

    from .. import bench
    from ..errors import CommandError

    path = Path(args.from_json)
    if not path.is_file():
        raise CommandError(f"{path} does not exist; pass a results JSON written by a bench run "
                           f"(e.g. {args.out}/latest.json)")
    try:
        written = bench.render(path, args.out)
        results = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, KeyError) as exc:
        raise CommandError(f"{path} is not a bench results file: {exc}") from exc
    print(f"wrote {written}")
    if args.readme:
        _update_readme(args, results)
    return 0
