"""The ``conv`` speed bench: the convolutional front end's transform.

CIFAR-10-sized images (32 x 32 x 3, random pixels: the time does not depend
on them), 96 filters of 5 x 5, stride 1, 2 x 2 max pooling. The transform of
:class:`~skbio_plastic.ConvolutionalHebbian` is timed whole and in its three
parts on one batch (normalised patches, the GEMM, activation and pooling),
against the float32 GEMM peak measured in the same run and against the same
computation in plain numpy (``sliding_window_view``, float64).
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._kernels import convolution as _conv
from ..convolutional import ConvolutionalHebbian
from ._common import best_time

SHAPE = (32, 32, 3)


def numpy_transform(X, filters, size, pool):
    """The same features in plain numpy: windows, normalisation, product, pool."""
    images = X.reshape(-1, *SHAPE)
    windows = sliding_window_view(images, (size, size), axis=(1, 2))
    patches = np.moveaxis(windows, 3, -1).reshape(*windows.shape[:3], -1)
    patches = patches - patches.mean(axis=-1, keepdims=True)
    norms = np.linalg.norm(patches, axis=-1, keepdims=True)
    patches = np.divide(patches, norms, out=np.zeros_like(patches), where=norms > 0)
    maps = np.maximum(patches @ filters.T, 0)
    n, rows, cols, n_filters = maps.shape
    rows, cols = rows // pool, cols // pool
    maps = maps[:, : rows * pool, : cols * pool]
    pooled = maps.reshape(n, rows, pool, cols, pool, n_filters).max(axis=(2, 4))
    return pooled.reshape(n, -1)


def time_conv(n_samples, numpy_samples, peak, repeats, rng, n_filters=96, size=5):
    """Seconds per image of the whole transform and of each part; the record."""
    X = rng.random((n_samples, int(np.prod(SHAPE))), dtype=np.float32)
    model = ConvolutionalHebbian(
        n_filters, filter_size=size, k=2, n_patches=1000, n_epochs=1,
        image_shape=SHAPE, random_state=0,
    ).fit(X[:100])  # fmt: skip
    seconds = best_time(lambda: model.transform(X), repeats)
    # the parts, on one batch of the size the transform uses
    batch = X[:256].reshape(-1, *SHAPE)
    rows, cols = model.map_shape_
    patches = np.empty((len(batch) * rows * cols, size * size * SHAPE[2]), np.float32)
    filters = model.components_
    currents = patches @ filters.T
    pooled = np.empty((len(batch), *model.pooled_shape_), np.float32)
    parts = {
        "patches": lambda: _conv.all_normalized_patches(
            batch, size, 1, _conv.NORM_L2, patches
        ),
        "gemm": lambda: np.dot(patches, filters.T, out=currents),
        "pooling": lambda: _conv.relu_power_pool(
            currents.reshape(len(batch), rows, cols, -1),
            0.0,
            1.0,
            _conv.POOL_MAX,
            2,
            2,
            pooled,
        ),  # fmt: skip
    }
    part_seconds = {
        name: best_time(part, repeats) / len(batch) for name, part in parts.items()
    }
    flops = 2.0 * rows * cols * patches.shape[1] * n_filters  # per image
    X64, W64 = X[:numpy_samples].astype(np.float64), filters.astype(np.float64)
    numpy_seconds = best_time(lambda: numpy_transform(X64, W64, size, 2), 1)
    per_image = seconds / n_samples
    numpy_per_image = numpy_seconds / numpy_samples
    return {
        "images": n_samples,
        "image_shape": list(SHAPE),
        "n_filters": n_filters,
        "filter_size": size,
        "pooling": "max 2 x 2",
        "seconds_per_image": per_image,
        "images_per_second": 1.0 / per_image,
        "part_seconds_per_image": part_seconds,
        "gemm_fraction_of_peak": flops / part_seconds["gemm"] / 1e9 / peak,
        "transform_fraction_of_peak": flops / per_image / 1e9 / peak,
        "numpy_float64_images": numpy_samples,
        "numpy_float64_seconds_per_image": numpy_per_image,
        "speedup_vs_numpy": numpy_per_image / per_image,
    }


def summary(record):
    """Lines that ``bench speed`` prints for the ``conv`` record."""
    parts = record["part_seconds_per_image"]
    total = sum(parts.values())
    shares = ", ".join(f"{name} {100 * s / total:.0f} %" for name, s in parts.items())
    return [
        f"conv transform ({record['n_filters']} filters {record['filter_size']} x "
        f"{record['filter_size']}, 32 x 32 x 3): "
        f"{record['images_per_second']:.0f} images/s, "
        f"{100 * record['transform_fraction_of_peak']:.0f} % of the GEMM peak "
        f"(its GEMM alone {100 * record['gemm_fraction_of_peak']:.0f} %), "
        f"numpy float64 {record['speedup_vs_numpy']:.1f}x slower",
        f"  time per batch: {shares}",
    ]
