"""Loading, verifying, splitting and feeding MNIST and Fashion-MNIST.

Where the data comes from, first match wins:

1. a folder passed as ``data_dir=`` or in the ``COURSE_DATA_DIR`` environment
   variable, holding ``mnist/`` and/or ``fashion-mnist/`` with the four
   standard IDX files (``.gz`` or uncompressed);
2. the course's own ``datasets/<name>/`` folder (``python -m helpers data
   --download`` fills it);
3. Debian's ``/usr/share/datasets/<name>/`` (package ``dataset-fashion-mnist``);
4. Keras's cache (``~/.keras/datasets``), downloading there as a last resort.

Every file is verified (size, IDX magic number, counts and a SHA-256 of the
uncompressed content) before any array is returned, so a truncated or corrupt
download fails loudly, naming the file and the fix, instead of training on
garbage. Nothing touches the network when the data is already present.

``python -m helpers data --download`` (:func:`download`) repairs a folder:
each missing or bad file is fetched to a temporary name next to it, verified
the same way, and only then renamed over the old one; a download that does
not verify leaves the old file as it was.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import tempfile
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .errors import CourseError, UsageError
from .paths import PROJECT_ROOT

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

DOWNLOAD_URLS = {
    "mnist": "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "fashion_mnist": "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
}


class DatasetError(CourseError, RuntimeError):
    """A dataset is missing, incomplete or corrupt. The message says how to fix it."""


class DownloadError(DatasetError):
    """The network could not be reached (or refused): the message names the offline alternatives."""


def _canonical(name: str) -> str:
    key = name.strip().lower().replace("-", "_")
    if key not in CHECKSUMS:
        raise UsageError(f"Unknown dataset {name!r}; choose one of {sorted(CHECKSUMS)}.")
    return key


def _offline_hint(name: str) -> str:
    folder = FOLDERS[name][0]
    hint = (f"copy the four IDX files into a folder's {folder}/ sub-folder and set "
            f"{DATA_ENV} to that folder, or copy them into the course's datasets/{folder}/")
    if name == "fashion_mnist":
        hint += (f", or install Debian's package dataset-fashion-mnist "
                 f"(`apt-get install dataset-fashion-mnist`, files in {DEBIAN_DATA_DIR / folder}/)")
    return hint + "."


def _fix_hint(name: str) -> str:
    return (
        f"Fixes: run `python -m helpers data --download` (needs internet), or copy the four IDX "
        f"files into datasets/{FOLDERS[name][0]}/, or point {DATA_ENV} at a folder holding "
        f"{FOLDERS[name][0]}/."
    )


@dataclass
class Source:
    """Where a dataset was found: ``kind`` is env/course/debian/keras-cache."""

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
    """All places, in priority order, that currently hold (part of) the dataset."""
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
    """Check an IDX byte string against its expected magic and shape; return uint8 array."""
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
    """Check one IDX file (``.gz`` or not) exactly as the loader does; :class:`DatasetError` if it is bad."""
    return _verify_content(_read_bytes(Path(path)), path, _canonical(name), role)


def _idx_bytes(array: np.ndarray, magic: int) -> bytes:
    return struct.pack(">i", magic) + struct.pack(">" + "i" * array.ndim, *array.shape) + \
        np.ascontiguousarray(array, dtype=np.uint8).tobytes()


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
    missing, truncated or corrupt; never returns partial data.
    """
    name = _canonical(name)
    _, arrays = _load_cached(name, None if data_dir is None else str(data_dir), os.environ.get(DATA_ENV))
    return ((arrays["train_images"].copy(), arrays["train_labels"].copy()),
            (arrays["test_images"].copy(), arrays["test_labels"].copy()))


def load_mnist(data_dir=None):
    """MNIST digits: ``(x_train, y_train), (x_test, y_test)``, uint8."""
    return load("mnist", data_dir)


def load_fashion_mnist(data_dir=None):
    """Fashion-MNIST: ``(x_train, y_train), (x_test, y_test)``, uint8."""
    return load("fashion_mnist", data_dir)


def describe_source(name: str = "mnist", data_dir=None) -> str:
    """Short text saying where ``name`` is found, without loading it."""
    sources = candidate_sources(name, data_dir)
    if not sources:
        return f"{name} not found locally (will try to download to Keras's cache)"
    return f"{sources[0].kind} {sources[0].path}"


def check(name: str, data_dir=None) -> tuple[bool, str]:
    """Verify a dataset where it is found. Returns ``(ok, message)``; no download."""
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


# ------------------------------------------------------------------- download
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


