"""Run chapters top to bottom and report each one's wall time and peak memory (for the chapter headers).

    python tools/measure_chapters.py                      # every chapter, full mode, a fresh model store
    python tools/measure_chapters.py 04 05 --mode smoke   # some chapters; --cache DIR reuses a store
    python tools/measure_chapters.py --solved             # solutions/ where a chapter has one (exercises done)

Each chapter runs in its own ``jupyter nbconvert --execute`` process; its peak resident memory is read
from ``os.wait4`` (the largest of the process and its kernel, both waited for), the figure Binder's
2 GB limit is about. Nothing is written into ``chapters/``: the executed copies go to a temporary folder.
Prints one Markdown table row per chapter and, with ``--json FILE``, writes the numbers (tests).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_chapter(notebook: Path, mode: str, cache: Path, timeout_s: int) -> dict:
    """Execute one notebook; return its wall seconds, peak resident MB and exit status (tests)."""
    out = Path(tempfile.mkdtemp(prefix="measure-"))
    env = dict(os.environ, COURSE_MODE=mode, COURSE_CACHE_DIR=str(cache))
    cmd = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
           f"--ExecutePreprocessor.timeout={timeout_s}", "--output-dir", str(out), str(notebook)]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, cwd=notebook.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    error = proc.stderr.read().decode(errors="replace").strip().splitlines()[-1:] if proc.returncode else []
    return {"chapter": notebook.stem, "mode": mode, "seconds": round(seconds, 1),
            "peak_mb": round(usage.ru_maxrss / 1024), "exit": proc.returncode, "error": " ".join(error)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="chapter numbers (default: all)")
    parser.add_argument("--mode", default="full", choices=["full", "smoke"])
    parser.add_argument("--cache", type=Path, help="model store folder (default: a fresh temporary one)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--solved", action="store_true",
                        help="run solutions/NN_*.ipynb where it exists: the chapter as a learner who did the exercises")
    args = parser.parse_args(argv)
    notebooks = sorted((REPO / "chapters").glob("[0-9][0-9]_*.ipynb"))
    if args.solved:
        notebooks = [REPO / "solutions" / nb.name if (REPO / "solutions" / nb.name).is_file() else nb
                     for nb in notebooks]
    if args.chapters:
        notebooks = [nb for nb in notebooks if nb.name[:2] in {c.zfill(2) for c in args.chapters}]
    cache = args.cache or Path(tempfile.mkdtemp(prefix="measure-cache-"))
    print("| chapter | mode | wall time | peak memory | load at start | status |\n|---|---|---:|---:|---|---|")
    results = []
    for nb in notebooks:
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        row = run_chapter(nb, args.mode, cache, args.timeout)
        row["load_at_start"] = load
        results.append(row)
        status = "ok" if row["exit"] == 0 else f"exit {row['exit']}: {row['error']}"
        print(f"| {nb.parent.name}/{row['chapter']} | {row['mode']} | {row['seconds'] / 60:.1f} min | {row['peak_mb']} MB | "
              f"{load} | {status} |", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0 if all(r["exit"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
