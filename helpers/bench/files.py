"""The benchmark's files on disk: atomic writes, the ``--out`` check, the results JSON and the samples archives.

Every file is written to a temporary name beside it and renamed into place,
so a killed or interrupted run leaves the previous file or the new one, never
half of one, and (Ctrl-C included) no temporary file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ..atomic import probe_writable, write_atomically
from ..errors import CommandError

PARTIAL_JSON, PARTIAL_SAMPLES = "partial.json", "partial-samples.npz"
LATEST_JSON, LATEST_SAMPLES, SAMPLES_PNG = "latest.json", "samples-latest.npz", "samples-latest.png"
#: Samples kept per model in the ``.npz`` archives (the figure draws 20).
KEPT_SAMPLES = 20


def jsonable(value):
    """``value`` ready for strict JSON: numpy scalars as numbers, arrays dropped (None), NaN/inf as None.

    Used for the benchmark's rows (benchmark).
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return None  # per-sample arrays are not worth storing
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def json_text(results: dict) -> str:
    """A benchmark results dict as the strict JSON text of ``latest.json`` / ``partial.json`` (benchmark)."""
    return json.dumps(jsonable(results), indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def atomic(path, write) -> None:
    """``write(binary_file)`` into a temporary file beside ``path``, then rename it to ``path`` (benchmark).

    See :func:`helpers.atomic.write_atomically`: on any error ``path`` is left as it was.
    """
    write_atomically(path, write)


def atomic_write_text(path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically, see :func:`atomic` (benchmark)."""
    atomic(path, lambda fh: fh.write(text.encode("utf-8")))


def prepare_out_dir(out_dir) -> Path:
    """Create the benchmark's ``--out`` folder and prove a file can be written there, before any training.

    Raises :class:`~helpers.errors.CommandError` (one line) when it cannot be; returns the absolute folder.
    Called by ``bench`` and :func:`run_bench` (benchmark).
    """
    out = Path(out_dir)
    out = out if out.is_absolute() else Path.cwd() / out
    try:
        probe_writable(out)
    except OSError as exc:
        raise CommandError(f"cannot write the benchmark results to --out {out_dir} "
                           f"({exc.strerror or exc.__class__.__name__}); choose another --out") from exc
    return out


def samples_key(row: dict) -> str:
    """The ``.npz`` key of a row's samples: model and measurement time, so stale samples never match a row.

    Used by :func:`write_samples` and :func:`read_samples` (benchmark).
    """
    return f"{row['model']}/{row.get('measured_utc', '')}"


def write_samples(path, rows: list[dict], samples: dict) -> None:
    """The first :data:`KEPT_SAMPLES` samples of each row that has some (``samples``: model -> uint8 array).

    Called by :mod:`helpers.bench.report` (benchmark).
    """
    arrays = {samples_key(r): np.asarray(samples[r["model"]][:KEPT_SAMPLES], np.uint8)
              for r in rows if r["model"] in samples}
    atomic(path, lambda fh: np.savez_compressed(fh, **arrays))


def read_samples(path, rows: list[dict]) -> dict:
    """The samples of ``rows`` found in the archive at ``path`` (model -> array); {} when it is absent or unreadable.

    Called by ``bench --resume`` (benchmark).
    """
    try:
        with np.load(path) as stored:
            return {r["model"]: stored[samples_key(r)] for r in rows if samples_key(r) in stored.files}
    except Exception:  # noqa: BLE001 - absent or damaged: the figure just lacks those rows
        return {}


def read_results(path) -> dict | None:
    """A saved benchmark results JSON, None when there is none; CommandError when it is not one.

    Called by ``bench --resume`` (benchmark).
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(results.get("results"), list):
            raise ValueError("no 'results' list")
    except (OSError, ValueError, AttributeError) as exc:
        raise CommandError(f"--resume: {path} is not a bench results file ({exc.__class__.__name__}: {exc}); "
                           "delete it or run without --resume") from exc
    return results
