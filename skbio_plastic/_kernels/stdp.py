"""Spike-timing-dependent plasticity (STDP) with traces, clock-driven.

Plain arrays and scalars in, results written in place; every kernel is
serial. Times in ms; one step lasts ``dt`` ms. Weights are dense,
``weights[j, i]`` from presynaptic neuron ``j`` to postsynaptic neuron ``i``
(shape ``(n_pre, n_post)``, float32 or float64); spikes come as in
:mod:`~skbio_plastic._kernels.lif`, an index array and a count per step.

Traces are dimensionless. Between spikes ``tau dx/dt = -x``; at a spike
``x <- x + 1`` (all-to-all: every earlier spike counts) or ``x <- 1``
(nearest-spike: only the latest counts, Diehl & Cook's "traces set to 1").
The amplitudes scale the traces at the weight update, so the lecture's
``tau+ dx/dt = -x + a+ sum delta(t - t_pre)`` is ``a+`` times the pre trace
here. With all amplitudes ``>= 0``:

- at a spike of presynaptic ``j``: ``w[j, i] += a1_pre - a_minus y[i]``
  for every ``i`` (``y``: the post traces; depression);
- at a spike of postsynaptic ``i``: ``w[j, i] += a1_post + a_plus g[i]
  x[j]`` for every ``j`` (``x``: the pre traces; potentiation), where
  ``g = 1`` (pair rule) or ``g[i]`` is a slower post trace read before this
  spike (the triplet term of Diehl & Cook's code, their ``post2before``);
- every step: ``w += a0 dt`` (the drift).

For one pre and one post spike the pair rule changes ``w`` by
``a_plus exp(-s / tau_plus)`` when ``s = t_post - t_pre >= 0`` and by
``-a_minus exp(s / tau_minus)`` when ``s < 0``: the window, of area
``a_plus tau_plus - a_minus tau_minus``.

Bounds ``(w_min, w_max, mu)``: with ``mu > 0`` (soft bounds) an increase
is scaled by ``(w_max - w)^mu`` and a decrease by ``(w - w_min)^mu``; every
update is then clipped to ``[w_min, w_max]``, so ``mu = 0`` gives hard
bounds and ``(-inf, inf, 0)`` none.

One step (:func:`stdp_step`), with the traces holding their values just
before ``t_n``:

1. presynaptic spikes of ``t_n``: depression, then their traces spike;
2. postsynaptic spikes of ``t_n``: potentiation (a pre spike of the same
   step counts as pre-before-post with zero delay, Brian's order), then
   their traces spike (the slow trace after its use);
3. the drift ``a0 dt``;
4. every trace decays to ``t_{n+1}``.
"""

import numpy as np
from numba import njit

from . import FASTMATH


@njit(cache=True, fastmath=FASTMATH, inline="always")
def _bounded(w, delta, bounds):
    """``w + delta`` with soft-bound scaling and the clip of ``bounds``."""
    w_min, w_max, mu = bounds
    if mu != 0.0:
        if delta > 0.0:
            delta *= max(w_max - w, 0.0) ** mu
        else:
            delta *= max(w - w_min, 0.0) ** mu
    return min(max(w + delta, w_min), w_max)


@njit(cache=True, fastmath=FASTMATH)
def trace_spikes(trace, spikes, n_spikes, nearest):
    """At each spike, ``trace <- 1`` (``nearest``) or ``trace <- trace + 1``."""
    for k in range(n_spikes):
        j = spikes[k]
        trace[j] = 1.0 if nearest else trace[j] + 1.0


@njit(cache=True, fastmath=FASTMATH)
def stdp_on_pre(spikes, n_spikes, weights, post_trace, a_minus, a1_pre, bounds):
    """Depression at presynaptic spikes: ``w[j, i] += a1_pre - a_minus * y[i]``.

    Row ``j`` of ``weights`` for each spiking ``j``; ``post_trace`` (``y``)
    has one entry per postsynaptic neuron.
    """
    for k in range(n_spikes):
        row = weights[spikes[k]]
        for i in range(row.shape[0]):
            row[i] = _bounded(row[i], a1_pre - a_minus * post_trace[i], bounds)


