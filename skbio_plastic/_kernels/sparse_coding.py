"""Kernels of the local sparse-coding circuit (Brito & Gerstner 2016).

Every patch ``p`` is an independent circuit of ``K`` units with feed-forward
weights ``W[p]`` of shape ``(K, n_in)``, non-negative lateral inhibition
``A[p]`` of shape ``(K, K)`` (zero diagonal) and a running mean ``mean[p]``
of its codes. For an input patch ``x`` the drive is ``I = W x`` and the code
settles in ``n_iter`` leaky iterations from ``u = 0``::

    u <- (1 - rate) u + rate (I - A a),    a = max(u - threshold, 0)

Samples are processed in blocks laid out ``(units, samples)`` so that every
inner loop runs over the samples of a block, contiguous in memory (SIMD).
Each sample's arithmetic is the same whatever its block, so codes do not
depend on how rows are grouped. The kernels release the GIL: the caller runs
disjoint groups of patches in threads.
"""

import numpy as np
from numba import njit

from . import FASTMATH

# Samples per block of the inference (transform): the block's work arrays
# (patch inputs, drive, state, code) stay in the L1/L2 caches.
ENCODE_BLOCK = 128


@njit(cache=True, fastmath=FASTMATH, inline="always")
def _gather(X, start, n, columns, xp):
    """``xp[i, b] = X[start + b, columns[i]]`` for the ``n`` samples of a block."""
    for b in range(n):
        row = start + b
        for i in range(columns.shape[0]):
            xp[i, b] = X[row, columns[i]]


@njit(cache=True, fastmath=FASTMATH, inline="always")
def _settle(W, A, xp, n, n_iter, rate, threshold, drive, u, a):
    """Codes ``a[:, :n]`` of the inputs ``xp[:, :n]`` after ``n_iter`` iterations."""
    K, n_in = W.shape
    one = W.dtype.type(1)
    r = W.dtype.type(rate)
    leak = one - r
    theta = W.dtype.type(threshold)
    for k in range(K):
        for b in range(n):
            drive[k, b] = 0.0
        for i in range(n_in):
            w = W[k, i]
            for b in range(n):
                drive[k, b] += w * xp[i, b]
        for b in range(n):
            u[k, b] = 0.0
            a[k, b] = 0.0
    for _ in range(n_iter):
        # u uses the code of the previous iteration: a is updated after u.
        for k in range(K):
            for b in range(n):
                u[k, b] = leak * u[k, b] + r * drive[k, b]
            for j in range(K):
                c = r * A[k, j]
                if c != 0.0:
                    for b in range(n):
                        u[k, b] -= c * a[j, b]
        for k in range(K):
            for b in range(n):
                a[k, b] = u[k, b] - theta
                if a[k, b] < 0.0:
                    a[k, b] = 0.0


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def encode_patches(X, indices, W, A, n_iter, rate, threshold, out, first_patch):
    """Codes of every row of ``X`` for the patches ``W.shape[0]`` given.

    ``indices[p]`` are the feature columns of patch ``p``; the codes of patch
    ``p`` go to ``out[:, (first_patch + p) * K : (first_patch + p + 1) * K]``.
    """
    n_patches, K, n_in = W.shape
    n_rows = X.shape[0]
    block = min(ENCODE_BLOCK, max(n_rows, 1))
    dtype = W.dtype
    xp = np.empty((n_in, block), dtype=dtype)
    drive = np.empty((K, block), dtype=dtype)
    u = np.empty((K, block), dtype=dtype)
    a = np.empty((K, block), dtype=dtype)
    for p in range(n_patches):
        column = (first_patch + p) * K
        for start in range(0, n_rows, block):
            n = min(block, n_rows - start)
            _gather(X, start, n, indices[p], xp)
            _settle(W[p], A[p], xp, n, n_iter, rate, threshold, drive, u, a)
            for b in range(n):
                for k in range(K):
                    out[start + b, column + k] = a[k, b]


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def train_patches(
    X,
    indices,
    W,
    A,
    mean,
    batch_size,
    n_iter,
    rate,
    threshold,
    learning_rate,
    learning_rate_lateral,
    mean_rate,
    stats,
):
    """Learn on the rows of ``X`` in order, in minibatches of ``batch_size``.

    Per minibatch and patch: the codes ``a_b`` of its samples with the weights
    of the minibatch's start, then (sums over the samples ``b``)::

        W += learning_rate * sum_b a_b x_b^T,   rows of W scaled to unit L2
        A += learning_rate_lateral * sum_b (a_b - m_b) a_b^T, clipped >= 0,
             zero diagonal
        m_{b+1} = (1 - mean_rate) m_b + mean_rate * a_b   (sample by sample)

    ``stats[p, 0]`` is raised to the largest code seen and ``stats[p, 1]``
    counts the non-zero codes. Weights are updated in place.
    """
    n_patches, K, n_in = W.shape
    n_rows = X.shape[0]
    B = min(batch_size, max(n_rows, 1))
    dtype = W.dtype
    xp = np.empty((n_in, B), dtype=dtype)
    drive = np.empty((K, B), dtype=dtype)
    u = np.empty((K, B), dtype=dtype)
    a = np.empty((K, B), dtype=dtype)
    centred = np.empty((K, B), dtype=dtype)
    zero = dtype.type(0)
    eta = dtype.type(learning_rate)
    eta_lateral = dtype.type(learning_rate_lateral)
    rho = dtype.type(mean_rate)
    for p in range(n_patches):
        Wp = W[p]
        Ap = A[p]
        mp = mean[p]
        largest = stats[p, 0]
        active = stats[p, 1]
        for start in range(0, n_rows, B):
            n = min(B, n_rows - start)
            _gather(X, start, n, indices[p], xp)
            _settle(Wp, Ap, xp, n, n_iter, rate, threshold, drive, u, a)
            # The running mean before each sample, sample by sample.
            for b in range(n):
                for k in range(K):
                    code = a[k, b]
                    centred[k, b] = code - mp[k]
                    mp[k] += rho * (code - mp[k])
                    if code > 0.0:
                        active += 1.0
                        if code > largest:
                            largest = code
            # Anti-Hebbian lateral inhibition, clipped, no self-inhibition.
            for k in range(K):
                for j in range(K):
                    if j == k:
                        continue
                    s = zero
                    for b in range(n):
                        s += centred[k, b] * a[j, b]
                    Ap[k, j] += eta_lateral * s
                    if Ap[k, j] < 0.0:
                        Ap[k, j] = 0.0
                Ap[k, k] = 0.0
            # Hebbian feed-forward weights, then unit rows.
            for k in range(K):
                norm = 0.0
                for i in range(n_in):
                    s = zero
                    for b in range(n):
                        s += a[k, b] * xp[i, b]
                    w = Wp[k, i] + eta * s
                    Wp[k, i] = w
                    norm += np.float64(w) * w
                if norm > 0.0:
                    scale = dtype.type(1.0 / np.sqrt(norm))
                    for i in range(n_in):
                        Wp[k, i] *= scale
        stats[p, 0] = largest
        stats[p, 1] = active
