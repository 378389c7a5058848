"""The data layer: sources, integrity checks with helpful errors, splits, scaling, tf.data."""

import gzip
import hashlib
import shutil

import numpy as np
import pytest

from helpers import data_sources, datasets, downloads
from helpers.datasets import DatasetError

FILES = [f[0] + ".gz" for f in datasets.FILES.values()]


@pytest.fixture(autouse=True)
def isolated_sources(tmp_path, monkeypatch):
    """No source but the ones a test creates: empty course/debian/keras folders, no env var."""
    monkeypatch.delenv(datasets.DATA_ENV, raising=False)
    monkeypatch.setattr(data_sources, "COURSE_DATA_DIR", tmp_path / "course")
    monkeypatch.setattr(data_sources, "DEBIAN_DATA_DIR", tmp_path / "debian")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    datasets._load_cached.cache_clear()
    yield
    datasets._load_cached.cache_clear()


def _no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the loader tried to use the network")

    monkeypatch.setattr(downloads.urllib.request, "urlopen", refuse)


def _copy_mnist(real_data_dir, dest, corrupt=None):
    """Copy MNIST into dest/mnist (symlinks for untouched files); ``corrupt(name, path)`` edits one."""
    folder = dest / "mnist"
    folder.mkdir(parents=True)
    for name in FILES:
        src = real_data_dir / "mnist" / name
        if corrupt and corrupt[0] == name:
            shutil.copy(src, folder / name)
            corrupt[1](folder / name)
        else:
            (folder / name).symlink_to(src)
    return dest


def _rewrite(path, transform):
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(transform(raw)))


# ------------------------------------------------------------------- good paths
def test_loads_genuine_mnist_from_env_folder(real_data_dir, monkeypatch):
    monkeypatch.setenv(datasets.DATA_ENV, str(real_data_dir))
    _no_network(monkeypatch)
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]  # the famous first labels
    assert np.bincount(y_test).tolist()[:2] == [980, 1135]
    assert round(float(x_train.mean()), 3) == 33.318  # published pixel mean
    assert datasets.describe_source("mnist").startswith("env ")


def test_fashion_mnist_has_ten_balanced_classes(real_data_dir):
    (_, y_train), (_, y_test) = datasets.load_fashion_mnist(real_data_dir)
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10


def test_returned_arrays_are_private_copies(real_data_dir):
    (x1, _), _ = datasets.load("mnist", real_data_dir)
    x1[0, 0, 0] = 255
    (x2, _), _ = datasets.load("mnist", real_data_dir)
    assert x2[0, 0, 0] == 0


def test_source_priority_env_before_course_folder(real_data_dir, tmp_path, monkeypatch):
    _copy_mnist(real_data_dir, data_sources.COURSE_DATA_DIR)
    assert datasets.candidate_sources("mnist")[0].kind == "course"
    monkeypatch.setenv(datasets.DATA_ENV, str(real_data_dir))
    kinds = [s.kind for s in datasets.candidate_sources("mnist")]
    assert kinds == ["env", "course"]


def test_debian_folder_is_used(real_data_dir, monkeypatch):
    _copy_mnist(real_data_dir, data_sources.DEBIAN_DATA_DIR)
    _no_network(monkeypatch)
    (x, _), _ = datasets.load_mnist()
    assert x.shape == (60000, 28, 28)
    assert datasets.candidate_sources("mnist")[0].kind == "debian"


def test_uncompressed_idx_files_are_accepted(real_data_dir, tmp_path):
    folder = tmp_path / "plain" / "mnist"
    folder.mkdir(parents=True)
    for name in FILES:
        (folder / name[:-3]).write_bytes(gzip.decompress((real_data_dir / "mnist" / name).read_bytes()))
    (_, y), _ = datasets.load("mnist", tmp_path / "plain")
    assert len(y) == 60000


def test_keras_cache_npz_is_verified(mnist, tmp_path, monkeypatch):
    (x_train, y_train), (x_test, y_test) = mnist
    cache = tmp_path / "keras" / "datasets"
    cache.mkdir(parents=True)
    np.savez(cache / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    _no_network(monkeypatch)
    (x, _), _ = datasets.load_mnist()
    assert np.array_equal(x, x_train)
    bad = y_test.copy()
    bad[0] = (bad[0] + 1) % 10  # one mislabelled example
    np.savez(cache / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=bad)
    datasets._load_cached.cache_clear()
    with pytest.raises(DatasetError, match=r"mnist\.npz\[y_test\].*different content"):
        datasets.load_mnist()


def test_download_writes_atomically_and_verifies(real_data_dir, tmp_path, monkeypatch):
    calls = []

    class FakeResponse:
        def __init__(self, path):
            self.fh = open(path, "rb")

        def read(self, n):
            return self.fh.read(n)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    def fake_urlopen(url, timeout):
        calls.append(url)
        return FakeResponse(real_data_dir / "mnist" / url.rsplit("/", 1)[1])

    monkeypatch.setattr(downloads.urllib.request, "urlopen", fake_urlopen)
    folder = datasets.download("mnist", tmp_path / "dl")
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)  # no .part left behind
    assert all(u.startswith(datasets.DOWNLOAD_URLS["mnist"]) for u in calls) and len(calls) == 4
    datasets.download("mnist", tmp_path / "dl")  # present: nothing fetched again
    assert len(calls) == 4


