"""Conductance-based leaky integrate-and-fire neurons, clock-driven (forward Euler).

Plain arrays and scalars in, results written in place; every kernel is serial
(see DESIGN.md, "Threads"). Units: mV, ms; conductances are dimensionless
(in units of the leak conductance). A neuron follows

    tau dv/dt = (v_rest - v) + ge (e_exc - v) + gi (e_inh - v),
    dge/dt = -ge / tau_ge,   dgi/dt = -gi / tau_gi,

spikes when ``v > threshold + theta`` (``theta`` an adaptive part, zero for a
fixed threshold), is then reset to ``v_reset`` and holds ``v`` there for
``refractory_steps`` steps while its conductances keep decaying. Synaptic
input adds to ``ge`` (excitatory) or ``gi`` (inhibitory).

The equations are bilinear (``ge v``), so Brian integrates them by forward
Euler, all variables from their values at the start of the step; so do these
kernels, with one safeguard: a step never takes ``v`` outside
``[min(v, e_inh), max(v, e_exc)]``, which the exact solution never leaves.
Euler stays there by itself while ``dt (1 + ge + gi) <= tau`` (a step is then
a weighted mean of ``v`` and the three potentials), so the clamp changes
nothing there and the kernels give Brian's numbers; beyond, Euler oscillates
with a growing amplitude (Diehl & Cook's excitatory neurons at ``dt = 0.5``
ms: 12 inhibitory spikes in one step), and the clamp keeps a synchronous
network from exploding into a spike at the end of every refractory period.

The order within a step of ``dt`` ms is Brian's: integrate
(:func:`conductance_update`), detect spikes (:func:`threshold_crossings`),
deliver synaptic events (other kernels), reset (:func:`reset_spiking`,
:func:`raise_threshold`). The refractory counter mirrors Brian 2's
``(unless refractory)`` (whose state updater sets ``not_refractory`` before
integrating): a neuron that spikes at step ``n`` holds ``v`` at reset through
steps ``n + 1`` to ``n + refractory_steps - 1`` and integrates, and may spike,
again from step ``n + refractory_steps`` on.
"""

from numba import njit

from . import FASTMATH


@njit(cache=True, fastmath=FASTMATH)
def conductance_update(v, ge, gi, refractory, neuron):
    """Advance every neuron one forward-Euler step.

    Parameters
    ----------
    v, ge, gi : ndarray of shape (n,)
        Membrane potentials (mV) and conductances, updated in place.
    refractory : ndarray of shape (n,), int
        Steps of refractoriness left, counted down by one first; a neuron
        still refractory then keeps its ``v``.
    neuron : tuple
        ``(dt_over_tau, v_rest, e_exc, e_inh, ge_decay, gi_decay)``:
        ``dt / tau`` of the membrane, the resting and reversal potentials (mV)
        and the factors ``1 - dt / tau_ge``, ``1 - dt / tau_gi`` (Euler) of
        the conductances.
    """
    dt_over_tau, v_rest, e_exc, e_inh, ge_decay, gi_decay = neuron
    for i in range(v.shape[0]):
        if refractory[i] > 0:
            refractory[i] -= 1
        if refractory[i] == 0:
            u = v[i] + dt_over_tau * (
                (v_rest - v[i]) + ge[i] * (e_exc - v[i]) + gi[i] * (e_inh - v[i])
            )
            v[i] = min(max(u, min(v[i], e_inh)), max(v[i], e_exc))
        ge[i] *= ge_decay
        gi[i] *= gi_decay


@njit(cache=True, fastmath=FASTMATH)
def threshold_crossings(v, threshold, theta, refractory, fired):
    """Flag in ``fired`` the neurons with ``v > threshold + theta`` that may spike.

    ``theta`` is the adaptive part of the threshold (mV), one per neuron (an
    empty array for a fixed threshold); refractory neurons do not spike.
    Returns the number of spikes.
    """
    adaptive = theta.shape[0] > 0
    n_spikes = 0
    for i in range(v.shape[0]):
        limit = threshold + theta[i] if adaptive else threshold
        spike = (v[i] > limit) & (refractory[i] == 0)
        fired[i] = spike
        n_spikes += spike
    return n_spikes


@njit(cache=True, fastmath=FASTMATH)
def reset_spiking(spikes, n_spikes, v, v_reset, refractory, refractory_steps):
    """Reset the neurons ``spikes[:n_spikes]``; start their refractory period."""
    for k in range(n_spikes):
        i = spikes[k]
        v[i] = v_reset
        refractory[i] = refractory_steps


@njit(cache=True, fastmath=FASTMATH)
def decay_threshold(theta, decay):
    """One step of ``dtheta/dt = -theta / tau_theta``: ``theta *= decay``.

    ``decay`` is ``1 - dt / tau_theta`` (forward Euler, as Brian integrates
    it, in the integration phase of a step). Keep ``theta`` in float64: with
    Diehl & Cook's ``tau_theta = 1e7`` ms the change per step is below
    float32's resolution.
    """
    for i in range(theta.shape[0]):
        theta[i] *= decay


@njit(cache=True, fastmath=FASTMATH)
def raise_threshold(theta, spikes, n_spikes, theta_plus):
    """Adaptive threshold at reset: ``theta += theta_plus`` for each spiking neuron."""
    for k in range(n_spikes):
        theta[spikes[k]] += theta_plus


@njit(cache=True, fastmath=FASTMATH)
def deliver_one_to_one(spikes, n_spikes, weight, g):
    """Neuron ``i`` of one population excites neuron ``i`` of another by ``weight``."""
    for k in range(n_spikes):
        g[spikes[k]] += weight


@njit(cache=True, fastmath=FASTMATH)
def deliver_all_but_self(fired, n_spikes, weight, g):
    """Each spiking neuron ``j`` adds ``weight`` to ``g[i]`` of every ``i != j``.

    ``fired`` flags the spiking neurons (one per target); O(n) whatever the
    number of spikes, instead of O(n) per spike for a dense matrix with an
    empty diagonal.
    """
    if n_spikes == 0:
        return
    for i in range(g.shape[0]):
        g[i] += weight * (n_spikes - fired[i])
