"""The one model store: every chapter, the CLI and the benchmark cache trained models here.

An entry is found by a **key**: a hash of everything that changes the result —
the model's class, its full config and compile config (optimiser, learning
rate, loss settings), the shapes of its weights, the caller's settings
(dataset, seed, budget, data size …) and the course's version. Change any of
them and a new model is trained; the same settings reuse the stored one.

An entry is a folder ``<name>-<hash>/`` holding ``meta.json`` (the key, in
full, and the training statistics), ``extras.npz`` (arrays kept with the
model, e.g. animation frames, and the per-batch history) and
``model.weights.h5``. It is written into a temporary folder and renamed into
place, so a killed process leaves either the old entry, the new one, or none,
never half of one. On load the stored key is compared with the wanted one and
every file is read; an unreadable or mismatched entry is set aside with a
one-line notice and the model is trained again. A model whose weights are not
finite is never stored.

The notebook's "reuse cached model / retrain" toggle (:mod:`helpers.cache_control`)
and ``COURSE_RETRAIN=1`` decide whether a stored entry is used.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import inspect
import json
import os
import re
import shutil
import uuid
import warnings
from pathlib import Path

import numpy as np

from .errors import CourseError, TrainingDiverged
from .results import TrainResult

#: Bump when a change to the helpers makes stored models invalid (part of every key).
STORE_VERSION = "3"  # 3: the autoencoders and VAEs train from a tf.data pipeline (another batch order)
#: Trainings at least this long (seconds, or unbounded) keep a resumable backup (``BackupAndRestore``).
BACKUP_AFTER_SECONDS = 60.0


class StoreError(CourseError):
    """A stored entry cannot be used (unreadable, truncated, or made with other settings).

    Raised and handled inside :func:`trained` (chapters 01-06): a bad entry is retrained.
    """


def root() -> Path:
    """The store's folder (per mode, git-ignored; ``COURSE_CACHE_DIR`` moves it; chapters 01-06)."""
    from .runtime import cache_dir

    return cache_dir("store")


def _version() -> str:
    try:
        from importlib.metadata import version

        return f"{version('synthdata-course-helpers')}/{STORE_VERSION}"
    except Exception:  # pragma: no cover - not installed (running from a checkout)
        return f"unknown/{STORE_VERSION}"