def test_failed_download_leaves_no_partial_file(tmp_path, monkeypatch):
    def broken(url, timeout):
        raise OSError("network unreachable")

    monkeypatch.setattr(downloads.urllib.request, "urlopen", broken)
    with pytest.raises(DatasetError, match="Could not download .*network unreachable"):
        datasets.download("mnist", tmp_path / "dl")
    assert list((tmp_path / "dl" / "mnist").iterdir()) == []


def test_missing_everywhere_and_offline_gives_clear_error(monkeypatch):
    monkeypatch.setattr(downloads.urllib.request, "urlopen",
                        lambda *a, **k: (_ for _ in ()).throw(OSError("no internet")))
    with pytest.raises(DatasetError, match=r"not available locally.*COURSE_DATA_DIR"):
        datasets.load_mnist()


# -------------------------------------------------------------------- bad paths
def test_wrong_env_var_names_the_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path / "nope"))
    with pytest.raises(DatasetError, match=r"COURSE_DATA_DIR points to .*nope, which is not a folder"):
        datasets.load_mnist()


def test_missing_file_is_named(real_data_dir, tmp_path):
    root = _copy_mnist(real_data_dir, tmp_path / "d")
    (root / "mnist" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetError, match=r"t10k-labels-idx1-ubyte\.gz is missing.*--download"):
        datasets.load("mnist", root)


def test_truncated_gzip(real_data_dir, tmp_path):
    def truncate(path):
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])

    root = _copy_mnist(real_data_dir, tmp_path / "d", ("t10k-images-idx3-ubyte.gz", truncate))
    with pytest.raises(DatasetError, match=r"t10k-images-idx3-ubyte\.gz is not a readable gzip.*truncated"):
        datasets.load("mnist", root)


def test_truncated_content_inside_valid_gzip(real_data_dir, tmp_path):
    corrupt = ("t10k-images-idx3-ubyte.gz", lambda p: _rewrite(p, lambda raw: raw[:-784]))
    root = _copy_mnist(real_data_dir, tmp_path / "d", corrupt)
    with pytest.raises(DatasetError, match=r"t10k-images.*truncated or padded: 7,839,232 bytes .* 7,840,016"):
        datasets.load("mnist", root)


def test_wrong_magic_number(real_data_dir, tmp_path):
    corrupt = ("t10k-labels-idx1-ubyte.gz", lambda p: _rewrite(p, lambda raw: b"\x00\x00\x08\x03" + raw[4:]))
    root = _copy_mnist(real_data_dir, tmp_path / "d", corrupt)
    with pytest.raises(DatasetError, match=r"t10k-labels.*magic number 2051, expected 2049"):
        datasets.load("mnist", root)


def test_train_and_test_labels_swapped(real_data_dir, tmp_path):
    def swap(path):
        shutil.copy(real_data_dir / "mnist" / "train-labels-idx1-ubyte.gz", path)

    root = _copy_mnist(real_data_dir, tmp_path / "d", ("t10k-labels-idx1-ubyte.gz", swap))
    with pytest.raises(DatasetError, match=r"declares shape \(60000,\), expected \(10000,\)"):
        datasets.load("mnist", root)


def test_flipped_label_fails_checksum(real_data_dir, tmp_path):
    def mislabel(raw):
        b = bytearray(raw)
        b[8] = (b[8] + 1) % 10
        return bytes(b)

    corrupt = ("t10k-labels-idx1-ubyte.gz", lambda p: _rewrite(p, mislabel))
    root = _copy_mnist(real_data_dir, tmp_path / "d", corrupt)
    with pytest.raises(DatasetError, match=r"t10k-labels.*right size but different content"):
        datasets.load("mnist", root)


