"""Tests for skbio_plastic.datasets.

Unit tests write small IDX, CIFAR-10 and tar files into tmp_path and serve
downloads (through pooch, the optional ``download`` dependency) from a loopback
HTTP server; pooch's waits between retries are recorded instead of slept.
Real-data tests read the folder named by SKBIO_PLASTIC_DATA and skip when it,
or a file in it, is absent.
"""

import functools
import gzip
import hashlib
import io
import os
import pickle
import stat
import sys
import tarfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.utils import Bunch

from skbio_plastic import datasets
from skbio_plastic.datasets import (
    get_data_home,
    load_cifar10,
    load_fashion_mnist,
    load_mnist,
)

REAL_DATA = os.environ.get("SKBIO_PLASTIC_DATA")
SYSTEM_DATA_DIRS = datasets.SYSTEM_DATA_DIRS
OFFICIAL_MD5 = datasets.MD5
MNIST_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


# --------------------------------------------------------------------------
# helpers writing small files in the official formats
# --------------------------------------------------------------------------


def idx_bytes(array, magic):
    array = np.asarray(array, dtype=np.uint8)
    header = magic.to_bytes(4, "big") + b"".join(
        d.to_bytes(4, "big") for d in array.shape
    )
    return header + array.tobytes()


def small_images(n=5, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 28, 28), dtype=np.uint8)


def write_idx(folder, images, labels, subset="train", gz=True):
    folder.mkdir(parents=True, exist_ok=True)
    img_name, lab_name = MNIST_NAMES[subset]
    paths = []
    for name, payload in (
        (img_name, idx_bytes(images, 2051)),
        (lab_name, idx_bytes(labels, 2049)),
    ):
        path = folder / (name + ".gz" if gz else name)
        path.write_bytes(gzip.compress(payload) if gz else payload)
        paths.append(path)
    return paths


def cifar_planes(n, seed=0):
    """Random CIFAR images as (n, 3, 32, 32) channel planes."""
    return np.random.default_rng(seed).integers(0, 256, (n, 3, 32, 32), np.uint8)


def write_cifar_bin(path, planes, labels):
    path.parent.mkdir(parents=True, exist_ok=True)
    records = [
        bytes([int(y)]) + p.tobytes() for p, y in zip(planes, labels, strict=True)
    ]
    path.write_bytes(b"".join(records))
    return path


def write_cifar_py(path, planes, labels):
    path.parent.mkdir(parents=True, exist_ok=True)
    batch = {
        b"batch_label": b"synthetic",
        b"data": planes.reshape(len(planes), 3072),
        b"labels": [int(y) for y in labels],
    }
    with open(path, "wb") as f:
        pickle.dump(batch, f, protocol=2)
    return path


def md5_of(path):
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


@pytest.fixture(autouse=True)
def isolated(request, tmp_path, monkeypatch):
    """Unit tests see no env var, a fresh home, no system data folder and empty
    md5 tables (their small files have no official digest); the test_real_*
    tests run in the environment as it is."""
    if request.node.name.startswith("test_real_"):
        return
    monkeypatch.delenv("SKBIO_PLASTIC_DATA", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(datasets, "SYSTEM_DATA_DIRS", ())
    monkeypatch.setattr(datasets, "MD5", {name: {} for name in OFFICIAL_MD5})
    monkeypatch.setattr(datasets, "_MD5_CACHE", {})


@pytest.fixture
def mnist_home(tmp_path):
    home = tmp_path / "data"
    images, labels = small_images(5), np.array([5, 0, 4, 1, 9], np.uint8)
    write_idx(home / "mnist", images, labels)
    write_idx(home / "mnist", images[:3], labels[:3], subset="test")
    return home, images, labels


# --------------------------------------------------------------------------
# MNIST / Fashion-MNIST unit tests
# --------------------------------------------------------------------------


def test_mnist_small_bunch(mnist_home):
    home, images, labels = mnist_home
    bunch = load_mnist(data_home=home)
    assert isinstance(bunch, Bunch)
    X, y = bunch.data, bunch.target
    assert X.shape == (5, 784) and X.dtype == np.float32 and X.flags.c_contiguous
    assert 0.0 <= X.min() and X.max() <= 1.0
    np.testing.assert_allclose(X, images.reshape(5, 784) / np.float32(255), rtol=1e-7)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, labels)
    assert bunch.images.shape == (5, 28, 28)
    np.testing.assert_array_equal(bunch.images[2], X[2].reshape(28, 28))
    assert bunch.image_shape == (28, 28)
    assert list(bunch.target_names) == [str(d) for d in range(10)]
    assert isinstance(bunch.DESCR, str) and "MNIST" in bunch.DESCR
    assert bunch.files == [
        str(home / "mnist" / "train-images-idx3-ubyte.gz"),
        str(home / "mnist" / "train-labels-idx1-ubyte.gz"),
    ]

    X_test, y_test = load_mnist(subset="test", data_home=home, return_X_y=True)
    assert X_test.shape == (3, 784)
    np.testing.assert_array_equal(y_test, labels[:3])


