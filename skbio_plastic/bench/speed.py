"""Speed benchmarks: ``python -m skbio_plastic bench speed``.

Each kernel is timed beside a plain numpy implementation of the same algorithm,
as a straightforward user would write it (float64, one sample or one minibatch
at a time), in the same process, and against the machine's float32 GEMM peak.
Every time is the best of ``repeats`` runs; slow numpy references run on a
subset and are extrapolated per sample (the record says on how many). The
``spiking`` kernel times a whole spiking network in our simulator, plain numpy
and Brian2 (:mod:`skbio_plastic.bench._spiking_speed`), ``diehl-cook`` Diehl &
Cook's STDP network in ours and Brian2
(:mod:`skbio_plastic.bench._diehl_cook_speed`), ``mlp`` the end-to-end
baselines beside scikit-learn's MLPClassifier
(:mod:`skbio_plastic.bench._mlp_speed`).
"""

from functools import partial

import numpy as np

from .._kernels.delta_rule import SQUARED_RELU, delta_rule_epoch
from .._krotov_training import Scratch as _Scratch
from .._krotov_training import row_p_norms as _row_p_norms
from .._krotov_training import run_epoch as _run_epoch
from .._krotov_training import signed_power as _signed_power
from ..random_features import LocalizedRandomProjection
from ._classic_speed import summary as _classic_summary
from ._classic_speed import time_classic
from ._common import best_time, gemm_gflops, save_record
from ._conv_speed import summary as _conv_summary
from ._conv_speed import time_conv
from ._diehl_cook_speed import summary as _diehl_cook_summary
from ._diehl_cook_speed import time_diehl_cook
from ._mlp_speed import summary as _mlp_summary
from ._mlp_speed import time_mlp
from ._spiking_speed import summary as _spiking_summary
from ._spiking_speed import time_spiking

KERNELS = ("lrp", "delta", "krotov", "conv", "spiking", "diehl-cook", "mlp", "classic")
# run_speed's default: the spiking kernels take minutes (Brian2 compiles)
FAST_KERNELS = ("lrp", "delta", "krotov")


def numpy_delta_epoch(X, labels, W, b, learning_rate):
    """The delta rule (ReLU outputs) in plain numpy, one sample at a time."""
    targets = np.eye(W.shape[0])
    for x, label in zip(X, labels, strict=True):
        a = W @ x + b
        delta = (targets[label] - np.maximum(a, 0)) * (a > 0)
        W += learning_rate * np.outer(delta, x)
        b += learning_rate * delta


def numpy_krotov_epoch(W, X, order, batch_size, eps, p, k, delta):
    """Krotov's ranking rule in plain numpy: dense ``g``, ``argsort``, float64."""
    n_units = W.shape[0]
    for start in range(0, len(order), batch_size):
        inputs = X[order[start : start + batch_size]].T  # (D, B)
        columns = np.arange(inputs.shape[1])
        currents = (np.sign(W) * np.abs(W) ** (p - 1)) @ inputs  # (H, B)
        ranking = np.argsort(currents, axis=0)
        g = np.zeros_like(currents)
        g[ranking[n_units - 1], columns] = 1.0
        g[ranking[n_units - k], columns] = -delta
        dW = g @ inputs.T - np.sum(g * currents, axis=1)[:, np.newaxis] * W
        W += eps * dW / max(np.abs(dW).max(), 1e-30)
    return W


def torch_krotov_epoch(W, X, order, batch_size, eps, p, k, delta):  # pragma: no cover
    """The same loop in torch on the CPU (float32), as users write it today."""
    import torch

    W, X, order = torch.from_numpy(W), torch.from_numpy(X), torch.from_numpy(order)
    for start in range(0, len(order), batch_size):
        inputs = X[order[start : start + batch_size]].T
        columns = torch.arange(inputs.shape[1])
        currents = (torch.sign(W) * W.abs() ** (p - 1)) @ inputs
        top = torch.topk(currents, k, dim=0).indices
        g = torch.zeros_like(currents)
        g[top[0], columns] = 1.0
        g[top[k - 1], columns] = -delta
        dW = g @ inputs.T - (g * currents).sum(1, keepdim=True) * W
        W += eps * dW / max(dW.abs().max().item(), 1e-30)
    return W.numpy()