def download(name: str, dest_root: str | os.PathLike = COURSE_DATA_DIR, folder: str | os.PathLike | None = None,
             report: Callable[[str], None] | None = None) -> Path:
    """Make ``dest_root/<name>/`` (or ``folder``) hold the four verified IDX files; return the folder.

    Files already there are verified and kept when good. A missing, corrupt or
    mismatched one is downloaded to a temporary name in the same folder,
    verified (gzip, size, IDX magic, dimensions, SHA-256) and only then renamed
    over the old one (:func:`os.replace`). Raises :class:`DownloadError` when
    the network fails and :class:`DatasetError` when a download does not
    verify; in both cases the old file is untouched. ``report`` receives one
    line per file that was bad or fetched.
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
    course's ``datasets/<name>/``, which the loader tries before those.
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
    return COURSE_DATA_DIR / FOLDERS[name][0]


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


# --------------------------------------------------------- splits and subsets
def _rng(seed):
    return np.random.default_rng(seed)


def stratified_split(x, y, val_size=0.1, seed: int = 0):
    """Split into train/validation keeping each class's share.

    ``val_size`` is a fraction (0 < f < 1) or a count. Each class gets its
    proportional share of the validation set, rounded so that totals are exact
    and no class is off by more than one. Returns ``(x_tr, y_tr), (x_val, y_val)``.
    """
    y = np.asarray(y)
    n = len(y)
    if len(x) != n:
        raise ValueError(f"x has {len(x)} rows but y has {n}.")
    n_val = int(round(val_size * n)) if 0 < val_size < 1 else int(val_size)
    if not 0 < n_val < n:
        raise ValueError(f"val_size={val_size} gives {n_val} validation rows out of {n}; need 0 < n_val < n.")
    classes, counts = np.unique(y, return_counts=True)
    exact = counts * n_val / n
    per_class = np.floor(exact).astype(int)
    remainder = n_val - per_class.sum()
    order = np.argsort(-(exact - per_class), kind="stable")
    per_class[order[:remainder]] += 1
    rng = _rng(seed)
    val_idx = []
    for cls, k in zip(classes, per_class):
        idx = np.flatnonzero(y == cls)
        val_idx.append(rng.choice(idx, size=k, replace=False))
    val_idx = np.sort(np.concatenate(val_idx))
    mask = np.ones(n, dtype=bool)
    mask[val_idx] = False
    train_idx = np.flatnonzero(mask)
    return (x[train_idx], y[train_idx]), (x[val_idx], y[val_idx])


def balanced_subset(x, y, n_per_class: int, seed: int = 0):
    """Pick exactly ``n_per_class`` random examples of every class (shuffled)."""
    y = np.asarray(y)
    rng = _rng(seed)
    picked = []
    for cls in np.unique(y):
        idx = np.flatnonzero(y == cls)
        if len(idx) < n_per_class:
            raise ValueError(f"class {cls} has only {len(idx)} examples, fewer than n_per_class={n_per_class}.")
        picked.append(rng.choice(idx, size=n_per_class, replace=False))
    picked = rng.permutation(np.concatenate(picked))
    return x[picked], y[picked]


# ------------------------------------------------------------------- scaling
def to_float(x, value_range=(0.0, 1.0)) -> np.ndarray:
    """uint8 images (N, 28, 28) -> float32 (N, 28, 28, 1) in ``value_range``.

    Use (0, 1) for most models and (-1, 1) for GANs with a tanh output.
    """
    x = np.asarray(x)
    if x.dtype != np.uint8:
        raise TypeError(f"to_float expects uint8 images, got {x.dtype}.")
    lo, hi = value_range
    out = x.astype(np.float32) * ((hi - lo) / 255.0) + lo
    return out[..., None] if out.ndim == 3 else out


def to_uint8(x, value_range=(0.0, 1.0)) -> np.ndarray:
    """Inverse of :func:`to_float`: float images -> uint8 (N, 28, 28), clipped."""
    x = np.asarray(x, dtype=np.float32)
    lo, hi = value_range
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    return np.clip(np.rint((x - lo) * (255.0 / (hi - lo))), 0, 255).astype(np.uint8)


# --------------------------------------------------------------- tf.data
def make_dataset(x, y=None, batch_size: int = 128, shuffle: bool = True, seed: int = 0,
                 cache: bool = True, prefetch: bool = True, drop_remainder: bool = False):
    """An efficient ``tf.data`` pipeline: (cache) -> (shuffle) -> batch -> (prefetch).

    Caching keeps the decoded tensors in memory after the first epoch;
    shuffling uses a full-size buffer with a fixed seed (reproducible epochs);
    prefetching overlaps input preparation with training.
    """
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    if prefetch:
        ds = ds.prefetch(tf.data.AUTOTUNE)
    return ds