def test_check_reports_bad_data_without_raising(real_data_dir, tmp_path):
    corrupt = ("t10k-labels-idx1-ubyte.gz", lambda p: p.write_bytes(b"garbage"))
    root = _copy_mnist(real_data_dir, tmp_path / "d", corrupt)
    ok, message = datasets.check("mnist", root)
    assert not ok and "t10k-labels-idx1-ubyte.gz" in message
    assert datasets.check("mnist", real_data_dir)[0]


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="Unknown dataset 'cifar'"):
        datasets.load("cifar")


def test_checksums_are_of_uncompressed_content(real_data_dir):
    raw = gzip.decompress((real_data_dir / "mnist" / "t10k-labels-idx1-ubyte.gz").read_bytes())
    assert hashlib.sha256(raw).hexdigest() == datasets.CHECKSUMS["mnist"]["test_labels"]


# ------------------------------------------------------------ splits & scaling
def test_stratified_split_keeps_class_shares_within_one(mnist):
    (x, y), _ = mnist
    (x_tr, y_tr), (x_val, y_val) = datasets.stratified_split(x, y, val_size=0.1, seed=1)
    assert len(y_val) == 6000 and len(y_tr) == 54000
    expected = np.bincount(y) * 0.1
    assert np.all(np.abs(np.bincount(y_val) - expected) <= 1)
    assert np.array_equal(np.sort(np.concatenate([y_tr, y_val])), np.sort(y))


def test_stratified_split_exact_counts_and_seed():
    y = np.array([0] * 7 + [1] * 3)
    x = np.arange(10)
    (xt, yt), (xv, yv) = datasets.stratified_split(x, y, val_size=5, seed=0)
    assert np.bincount(yv).tolist() == [4, 1]  # 3.5 and 1.5 rounded: ties go to the first class
    assert len(yv) == 5 and set(xt) | set(xv) == set(range(10)) and not set(xt) & set(xv)
    (_, _), (xv2, _) = datasets.stratified_split(x, y, val_size=5, seed=0)
    assert np.array_equal(xv, xv2)
    with pytest.raises(ValueError, match="need 0 < n_val < n"):
        datasets.stratified_split(x, y, val_size=10)
    with pytest.raises(ValueError, match="x has 9 rows but y has 10"):
        datasets.stratified_split(x[:9], y)


def test_stratified_split_of_images_is_disjoint_seeded_and_checks_its_size():
    # chapters 03 and 04 hold out their validation images with it: disjoint, same seed -> same split
    y = np.repeat(np.arange(4), 25)
    x = np.arange(100, dtype=np.uint8)[:, None, None] + np.zeros((1, 28, 28), np.uint8)  # image i holds value i
    (x_tr, y_tr), (x_val, y_val) = datasets.stratified_split(x, y, val_size=0.2, seed=5)
    assert x_tr.shape == (80, 28, 28) and x_val.shape == (20, 28, 28) and y_tr.shape == (80,) and y_val.shape == (20,)
    tr, val = x_tr[:, 0, 0], x_val[:, 0, 0]
    assert not set(tr) & set(val) and set(tr) | set(val) == set(range(100))
    assert np.array_equal(y[tr], y_tr) and np.array_equal(y[val], y_val)  # images stay paired with their labels
    assert np.bincount(y_val).tolist() == [5, 5, 5, 5]
    (_, _), (x_again, _) = datasets.stratified_split(x, y, val_size=0.2, seed=5)
    (_, _), (x_other, _) = datasets.stratified_split(x, y, val_size=0.2, seed=6)
    assert np.array_equal(x_again, x_val) and not np.array_equal(x_other, x_val)
    for bad in (1.5, -0.1, 20.5):
        with pytest.raises(ValueError, match="neither a fraction"):
            datasets.stratified_split(x, y, val_size=bad)
    for bad in (0, 0.0, 100, 0.001):  # no validation rows, or no training rows left
        with pytest.raises(ValueError, match="need 0 < n_val < n"):
            datasets.stratified_split(x, y, val_size=bad)


def test_stratified_split_proportional_hand_computed():
    # 70/30 classes, 10 validation rows -> exactly 7 and 3
    y = np.array([0] * 70 + [1] * 30)
    (_, _), (_, yv) = datasets.stratified_split(np.zeros(100), y, val_size=10)
    assert np.bincount(yv).tolist() == [7, 3]


def test_balanced_subset():
    y = np.repeat(np.arange(3), [5, 6, 7])
    x = np.arange(len(y))
    xs, ys = datasets.balanced_subset(x, y, n_per_class=4, seed=3)
    assert np.bincount(ys).tolist() == [4, 4, 4]
    assert np.array_equal(y[xs], ys)  # images stay paired with their labels
    with pytest.raises(ValueError, match="class 0 has only 5 examples"):
        datasets.balanced_subset(x, y, n_per_class=6)


