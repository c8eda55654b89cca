"""Diehl & Cook's (2015) STDP network, simulated by numba presentation by presentation.

Poisson inputs -> conductance-based excitatory neurons with adaptive
thresholds <-> inhibitory neurons (one-to-one excitation, all-but-self
inhibition); the input -> excitatory weights learn by the trace STDP of
:mod:`~skbio_plastic._kernels.stdp`. Plain arrays and scalars in, state
written in place, every kernel serial; no Python loop over time steps. Units:
mV, ms, Hz; one step lasts ``dt`` ms.

One step ``n``, in Brian's order (``groups``, ``thresholds``, ``synapses``,
``resets``), so that the same spike trains give the same spikes as Brian 2
with ``method="euler"``:

1. integrate every neuron (:func:`~.conductance.conductance_update`) and the
   threshold decay;
2. spikes: ``v > threshold + theta``, not refractory; the input spikes of
   step ``n`` are queued for their arrival at ``n + delay``;
3. synapses: the input spikes arriving at step ``n`` add their weights to
   ``ge`` of their targets (weight before this step's plasticity), then the
   pre-synaptic STDP (depression with the post trace just before step ``n``,
   pre trace set); excitatory spikes excite their inhibitory partner,
   inhibitory spikes inhibit every other excitatory neuron; then the
   post-synaptic STDP of the excitatory spikes (potentiation with the pre
   trace after this step's arrivals, the triplet trace before this spike),
   post traces set;
4. reset, refractoriness, ``theta += theta_plus``; post traces decay.

Delays of the input synapses are whole steps in ``[0, max_delay]``, queued in
a ring of ``max_delay + 1`` slots (delay 0: the spike arrives in the step it
is emitted, Brian's convention). Two layouts: one delay per input neuron
(``order`` empty: an arrival delivers a whole row of ``W``, vectorised), or
one per synapse (``order[j]`` the targets of input ``j`` sorted by delay,
``ptr[j, k]:ptr[j, k + 1]`` those with delay ``k``), as Brian's
``delay = 'rand() * 10 * ms'``. A queue entry is ``j * (max_delay + 1) + k``:
input ``j``'s targets of delay ``k``.

Pre traces are kept lazily, as the step of the last arrival and the value
just after it (1 for nearest-spike traces, not stored), one per input neuron
or per synapse with per-synapse delays, and read only at post spikes as
``value * exp(-age dt / tau)``: exact, and no work per step for the 784 x N
traces. Post traces are arrays that decay every step.

Randomness comes from :func:`poisson_trains`, a counter-based generator: the
trains of a presentation are a function of its seed only, so training
resumes exactly and test images can run in any order and in parallel.
"""

import math

import numpy as np
from numba import njit

from . import FASTMATH
from .conductance import (
    conductance_update,
    decay_threshold,
    deliver_all_but_self,
    deliver_one_to_one,
    raise_threshold,
    reset_spiking,
    threshold_crossings,
)
from .lif import deliver_dense, spike_indices
from .stdp import _bounded, stdp_on_post, stdp_on_pre, trace_spikes

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_ONE = np.uint64(1)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2 ** -53


@njit(cache=True, inline="always")
def _mix64(z):
    """SplitMix64's finaliser: a bijective hash of a uint64."""
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(cache=True)
def presentation_seed(base, index, retry):
    """Seed (uint64) of presentation ``retry`` of image ``index`` under ``base``."""
    z = _mix64(np.uint64(base) + _GOLDEN * (np.uint64(index) + _ONE))
    return _mix64(z ^ (_GOLDEN * (np.uint64(retry) + _ONE)))


@njit(cache=True)
def row_seeds(X, base):
    """A seed per row of ``X`` (float64), from its values: equal rows, equal seeds."""
    seeds = np.empty(X.shape[0], dtype=np.uint64)
    for r in range(X.shape[0]):
        z = np.uint64(base)
        bits = X[r].view(np.uint64)
        for k in range(bits.shape[0]):
            z = _mix64(z ^ (bits[k] + _GOLDEN * np.uint64(k + 1)))
        seeds[r] = z
    return seeds


