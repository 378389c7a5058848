"""Downloading and repairing the dataset files (``python -m helpers data --download``).

:func:`download` repairs a folder: each missing or bad file is fetched to a
temporary name next to it, verified exactly as the loader verifies it
(:mod:`helpers.data_sources`), and only then renamed over the old one; a
download that does not verify leaves the old file as it was.
:func:`repair_folder` picks the folder to repair, and the loader downloads
into Keras's cache as its last resort. Import the public names from
:mod:`helpers.datasets`; tests replace :func:`_fetch` here to serve local bytes.
"""

from __future__ import annotations

import gzip
import os
import tempfile
import urllib.request
import zlib
from collections.abc import Callable
from pathlib import Path

from . import data_sources  # COURSE_DATA_DIR / DEBIAN_DATA_DIR are read there when used
from .data_sources import (
    DATA_ENV,
    FILES,
    FOLDERS,
    Source,
    _canonical,
    _find_file,
    _idx_folder,
    _keras_cache_dir,
    _verify_content,
    candidate_sources,
    verify_file,
)
from .errors import DatasetError, DownloadError

__all__ = ["DOWNLOAD_URLS", "download", "repair_folder"]

DOWNLOAD_URLS = {
    "mnist": "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "fashion_mnist": "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
}


def _offline_hint(name: str) -> str:
    folder = FOLDERS[name][0]
    hint = (f"copy the four IDX files into a folder's {folder}/ sub-folder and set "
            f"{DATA_ENV} to that folder, or copy them into the course's datasets/{folder}/")
    if name == "fashion_mnist":
        hint += (f", or install Debian's package dataset-fashion-mnist "
                 f"(`apt-get install dataset-fashion-mnist`, files in {data_sources.DEBIAN_DATA_DIR / folder}/)")
    return hint + "."


def _fetch(url: str, dest: Path) -> None:
    """Stream ``url`` into the file ``dest`` (a temporary file the caller verifies and renames).

    Network problems raise :class:`OSError` (``urllib.error.URLError`` is one).
    Tests replace this function to serve local bytes.
    """
    with open(dest, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
        while chunk := response.read(1 << 20):
            out.write(chunk)


def _fetch_verified(name: str, role: str, target: Path) -> None:
    """Download one file to a temporary name beside ``target``, verify it, then rename it over ``target``.

    ``target`` keeps its format: a ``.gz`` name gets the downloaded gzip, a plain
    name the verified uncompressed bytes. If anything fails (network, a download
    that does not verify, Ctrl-C) the temporary file is removed and ``target``
    is left exactly as it was.
    """
    base = FILES[role][0]
    url = DOWNLOAD_URLS[name] + base + ".gz"
    try:
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    except OSError as exc:
        raise DatasetError(f"Cannot write into {target.parent} ({exc}); choose a writable folder "
                           f"with --data-dir or {DATA_ENV}.") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    kept = f"Kept the old {target} unchanged" if target.exists() else "Nothing was written"
    try:
        try:
            _fetch(url, tmp)
        except OSError as exc:
            raise DownloadError(
                f"Could not download {base}.gz for {name} from {url} ({exc}): is this machine offline? {kept}. "
                f"Offline alternatives: {_offline_hint(name)}"
            ) from exc
        try:
            with gzip.open(tmp, "rb") as fh:
                raw = fh.read()
            _verify_content(raw, f"the downloaded {base}.gz", name, role, hint=False)
        except (EOFError, OSError, zlib.error) as exc:
            raise DatasetError(f"The downloaded {base}.gz from {url} is not a readable gzip file ({exc}). "
                               f"{kept}. Try again later, or {_offline_hint(name)}") from exc
        except DatasetError as exc:
            raise DatasetError(f"{exc} The download from {url} failed verification. {kept}. "
                               f"Try again later, or {_offline_hint(name)}") from exc
        if target.suffix != ".gz":
            tmp.write_bytes(raw)
        os.replace(tmp, target)  # atomic: the final name holds the old file or the verified new one
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def download(name: str, dest_root: str | os.PathLike = data_sources.COURSE_DATA_DIR,
             folder: str | os.PathLike | None = None, report: Callable[[str], None] | None = None) -> Path:
    """Make ``dest_root/<name>/`` (or ``folder``) hold the four verified IDX files; return the folder.

    Files already there are verified and kept when good. A missing, corrupt or
    mismatched one is downloaded to a temporary name in the same folder,
    verified (gzip, size, IDX magic, dimensions, SHA-256) and only then renamed
    over the old one (:func:`os.replace`). Raises :class:`DownloadError` when
    the network fails and :class:`DatasetError` when a download does not
    verify; in both cases the old file is untouched. ``report`` receives one
    line per file that was bad or fetched. Chapter 00 (``python -m helpers data --download``).
    """
    name = _canonical(name)
    folder = Path(folder) if folder is not None else Path(dest_root) / FOLDERS[name][0]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetError(f"Cannot create {folder} ({exc}); choose a writable folder with --data-dir "
                           f"or {DATA_ENV}.") from exc
    say = report or (lambda message: None)
    for role, (base, _magic, _shape) in FILES.items():
        existing = _find_file(folder, base)
        if existing is not None:
            try:
                verify_file(existing, name, role)
                continue
            except DatasetError as exc:
                say(f"{existing.name} is bad ({_first_sentence(exc)}); fetching a fresh copy")
        target = existing or folder / (base + ".gz")
        _fetch_verified(name, role, target)
        say(f"{target.name}: {'replaced by a verified download' if existing else 'downloaded and verified'}")
    return folder


def _first_sentence(exc: Exception) -> str:
    text = str(exc)
    return text.split(". ", 1)[0].rstrip(".")


def repair_folder(name: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Where ``python -m helpers data --download`` puts or repairs ``name``'s files.

    With a ``data_dir`` argument or ``COURSE_DATA_DIR``, that folder (the
    loader looks there first). Otherwise the folder used now when it is ours
    (the course's ``datasets/``, the Keras cache's IDX folder), else (nothing
    found, Debian's read-only system folder, Keras's ``mnist.npz``) the
    course's ``datasets/<name>/``, which the loader tries before those (chapter 00).
    """
    name = _canonical(name)
    explicit = data_dir if data_dir is not None else os.environ.get(DATA_ENV) or None
    if explicit is not None and not Path(explicit).expanduser().exists():
        return Path(explicit).expanduser() / FOLDERS[name][0]  # created by download()
    sources = candidate_sources(name, data_dir)  # DatasetError if the folder is a file
    if explicit is not None:
        root = Path(explicit).expanduser()
        return _idx_folder(root, name) or root / FOLDERS[name][0]
    if sources and sources[0].kind != "debian" and sources[0].path.suffix != ".npz":
        return sources[0].path
    return data_sources.COURSE_DATA_DIR / FOLDERS[name][0]


def _download_to_keras_cache(name: str) -> Source:
    cache = _keras_cache_dir()
    try:
        if name == "mnist":
            download(name, cache)  # IDX files into ~/.keras/datasets/mnist/
            return Source(name, "keras-cache", cache / "mnist")
        download(name, cache)
        return Source(name, "keras-cache", cache / FOLDERS[name][0])
    except DatasetError as exc:
        raise DatasetError(f"{name} is not available locally and the download failed. {exc}") from exc