def test_scale_and_dtype(mnist_home):
    home, images, _ = mnist_home
    raw, _ = load_mnist(data_home=home, scale=False, return_X_y=True)
    assert raw.dtype == np.uint8
    np.testing.assert_array_equal(raw, images.reshape(5, 784))
    raw64, _ = load_mnist(data_home=home, scale=False, dtype=float, return_X_y=True)
    assert raw64.dtype == np.float64 and raw64.max() == images.max()
    X64, _ = load_mnist(data_home=home, dtype=np.float64, return_X_y=True)
    assert X64.dtype == np.float64
    np.testing.assert_array_equal(X64, images.reshape(5, 784) / 255.0)
    with pytest.raises(ValueError, match="floating point"):
        load_mnist(data_home=home, dtype=np.uint8)


@pytest.mark.parametrize("subset", ["validation", "TRAIN", None])
def test_bad_subset(mnist_home, subset):
    with pytest.raises(ValueError, match=r"subset must be 'train' or 'test'"):
        load_mnist(subset=subset, data_home=mnist_home[0])
    with pytest.raises(ValueError, match="subset"):
        load_cifar10(subset=subset)


def test_uncompressed_idx(tmp_path):
    images, labels = small_images(4), np.array([1, 2, 3, 4], np.uint8)
    write_idx(tmp_path / "mnist", images, labels, gz=False)
    bunch = load_mnist(data_home=tmp_path)
    np.testing.assert_array_equal(bunch.target, labels)
    assert bunch.files[0].endswith("train-images-idx3-ubyte")


def test_fashion_mnist_small(tmp_path):
    images, labels = small_images(3, seed=1), np.array([9, 0, 3], np.uint8)
    write_idx(tmp_path / "fashion-mnist", images, labels, subset="test")
    bunch = load_fashion_mnist(subset="test", data_home=tmp_path)
    np.testing.assert_array_equal(bunch.target, labels)
    assert bunch.target_names[9] == "Ankle boot"
    assert "Fashion-MNIST" in bunch.DESCR
    # the mnist folder is not used for Fashion-MNIST
    write_idx(tmp_path / "mnist", images, labels)
    with pytest.raises(FileNotFoundError):
        load_fashion_mnist(data_home=tmp_path)


# --------------------------------------------------------------------------
# search order
# --------------------------------------------------------------------------


def _write_labelled(root, label, folder="mnist"):
    write_idx(root / folder, small_images(2), np.array([label, label], np.uint8))


def _first_label(**kwargs):
    return int(load_mnist(return_X_y=True, **kwargs)[1][0])


def test_search_order(tmp_path, monkeypatch):
    home, env, system = tmp_path / "arg", tmp_path / "env", tmp_path / "sys"
    user = tmp_path / "home" / ".skbio_plastic_data"
    _write_labelled(home, 1)
    _write_labelled(env, 2)
    _write_labelled(user, 3)
    _write_labelled(system, 4)
    monkeypatch.setattr(datasets, "SYSTEM_DATA_DIRS", (str(system),))
    monkeypatch.setenv("SKBIO_PLASTIC_DATA", str(env))

    assert _first_label(data_home=home) == 1
    assert _first_label() == 2
    monkeypatch.delenv("SKBIO_PLASTIC_DATA")
    assert _first_label() == 3
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert _first_label() == 4
    _write_labelled(tmp_path / "xdg" / "skbio_plastic", 5)
    assert _first_label() == 5
    # data_home that lacks the files falls through to the next roots
    assert _first_label(data_home=tmp_path / "empty") == 5


