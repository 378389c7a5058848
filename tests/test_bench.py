"""The benchmark harness end to end, with tiny fake recipes, fake metrics and a tiny budget."""

import json
import math

import numpy as np
import pytest

from helpers import bench
from helpers.bench import report
from helpers.models import registry
from helpers.models.registry import Recipe
from helpers.results import TrainResult

RNG = np.random.default_rng(0)
DATA = ((RNG.integers(0, 256, (60, 28, 28), dtype=np.uint8), RNG.integers(0, 10, 60)),
        (RNG.integers(0, 256, (30, 28, 28), dtype=np.uint8), RNG.integers(0, 10, 30)))


# ----------------------------------------------------------------------------- targets
def test_target_boundaries_and_unmeasured_values():
    at_most = bench.Target("fd_ratio", "<=", 5.0, "FD ≤ 5×")
    at_least = bench.Target("recall", ">=", 0.5, "recall ≥ 0.5")
    assert at_most.check(5.0) is True and at_most.check(5.01) is False
    assert at_least.check(0.5) is True and at_least.check(0.49) is False
    assert at_most.check(None) is None and at_least.check(float("nan")) is None


def test_issue_8_targets_and_reference_models_share_their_counterparts_targets():
    metrics = {t.metric: t.threshold for t in bench.targets_for("cgan")}
    assert metrics["fd_ratio"] == 5 and metrics["tstr_acc"] == 0.95 and metrics["label_fidelity"] == 0.97
    assert {t.metric: t.threshold for t in bench.targets_for("dcgan")} == {"fd_ratio": 8, "recall": 0.5}
    assert {t.metric: t.threshold for t in bench.targets_for("vae")} == {"test_neg_elbo": 100}
    assert bench.targets_for("ref_kerasio_cgan") == bench.targets_for("cgan")
    assert bench.targets_for("ref_tfdocs_dcgan") == bench.targets_for("dcgan")
    assert {t.metric: t.threshold for t in bench.targets_for("ae")} == {"pca_over_ae": 3}  # chapter 03's
    assert bench.targets_for("some_new_model") == ()
    checked = bench.check_targets("cvae", {"tstr_acc": 0.931, "label_fidelity": 0.90})
    assert [(t["metric"], t["passed"]) for t in checked] == [("tstr_acc", True), ("label_fidelity", False)]


# ----------------------------------------------------------------------------- pieces
def test_distances_print_with_three_significant_digits():
    assert [report._fmt(v, "g3") for v in (0.00321, 0.9, 12.345, 250.0, 0)] == ["0.00321", "0.900", "12.3",
                                                                              "250.0", "0"]


def test_pca_mse_is_zero_with_full_rank_and_the_variance_with_no_component():
    x = np.random.default_rng(1).integers(0, 256, (40, 28, 28)).astype(np.uint8)
    full = registry.pca_mse(x, x[:10], components=40)
    assert full == pytest.approx(0.0, abs=1e-8)
    flat = x.reshape(40, -1) / 255.0
    expected = np.mean((flat[:10] - flat.mean(axis=0)) ** 2)
    assert registry.pca_mse(x, x[:10], components=0) == pytest.approx(expected, rel=1e-5)


def test_training_stats_are_read_from_the_train_result():
    result = TrainResult(model=None, batches=4, seconds=13.0, epochs=1.0, batch_size=100, first_batch_seconds=10.0)
    stats = bench.training_stats(result, wall_seconds=14.0)
    assert stats["images_per_second"] == pytest.approx(400 / 13.0, abs=0.1)
    assert stats["steady_images_per_second"] == pytest.approx(100.0)  # 300 images in the last 3 s
    assert stats["first_batch_seconds"] == 10.0 and stats["wall_seconds"] == 14.0
    assert (stats["epochs_done"], stats["images_seen"], stats["source"]) == (1.0, 400, "TrainResult")


def test_an_evaluation_error_keeps_the_training_numbers():
    def broken(x, y):
        raise FileNotFoundError("evaluator weights are missing")

    row = bench.bench_model("cgan", REGISTRY["cgan"], DATA, 60, 20, 0, broken, log=lambda *_: None, cache=False)
    assert row["status"] == "error" and row["error"].startswith("evaluate: FileNotFoundError")
    assert row["train"]["epochs_done"] == 2.0 and row["generate"]["n"] == 20
    assert row["samples"].shape == (20, 28, 28)  # still drawn in the samples figure
    results = {"settings": {"seconds": 0.2, "n": 20, "seed": 0, "dataset": "mnist", "mode": "full",
                            "n_train": 60}, "command": "x", "started_utc": "t", "total_seconds": 1.0,
               "machine": bench.describe_machine(), "results": [row]}
    line = next(x for x in bench.markdown_table(results).splitlines() if x.startswith("| `cgan`"))
    assert line.startswith("| `cgan` | 2.00 |") and "**error** (evaluate)" in line


