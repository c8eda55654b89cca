"""Krotov & Hopfield's competing hidden units: ranking, dynamics and sparse update.

Plain arrays and scalars in, results written in place. Every kernel is serial:
they run between the BLAS products of a minibatch loop (``_krotov_training``)
and leave the cores to BLAS, whose product dominates each step.

Notation: ``W`` the hidden weights ``(H, D)``, ``Wp = sign(W) |W| ** (p - 1)``
kept beside it, ``currents`` the products ``Wp @ x`` of a minibatch, stored
unit-major ``(H, B)`` (the faster GEMM layout for small ``B``). The plasticity
of one minibatch is given as a sparse matrix of ``g`` values in CSR form, one
row per sample: ``indptr`` (B + 1), ``units`` and ``gvals``. Localized units
are given by their receptive fields, ``starts`` (H,) and ``offsets``: unit
``mu`` sees the features ``starts[mu] + offsets``.
"""

import math

import numpy as np
from numba import njit

from . import FASTMATH

# How Wp = sign(W) |W| ** (p - 1) is kept in step with W.
POWER_SAME = 0  # p == 2: Wp is W itself (the same array), nothing to do
POWER_CUBE = 1  # p == 3: Wp = W * |W|
POWER_GENERAL = 2  # any real p >= 2


# Smallest max|dW| the step is divided by (the reference floors it too).
_TINY = 1e-30


def power_mode(p):
    """The ``POWER_*`` code of exponent ``p``."""
    if p == 2.0:
        return POWER_SAME
    if p == 3.0:
        return POWER_CUBE
    return POWER_GENERAL


@njit(cache=True, fastmath=FASTMATH)
def signed_power_rows(W, Wp, rows, mode, p):
    """``Wp[r] = sign(W[r]) |W[r]| ** (p - 1)`` for every ``r`` in ``rows``.

    For ``POWER_GENERAL``, exponents ``p - 1`` that are whole or half-whole
    numbers (p = 2.5, 4, 4.5, ...) use products and a square root, which
    vectorise; other exponents call ``pow`` element by element.
    """
    if mode == POWER_SAME:
        return
    n_features = W.shape[1]
    q = p - 1.0
    whole = math.floor(q)
    frac = q - whole
    n_mult = int(whole)
    for t in range(rows.shape[0]):
        r = rows[t]
        w = W[r]
        wp = Wp[r]
        if mode == POWER_CUBE:
            for i in range(n_features):
                wp[i] = w[i] * abs(w[i])
        elif frac == 0.0 or frac == 0.5:
            if frac == 0.0:
                for i in range(n_features):
                    wp[i] = 1.0
            else:
                for i in range(n_features):
                    wp[i] = math.sqrt(abs(w[i]))
            for _ in range(n_mult):
                for i in range(n_features):
                    wp[i] *= abs(w[i])
            for i in range(n_features):
                wp[i] = wp[i] if w[i] >= 0.0 else -wp[i]
        else:
            for i in range(n_features):
                a = abs(w[i])
                v = a**q if a > 0.0 else 0.0
                wp[i] = v if w[i] >= 0.0 else -v