def test_file_directly_in_root(tmp_path):
    _write_labelled(tmp_path / "flat", 7, folder="")
    assert _first_label(data_home=tmp_path / "flat") == 7


def test_get_data_home(tmp_path, monkeypatch):
    assert get_data_home(tmp_path / "x") == tmp_path / "x"
    assert get_data_home() == tmp_path / "home" / ".skbio_plastic_data"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert get_data_home() == tmp_path / "xdg" / "skbio_plastic"
    monkeypatch.setenv("SKBIO_PLASTIC_DATA", str(tmp_path / "env"))
    assert get_data_home() == tmp_path / "env"


def test_missing_file_message(tmp_path, monkeypatch):
    env, system = tmp_path / "env", tmp_path / "sys"
    monkeypatch.setenv("SKBIO_PLASTIC_DATA", str(env))
    monkeypatch.setattr(datasets, "SYSTEM_DATA_DIRS", (str(system),))
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(subset="test", data_home=tmp_path / "arg")
    msg = str(info.value)
    assert "t10k-images-idx3-ubyte.gz" in msg
    for folder in (
        tmp_path / "arg" / "mnist",
        tmp_path / "arg",
        env / "mnist",
        env,
        tmp_path / "home" / ".skbio_plastic_data" / "mnist",
        system / "mnist",
        system,
    ):
        assert f"  {folder}" in msg
    assert "SKBIO_PLASTIC_DATA" in msg and "download=True" in msg
    assert "data_home" in msg

    with pytest.raises(FileNotFoundError, match="test_batch.bin"):
        load_cifar10(subset="test", data_home=tmp_path)


def test_missing_labels_only(mnist_home):
    home = mnist_home[0]
    (home / "mnist" / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="train-labels-idx1-ubyte"):
        load_mnist(data_home=home)


# --------------------------------------------------------------------------
# corrupt files and checksums
# --------------------------------------------------------------------------


def test_truncated_payload(mnist_home):
    home = mnist_home[0]
    path = home / "mnist" / "train-images-idx3-ubyte.gz"
    payload = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(payload[:-100]))
    with pytest.raises(ValueError, match="truncated") as info:
        load_mnist(data_home=home)
    assert str(path) in str(info.value) and "expected 3936" in str(info.value)


def test_truncated_gzip_stream(mnist_home):
    home = mnist_home[0]
    path = home / "mnist" / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="gzip") as info:
        load_mnist(data_home=home)
    assert str(path) in str(info.value)


def test_bad_magic(mnist_home):
    home = mnist_home[0]
    path = home / "mnist" / "train-labels-idx1-ubyte.gz"
    # an images file where the labels file should be
    path.write_bytes(gzip.compress(idx_bytes(small_images(5), 2051)))
    with pytest.raises(ValueError, match="magic number 2051.*expected 2049"):
        load_mnist(data_home=home)


def test_bad_dims_and_count_mismatch(tmp_path):
    write_idx(tmp_path / "mnist", np.zeros((2, 28, 27)), np.zeros(2))
    with pytest.raises(ValueError, match=r"dimensions \(2, 28, 27\)"):
        load_mnist(data_home=tmp_path)
    write_idx(tmp_path / "mnist", small_images(4), np.zeros(3))
    with pytest.raises(ValueError, match="4 images but .* 3 labels"):
        load_mnist(data_home=tmp_path)
    write_idx(tmp_path / "mnist", small_images(2), np.array([1, 10]))
    with pytest.raises(ValueError, match="labels from 1 to 10"):
        load_mnist(data_home=tmp_path)


