"""Classic rate-based plasticity rules: generalised Hebb, Oja / Sanger, BCM.

Plain arrays and scalars in, results written in place. Every kernel is serial:
they run between the BLAS products of a minibatch step (the currents
``Y = X W^T`` and the Hebbian product ``G^T X``) and leave the cores to BLAS,
except those of the last section, which run whole epochs of localized Oja /
Sanger units patch by patch, products included.

Notation: ``W`` the weights ``(H, D)`` (post-synaptic unit ``i``, row ``W[i]``;
pre-synaptic input ``j``), a minibatch ``X`` ``(B, D)``, currents ``Y``
``(B, H)``. Units come in consecutive groups of ``group_size`` (the last one
may be shorter) that share one receptive field and compete with each other.
Unit ``i`` sees the features ``starts[i] + offsets`` only; its weights
elsewhere stay zero.

A step of every rule has the form::

    dW[i, j] = rates[i] * (hebb[i, j] + const[i] - sum_k decay[i, k] W[k, j])

over the field of ``i``, with ``k`` running over the units of ``i``'s group:
``hebb = G^T X`` (a BLAS product, ``G`` ``(B, H)`` the post-synaptic factor of
each sample), ``const`` the terms without a pre-synaptic factor, ``decay`` the
Oja / Sanger terms. ``field_step`` applies it.
"""

import math

import numpy as np
from numba import njit

from . import FASTMATH

# Competition between the units of one group (post-synaptic rates).
COMPETE_NONE = 0  # every unit: relu(y)
COMPETE_WTA = 1  # only the unit of largest current: relu(y); the others 0
COMPETE_LATERAL = 2  # steady state under uniform lateral inhibition

# Weight normalisation after each step.
NORMALIZE_NONE = 0
NORMALIZE_L2 = 1  # each row (its field) rescaled to unit L2 norm
NORMALIZE_CLIP = 2  # each weight clipped to [-w_max, w_max]


@njit(cache=True, fastmath=FASTMATH)
def compete(Y, group_size, mode, inhibition):
    """Post-synaptic rates from currents ``Y`` ``(B, H)``, in place.

    ``COMPETE_NONE``: ``relu(y)``. ``COMPETE_WTA``: per sample and group only
    the unit of largest current keeps ``relu(y)`` (ties: the first unit).
    ``COMPETE_LATERAL``: the steady state of the rates under uniform lateral
    inhibition ``w = inhibition`` within the group,
    ``nu_i = relu(y_i - w sum_{k != i} nu_k)``: with the ``n`` units of
    largest current active, ``S = sum_top_n y / (1 + (n - 1) w)`` and
    ``nu_i = (y_i - w S) / (1 - w)``; ``w >= 1`` leaves only the top unit
    (winner-take-all), ``w = 0`` is ``relu(y)``.
    """
    n_samples, n_units = Y.shape
    order = np.empty(group_size, dtype=np.int64)
    for a in range(n_samples):
        y = Y[a]
        for g0 in range(0, n_units, group_size):
            g1 = min(g0 + group_size, n_units)
            if mode == COMPETE_NONE:
                for i in range(g0, g1):
                    y[i] = y[i] if y[i] > 0.0 else 0.0
                continue
            if mode == COMPETE_WTA or inhibition >= 1.0:
                best = g0
                for i in range(g0 + 1, g1):
                    if y[i] > y[best]:
                        best = i
                top = y[best]
                for i in range(g0, g1):
                    y[i] = 0.0
                y[best] = top if top > 0.0 else 0.0
                continue
            # Lateral inhibition: the units by decreasing current (insertion).
            size = g1 - g0
            for t in range(size):
                u = g0 + t
                pos = t
                while pos > 0 and y[order[pos - 1]] < y[u]:
                    order[pos] = order[pos - 1]
                    pos -= 1
                order[pos] = u
            total = 0.0
            cumulative = 0.0
            for n in range(1, size + 1):
                cumulative += y[order[n - 1]]
                total = cumulative / (1.0 + (n - 1) * inhibition)
                if n == size or y[order[n]] <= inhibition * total:
                    break
            for i in range(g0, g1):
                v = (y[i] - inhibition * total) / (1.0 - inhibition)
                y[i] = v if v > 0.0 else 0.0


