"""``python -m helpers synth``: turn a course model into a synthetic-data generator.

    python -m helpers synth --model cvae --n 10000 --out samples.npz --seconds 120

Trains the chosen model (or reuses it from the model store, see
``helpers.models.registry.trained``), generates ``--n`` images in chunks while showing
progress, and writes an ``.npz`` with ``x`` (uint8, N x 28 x 28), ``y`` (int64
labels, conditional models only; classes balanced and shuffled) and ``meta``
(a JSON string: model, dataset, seed, budget). The file is written to a
temporary name in the same folder and renamed at the end, so a half-written
file never appears under the final name, and the temporary file is removed on
any failure, Ctrl-C included.

Faults are caught early: the output folder is created and tested for writing
before any training, and samples that are NaN / infinite or blank (a diverged
or untrained model) are refused with a one-line error instead of being written.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from ..atomic import probe_writable, write_atomically
from ..errors import CommandError, CourseError, SampleError

HELP = "train (or load) a course model and write N synthetic images to an .npz file"
DATASETS = ("mnist", "fashion_mnist")
CHUNK = 1000
#: An image whose pixels all lie within this many grey levels (standard deviation, 0..255) of
#: its mean is blank or constant; real MNIST / Fashion-MNIST images are far above it.
BLANK_STD = 2.0


def add_arguments(parser):
    """The options of ``python -m helpers synth`` (command line)."""
    parser.add_argument("--model", required=True, help="registry name, e.g. vae, cvae, dcgan, cgan "
                        "(run with --model list to see those available)")
    parser.add_argument("--n", type=int, default=10000, help="number of images to generate (default 10000)")
    parser.add_argument("--out", help="output .npz file (required unless --model list); "
                        "its folder is created if needed")
    parser.add_argument("--seconds", type=float, default=None,
                        help="wall-clock training budget in seconds (default: the model's full-mode epochs)")
    parser.add_argument("--seed", type=int, default=0, help="seed for training and sampling (default 0)")
    parser.add_argument("--dataset", default="mnist", choices=DATASETS, help="training data (default mnist)")
    parser.add_argument("--retrain", action="store_true", help="ignore the stored model and train again")


def _status(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def balanced_labels(n: int, seed: int, num_classes: int = 10) -> np.ndarray:
    """``n`` labels with every class equally often (up to one), in a seeded random order (command line)."""
    labels = np.arange(n) % num_classes
    np.random.default_rng(seed).shuffle(labels)
    return labels.astype(np.int64)


def check_samples(x, name: str) -> None:
    """Refuse samples from a broken model: :class:`~helpers.errors.SampleError` with a one-line fix.

    Float output (before conversion to uint8) must be finite; uint8 output
    must not be blank, i.e. not every image (nearly) constant: a model whose
    training diverged to NaN produces constant images once converted.
    Called before ``synth`` writes its file (command line).
    """
    x = np.asarray(x)
    fix = ("its training diverged (or is untrained); nothing was written. Retrain it with a lower learning "
           "rate (or a longer --seconds budget) and pass --retrain, so the stored model is not reused")
    if np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.complexfloating):
        finite = np.isfinite(x).reshape(len(x), -1).all(axis=1) if x.ndim else np.isfinite(x).reshape(1)
        if not finite.all():
            raise SampleError(f"model {name!r} produced {np.count_nonzero(~finite):,} of {len(finite):,} images "
                              f"with NaN or infinite pixel values: {fix}.")
        return
    if x.ndim < 2 or len(x) == 0 or not np.issubdtype(x.dtype, np.integer):
        return  # shape and dtype problems are reported by _check_generated
    std = x.reshape(len(x), -1).astype(np.float32).std(axis=1)
    if np.all(std < BLANK_STD):
        value = int(np.median(x))
        raise SampleError(f"model {name!r} produced {len(x):,} blank images (each one a constant grey, "
                          f"typical value {value} of 255): {fix}.")


def check_writable(out: Path) -> None:
    """Create ``out``'s folder and prove a file can be written there, in milliseconds, before any training.

    Called by ``synth`` (command line).
    """
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"cannot create the folder {parent} for --out ({exc.strerror or exc}); "
                           f"choose another --out") from exc
    if out.is_dir():
        raise CommandError(f"--out {out} is a folder; give a file name ending in .npz")
    try:
        probe_writable(parent, prefix=f".{out.name}.")
    except OSError as exc:
        raise CommandError(f"cannot write to the folder {parent} ({exc.strerror or exc}); "
                           f"choose another --out") from exc


def train_or_load(args):
    """The trained model for ``args`` (from the model store when it holds one): the one call into the registry.

    Called by ``synth`` (command line).
    """
    from ..models import registry

    return registry.trained(args.model, dataset=args.dataset, seconds=args.seconds, seed=args.seed,
                            retrain=args.retrain or None).model  # None: COURSE_RETRAIN=1 can force it


def _check_generated(x, y, n_expected: int, conditional: bool, name: str):
    x = np.asarray(x)
    if x.shape != (n_expected, 28, 28) or x.dtype != np.uint8:
        raise CommandError(f"model {name!r} returned images of shape {x.shape} and dtype {x.dtype}; "
                           f"expected ({n_expected}, 28, 28) uint8 (a bug in the model's recipe).")
    if conditional and (y is None or np.shape(y) != (n_expected,)):
        raise CommandError(f"conditional model {name!r} returned labels of shape {np.shape(y)}, "
                           f"expected ({n_expected},) (a bug in the model's recipe).")
    return x, (None if y is None else np.asarray(y, dtype=np.int64))


def write_npz_atomic(path: Path, **arrays) -> None:
    """``np.savez_compressed`` to a temporary file next to ``path``, then an atomic rename (command line)."""
    write_atomically(path, lambda fh: np.savez_compressed(fh, **arrays), suffix=".part")


def run(args) -> int:
    """Run ``python -m helpers synth`` with the parsed ``args``; returns the exit code (command line)."""
    if args.model == "list":
        from ..models import registry

        for name, recipe in sorted(registry.recipes().items()):
            print(f"{name:10s} {'conditional  ' if recipe.conditional else 'unconditional'}  {recipe.description}")
        return 0
    # Every check that needs no model comes first: a bad --out fails in milliseconds, not after training.
    if args.n <= 0:
        raise CommandError(f"--n must be a positive number of images, got {args.n}")
    if args.seconds is not None and not args.seconds > 0:
        raise CommandError(f"--seconds must be a positive training budget, got {args.seconds:g}")
    if not args.out:
        raise CommandError("--out is required: the .npz file to write, e.g. --out samples.npz")
    out = Path(args.out).expanduser()
    if out.suffix != ".npz":
        raise CommandError(f"--out must end in .npz (got {out.name!r}); e.g. --out samples.npz")
    check_writable(out)

    from ..models import registry

    available = registry.recipes()
    if args.model not in available:
        raise CommandError(f"unknown model {args.model!r}; available: "
                           f"{', '.join(sorted(available)) or 'none yet (no model modules found)'}")
    recipe = available[args.model]
    budget = "full-mode epochs" if args.seconds is None else f"a {args.seconds:g}-second budget"
    _status(f"[1/3] {args.model}: training on {args.dataset} with {budget} (or loading it from the model store)")
    start = time.perf_counter()
    model = train_or_load(args)
    _status(f"      ready after {time.perf_counter() - start:.1f} s")

    labels = balanced_labels(args.n, args.seed) if recipe.conditional else None
    xs, ys = [], []
    start = time.perf_counter()
    for i, lo in enumerate(range(0, args.n, CHUNK)):
        hi = min(lo + CHUNK, args.n)
        x, y = recipe.generate(model, hi - lo, seed=args.seed + i,
                               labels=None if labels is None else labels[lo:hi])
        check_samples(x, args.model)
        x, y = _check_generated(x, y, hi - lo, recipe.conditional, args.model)
        xs.append(x)
        ys.append(y)
        rate = hi / max(time.perf_counter() - start, 1e-9)
        _status(f"[2/3] generated {hi:,}/{args.n:,} images ({rate:,.0f} images/s)")
    x = np.concatenate(xs)
    arrays = {"x": x}
    if recipe.conditional:
        arrays["y"] = np.concatenate(ys)
    meta = {"model": args.model, "dataset": args.dataset, "seed": args.seed, "seconds": args.seconds,
            "n": args.n, "conditional": recipe.conditional}
    arrays["meta"] = np.array(json.dumps(meta))
    try:
        write_npz_atomic(out, **arrays)
    except OSError as exc:
        raise CourseError(f"could not write {out} ({exc.__class__.__name__}: {exc}); nothing was written. "
                          f"Free some space or choose another --out") from exc
    _status(f"[3/3] wrote {out} (x {x.shape} uint8" + (", y labels" if recipe.conditional else "") + ")")
    print(out)
    return 0