@njit(cache=True)
def poisson_trains(p, n_steps, seed):
    """Bernoulli trains: neuron ``j`` spikes at each step with probability ``p[j]``.

    Brian's ``PoissonGroup`` (``rand() < rate * dt``), drawn as geometric
    intervals from a SplitMix64 stream started at ``seed``, so the work grows
    with the number of spikes; ``p >= 1`` spikes at every step.

    Returns
    -------
    step_ptr : ndarray of shape (n_steps + 1,), int64
    neurons : ndarray of shape (n_spikes,), int32
        The neurons spiking at step ``n`` are
        ``neurons[step_ptr[n]:step_ptr[n + 1]]``, in increasing order
        (:class:`~skbio_plastic.spiking.encoders.SpikeTrains`).
    """
    expected = 0.0
    for j in range(p.shape[0]):
        expected += min(max(p[j], 0.0), 1.0)
    expected *= n_steps
    capacity = int(expected + 8.0 * math.sqrt(expected) + 16.0)
    steps = np.empty(capacity, dtype=np.int64)
    neurons = np.empty(capacity, dtype=np.int32)
    n_spikes = 0
    state = np.uint64(seed)
    for j in range(p.shape[0]):
        q = p[j]
        if not q > 0.0:
            continue
        log_stay = math.log1p(-q) if q < 1.0 else -math.inf
        t = -1
        while True:
            if q >= 1.0:
                gap = 0.0
            else:
                state += _GOLDEN
                u = ((_mix64(state) >> _S11) + _ONE) * _TO_UNIT  # (0, 1]
                gap = math.floor(math.log(u) / log_stay)
            if gap >= n_steps - 1 - t:
                break
            t += 1 + int(gap)
            if n_spikes == steps.shape[0]:
                grown = 2 * steps.shape[0]
                new_steps = np.empty(grown, dtype=np.int64)
                new_neurons = np.empty(grown, dtype=np.int32)
                new_steps[:n_spikes] = steps
                new_neurons[:n_spikes] = neurons
                steps, neurons = new_steps, new_neurons
            steps[n_spikes] = t
            neurons[n_spikes] = j
            n_spikes += 1
    step_ptr = np.zeros(n_steps + 1, dtype=np.int64)
    for k in range(n_spikes):
        step_ptr[steps[k] + 1] += 1
    for n in range(n_steps):
        step_ptr[n + 1] += step_ptr[n]
    fill = step_ptr[:-1].copy()
    ordered = np.empty(n_spikes, dtype=np.int32)
    for k in range(n_spikes):  # neurons come in increasing order: stable
        ordered[fill[steps[k]]] = neurons[k]
        fill[steps[k]] += 1
    return step_ptr, ordered


@njit(cache=True, fastmath=FASTMATH)
def normalize_columns(weights, total, sums):
    """Scale each column of ``weights`` (one neuron's inputs) to sum to ``total``.

    ``sums`` is float64 scratch of one entry per column; a column summing to
    0 is left as it is.
    """
    sums[:] = 0.0
    for j in range(weights.shape[0]):
        row = weights[j]
        for i in range(row.shape[0]):
            sums[i] += row[i]
    for i in range(sums.shape[0]):
        sums[i] = total / sums[i] if sums[i] > 0.0 else 1.0
    for j in range(weights.shape[0]):
        row = weights[j]
        for i in range(row.shape[0]):
            row[i] *= sums[i]


@njit(cache=True, inline="always")
def _decayed(value, age, table, dt_over_tau):
    """``value * exp(-age dt / tau)``, through ``table`` for recent ages."""
    if age < table.shape[0]:
        return value * table[age]
    return value * math.exp(-age * dt_over_tau)


