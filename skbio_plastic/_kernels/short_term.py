"""Short-term plasticity (Tsodyks & Markram), event-driven, per presynaptic neuron.

Plain arrays and scalars in, results written in place; every kernel is
serial. Times in ms. Each presynaptic neuron ``j`` has resources ``x[j]``
and utilisation ``u[j]`` shared by all its synapses. Between spikes

    dx/dt = (1 - x) / tau_rec,    du/dt = -u / tau_facil,

and at a spike, in this order::

    u <- u + U (1 - u)      # facilitation first
    r  = u x                # the fraction released, scales the effect: A r
    x <- x - r              # depletion

(Tsodyks, Pawelzik & Markram 1998; Markram, Wang & Tsodyks 1998). ``u``
relaxes to 0, so the first spike from rest releases ``r = U``; without
facilitation (``tau_facil = 0``) ``u = U`` at every spike, the depressing
synapse of Tsodyks & Markram 1997. (With ``du/dt = (U - u) / tau_facil`` and
the same update order the first spike would release ``U (2 - U)``.)

The state between spikes is kept as of the neuron's last spike (``u``, ``x``
just after it, its time ``last`` in ms) and brought forward exactly at the
next spike, so the result does not depend on the step: a neuron at rest has
``last = -inf`` (then ``x = 1``, ``u = 0`` whatever is stored).
"""

import math

from numba import njit

from . import FASTMATH

DEPRESSING = {"U": 0.5, "tau_rec": 800.0, "tau_facil": 0.0}
"""A depressing synapse: large ``U``, slow recovery (ms), no facilitation."""

FACILITATING = {"U": 0.1, "tau_rec": 100.0, "tau_facil": 1000.0}
"""A facilitating synapse: small ``U``, fast recovery, ``tau_facil`` of 1 s."""


@njit(cache=True, fastmath=FASTMATH, inline="always")
def _remaining(elapsed, tau):
    """``exp(-elapsed / tau)``; 0 for ``tau = 0`` (instant relaxation)."""
    return math.exp(-elapsed / tau) if tau > 0.0 else 0.0


@njit(cache=True, fastmath=FASTMATH)
def stp_release(spikes, n_spikes, t, u, x, last, U, tau_rec, tau_facil, released):
    """Release at the spikes of time ``t`` (ms); ``released[k]`` for ``spikes[k]``.

    Brings ``u``, ``x`` of each spiking neuron from its ``last`` spike to
    ``t``, applies the spike (module docstring) and records ``t`` in
    ``last``. ``released`` (at least ``n_spikes`` long) receives the
    fractions ``r = u x`` that scale the spikes' weights.
    """
    for k in range(n_spikes):
        j = spikes[k]
        elapsed = t - last[j]
        depleted = (1.0 - x[j]) * _remaining(elapsed, tau_rec)
        uj = u[j] * _remaining(elapsed, tau_facil)
        uj += U * (1.0 - uj)
        r = uj * (1.0 - depleted)
        released[k] = r
        u[j] = uj
        x[j] = 1.0 - depleted - r
        last[j] = t


@njit(cache=True, fastmath=FASTMATH)
def deliver_dense_scaled(spikes, n_spikes, scale, weights, v):
    """Add ``scale[k] * weights[spikes[k]]`` (mV) to ``v`` for each spike ``k``.

    ``weights`` has shape ``(n_presynaptic, n_postsynaptic)``; ``scale``
    holds the released fractions of :func:`stp_release`.
    """
    for k in range(n_spikes):
        row = weights[spikes[k]]
        for i in range(v.shape[0]):
            v[i] += scale[k] * row[i]