@njit(cache=True, fastmath=FASTMATH)
def rank_top_and_kth(currents, k, delta, indptr, units, gvals):
    """Krotov's ranking: ``g = 1`` for the top unit, ``-delta`` for the k-th.

    A partial selection, not a sort, over ``currents`` ``(H, B)`` (unit-major,
    so that every inner loop runs over the contiguous samples of one unit):

    1. A lower bound of each sample's k-th largest current, free of branches:
       split the units into ``k`` stripes; the smallest of the ``k`` stripe
       maxima is exceeded or matched by ``k`` distinct units.
    2. One scan of the units keeps, per sample, the ``k`` largest currents
       seen so far in a small sorted buffer; a current enters only when it is
       at least the lower bound and beats the buffer's smallest. A vectorised
       count skips the units that enter no buffer. Starting from the bound
       instead of from the first units cuts the (mispredicted) insertions
       about threefold.

    Ties keep the lower unit index first (as a stable sort of ``-currents``).
    With ``delta == 0`` or a single unit only the top unit is selected.

    Fills ``indptr`` (B + 1), ``units`` and ``gvals`` (room for 2 B).
    Returns the number of entries, or -1 when a sample's currents are not
    finite (the weights blew up).
    """
    n_units, n_samples = currents.shape
    if delta == 0.0 or n_units == 1:
        k = 1
        delta = 0.0
    top_v = np.empty((n_samples, k), dtype=currents.dtype)
    top_i = np.empty((n_samples, k), dtype=np.int64)
    threshold = np.empty(n_samples, dtype=currents.dtype)
    stripe_max = np.empty(n_samples, dtype=currents.dtype)
    filled = np.zeros(n_samples, dtype=np.int64)
    # 1. Lower bound: min over k stripes of units of the stripe maximum.
    width = n_units // k
    for s in range(k):
        low = s * width
        high = n_units if s == k - 1 else low + width
        for a in range(n_samples):
            stripe_max[a] = currents[low, a]
        for mu in range(low + 1, high):
            row = currents[mu]
            for a in range(n_samples):
                stripe_max[a] = max(stripe_max[a], row[a])
        for a in range(n_samples):
            if s == 0 or stripe_max[a] < threshold[a]:
                threshold[a] = stripe_max[a]
    for a in range(n_samples):
        for j in range(k):
            top_v[a, j] = -np.inf
            top_i[a, j] = -1
        # Just below the bound (in the currents' own float type), so that
        # "v > threshold" admits currents equal to it.
        threshold[a] = np.nextafter(threshold[a], top_v[a, 0])
    # 2. Scan with per-sample sorted buffers of the k largest.
    for mu in range(n_units):
        row = currents[mu]
        count = 0
        for a in range(n_samples):
            count += np.int32(row[a] > threshold[a])
        if count == 0:
            continue
        for a in range(n_samples):
            v = row[a]
            if v > threshold[a]:
                pos = k - 1
                while pos > 0 and v > top_v[a, pos - 1]:
                    top_v[a, pos] = top_v[a, pos - 1]
                    top_i[a, pos] = top_i[a, pos - 1]
                    pos -= 1
                top_v[a, pos] = v
                top_i[a, pos] = mu
                filled[a] += 1
                if filled[a] >= k:
                    threshold[a] = top_v[a, k - 1]
    nnz = 0
    for a in range(n_samples):
        if filled[a] < k:  # only with NaN currents
            return -1
        indptr[a] = nnz
        units[nnz] = top_i[a, 0]
        gvals[nnz] = 1.0
        nnz += 1
        if delta != 0.0:
            units[nnz] = top_i[a, k - 1]
            gvals[nnz] = -delta
            nnz += 1
    indptr[n_samples] = nnz
    return nnz


@njit(cache=True, fastmath=FASTMATH)
def steady_state_dynamics(
    currents, w_inh, h_star, delta, tol, max_steps, indptr, units, gvals, h
):
    """Hidden dynamics to steady state by forward Euler, then ``g(h)``.

    For every sample (a column of ``currents`` ``(H, B)``) integrates
    ``tau dh/dt = I - w_inh * sum_{nu != mu} relu(h_nu) - h`` from ``h = 0``.
    Time is in units of ``tau``; each step is ``dt = 1 / max(1, 1 + w_inh
    (n_active - 1))`` where ``n_active`` counts the units with ``h > 0``:
    the stability limit of the inhibitory coupling, which takes out the
    uniform mode in one step. Stops when ``max |dh| <= tol * max |h|`` or
    after ``max_steps``. Then ``g = 1`` where ``h >= h_star``, ``-delta``
    where ``0 <= h < h_star``, and 0 below (``h_star < 0`` means ``-h_star``
    times each sample's largest ``h``). ``h`` (H,) float64 is scratch.

    Fills the CSR ``indptr``, ``units``, ``gvals`` (room for ``H * B``
    entries). Returns ``(nnz, n_not_converged, total_steps)``.
    """
    n_units, n_samples = currents.shape
    nnz = 0
    not_converged = 0
    total_steps = 0
    for a in range(n_samples):
        for mu in range(n_units):
            h[mu] = 0.0
        n_active = 0
        total = 0.0
        converged = False
        for _ in range(max_steps):
            dt = 1.0 / max(1.0, 1.0 + w_inh * (n_active - 1))
            largest_change = 0.0
            largest = 0.0
            new_total = 0.0
            new_active = 0
            for mu in range(n_units):
                hm = h[mu]
                own = hm if hm > 0.0 else 0.0
                dh = dt * (currents[mu, a] - w_inh * (total - own) - hm)
                hm += dh
                h[mu] = hm
                largest_change = max(largest_change, abs(dh))
                largest = max(largest, abs(hm))
                if hm > 0.0:
                    new_total += hm
                    new_active += 1
            total = new_total
            n_active = new_active
            total_steps += 1
            if largest_change <= tol * largest:
                converged = True
                break
        if not converged:
            not_converged += 1
        threshold = h_star
        if h_star < 0.0:
            top = -np.inf
            for mu in range(n_units):
                top = max(top, h[mu])
            threshold = -h_star * top
        indptr[a] = nnz
        for mu in range(n_units):
            hm = h[mu]
            if hm < 0.0:  # g = 0 below zero, whatever the threshold
                continue
            if hm >= threshold:
                units[nnz] = mu
                gvals[nnz] = 1.0
                nnz += 1
            elif delta != 0.0:
                units[nnz] = mu
                gvals[nnz] = -delta
                nnz += 1
    indptr[n_samples] = nnz
    return nnz, not_converged, total_steps