@njit(cache=True, fastmath=FASTMATH)
def hebbian_factors(post, post_mean, modulation, a0, a1_pre, a1_post, a2, G, const):
    """Factors of the rule ``a0 + a1_pre nu_j + a1_post nu_i + a2 nu_i nu_j``.

    With centred post-synaptic rates ``n_i = post[a, i] - post_mean[i]`` and a
    modulation ``m`` (``modulation`` ``(B, 1)`` per sample or ``(B, H)`` per
    sample and unit) the change summed over the batch is
    ``sum_a m (a2 n_i + a1_pre) nu_j + sum_a m (a1_post n_i + a0)``: writes
    ``G[a, i] = m (a2 n_i + a1_pre)`` and ``const[i] = sum_a m (a1_post n_i + a0)``.
    (The pre-synaptic rates, centred or not, enter through ``G^T X``.)
    """
    n_samples, n_units = post.shape
    per_unit = modulation.shape[1] > 1
    for i in range(n_units):
        const[i] = 0.0
    for a in range(n_samples):
        for i in range(n_units):
            m = modulation[a, i] if per_unit else modulation[a, 0]
            n = post[a, i] - post_mean[i]
            G[a, i] = m * (a2 * n + a1_pre)
            const[i] += m * (a1_post * n + a0)


@njit(cache=True, fastmath=FASTMATH)
def bcm_factors(post, thresholds, forget, floor, G):
    """BCM: ``G[a, i] = y (y - theta_i) / max(theta_i, floor)``, theta sliding.

    Sample by sample, the factor uses the current threshold, which then moves
    towards ``y**2``: ``theta <- theta + forget * (y**2 - theta)`` (``forget =
    1 / tau``), a running mean of the squared rate. Dividing by ``theta``
    (Law & Cooper 1994) makes the step independent of the scale of the rates;
    ``floor`` (> 0) bounds the step of a unit that was long silent.
    ``thresholds`` ``(H,)`` is updated in place.
    """
    n_samples, n_units = post.shape
    for a in range(n_samples):
        for i in range(n_units):
            y = post[a, i]
            theta = thresholds[i]
            G[a, i] = y * (y - theta) / max(theta, floor)
            thresholds[i] = theta + forget * (y * y - theta)


@njit(cache=True, fastmath=FASTMATH)
def gha_decay(Y, group_size, lower, decay):
    """Oja / Sanger decay coefficients: ``decay[i, k - g0] = sum_a y_i y_k``.

    For ``k`` in the group ``[g0, g1)`` of unit ``i``: all of them for Oja's
    subspace rule, ``k <= i`` only with ``lower`` (Sanger's generalised
    Hebbian algorithm); the others are 0. ``decay`` is ``(H, group_size)``.
    """
    n_samples, n_units = Y.shape
    for i in range(n_units):
        for k in range(group_size):
            decay[i, k] = 0.0
    for g0 in range(0, n_units, group_size):
        g1 = min(g0 + group_size, n_units)
        for a in range(n_samples):
            y = Y[a]
            for i in range(g0, g1):
                last = i + 1 if lower else g1
                yi = y[i]
                for k in range(g0, last):
                    decay[i, k - g0] += yi * y[k]


