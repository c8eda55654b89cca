"""Shared-filter (convolutional) layers: normalised patches and pooling.

Images are ``(n_images, height, width, channels)`` arrays. A patch is the
``size x size x channels`` block whose top-left pixel is ``(row, col)``,
flattened in C order (row, column, channel), which is how the filters of
the estimator store their weights. The product of patches and filters is a
BLAS GEMM done by the caller; these kernels build its input (im2col with a
per-patch normalisation) and reduce its output (activation and pooling).
Both are serial: they run between GEMMs and leave the cores to BLAS.
"""

import numpy as np
from numba import njit

from . import FASTMATH

# Per-patch normalisation: the patch's mean is removed, then it is divided
# by one of these norms (a patch whose norm is 0 stays 0); or kept raw.
NORM_L2 = 0
NORM_L1 = 1
NORM_MAX = 2
NORM_NONE = 3

POOL_MAX = 0
POOL_AVG = 1


@njit(cache=True, fastmath=FASTMATH)
def normalized_patches(images, image_index, rows, cols, size, norm, out):
    """Write patch ``t`` of ``images[image_index[t]]`` at ``(rows[t], cols[t])``.

    ``out`` has shape ``(len(rows), size * size * channels)``. Unless ``norm``
    is ``NORM_NONE`` each patch is centred on its own mean and divided by its
    L2, L1 or max norm (sums in float64).
    """
    channels = images.shape[3]
    n_values = size * size * channels
    for t in range(rows.shape[0]):
        image = images[image_index[t]]
        row = out[t]
        k = 0
        total = 0.0
        for dr in range(size):
            for dc in range(size):
                for c in range(channels):
                    value = image[rows[t] + dr, cols[t] + dc, c]
                    row[k] = value
                    total += value
                    k += 1
        if norm == NORM_NONE:
            continue
        mean = total / n_values
        scale = 0.0
        for k in range(n_values):
            centred = row[k] - mean
            row[k] = centred
            if norm == NORM_L2:
                scale += centred * centred
            elif norm == NORM_L1:
                scale += abs(centred)
            else:
                scale = max(scale, abs(centred))
        if norm == NORM_L2:
            scale = np.sqrt(scale)
        inverse = 1.0 / scale if scale > 0.0 else 0.0
        for k in range(n_values):
            row[k] *= inverse


@njit(cache=True, fastmath=FASTMATH, inline="always")
def _power(value, power):
    """``value ** power`` for ``value >= 0``.

    Whole and half-whole powers up to 8 use products and a square root
    (several times faster than ``pow``).
    """
    if power == 1.0:
        return value
    if power == 2.0:
        return value * value
    whole = int(power)
    half = power - whole
    if whole > 8 or (half != 0.0 and half != 0.5):
        return value**power
    result = np.sqrt(value) if half == 0.5 else value - value + 1.0
    for _ in range(whole):
        result *= value
    return result


@njit(cache=True, fastmath=FASTMATH)
def relu_power_pool(currents, power, pool, size, stride, out):
    """``out = pool(relu(currents) ** power)`` over ``size x size`` windows.

    ``currents`` is ``(n_images, map_height, map_width, n_filters)``; ``out``
    ``(n_images, out_height, out_width, n_filters)``, window ``(i, j)``
    starting at ``(i * stride, j * stride)``. Max pooling raises only the
    window's largest value to ``power`` (the activation is monotonic).
    """
    n_images, out_height, out_width, n_filters = out.shape
    window = size * size
    for n in range(n_images):
        for i in range(out_height):
            for j in range(out_width):
                cell = out[n, i, j]
                cell[:] = 0.0
                for dr in range(size):
                    for dc in range(size):
                        source = currents[n, i * stride + dr, j * stride + dc]
                        for f in range(n_filters):
                            value = max(source[f], 0.0)
                            if pool == POOL_MAX:
                                cell[f] = max(cell[f], value)
                            else:
                                cell[f] += _power(value, power)
                if pool == POOL_MAX:
                    if power != 1.0:
                        for f in range(n_filters):
                            cell[f] = _power(cell[f], power)
                else:
                    for f in range(n_filters):
                        cell[f] /= window