def test_vae_metrics_reads_the_models_elbo_and_iw_nll():
    calls = {}

    class FakeVAE:
        num_classes = 10

        def negative_elbo(self, x, labels, seed=0):
            calls["elbo"] = (x.shape, None if labels is None else labels.shape)
            assert set(np.unique(x)) <= {0.0, 1.0}  # binarised
            return {"neg_elbo": 95.0, "reconstruction": 70.0, "kl": 25.0}

        def importance_nll(self, x, labels, k=100, seed=0):
            calls["iw"] = (len(x), k)
            return 90.0

    out = registry.vae_metrics(FakeVAE(), DATA[1][0], DATA[1][1], iw_k=5, iw_n=7)
    assert out["test_neg_elbo"] == 95.0 and out["test_iw_nll"] == 90.0
    assert calls == {"elbo": ((30, 28, 28, 1), (30,)), "iw": (7, 5)}  # all test images; IW on the first 7
    assert out["iw_nll_n"] == 7 and out["iw_nll_k"] == 5


# ----------------------------------------------------------------------------- end to end
def _tiny_build(seed=0):
    import keras

    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    net.compile("sgd", "mse")
    return net


def _tiny_fit(model, x, y, seconds=None, seed=0, backup_dir=None):
    """A real Keras fit: two epochs of one batch each, far inside the tests' budget."""
    from helpers import training

    xs = np.random.default_rng(seed).standard_normal((len(x), 4)).astype("float32")
    return training.fit(model, xs, xs[:, :1], batch_size=len(x), epochs=2, seconds=seconds)


def _tiny_generate(model, n, seed=0, labels=None):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), np.arange(n) % 10


def _crash_fit(model, x, y, seconds=None, seed=0, backup_dir=None):
    raise RuntimeError("out of ideas")


def _fake_evaluate(x, y):
    # A conditional GAN row that passes FD, TSTR, memorisation and misses label fidelity.
    out = {"frechet_distance": 4.0, "frechet_distance_real": 1.0, "frechet_distance_real_10k": 0.9,
           "precision": 0.8, "recall": 0.6, "memorisation_ratio": 1.05, "copy_rate": 0.01,
           "sample_distances": np.zeros(3), "pairs": [(1, 2, 0.5)]}
    if y is not None:
        out.update({"label_fidelity": 0.96, "tstr_acc": 0.955, "trtr_acc": 0.97})
    return out


