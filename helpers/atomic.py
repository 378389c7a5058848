"""Files that are whole or absent: atomic writes and a write probe (the command line, the benchmark, training).

A leaf module: it imports nothing of ours, so every layer can use it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path, write, suffix: str = ".tmp") -> None:
    """``write(binary_file)`` into a temporary file beside ``path``, then rename it to ``path`` (command line).

    On any error, Ctrl-C included, the temporary file is removed and ``path`` is left as it was. Used by
    ``synth``, the benchmark's results files and the training recorder's resume state.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def probe_writable(folder, prefix: str = ".write-test.") -> None:
    """Create ``folder`` and write and delete one file there; raises ``OSError`` if it cannot (command line).

    ``synth`` and ``bench`` call it before training, so a bad ``--out`` fails in milliseconds.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fd, probe = tempfile.mkstemp(prefix=prefix, suffix=".probe", dir=folder)
    os.close(fd)
    os.unlink(probe)