@njit(cache=True, fastmath=FASTMATH)
def _arrive_per_synapse(j, targets, weights, ge, learn, plastic, rule, bounds, step):
    """Deliver input ``j``'s spike to ``targets`` (per-synapse delays), with STDP.

    Nearest-spike pre traces keep only the arrival step (their value after
    an arrival is 1).
    """
    _, pre_value, pre_last, post1, _ = plastic
    _, a_minus, a1_pre, _, nearest, _, _, table, pre_dt_over_tau = rule
    row = weights[j]
    if not learn:
        for m in range(targets.shape[0]):
            i = targets[m]
            ge[i] += row[i]
        return
    last = pre_last[j]
    value = pre_value[j]
    for m in range(targets.shape[0]):
        i = targets[m]
        w = row[i]
        ge[i] += w
        row[i] = _bounded(w, a1_pre - a_minus * post1[i], bounds)
        if not nearest:
            value[i] = _decayed(value[i], step - last[i], table, pre_dt_over_tau) + 1.0
        last[i] = step


@njit(cache=True)
def _pre_column(pre_value, pre_last, column, step, rule, out):
    """Pre traces of every input at ``step`` for one column of the lazy traces."""
    nearest, table, dt_over_tau = rule[4], rule[7], rule[8]
    for j in range(out.shape[0]):
        value = 1.0 if nearest else pre_value[j, column]
        out[j] = _decayed(value, step - pre_last[j, column], table, dt_over_tau)


