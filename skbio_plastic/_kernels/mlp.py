"""The localized hidden layer of the end-to-end baselines, stored sparse.

Unit ``j`` keeps only the weights of its patch: ``weights[j, k]`` multiplies
feature ``starts[j] + offsets[k]``. The inputs are the minibatch transposed,
``(n_features, n_samples)`` in C order, so that every feature is one
contiguous row and the loops over samples vectorise. Eight patch inputs are
taken per pass over the samples: with minibatches of about 100 the set-up of
each pass costs as much as its arithmetic (eight per pass beat four by about
15 %).
"""

import numpy as np
from numba import njit

from . import FASTMATH


@njit(cache=True, fastmath=FASTMATH)
def patch_forward(weights, bias, starts, offsets, inputs):
    """ReLU activities ``(n_units, n_samples)`` of the units over their patches."""
    n_units, n_inputs = weights.shape
    n_samples = inputs.shape[1]
    out = np.empty((n_units, n_samples), dtype=weights.dtype)
    last = n_inputs - n_inputs % 8
    for j in range(n_units):
        row, w, start = out[j], weights[j], starts[j]
        row[:] = bias[j]
        for k in range(0, last, 8):
            x0, x1 = inputs[start + offsets[k]], inputs[start + offsets[k + 1]]
            x2, x3 = inputs[start + offsets[k + 2]], inputs[start + offsets[k + 3]]
            x4, x5 = inputs[start + offsets[k + 4]], inputs[start + offsets[k + 5]]
            x6, x7 = inputs[start + offsets[k + 6]], inputs[start + offsets[k + 7]]
            w0, w1, w2, w3 = w[k], w[k + 1], w[k + 2], w[k + 3]
            w4, w5, w6, w7 = w[k + 4], w[k + 5], w[k + 6], w[k + 7]
            for b in range(n_samples):
                low = w0 * x0[b] + w1 * x1[b] + w2 * x2[b] + w3 * x3[b]
                row[b] += low + w4 * x4[b] + w5 * x5[b] + w6 * x6[b] + w7 * x7[b]
        for k in range(last, n_inputs):
            wk, x = w[k], inputs[start + offsets[k]]
            for b in range(n_samples):
                row[b] += wk * x[b]
        for b in range(n_samples):
            if row[b] < 0:  # not max(): a NaN must reach the estimator
                row[b] = 0
    return out


@njit(cache=True, fastmath=FASTMATH)
def patch_weight_gradient(errors, starts, offsets, inputs):
    """``gradient[j, k] = errors[j] . inputs[starts[j] + offsets[k]]``.

    ``errors`` is ``(n_units, n_samples)``, each unit's error on each sample;
    the gradient is ``(n_units, len(offsets))``.
    """
    n_units, n_samples = errors.shape
    n_inputs = offsets.shape[0]
    out = np.empty((n_units, n_inputs), dtype=errors.dtype)
    last = n_inputs - n_inputs % 8
    zero = errors.dtype.type(0)
    for j in range(n_units):
        e, start, g = errors[j], starts[j], out[j]
        for k in range(0, last, 8):
            x0, x1 = inputs[start + offsets[k]], inputs[start + offsets[k + 1]]
            x2, x3 = inputs[start + offsets[k + 2]], inputs[start + offsets[k + 3]]
            x4, x5 = inputs[start + offsets[k + 4]], inputs[start + offsets[k + 5]]
            x6, x7 = inputs[start + offsets[k + 6]], inputs[start + offsets[k + 7]]
            s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = zero
            for b in range(n_samples):
                s0 += e[b] * x0[b]
                s1 += e[b] * x1[b]
                s2 += e[b] * x2[b]
                s3 += e[b] * x3[b]
                s4 += e[b] * x4[b]
                s5 += e[b] * x5[b]
                s6 += e[b] * x6[b]
                s7 += e[b] * x7[b]
            g[k], g[k + 1], g[k + 2], g[k + 3] = s0, s1, s2, s3
            g[k + 4], g[k + 5], g[k + 6], g[k + 7] = s4, s5, s6, s7
        for k in range(last, n_inputs):
            x = inputs[start + offsets[k]]
            s = zero
            for b in range(n_samples):
                s += e[b] * x[b]
            g[k] = s
    return out
