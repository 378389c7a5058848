"""Which cells of a chapter raise its peak memory: run a notebook and report each cell's seconds and memory.

    python tools/cell_memory.py solutions/04_vae.ipynb --mode full --cache /tmp/c04
    python tools/cell_memory.py chapters/02_augmentation.ipynb --top 8 --json /tmp/02.json

The notebook runs in a Jupyter kernel like ``tools/measure_chapters.py`` runs it; after every cell this
reads the kernel's resident memory (``VmRSS``) and the peak since the cell started (``VmHWM``, reset before
each cell through ``/proc/<pid>/clear_refs``) from outside the kernel, so the notebook is not changed.
Linux only. Prints the cells that set a new peak and the largest per-cell peaks; the figure to keep under
Binder's 2 GB is the largest ``peak_mb``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def proc_memory(pid: int) -> tuple[int, int]:
    """(resident MB, peak resident MB since the last reset) of process ``pid`` from /proc (tests)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) // 1024  # kB -> MB
    return fields["VmRSS"], fields["VmHWM"]


def reset_peak(pid: int) -> bool:
    """Reset the kernel's peak-RSS counter (``echo 5 > /proc/pid/clear_refs``); False where not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def first_line(cell) -> str:
    """A cell's first non-empty line, shortened (for the report)."""
    for line in cell.source.splitlines():
        if line.strip():
            return line.strip()[:70]
    return ""


def profile(notebook: Path, mode: str, cache: Path | None, timeout_s: int) -> list[dict]:
    """Execute ``notebook`` in its folder; one row per code cell: index, id, seconds, rss_mb, peak_mb."""
    import nbformat
    from nbclient import NotebookClient

    if mode:
        os.environ["COURSE_MODE"] = mode
    if cache:
        os.environ["COURSE_CACHE_DIR"] = str(cache)
    nb = nbformat.read(notebook, as_version=4)
    rows: list[dict] = []
    state: dict = {}
    client = NotebookClient(nb, timeout=timeout_s, kernel_name="python3",
                            resources={"metadata": {"path": str(notebook.parent)}})

    def kernel_pid() -> int:
        return client.km.provisioner.pid

    def on_start(cell, cell_index):
        if cell.cell_type == "code":
            reset_peak(kernel_pid())
            state["t0"] = time.monotonic()

    def on_done(cell, cell_index, execute_reply):
        if cell.cell_type != "code":
            return
        rss, peak = proc_memory(kernel_pid())
        rows.append({"index": cell_index, "id": cell.get("id", ""), "seconds": round(time.monotonic() - state["t0"], 1),
                     "rss_mb": rss, "peak_mb": peak, "source": first_line(cell)})

    client.on_cell_start = on_start
    client.on_cell_executed = on_done
    client.execute()
    return rows


def report(rows: list[dict], top: int) -> str:
    """The cells that set a new running peak, then the ``top`` largest per-cell peaks (tests)."""
    out = ["cells that raised the running peak:", "  cell  seconds  rss MB  peak MB  source"]
    running = 0
    for r in rows:
        if r["peak_mb"] > running:
            running = r["peak_mb"]
            out.append(f"  {r['index']:>4}  {r['seconds']:>7}  {r['rss_mb']:>6}  {r['peak_mb']:>7}  {r['source']}")
    out += ["", f"largest {top} cell peaks:"]
    for r in sorted(rows, key=lambda r: -r["peak_mb"])[:top]:
        out.append(f"  {r['index']:>4}  {r['seconds']:>7}  {r['rss_mb']:>6}  {r['peak_mb']:>7}  {r['source']}")
    total = sum(r["seconds"] for r in rows)
    out.append(f"\npeak {max((r['peak_mb'] for r in rows), default=0)} MB, cells took {total / 60:.1f} min")
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--mode", default="full", choices=["full", "smoke"])
    parser.add_argument("--cache", type=Path, help="model store folder (default: the course's)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--top", type=int, default=6)
    parser.add_argument("--json", type=Path, help="also write every row here")
    args = parser.parse_args(argv)
    if not Path("/proc/self/status").is_file():
        print("cell_memory needs Linux (/proc); use tools/measure_chapters.py for the whole-chapter peak.")
        return 2
    rows = profile(args.notebook.resolve(), args.mode, args.cache, args.timeout)
    print(report(rows, args.top))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
