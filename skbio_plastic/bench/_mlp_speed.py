"""The ``mlp`` speed bench: the end-to-end baselines beside scikit-learn's MLP.

In one run, on the same images (MNIST when its files are found, else
scikit-learn's 8 x 8 digits), with the same training (Adam, learning rate
1e-3, minibatches of 100, no penalty, the same number of epochs, float32):

* the fully connected network: :class:`~skbio_plastic.LocalizedMLPClassifier`
  with ``patch_size=None`` against scikit-learn's
  :class:`~sklearn.neural_network.MLPClassifier` of the same hidden size;
* the localized network (10 x 10 patches, half the side on small images)
  against our fully connected one: what storing only the patch weights saves.

Each model reports seconds per epoch and its test accuracy after the epochs.
"""

import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from ..baselines import LocalizedMLPClassifier

TRAINING = {"learning_rate": 1e-3, "batch_size": 100}


def _images(data_home, dataset):
    """``(X_train, y_train, X_test, y_test, image_shape, source)``, float32."""
    from sklearn.datasets import load_digits

    from .. import datasets

    source = "scikit-learn digits"
    if dataset == "mnist":
        try:
            train = datasets.load_mnist(subset="train", data_home=data_home)
            test = datasets.load_mnist(subset="test", data_home=data_home)
            return (train.data, train.target, test.data, test.target, (28, 28),
                    "MNIST (" + str(train.files[0]) + ")")  # fmt: skip
        except FileNotFoundError:
            source += ": MNIST files not found"
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    return X[:1300], y[:1300], X[1300:], y[1300:], (8, 8), source


def _timed(model, X, y, X_test, y_test, n_epochs):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    seconds = time.perf_counter() - start
    return {
        "seconds_per_epoch": seconds / n_epochs,
        "test_accuracy": float(model.score(X_test, y_test)),
    }


def time_mlp(
    n_hidden=2000, n_epochs=3, data_home=None, random_state=0, dataset="mnist"
):
    """Ours and scikit-learn's networks, dense and localized; the record.

    ``dataset="mnist"`` falls back to scikit-learn's digits when the MNIST
    files are not found; ``"digits"`` always takes the digits.
    """
    X, y, X_test, y_test, image_shape, source = _images(data_home, dataset)
    patch_size = min(10, image_shape[0] // 2)
    ours = {
        "patch_size": None,
        "image_shape": image_shape,
        "max_iter": n_epochs,
        "tol": None,
        "random_state": random_state,
        **TRAINING,
    }
    # load (or compile) our kernels for float32 before any timing
    for size in (None, patch_size):
        warm_up = {**ours, "patch_size": size, "max_iter": 1}
        LocalizedMLPClassifier(4, **warm_up).fit(X[:200], y[:200])
    record = {
        "images": {"source": source, "n_train": len(X), "n_test": len(X_test)},
        "n_hidden": n_hidden,
        "n_epochs": n_epochs,
        "training": "Adam, " + ", ".join(f"{k}={v}" for k, v in TRAINING.items()),
        "ours_dense": _timed(
            LocalizedMLPClassifier(n_hidden, **ours), X, y, X_test, y_test, n_epochs
        ),
        "scikit_learn_dense": _timed(
            MLPClassifier(
                (n_hidden,),
                solver="adam",
                alpha=0.0,
                learning_rate_init=TRAINING["learning_rate"],
                batch_size=TRAINING["batch_size"],
                max_iter=n_epochs,
                n_iter_no_change=n_epochs + 1,
                random_state=random_state,
            ),
            X,
            y,
            X_test,
            y_test,
            n_epochs,
        ),  # fmt: skip
        "ours_localized": _timed(
            LocalizedMLPClassifier(n_hidden, **{**ours, "patch_size": patch_size}),
            X,
            y,
            X_test,
            y_test,
            n_epochs,
        ),  # fmt: skip
        "patch_size": patch_size,
    }
    dense = record["ours_dense"]["seconds_per_epoch"]
    record["speedup_vs_scikit_learn"] = (
        record["scikit_learn_dense"]["seconds_per_epoch"] / dense
    )
    record["localized_speedup_vs_dense"] = (
        dense / record["ours_localized"]["seconds_per_epoch"]
    )
    return record


def summary(record):
    """Lines that ``bench speed`` prints for the ``mlp`` record."""
    lines = [
        f"mlp ({record['n_hidden']} hidden units, {record['n_epochs']} epochs, "
        f"{record['images']['source'].split(' (')[0].split(':')[0]}):"
    ]
    for key, name in (
        ("ours_dense", "ours, fully connected"),
        ("scikit_learn_dense", "scikit-learn MLPClassifier"),
        (
            "ours_localized",
            f"ours, {record['patch_size']} x {record['patch_size']} patches",
        ),  # fmt: skip
    ):
        run = record[key]
        lines.append(
            f"  {name}: {run['seconds_per_epoch']:.1f} s per epoch, "
            f"test accuracy {100 * run['test_accuracy']:.2f} %"
        )
    lines.append(
        f"  ours {record['speedup_vs_scikit_learn']:.2f}x scikit-learn; localized "
        f"{record['localized_speedup_vs_dense']:.2f}x fully connected"
    )
    return lines