def test_md5_mismatch_and_cache(mnist_home, monkeypatch):
    home = mnist_home[0]
    path = home / "mnist" / "train-images-idx3-ubyte.gz"
    table = datasets.MD5["mnist"]
    monkeypatch.setitem(table, path.name, ("0" * 32,))
    with pytest.raises(ValueError, match="md5") as info:
        load_mnist(data_home=home)
    msg = str(info.value)
    assert str(path) in msg and "0" * 32 in msg and md5_of(path) in msg
    load_mnist(data_home=home, verify=False)

    calls = []

    def counting(p):
        calls.append(p)
        return md5_of(p)

    monkeypatch.setattr(datasets, "_hash_file", counting)
    monkeypatch.setattr(datasets, "_MD5_CACHE", {})
    monkeypatch.setitem(table, path.name, ("f" * 32, md5_of(path)))
    load_mnist(data_home=home)
    load_mnist(data_home=home)
    assert calls == [path]  # cached: hashed once
    os.utime(path, ns=(0, 10**9))
    load_mnist(data_home=home)
    assert calls == [path, path]  # new mtime: hashed again


# --------------------------------------------------------------------------
# CIFAR-10 unit tests
# --------------------------------------------------------------------------


def known_pixel_planes(n=3):
    planes = cifar_planes(n)
    planes[0, :, 3, 5] = [200, 100, 50]
    return planes


@pytest.mark.parametrize("layout", ["bin", "py"])
def test_cifar_known_pixel(tmp_path, layout):
    planes, labels = known_pixel_planes(), np.array([6, 9, 0])
    if layout == "bin":
        write_cifar_bin(
            tmp_path / "cifar-10-batches-bin" / "test_batch.bin", planes, labels
        )
    else:
        write_cifar_py(tmp_path / "cifar-10-batches-py" / "test_batch", planes, labels)
    bunch = load_cifar10(subset="test", data_home=tmp_path)
    X = bunch.data
    assert X.shape == (3, 3072) and X.dtype == np.float32
    assert 0.0 <= X.min() and X.max() <= 1.0
    np.testing.assert_allclose(
        X[0].reshape(32, 32, 3)[3, 5], np.array([200, 100, 50]) / np.float32(255)
    )
    raw, y = load_cifar10(
        subset="test", data_home=tmp_path, scale=False, return_X_y=True
    )
    assert raw.dtype == np.uint8 and y.dtype == np.int64
    np.testing.assert_array_equal(
        raw.reshape(3, 32, 32, 3), planes.transpose(0, 2, 3, 1)
    )
    np.testing.assert_array_equal(y, labels)
    assert bunch.images.shape == (3, 32, 32, 3)
    np.testing.assert_array_equal(bunch.images.reshape(3, -1), X)
    assert bunch.image_shape == (32, 32, 3)
    assert list(bunch.target_names)[6] == "frog"
    assert len(bunch.files) == 1 and "test_batch" in bunch.files[0]


def write_train_batches(root, n=2, with_meta=True):
    folder = root / "cifar-10-batches-bin"
    for b in range(1, 6):
        labels = np.full(n, b)
        write_cifar_bin(folder / f"data_batch_{b}.bin", cifar_planes(n, seed=b), labels)
    if with_meta:
        names = "\n".join(f"class{i}" for i in range(10))
        (folder / "batches.meta.txt").write_text(names + "\n\n")
    return folder


def test_cifar_batches(tmp_path):
    folder = write_train_batches(tmp_path)
    bunch = load_cifar10(data_home=tmp_path)
    assert bunch.data.shape == (10, 3072)
    np.testing.assert_array_equal(bunch.target, np.repeat([1, 2, 3, 4, 5], 2))
    assert list(bunch.target_names) == [f"class{i}" for i in range(10)]
    assert bunch.files[-1] == str(folder / "batches.meta.txt")

    X, y = load_cifar10(
        batches=[5, 2], data_home=tmp_path, scale=False, return_X_y=True
    )
    np.testing.assert_array_equal(y, [5, 5, 2, 2])
    expected = np.concatenate([cifar_planes(2, seed=5), cifar_planes(2, seed=2)])
    np.testing.assert_array_equal(
        X.reshape(4, 32, 32, 3), expected.transpose(0, 2, 3, 1)
    )

    (folder / "batches.meta.txt").unlink()
    bunch = load_cifar10(batches=[1], data_home=tmp_path)
    assert bunch.target_names[0] == "airplane" and len(bunch.files) == 1


