"""tools/merge_bench.py: per-model benchmark runs merge into one comparable table."""

import importlib.util
import json
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location("merge_bench", Path(__file__).parents[1] / "tools" / "merge_bench.py")
merge_bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(merge_bench)


def _run(model, seconds=300, start="2026-11-28T02:00:00+00:00", total=400.0, load=(1.0, 1.0, 1.0)):
    return {
        "schema": 1, "label": "", "command": "x", "started_utc": start, "finished_utc": start,
        "total_seconds": total,
        "settings": {"seconds": seconds, "n": 10000, "seed": 0, "dataset": "mnist", "mode": "full",
                     "models": [model], "n_train": 60000},
        "machine": {"cpu_model": "cpu", "cpu_count": 2, "cpu_usable": 2, "memory_gb": 24, "device": "CPU",
                    "tensorflow": "2", "keras": "3", "python": "3", "git_commit": "abc", "git_dirty": False,
                    "load_average": list(load), "load_average_end": list(load)},
        "target_settings": {"seconds": 300, "n": 10000, "mode": "full"},
        "frechet_real_vs_real_10k": 1.59,
        "results": [{"model": model, "status": "ok", "kind": "course", "train": {"epochs_done": 2.0},
                     "metrics": {"frechet_distance": 5.0}, "targets": []}],
    }


def test_merge_keeps_rows_in_order_and_sums_time():
    merged = merge_bench.merge([_run("cgan", total=400.0), _run("dcgan", total=350.5, load=(2.0, 2.0, 2.0))])
    assert [r["model"] for r in merged["results"]] == ["cgan", "dcgan"]
    assert merged["settings"]["models"] == ["cgan", "dcgan"]
    assert merged["total_seconds"] == 750.5
    assert merged["machine"]["load_average_end"] == [2.0, 2.0, 2.0]
    assert "M = cgan, dcgan" in merged["command"]


def test_merge_refuses_runs_with_different_budgets():
    with pytest.raises(SystemExit, match="runs differ in seconds"):
        merge_bench.merge([_run("cgan", seconds=300), _run("dcgan", seconds=30)])


def test_cli_writes_table(tmp_path):
    paths = []
    for model in ("cgan", "vae"):
        p = tmp_path / model / "latest.json"
        p.parent.mkdir()
        p.write_text(json.dumps(_run(model)))
        paths.append(str(p))
    assert merge_bench.main(paths + ["--out", str(tmp_path / "out")]) == 0
    table = (tmp_path / "out" / "RESULTS.md").read_text()
    assert "`cgan`" in table and "`vae`" in table
    assert json.loads((tmp_path / "out" / "latest.json").read_text())["settings"]["models"] == ["cgan", "vae"]
