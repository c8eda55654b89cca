"""Accuracy and speed benchmarks behind ``python -m skbio_plastic bench``.

Every accuracy run appends one JSON record to ``benchmarks/results/``; ``bench
table`` renders all records beside the published numbers. The protocol is the
project's: pixels / 255, per-pixel training mean removed for Illing-style
front ends, hyper-parameters tuned on a validation split only, and a reported
accuracy is the mean and standard deviation over seeds.
"""

import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import datasets
from .random_features import LocalizedRandomProjection
from .readout import LocalDeltaClassifier

# Published test accuracies (%) from ../shared/REFERENCES.md, keyed by
# (dataset, method). CIFAR-10 numbers were trained on 50,000 images; ours on
# batches 1-4 (40,000) and tested on batch 5.
PUBLISHED = {
    ("mnist", "sp"): "91.9 +/- 0.1",
    ("mnist", "l-rp"): "98.4 +/- 0.1",
    ("cifar10", "sp"): "41.1 +/- 0.1",
    ("cifar10", "l-rp"): "52.0 +/- 0.4",
}

DATASETS = ("digits", "mnist", "fashion-mnist", "cifar10")
METHODS = ("sp", "l-rp", "rp")
RESULTS_DIR = Path("benchmarks") / "results"


def load_split(dataset, protocol, data_home=None):
    """Train and evaluation arrays of ``dataset`` under ``protocol``.

    ``protocol="test"`` trains on the whole training set and evaluates on the
    test set; ``"validation"`` holds out the last 10,000 training images
    (MNIST, Fashion-MNIST) or the last 5,000 of CIFAR-10 batches 1-4. Offline
    CIFAR-10 trains on batches 1-4 and tests on batch 5.

    Returns
    -------
    X_train, y_train, X_eval, y_eval, image_shape
    """
    if dataset == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        X = (X / 16.0).astype(np.float32)
        cut = 1300 if protocol == "test" else 1000
        stop = len(X) if protocol == "test" else 1300
        return X[:cut], y[:cut], X[cut:stop], y[cut:stop], (8, 8)
    if dataset == "cifar10":
        X, y = datasets.load_cifar10(
            batches=[1, 2, 3, 4], data_home=data_home, return_X_y=True
        )
        if protocol == "test":
            X_eval, y_eval = datasets.load_cifar10(
                batches=[5], data_home=data_home, return_X_y=True
            )
            return X, y, X_eval, y_eval, (32, 32, 3)
        return X[:-5000], y[:-5000], X[-5000:], y[-5000:], (32, 32, 3)
    loader = {
        "mnist": datasets.load_mnist,
        "fashion-mnist": datasets.load_fashion_mnist,
    }
    X, y = loader[dataset](subset="train", data_home=data_home, return_X_y=True)
    if protocol == "test":
        X_eval, y_eval = loader[dataset](
            subset="test", data_home=data_home, return_X_y=True
        )
        return X, y, X_eval, y_eval, (28, 28)
    return X[:-10000], y[:-10000], X[-10000:], y[-10000:], (28, 28)


def make_model(
    method,
    image_shape,
    seed,
    n_components,
    patch_size,
    weight_scale,
    readout_params,
    readout="delta",
):
    """The Illing-style pipeline: centring, front end (unless SP), readout.

    ``readout`` is ``"delta"`` (our :class:`LocalDeltaClassifier`) or
    ``"sgd"`` (scikit-learn's ``SGDClassifier``), built with ``readout_params``.
    """
    steps = [StandardScaler(with_std=False)]
    if method in ("l-rp", "rp"):
        steps.append(
            LocalizedRandomProjection(
                n_components,
                patch_size=None if method == "rp" else patch_size,
                image_shape=image_shape,
                weight_scale=weight_scale,
                random_state=seed,
            )
        )
    classifier = LocalDeltaClassifier if readout == "delta" else SGDClassifier
    steps.append(classifier(random_state=seed, **readout_params))
    return make_pipeline(*steps)


def gemm_gflops(dtype=np.float32, size=2048, repeats=3):
    """Best measured GFLOP/s of a square GEMM: the machine's practical peak."""
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=dtype)
    b = rng.random((size, size), dtype=dtype)
    a @ b
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2.0 * size**3 / best / 1e9


def _environment():
    import numba
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    from . import __version__

    return {
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "blas": [
                {k: info.get(k) for k in ("internal_api", "version", "num_threads")}
                for info in threadpool_info()
            ],
        },
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
            "numba": numba.__version__,
            "skbio_plastic": __version__,
        },
    }


