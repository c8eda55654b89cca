"""Loaders for the MNIST, Fashion-MNIST and CIFAR-10 benchmark files.

The loaders read the official distribution files, check them (md5 where the
official digest is known, header and size always) and return flat rows of
pixels scaled to ``[0, 1]``.

Each file is searched for, in this order, in

1. the ``data_home`` argument,
2. the folder named by the ``SKBIO_PLASTIC_DATA`` environment variable,
3. the user data folder (``$XDG_DATA_HOME/skbio_plastic`` when
   ``XDG_DATA_HOME`` is set, else ``~/.skbio_plastic_data``),
4. ``/usr/share/datasets`` (where Debian's ``dataset-fashion-mnist`` package
   installs ``fashion-mnist/``).

A root is searched as ``root/<folder>/<file>`` and then ``root/<file>``, with
the folders ``mnist``, ``fashion-mnist``, ``cifar-10-batches-bin`` and
``cifar-10-batches-py``. Reading files needs nothing beyond the package's
own dependencies. With ``download=True`` missing files are fetched from the
locations in :data:`URLS` into the first writable of ``data_home``,
``SKBIO_PLASTIC_DATA`` and the user data folder by `pooch
<https://www.fatiando.org/pooch/>`_, the optional dependency installed by
``pip install "skbio-plastic[download]"``: it checks the official md5, retries
failed transfers and shows a progress bar (tqdm, installed with the extra).
"""

import gzip
import hashlib
import importlib.util
import os
import pickle
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path, PurePosixPath

import numpy as np
from sklearn.utils import Bunch

__all__ = [
    "MD5",
    "URLS",
    "get_data_home",
    "load_cifar10",
    "load_fashion_mnist",
    "load_mnist",
]

ENV_VAR = "SKBIO_PLASTIC_DATA"
SYSTEM_DATA_DIRS = ("/usr/share/datasets",)

#: Download locations: a base URL for the IDX files, the tarball for CIFAR-10.
URLS = {
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "fashion-mnist": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "cifar10": "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
}

#: Accepted md5 digests per dataset and file name. Files not listed here
#: (uncompressed IDX files, CIFAR-10 ``test_batch.bin``, the python layout)
#: are checked for size and structure only.
MD5 = {
    "mnist": {
        "train-images-idx3-ubyte.gz": ("f68b3c2dcbeaaa9fbdd348bbdeb94873",),
        "train-labels-idx1-ubyte.gz": ("d53e105ee54ea40749a09fcbcd1e9432",),
        "t10k-images-idx3-ubyte.gz": ("9fb629c4189551a2d022fa330f9573f3",),
        "t10k-labels-idx1-ubyte.gz": ("ec29112dd5afa0611ce80d1b7f02629c",),
    },
    # The second digest of each file is that of Debian's dataset-fashion-mnist
    # package, whose gzip header lacks the file name and has another mtime:
    # restoring the original header (name, mtime 2017-08-31) gives back the
    # official digest, so the compressed data are the same.
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": (
            "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "cf8536b0aa1a6ac5fa3f23001093305c",
        ),
        "train-labels-idx1-ubyte.gz": (
            "25c81989df183df01b3e8a0aad5dffbe",
            "10bea18fdb374794d4bb42e356e600c9",
        ),
        "t10k-images-idx3-ubyte.gz": (
            "bef4ecab320f06d8554ea6380940ec79",
            "f78720b4224f21cce2f2ccf2d7a94c9a",
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "bb300cfdad3c16e7a12a480ee83cd310",
            "0d30e22e447f3c33dab9ed536400ac01",
        ),
    },
    "cifar10": {
        "cifar-10-binary.tar.gz": ("c32a1d4ab5d03f1284b67883e8d87530",),
        "data_batch_1.bin": ("5dd7e06a14cb22eb9f671a540d1b7c25",),
        "data_batch_2.bin": ("5ea93a67294ea407fff1d09f752e9692",),
        "data_batch_3.bin": ("942cd6a4bcdd0dd3c604fbe906cb4421",),
        "data_batch_4.bin": ("ae636b3ba5c66a11e91e8cb52e771fcb",),
        "data_batch_5.bin": ("53f37980c15c3d472c316c40844f3f0d",),
    },
}

