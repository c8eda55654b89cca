"""l-SC against scikit-learn's dictionary learning on the same patches.

``python -m skbio_plastic.bench.sparse_coding_comparison`` learns, on the same
random patches of the same training images, (a) the local circuit of
:class:`~skbio_plastic.LocalizedSparseCoding` and (b) scikit-learn's
``MiniBatchDictionaryLearning`` per patch with the same number of atoms and
the same L1 weight, its codes computed by ``SparseCoder`` (``lasso_cd``), then
divided by their largest training value and rectified like every Illing
front end. The same local delta-rule readout is trained on each set of
features. The record (kind ``"comparison"``) holds both accuracies and the
front ends' fit and transform times, measured in one process one after the
other.

scikit-learn encodes each patch separately, sample by sample in its coordinate
descent, so the comparison runs on a subset (``--n-train``, ``--n-test``) and
fewer patches than the 500 of the benchmark: its cost at the full setting is
extrapolated in the record from its measured rate.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.decomposition import MiniBatchDictionaryLearning, SparseCoder
from sklearn.exceptions import ConvergenceWarning

from ..readout import LocalDeltaClassifier
from ..sparse_coding import LocalizedSparseCoding
from ._common import default_results_dir, save_record
from .accuracy import IMAGE_SHAPES, default_patch_size, load_split

__all__ = ["run_comparison", "sklearn_patch_codes"]


def sklearn_patch_codes(
    X_train,
    X_test,
    indices,
    n_atoms,
    alpha,
    *,
    n_epochs=1,
    batch_size=256,
    positive_code=False,
    random_state=0,
):
    """Codes of every patch by scikit-learn's dictionary learning.

    One ``MiniBatchDictionaryLearning`` per patch (``indices[p]`` are its
    columns) learns ``n_atoms`` atoms with L1 weight ``alpha`` on
    ``X_train``; ``SparseCoder`` (``lasso_cd``, the same ``alpha``) encodes
    both sets. Codes are divided by the largest training code and rectified.

    Returns
    -------
    H_train, H_test : ndarrays of shape (n_samples, n_patches * n_atoms)
    fit_seconds, transform_seconds : float
        Dictionary learning plus the training codes; the test codes.
    """
    H_train = np.empty((len(X_train), len(indices) * n_atoms), dtype=np.float64)
    H_test = np.empty((len(X_test), len(indices) * n_atoms), dtype=np.float64)
    fit_seconds = transform_seconds = 0.0
    with warnings.catch_warnings():
        # Coordinate descent stops at max_iter on a few samples: harmless here.
        warnings.simplefilter("ignore", ConvergenceWarning)
        for patch, columns in enumerate(indices):
            rows = slice(patch * n_atoms, (patch + 1) * n_atoms)
            start = time.perf_counter()
            learner = MiniBatchDictionaryLearning(
                n_components=n_atoms,
                alpha=alpha,
                max_iter=n_epochs,
                batch_size=batch_size,
                fit_algorithm="cd",
                positive_code=positive_code,
                random_state=random_state + patch,
            ).fit(X_train[:, columns])
            coder = SparseCoder(
                learner.components_,
                transform_algorithm="lasso_cd",
                transform_alpha=alpha,
                positive_code=positive_code,
            )
            H_train[:, rows] = coder.transform(X_train[:, columns])
            fit_seconds += time.perf_counter() - start
            start = time.perf_counter()
            H_test[:, rows] = coder.transform(X_test[:, columns])
            transform_seconds += time.perf_counter() - start
    scale = H_train.max()
    scale = scale if scale > 0 else 1.0
    for H in (H_train, H_test):
        H /= scale
        np.maximum(H, 0, out=H)
    return H_train, H_test, fit_seconds, transform_seconds


def _readout_accuracy(H_train, y_train, H_test, y_test, seed):
    readout = LocalDeltaClassifier(random_state=seed).fit(H_train, y_train)
    return float(readout.score(H_test, y_test))


def run_comparison(
    dataset="mnist",
    *,
    n_patches=50,
    n_components_per_patch=10,
    n_train=5000,
    n_test=5000,
    seed=0,
    sklearn_epochs=1,
    sklearn_batch_size=256,
    ours_epochs=1,
    positive_code=False,
    n_jobs=2,
    data_home=None,
    output_dir=None,
    verbose=True,
):
    """Both front ends on the same patches and images; write a JSON record."""
    image_shape = IMAGE_SHAPES[dataset]
    X_train, y_train, X_test, y_test, _ = load_split(dataset, "test", data_home)
    X_train, y_train = X_train[:n_train], y_train[:n_train]
    X_test, y_test = X_test[:n_test], y_test[:n_test]
    mean = X_train.mean(axis=0)
    X_train, X_test = X_train - mean, X_test - mean

    ours = LocalizedSparseCoding(
        n_patches,
        n_components_per_patch,
        patch_size=default_patch_size(image_shape),
        image_shape=image_shape,
        n_epochs=ours_epochs,
        n_jobs=n_jobs,
        random_state=seed,
    )
    start = time.perf_counter()
    H_train = ours.fit_transform(X_train)
    ours_fit = time.perf_counter() - start
    start = time.perf_counter()
    H_test = ours.transform(X_test)
    ours_transform = time.perf_counter() - start
    ours_accuracy = _readout_accuracy(H_train, y_train, H_test, y_test, seed)
    if verbose:
        print(
            f"LocalizedSparseCoding: accuracy {ours_accuracy:.4f}, fit "
            f"{ours_fit:.1f} s, transform {ours_transform:.1f} s",
            flush=True,
        )

    indices = ours._indices  # the same patches
    H_train, H_test, sk_fit, sk_transform = sklearn_patch_codes(
        X_train,
        X_test,
        indices,
        n_components_per_patch,
        ours.threshold,
        n_epochs=sklearn_epochs,
        batch_size=sklearn_batch_size,
        positive_code=positive_code,
        random_state=seed,
    )
    sk_accuracy = _readout_accuracy(H_train, y_train, H_test, y_test, seed)
    if verbose:
        print(
            f"MiniBatchDictionaryLearning + SparseCoder: accuracy "
            f"{sk_accuracy:.4f}, fit {sk_fit:.1f} s, transform {sk_transform:.1f} s",
            flush=True,
        )

    # Patch-samples per second, and the cost of the benchmark's full setting
    # (500 patches, 60,000 + 10,000 MNIST images, one epoch each).
    def rates(fit, transform):
        return {
            "fit_patch_samples_per_second": n_patches * n_train / fit,
            "transform_patch_samples_per_second": n_patches * n_test / transform,
            "extrapolated_full_mnist_seconds": 500 * (60000 * fit / n_train) / n_patches
            + 500 * 10000 * transform / n_test / n_patches,
        }

    record = {
        "kind": "comparison",
        "dataset": dataset,
        "protocol": f"first {n_train} training and {n_test} test images, "
        "pixel-centred; the same patches for both",
        "n_patches": n_patches,
        "n_components_per_patch": n_components_per_patch,
        "seed": seed,
        "readout": "LocalDeltaClassifier() defaults",
        "ours": {
            "estimator": "LocalizedSparseCoding",
            "params": ours.get_params(),
            "accuracy": ours_accuracy,
            "fit_seconds": ours_fit,
            "transform_seconds": ours_transform,
            **rates(ours_fit, ours_transform),
        },
        "sklearn": {
            "estimator": "MiniBatchDictionaryLearning + SparseCoder (lasso_cd)",
            "params": {
                "alpha": ours.threshold,
                "max_iter": sklearn_epochs,
                "batch_size": sklearn_batch_size,
                "fit_algorithm": "cd",
                "positive_code": positive_code,
                "codes": "divided by the largest training code, rectified",
            },
            "accuracy": sk_accuracy,
            "fit_seconds": sk_fit,
            "transform_seconds": sk_transform,
            **rates(sk_fit, sk_transform),
        },
    }
    output_dir = default_results_dir() if output_dir is None else output_dir
    record, path = save_record(record, output_dir, f"{dataset}_l-sc_vs_sklearn")
    if verbose:
        print(f"record written to {path}")
    return record


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="mnist", choices=list(IMAGE_SHAPES))
    parser.add_argument("--n-patches", type=int, default=50)
    parser.add_argument("--n-train", type=int, default=5000)
    parser.add_argument("--n-test", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sklearn-epochs", type=int, default=1)
    parser.add_argument("--sklearn-batch-size", type=int, default=256)
    parser.add_argument("--ours-epochs", type=int, default=1)
    parser.add_argument("--positive-code", action="store_true")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--results-dir", default=None)
    args = parser.parse_args(argv)
    run_comparison(
        args.dataset,
        n_patches=args.n_patches,
        n_train=args.n_train,
        n_test=args.n_test,
        seed=args.seed,
        sklearn_epochs=args.sklearn_epochs,
        sklearn_batch_size=args.sklearn_batch_size,
        ours_epochs=args.ours_epochs,
        positive_code=args.positive_code,
        n_jobs=args.n_jobs,
        data_home=args.data_home,
        output_dir=args.results_dir,
    )


if __name__ == "__main__":
    main()