@njit(cache=True)
def run_steps(n_steps, trains, n_count, learn, excit, inhib, plastic, queue, delays,
              consts, counts):  # fmt: skip
    """Simulate ``n_steps`` steps of the network from its current state.

    Parameters
    ----------
    n_steps : int
    trains : tuple (step_ptr, neurons)
        Input spikes of steps ``0, 1, ...`` of this run
        (:func:`poisson_trains`); none after the trains end.
    n_count : int
        Excitatory spikes of the first ``n_count`` steps are added to
        ``counts``.
    learn : bool
        STDP, threshold adaptation and decay on; off, ``plastic`` is only
        read for the weights.
    excit : tuple
        ``(v, ge, gi, refractory, fired, spikes, theta)`` of the excitatory
        neurons (``spikes``: int scratch of one entry per neuron; ``theta``
        float64, the adaptive threshold part).
    inhib : tuple
        ``(v, ge, gi, refractory, fired, spikes)`` of the inhibitory neurons.
    plastic : tuple
        ``(weights, pre_value, pre_last, post1, post2)``: the input weights
        ``(n_inputs, n_excitatory)``, the lazy pre traces ``(n_inputs, 1)``
        or ``(n_inputs, n_excitatory)`` (value after the last arrival, its
        step), the post traces (``post2`` empty for a pair rule).
    queue : tuple
        ``(ring, ring_count, clock, scratch)``: the arrival ring
        ``(max_delay + 1, capacity)`` of entries ``j * (max_delay + 1) + k``,
        its fill, the global step (array of one int64; the ring slot and the
        trace ages use it) and an int64 scratch of ``n_inputs`` entries.
    delays : tuple
        ``(order, ptr, column)``: see the module docstring; ``column`` float64
        scratch of ``n_inputs`` entries.
    consts : tuple
        ``(e_neuron, e_fire, i_neuron, i_fire, adaptation, coupling, rule,
        bounds)``: ``e_neuron`` and ``i_neuron`` as in
        :func:`~.conductance.conductance_update`; ``e_fire`` and ``i_fire``
        ``(threshold, v_reset, refractory_steps)``; ``adaptation``
        ``(theta_plus, theta_decay)``; ``coupling`` ``(w_ei, w_ie)``;
        ``rule`` ``(a_plus, a_minus, a1_pre, a1_post, nearest, post1_decay,
        post2_decay, pre_table, pre_dt_over_tau)``; ``bounds``
        ``(w_min, w_max, mu)``.
    counts : ndarray of shape (n_excitatory,), int
        Incremented in place.

    Returns
    -------
    n_input, n_excitatory, n_inhibitory : int
        Spikes emitted during the run by each population.
    """
    v_e, ge_e, gi_e, refr_e, fired_e, spikes_e, theta = excit
    v_i, ge_i, gi_i, refr_i, fired_i, spikes_i = inhib
    weights, pre_value, pre_last, post1, post2 = plastic
    ring, ring_count, clock, arrivals = queue
    order, ptr, column = delays
    e_neuron, e_fire, i_neuron, i_fire, adaptation, coupling, rule, bounds = consts
    (a_plus, a_minus, a1_pre, a1_post, nearest, post1_decay, post2_decay, table,
     pre_dt_over_tau) = rule  # fmt: skip
    theta_plus, theta_decay = adaptation
    w_ei, w_ie = coupling
    step_ptr, train = trains
    n_slots = ring.shape[0]
    per_synapse = order.shape[0] > 0
    no_theta = theta[:0]
    n_in_total = n_e_total = n_i_total = 0
    for n in range(n_steps):
        step = clock[0]
        # 1. integrate
        conductance_update(v_e, ge_e, gi_e, refr_e, e_neuron)
        conductance_update(v_i, ge_i, gi_i, refr_i, i_neuron)
        if learn and theta_decay != 1.0:
            decay_threshold(theta, theta_decay)
        # 2. thresholds
        n_e = 0
        if threshold_crossings(v_e, e_fire[0], theta, refr_e, fired_e) > 0:
            n_e = spike_indices(fired_e, spikes_e)
        n_i = 0
        if threshold_crossings(v_i, i_fire[0], no_theta, refr_i, fired_i) > 0:
            n_i = spike_indices(fired_i, spikes_i)
        if n + 1 < step_ptr.shape[0]:
            for s in range(step_ptr[n], step_ptr[n + 1]):
                j = train[s]
                for k in range(n_slots):
                    if ptr[j, k + 1] > ptr[j, k]:
                        slot = (step + k) % n_slots
                        ring[slot, ring_count[slot]] = j * n_slots + k
                        ring_count[slot] += 1
            n_in_total += step_ptr[n + 1] - step_ptr[n]
        # 3. synapses: input arrivals (pre-synaptic STDP), then E -> I -> E
        slot = step % n_slots
        n_arrivals = ring_count[slot]
        if n_arrivals > 0:
            if per_synapse:
                for a in range(n_arrivals):
                    entry = ring[slot, a]
                    j, k = entry // n_slots, entry % n_slots
                    _arrive_per_synapse(
                        j, order[j, ptr[j, k] : ptr[j, k + 1]], weights, ge_e,
                        learn, plastic, rule, bounds, step,
                    )  # fmt: skip
            else:
                for a in range(n_arrivals):
                    arrivals[a] = ring[slot, a] // n_slots
                deliver_dense(arrivals, n_arrivals, weights, ge_e)
                if learn:
                    stdp_on_pre(
                        arrivals, n_arrivals, weights, post1, a_minus, a1_pre, bounds
                    )
                    for a in range(n_arrivals):
                        j = arrivals[a]
                        if not nearest:
                            pre_value[j, 0] = (
                                _decayed(
                                    pre_value[j, 0],
                                    step - pre_last[j, 0],
                                    table,
                                    pre_dt_over_tau,
                                )
                                + 1.0
                            )
                        pre_last[j, 0] = step
            ring_count[slot] = 0
        deliver_one_to_one(spikes_e, n_e, w_ei, ge_i)
        deliver_all_but_self(fired_i, n_i, w_ie, gi_e)
        if learn and n_e > 0:
            if per_synapse:
                for k in range(n_e):
                    i = spikes_e[k]
                    _pre_column(pre_value, pre_last, i, step, rule, column)
                    stdp_on_post(
                        spikes_e[k : k + 1], 1, weights, column, post2, a_plus,
                        a1_post, bounds,
                    )  # fmt: skip
            else:
                _pre_column(pre_value, pre_last, 0, step, rule, column)
                stdp_on_post(
                    spikes_e, n_e, weights, column, post2, a_plus, a1_post, bounds
                )
            trace_spikes(post1, spikes_e, n_e, nearest)
            if post2.shape[0] > 0:
                trace_spikes(post2, spikes_e, n_e, nearest)
        # 4. resets
        if n_e > 0:
            reset_spiking(spikes_e, n_e, v_e, e_fire[1], refr_e, e_fire[2])
            if learn:
                raise_threshold(theta, spikes_e, n_e, theta_plus)
            if n < n_count:
                for k in range(n_e):
                    counts[spikes_e[k]] += 1
        if n_i > 0:
            reset_spiking(spikes_i, n_i, v_i, i_fire[1], refr_i, i_fire[2])
        if learn:
            post1 *= post1_decay
            post2 *= post2_decay
        n_e_total += n_e
        n_i_total += n_i
        clock[0] = step + 1
    return n_in_total, n_e_total, n_i_total