_IDX_INFO = {
    "mnist": {
        "title": "MNIST",
        "target_names": [str(d) for d in range(10)],
        "descr": (
            "MNIST handwritten digits (LeCun, Cortes and Burges): 60,000 training "
            "and 10,000 test grayscale images of 28x28 pixels, 10 classes."
        ),
    },
    "fashion-mnist": {
        "title": "Fashion-MNIST",
        "target_names": [
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ],
        "descr": (
            "Fashion-MNIST Zalando article images (Xiao, Rasul and Vollgraf, "
            "2017): 60,000 training and 10,000 test grayscale images of 28x28 "
            "pixels, 10 classes."
        ),
    },
}

_CIFAR_NAMES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]
_CIFAR_BIN = "cifar-10-batches-bin"
_CIFAR_PY = "cifar-10-batches-py"
_CIFAR_ARCHIVE = "cifar-10-binary.tar.gz"
_CIFAR_RECORD = 1 + 32 * 32 * 3
_CHUNK = 1 << 20
_MD5_CACHE = {}
#: Download retries after a failed transfer or checksum (pooch waits 1 s, 2 s).
_RETRIES = 2


def get_data_home(data_home=None):
    """Return the default root folder for downloaded data sets.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Returned as is when given. Otherwise the ``SKBIO_PLASTIC_DATA``
        environment variable, else ``$XDG_DATA_HOME/skbio_plastic`` when
        ``XDG_DATA_HOME`` is set, else ``~/.skbio_plastic_data``.

    Returns
    -------
    path : pathlib.Path
        The folder; it is not created.
    """
    if data_home is not None:
        return Path(data_home).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return _user_data_dir()


def load_mnist(
    *,
    subset="train",
    data_home=None,
    return_X_y=False,
    download=False,
    dtype=None,
    scale=True,
    verify=True,
):
    """Load the MNIST handwritten digits from the four official IDX files.

    Reads ``train-images-idx3-ubyte.gz`` and ``train-labels-idx1-ubyte.gz``
    (or the ``t10k-`` pair), or the same files uncompressed when the ``.gz``
    are absent, from the ``mnist`` folder of the search roots described in
    :mod:`skbio_plastic.datasets`.

    Parameters
    ----------
    subset : {"train", "test"}, default="train"
        60,000 training or 10,000 test images.
    data_home : str or path-like, default=None
        First folder to search, and the download target.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    download : bool, default=False
        Fetch missing files from ``URLS["mnist"]`` (needs the ``download``
        extra: ``pip install "skbio-plastic[download]"``).
    dtype : numpy dtype, default=None
        dtype of ``X``: ``float32`` when None and ``scale`` is True, the raw
        ``uint8`` when None and ``scale`` is False.
    scale : bool, default=True
        Divide the pixels by 255, into ``[0, 1]``.
    verify : bool, default=True
        Check the md5 of files whose official digest is in :data:`MD5`.

    Returns
    -------
    data : Bunch or tuple
        ``data`` (n, 784) pixel rows, ``target`` (n,) int64 labels,
        ``images`` (n, 28, 28) view of ``data``, ``image_shape``,
        ``target_names``, ``DESCR`` and ``files`` (the paths read);
        ``(data, target)`` when ``return_X_y`` is True.
    """
    return _load_idx(
        "mnist", subset, data_home, return_X_y, download, dtype, scale, verify
    )


def load_fashion_mnist(
    *,
    subset="train",
    data_home=None,
    return_X_y=False,
    download=False,
    dtype=None,
    scale=True,
    verify=True,
):
    """Load Fashion-MNIST from the four official IDX files.

    Same files, format and parameters as :func:`load_mnist`, searched for in
    the ``fashion-mnist`` folder of each root (Debian's
    ``dataset-fashion-mnist`` package installs them in
    ``/usr/share/datasets/fashion-mnist``).

    Parameters
    ----------
    subset : {"train", "test"}, default="train"
        60,000 training or 10,000 test images.
    data_home : str or path-like, default=None
        First folder to search, and the download target.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    download : bool, default=False
        Fetch missing files from ``URLS["fashion-mnist"]`` (needs the ``download``
        extra: ``pip install "skbio-plastic[download]"``).
    dtype : numpy dtype, default=None
        dtype of ``X``: ``float32`` when None and ``scale`` is True, the raw
        ``uint8`` when None and ``scale`` is False.
    scale : bool, default=True
        Divide the pixels by 255, into ``[0, 1]``.
    verify : bool, default=True
        Check the md5 of files whose official digest is in :data:`MD5`.

    Returns
    -------
    data : Bunch or tuple
        As for :func:`load_mnist`, with the ten article names as
        ``target_names``.
    """
    return _load_idx(
        "fashion-mnist", subset, data_home, return_X_y, download, dtype, scale, verify
    )