def _images(n_samples, n_features, rng):
    """Random pixels in [0, 1): the timings do not depend on the values."""
    return rng.random((n_samples, n_features), dtype=np.float32)


def time_lrp_transform(n_samples, n_features, n_components, peak, repeats, rng):
    """l-RP transform (batched float32 GEMM + ReLU) against numpy float64."""
    X = _images(n_samples, n_features, rng) - 0.13
    lrp = LocalizedRandomProjection(n_components, random_state=0).fit(X[:10])
    seconds = best_time(lambda: lrp.transform(X), repeats)
    W, b, X64 = (a.astype(np.float64) for a in (lrp.components_, lrp.intercept_, X))
    numpy_seconds = best_time(lambda: np.maximum(X64 @ W.T + b, 0), 1)
    gflops = 2.0 * n_samples * n_features * n_components / seconds / 1e9
    return {
        "shape": [n_samples, n_features, n_components],
        "seconds": seconds,
        "gflops": gflops,
        "fraction_of_gemm_peak": gflops / peak,
        "numpy_float64_seconds": numpy_seconds,
        "speedup_vs_numpy": numpy_seconds / seconds,
    }


def time_delta_epoch(n_samples, n_components, numpy_samples, repeats, rng):
    """One online epoch of the delta rule against numpy, one sample at a time."""
    H = _images(n_samples, n_components, rng) * 0.1
    labels = rng.integers(0, 10, n_samples)
    W = rng.normal(scale=1e-3, size=(10, n_components)).astype(np.float32)
    b = np.zeros(10, np.float32)
    order = np.arange(n_samples)
    run = partial(delta_rule_epoch, H, labels, order, W, b, 1e-4, 1, SQUARED_RELU,
                  0.1, 6.0, None, None)  # fmt: skip
    delta_rule_epoch(H[:10], labels, order[:10], W, b, 1e-4, 1, SQUARED_RELU,
                     0.1, 6.0, None, None)  # fmt: skip
    seconds = best_time(run, repeats)
    m = min(numpy_samples, n_samples)
    H64, W64, b64 = H[:m].astype(np.float64), W.astype(np.float64), b.astype(float)
    numpy_seconds = best_time(
        lambda: numpy_delta_epoch(H64, labels[:m], W64, b64, 1e-4), 1
    ) * (n_samples / m)
    return {
        "shape": [n_samples, n_components, 10],
        "seconds": seconds,
        "numpy_float64_seconds": numpy_seconds,
        "numpy_extrapolated_from_samples": m,
        "speedup_vs_numpy": numpy_seconds / seconds,
    }


def _copy_and_run(epoch, W, *args):
    """Run ``epoch`` from a copy of ``W``: every repeat starts from the same weights."""
    return epoch(W.copy(), *args)


def _gemm_epoch(Wp, X, batch_size):
    """The currents of every full minibatch of ``X``: the one unavoidable GEMM."""
    currents = np.empty((Wp.shape[0], batch_size), dtype=Wp.dtype)
    for start in range(0, X.shape[0] - batch_size + 1, batch_size):
        np.dot(Wp, X[start : start + batch_size].T, out=currents)


