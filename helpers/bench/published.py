"""The published benchmark numbers, read back for a chapter: chapter 05 §7 shows rows it has no time to train.

A chapter that quotes the benchmark prints these rows instead of copying
numbers into its prose, so the text cannot drift from the files.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..paths import PROJECT_ROOT

BENCHMARKS = PROJECT_ROOT / "benchmarks"


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def published_rows(models, path=None) -> dict[str, dict]:
    """``{model: {"fd_ratio", "precision", "recall", "batches", "seconds"}}`` from ``benchmarks/latest.json`` (chapter 05 §7).

    Models without a measured row are left out; a missing or unreadable file gives ``{}``.
    """
    results = _read(Path(path) if path else BENCHMARKS / "latest.json") or {}
    rows = {}
    for row in results.get("results", []):
        if row.get("model") in models and row.get("status") == "ok":
            m, t = row.get("metrics", {}), row.get("train", {})
            rows[row["model"]] = {"fd_ratio": m.get("fd_ratio"), "precision": m.get("precision"),
                                  "recall": m.get("recall"), "batches": t.get("batches"),
                                  "seconds": (results.get("settings") or {}).get("seconds")}
    return {name: rows[name] for name in models if name in rows}


def ablation_rows(path=None) -> tuple[dict[str, dict], list]:
    """``({variant: {"fd_ratio": (mean, min, max), "recall": (...), "batches": (...)}}, seeds)`` of the DCGAN ablation.

    Chapter 05 §7 prints them; ``batches`` (training steps each variant got in its wall-clock budget) is there only when
    the summary records it, so a reader can tell a better variant from a faster machine.

    Read from ``benchmarks/gan_ablation/summary.json`` (``tools/gan_ablation.py``); ``({}, [])`` when it is absent.
    """
    summary = _read(Path(path) if path else BENCHMARKS / "gan_ablation" / "summary.json") or {}
    rows = {}
    for name, stats in summary.get("summary", {}).items():
        rows[name] = {k: (stats[k]["mean"], stats[k]["min"], stats[k]["max"])
                      for k in ("fd_ratio", "recall", "batches") if stats.get(k)}
    return rows, list(summary.get("seeds", []))
