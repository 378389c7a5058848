"""``python -m helpers evaluate samples.npz``: every course metric for a file of samples.

The file holds ``x`` (N x 28 x 28 images: uint8, or floats in [0, 1] or
[-1, 1]) and optionally ``y`` (labels, for conditional models), as written by
``python -m helpers synth``. Prints a table of metrics next to real-data
baselines, or JSON with ``--json``. Progress goes to stderr.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import numpy as np

from ..errors import CommandError

HELP = "score synthetic images in an .npz file (x, optional y) with every course metric"


def add_arguments(parser):
    """The options of ``python -m helpers evaluate`` (command line)."""
    from ..metrics import ALL_METRICS, TSTR_EPOCHS

    parser.add_argument("path", help=".npz file with x (and y for conditional samples)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--dataset", default=None, choices=("mnist", "fashion_mnist"),
                        help="real data to compare with (default: the file's meta, else mnist)")
    parser.add_argument("--metrics", default=",".join(ALL_METRICS),
                        help=f"comma-separated subset of: {', '.join(ALL_METRICS)} (default: all)")
    parser.add_argument("--tstr-epochs", type=int, default=TSTR_EPOCHS,
                        help=f"epochs of the fixed TSTR classifier (default {TSTR_EPOCHS})")
    parser.add_argument("--seed", type=int, default=0, help="seed for subsets and TSTR (default 0)")


def load_samples(path: str) -> tuple[np.ndarray, np.ndarray | None, dict]:
    """``(x, y_or_None, meta)`` from an ``.npz``; clear :class:`CommandError` for bad files (command line)."""
    p = Path(path).expanduser()
    if not p.exists():
        raise CommandError(f"{p} does not exist; create one with `python -m helpers synth --out {p.name} ...`")
    if p.is_dir():
        raise CommandError(f"{p} is a folder; pass an .npz file")
    try:
        with np.load(p, allow_pickle=False) as data:
            keys = set(data.files)
            if "x" not in keys:
                raise CommandError(f"{p} has arrays {sorted(keys) or 'none'}, but no 'x' with the images")
            x = data["x"]
            y = data["y"] if "y" in keys else None
            meta = json.loads(str(data["meta"])) if "meta" in keys else {}
    except CommandError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, json.JSONDecodeError) as exc:
        raise CommandError(f"{p} is not a readable .npz file ({exc.__class__.__name__}: {exc}); "
                           f"was it truncated or written by something else?") from exc
    return x, y, meta if isinstance(meta, dict) else {}


def run(args) -> int:
    """Run ``python -m helpers evaluate`` with the parsed ``args``; returns the exit code (command line)."""
    from .. import metrics

    chosen = tuple(m.strip() for m in args.metrics.split(",") if m.strip())
    unknown = sorted(set(chosen) - set(metrics.ALL_METRICS))
    if unknown or not chosen:
        raise CommandError(f"unknown metrics {unknown}; choose from {', '.join(metrics.ALL_METRICS)}")
    if args.tstr_epochs < 1:
        raise CommandError(f"--tstr-epochs must be at least 1, got {args.tstr_epochs}")
    x, y, meta = load_samples(args.path)
    dataset = args.dataset or meta.get("dataset", "mnist")
    try:
        images = metrics.as_images(x, name=f"x in {args.path}")
        labels = None if y is None else metrics.as_labels(y, len(images), name=f"y in {args.path}")
        if len(images) < 10:
            raise CommandError(f"{args.path} holds {len(images)} images; the metrics need at least 10")
        results = metrics.evaluate_samples(
            images, labels, dataset=dataset, metrics=chosen, tstr_epochs=args.tstr_epochs, seed=args.seed,
            verbose=lambda msg: print(msg, file=sys.stderr, flush=True))
    except metrics.MetricsError as exc:
        raise CommandError(str(exc)) from exc
    except FileNotFoundError as exc:
        raise CommandError(str(exc)) from exc
    results["file"] = str(args.path)
    if meta:
        results["meta"] = meta
    if args.json:
        print(json.dumps(metrics.summary(results), indent=2, default=float))
    else:
        print(metrics.format_results(results))
    return 0