def run_accuracy(
    dataset,
    method,
    *,
    seeds=(0, 1, 2),
    protocol="test",
    n_components=5000,
    patch_size=10,
    weight_scale=None,
    readout="delta",
    readout_params=None,
    data_home=None,
    output_dir=RESULTS_DIR,
    verbose=True,
):
    """Fit and score one method on one dataset for every seed; save a JSON record."""
    readout_params = dict(readout_params or {})
    X_train, y_train, X_eval, y_eval, image_shape = load_split(
        dataset, protocol, data_home
    )
    peak = gemm_gflops()
    runs = []
    for seed in seeds:
        model = make_model(
            method,
            image_shape,
            seed,
            n_components,
            patch_size,
            weight_scale,
            readout_params,
            readout,
        )
        start = time.perf_counter()
        model.fit(X_train, y_train)
        fit_seconds = time.perf_counter() - start
        start = time.perf_counter()
        accuracy = float(model.score(X_eval, y_eval))
        predict_seconds = time.perf_counter() - start
        run = {
            "seed": seed,
            "accuracy": accuracy,
            "fit_seconds": fit_seconds,
            "predict_seconds": predict_seconds,
            "readout_epochs": int(model[-1].n_iter_),
        }
        if len(model) == 3:
            front = model[1]
            start = time.perf_counter()
            front.transform(X_eval)
            seconds = time.perf_counter() - start
            flops = 2.0 * X_eval.shape[0] * X_eval.shape[1] * front.n_components
            run["transform_seconds"] = seconds
            run["transform_gflops"] = flops / seconds / 1e9
            run["transform_fraction_of_gemm_peak"] = flops / seconds / 1e9 / peak
        runs.append(run)
        if verbose:
            print(
                f"{dataset} {method} seed {seed}: accuracy {accuracy:.4f}, "
                f"fit {fit_seconds:.1f} s, predict {predict_seconds:.1f} s",
                flush=True,
            )
    accuracies = np.array([r["accuracy"] for r in runs])
    record = {
        "kind": "accuracy",
        "dataset": dataset,
        "method": method,
        "protocol": protocol
        + (" (train batches 1-4, test batch 5)" if dataset == "cifar10" else ""),
        "n_train": int(X_train.shape[0]),
        "n_eval": int(X_eval.shape[0]),
        "params": {
            "n_components": n_components if method != "sp" else None,
            "patch_size": patch_size if method == "l-rp" else None,
            "weight_scale": weight_scale if method != "sp" else None,
            "readout_estimator": type(model[-1]).__name__,
            "readout": model[-1].get_params(),
        },
        "accuracy_mean": float(accuracies.mean()),
        "accuracy_std": float(accuracies.std()),
        "runs": runs,
        "gemm_float32_gflops": peak,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "command": "python -m skbio_plastic " + " ".join(sys.argv[1:]),
        **_environment(),
    }
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%dT%H%M%S")
    suffix = "" if readout == "delta" else f"_{readout}"
    path = output_dir / f"{dataset}_{method}{suffix}_{protocol}_{stamp}.json"
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    if verbose:
        print(
            f"{dataset} {method} ({protocol}): "
            f"{100 * record['accuracy_mean']:.2f} +/- "
            f"{100 * record['accuracy_std']:.2f} % over seeds {list(seeds)}; "
            f"saved {path}"
        )
    return record


def render_table(results_dir=RESULTS_DIR):
    """Markdown table of every accuracy record beside the published number."""
    rows = []
    for path in sorted(Path(results_dir).glob("*.json")):
        record = json.loads(path.read_text())
        if record.get("kind") != "accuracy":
            continue
        params = record["params"]
        readout = params["readout"]
        setting = ", ".join(
            [record["params"].get("readout_estimator", "LocalDeltaClassifier")]
            + [
                f"{k}={v}"
                for k, v in (
                    ("H", params.get("n_components")),
                    ("p", params.get("patch_size")),
                    ("w", params.get("weight_scale")),
                    ("loss", readout.get("loss")),
                    ("lr", readout.get("learning_rate")),
                    ("epochs", readout.get("max_iter")),
                )
                if v is not None
            ]
        )
        runs = record["runs"]
        rows.append(
            "| {dataset} | {method} | {protocol} | {setting} | {acc} | {paper} | "
            "{n} | {fit:.0f} | {file} |".format(
                dataset=record["dataset"],
                method=record["method"],
                protocol=record["protocol"],
                setting=setting,
                acc=f"{100 * record['accuracy_mean']:.2f} +/- "
                f"{100 * record['accuracy_std']:.2f}",
                paper=PUBLISHED.get((record["dataset"], record["method"]), "-"),
                n=len(runs),
                fit=np.mean([r["fit_seconds"] for r in runs]),
                file=path.name,
            )
        )
    header = (
        "| dataset | method | protocol | setting | accuracy % (ours) | paper % | "
        "seeds | fit s | record |\n|---|---|---|---|---|---|---|---|---|\n"
    )
    return header + "\n".join(rows) + "\n"


