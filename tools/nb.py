"""Developer tool: build or check chapter notebooks.

``python tools/nb.py strip source/*.ipynb`` removes outputs and execution
counts in place (notebooks are committed clean; a test enforces it).
``python tools/nb.py new source/07_x.ipynb "Title"`` writes a chapter skeleton
with the badge, the canonical Colab cell and the standard sections.
``python tools/nb.py colab-cell source/*.ipynb`` rewrites each notebook's first
code cell to ``helpers.runtime.COLAB_SETUP_CELL`` after that constant changed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from helpers.runtime import COLAB_SETUP_CELL, colab_badge  # noqa: E402


def strip(path: str) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)


def colab_cell(path: str) -> None:
    """Replace the first code cell's source with the canonical Colab cell (command line)."""
    nb = nbformat.read(path, as_version=4)
    first = next(cell for cell in nb.cells if cell.cell_type == "code")
    first.source = COLAB_SETUP_CELL
    first.outputs = []
    first.execution_count = None
    nbformat.write(nb, path)


def new(path: str, title: str) -> None:
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        md(f"{colab_badge('chapters/' + Path(path).name)}\n\n# {title}\n\n**Learning objectives.** After this chapter you can …\n\n"
           "**Estimated time (full mode):** CPU (2 cores) … min · GPU … min. **Prerequisites:** …"),
        code(COLAB_SETUP_CELL),
        code("from helpers import setup, by_mode\n\nINFO = setup(seed=42)"),
        md("## Parameters"),
        code("EPOCHS = by_mode(full=10, smoke=1)  # passes over the training data"),
        md("## Summary"), md("## Exercises"), md("## References"),
    ]
    nbformat.write(nb, path)


if __name__ == "__main__":
    cmd, *rest = sys.argv[1:]
    if cmd == "strip":
        for p in rest:
            strip(p)
    elif cmd == "colab-cell":
        for p in rest:
            colab_cell(p)
    elif cmd == "new":
        new(rest[0], rest[1])
    else:
        sys.exit(f"unknown command {cmd!r}")