@njit(cache=True, fastmath=FASTMATH)
def field_step(
    W,
    hebb,
    const,
    decay,
    rates,
    starts,
    offsets,
    group_size,
    normalize,
    w_max,
    rows,
):
    """Apply one step of the form of the module docstring to ``W`` in place.

    ``hebb`` is either dense ``(H, D)`` (the synapse ``j`` of unit ``i``'s
    field at ``hebb[i, starts[i] + offsets[j]]``) or compact
    ``(H, len(offsets))`` (at ``hebb[i, j]``); the two agree when every unit
    sees the whole input. ``decay`` is ``(H, group_size)`` or has no columns
    (no decay term); it
    reads the rows of the group before the step (the new rows are built in the
    scratch ``rows`` ``(group_size, len(offsets))`` and written back). Then
    each row is normalised (``normalize``: ``NORMALIZE_*``).

    Returns the largest L2 norm of a row after the step: not finite, or far
    above its start, when the rule blew up.
    """
    n_units = W.shape[0]
    width = offsets.shape[0]
    use_decay = decay.shape[1] > 0
    largest = 0.0
    for g0 in range(0, n_units, group_size):
        g1 = min(g0 + group_size, n_units)
        for i in range(g0, g1):
            row = rows[i - g0]
            h = hebb[i]
            c = const[i]
            if hebb.shape[1] == width:  # compact: the field's synapses in order
                for j in range(width):
                    row[j] = h[j] + c
            else:
                base = starts[i]
                for j in range(width):
                    row[j] = h[base + offsets[j]] + c
            if use_decay:
                for k in range(g0, g1):
                    d = decay[i, k - g0]
                    if d != 0.0:
                        wk = W[k]
                        kbase = starts[k]
                        for j in range(width):
                            row[j] -= d * wk[kbase + offsets[j]]
        for i in range(g0, g1):
            row = rows[i - g0]
            w = W[i]
            base = starts[i]
            rate = rates[i]
            norm2 = 0.0
            for j in range(width):
                v = w[base + offsets[j]] + rate * row[j]
                if normalize == NORMALIZE_CLIP:
                    v = min(max(v, -w_max), w_max)
                w[base + offsets[j]] = v
                norm2 += v * v
            norm = math.sqrt(norm2)
            if normalize == NORMALIZE_L2 and norm > 0.0:
                scale = 1.0 / norm
                for j in range(width):
                    w[base + offsets[j]] *= scale
                norm = 1.0 if math.isfinite(norm) else norm
            if not norm <= largest:  # also catches NaN
                largest = norm
    return largest


@njit(cache=True, fastmath=FASTMATH)
def gather_patches(X, group_starts, offsets, out):
    """``out[g, a, j] = X[a, group_starts[g] + offsets[j]]``: each group's patch."""
    n_samples = X.shape[0]
    width = offsets.shape[0]
    for g in range(group_starts.shape[0]):
        base = group_starts[g]
        for a in range(n_samples):
            x = X[a]
            o = out[g, a]
            for j in range(width):
                o[j] = x[base + offsets[j]]


@njit(cache=True, fastmath=FASTMATH)
def gather_rows(W, starts, offsets, out):
    """``out[g, k, j] = W[i, starts[i] + offsets[j]]``, ``i = g * K + k``.

    The field weights of each group ``(groups, K, field)``; the rows of a
    short last group beyond ``W``'s are set to zero.
    """
    n_groups, group_size, width = out.shape
    n_units = W.shape[0]
    for g in range(n_groups):
        for k in range(group_size):
            i = g * group_size + k
            o = out[g, k]
            if i >= n_units:
                for j in range(width):
                    o[j] = 0.0
                continue
            w = W[i]
            base = starts[i]
            for j in range(width):
                o[j] = w[base + offsets[j]]


# ------------------------------------------------ Oja / Sanger, patch by patch
#
# Localized groups are independent: group ``g`` sees its own patch of each
# input (the features ``group_starts[g] + offsets``) with the weights
# ``W[g]`` ``(K, field)`` of its ``K`` units, kept compact during a fit. The
# kernels below run whole minibatch loops group by group with every work
# array in the L1/L2 caches: no dense ``(B, H)`` or ``(groups, B, field)``
# temporaries, no Python call per step, no copy of the patches. A minibatch
# is transposed once, ``(features, samples)``, so that each feature of a
# patch is a contiguous row over the samples: the currents are sums of
# scaled rows (eight at a time, one store per eight multiply-adds), the
# Hebbian term dot products over the samples (five units at a time, sharing
# the loads of a row). They release the GIL: a caller may run disjoint
# ranges of groups in threads, with the same result.