def test_scaling_round_trip_and_ranges():
    x = np.array([[[0, 255], [128, 1]]], dtype=np.uint8)
    f01 = datasets.to_float(x)
    assert f01.shape == (1, 2, 2, 1) and f01.dtype == np.float32
    assert f01.min() == 0.0 and f01.max() == 1.0
    fpm = datasets.to_float(x, (-1, 1))
    assert fpm.min() == -1.0 and fpm.max() == 1.0 and np.isclose(fpm[0, 1, 0, 0], 128 / 127.5 - 1, atol=1e-6)
    assert np.array_equal(datasets.to_uint8(fpm, (-1, 1)), x)
    assert np.array_equal(datasets.to_uint8(f01), x)
    with pytest.raises(TypeError, match="expects uint8"):
        datasets.to_float(x.astype(np.float32))


def test_make_dataset_batches_and_is_reproducible():
    x = np.arange(10, dtype=np.float32)
    y = np.arange(10)
    ds = datasets.make_dataset(x, y, batch_size=4, seed=7)
    batches = [b[0].numpy().tolist() for b in ds]
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(sum(batches, [])) == list(range(10))
    again = [b[0].numpy().tolist() for b in datasets.make_dataset(x, y, batch_size=4, seed=7)]
    assert batches == again
    plain = [b.numpy().tolist() for b in datasets.make_dataset(x, batch_size=5, shuffle=False)]
    assert plain == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


# --------------------------------------------------------- repair (data --download)
def _serve(real_data_dir, monkeypatch, bad=None):
    """Replace the network fetch with the genuine files; ``bad(base) -> bytes`` serves broken ones."""
    fetched = []

    def fake_fetch(url, dest):
        base = url.rsplit("/", 1)[1]
        fetched.append(base)
        data = bad(base) if bad else None
        dest.write_bytes(data if data is not None else (real_data_dir / "mnist" / base).read_bytes())

    monkeypatch.setattr(downloads, "_fetch", fake_fetch)
    return fetched


def _corrupt_copy(real_data_dir, tmp_path, name="t10k-labels-idx1-ubyte.gz", how=None):
    folder = tmp_path / "d" / "mnist"
    folder.mkdir(parents=True)
    for f in FILES:
        shutil.copy(real_data_dir / "mnist" / f, folder / f)
    (how or (lambda p: _rewrite(p, lambda raw: raw[:8] + bytes([(raw[8] + 1) % 10]) + raw[9:])))(folder / name)
    return folder


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name not in FILES)


@pytest.mark.parametrize("how", ["checksum", "truncated_gzip", "wrong_magic"])
def test_download_replaces_a_corrupt_file_with_a_verified_copy(real_data_dir, tmp_path, monkeypatch, how):
    corruptions = {
        "checksum": None,  # one flipped label: right size, wrong sha256
        "truncated_gzip": lambda p: p.write_bytes(p.read_bytes()[:1000]),
        "wrong_magic": lambda p: _rewrite(p, lambda raw: b"\x00\x00\x08\x03" + raw[4:]),
    }
    folder = _corrupt_copy(real_data_dir, tmp_path, how=corruptions[how])
    assert not datasets.check("mnist", folder.parent)[0]
    fetched = _serve(real_data_dir, monkeypatch)
    lines = []
    assert datasets.download("mnist", folder=folder, report=lines.append) == folder
    assert fetched == ["t10k-labels-idx1-ubyte.gz"]  # only the bad file is fetched
    assert lines[0].startswith("t10k-labels-idx1-ubyte.gz is bad (") and "replaced by a verified download" in lines[1]
    datasets.verify_file(folder / "t10k-labels-idx1-ubyte.gz", "mnist", "test_labels")
    assert datasets.check("mnist", folder.parent)[0]
    assert _leftovers(folder) == []


