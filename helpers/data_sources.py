"""Where MNIST and Fashion-MNIST are found, and whether their files are intact.

The facts about the datasets (file names, IDX magic numbers and shapes,
SHA-256 checksums, folder names, class names), the source search order of
:func:`candidate_sources` and the verification of every file
(:func:`parse_idx`, :func:`verify_file`). :mod:`helpers.datasets` loads with
these and :mod:`helpers.downloads` verifies downloads with them; import the
public names from :mod:`helpers.datasets`.

Where the data comes from, first match wins:

1. a folder passed as ``data_dir=`` or in the ``COURSE_DATA_DIR`` environment
   variable, holding ``mnist/`` and/or ``fashion-mnist/`` with the four
   standard IDX files (``.gz`` or uncompressed);
2. the course's own ``datasets/<name>/`` folder (``python -m helpers data
   --download`` fills it);
3. Debian's ``/usr/share/datasets/<name>/`` (package ``dataset-fashion-mnist``);
4. Keras's cache (``~/.keras/datasets``), downloading there as a last resort.

``COURSE_DATA_DIR`` and ``DEBIAN_DATA_DIR`` are read from this module when
used (tests point them elsewhere by patching them here).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DatasetError, UsageError
from .paths import PROJECT_ROOT

__all__ = ["CHECKSUMS", "CLASS_NAMES", "COURSE_DATA_DIR", "DATA_ENV", "DEBIAN_DATA_DIR", "FILES", "FOLDERS", "Source",
           "candidate_sources", "parse_idx", "verify_file"]

DATA_ENV = "COURSE_DATA_DIR"
COURSE_DATA_DIR = PROJECT_ROOT / "datasets"
DEBIAN_DATA_DIR = Path("/usr/share/datasets")

CLASS_NAMES = {
    "mnist": [str(d) for d in range(10)],
    "fashion_mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
}

FILES = {  # role -> (file name, IDX magic, expected shape)
    "train_images": ("train-images-idx3-ubyte", 2051, (60000, 28, 28)),
    "train_labels": ("train-labels-idx1-ubyte", 2049, (60000,)),
    "test_images": ("t10k-images-idx3-ubyte", 2051, (10000, 28, 28)),
    "test_labels": ("t10k-labels-idx1-ubyte", 2049, (10000,)),
}

# SHA-256 of the *uncompressed* IDX bytes: .gz bytes differ between mirrors.
CHECKSUMS = {
    "mnist": {
        "train_images": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train_labels": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "test_images": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "test_labels": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion_mnist": {
        "train_images": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train_labels": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "test_images": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "test_labels": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}

FOLDERS = {"mnist": ("mnist",), "fashion_mnist": ("fashion-mnist", "fashion_mnist")}

def _canonical(name: str) -> str:
    key = name.strip().lower().replace("-", "_")
    if key not in CHECKSUMS:
        raise UsageError(f"Unknown dataset {name!r}; choose one of {sorted(CHECKSUMS)}.")
    return key


def _fix_hint(name: str) -> str:
    return (
        f"Fixes: run `python -m helpers data --download` (needs internet), or copy the four IDX "
        f"files into datasets/{FOLDERS[name][0]}/, or point {DATA_ENV} at a folder holding "
        f"{FOLDERS[name][0]}/."
    )


@dataclass
class Source:
    """Where a dataset was found: ``kind`` is env/course/debian/keras-cache (chapter 00's ``check``)."""

    name: str
    kind: str
    path: Path

    def __str__(self) -> str:
        return f"{self.kind} ({self.path})"


# --------------------------------------------------------------------- locate
def _find_file(folder: Path, base: str) -> Path | None:
    for candidate in (folder / (base + ".gz"), folder / base):
        if candidate.is_file():
            return candidate
    return None


def _idx_folder(root: Path, name: str) -> Path | None:
    """The dataset's folder under ``root`` if any of its files is there."""
    for sub in FOLDERS[name]:
        folder = root / sub
        if any(_find_file(folder, f[0]) for f in FILES.values()):
            return folder
    return None


def _keras_cache_dir() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"


def candidate_sources(name: str, data_dir: str | os.PathLike | None = None) -> list[Source]:
    """All places, in priority order, that currently hold (part of) the dataset (chapter 00)."""
    name = _canonical(name)
    found = []
    explicit = data_dir if data_dir is not None else os.environ.get(DATA_ENV) or None
    if explicit is not None:
        root = Path(explicit).expanduser()
        origin = "data_dir argument" if data_dir is not None else f"{DATA_ENV}"
        if not root.is_dir():
            raise DatasetError(
                f"{origin} points to {root}, which is not a folder. Set it to a folder holding "
                f"{FOLDERS[name][0]}/ with the IDX files (e.g. `export {DATA_ENV}=../shared/datasets`), "
                f"or unset it to use the other sources."
            )
        folder = _idx_folder(root, name)
        if folder:
            found.append(Source(name, "env" if data_dir is None else "argument", folder))
    for kind, root in (("course", COURSE_DATA_DIR), ("debian", DEBIAN_DATA_DIR)):
        folder = _idx_folder(root, name)
        if folder:
            found.append(Source(name, kind, folder))
    cache = _keras_cache_dir()
    if name == "mnist" and (cache / "mnist.npz").is_file():
        found.append(Source(name, "keras-cache", cache / "mnist.npz"))
    if name == "fashion_mnist" and _idx_folder(cache, name):
        found.append(Source(name, "keras-cache", _idx_folder(cache, name)))
    return found


# --------------------------------------------------------------------- verify
def _read_bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return path.read_bytes()
    except (EOFError, OSError, zlib.error) as exc:
        raise DatasetError(
            f"{path} is not a readable gzip file ({exc}); it is probably truncated or corrupt "
            f"({path.stat().st_size:,} bytes on disk). Delete it and fetch it again."
        ) from exc


def parse_idx(raw: bytes, path: str | Path, magic: int, shape: tuple) -> np.ndarray:
    """Check an IDX byte string against its expected magic and shape; return uint8 array (chapter 00)."""
    ndim = len(shape)
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(f"{path} is too short to be an IDX file ({len(raw)} bytes).")
    got_magic = struct.unpack(">i", raw[:4])[0]
    if got_magic != magic:
        kinds = {2049: "a label file", 2051: "an image file"}
        raise DatasetError(
            f"{path} has IDX magic number {got_magic}, expected {magic} "
            f"({kinds.get(magic, 'IDX')}); the file is corrupt or is a different file under this name."
        )
    dims = struct.unpack(">" + "i" * ndim, raw[4:header])
    if tuple(dims) != tuple(shape):
        raise DatasetError(
            f"{path} declares shape {tuple(dims)}, expected {tuple(shape)}; "
            f"it is the wrong file (e.g. train and test swapped) or corrupt."
        )
    expected_len = header + int(np.prod(shape))
    if len(raw) != expected_len:
        raise DatasetError(
            f"{path} is truncated or padded: {len(raw):,} bytes of content, expected {expected_len:,}."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _verify_content(raw: bytes, path, name: str, role: str, hint: bool = True) -> np.ndarray:
    fname, magic, shape = FILES[role]
    array = parse_idx(raw, path, magic, shape)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != CHECKSUMS[name][role]:
        raise DatasetError(
            f"{path} has the right size but different content (sha256 {digest[:12]}…, expected "
            f"{CHECKSUMS[name][role][:12]}…): the file is corrupt or edited." + (f" {_fix_hint(name)}" if hint else "")
        )
    return array


def verify_file(path: str | os.PathLike, name: str, role: str) -> np.ndarray:
    """Check one IDX file (``.gz`` or not) exactly as the loader does; :class:`DatasetError` if it is bad.

    Chapter 00 (``python -m helpers data`` verifies every file with it).
    """
    return _verify_content(_read_bytes(Path(path)), path, _canonical(name), role)


def _idx_bytes(array: np.ndarray, magic: int) -> bytes:
    return struct.pack(">i", magic) + struct.pack(">" + "i" * array.ndim, *array.shape) + \
        np.ascontiguousarray(array, dtype=np.uint8).tobytes()


