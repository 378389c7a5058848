"""Build the learner chapters and the worked solutions from the one source of each chapter.

    python tools/build_chapters.py          # write chapters/NN_*.ipynb and solutions/NN_*.ipynb from source/
    python tools/build_chapters.py --check  # exit 1 and name the files that are stale (a test runs this)

``source/NN_name.ipynb`` is the chapter as an instructor sees it: every build-it exercise solved between
nbgrader's markers, the classroom convention, so ``nbgrader generate_assignment`` and ``autograde`` work on
the same files (docs/instructors.md)::

    ### BEGIN SOLUTION          (code between the markers is the worked solution)
    ### END SOLUTION
    ### BEGIN HIDDEN TESTS      (asserts only the grader runs)
    ### END HIDDEN TESTS

* ``chapters/NN_name.ipynb``, the learner version: each solution replaced by nbgrader's stub
  (``# YOUR CODE HERE`` / ``raise NotImplementedError()``, indented like the markers), hidden tests removed.
  A block at top level is a question's answer (the cell starts with ``my_answer = None``): it keeps only the
  comment, so "run all" goes on and the question's check says "not attempted yet". A markdown block becomes
  ``YOUR ANSWER HERE``, where the learner writes the reasoning.
* ``solutions/NN_name.ipynb``, only for chapters with exercises: the chapter with every solution in place,
  the markers and hidden tests removed, its badge pointing at itself and a note at the top.

Both drop the ``nbgrader`` cell metadata and any outputs. Edit ``source/``, never the generated files.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE, CHAPTERS, SOLUTIONS = "source", "chapters", "solutions"
MARKERS = {"### BEGIN SOLUTION": "### END SOLUTION", "### BEGIN HIDDEN TESTS": "### END HIDDEN TESTS"}
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_STUB = "YOUR ANSWER HERE"


class MarkerError(ValueError):
    """A solution or hidden-test marker without its partner (tests)."""


def _lines(cell) -> list[str]:
    source = cell["source"]
    return ("".join(source) if isinstance(source, list) else source).split("\n")


def _set(cell, lines: list[str]) -> None:
    text = "\n".join(lines)
    cell["source"] = [line + "\n" for line in text.split("\n")[:-1]] + [text.split("\n")[-1]] if text else []
    if cell["source"] and cell["source"][-1] == "":
        cell["source"].pop()


def transform_cell(lines: list[str], keep_solution: bool, markdown: bool = False, where: str = "") -> list[str]:
    """One cell's lines with the marked blocks replaced (learner) or unwrapped (solution) (tests)."""
    out, block, indent = [], None, ""
    for number, line in enumerate(lines, 1):
        marker = line.strip()
        if block is None and marker in MARKERS:
            block, indent = marker, line[: len(line) - len(line.lstrip())]
            if marker == "### BEGIN SOLUTION" and not keep_solution:
                # At top level (a question's answer, after its `my_answer = None` line) only the comment: a
                # `raise` there would stop "run all"; inside a function the raise is the "not attempted" signal.
                stub = CODE_STUB if indent else CODE_STUB[:1]
                out.extend([MARKDOWN_STUB] if markdown else [indent + line for line in stub])
            continue
        if block is not None and marker == MARKERS[block]:
            block = None
            continue
        if marker in MARKERS or marker in MARKERS.values():
            raise MarkerError(f"{where} line {number}: `{marker}` inside or without its block; "
                              f"each BEGIN needs its END, without nesting.")
        if block is None or (block == "### BEGIN SOLUTION" and keep_solution):
            out.append(line)
    if block is not None:
        raise MarkerError(f"{where}: `{block}` has no `{MARKERS[block]}`.")
    return out


def has_solutions(nb: dict) -> bool:
    """Whether any cell holds a ``### BEGIN SOLUTION`` marker (tests)."""
    return any(line.strip() == "### BEGIN SOLUTION" for cell in nb["cells"] for line in _lines(cell))


def version(nb: dict, name: str, keep_solution: bool) -> dict:
    """The learner (``keep_solution=False``) or solutions version of a source notebook (tests)."""
    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb["cells"]):
        where = f"{SOURCE}/{name} cell {index}"
        _set(cell, transform_cell(_lines(cell), keep_solution, cell["cell_type"] == "markdown", where))
        cell.get("metadata", {}).pop("nbgrader", None)
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    if keep_solution and nb["cells"] and nb["cells"][0]["cell_type"] == "markdown":
        first = nb["cells"][0]
        text = "".join(first["source"]).replace(f"/{CHAPTERS}/{name}", f"/{SOLUTIONS}/{name}")
        note = (f"> **Worked solutions.** This is the chapter with every exercise solved and every question "
                f"answered. Try them first in the learner version, [`{CHAPTERS}/{name}`](../{CHAPTERS}/{name}); "
                f"the checks there tell you what is wrong without giving the answer away.\n\n")
        title_at = text.find("\n# ")
        text = text[: title_at + 1] + note + text[title_at + 1:] if title_at >= 0 else note + text
        _set(first, text.split("\n"))
    return nb


def dumps(nb: dict) -> str:
    """The course's notebook formatting (one-space indent, UTF-8 kept), as the committed files have it (tests)."""
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def targets(root: Path = REPO) -> dict[Path, str]:
    """Every generated file and the text it must have, from ``root/source`` (tests)."""
    wanted = {}
    for path in sorted((root / SOURCE).glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        wanted[root / CHAPTERS / path.name] = dumps(version(nb, path.name, keep_solution=False))
        if has_solutions(nb):
            wanted[root / SOLUTIONS / path.name] = dumps(version(nb, path.name, keep_solution=True))
    return wanted


def stale(root: Path = REPO) -> list[str]:
    """Generated files that differ from what ``source/`` gives, or that no source explains (tests)."""
    wanted = targets(root)
    problems = [str(p.relative_to(root)) for p, text in wanted.items()
                if not p.is_file() or p.read_text(encoding="utf-8") != text]
    for folder in (CHAPTERS, SOLUTIONS):
        problems += [f"{p.relative_to(root)} (no source/{p.name})" for p in sorted((root / folder).glob("*.ipynb"))
                     if p not in wanted]
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files (exit 1 if any)")
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = stale()
            for problem in problems:
                print(f"stale: {problem} — edit source/ and run `python tools/build_chapters.py`")
            return 1 if problems else 0
        for path, text in targets().items():
            path.parent.mkdir(exist_ok=True)
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
                print(f"wrote {path.relative_to(REPO)}")
    except MarkerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