def test_download_repairs_an_uncompressed_file_in_place(real_data_dir, tmp_path, monkeypatch):
    folder = tmp_path / "plain" / "mnist"
    folder.mkdir(parents=True)
    for f in FILES:
        (folder / f[:-3]).write_bytes(gzip.decompress((real_data_dir / "mnist" / f).read_bytes()))
    (folder / "t10k-images-idx3-ubyte").write_bytes(b"\x00" * 100)
    _serve(real_data_dir, monkeypatch)
    datasets.download("mnist", folder=folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(f[:-3] for f in FILES)  # same names, no .gz
    datasets.verify_file(folder / "t10k-images-idx3-ubyte", "mnist", "test_images")


@pytest.mark.parametrize("served", ["garbage", "other_file"])
def test_a_download_that_does_not_verify_keeps_the_old_file(real_data_dir, tmp_path, monkeypatch, served):
    folder = _corrupt_copy(real_data_dir, tmp_path)
    before = (folder / "t10k-labels-idx1-ubyte.gz").read_bytes()
    other = (real_data_dir / "mnist" / "train-labels-idx1-ubyte.gz").read_bytes()
    _serve(real_data_dir, monkeypatch, bad=lambda base: b"<html>captive portal</html>" if served == "garbage" else other)
    message = "not a readable gzip" if served == "garbage" else r"declares shape \(60000,\)"
    with pytest.raises(DatasetError, match=message) as exc:
        datasets.download("mnist", folder=folder)
    assert "Kept the old" in str(exc.value) and "\n" not in str(exc.value)
    assert (folder / "t10k-labels-idx1-ubyte.gz").read_bytes() == before  # untouched
    assert _leftovers(folder) == []  # no temporary file behind


def test_download_offline_is_one_line_naming_the_alternatives(tmp_path, monkeypatch):
    def offline(url, dest):
        raise downloads.urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(downloads, "_fetch", offline)
    for name in ("mnist", "fashion_mnist"):
        with pytest.raises(datasets.DownloadError) as exc:
            datasets.download(name, tmp_path / "dl")
        text = str(exc.value)
        assert "\n" not in text and "offline?" in text and "Name or service not known" in text
        assert "COURSE_DATA_DIR" in text and "Nothing was written" in text
    assert "dataset-fashion-mnist" in text and f"{data_sources.DEBIAN_DATA_DIR / 'fashion-mnist'}/" in text
    assert [p for p in (tmp_path / "dl").rglob("*") if p.is_file()] == []


def test_interrupted_download_leaves_the_old_file_and_no_temp(real_data_dir, tmp_path, monkeypatch):
    folder = _corrupt_copy(real_data_dir, tmp_path)
    before = (folder / "t10k-labels-idx1-ubyte.gz").read_bytes()

    def interrupted(url, dest):
        dest.write_bytes(b"\x1f\x8b half")
        raise KeyboardInterrupt

    monkeypatch.setattr(downloads, "_fetch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        datasets.download("mnist", folder=folder)
    assert (folder / "t10k-labels-idx1-ubyte.gz").read_bytes() == before and _leftovers(folder) == []


def test_repair_folder_is_the_folder_in_use_or_the_course_folder(real_data_dir, tmp_path, monkeypatch):
    folder = _corrupt_copy(real_data_dir, tmp_path)
    assert datasets.repair_folder("mnist", folder.parent) == folder
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path / "new"))
    assert datasets.repair_folder("mnist") == tmp_path / "new" / "mnist"  # created by download()
    monkeypatch.delenv(datasets.DATA_ENV)
    assert datasets.repair_folder("fashion-mnist") == data_sources.COURSE_DATA_DIR / "fashion-mnist"
    (tmp_path / "debian" / "mnist").mkdir(parents=True)  # a read-only system copy is never written to
    shutil.copy(real_data_dir / "mnist" / FILES[0], tmp_path / "debian" / "mnist" / FILES[0])
    assert datasets.repair_folder("mnist") == data_sources.COURSE_DATA_DIR / "mnist"


def test_cli_data_download_repairs_and_reports(real_data_dir, tmp_path, monkeypatch, capsys):
    from helpers import cli

    folder = _corrupt_copy(real_data_dir, tmp_path)
    _serve(real_data_dir, monkeypatch)
    assert cli.main(["data", "--data-dir", str(folder.parent), "mnist"]) == 1
    assert "mnist: BAD:" in capsys.readouterr().out
    assert cli.main(["data", "--download", "--data-dir", str(folder.parent), "mnist"]) == 0
    out = capsys.readouterr().out
    assert "t10k-labels-idx1-ubyte.gz is bad" in out and "replaced by a verified download" in out
    assert "mnist: OK: found in argument" in out


# ------------------------------------------------------------ module layout
def test_datasets_reexports_every_public_name_of_the_data_modules():
    from helpers import errors, pipelines

    for module in (data_sources, downloads, pipelines):
        public = {n for n, v in vars(module).items()
                  if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == module.__name__}
        assert public <= set(module.__all__), f"{module.__name__}: {sorted(public - set(module.__all__))}"
        assert set(module.__all__) <= set(datasets.__all__)
        for name in public:  # the same object: the code lives in one place
            assert getattr(datasets, name) is getattr(module, name)
    assert datasets.DatasetError is errors.DatasetError and datasets.DownloadError is errors.DownloadError
    assert all(hasattr(datasets, name) for name in datasets.__all__)
