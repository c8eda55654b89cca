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


@njit(cache=True, fastmath=FASTMATH, inline="always")
def _write_patch(image, row, col, size, norm, out):
    """Write the patch of ``image`` at ``(row, col)`` into ``out``, normalised.

    A copy, then one simple loop per step (sum, centring with the norm,
    scaling), each of which vectorises; sums in the arrays' dtype.
    """
    k = 0
    for dr in range(size):
        for dc in range(size):
            for c in range(image.shape[2]):
                out[k] = image[row + dr, col + dc, c]
                k += 1
    if norm == NORM_NONE:
        return
    real = out.dtype.type  # constants of the arrays' dtype: no promotion
    total = real(0.0)
    for k in range(out.shape[0]):
        total += out[k]
    mean = total / real(out.shape[0])
    scale = real(0.0)
    if norm == NORM_L2:
        for k in range(out.shape[0]):
            out[k] -= mean
            scale += out[k] * out[k]
        scale = np.sqrt(scale)
    elif norm == NORM_L1:
        for k in range(out.shape[0]):
            out[k] -= mean
            scale += abs(out[k])
    else:
        for k in range(out.shape[0]):
            out[k] -= mean
            scale = max(scale, abs(out[k]))
    inverse = real(1.0) / scale if scale > 0.0 else real(0.0)
    for k in range(out.shape[0]):
        out[k] *= inverse


@njit(cache=True, fastmath=FASTMATH)
def normalized_patches(images, image_index, rows, cols, size, norm, out):
    """Write patch ``t`` of ``images[image_index[t]]`` at ``(rows[t], cols[t])``.

    ``out`` has shape ``(len(rows), size * size * channels)``. Unless ``norm``
    is ``NORM_NONE`` each patch is centred on its own mean and divided by its
    L2, L1 or max norm.
    """
    for t in range(rows.shape[0]):
        _write_patch(images[image_index[t]], rows[t], cols[t], size, norm, out[t])


@njit(cache=True, fastmath=FASTMATH)
def all_normalized_patches(images, size, stride, norm, out):
    """Every patch of every image, ``stride`` apart, in (image, row, col) order.

    As :func:`normalized_patches` at all positions, without index arrays.
    """
    n_rows = (images.shape[1] - size) // stride + 1
    n_cols = (images.shape[2] - size) // stride + 1
    t = 0
    for n in range(images.shape[0]):
        for i in range(n_rows):
            for j in range(n_cols):
                _write_patch(images[n], i * stride, j * stride, size, norm, out[t])
                t += 1


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
def relu_power_pool(currents, threshold, power, pool, size, stride, out):
    """``out = pool(relu(currents - threshold) ** power)`` over square windows.

    ``currents`` is ``(n_images, map_height, map_width, n_filters)``; ``out``
    ``(n_images, out_height, out_width, n_filters)``, window ``(i, j)`` of
    side ``size`` starting at ``(i * stride, j * stride)``. Max pooling raises only the
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
                            value = max(source[f] - threshold, 0.0)
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