def load_cifar10(
    *,
    subset="train",
    batches=None,
    data_home=None,
    return_X_y=False,
    download=False,
    dtype=None,
    scale=True,
    verify=True,
):
    """Load CIFAR-10 from the official binary or python batch files.

    Reads ``cifar-10-batches-bin/data_batch_{1..5}.bin`` and
    ``test_batch.bin`` (records of one label byte then the R, G and B planes
    of 32x32 pixels), or, where a binary file is not found, the python
    layout ``cifar-10-batches-py/data_batch_{1..5}`` and ``test_batch``
    (pickles; load only files you trust). Rows are returned in
    (height, width, channel) order: ``X[i].reshape(32, 32, 3)`` is an RGB
    image.

    Without ``test_batch.bin``, the usual offline protocol trains on batches
    1-4 and tests on batch 5::

        X_train, y_train = load_cifar10(batches=[1, 2, 3, 4], return_X_y=True)
        X_test, y_test = load_cifar10(batches=[5], return_X_y=True)

    Parameters
    ----------
    subset : {"train", "test"}, default="train"
        The training batches or the 10,000 test images.
    batches : sequence of int, default=None
        Training batches to load, in this order, from 1 to 5; None loads all
        five. Only for ``subset="train"``.
    data_home : str or path-like, default=None
        First folder to search, and the download target.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    download : bool, default=False
        Fetch and extract ``URLS["cifar10"]`` (the 170 MB binary tarball)
        when a file is missing (needs the ``download`` extra:
        ``pip install "skbio-plastic[download]"``).
    dtype : numpy dtype, default=None
        dtype of ``X``: ``float32`` when None and ``scale`` is True, the raw
        ``uint8`` when None and ``scale`` is False.
    scale : bool, default=True
        Divide the pixels by 255, into ``[0, 1]``.
    verify : bool, default=True
        Check the md5 of files whose official digest is in :data:`MD5`.

    Returns
    -------
    data : Bunch or tuple
        ``data`` (n, 3072) pixel rows, ``target`` (n,) int64 labels,
        ``images`` (n, 32, 32, 3) view of ``data``, ``image_shape``,
        ``target_names`` (from ``batches.meta.txt`` when present), ``DESCR``
        and ``files`` (the paths read); ``(data, target)`` when
        ``return_X_y`` is True.
    """
    _check_subset(subset)
    dtype = _resolve_dtype(dtype, scale)
    if subset == "train":
        stems = [f"data_batch_{b}" for b in _check_batches(batches)]
    elif batches is not None:
        raise ValueError(
            f"batches={batches!r} only applies to subset='train'; "
            "use subset='train', batches=[5] to hold out batch 5."
        )
    else:
        stems = ["test_batch"]
    wanted = {s: [(_CIFAR_BIN, s + ".bin"), (_CIFAR_PY, s)] for s in stems}
    paths = _resolve("cifar10", wanted, data_home, download)

    pixels, labels = [], []
    for stem in stems:
        path = paths[stem]
        _verify(path, "cifar10", verify)
        if path.suffix == ".bin":
            chw, y = _read_cifar_bin(path)
        else:
            chw, y = _read_cifar_py(path)
        _check_labels(y, path)
        pixels.append(chw)
        labels.append(y)
    chw = np.concatenate(pixels)
    n = len(chw)
    hwc = np.empty((n, 32, 32, 3), dtype=dtype)
    hwc[...] = chw.reshape(n, 3, 32, 32).transpose(0, 2, 3, 1)
    if scale:
        hwc /= 255
    X = hwc.reshape(n, 32 * 32 * 3)
    y = np.concatenate(labels).astype(np.int64)
    if return_X_y:
        return X, y

    files = [str(paths[s]) for s in stems]
    target_names = list(_CIFAR_NAMES)
    meta = paths[stems[0]].parent / "batches.meta.txt"
    if meta.is_file():
        names = [ln.strip() for ln in meta.read_text().splitlines() if ln.strip()]
        if len(names) == 10:
            target_names = names
            files.append(str(meta))
    descr = (
        "CIFAR-10 (Krizhevsky, 2009): 32x32 RGB images in 10 classes, five "
        "training batches and one test batch of 10,000 images each; rows in "
        f"(height, width, channel) order. Loaded: {', '.join(stems)}."
    )
    return Bunch(
        data=X,
        target=y,
        images=hwc,
        image_shape=(32, 32, 3),
        target_names=np.array(target_names),
        DESCR=descr,
        files=files,
    )


