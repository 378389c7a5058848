"""Reading the published benchmark rows back for chapter 05 §7 (tests)."""

import json

from helpers.bench import published


def test_published_rows_keep_the_requested_order_and_skip_failed_or_missing_rows(tmp_path):
    path = tmp_path / "latest.json"
    path.write_text(json.dumps({"settings": {"seconds": 300.0}, "results": [
        {"model": "cgan", "status": "ok", "metrics": {"fd_ratio": 3.6, "precision": 0.7, "recall": 0.7},
         "train": {"batches": 3803}},
        {"model": "dcgan", "status": "ok", "metrics": {"fd_ratio": 41.8, "precision": 0.44, "recall": 0.735},
         "train": {"batches": 3745}},
        {"model": "scgan", "status": "error", "metrics": {}, "train": {}}]}))
    rows = published.published_rows(("dcgan", "scgan", "cgan", "vae"), path)
    assert list(rows) == ["dcgan", "cgan"]
    assert rows["dcgan"] == {"fd_ratio": 41.8, "precision": 0.44, "recall": 0.735, "batches": 3745, "seconds": 300.0}
    assert published.published_rows(("dcgan",), tmp_path / "absent.json") == {}
    (tmp_path / "bad.json").write_text("{not json")
    assert published.published_rows(("dcgan",), tmp_path / "bad.json") == {}


def test_ablation_rows_give_mean_min_max_per_variant(tmp_path):
    path = tmp_path / "summary.json"
    spread = {"mean": 2.0, "min": 1.0, "max": 3.0, "n": 2}
    path.write_text(json.dumps({"seeds": [0, 1], "summary": {"dcgan_baseline": {"fd_ratio": spread, "recall": spread,
                                                                                "precision": spread}}}))
    rows, seeds = published.ablation_rows(path)
    assert seeds == [0, 1] and rows == {"dcgan_baseline": {"fd_ratio": (2.0, 1.0, 3.0), "recall": (2.0, 1.0, 3.0)}}
    assert published.ablation_rows(tmp_path / "absent.json") == ({}, [])
    batches = {"mean": 3500.0, "min": 3000, "max": 4000, "n": 2}
    path.write_text(json.dumps({"seeds": [0, 1], "summary": {"dcgan_hinge": {"fd_ratio": spread, "batches": batches}}}))
    assert published.ablation_rows(path)[0] == {"dcgan_hinge": {"fd_ratio": (2.0, 1.0, 3.0),
                                                                "batches": (3500.0, 3000, 4000)}}


def test_the_repository_files_are_readable():
    rows = published.published_rows(("dcgan", "cgan"))
    assert set(rows) == {"dcgan", "cgan"} and all(r["fd_ratio"] > 0 for r in rows.values())
    ablation, seeds = published.ablation_rows()
    assert "dcgan_baseline" in ablation and seeds