@pytest.mark.parametrize("batches", [[0], [6], [1, 1], [], ["a"], 3])
def test_cifar_bad_batches(tmp_path, batches):
    with pytest.raises(ValueError, match="batches"):
        load_cifar10(batches=batches, data_home=tmp_path)


def test_cifar_batches_with_test_subset(tmp_path):
    with pytest.raises(ValueError, match="subset='train'"):
        load_cifar10(subset="test", batches=[5], data_home=tmp_path)


def test_cifar_md5_applies_to_known_names(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "MD5", OFFICIAL_MD5)
    write_train_batches(tmp_path)
    with pytest.raises(ValueError, match="data_batch_1.bin: md5 .* official md5 5dd7e"):
        load_cifar10(batches=[1], data_home=tmp_path)


def test_cifar_truncated_and_bad_labels(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    path = write_cifar_bin(folder / "test_batch.bin", cifar_planes(2), [1, 2])
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(ValueError, match="6139 bytes.*3073-byte records") as info:
        load_cifar10(subset="test", data_home=tmp_path)
    assert str(path) in str(info.value)
    write_cifar_bin(folder / "test_batch.bin", cifar_planes(2), [1, 12])
    with pytest.raises(ValueError, match="labels from 1 to 12"):
        load_cifar10(subset="test", data_home=tmp_path)


def test_cifar_bad_pickle(tmp_path):
    path = tmp_path / "cifar-10-batches-py" / "test_batch"
    path.parent.mkdir()
    path.write_bytes(pickle.dumps({b"data": np.zeros((2, 100), np.uint8)}))
    with pytest.raises(ValueError, match="not a CIFAR-10 python batch"):
        load_cifar10(subset="test", data_home=tmp_path)
    path.write_bytes(
        pickle.dumps({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]})
    )
    with pytest.raises(ValueError, match=r"expected uint8 \(n, 3072\)"):
        load_cifar10(subset="test", data_home=tmp_path)


# --------------------------------------------------------------------------
# downloads from a loopback server
# --------------------------------------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    """Logs each GET path in ``server.requests`` and answers 503 while
    ``server.failures`` is positive."""

    def do_GET(self):
        self.server.requests.append(self.path)
        if self.server.failures > 0:
            self.server.failures -= 1
            self.send_error(503)
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def sleeps(monkeypatch):
    """pooch's waits between download attempts, recorded, not slept."""
    pooch = pytest.importorskip("pooch")
    waits = []
    monkeypatch.setattr(pooch.core, "time", SimpleNamespace(sleep=waits.append))
    return waits