@njit(cache=True)
def _rates_to_p(x, rate, dt, p):
    """Spike probability per step of each input: ``x * rate * dt / 1000``, at most 1."""
    for j in range(x.shape[0]):
        p[j] = min(x[j] * rate * dt / 1000.0, 1.0)


@njit(cache=True, nogil=True)
def train_images(X, seed, first_index, protocol, excit, inhib, plastic, queue,
                 delays, consts, counts, events):  # fmt: skip
    """Present the rows of ``X`` one after another with learning (Diehl & Cook).

    For image ``k``, presentation ``r = 0, 1, ...``: normalise the weights
    (every presentation, as the authors' code), draw the input trains at
    ``X[k] * (max_rate + r * rate_step)`` Hz with the seed
    ``presentation_seed(seed, first_index + k, r)``, run
    ``n_present`` steps counting the excitatory spikes, then ``n_rest`` steps
    without input; stop when at least ``min_spikes`` were counted or after
    ``max_retries`` further presentations. The network's state carries over
    from presentation to presentation.

    Parameters
    ----------
    X : ndarray of shape (n_images, n_inputs), float64
        Pixels in [0, 1].
    seed : uint64
        Seed of the whole training run.
    first_index : int
        Images presented before this call: the index of ``X[0]``.
    protocol : tuple
        ``(n_present, n_rest, min_spikes, max_retries, max_rate, rate_step,
        dt, weight_sum)``; ``weight_sum`` 0: no normalisation.
    excit, inhib, plastic, queue, delays, consts
        As in :func:`run_steps`.
    counts : ndarray of shape (n_images, n_excitatory), int32
        Receives the counts of each image's last presentation.
    events : ndarray of shape (n_images, 4), int64
        Receives, summed over the image's presentations, the spikes of the
        inputs, excitatory and inhibitory neurons, and the number of
        presentations.
    """
    n_present, n_rest, min_spikes, max_retries = protocol[:4]
    max_rate, rate_step, dt, weight_sum = protocol[4:]
    weights = plastic[0]
    n_inputs = X.shape[1]
    n_excitatory = counts.shape[1]
    p = np.empty(n_inputs, dtype=np.float64)
    sums = np.empty(n_excitatory, dtype=np.float64)
    image_counts = np.zeros(n_excitatory, dtype=np.int64)
    no_input = (np.zeros(1, dtype=np.int64), np.empty(0, dtype=np.int32))
    for k in range(X.shape[0]):
        events[k, :] = 0
        for r in range(max_retries + 1):
            if weight_sum > 0.0:
                normalize_columns(weights, weight_sum, sums)
            _rates_to_p(X[k], max_rate + r * rate_step, dt, p)
            trains = poisson_trains(
                p, n_present, presentation_seed(seed, first_index + k, r)
            )
            image_counts[:] = 0
            n_in, n_e, n_i = run_steps(
                n_present, trains, n_present, True, excit, inhib, plastic, queue,
                delays, consts, image_counts,
            )  # fmt: skip
            n_in2, n_e2, n_i2 = run_steps(
                n_rest, no_input, 0, True, excit, inhib, plastic, queue, delays,
                consts, image_counts,
            )  # fmt: skip
            events[k, 0] += n_in + n_in2
            events[k, 1] += n_e + n_e2
            events[k, 2] += n_i + n_i2
            events[k, 3] += 1
            if image_counts.sum() >= min_spikes:
                break
        for i in range(n_excitatory):
            counts[k, i] = image_counts[i]


