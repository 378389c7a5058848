"""Fault injection on ``python -m helpers bench``: killed runs keep their rows, ``--resume`` continues them.

The fake models (tiny Keras nets, fake metrics, fake data) are defined once in
``FAKES`` and used both in this process (through ``helpers.cli.main``) and by
a script that runs the real CLI in a subprocess, so a SIGKILL is a real kill.
Every fit appends its model's name to the file ``$FAKE_CALLS``: that is how a
test knows what was trained. ``$FAKE_BLOCK`` / ``$FAKE_CRASH`` /
``$FAKE_INTERRUPT`` (comma-separated names) make a model's fit hang, raise,
or raise KeyboardInterrupt (Ctrl-C); ``$FAKE_UNITS`` changes every model's
architecture (its store key).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from helpers import bench

ROOT = Path(__file__).resolve().parents[1]

FAKES = '''
import os
import time

import numpy as np

from helpers.models.registry import Recipe

RNG = np.random.default_rng(0)
DATA = ((RNG.integers(0, 256, (60, 28, 28), dtype=np.uint8), RNG.integers(0, 10, 60)),
        (RNG.integers(0, 256, (30, 28, 28), dtype=np.uint8), RNG.integers(0, 10, 30)))


def _listed(variable, name):
    return name in os.environ.get(variable, "").split(",")


def _build(seed=0):
    import keras

    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(int(os.environ.get("FAKE_UNITS", "1")))])
    net.compile("sgd", "mse")
    return net


def _fitter(name):
    def fit(model, x, y, seconds=None, seed=0, backup_dir=None):
        from helpers import training

        with open(os.environ["FAKE_CALLS"], "a") as fh:
            fh.write(name + "\\n")
        if _listed("FAKE_BLOCK", name):
            time.sleep(600)  # the test kills the process meanwhile
        if _listed("FAKE_CRASH", name):
            raise RuntimeError("fake crash")
        if _listed("FAKE_INTERRUPT", name):
            raise KeyboardInterrupt
        xs = np.random.default_rng(seed).standard_normal((len(x), 4)).astype("float32")
        units = model.output_shape[-1]
        return training.fit(model, xs, xs[:, :units], batch_size=len(x), epochs=2, seconds=seconds)
    return fit


def _generate(model, n, seed=0, labels=None):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), np.arange(n) % 10


def evaluate(x, y):
    out = {"frechet_distance": 4.0, "frechet_distance_real": 1.0, "precision": 0.8, "recall": 0.6}
    if y is not None:
        out.update({"label_fidelity": 0.96, "tstr_acc": 0.955, "trtr_acc": 0.97})
    return out


RECIPES = {name: Recipe(name, f"tiny fake {name}", name == "cgan", _build, _fitter(name), _generate)
           for name in ("cgan", "dcgan")}
'''

SCRIPT = FAKES + '''
import sys

from helpers import bench, cli, datasets
from helpers.models import registry

registry.recipes = lambda: dict(RECIPES)
datasets.load = lambda name, *args, **kwargs: DATA
bench.run.default_evaluate = lambda dataset, seed: evaluate
sys.exit(cli.main(sys.argv[1:]))
'''

ARGS = ["bench", "--seconds", "0.2", "--models", "cgan,dcgan", "--n", "20"]


def _calls(tmp_path) -> list[str]:
    path = tmp_path / "calls.txt"
    return path.read_text().split() if path.is_file() else []


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob(".*.tmp"))


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def fakes(monkeypatch, tmp_path):
    """The fake registry, data and evaluator installed in this process; returns a ``main(*args)`` runner."""
    from helpers import cli, datasets
    from helpers.models import registry

    ns: dict = {}
    exec(FAKES, ns)  # noqa: S102 - the same fakes the subprocess script runs
    monkeypatch.setenv("FAKE_CALLS", str(tmp_path / "calls.txt"))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(registry, "recipes", lambda: dict(ns["RECIPES"]))
    monkeypatch.setattr(datasets, "load", lambda name, *a, **k: ns["DATA"])
    monkeypatch.setattr(bench.run, "default_evaluate", lambda dataset, seed: ns["evaluate"])
    out = tmp_path / "out"

    def main(*extra, out_dir=out):
        return cli.main([*ARGS, "--out", str(out_dir), *extra])

    main.out = out
    return main


# ----------------------------------------------------------------------------- a real kill, then --resume
def _env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("KERAS_BACKEND", "COURSE_RETRAIN")}
    env.update(PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
               COURSE_MODE="smoke", COURSE_CACHE_DIR=str(tmp_path / "cache"), TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONUNBUFFERED="1", FAKE_CALLS=str(tmp_path / "calls.txt"), **extra)
    return env


def test_a_killed_bench_keeps_its_finished_rows_and_resume_trains_only_the_rest(tmp_path):
    script, out = tmp_path / "fake_bench.py", tmp_path / "out"
    script.write_text(SCRIPT)
    cmd = [sys.executable, str(script), *ARGS, "--out", str(out)]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=_env(tmp_path, FAKE_BLOCK="dcgan"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while "dcgan" not in _calls(tmp_path):  # the second model is training (hanging): cgan is done
            assert proc.poll() is None, f"bench exited early ({proc.returncode}): {proc.stderr.read()[-2000:]}"
            assert time.monotonic() < deadline, "the fake bench never reached its second model"
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()

    partial = _read(out / "partial.json")  # parses: written atomically
    assert [(r["model"], r["status"]) for r in partial["results"]] == [("cgan", "ok")]
    assert partial["complete"] is False and partial["results"][0]["metrics"]["fd_ratio"] == 4.0
    assert not (out / "latest.json").exists() and _leftovers(out) == []
    with np.load(out / "partial-samples.npz") as kept:
        assert [k.split("/")[0] for k in kept.files] == ["cgan"]

    done = subprocess.run([*cmd, "--resume"], cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert _calls(tmp_path) == ["cgan", "dcgan", "dcgan"]  # cgan was NOT trained again
    assert "[cgan] kept from partial.json" in done.stdout
    final = _read(out / "latest.json")
    assert [(r["model"], r["status"]) for r in final["results"]] == [("cgan", "ok"), ("dcgan", "ok")]
    assert final["complete"] is True and final["results"][0]["resumed_from"].startswith("partial.json")
    assert final["results"][0]["measured_utc"] == partial["results"][0]["measured_utc"]  # the old row, as measured
    assert not (out / "partial.json").exists() and not (out / "partial-samples.npz").exists()
    with np.load(out / "samples-latest.npz") as kept:  # the figure still shows the kept model
        assert sorted(k.split("/")[0] for k in kept.files) == ["cgan", "dcgan"]
    assert (out / "samples-latest.png").is_file()
    assert "kept by `--resume`" in (out / "RESULTS.md").read_text()


# ----------------------------------------------------------------------------- --resume decides per row
@pytest.mark.parametrize("change", [("--seconds", "0.3"), ("--n", "30"), ("--seed", "1"), ("--dataset", "fashion_mnist"),
                                    "FAKE_UNITS=2"], ids=["seconds", "n", "seed", "dataset", "architecture"])
def test_resume_with_other_settings_or_another_model_measures_everything_again(fakes, tmp_path, monkeypatch,
                                                                               change):
    assert fakes() == 0 and _calls(tmp_path) == ["cgan", "dcgan"]
    if isinstance(change, str):  # the models changed (their store key), the settings did not
        monkeypatch.setenv(*change.split("="))
        change = ()
    assert fakes("--resume", *change) == 0
    assert _calls(tmp_path) == ["cgan", "dcgan", "cgan", "dcgan"]
    assert not any(r.get("resumed_from") for r in _read(fakes.out / "latest.json")["results"])


def test_resume_after_a_finished_run_trains_nothing_and_keeps_the_samples(fakes, tmp_path, capsys):
    assert fakes() == 0
    first = _read(fakes.out / "latest.json")
    assert fakes("--resume") == 0
    assert _calls(tmp_path) == ["cgan", "dcgan"]
    again = _read(fakes.out / "latest.json")
    assert [r["metrics"] for r in again["results"]] == [r["metrics"] for r in first["results"]]
    assert all(r["resumed_from"].startswith("latest.json") for r in again["results"])
    with np.load(fakes.out / "samples-latest.npz") as kept:
        assert len(kept.files) == 2 and all(kept[k].shape == (20, 28, 28) for k in kept.files)
    assert "![samples](samples-latest.png)" in (fakes.out / "RESULTS.md").read_text()


def test_resume_reruns_the_rows_that_failed(fakes, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_CRASH", "dcgan")
    assert fakes() == 1  # dcgan crashed: recorded as an error row
    monkeypatch.delenv("FAKE_CRASH")
    assert fakes("--resume") == 0
    assert _calls(tmp_path) == ["cgan", "dcgan", "dcgan"]
    assert [r["status"] for r in _read(fakes.out / "latest.json")["results"]] == ["ok", "ok"]


def test_resume_refuses_a_damaged_partial_file_before_training(fakes, tmp_path, capsys):
    fakes.out.mkdir()
    (fakes.out / "partial.json").write_text('{"results": [ {"model": "cgan"')  # not JSON
    assert fakes("--resume") == 2
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("note: COURSE_MODE")]
    assert len(err) == 1 and "partial.json is not a bench results file" in err[0]
    assert _calls(tmp_path) == []


# ----------------------------------------------------------------------------- bad --out, Ctrl-C
@pytest.mark.parametrize("where", ["under_a_file", "is_a_file"])
def test_an_unwritable_out_fails_in_seconds_before_any_training(fakes, tmp_path, capsys, where):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    out = blocker / "results" if where == "under_a_file" else blocker
    start = time.perf_counter()
    assert fakes(out_dir=out) == 2
    assert time.perf_counter() - start < 5
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: cannot write the benchmark results to --out")
    assert _calls(tmp_path) == []
    assert blocker.read_text() == "not a folder"


def test_a_readme_without_markers_fails_before_training(fakes, tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("no markers\n")
    assert fakes("--readme", str(readme)) == 2
    assert "bench:start" in capsys.readouterr().err and _calls(tmp_path) == []


def test_ctrl_c_exits_130_keeps_the_finished_rows_and_leaves_no_temporary_file(fakes, tmp_path, monkeypatch,
                                                                               capsys):
    monkeypatch.setenv("FAKE_INTERRUPT", "dcgan")
    assert fakes() == 130
    assert "interrupted" in capsys.readouterr().err
    rows = _read(fakes.out / "partial.json")["results"]
    assert [(r["model"], r["status"]) for r in rows] == [("cgan", "ok")]
    assert _leftovers(fakes.out) == [] and not (fakes.out / "latest.json").exists()


def test_ctrl_c_while_a_results_file_is_written_leaves_the_previous_one_and_no_temporary_file(fakes, tmp_path,
                                                                                             monkeypatch):
    real_replace, seen = os.replace, []

    def replace(src, dst):
        if Path(dst).name == "partial.json":
            seen.append(dst)
            if len(seen) == 2:  # the second model's row is being saved
                raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    assert fakes("--no-cache") == 130
    assert [r["model"] for r in _read(fakes.out / "partial.json")["results"]] == ["cgan"]
    assert _leftovers(fakes.out) == []


# ----------------------------------------------------------------------------- model-specific numbers
def test_model_specific_numbers_come_from_the_recipe_not_from_its_name(tmp_path, monkeypatch):
    from helpers.models import registry
    from helpers.models.registry import Recipe

    ns: dict = {}
    exec(FAKES, ns)  # noqa: S102
    monkeypatch.setenv("FAKE_CALLS", str(tmp_path / "calls.txt"))
    plain = Recipe("ae", "named ae, no extra metrics", False, ns["_build"], ns["_fitter"]("ae"), ns["_generate"])
    own = Recipe("newcomer", "a model with its own numbers", False, ns["_build"], ns["_fitter"]("newcomer"),
                 ns["_generate"], extra_metrics=lambda model, data: {"code_length": len(data[1][0])})
    rows = [bench.bench_model(r.name, r, ns["DATA"], 5, 20, 0, ns["evaluate"], log=lambda *_: None, cache=False)
            for r in (plain, own)]
    assert [r["status"] for r in rows] == ["ok", "ok"]
    assert rows[0]["model_specific"] == {} and rows[1]["model_specific"] == {"code_length": 30}
    with_extras = {name for name, r in registry.recipes().items() if r.extra_metrics is not None}
    assert with_extras == {"ae", "vae", "cvae", "infogan"}


def test_the_registrys_extra_metrics_keep_the_benchmarks_keys(monkeypatch):
    from helpers.models import gan, registry

    rng = np.random.default_rng(2)
    data = ((rng.integers(0, 256, (50, 28, 28), dtype=np.uint8), rng.integers(0, 10, 50)),
            (rng.integers(0, 256, (20, 28, 28), dtype=np.uint8), rng.integers(0, 10, 20)))

    class FakeAE:
        latent_dim = 5

        def reconstruct(self, x, batch_size=1000):
            return np.clip(x * 0.9, 0, 1)

    ae = registry.ae_metrics(FakeAE(), data)
    assert set(ae) == {"test_mse", "pca_mse", "pca_over_ae", "latent_dim"} and ae["latent_dim"] == 5
    assert ae["pca_mse"] == pytest.approx(registry.pca_mse(data[0][0], data[1][0], 5), rel=1e-4)  # chapter 03's PCA
    assert ae["pca_over_ae"] == pytest.approx(ae["pca_mse"] / ae["test_mse"])

    monkeypatch.setattr(gan, "code_purity", lambda model, per_code: {"mean_purity": 0.7, "classes_found": 8})
    assert registry.infogan_metrics(object(), data) == {"code_purity": 0.7, "codes_classes_found": 8}