def _load_idx(dataset, subset, data_home, return_X_y, download, dtype, scale, verify):
    _check_subset(subset)
    dtype = _resolve_dtype(dtype, scale)
    prefix = "train" if subset == "train" else "t10k"
    names = {
        "images": f"{prefix}-images-idx3-ubyte",
        "labels": f"{prefix}-labels-idx1-ubyte",
    }
    wanted = {k: [(dataset, n + ".gz"), (dataset, n)] for k, n in names.items()}
    paths = _resolve(dataset, wanted, data_home, download)
    for path in paths.values():
        _verify(path, dataset, verify)
    images = _read_idx(paths["images"], 2051, (28, 28))
    labels = _read_idx(paths["labels"], 2049, ())
    if len(images) != len(labels):
        raise ValueError(
            f"{paths['images']} holds {len(images)} images but "
            f"{paths['labels']} holds {len(labels)} labels; expected equal counts."
        )
    _check_labels(labels, paths["labels"])

    n = len(images)
    X = images.reshape(n, 28 * 28).astype(dtype)
    if scale:
        X /= 255
    y = labels.astype(np.int64)
    if return_X_y:
        return X, y
    info = _IDX_INFO[dataset]
    return Bunch(
        data=X,
        target=y,
        images=X.reshape(n, 28, 28),
        image_shape=(28, 28),
        target_names=np.array(info["target_names"]),
        DESCR=info["descr"],
        files=[str(paths["images"]), str(paths["labels"])],
    )


def _check_subset(subset):
    if subset not in ("train", "test"):
        raise ValueError(f"subset must be 'train' or 'test', got {subset!r}.")


def _check_batches(batches):
    if batches is None:
        return [1, 2, 3, 4, 5]
    try:
        out = [int(b) for b in batches]
    except (TypeError, ValueError):
        raise ValueError(
            f"batches must be a sequence of integers from 1 to 5, got {batches!r}."
        ) from None
    if not out or any(b not in range(1, 6) for b in out) or len(set(out)) < len(out):
        raise ValueError(
            "batches must be a non-empty sequence of distinct integers from 1 to "
            f"5, got {batches!r}."
        )
    return out


def _resolve_dtype(dtype, scale):
    if dtype is None:
        return np.dtype(np.float32 if scale else np.uint8)
    dtype = np.dtype(dtype)
    if scale and dtype.kind != "f":
        raise ValueError(
            f"dtype must be a floating point type when scale=True, got {dtype}."
        )
    return dtype


def _user_data_dir():
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg:
        return Path(xdg).expanduser() / "skbio_plastic"
    return Path.home() / ".skbio_plastic_data"


def _search_roots(data_home):
    roots = [] if data_home is None else [Path(data_home).expanduser()]
    if os.environ.get(ENV_VAR):
        roots.append(Path(os.environ[ENV_VAR]).expanduser())
    roots.append(_user_data_dir())
    roots.extend(Path(d) for d in SYSTEM_DATA_DIRS)
    return list(dict.fromkeys(roots))


def _locate(alternatives, data_home):
    """First existing file for (folder, name) alternatives, and the dirs seen."""
    searched = []
    for root in _search_roots(data_home):
        for folder, name in alternatives:
            for directory in (root / folder, root):
                searched.append(directory)
                if (directory / name).is_file():
                    return directory / name, searched
    return None, list(dict.fromkeys(searched))