# ------------------------------------------------------------------ keys
def _canonical_names(config):
    """Replace layer and model names by their order of appearance.

    Keras numbers automatic names per session (``dense_3`` after three Dense
    layers were made), so the same model built twice has different names; the
    structure, not the counter, belongs in the key.
    """
    names: dict[str, str] = {}

    def collect(obj):
        if isinstance(obj, dict):
            if isinstance(obj.get("name"), str):
                names.setdefault(obj["name"], f"n{len(names)}")
            for v in obj.values():
                collect(v)
        elif isinstance(obj, list):
            for v in obj:
                collect(v)

    def replace(obj):
        if isinstance(obj, dict):
            return {k: replace(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [replace(v) for v in obj]
        return names.get(obj, obj) if isinstance(obj, str) else obj

    collect(config)
    return replace(config)


def _jsonable(obj):
    """A JSON round trip of ``obj`` (tuples become lists, numpy scalars numbers, the rest ``repr``)."""
    def default(v):
        if isinstance(v, np.generic):
            return v.item()
        if isinstance(v, np.ndarray):
            return v.tolist()
        return repr(v)

    return json.loads(json.dumps(obj, default=default, sort_keys=True))


def model_fingerprint(model) -> dict:
    """Class, config, compile config and weight shapes of a built model: what makes it this model.

    Part of every store key (chapters 01-06).
    """
    def safe(method):
        try:
            return getattr(model, method)()
        except (NotImplementedError, AttributeError, TypeError, ValueError):
            return None

    return _canonical_names(_jsonable({
        "class": f"{type(model).__module__}.{type(model).__qualname__}",
        "config": safe("get_config"),
        "compile": safe("get_compile_config"),
        "weights": [[list(v.shape), str(v.dtype)] for v in model.weights],
    }))


def make_key(name: str, model, settings: dict | None = None) -> dict:
    """The full key of ``model`` trained as ``name`` with ``settings`` (dataset, seed, budget, ...).

    Used by :func:`trained` (chapters 01-06) and ``bench --resume``.
    """
    return {"name": name, "model": model_fingerprint(model), "settings": _jsonable(settings or {}),
            "version": _version()}


def digest(key: dict) -> str:
    """The 16-hex-digit hash of a key: the entry's folder name (chapters 01-06, through :func:`trained`)."""
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


# ---------------------------------------------------------------- entries
class Entry:
    """One stored model: ``folder`` with ``meta.json``, ``extras.npz`` and ``model.weights.h5``.

    Found, loaded and replaced by :func:`trained` (chapters 01-06).
    """

    META, EXTRAS, WEIGHTS = "meta.json", "extras.npz", "model.weights.h5"

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def meta(self) -> dict:
        try:
            return json.loads((self.folder / self.META).read_text())
        except (OSError, ValueError) as exc:
            raise StoreError(f"its {self.META} is unreadable ({type(exc).__name__})") from exc

    def describe(self, meta: dict | None = None) -> str:
        """``trained <when> in <seconds> s · <folder>`` for the toggle and the notices (``meta``: already read)."""
        try:
            meta = self.meta() if meta is None else meta
        except StoreError:
            return self.folder.name
        stats = meta.get("stats", {})
        return f"trained {meta.get('saved_at', '?')} in {stats.get('seconds', 0):.0f} s · {self.folder.name}"

    def load(self, model, key: dict) -> TrainResult:
        """Load the weights into ``model`` after checking the key and every file; raise :class:`StoreError`."""
        meta = self.meta()
        if meta.get("key") != key:
            raise StoreError("it was stored with other settings")
        try:
            with np.load(self.folder / self.EXTRAS) as stored:
                arrays = {k: stored[k] for k in stored.files}
        except Exception as exc:  # OSError, BadZipFile, zlib.error, ValueError ...: any damage
            raise StoreError(f"its {self.EXTRAS} is unreadable ({type(exc).__name__})") from exc
        weights = self.folder / self.WEIGHTS
        try:
            with warnings.catch_warnings():  # the optimiser's saved state is not needed to use the model
                warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
                model.load_weights(weights)
        except Exception as exc:  # h5py raises OSError, Keras ValueError; a truncated file can raise others
            raise StoreError(f"its weights cannot be loaded ({type(exc).__name__})") from exc
        stats = meta.get("stats", {})
        batch_history = {k[len("batch/"):]: v.tolist() for k, v in arrays.items() if k.startswith("batch/")}
        extras = {k: v for k, v in arrays.items() if not k.startswith("batch/")}
        return TrainResult(model=model, batches=int(stats.get("batches", 0)), seconds=float(stats.get("seconds", 0)),
                           epochs=float(stats.get("epochs", 0)), batch_size=stats.get("batch_size"),
                           first_batch_seconds=stats.get("first_batch_seconds"), history=meta.get("history", {}),
                           batch_history=batch_history, extras=extras,
                           source=f"loaded from the store ({self.describe(meta)})")

    def discard(self):
        """Move the entry aside and delete it (a rename first: a half-deleted entry is never found)."""
        if self.folder.exists():
            trash = self.folder.with_name(f".trash-{uuid.uuid4().hex[:8]}-{self.folder.name}")
            os.replace(self.folder, trash)
            shutil.rmtree(trash, ignore_errors=True)


def _slug(name: str) -> str:
    """``name`` as a folder name: letters, digits, ``_.-`` (chapter 05's ``"D wins (minimax)"`` → ``D_wins_minimax_``)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def entry_for(name: str, key: dict) -> Entry:
    """The :class:`Entry` of ``key`` (it may not exist yet; chapters 01-06, through :func:`trained`)."""
    return Entry(root() / f"{_slug(name)}-{digest(key)}")


def save(name: str, key: dict, result: TrainResult) -> Entry:
    """Write ``result`` as the entry of ``key``: all files into a temporary folder, then one rename.

    Called by :func:`trained` after every training (chapters 01-06).
    """
    _check_finite(name, result.model)
    entry = entry_for(name, key)
    entry.folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = entry.folder.with_name(f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}-{entry.folder.name}")
    try:
        tmp.mkdir()
        arrays = {f"batch/{k}": np.asarray(v) for k, v in result.batch_history.items()}
        arrays.update({k: np.asarray(v) for k, v in result.extras.items()})
        np.savez_compressed(tmp / Entry.EXTRAS, **arrays)
        meta = {"key": key, "stats": result.stats(), "history": result.history,
                "saved_at": datetime.datetime.now().strftime("%Y-%m-%d %H:%M")}
        (tmp / Entry.META).write_text(json.dumps(_jsonable(meta)))
        result.model.save_weights(tmp / Entry.WEIGHTS)
        if entry.folder.exists():
            entry.discard()
        try:
            os.replace(tmp, entry.folder)
        except OSError:
            if not entry.folder.is_dir():
                raise
            # Another kernel stored the same key in the meantime: its entry is as good as ours.
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return entry


def _check_finite(name: str, model):
    for v in model.weights:
        if not np.all(np.isfinite(np.asarray(v))):
            raise TrainingDiverged(f"{name} diverged: its weight {v.path} is not finite; lower the learning rate "
                                   "and train again. Nothing was cached.")


def clean_leftovers():
    """Remove temporary and set-aside folders of processes that no longer run (killed mid-save).

    Called at the start of :func:`trained` (chapters 01-06).
    """
    folder = root()
    if not folder.exists():
        return
    for path in folder.iterdir():
        if path.name.startswith(".trash-"):
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(".tmp-"):
            pid = int(path.name.split("-")[1]) if path.name.split("-")[1].isdigit() else -1
            if not _alive(pid):
                shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - another user's process
        return True
    return True


def _budget(settings: dict) -> float:
    seconds = settings.get("seconds")
    return float("inf") if seconds is None else float(seconds)


def find_longer(name: str, key: dict) -> Entry | None:
    """A valid entry with the same key but a longer ``seconds`` budget (the longest), for chapter 06's reuse."""
    best, best_budget = None, _budget(key["settings"])
    wanted = {k: v for k, v in key.items() if k != "settings"}
    wanted_settings = {k: v for k, v in key["settings"].items() if k != "seconds"}
    for folder in sorted(root().glob(f"{_slug(name)}-*")):
        try:
            stored = Entry(folder).meta()["key"]
        except (StoreError, KeyError, TypeError):
            continue
        same = ({k: v for k, v in stored.items() if k != "settings"} == wanted
                and {k: v for k, v in stored["settings"].items() if k != "seconds"} == wanted_settings)
        if same and _budget(stored["settings"]) > best_budget:
            best, best_budget = Entry(folder), _budget(stored["settings"])
    return best


# ------------------------------------------------------------------ trained
def backup_folder(name: str, key: dict) -> Path:
    """Where the resumable backup of a running training of ``key`` lives (removed when it finishes).

    Used by :func:`trained` (chapters 01-06).
    """
    return root() / "backups" / f"{_slug(name)}-{digest(key)}"


def trained(name: str, build, fit, settings: dict | None = None, seed: int | None = None,
            retrain: bool | None = None, control: bool = True, verbose: bool = True,
            reuse_longer: bool = False) -> TrainResult:
    """A trained model for ``name``: loaded from the store when it holds these settings, else trained now.

    ``build()`` returns a built, compiled model (variables created, so weights
    load into it). ``fit(model)`` trains it and returns a
    :class:`~helpers.results.TrainResult`; if ``fit`` takes a ``backup_dir``
    argument and the run may last over a minute (``settings["seconds"]`` is
    None or ≥ :data:`BACKUP_AFTER_SECONDS`), it gets a folder for Keras's
    ``BackupAndRestore``, so an interrupted run continues when started again.
    ``settings`` is everything outside the model that changes the result
    (dataset, budget, data fingerprint, epochs ...). With ``seed``, building
    and training run under :func:`helpers.seeding.seeded`: the model depends
    on its settings and seed alone, and the learner's random state is left as
    it was. ``retrain=None`` lets the notebook's toggle decide; True/False
    force it. ``reuse_longer`` also accepts an entry trained with a longer
    ``seconds`` budget (chapter 06 reusing the benchmark's models).
    """
    from . import cache_control

    settings = dict(settings or {})
    if seed is not None:
        settings["seed"] = seed
    clean_leftovers()
    with _seeded(seed):
        model = build()
        key = make_key(name, model, settings)
        entry = entry_for(name, key)
        found = entry if entry.folder.exists() else (find_longer(name, key) if reuse_longer else None)
        described = None if found is None else found.describe()
        if not cache_control.decide_retrain(name, described, retrain, show=control):
            try:
                result = found.load(model, key if found is entry else found.meta().get("key"))
                if verbose:
                    print(f"{name}: reused the stored model ({described}); "
                          "choose 'retrain' (or retrain=True) to train again.")
                return result
            except StoreError as exc:
                print(f"{name}: the stored model cannot be used ({exc}); training a new one.")
                found.discard()
        kwargs = {}
        if "backup_dir" in inspect.signature(fit).parameters and _budget(settings) >= BACKUP_AFTER_SECONDS:
            kwargs["backup_dir"] = backup_folder(name, key)
        with _seeded(seed):  # train from the seed's own start, whatever happened above
            result = fit(build(), **kwargs)
    if not isinstance(result, TrainResult):
        raise TypeError(f"fit for {name} must return a TrainResult, not {type(result).__name__}")
    saved = save(name, key, result)
    cache_control.report_trained(name, result.seconds, saved.folder.name)
    return result


def _seeded(seed):
    from .seeding import seeded

    return contextlib.nullcontext() if seed is None else seeded(seed)


def train_or_load(name: str | None, build, fit, settings: dict, seed: int, retrain: bool | None = None,
                  verbose: bool = True, control: bool = True, reuse_longer: bool = False) -> TrainResult:
    """:func:`trained` when ``name`` is given, else build and fit once under ``seeded(seed)`` (no store).

    The chapters' ``train_*`` helpers call this (chapters 03-05).
    """
    if name is None:
        with _seeded(seed):
            return fit(build())
    return trained(name, build, fit, settings=settings, seed=seed, retrain=retrain, control=control,
                   verbose=verbose, reuse_longer=reuse_longer)


def fingerprint(*arrays) -> str:
    """A short hash of arrays' shapes, dtypes and bytes: the training data's part of a key (``None`` skipped).

    Chapters 01 §5 and 02 §4 directly, and through the ``train_*`` helpers (chapters 03-05) and the
    registry (chapter 06).
    """
    h = hashlib.blake2b(digest_size=8)
    for a in arrays:
        if a is None:
            h.update(b"none")
            continue
        a = np.ascontiguousarray(a)
        h.update(f"{a.shape}{a.dtype}".encode())
        h.update(a.tobytes())
    return h.hexdigest()

