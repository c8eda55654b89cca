"""The ``classic`` speed bench: fit time of the localized classic rules.

Issue 18 asks the l-Sanger front end (:class:`~skbio_plastic.OjaTransformer`
with ``rule="sanger"``, localized) to fit in at most twice the time of
:class:`~skbio_plastic.LocalizedPCA` fitting the same localized network. In
one run, on the same images (the MNIST training set when its files are
found, else scikit-learn's 8 x 8 digits), centred per pixel as the accuracy
bench centres them, this times the ``fit`` of the accuracy bench's own front
ends (:data:`skbio_plastic.bench.accuracy.METHODS`: ``l-pca``, ``l-sanger``
and ``l-oja``, with their parameters: 5000 units, 10 per patch, 10 x 10
patches, 3 epochs) and records each rule's time over l-PCA's.

BLAS runs on ``blas_threads`` threads (default 1) during the fits:
multi-threaded OpenBLAS slows down many times over on a machine whose cores
other jobs share, and LocalizedPCA is all BLAS, so an unpinned ratio says
more about the load than about the code. The record keeps the load average
before and after.
"""

import os
import time
import warnings

import numpy as np
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from .accuracy import IMAGE_SHAPES, METHODS, default_patch_size

# The compared front ends, l-PCA (the reference) first.
REFERENCE = "l-pca"
RULES = ("l-sanger", "l-oja")
# Issue 18: a rule's fit takes at most this many times l-PCA's.
TARGET_RATIO = 2.0
NAMES = {"l-pca": "l-PCA", "l-sanger": "l-Sanger", "l-oja": "l-Oja"}


def _images(data_home, dataset):
    """``(X_train, image_shape, source)``: float32 training images in [0, 1]."""
    from sklearn.datasets import load_digits

    from .. import datasets

    source = "scikit-learn digits"
    if dataset == "mnist":
        try:
            train = datasets.load_mnist(subset="train", data_home=data_home)
            return (train.data, IMAGE_SHAPES["mnist"],
                    "MNIST (" + str(train.files[0]) + ")")  # fmt: skip
        except FileNotFoundError:
            source += ": MNIST files not found"
    X = (load_digits().data / 16.0).astype(np.float32)
    return X[:1300], IMAGE_SHAPES["digits"], source


def _front_end(method, image_shape, n_components, patch_size, n_epochs, seed):
    """The accuracy bench's front end of ``method``, ``n_epochs`` for the rules."""
    params = {} if method == REFERENCE or n_epochs is None else {"n_epochs": n_epochs}
    return METHODS[method].factory(
        image_shape, seed, n_components, patch_size, **params
    )


def _load_average():
    try:
        return os.getloadavg()[0]
    except OSError:  # pragma: no cover - platforms without it
        return None


def time_classic(
    n_components=None,
    n_epochs=None,
    data_home=None,
    random_state=0,
    dataset="mnist",
    rules=RULES,
    repeats=1,
    blas_threads=1,
):
    """Fit times of l-PCA and of the localized classic rules; the record.

    ``n_components=None`` and ``n_epochs=None`` take the accuracy bench's
    defaults (5000 units; 3 epochs for the rules). ``dataset="mnist"`` falls
    back to scikit-learn's digits when the MNIST files are not found;
    ``"digits"`` always takes the digits. Each time is the best of
    ``repeats`` fits, the methods taking turns within a repeat.
    ``blas_threads=None`` leaves BLAS its own thread count.
    """
    X, image_shape, source = _images(data_home, dataset)
    X = StandardScaler(with_std=False).fit_transform(X)  # the "pixel" centring
    spec = METHODS[REFERENCE]
    n_components = spec.n_components if n_components is None else n_components
    patch_size = default_patch_size(image_shape)
    methods = (REFERENCE, *rules)
    # load (or compile) the kernels of the rules before any timing
    for method in rules:
        _front_end(method, image_shape, 20, patch_size, 1, random_state).fit(X[:200])
    seconds = dict.fromkeys(methods, np.inf)
    fitted = {}
    load_before = _load_average()
    with threadpool_limits(limits=blas_threads), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # repeated patch positions
        for _ in range(repeats):
            for method in methods:
                model = _front_end(
                    method, image_shape, n_components, patch_size, n_epochs,
                    random_state,
                )  # fmt: skip
                start = time.perf_counter()
                model.fit(X)
                seconds[method] = min(seconds[method], time.perf_counter() - start)
                fitted[method] = model
    record = {
        "images": {"source": source, "n_train": len(X), "centring": "pixel"},
        "n_components": n_components,
        "n_components_per_patch": fitted[REFERENCE].n_components_per_patch,
        "patch_size": patch_size,
        "n_epochs": fitted[rules[0]].n_epochs if rules else None,
        "blas_threads": blas_threads,
        "repeats": repeats,
        "load_average_1min": {"before": load_before, "after": _load_average()},
        "target_ratio": TARGET_RATIO,
        "fits": {},
    }
    for method in methods:
        model = fitted[method]
        entry = {"estimator": type(model).__name__, "fit_seconds": seconds[method]}
        if method != REFERENCE:
            entry["rule"] = model.rule
            entry["seconds_per_epoch"] = seconds[method] / model.n_iter_
            entry["ratio_to_l_pca"] = seconds[method] / seconds[REFERENCE]
            entry["within_target"] = bool(entry["ratio_to_l_pca"] <= TARGET_RATIO)
        record["fits"][method] = entry
    return record


def summary(record):
    """Lines that ``bench speed`` prints for the ``classic`` record."""
    lines = [
        f"classic ({record['n_components']} units, "
        f"{record['patch_size']} x {record['patch_size']} patches, "
        f"{record['n_epochs']} epochs, "
        f"{record['images']['source'].split(' (')[0].split(':')[0]}, "
        f"BLAS threads: {record['blas_threads'] or 'unpinned'}):"
    ]
    for method, fit in record["fits"].items():
        line = f"  {NAMES.get(method, method)} fit: {fit['fit_seconds']:.3g} s"
        if "ratio_to_l_pca" in fit:
            line += (
                f", {fit['ratio_to_l_pca']:.2f}x l-PCA (target <= "
                f"{record['target_ratio']:g}x: "
                f"{'met' if fit['within_target'] else 'missed'})"
            )
        lines.append(line)
    return lines