def _resolve(dataset, wanted, data_home, download):
    """Map each key of ``wanted`` to the path of the first file found."""
    found = {k: _locate(alts, data_home)[0] for k, alts in wanted.items()}
    missing = [k for k, path in found.items() if path is None]
    if missing and download:
        if dataset == "cifar10":
            _download_cifar10(data_home)
        else:
            _download_idx(dataset, data_home, [wanted[k][0][1] for k in missing])
        found = {k: _locate(alts, data_home)[0] for k, alts in wanted.items()}
    for key, alternatives in wanted.items():
        if found[key] is None:
            _raise_not_found(dataset, alternatives, data_home)
    return found


def _raise_not_found(dataset, alternatives, data_home):
    _, searched = _locate(alternatives, data_home)
    names = " or ".join(repr(name) for _, name in alternatives)
    looked = "\n".join(
        f"  {d}" + ("" if d.is_dir() else "  (does not exist)") for d in searched
    )
    url = URLS[dataset]
    if dataset != "cifar10":
        url += alternatives[0][1]
    raise FileNotFoundError(
        f"{dataset} file {names} not found. Looked in:\n{looked}\n"
        f"Put the file in one of these folders, pass data_home=..., set the "
        f"{ENV_VAR} environment variable, or pass download=True to fetch it "
        f"from {url}."
    )


def _expected_md5(dataset, name):
    digests = MD5.get(dataset, {}).get(name, ())
    return (digests,) if isinstance(digests, str) else tuple(digests)


def _hash_file(path):
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _cache_key(path):
    stat = path.stat()
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns


def _md5(path):
    """md5 of a file, cached per (path, size, mtime)."""
    key = _cache_key(path)
    if key not in _MD5_CACHE:
        _MD5_CACHE[key] = _hash_file(path)
    return _MD5_CACHE[key]


def _verify(path, dataset, verify):
    expected = _expected_md5(dataset, path.name)
    if not verify or not expected:
        return
    found = _md5(path)
    if found not in expected:
        raise ValueError(
            f"{path}: md5 {found} ({path.stat().st_size} bytes) does not match the "
            f"official md5 {' or '.join(expected)}; the file is truncated, corrupt "
            "or not the official one. Delete it (download=True fetches it again) "
            "or pass verify=False to skip this check."
        )


def _read_idx(path, magic, item_shape):
    kind = "images" if magic == 2051 else "labels"
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                raw = f.read()
        else:
            raw = path.read_bytes()
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: not a valid gzip file ({exc}).") from exc
    found = int.from_bytes(raw[:4], "big")
    if len(raw) < 4 or found != magic:
        raise ValueError(
            f"{path}: IDX magic number {found} ({len(raw)} bytes), expected "
            f"{magic} for an IDX {kind} file."
        )
    ndim = 1 + len(item_shape)
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(
            f"{path}: {len(raw)} bytes, shorter than the {header}-byte IDX header."
        )
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, offset=4))
    if dims[1:] != item_shape:
        raise ValueError(
            f"{path}: IDX dimensions {dims}, expected (n, "
            f"{', '.join(map(str, item_shape))}) for {kind}."
        )
    expected = header + int(np.prod(dims))
    if len(raw) != expected:
        raise ValueError(
            f"{path}: {len(raw)} bytes of IDX data, expected {expected} "
            f"({header}-byte header + {' x '.join(map(str, dims))} values); the "
            "file is truncated or corrupt."
        )
    return np.frombuffer(raw, np.uint8, offset=header).reshape(dims)


def _read_cifar_bin(path):
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % _CIFAR_RECORD:
        raise ValueError(
            f"{path}: {raw.size} bytes, expected a whole number of "
            f"{_CIFAR_RECORD}-byte records (1 label byte + 3072 pixel bytes; "
            f"{10000 * _CIFAR_RECORD} bytes for an official batch); the file is "
            "truncated or corrupt."
        )
    records = raw.reshape(-1, _CIFAR_RECORD)
    return records[:, 1:], records[:, 0]


