"""The model registry and the `data` command."""

import pytest

from helpers import cli
from helpers.models import registry


def test_registry_lists_every_course_model_and_rejects_unknown_names():
    assert set(registry.recipes()) == {"ae", "vae", "cvae", "dcgan", "scgan", "infogan", "cgan", "wgan_gp", "flow", "cflow",
                                       "pixel_cflow", "ref_tfdocs_dcgan", "ref_kerasio_cgan"}
    assert registry.get("cgan").conditional and not registry.get("dcgan").conditional
    assert not registry.get("scgan").conditional  # its clusters are its own: sampled without labels
    assert registry.get("cflow").conditional and not registry.get("flow").conditional
    with pytest.raises(KeyError, match="unknown model 'gpt'; available: ae, cflow, cgan"):
        registry.get("gpt")


def test_cli_data_reports_ok_and_bad(real_data_dir, tmp_path, capsys):
    from helpers import datasets

    datasets._load_cached.cache_clear()
    assert cli.main(["data", "--data-dir", str(real_data_dir), "mnist"]) == 0
    assert "mnist: OK: found in argument" in capsys.readouterr().out
    bad = tmp_path / "mnist"
    bad.mkdir()
    (bad / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip")
    assert cli.main(["data", "--data-dir", str(tmp_path), "mnist"]) == 1
    out = capsys.readouterr().out
    assert "mnist: BAD:" in out and "train-images-idx3-ubyte.gz" in out


def test_cli_unknown_command_exits_nonzero(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["frobnicate"])
    assert exc.value.code == 2