def time_krotov_epoch(
    n_samples, n_features, n_components, batch_sizes, numpy_samples, peak, repeats,
    rng, p=3.0, k=7, delta=0.4, learning_rate=0.02,
):  # fmt: skip
    """One epoch of Krotov's rule: ours, the GEMM alone, numpy and torch."""
    X = _images(n_samples, n_features, rng)
    X64 = X.astype(np.float64)
    W0 = rng.standard_normal((n_components, n_features)).astype(np.float32)
    step = dict(k=k, delta=delta, p=p, solver="ranking", w_inh=0.8, h_star=-0.5)
    flops = 2.0 * n_components * n_features * n_samples
    m = min(numpy_samples, n_samples)
    result = {"shape": [n_samples, n_features, n_components], "p": p, "k": k,
              "delta": delta, "numpy_extrapolated_from_samples": m}  # fmt: skip
    for size in batch_sizes:
        W = W0.copy()
        Wp = _signed_power(W, p)
        scratch = _Scratch(n_components, n_features, size, np.float32, "ranking")
        order = rng.permutation(n_samples)
        ours = partial(_run_epoch, W, Wp, X, order, size, learning_rate,
                       scratch=scratch, **step)  # fmt: skip
        _run_epoch(W, Wp, X, order[: 3 * size], size, learning_rate,
                   scratch=scratch, **step)  # fmt: skip
        seconds = best_time(ours, repeats)
        gemm_seconds = best_time(partial(_gemm_epoch, Wp, X, size), repeats)
        gemm_seconds *= n_samples / (n_samples // size * size)
        args = (order[:m], size, learning_rate, p, k, delta)
        numpy_seconds = best_time(
            partial(_copy_and_run, numpy_krotov_epoch, W0.astype(np.float64), X64,
                    *args), 1
        ) * (n_samples / m)  # fmt: skip
        entry = {
            "seconds": seconds,
            "gemm_only_seconds": gemm_seconds,
            "numpy_float64_seconds": numpy_seconds,
            "speedup_vs_numpy": numpy_seconds / seconds,
            "ours_over_gemm": seconds / gemm_seconds,
            "fraction_of_gemm_peak": flops / seconds / 1e9 / peak,
            "gemm_only_fraction_of_gemm_peak": flops / gemm_seconds / 1e9 / peak,
            "median_row_p_norm_after": float(np.median(_row_p_norms(W, Wp, p))),
        }
        try:
            import torch  # noqa: F401
        except ImportError:
            entry["torch"] = "not installed: skipped"
        else:  # pragma: no cover - torch is never a dependency
            torch_seconds = best_time(
                partial(_copy_and_run, torch_krotov_epoch, W0, X,
                        order[:m].astype(np.int64), *args[1:]), 1
            ) * (n_samples / m)  # fmt: skip
            entry["torch_cpu_float32_seconds"] = torch_seconds
            entry["speedup_vs_torch"] = torch_seconds / seconds
        result[f"batch_{size}"] = entry
    return result


def run_speed(
    kernels=FAST_KERNELS,
    *,
    n_samples=60000,
    repeats=3,
    numpy_samples=3000,
    n_images=5,
    numpy_images=2,
    data_home=None,
    output_dir=None,
    verbose=True,
    random_state=0,
):
    """Time the chosen kernels on MNIST-sized data; save one JSON record.

    Parameters
    ----------
    kernels : sequence of str, default=("lrp", "delta", "krotov")
        ``"lrp"``: l-RP transform of 784 pixels to 5000 units; ``"delta"``: one
        online epoch of the delta rule on 5000 features; ``"krotov"``: one
        epoch of Krotov's rule with 2000 units, minibatches of 100 and 1000;
        ``"spiking"``: Illing's spiking l-RP network (784 -> 5000 -> 10 LIF
        neurons, 150 ms per image with the trace rule in the last 50 ms) in
        our simulator, plain numpy and Brian2 (when it imports), on the same
        images, with their spike-count agreement (minutes); ``"diehl-cook"``:
        Diehl & Cook's STDP network (784 Poisson inputs, 400 + 400
        conductance-based neurons, 350 + 150 ms per image) trained in ours and
        in Brian2 on the same images and input trains, with their spike
        counts (minutes); ``"mlp"``: the end-to-end baseline with 2000 hidden
        units, fully connected beside scikit-learn's ``MLPClassifier`` and
        localized, 3 epochs each on MNIST (minutes); ``"conv"``: the
        convolutional front end's transform of ``n_samples / 6`` CIFAR-sized
        images, whole and in parts, against the GEMM peak and numpy;
        ``"classic"``: the fit of the accuracy bench's l-Sanger and l-Oja front
        ends (5000 units, 3 epochs) beside l-PCA's on the MNIST training
        images, BLAS on one thread, and each rule's time over l-PCA's (about a
        minute; :mod:`skbio_plastic.bench._classic_speed`).
    n_samples : int, default=60000
        Samples per epoch or transform.
    repeats : int, default=3
        Each time is the best of this many runs.
    numpy_samples : int, default=3000
        Samples the slow numpy references run on (extrapolated per sample).
    n_images : int, default=5
        Images of the ``spiking`` and ``diehl-cook`` kernels: MNIST training
        images when the files are found (``data_home``, then the folders
        :mod:`skbio_plastic.datasets` searches), else scikit-learn's digits
        upsampled to 28 x 28; the record says which.
    numpy_images : int, default=2
        The first images the numpy simulations run on.
    data_home : str or path-like, default=None
        First folder searched for the MNIST files.
    output_dir : str or Path, default=None
        Where the record is written; ``None`` is
        :func:`~skbio_plastic.bench.default_results_dir`.
    verbose : bool, default=True
        Print the timings and where the record was written.
    random_state : int, default=0
        Seed of the random inputs and weights.

    Returns
    -------
    record : dict
    """
    rng = np.random.default_rng(random_state)
    peak = gemm_gflops()
    record = {"kind": "speed", "gemm_float32_gflops": peak, "repeats": repeats}
    if "lrp" in kernels:
        record["lrp_transform"] = time_lrp_transform(
            n_samples, 784, 5000, peak, repeats, rng
        )
    if "delta" in kernels:
        record["delta_rule_epoch"] = time_delta_epoch(
            n_samples, 5000, numpy_samples, repeats, rng
        )
    if "krotov" in kernels:
        record["krotov_epoch"] = time_krotov_epoch(
            n_samples, 784, 2000, (100, 1000), numpy_samples, peak, repeats, rng
        )
    if "conv" in kernels:
        record["conv"] = time_conv(
            n_samples // 6, min(numpy_samples, 1000), peak, repeats, rng
        )
    if "spiking" in kernels:
        record["spiking"] = time_spiking(
            n_images, numpy_images, repeats, data_home, random_state
        )
    if "mlp" in kernels:
        record["mlp"] = time_mlp(data_home=data_home, random_state=random_state)
    if "classic" in kernels:
        record["classic"] = time_classic(data_home=data_home, random_state=random_state)
    if "diehl-cook" in kernels:
        record["diehl_cook"] = time_diehl_cook(
            n_images, repeats, data_home, random_state
        )
    record, path = save_record(record, output_dir, "speed_" + "_".join(kernels))
    if verbose:
        print(f"float32 GEMM peak: {peak:.0f} GFLOP/s")
        for name in ("lrp_transform", "delta_rule_epoch"):
            if name in record:
                r = record[name]
                line = (
                    f"{name}: {r['seconds']:.3f} s, numpy float64 "
                    f"{r['numpy_float64_seconds']:.2f} s "
                    f"({r['speedup_vs_numpy']:.1f}x)"
                )
                if "fraction_of_gemm_peak" in r:
                    line += f", {100 * r['fraction_of_gemm_peak']:.0f} % of peak"
                print(line)
        for key, r in record.get("krotov_epoch", {}).items():
            if key.startswith("batch_"):
                print(
                    f"krotov epoch, {key}: {r['seconds']:.3f} s, GEMM alone "
                    f"{r['gemm_only_seconds']:.3f} s, numpy "
                    f"{r['numpy_float64_seconds']:.2f} s "
                    f"({r['speedup_vs_numpy']:.1f}x), "
                    f"{100 * r['fraction_of_gemm_peak']:.0f} % of peak"
                    + (
                        f", torch CPU {r['torch_cpu_float32_seconds']:.2f} s "
                        f"({r['speedup_vs_torch']:.1f}x)"
                        if "speedup_vs_torch" in r
                        else ", torch not installed"
                    )
                )
        if "conv" in record:
            print("\n".join(_conv_summary(record["conv"])))
        if "spiking" in record:
            print("\n".join(_spiking_summary(record["spiking"])))
        if "diehl_cook" in record:
            print("\n".join(_diehl_cook_summary(record["diehl_cook"])))
        if "mlp" in record:
            print("\n".join(_mlp_summary(record["mlp"])))
        if "classic" in record:
            print("\n".join(_classic_summary(record["classic"])))
        print(f"record written to {path}")
    return record