def _numpy_delta_epoch(X, labels, W, b, learning_rate):
    """The delta rule as a plain numpy user writes it: one sample at a time, float64."""
    targets = np.eye(W.shape[0])
    for x, label in zip(X, labels, strict=False):
        a = W @ x + b
        delta = (targets[label] - np.maximum(a, 0)) * (a > 0)
        W += learning_rate * np.outer(delta, x)
        b += learning_rate * delta


def _best_time(function, repeats):
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def run_speed(
    *,
    n_samples=60000,
    n_features=784,
    n_components=5000,
    n_numpy_samples=3000,
    repeats=3,
    output_dir=RESULTS_DIR,
    verbose=True,
):
    """Time the l-RP transform and one delta-rule epoch against plain numpy.

    Inputs are random MNIST-sized arrays (the timing does not depend on the
    values). The numpy delta rule runs on ``n_numpy_samples`` samples and is
    extrapolated linearly to ``n_samples``; everything else runs in full.
    """
    from ._kernels.delta_rule import SQUARED_RELU, delta_rule_epoch

    rng = np.random.default_rng(0)
    X = rng.random((n_samples, n_features), dtype=np.float32) - 0.13
    peak = gemm_gflops()
    lrp = LocalizedRandomProjection(n_components, random_state=0).fit(X[:10])
    transform_seconds = _best_time(lambda: lrp.transform(X), repeats)
    weights64, bias64, X64 = (
        lrp.components_.astype(np.float64),
        lrp.intercept_.astype(np.float64),
        X.astype(np.float64),
    )
    numpy_transform_seconds = _best_time(
        lambda: np.maximum(X64 @ weights64.T + bias64, 0), 1
    )
    gflop = 2.0 * n_samples * n_features * n_components / 1e9

    H = lrp.transform(X)
    labels = rng.integers(0, 10, n_samples)
    W = rng.normal(scale=0.001, size=(10, n_components)).astype(np.float32)
    b = np.zeros(10, np.float32)
    order = np.arange(n_samples)
    delta_rule_epoch(
        H[:10], labels, order[:10], W, b, 1e-4, 1, SQUARED_RELU, 0.1, 6.0, None
    )
    delta_seconds = _best_time(
        lambda: delta_rule_epoch(
            H, labels, order, W, b, 1e-4, 1, SQUARED_RELU, 0.1, 6.0, None
        ),
        repeats,
    )
    H64 = H[:n_numpy_samples].astype(np.float64)
    W64, b64 = W.astype(np.float64), b.astype(np.float64)
    numpy_delta_seconds = _best_time(
        lambda: _numpy_delta_epoch(H64, labels, W64, b64, 1e-4), 1
    ) * (n_samples / n_numpy_samples)
    record = {
        "kind": "speed",
        "shape": {
            "n_samples": n_samples,
            "n_features": n_features,
            "n_components": n_components,
        },
        "gemm_float32_gflops": peak,
        "transform": {
            "seconds": transform_seconds,
            "gflops": gflop / transform_seconds,
            "fraction_of_gemm_peak": gflop / transform_seconds / peak,
            "numpy_float64_seconds": numpy_transform_seconds,
            "speedup_vs_numpy": numpy_transform_seconds / transform_seconds,
        },
        "delta_rule_epoch": {
            "seconds": delta_seconds,
            "numpy_float64_per_sample_seconds": numpy_delta_seconds,
            "numpy_extrapolated_from_samples": n_numpy_samples,
            "speedup_vs_numpy": numpy_delta_seconds / delta_seconds,
        },
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "command": "python -m skbio_plastic " + " ".join(sys.argv[1:]),
        **_environment(),
    }
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%dT%H%M%S")
    path = output_dir / f"speed_lrp_delta_{stamp}.json"
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    if verbose:
        t, d = record["transform"], record["delta_rule_epoch"]
        print(
            f"float32 GEMM peak {peak:.0f} GFLOP/s\n"
            f"l-RP transform {n_samples} x {n_features} -> {n_components}: "
            f"{t['seconds']:.2f} s ({100 * t['fraction_of_gemm_peak']:.0f} % of peak), "
            f"numpy float64 {t['numpy_float64_seconds']:.2f} s "
            f"({t['speedup_vs_numpy']:.1f}x)\n"
            f"delta rule, one online epoch: {d['seconds']:.2f} s, numpy per "
            f"sample {d['numpy_float64_per_sample_seconds']:.1f} s "
            f"({d['speedup_vs_numpy']:.0f}x)\nsaved {path}"
        )
    return record
