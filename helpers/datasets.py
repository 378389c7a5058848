"""Loading and checking MNIST and Fashion-MNIST: the data layer's public entry point.

Every chapter imports its data names from here. The implementation is split
by concern, and every public name of those modules is re-exported here
(see ``__all__``):

* :mod:`helpers.data_sources`: the files, checksums and source search order
  (:func:`candidate_sources`), IDX parsing and verification (:func:`verify_file`);
* :mod:`helpers.downloads`: :func:`download` and :func:`repair_folder`
  (``python -m helpers data --download``);
* :mod:`helpers.pipelines`: splits, subsets, scaling and ``tf.data``
  (:func:`stratified_split`, :func:`balanced_subset`, :func:`to_float`,
  :func:`to_uint8`, :func:`make_dataset`);
* this module: :func:`load` and its shortcuts, :func:`check`, :func:`describe_source`.

Where the data comes from (an argument or ``COURSE_DATA_DIR``, the course's
``datasets/`` folder, Debian's ``/usr/share/datasets``, Keras's cache; first
match wins) is listed in :mod:`helpers.data_sources`.

Every file is verified (size, IDX magic number, counts and a SHA-256 of the
uncompressed content) before any array is returned, so a truncated or corrupt
download fails loudly, naming the file and the fix, instead of training on
garbage. Nothing touches the network when the data is already present.

``python -m helpers data --download`` (:func:`download`) repairs a folder:
each missing or bad file is fetched to a temporary name next to it, verified
the same way, and only then renamed over the old one; a download that does
not verify leaves the old file as it was.

The constants re-exported here are copies: to point the loader at other
folders in a test, patch ``helpers.data_sources.COURSE_DATA_DIR`` /
``DEBIAN_DATA_DIR`` (and ``helpers.downloads._fetch`` to serve local bytes).
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from . import data_sources, downloads, pipelines
from .data_sources import *  # noqa: F403 - sources and verification (see data_sources.__all__)
from .data_sources import _canonical, _find_file, _fix_hint, _idx_bytes, _read_bytes, _verify_content
from .downloads import *  # noqa: F403 - downloading and repairing
from .downloads import _download_to_keras_cache
from .errors import DatasetError, DownloadError
from .pipelines import *  # noqa: F403 - splits, subsets, scaling, tf.data

__all__ = [*data_sources.__all__, *downloads.__all__, *pipelines.__all__, "DatasetError", "DownloadError",
           "check", "describe_source", "load", "load_fashion_mnist", "load_mnist"]


def _load_source(source: Source) -> dict[str, np.ndarray]:
    name = source.name
    arrays = {}
    if source.path.suffix == ".npz":  # Keras's cached mnist.npz
        keys = {"train_images": "x_train", "train_labels": "y_train",
                "test_images": "x_test", "test_labels": "y_test"}
        try:
            with np.load(source.path) as npz:
                for role, key in keys.items():
                    arr = npz[key].astype(np.uint8)
                    arrays[role] = _verify_content(_idx_bytes(arr, FILES[role][1]),
                                                   f"{source.path}[{key}]", name, role)
        except DatasetError:
            raise
        except Exception as exc:
            raise DatasetError(f"{source.path} cannot be read ({exc}). Delete it and download again.") from exc
        return arrays
    for role, (base, _magic, _shape) in FILES.items():
        path = _find_file(source.path, base)
        if path is None:
            raise DatasetError(
                f"{source.path / (base + '.gz')} is missing (the folder {source.path} holds only part of "
                f"{name}). {_fix_hint(name)}"
            )
        arrays[role] = _verify_content(_read_bytes(path), path, name, role)
    labels_ok = all(arrays[r].max() < 10 for r in ("train_labels", "test_labels"))
    if not labels_ok:  # unreachable with valid checksums, kept for clarity
        raise DatasetError(f"{source.path}: labels outside 0..9.")
    return arrays


@lru_cache(maxsize=4)
def _load_cached(name: str, data_dir: str | None, env_value: str | None):
    sources = candidate_sources(name, data_dir)
    if not sources:
        source = _download_to_keras_cache(name)
    else:
        source = sources[0]
    arrays = _load_source(source)
    for arr in arrays.values():
        arr.setflags(write=False)
    return source, arrays


def load(name: str = "mnist", data_dir: str | os.PathLike | None = None):
    """Load a dataset as ``(x_train, y_train), (x_test, y_test)``.

    Images are uint8 arrays of shape (N, 28, 28), labels uint8 of shape (N,).
    Raises :class:`DatasetError` (naming the file and the fix) if any file is
    missing, truncated or corrupt; never returns partial data (chapters 01 and 06).
    """
    name = _canonical(name)
    _, arrays = _load_cached(name, None if data_dir is None else str(data_dir), os.environ.get(DATA_ENV))
    return ((arrays["train_images"].copy(), arrays["train_labels"].copy()),
            (arrays["test_images"].copy(), arrays["test_labels"].copy()))


def load_mnist(data_dir=None):
    """MNIST digits: ``(x_train, y_train), (x_test, y_test)``, uint8 (chapters 00, 02-05)."""
    return load("mnist", data_dir)


def load_fashion_mnist(data_dir=None):
    """Fashion-MNIST: ``(x_train, y_train), (x_test, y_test)``, uint8 (chapter 03)."""
    return load("fashion_mnist", data_dir)


def describe_source(name: str = "mnist", data_dir=None) -> str:
    """Short text saying where ``name`` is found, without loading it: ``setup()``'s banner (all chapters)."""
    sources = candidate_sources(name, data_dir)
    if not sources:
        return f"{name} not found locally (will try to download to Keras's cache)"
    return f"{sources[0].kind} {sources[0].path}"


def check(name: str, data_dir=None) -> tuple[bool, str]:
    """Verify a dataset where it is found. Returns ``(ok, message)``; no download (chapter 00)."""
    name = _canonical(name)
    try:
        sources = candidate_sources(name, data_dir)
    except DatasetError as exc:
        return False, str(exc)
    if not sources:
        return True, f"not found locally. {_fix_hint(name)} (Keras downloads it on first use where the network allows.)"
    try:
        _load_source(sources[0])
    except DatasetError as exc:
        return False, str(exc)
    return True, f"found in {sources[0]}: 4 files verified (size, IDX header, sha256)"
