"""``bench --resume``: the rows an earlier run into the same ``--out`` already measured with the same settings.

A row's numbers depend on what :func:`measured_with` records: the run's
settings (seconds, n, seed, dataset, mode), the training data (size and
fingerprint), the recipe's description and the model's store key (its
architecture, compile settings and the course version, see
:func:`helpers.store.make_key`). A row is kept when all of these match and
its status is "ok"; errors, skipped models and rows measured otherwise are
run again. Rows are looked for in ``partial.json`` (an interrupted run), then
``latest.json`` (the last finished run), with their samples from the
``.npz`` archive beside each.
"""

from __future__ import annotations

from pathlib import Path

from .files import LATEST_JSON, LATEST_SAMPLES, PARTIAL_JSON, PARTIAL_SAMPLES, read_results, read_samples


def model_key(name: str, recipe, seed: int) -> str | None:
    """The model's store key digest (built once, not trained); None when the recipe cannot build it.

    Part of ``bench --resume`` (benchmark).
    """
    import keras

    from .. import store
    from ..seeding import seeded

    try:
        with seeded(seed):
            model = recipe.build(seed=seed)
            return store.digest(store.make_key(name, model, {}))
    except Exception:  # noqa: BLE001 - the benchmark itself will record the build error
        return None
    finally:
        model = None
        keras.utils.clear_session()


def measured_with(name: str, recipe, settings: dict, data_fingerprint: str) -> dict:
    """What a benchmark row's numbers depend on; stored in each row, compared by ``--resume`` (benchmark)."""
    return {key: settings[key] for key in ("seconds", "n", "seed", "dataset", "mode", "n_train")} | {
        "data": data_fingerprint, "description": recipe.description,
        "model_key": model_key(name, recipe, settings["seed"])}


def earlier_rows(out_dir) -> dict[str, list[tuple[dict, object, str]]]:
    """Every "ok" row of ``partial.json`` then ``latest.json`` in ``out_dir``: model -> [(row, samples, source)].

    ``samples`` is None when the archive does not hold that row's. Raises
    CommandError when one of the files exists but is not a results file.
    Part of ``bench --resume`` (benchmark).
    """
    found: dict[str, list] = {}
    out = Path(out_dir)
    for json_name, npz_name in ((PARTIAL_JSON, PARTIAL_SAMPLES), (LATEST_JSON, LATEST_SAMPLES)):
        results = read_results(out / json_name)
        if results is None:
            continue
        rows = [r for r in results["results"] if isinstance(r, dict) and r.get("status") == "ok"
                and isinstance(r.get("measured_with"), dict)]
        samples = read_samples(out / npz_name, rows)
        source = f"{json_name} of the run started {results.get('started_utc', '?')}"
        for row in rows:
            found.setdefault(row["model"], []).append((row, samples.get(row["model"]), source))
    return found


def differences(recorded: dict, wanted: dict) -> list[str]:
    """What differs between a row's ``measured_with`` and this run's, e.g. ``["seconds 0.2 → 0.3"]``.

    Part of ``bench --resume`` (benchmark).
    """
    if wanted.get("model_key") is None:
        return ["the model cannot be built to compare its store key"]
    return [f"{key} {recorded.get(key)!r} → {value!r}" for key, value in wanted.items() if recorded.get(key) != value]


def pick(name: str, candidates: list, wanted: dict, log) -> tuple[dict, object] | None:
    """The first candidate row measured exactly as ``wanted`` (with its samples), else None (logged why).

    Part of ``bench --resume`` (benchmark).
    """
    reasons = []
    for row, samples, source in candidates:
        diff = differences(row["measured_with"], wanted)
        if not diff:
            kept = dict(row, resumed_from=row.get("resumed_from") or source)
            return kept, samples
        reasons.append(f"{source}: {', '.join(diff)}")
    if reasons:
        log(f"[{name}] measured before with other settings ({'; '.join(reasons)}): measuring again")
    return None