@njit(cache=True, fastmath=FASTMATH, inline="always")
def _add_rows(out, coefficients, S, base, index, n_rows, n):
    """``out[:n] += sum_{s < n_rows} coefficients[s] S[base + index[s], :n]``.

    Eight rows at a time: one load and store of ``out`` per eight rows.
    """
    s0 = 0
    while s0 + 8 <= n_rows:
        c0 = coefficients[s0]
        c1 = coefficients[s0 + 1]
        c2 = coefficients[s0 + 2]
        c3 = coefficients[s0 + 3]
        c4 = coefficients[s0 + 4]
        c5 = coefficients[s0 + 5]
        c6 = coefficients[s0 + 6]
        c7 = coefficients[s0 + 7]
        x0 = S[base + index[s0]]
        x1 = S[base + index[s0 + 1]]
        x2 = S[base + index[s0 + 2]]
        x3 = S[base + index[s0 + 3]]
        x4 = S[base + index[s0 + 4]]
        x5 = S[base + index[s0 + 5]]
        x6 = S[base + index[s0 + 6]]
        x7 = S[base + index[s0 + 7]]
        for t in range(n):
            out[t] += (
                c0 * x0[t] + c1 * x1[t] + c2 * x2[t] + c3 * x3[t]
                + c4 * x4[t] + c5 * x5[t] + c6 * x6[t] + c7 * x7[t]
            )  # fmt: skip
        s0 += 8
    for s in range(s0, n_rows):
        c = coefficients[s]
        x = S[base + index[s]]
        for t in range(n):
            out[t] += c * x[t]


@njit(cache=True, fastmath=FASTMATH, inline="always")
def _dot_rows(A, n_rows, S, base, index, n_cols, n, out):
    """``out[r, c] = sum_{t < n} A[r, t] S[base + index[c], t]``.

    Five rows of ``A`` at a time share each load of a row of ``S``.
    """
    zero = out.dtype.type(0.0)
    r0 = 0
    while r0 + 5 <= n_rows:
        a0 = A[r0]
        a1 = A[r0 + 1]
        a2 = A[r0 + 2]
        a3 = A[r0 + 3]
        a4 = A[r0 + 4]
        for c in range(n_cols):
            b = S[base + index[c]]
            t0 = zero
            t1 = zero
            t2 = zero
            t3 = zero
            t4 = zero
            for t in range(n):
                v = b[t]
                t0 += a0[t] * v
                t1 += a1[t] * v
                t2 += a2[t] * v
                t3 += a3[t] * v
                t4 += a4[t] * v
            out[r0, c] = t0
            out[r0 + 1, c] = t1
            out[r0 + 2, c] = t2
            out[r0 + 3, c] = t3
            out[r0 + 4, c] = t4
        r0 += 5
    for r in range(r0, n_rows):
        a = A[r]
        for c in range(n_cols):
            b = S[base + index[c]]
            total = zero
            for t in range(n):
                total += a[t] * b[t]
            out[r, c] = total


@njit(cache=True, fastmath=FASTMATH, inline="always")
def _transpose_rows(X, order, start, m, XT):
    """``XT[j, a] = X[order[start + a], j]`` for the ``m`` samples."""
    for a in range(m):
        row = X[order[start + a]]
        for j in range(X.shape[1]):
            XT[j, a] = row[j]