@njit(cache=True, fastmath=FASTMATH)
def stdp_on_post(
    spikes, n_spikes, weights, pre_trace, post_slow, a_plus, a1_post, bounds
):
    """Potentiation at postsynaptic spikes: ``w[j, i] += a1_post + a_plus g[i] x[j]``.

    Column ``i`` of ``weights`` for each spiking ``i``; ``g[i] = post_slow[i]``
    (triplet term), or 1 when ``post_slow`` is empty (pair rule).
    """
    triplet = post_slow.shape[0] > 0
    for k in range(n_spikes):
        i = spikes[k]
        gain = a_plus * post_slow[i] if triplet else a_plus
        for j in range(weights.shape[0]):
            weights[j, i] = _bounded(
                weights[j, i], a1_post + gain * pre_trace[j], bounds
            )


@njit(cache=True, fastmath=FASTMATH)
def weight_drift(weights, amount, bounds):
    """Add ``amount`` (``a0 dt``) to every weight, within ``bounds``."""
    for j in range(weights.shape[0]):
        row = weights[j]
        for i in range(row.shape[0]):
            row[i] = _bounded(row[i], amount, bounds)


@njit(cache=True, fastmath=FASTMATH)
def stdp_step(pre, post, weights, traces, decays, rule, bounds):
    """One step of the rule, in the order of the module docstring.

    Parameters
    ----------
    pre, post : tuple (spikes, n_spikes)
        The presynaptic and postsynaptic spikes of the step.
    weights : ndarray of shape (n_pre, n_post)
        Updated in place.
    traces : tuple (pre_trace, post_trace, post_slow)
        Updated in place; ``post_slow`` empty for the pair rule.
    decays : tuple of 3 float
        ``exp(-dt / tau)`` of each trace.
    rule : tuple
        ``(a_plus, a_minus, a1_pre, a1_post, drift, nearest)``, ``drift``
        being ``a0 dt``, the change per step.
    bounds : tuple
        ``(w_min, w_max, mu)``.
    """
    pre_trace, post_trace, post_slow = traces
    a_plus, a_minus, a1_pre, a1_post, drift, nearest = rule
    stdp_on_pre(pre[0], pre[1], weights, post_trace, a_minus, a1_pre, bounds)
    trace_spikes(pre_trace, pre[0], pre[1], nearest)
    stdp_on_post(
        post[0], post[1], weights, pre_trace, post_slow, a_plus, a1_post, bounds
    )
    trace_spikes(post_trace, post[0], post[1], nearest)
    if post_slow.shape[0] > 0:
        trace_spikes(post_slow, post[0], post[1], nearest)
    if drift != 0.0:
        weight_drift(weights, drift, bounds)
    pre_trace *= decays[0]
    post_trace *= decays[1]
    post_slow *= decays[2]


@njit(cache=True)
def stdp_run(pre, post, weights, traces, decays, rule, bounds):
    """Apply :func:`stdp_step` over given spike trains.

    ``pre`` and ``post`` are ``(step_ptr, neurons)``: the spikes of step
    ``n`` are ``neurons[step_ptr[n]:step_ptr[n + 1]]``; both cover the same
    ``len(step_ptr) - 1`` steps.
    """
    pre_ptr, pre_neurons = pre
    post_ptr, post_neurons = post
    for n in range(pre_ptr.shape[0] - 1):
        first_pre, first_post = pre_ptr[n], post_ptr[n]
        stdp_step(
            (pre_neurons[first_pre:], np.int64(pre_ptr[n + 1] - first_pre)),
            (post_neurons[first_post:], np.int64(post_ptr[n + 1] - first_post)),
            weights,
            traces,
            decays,
            rule,
            bounds,
        )