@njit(cache=True, nogil=True)
def respond_images(X, seeds, protocol, rest, weights, theta, delays, consts, capacity,
                   counts, events):  # fmt: skip
    """Spike counts of each row of ``X``, each image from rest, without learning.

    Image ``k`` starts with ``v`` at rest (``rest = (v_rest_e, v_rest_i)``),
    no conductances, refractoriness or queued spikes, and runs ``n_present``
    steps (no rest period: the next image does not depend on this one) with
    the trains of seed ``presentation_seed(seeds[k], 0, r)``, presented again
    with stronger input as in :func:`train_images` while it fires fewer than
    ``min_spikes``. ``weights`` and ``theta`` are only read,
    so calls may run in parallel threads. ``capacity`` is the ring's width.
    ``counts`` and ``events`` as in :func:`train_images`.
    """
    n_present, _, min_spikes, max_retries, max_rate, rate_step, dt, _ = protocol
    n_inputs = X.shape[1]
    n_excitatory = weights.shape[1]
    n_slots = delays[1].shape[1] - 1
    v_e = np.empty(n_excitatory, dtype=np.float64)
    ge_e = np.empty(n_excitatory, dtype=np.float64)
    gi_e = np.empty(n_excitatory, dtype=np.float64)
    refr_e = np.empty(n_excitatory, dtype=np.int64)
    v_i = np.empty(n_excitatory, dtype=np.float64)
    ge_i = np.empty(n_excitatory, dtype=np.float64)
    gi_i = np.empty(n_excitatory, dtype=np.float64)
    refr_i = np.empty(n_excitatory, dtype=np.int64)
    excit = (v_e, ge_e, gi_e, refr_e, np.zeros(n_excitatory, dtype=np.bool_),
             np.empty(n_excitatory, dtype=np.int64), theta)  # fmt: skip
    inhib = (v_i, ge_i, gi_i, refr_i, np.zeros(n_excitatory, dtype=np.bool_),
             np.empty(n_excitatory, dtype=np.int64))  # fmt: skip
    empty = np.empty(0, dtype=np.float64)
    plastic = (weights, np.empty((0, 1), dtype=np.float64),
               np.empty((0, 1), dtype=np.int64), empty, empty)  # fmt: skip
    ring = np.empty((n_slots, capacity), dtype=np.int64)
    ring_count = np.zeros(n_slots, dtype=np.int64)
    clock = np.zeros(1, dtype=np.int64)
    queue = (ring, ring_count, clock, np.empty(n_inputs, dtype=np.int64))
    work_delays = (delays[0], delays[1], np.empty(n_inputs, dtype=np.float64))
    p = np.empty(n_inputs, dtype=np.float64)
    image_counts = np.zeros(n_excitatory, dtype=np.int64)
    for k in range(X.shape[0]):
        events[k, :] = 0
        for r in range(max_retries + 1):
            v_e[:] = rest[0]
            v_i[:] = rest[1]
            ge_e[:] = 0.0
            gi_e[:] = 0.0
            ge_i[:] = 0.0
            gi_i[:] = 0.0
            refr_e[:] = 0
            refr_i[:] = 0
            ring_count[:] = 0
            clock[0] = 0
            _rates_to_p(X[k], max_rate + r * rate_step, dt, p)
            trains = poisson_trains(p, n_present, presentation_seed(seeds[k], 0, r))
            image_counts[:] = 0
            n_in, n_e, n_i = run_steps(
                n_present, trains, n_present, False, excit, inhib, plastic, queue,
                work_delays, consts, image_counts,
            )  # fmt: skip
            events[k, 0] += n_in
            events[k, 1] += n_e
            events[k, 2] += n_i
            events[k, 3] += 1
            if image_counts.sum() >= min_spikes:
                break
        for i in range(n_excitatory):
            counts[k, i] = image_counts[i]