@njit(cache=True, fastmath=FASTMATH, inline="always")
def _patch_currents(Wg, XT, base, offsets, m, Y):
    """``Y[k, a] = sum_j Wg[k, j] XT[base + offsets[j], a]``."""
    for k in range(Wg.shape[0]):
        y = Y[k]
        for a in range(m):
            y[a] = 0.0
        _add_rows(y, Wg[k], XT, base, offsets, offsets.shape[0], m)


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def gha_train(
    X, order, group_starts, offsets, W, learning_rates, decay, batch_size, lower,
    stats, track_currents,
):  # fmt: skip
    """Oja / Sanger steps on the minibatches of ``X[order]``, group by group.

    ``W`` ``(groups, K, field)`` holds the compact weights of the groups
    whose patches start at ``group_starts`` (updated in place),
    ``learning_rates`` ``(groups, K)`` their rates (0 for the zero rows
    padding a short last group), ``decay`` the factor of the epoch. Per
    minibatch of ``m`` samples and group, with ``Y = W x`` and the rows of
    the group before the step::

        W_i += lr_i * (decay / m) * sum_a y_i (x - sum_k y_k W_k)

    ``k`` over the group (``k <= i`` with ``lower``: Sanger), as
    ``field_step`` applies it. ``stats[g, 0]`` is raised to the largest row
    norm after any step (a NaN stays) and, with ``track_currents``,
    ``stats[g, 1]`` to the largest current before any step.
    """
    n_groups, K, width = W.shape
    n_rows = order.shape[0]
    B = min(batch_size, max(n_rows, 1))
    dtype = W.dtype
    XT = np.empty((X.shape[1], B), dtype=dtype)
    Y = np.empty((K, B), dtype=dtype)
    change = np.empty((K, width), dtype=dtype)
    coupling = np.empty((K, K), dtype=dtype)
    units = np.arange(K)
    for start in range(0, n_rows, batch_size):
        m = min(batch_size, n_rows - start)
        _transpose_rows(X, order, start, m, XT)
        scale = decay / m
        for g in range(n_groups):
            Wg = W[g]
            base = group_starts[g]
            _patch_currents(Wg, XT, base, offsets, m, Y)  # y_k = W_k . x
            if track_currents:
                largest = stats[g, 1]
                for k in range(K):
                    for a in range(m):
                        if Y[k, a] > largest:
                            largest = Y[k, a]
                stats[g, 1] = largest
            _dot_rows(Y, K, XT, base, offsets, width, m, change)  # sum_a y_i x
            _dot_rows(Y, K, Y, 0, units, K, m, coupling)  # sum_a y_i y_k
            # minus sum_k (sum_a y_i y_k) W_k, with the rows before the step
            for i in range(K):
                last = i + 1 if lower else K
                for k in range(last):
                    coupling[i, k] = -coupling[i, k]
                _add_rows(change[i], coupling[i], Wg, 0, units, last, width)
            largest = stats[g, 0]
            for i in range(K):
                rate = dtype.type(learning_rates[g, i] * scale)
                c = change[i]
                w = Wg[i]
                norm2 = 0.0
                for j in range(width):
                    v = w[j] + rate * c[j]
                    w[j] = v
                    norm2 += v * v
                norm = math.sqrt(norm2)
                if not norm <= largest and largest == largest:  # NaN stays
                    largest = norm
            stats[g, 0] = largest


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def patch_currents_max(X, group_starts, offsets, W, out):
    """``out[g]`` raised to the largest current ``W[g] . x_patch`` over ``X``."""
    n_groups, K, width = W.shape
    n_rows = X.shape[0]
    block = min(128, max(n_rows, 1))
    XT = np.empty((X.shape[1], block), dtype=W.dtype)
    Y = np.empty((K, block), dtype=W.dtype)
    order = np.arange(n_rows)
    for start in range(0, n_rows, block):
        m = min(block, n_rows - start)
        _transpose_rows(X, order, start, m, XT)
        for g in range(n_groups):
            _patch_currents(W[g], XT, group_starts[g], offsets, m, Y)
            largest = out[g]
            for k in range(K):
                for a in range(m):
                    if Y[k, a] > largest:
                        largest = Y[k, a]
            out[g] = largest


@njit(cache=True, fastmath=FASTMATH)
def scatter_rows(stack, starts, offsets, W):
    """Inverse of ``gather_rows``: ``W[i, starts[i] + offsets[j]] = stack[g, k, j]``."""
    n_groups, group_size, width = stack.shape
    n_units = W.shape[0]
    for g in range(n_groups):
        for k in range(group_size):
            i = g * group_size + k
            if i >= n_units:
                break
            w = W[i]
            base = starts[i]
            s = stack[g, k]
            for j in range(width):
                w[base + offsets[j]] = s[j]