@njit(cache=True, fastmath=FASTMATH)
def sparse_plasticity_step(
    W,
    Wp,
    X,
    currents,
    indptr,
    units,
    gvals,
    learning_rate,
    normalize,
    mode,
    p,
    starts,
    offsets,
    slot,
    rows,
    rows_bits,
    abs_mask,
    coef,
    touched,
):
    """Apply ``dW = sum_A g_A x_A - (sum_A g_A I_A) W`` to the rows it touches.

    ``X`` is the minibatch ``(B, D)``, ``currents`` its ``(H, B)`` currents,
    ``(indptr, units, gvals)`` the CSR matrix of ``g`` (one row per sample).
    Only the rows of units with a non-zero ``g`` are computed, in the scratch
    ``rows`` (at least as many rows as entries) with their coefficients
    ``coef``; ``slot`` (H,) int64 must be all ``-1`` on entry and is left so.
    ``touched`` receives the units changed.

    With ``normalize`` the step is ``learning_rate * dW / max |dW|`` (the
    largest synapse change equals ``learning_rate``; Krotov's ranking rule),
    otherwise ``learning_rate * dW / B`` (an Euler step of the weight ODE).
    ``Wp`` is refreshed on the changed rows (``mode``, ``p``: see
    ``signed_power_rows``).

    Localized units: unit ``u`` sees only the features ``starts[u] +
    offsets`` (``rows`` then has ``len(offsets)`` columns), and only those
    synapses change, so weights that are zero outside the field stay zero.
    Empty ``starts`` means every unit sees all ``D`` features.

    ``max |dW|`` is taken on the integer view ``rows_bits`` of ``rows``
    (int32 for float32, int64 for float64) with the sign bit cleared by
    ``abs_mask``: an integer maximum vectorises where a float one does not,
    it is exact for finite values, and a NaN or infinity shows up as the
    largest value.

    Returns ``(n_touched, max |dW|)``; when ``max |dW|`` is not finite,
    ``W`` and ``Wp`` are left unchanged.
    """
    n_samples = X.shape[0]
    localized = starts.shape[0] > 0
    width = offsets.shape[0] if localized else X.shape[1]
    n_touched = 0
    for a in range(n_samples):
        x = X[a]
        for t in range(indptr[a], indptr[a + 1]):
            u = units[t]
            g = gvals[t]
            s = slot[u]
            first = s < 0
            if first:  # first entry of this unit: write instead of add
                s = n_touched
                slot[u] = s
                touched[s] = u
                n_touched += 1
                coef[s] = g * currents[u, a]
            else:
                coef[s] += g * currents[u, a]
            row = rows[s]
            if localized:
                base = starts[u]
                if first:
                    for j in range(width):
                        row[j] = g * x[base + offsets[j]]
                else:
                    for j in range(width):
                        row[j] += g * x[base + offsets[j]]
            elif first:
                for i in range(width):
                    row[i] = g * x[i]
            else:
                for i in range(width):
                    row[i] += g * x[i]
    largest_bits = rows_bits[0, 0] & 0  # zero of the integer type
    for s in range(n_touched):
        u = touched[s]
        c = coef[s]
        row = rows[s]
        w = W[u]
        if localized:
            base = starts[u]
            for j in range(width):
                row[j] -= c * w[base + offsets[j]]
        else:
            for i in range(width):
                row[i] -= c * w[i]
        bits = rows_bits[s]
        for i in range(width):
            largest_bits = max(largest_bits, bits[i] & abs_mask)
    for s in range(n_touched):
        slot[touched[s]] = -1
    # Back from bits to the float value (one-element views).
    holder = rows_bits[0, :1].copy()
    holder[0] = largest_bits
    largest = holder.view(rows.dtype)[0]
    if not math.isfinite(largest):
        return n_touched, largest
    if normalize:
        scale = learning_rate / max(largest, _TINY)
    else:
        scale = learning_rate / max(n_samples, 1)
    for s in range(n_touched):
        u = touched[s]
        row = rows[s]
        w = W[u]
        if localized:
            wp = Wp[u]
            base = starts[u]
            for j in range(width):
                i = base + offsets[j]
                v = w[i] + scale * row[j]
                w[i] = v
                if mode == POWER_CUBE:
                    wp[i] = v * abs(v)
            if mode == POWER_GENERAL:
                signed_power_rows(W, Wp, touched[s : s + 1], mode, p)
            continue
        if mode == POWER_CUBE:
            wp = Wp[u]
            for i in range(width):
                v = w[i] + scale * row[i]
                w[i] = v
                wp[i] = v * abs(v)
        else:
            for i in range(width):
                w[i] += scale * row[i]
            if mode == POWER_GENERAL:
                signed_power_rows(W, Wp, touched[s : s + 1], mode, p)
    return n_touched, largest