REGISTRY = {
    "cgan": Recipe("cgan", "tiny conditional fake", True, _tiny_build, _tiny_fit, _tiny_generate),
    "dcgan": Recipe("dcgan", "crashes", False, _tiny_build, _crash_fit, _tiny_generate),
    "ref_tfdocs_dcgan": Recipe("ref_tfdocs_dcgan", "tiny unconditional fake", False, _tiny_build, _tiny_fit,
                               _tiny_generate),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    results = bench.run_bench(["cgan", "vae", "dcgan", "ref_tfdocs_dcgan"], seconds=60, n=50, seed=3,
                              out_dir=out, label="unit-test run", registry=REGISTRY, data=DATA,
                              evaluate=_fake_evaluate, command="python -m helpers bench --test",
                              log=lambda *_: None, cache=False)
    return results, out


def test_results_record_each_model_status(run):
    results, _ = run
    rows = {r["model"]: r for r in results["results"]}
    assert list(rows) == ["cgan", "vae", "dcgan", "ref_tfdocs_dcgan"]  # order of --models
    assert rows["cgan"]["status"] == "ok" and rows["ref_tfdocs_dcgan"]["status"] == "ok"
    assert rows["vae"]["status"] == "missing" and "not in the model registry" in rows["vae"]["note"]
    assert rows["dcgan"]["status"] == "error" and "RuntimeError: out of ideas" in rows["dcgan"]["error"]
    assert rows["ref_tfdocs_dcgan"]["kind"] == "reference" and rows["ref_tfdocs_dcgan"]["compared_with"] == "dcgan"


def test_training_and_metrics_are_recorded(run):
    results, _ = run
    row = results["results"][0]
    assert row["train"]["source"] == "TrainResult" and row["train"]["epochs_done"] == 2.0
    assert row["train"]["images_seen"] == 2 * len(DATA[0][0]) and row["train"]["images_per_second"] > 0
    assert row["generate"]["n"] == 50
    assert row["metrics"]["fd_ratio"] == pytest.approx(4.0)
    assert row["metrics"]["tstr_acc"] == 0.955
    assert results["results"][3]["metrics"].get("tstr_acc") is None  # unconditional: no labels passed on
    assert results["frechet_real_vs_real_10k"] == 0.9
    assert results["settings"] == {"seconds": 60.0, "n": 50, "seed": 3, "dataset": "mnist",
                                   "mode": results["settings"]["mode"],
                                   "models": ["cgan", "vae", "dcgan", "ref_tfdocs_dcgan"], "n_train": 60}


def test_target_pass_and_miss(run):
    results, _ = run
    cgan = {t["metric"]: t["passed"] for t in results["results"][0]["targets"]}
    assert cgan == {"fd_ratio": True, "tstr_acc": True, "label_fidelity": False,
                    "memorisation_ratio": True, "copy_rate": True}
    ref = {t["metric"]: t["passed"] for t in results["results"][3]["targets"]}
    assert ref == {"fd_ratio": True, "recall": True}  # held to the DCGAN targets
    crashed = results["results"][2]["targets"]
    assert [t["passed"] for t in crashed] == [None, None]  # nothing measured, not a miss


def test_json_files(run):
    results, out = run
    stamped = sorted(out.glob("results-*.json"))
    assert len(stamped) == 1
    saved = json.loads(stamped[0].read_text())
    assert saved == json.loads((out / "latest.json").read_text())
    assert saved["label"] == "unit-test run" and saved["command"] == "python -m helpers bench --test"
    machine = saved["machine"]
    assert machine["cpu_count"] >= 1 and machine["tensorflow"] and machine["cpu_model"]
    row = saved["results"][0]
    assert "samples" not in row and row["metrics_all"]["sample_distances"] is None  # arrays dropped
    assert row["metrics_all"]["pairs"] == [[1, 2, 0.5]]
    assert not math.isnan(row["metrics"]["fd_ratio"])


def test_markdown_table(run):
    _, out = run
    text = (out / "RESULTS.md").read_text()
    assert "> **unit-test run**" in text
    assert "pass/miss below is indicative only" in text  # 60 s is not the targets' 300 s
    assert "`python -m helpers bench --test`" in text
    assert "Real-vs-real Fréchet baseline** (10k train vs 10k test): 0.900" in text
    cgan_line = next(line for line in text.splitlines() if line.startswith("| `cgan`"))
    assert "4.00 (1.00)" in cgan_line and "4.0×" in cgan_line and "95.5% (97.0%)" in cgan_line
    assert "label fidelity ≥ 97%: **miss**" in cgan_line and "FD ≤ 5× real: **pass**" in cgan_line
    assert "| `vae` | skipped |" in text and "| `dcgan` | – |  | **error** (train) |" in text
    assert "`dcgan`: train: RuntimeError: out of ideas" in text
    assert "(reference)" in text and (out / "samples-latest.png").is_file()
    assert "![samples](samples-latest.png)" in text


def test_markdown_says_nothing_is_indicative_at_the_target_settings(run):
    results, _ = run
    at_target = {**results, "settings": {**results["settings"], "seconds": 300.0, "n": 10000, "mode": "full"}}
    assert "indicative only" not in bench.markdown_table(at_target)


def test_cli_rejects_bad_arguments(capsys):
    from helpers.cli import main

    assert main(["bench", "--models", " , "]) == 2
    assert "--models is empty" in capsys.readouterr().err
    assert main(["bench", "--seconds", "0"]) == 2
    assert "--seconds must be positive" in capsys.readouterr().err
    assert main(["bench", "--n", "5"]) == 2


def test_trained_models_go_to_the_model_store(monkeypatch, tmp_path):
    from helpers.models import registry

    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    calls = []

    def fit(model, x, y, seconds=None, seed=0, backup_dir=None):
        calls.append(seconds)
        return _tiny_fit(model, x, y, seconds, seed)

    recipe = Recipe("tiny", "a storable Keras model", False, _tiny_build, fit, _tiny_generate)
    row = bench.bench_model("tiny", recipe, DATA, 7, 20, 5, _fake_evaluate, log=lambda *_: None)
    assert row["status"] == "ok" and row["cached_model"].startswith("model store")
    assert [p for p in (tmp_path).rglob("model.weights.h5")]
    reused = registry.train_recipe(recipe, seconds=7, seed=5, data=DATA[0], verbose=False, control=False)
    assert calls == [7] and reused.source.startswith("loaded")  # loaded, not retrained
    bench.bench_model("tiny", recipe, DATA, 7, 20, 5, _fake_evaluate, log=lambda *_: None)
    assert calls == [7, 7]  # the benchmark measures a fresh training every time


def test_cli_end_to_end(monkeypatch, tmp_path, capsys):
    from helpers import datasets
    from helpers.cli import main
    from helpers.models import registry

    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(registry, "recipes", lambda: REGISTRY)
    monkeypatch.setattr(datasets, "load", lambda name: DATA)
    monkeypatch.setattr(bench.run, "default_evaluate", lambda dataset, seed: _fake_evaluate)
    code = main(["bench", "--seconds", "0.2", "--models", "cgan,dcgan", "--n", "20", "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 1  # a model crashed: the run finishes, writes everything, and says so
    assert "1 model(s) failed: dcgan" in captured.err
    saved = json.loads((tmp_path / "latest.json").read_text())
    assert saved["command"] == ("python -m helpers bench --seconds 0.2 --models cgan,dcgan --n 20 --seed 0 "
                                f"--dataset mnist --out {tmp_path}")
    assert [r["status"] for r in saved["results"]] == ["ok", "error"]
    assert "| `cgan` |" in captured.out


def test_make_bench_defaults_are_the_issue_8_settings():
    from helpers.cli import build_parser

    args = build_parser().parse_args(["bench", "--seconds", "300"])  # what `make bench` runs
    assert (args.seconds, args.n, args.seed, args.dataset, args.out) == (300.0, 10000, 0, "mnist", "benchmarks")
    assert args.models.split(",") == ["ae", "vae", "cvae", "dcgan", "scgan", "infogan", "wgan_gp", "cgan", "flow",
                                      "cflow", "ref_tfdocs_dcgan", "ref_kerasio_cgan"]
    assert not args.no_cache


def test_readme_block_is_replaced_between_markers(run, tmp_path):
    results, _ = run
    readme = tmp_path / "README.md"
    readme.write_text(f"# Course\n\nintro\n\n{bench.README_START}\nold table\n{bench.README_END}\n\n## After\n")
    bench.update_readme(readme, results)
    text = readme.read_text()
    assert "old table" not in text and text.startswith("# Course\n\nintro\n\n") and text.endswith("## After\n")
    assert text.count(bench.README_START) == 1 and text.count(bench.README_END) == 1
    assert "| `cgan` |" in text and "[benchmarks/RESULTS.md](benchmarks/RESULTS.md)" in text
    assert "# Benchmark: generative models" not in text  # the page title stays in RESULTS.md
    bench.update_readme(readme, results)  # idempotent
    assert readme.read_text() == text
    readme.write_text("no markers here\n")
    with pytest.raises(ValueError, match="bench:start"):
        bench.update_readme(readme, results)


def test_cli_rerenders_from_json_without_training(run, tmp_path, capsys):
    from helpers.cli import main

    _, out = run
    readme = tmp_path / "README.md"
    readme.write_text(f"{bench.README_START}\n{bench.README_END}\n")
    target = tmp_path / "rendered"
    code = main(["bench", "--from-json", str(out / "latest.json"), "--out", str(target), "--readme", str(readme)])
    assert code == 0
    assert (target / "RESULTS.md").read_text() == (out / "RESULTS.md").read_text().replace(
        "\n\nSamples (first 20 of each model):\n\n![samples](samples-latest.png)", "")  # no PNG in target
    assert "| `cgan` |" in readme.read_text()
    assert main(["bench", "--from-json", str(tmp_path / "missing.json")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_infogan_is_held_to_the_dcgan_targets_and_reports_code_purity():
    from helpers import bench

    assert bench.targets_for("infogan") == bench.targets_for("dcgan")
    row = {"model_specific": {"code_purity": 0.8, "codes_classes_found": 9}}
    assert report._specific_cell(row) == "codes match digits: purity 80%, 9 of 10 digits are some code's majority"


def test_the_flows_targets_include_the_sampling_time_the_row_records():
    from helpers.bench.targets import check_targets

    checked = {t["metric"]: t["passed"] for t in check_targets("cflow", {"fd_ratio": 2.4, "tstr_acc": 0.97,
                                                                         "label_fidelity": 0.99,
                                                                         "memorisation_ratio": 0.95,
                                                                         "generate_seconds": 75.0})}
    assert checked == {"fd_ratio": True, "tstr_acc": True, "label_fidelity": True, "memorisation_ratio": True,
                       "generate_seconds": False}
    assert {t["metric"] for t in check_targets("flow", {})} == {"fd_ratio", "recall", "generate_seconds"}
