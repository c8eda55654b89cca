"""Classic rate-based plasticity rules: generalised Hebb, Oja / Sanger, BCM.

Plain arrays and scalars in, results written in place. Every kernel is serial:
they run between the BLAS products of a minibatch step (the currents
``Y = X W^T`` and the Hebbian product ``G^T X``) and leave the cores to BLAS.

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