@njit(cache=True, fastmath=FASTMATH)
def scaled_relu_power(currents, scale, power):
    """``currents[a] = relu(scale[a] * currents[a]) ** power`` in place.

    The activation of ``transform`` in one pass per row.
    """
    n_samples, n_units = currents.shape
    base = np.empty(n_units, dtype=currents.dtype)
    for a in range(n_samples):
        row = currents[a]
        s = scale[a]
        for mu in range(n_units):
            v = row[mu] * s
            base[mu] = v if v > 0.0 else 0.0
        _power_into(row, base, power)


@njit(cache=True, fastmath=FASTMATH)
def field_normalized_relu_power(
    currents, means, inverse_norms, field_of_unit, row_sums, power
):
    """``currents[a, mu] = relu((currents[a, mu] - m * row_sums[mu]) * c) ** power``.

    ``m = means[a, f]`` and ``c = inverse_norms[a, f]`` are the statistics of
    the receptive field ``f = field_of_unit[mu]`` of unit ``mu`` for sample
    ``a``: ``transform`` with ``normalize_input="patch"``, in place, one pass.
    """
    n_samples, n_units = currents.shape
    base = np.empty(n_units, dtype=currents.dtype)
    for a in range(n_samples):
        row = currents[a]
        mean = means[a]
        inverse_norm = inverse_norms[a]
        for mu in range(n_units):
            f = field_of_unit[mu]
            v = (row[mu] - mean[f] * row_sums[mu]) * inverse_norm[f]
            base[mu] = v if v > 0.0 else 0.0
        _power_into(row, base, power)


@njit(cache=True, fastmath=FASTMATH)
def _power_into(row, base, power):
    """``row = base ** power`` for ``base >= 0``.

    Whole and half-whole powers (4, 4.5, ...) use products and a square root,
    which vectorise; other powers call ``pow`` element by element.
    """
    whole = math.floor(power)
    frac = power - whole
    if power == 1.0:
        row[:] = base
    elif frac == 0.0 or frac == 0.5:
        if frac == 0.5:
            for mu in range(row.shape[0]):
                row[mu] = math.sqrt(base[mu])
        else:
            row[:] = 1.0
        for _ in range(int(whole)):
            for mu in range(row.shape[0]):
                row[mu] *= base[mu]
    else:
        for mu in range(row.shape[0]):
            b = base[mu]
            row[mu] = b**power if b > 0.0 else 0.0