def _read_cifar_py(path):
    try:
        with open(path, "rb") as f:
            batch = pickle.load(f, encoding="bytes")
        data = np.asarray(batch[b"data"])
        labels = np.asarray(batch[b"labels"])
    except Exception as exc:
        raise ValueError(
            f"{path}: not a CIFAR-10 python batch, expected a pickled dict with "
            f"b'data' and b'labels' ({type(exc).__name__}: {exc})."
        ) from exc
    if (
        data.dtype != np.uint8
        or data.ndim != 2
        or data.shape[1] != 3072
        or labels.shape != (len(data),)
    ):
        raise ValueError(
            f"{path}: data {data.dtype} {data.shape} and labels {labels.shape}, "
            "expected uint8 (n, 3072) data and (n,) labels."
        )
    return data, labels


def _check_labels(labels, path):
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(
            f"{path}: labels from {labels.min()} to {labels.max()}, expected 0 "
            "to 9; the file is corrupt."
        )


def _download_root(data_home, folder):
    """First root among data_home, $SKBIO_PLASTIC_DATA and the user folder
    whose ``folder`` can be created and written to."""
    candidates = [] if data_home is None else [Path(data_home).expanduser()]
    if os.environ.get(ENV_VAR):
        candidates.append(Path(os.environ[ENV_VAR]).expanduser())
    candidates.append(_user_data_dir())
    for root in candidates:
        try:
            (root / folder).mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(root / folder, os.W_OK):
            return root
    raise PermissionError(
        f"Cannot download {folder}: none of these folders is writable: "
        f"{', '.join(map(str, candidates))}. Pass a writable data_home."
    )


def _import_pooch(dataset):
    try:
        import pooch
    except ImportError as exc:
        raise ImportError(
            f"download=True needs the optional dependency pooch to fetch {dataset}: "
            'pip install "skbio-plastic[download]". Without it, put the files in '
            f"data_home or the folder named by {ENV_VAR} yourself."
        ) from exc
    return pooch


def _fetch(dataset, url, dest):
    """Download ``url`` to ``dest`` with pooch: through a temporary file, with
    the official md5 checked, up to ``_RETRIES`` retries and a progress bar
    when tqdm is installed."""
    pooch = _import_pooch(dataset)
    expected = _expected_md5(dataset, dest.name)
    fetcher = pooch.create(
        path=dest.parent,
        base_url="",
        registry={dest.name: f"md5:{expected[0]}" if expected else None},
        urls={dest.name: url},
        retry_if_failed=_RETRIES,
    )
    progressbar = importlib.util.find_spec("tqdm") is not None
    fetcher.fetch(dest.name, progressbar=progressbar)
    dest.chmod(0o644)  # pooch's temporary file is private to the user


def _download_idx(dataset, data_home, names):
    folder = _download_root(data_home, dataset) / dataset
    base = URLS[dataset]
    for name in names:
        _fetch(dataset, base.rstrip("/") + "/" + name, folder / name)


def _download_cifar10(data_home):
    root = _download_root(data_home, _CIFAR_BIN)
    archive = root / _CIFAR_ARCHIVE
    _fetch("cifar10", URLS["cifar10"], archive)
    try:
        _extract_cifar10(archive, root)
    finally:
        archive.unlink(missing_ok=True)


def _extract_cifar10(archive, root):
    """Extract the regular files of ``cifar-10-batches-bin/`` from the tarball,
    refusing any other member (links, devices, paths leaving the folder)."""
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            parts = PurePosixPath(member.name).parts
            if member.isdir() and parts == (_CIFAR_BIN,):
                continue
            if (
                not member.isfile()
                or len(parts) != 2
                or parts[0] != _CIFAR_BIN
                or parts[1] in (".", "..")
            ):
                raise ValueError(
                    f"{archive}: unexpected member {member.name!r}; expected only "
                    f"regular files in {_CIFAR_BIN}/."
                )
            dest = root / _CIFAR_BIN / parts[1]
            fd, tmp = tempfile.mkstemp(prefix=f".{parts[1]}.", dir=dest.parent)
            try:
                with os.fdopen(fd, "wb") as out, tar.extractfile(member) as src:
                    shutil.copyfileobj(src, out, _CHUNK)
                os.chmod(tmp, 0o644)
                os.replace(tmp, dest)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