@pytest.fixture
def httpd(tmp_path, monkeypatch, sleeps):
    """The loopback HTTP server serving tmp_path/srv."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    root = tmp_path / "srv"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.root, httpd.requests, httpd.failures = root, [], 0
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def server(httpd):
    """(served folder, base URL) of the loopback server."""
    return httpd.root, httpd.base


def serve_mnist(root, monkeypatch, base):
    images, labels = small_images(5), np.array([3, 1, 4, 1, 5], np.uint8)
    paths = write_idx(root / "files", images, labels)
    monkeypatch.setitem(datasets.URLS, "mnist", base + "files/")
    for p in paths:
        monkeypatch.setitem(datasets.MD5["mnist"], p.name, (md5_of(p),))
    return images, labels


def test_download_mnist(httpd, sleeps, tmp_path, monkeypatch):
    images, labels = serve_mnist(httpd.root, monkeypatch, httpd.base)
    with pytest.raises(FileNotFoundError):
        load_mnist(data_home=tmp_path / "dl")
    X, y = load_mnist(data_home=tmp_path / "dl", download=True, return_X_y=True)
    np.testing.assert_array_equal(y, labels)
    np.testing.assert_allclose(X, images.reshape(5, -1) / np.float32(255))
    files = sorted((tmp_path / "dl" / "mnist").iterdir())
    assert [p.name for p in files] == [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
    ]
    # readable by all, like the files that the loaders read from shared folders
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in files)
    assert httpd.requests == ["/files/" + p.name for p in files] and sleeps == []
    # present files are read, not fetched again
    load_mnist(data_home=tmp_path / "dl", download=True)
    assert len(httpd.requests) == 2
    # the default target is the user data folder
    load_mnist(download=True)
    assert (tmp_path / "home" / ".skbio_plastic_data" / "mnist").is_dir()


def test_download_md5_mismatch_leaves_nothing(httpd, sleeps, tmp_path, monkeypatch):
    serve_mnist(httpd.root, monkeypatch, httpd.base)
    name = "train-images-idx3-ubyte.gz"
    monkeypatch.setitem(datasets.MD5["mnist"], name, ("0" * 32,))
    with pytest.raises(ValueError, match="MD5 hash") as info:
        load_mnist(data_home=tmp_path / "dl", download=True)
    assert name in str(info.value) and "md5:" + "0" * 32 in str(info.value)
    assert list((tmp_path / "dl" / "mnist").iterdir()) == []
    # pooch tried three times, waiting 1 s then 2 s
    assert httpd.requests == ["/files/" + name] * (1 + datasets._RETRIES)
    assert sleeps == [1, 2]


def test_download_http_error(httpd, sleeps, tmp_path, monkeypatch):
    monkeypatch.setitem(datasets.URLS, "fashion-mnist", httpd.base + "nothing/")
    with pytest.raises(OSError, match="nothing/train-images-idx3-ubyte.gz"):
        load_fashion_mnist(data_home=tmp_path / "dl", download=True)
    assert list((tmp_path / "dl" / "fashion-mnist").iterdir()) == []
    assert len(httpd.requests) == 3 and sleeps == [1, 2]


@pytest.mark.parametrize("failures", [2, 3])
def test_download_retries_transient_failures(
    httpd, sleeps, tmp_path, monkeypatch, failures
):
    images, labels = serve_mnist(httpd.root, monkeypatch, httpd.base)
    httpd.failures = failures
    if failures > datasets._RETRIES:
        with pytest.raises(OSError, match="503"):
            load_mnist(data_home=tmp_path / "dl", download=True)
        assert list((tmp_path / "dl" / "mnist").iterdir()) == []
    else:
        y = load_mnist(data_home=tmp_path / "dl", download=True, return_X_y=True)[1]
        np.testing.assert_array_equal(y, labels)
        assert len(httpd.requests) == failures + 2  # then both files at once
    assert sleeps == [1, 2]


@pytest.mark.parametrize("with_tqdm", [True, False])
def test_download_progress_bar(httpd, tmp_path, monkeypatch, capfd, with_tqdm):
    if with_tqdm:
        pytest.importorskip("tqdm")
    else:
        monkeypatch.setitem(sys.modules, "tqdm", None)  # as if not installed
    serve_mnist(httpd.root, monkeypatch, httpd.base)
    load_mnist(data_home=tmp_path / "dl", download=True)
    err = capfd.readouterr().err
    assert (err.count("100%|") == 2) == with_tqdm  # one bar per file


def test_download_without_pooch(mnist_home, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pooch", None)  # as if not installed
    with pytest.raises(ImportError, match=r'pip install "skbio-plastic\[download\]"'):
        load_mnist(data_home=tmp_path / "dl", download=True)
    with pytest.raises(ImportError, match="cifar10"):
        load_cifar10(data_home=tmp_path / "dl", download=True)
    # files on disk need no pooch, download=True or not, and are still verified
    home = mnist_home[0]
    load_mnist(data_home=home, download=True)
    path = home / "mnist" / "train-images-idx3-ubyte.gz"
    monkeypatch.setitem(datasets.MD5["mnist"], path.name, ("0" * 32,))
    with pytest.raises(ValueError, match=f"{md5_of(path)} .* official md5 0+"):
        load_mnist(data_home=home, download=True)


def make_tarball(path, members):
    """members: {name: bytes}"""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_download_cifar10_tarball(server, tmp_path, monkeypatch):
    root, base = server
    src = write_train_batches(tmp_path / "src", n=1)
    write_cifar_bin(src / "test_batch.bin", known_pixel_planes(1), [4])
    members = {f"cifar-10-batches-bin/{p.name}": p.read_bytes() for p in src.iterdir()}
    tarball = make_tarball(root / "cifar.tar.gz", members)
    monkeypatch.setitem(datasets.URLS, "cifar10", base + "cifar.tar.gz")
    monkeypatch.setitem(
        datasets.MD5["cifar10"], "cifar-10-binary.tar.gz", (md5_of(tarball),)
    )
    dl = tmp_path / "dl"
    bunch = load_cifar10(subset="test", data_home=dl, download=True)
    np.testing.assert_allclose(bunch.images[0, 3, 5], np.array([200, 100, 50]) / 255)
    assert bunch.target[0] == 4
    assert sorted(p.name for p in dl.rglob("*")) == sorted(
        ["cifar-10-batches-bin", *(Path(m).name for m in members)]
    )
    y = load_cifar10(data_home=dl, return_X_y=True)[1]
    np.testing.assert_array_equal(y, [1, 2, 3, 4, 5])


def test_download_cifar10_checksum_mismatch(httpd, tmp_path, monkeypatch):
    make_tarball(
        httpd.root / "cifar.tar.gz", {"cifar-10-batches-bin/test_batch.bin": b""}
    )
    monkeypatch.setitem(datasets.URLS, "cifar10", httpd.base + "cifar.tar.gz")
    monkeypatch.setattr(datasets, "MD5", OFFICIAL_MD5)
    with pytest.raises(ValueError, match="md5:c32a1d4ab5d03f1284b67883e8d87530"):
        load_cifar10(subset="test", data_home=tmp_path / "dl", download=True)
    assert [p for p in (tmp_path / "dl").rglob("*") if not p.is_dir()] == []


@pytest.mark.parametrize(
    "bad_name",
    ["../evil.bin", "/tmp/evil.bin", "cifar-10-batches-bin/../../evil.bin", "other/x"],
)
def test_download_cifar10_rejects_unsafe_tarball(
    server, tmp_path, monkeypatch, bad_name
):
    root, base = server
    tarball = make_tarball(
        root / "cifar.tar.gz",
        {"cifar-10-batches-bin/data_batch_1.bin": b"x", bad_name: b"evil"},
    )
    monkeypatch.setitem(datasets.URLS, "cifar10", base + "cifar.tar.gz")
    monkeypatch.setitem(
        datasets.MD5["cifar10"], "cifar-10-binary.tar.gz", (md5_of(tarball),)
    )
    dl = tmp_path / "deep" / "dl"
    with pytest.raises(ValueError, match="unexpected member"):
        load_cifar10(subset="test", data_home=dl, download=True)
    assert not list(tmp_path.rglob("evil.bin"))
    assert not (dl / "cifar-10-binary.tar.gz").exists()


def test_download_cifar10_rejects_symlink(server, tmp_path, monkeypatch):
    root, base = server
    tarball = root / "cifar.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        info = tarfile.TarInfo("cifar-10-batches-bin/test_batch.bin")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tar.addfile(info)
    monkeypatch.setitem(datasets.URLS, "cifar10", base + "cifar.tar.gz")
    monkeypatch.setitem(
        datasets.MD5["cifar10"], "cifar-10-binary.tar.gz", (md5_of(tarball),)
    )
    with pytest.raises(ValueError, match="unexpected member"):
        load_cifar10(subset="test", data_home=tmp_path / "dl", download=True)
    assert not (tmp_path / "dl" / "cifar-10-batches-bin" / "test_batch.bin").exists()


# --------------------------------------------------------------------------
# real data (SKBIO_PLASTIC_DATA); skipped when absent
# --------------------------------------------------------------------------


def real_root(*files):
    if not REAL_DATA:
        pytest.skip("SKBIO_PLASTIC_DATA is not set")
    missing = [f for f in files if not (Path(REAL_DATA) / f).is_file()]
    if missing:
        pytest.skip(f"{REAL_DATA} lacks {', '.join(missing)}")
    return REAL_DATA


MNIST_FILES = [f"mnist/{n}.gz" for pair in MNIST_NAMES.values() for n in pair]
CIFAR_FILES = [f"cifar-10-batches-bin/data_batch_{b}.bin" for b in range(1, 6)]


@pytest.fixture(scope="module")
def real_mnist():
    root = real_root(*MNIST_FILES)
    return (
        load_mnist(data_home=root),
        load_mnist(subset="test", data_home=root, return_X_y=True),
    )


@pytest.fixture(scope="module")
def real_cifar():
    root = real_root(*CIFAR_FILES)
    return load_cifar10(data_home=root, scale=False)


def test_real_mnist(real_mnist):
    train, (X_test, y_test) = real_mnist
    assert train.data.shape == (60000, 784) and X_test.shape == (10000, 784)
    assert train.data.dtype == np.float32 and train.target.dtype == np.int64
    assert train.data.min() == 0.0 and train.data.max() == 1.0
    assert train.target[0] == 5 and y_test[0] == 7
    np.testing.assert_array_equal(
        np.bincount(train.target),
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    )
    np.testing.assert_array_equal(
        np.bincount(y_test), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    )
    # the usual normalisation constant of MNIST
    assert abs(train.data.mean(dtype=np.float64) - 0.1307) < 1e-3


def test_real_cifar10(real_cifar):
    X, y = real_cifar.data, real_cifar.target
    assert X.shape == (50000, 3072) and X.dtype == np.uint8 and y.dtype == np.int64
    assert y[0] == 6  # the first training image is a frog
    np.testing.assert_array_equal(np.bincount(y), np.full(10, 5000))
    assert list(real_cifar.target_names) == datasets._CIFAR_NAMES
    # channel means of the training set, the usual normalisation constants:
    # they only come out in this order when rows are (height, width, channel)
    means = X.reshape(-1, 3).sum(axis=0, dtype=np.int64) / (50000 * 1024 * 255)
    np.testing.assert_allclose(means, [0.4914, 0.4822, 0.4465], atol=1e-3)
    # horizontally adjacent pixels of one channel are strongly correlated
    img = real_cifar.images[:500].astype(np.float64)
    for c in range(3):
        corr = np.corrcoef(img[:, :, :-1, c].ravel(), img[:, :, 1:, c].ravel())[0, 1]
        assert corr > 0.8


def test_real_cifar10_protocol(tmp_path, monkeypatch):
    root = real_root(*CIFAR_FILES)
    X, y = load_cifar10(batches=[5], data_home=root, return_X_y=True)
    assert X.shape == (10000, 3072) and X.dtype == np.float32
    assert 0.0 <= X.min() and X.max() <= 1.0
    assert len(np.unique(y)) == 10
    if not (Path(root) / "cifar-10-batches-bin" / "test_batch.bin").is_file():
        monkeypatch.setenv("HOME", str(tmp_path))
        monkeypatch.delenv("XDG_DATA_HOME", raising=False)
        monkeypatch.setattr(datasets, "SYSTEM_DATA_DIRS", ())
        with pytest.raises(FileNotFoundError, match="test_batch.bin"):
            load_cifar10(subset="test", data_home=root)


FASHION_FILES = [f"fashion-mnist/{n}.gz" for pair in MNIST_NAMES.values() for n in pair]


def test_real_fashion_mnist():
    roots = [r for r in (REAL_DATA, *SYSTEM_DATA_DIRS) if r]
    root = next(
        (r for r in roots if all((Path(r) / f).is_file() for f in FASHION_FILES)),
        None,
    )
    if root is None:
        pytest.skip(f"no fashion-mnist folder with the four files in {roots}")
    # a system data folder (Debian's package) is searched by default
    data_home = None if root in SYSTEM_DATA_DIRS else root
    X, y = load_fashion_mnist(subset="test", data_home=data_home, return_X_y=True)
    assert X.shape == (10000, 784) and X.dtype == np.float32
    assert 0.0 <= X.min() and X.max() <= 1.0
    assert y[0] == 9  # ankle boot
    np.testing.assert_array_equal(np.bincount(y), np.full(10, 1000))
    y_train = load_fashion_mnist(data_home=root, scale=False, return_X_y=True)[1]
    assert y_train.shape == (60000,) and y_train[0] == 9
    np.testing.assert_array_equal(np.bincount(y_train), np.full(10, 6000))
