"""Leaky integrate-and-fire (LIF) neurons with delta synapses, clock-driven.

Plain arrays and scalars in, results written in place; every kernel is serial
(see DESIGN.md, "Threads"). Units: voltages in mV, times in ms, one step lasts
``dt`` ms and step ``n`` is the time ``t_n = n dt``.

Neurons are the arrays ``v`` (mV), ``i_ext`` (the constant input, in mV:
the voltage it would hold the membrane at), ``theta`` (thresholds, mV),
``refractory`` (steps of clamping left) and ``fired`` (flags of the last
step), one entry per neuron; a network keeps all its populations in one set
of arrays, each population a slice, so that one vectorised pass updates them
all. Between steps the membrane follows ``tau_m dv/dt = -v + i_ext``; one
step is ``v <- i_ext + (v - i_ext) * decay`` with ``decay = exp(-dt / tau_m)``
(exact for constant input) or ``1 - dt / tau_m`` (forward Euler): the
integrator is the choice of ``decay``.

One step of a network, in this order (:func:`run_feedforward`):

1. fire and integrate (:func:`lif_update`): every neuron with ``v >= theta``
   spikes at ``t_n`` and is reset (optionally at its crossing time
   interpolated within the last step), then every membrane advances to
   ``t_{n+1}``;
2. traces: ``trace += increment`` per spike, then decay to ``t_{n+1}``;
3. deliver the spikes emitted ``delay_steps`` steps before ``t_{n+1}``: each
   adds its weight (mV) to its targets' voltages (delta synapses), so a jump
   that crosses the threshold fires at its arrival time, in the next step;
   plasticity acts at these arrivals;
4. clamp refractory neurons to the reset voltage (inputs arriving while
   refractory are lost).

At the start of a step ``v`` is the voltage at ``t_n`` after the arrivals of
``t_n`` and before its spikes, and ``trace`` the trace just before ``t_n``.
Spikes wait in a ring of ``delay_steps`` slots per presynaptic population
(``spikes`` of shape ``(delay_steps, n)``, ``n_spikes`` of shape
``(delay_steps,)``): the spikes of step ``n`` are written to slot
``n % delay_steps`` and read back ``delay_steps - 1`` steps later, so every
delay is at least one step.
"""

import numpy as np
from numba import njit

from . import FASTMATH


@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def lif_update(v, i_ext, theta, decay, v_reset, interpolate, fired):
    """Fire, reset and integrate every neuron, in one pass.

    Neurons with ``v >= theta`` are flagged in ``fired`` (bool) and reset;
    then every membrane advances one step, ``v <- i_ext + (v - i_ext) *
    decay``. Branch-free, so it vectorises; :func:`spike_indices` lists the
    flagged neurons.

    With ``interpolate`` (for ``decay = exp(-dt / tau_m)``), a neuron that
    crossed by drift during the last step (``i_ext > theta``, no jump) is
    reset at its exact crossing time ``t*``, so that at ``t_n`` it holds
    ``i_ext - (i_ext - v_reset) * exp(-(t_n - t*) / tau_m)``, where
    ``exp(-(t_n - t*) / tau_m) = (i_ext - v) / (i_ext - theta)``: rates under
    constant input are then exact, not rounded to whole steps. A crossing
    that this fraction does not place within the last step came from a
    synaptic jump at ``t_n`` and resets to ``v_reset``, as without
    ``interpolate``.
    """
    for i in range(v.shape[0]):
        spike = v[i] >= theta[i]
        fired[i] = spike
        drift = (i_ext[i] - v[i]) / (i_ext[i] - theta[i])
        late = interpolate & (i_ext[i] > theta[i]) & (drift >= decay)
        reset = i_ext[i] - (i_ext[i] - v_reset) * drift if late else v_reset
        start = reset if spike else v[i]
        v[i] = i_ext[i] + (start - i_ext[i]) * decay


@njit(cache=True)
def spike_indices(fired, spikes):
    """Write the indices of the flagged neurons to ``spikes``; return their number.

    Skips 8 silent neurons at a time by reading the flags as 64-bit words.
    """
    n_words = fired.shape[0] // 8
    words = fired[: 8 * n_words].view(np.uint64)
    n_spikes = 0
    for w in range(n_words):
        if words[w]:
            for i in range(8 * w, 8 * w + 8):
                if fired[i]:
                    spikes[n_spikes] = i
                    n_spikes += 1
    for i in range(8 * n_words, fired.shape[0]):
        if fired[i]:
            spikes[n_spikes] = i
            n_spikes += 1
    return n_spikes


@njit(cache=True, fastmath=FASTMATH)
def lif_refractory(v, v_reset, refractory, refractory_steps, fired):
    """Start the refractory period of the ``fired`` neurons; clamp the refractory.

    ``refractory`` counts the steps left; a neuron that spiked at ``t_n`` is
    held at ``v_reset`` up to ``t_n + refractory_steps * dt`` and inputs
    arriving meanwhile are lost. Call it after the step's deliveries. The
    clamp starts and ends on the grid: it discards the reset time that
    :func:`lif_update` interpolates.
    """
    for i in range(v.shape[0]):
        if fired[i]:
            refractory[i] = refractory_steps
        if refractory[i] > 0:
            v[i] = v_reset
            refractory[i] -= 1


@njit(cache=True, fastmath=FASTMATH)
def deliver_runs(spikes, n_spikes, run_ptr, run_start, run_offset, weights, v):
    """Add each spiking neuron's outgoing weights (mV) to its targets' voltages.

    The connections of presynaptic neuron ``j`` are the runs ``r`` in
    ``run_ptr[j]:run_ptr[j + 1]``; run ``r`` adds
    ``weights[run_offset[r]:run_offset[r + 1]]`` to the consecutive targets
    from ``v[run_start[r]]`` on. A spike touches only the neurons it reaches,
    and long runs (localized patches with the targets sorted by patch
    position) vectorise; runs of one target cost several times a plain
    compressed-column delivery.
    """
    for k in range(n_spikes):
        j = spikes[k]
        for r in range(run_ptr[j], run_ptr[j + 1]):
            w = weights[run_offset[r] : run_offset[r + 1]]
            target = v[run_start[r] : run_start[r] + w.shape[0]]
            for m in range(w.shape[0]):
                target[m] += w[m]


@njit(cache=True, fastmath=FASTMATH)
def deliver_dense(spikes, n_spikes, weights, v):
    """Add row ``weights[j]`` (mV) to ``v`` for each spiking neuron ``j``.

    ``weights`` has shape ``(n_presynaptic, n_postsynaptic)``.
    """
    for k in range(n_spikes):
        row = weights[spikes[k]]
        for i in range(v.shape[0]):
            v[i] += row[i]


@njit(cache=True, fastmath=FASTMATH)
def trace_step(trace, decay, spikes, n_spikes, increment):
    """Add ``increment`` per spike, then decay every trace by one step.

    With ``increment = 1 / tau_trace`` and ``decay = exp(-dt / tau_trace)``
    this integrates ``tau_trace dtr/dt = -tr + sum_f delta(t - t_f)``, whose
    mean under regular firing is the rate in spikes per ms (kHz).
    """
    for k in range(n_spikes):
        trace[spikes[k]] += increment
    for i in range(trace.shape[0]):
        trace[i] *= decay


@njit(cache=True, fastmath=FASTMATH)
def trace_delta_rule(spikes, n_spikes, weights, target, trace, learning_rate):
    """Readout rule at the arrival of presynaptic spikes.

    For each arriving spike of neuron ``j``:
    ``weights[j, i] += learning_rate * (target[i] - trace[i])`` for every
    postsynaptic ``i`` (weights ``(n_presynaptic, n_postsynaptic)``, in mV;
    traces and targets in kHz).
    """
    for k in range(n_spikes):
        row = weights[spikes[k]]
        for i in range(row.shape[0]):
            row[i] += learning_rate * (target[i] - trace[i])


@njit(cache=True, inline="always")
def _collect(fired, first, ring, slot, counts, raster, n_raster, n):
    """Spikes of one population (neurons ``first`` on) into its ring slot.

    Counts them and records ``(n, first + neuron)`` in ``raster`` while there
    is room; returns the number of spikes recorded or not so far.
    """
    spikes, n_spikes = ring
    out = spikes[slot]
    n_spikes[slot] = spike_indices(fired[first : first + out.shape[0]], out)
    for k in range(n_spikes[slot]):
        counts[first + out[k]] += 1
        if n_raster < raster.shape[0]:
            raster[n_raster, 0] = n
            raster[n_raster, 1] = first + out[k]
        n_raster += 1
    return n_raster


@njit(cache=True)
def run_feedforward(
    n_steps,
    step0,
    neurons,
    rings,
    neuron,
    input_hidden,
    hidden_output,
    readout,
    raster,
):
    """Simulate ``n_steps`` steps of an input -> hidden -> output LIF network.

    Parameters
    ----------
    n_steps : int
        Steps to run, from the global step ``step0`` (which selects the ring
        slots, so a run continues where the previous one stopped when
        ``step0`` is the number of steps already simulated).
    neurons : tuple
        ``(v, i_ext, theta, refractory, fired, counts)`` of every neuron,
        inputs first, then hidden, then outputs: voltages, constant inputs and
        thresholds (mV, float), refractory steps left (int), the spike flags
        of the last step (bool) and spike counts (incremented in place).
    rings : tuple of 3 (spikes, n_spikes)
        The spike ring of each population (``spikes`` of shape
        ``(ring_size, n)``, ``n_spikes`` of shape ``(ring_size,)``, indices
        within the population); the ring size is the delay, in steps, of the
        population's outgoing connections (any for the outputs). Their widths
        give the population sizes.
    neuron : tuple
        ``(decay, v_reset, refractory_steps, interpolate)``, shared by all
        neurons (:func:`lif_update`, :func:`lif_refractory`).
    input_hidden : tuple
        ``(run_ptr, run_start, run_offset, weights)``: input -> hidden
        weights (mV) as runs of consecutive targets (:func:`deliver_runs`).
    hidden_output : ndarray of shape (n_hidden, n_outputs)
        Hidden -> output weights (mV), delivered densely.
    readout : tuple
        ``(trace, trace_decay, trace_increment, target, learning_rate)``:
        output traces (kHz, updated in place) and the rule of
        :func:`trace_delta_rule`, applied to ``hidden_output`` after each
        arrival's delivery when ``learning_rate`` is not 0.
    raster : ndarray of shape (capacity, 2), int
        Receives ``(step - step0, neuron)`` per spike, neurons numbered as in
        ``neurons``, while there is room.

    Returns
    -------
    n_events : int
        Spikes emitted during the run; more than ``capacity`` means the
        raster kept only the first ``capacity``.
    """
    v, i_ext, theta, refractory, fired, counts = neurons
    decay, v_reset, refractory_steps, interpolate = neuron
    run_ptr, run_start, run_offset, w_input_hidden = input_hidden
    trace, trace_decay, trace_increment, target, learning_rate = readout
    input_ring, hidden_ring, output_ring = rings
    first_hidden = input_ring[0].shape[1]
    first_output = first_hidden + hidden_ring[0].shape[1]
    v_hidden = v[first_hidden:first_output]
    v_output = v[first_output:]
    n_raster = 0
    for n in range(n_steps):
        step = step0 + n
        lif_update(v, i_ext, theta, decay, v_reset, interpolate, fired)
        n_raster = _collect(
            fired,
            0,
            input_ring,
            step % input_ring[1].shape[0],
            counts,
            raster,
            n_raster,
            n,
        )
        n_raster = _collect(
            fired,
            first_hidden,
            hidden_ring,
            step % hidden_ring[1].shape[0],
            counts,
            raster,
            n_raster,
            n,
        )
        slot = step % output_ring[1].shape[0]
        n_raster = _collect(
            fired, first_output, output_ring, slot, counts, raster, n_raster, n
        )
        trace_step(
            trace,
            trace_decay,
            output_ring[0][slot],
            output_ring[1][slot],
            trace_increment,
        )
        slot = (step + 1) % input_ring[1].shape[0]
        deliver_runs(
            input_ring[0][slot],
            input_ring[1][slot],
            run_ptr,
            run_start,
            run_offset,
            w_input_hidden,
            v_hidden,
        )
        slot = (step + 1) % hidden_ring[1].shape[0]
        spikes, n_spikes = hidden_ring[0][slot], hidden_ring[1][slot]
        deliver_dense(spikes, n_spikes, hidden_output, v_output)
        if learning_rate != 0.0:
            trace_delta_rule(
                spikes, n_spikes, hidden_output, target, trace, learning_rate
            )
        if refractory_steps > 0:
            lif_refractory(v, v_reset, refractory, refractory_steps, fired)
    return n_raster


@njit(cache=True, nogil=True)
def train_images(
    currents,
    labels,
    n_transient,
    n_learn,
    step0,
    neurons,
    rings,
    neuron,
    input_hidden,
    hidden_output,
    trace_params,
    target_value,
    learning_rate,
    output_counts,
):
    """Present images one after another to the network of :func:`run_feedforward`.

    Image ``k`` sets the constant inputs of the input neurons to
    ``currents[k]`` (mV) and runs ``n_transient`` steps without plasticity,
    then ``n_learn`` steps with the trace rule toward the target trace
    ``target_value`` (kHz) for output ``labels[k]`` and 0 for the others. No
    state is reset between images. The arguments ``neurons``, ``rings``,
    ``neuron``, ``input_hidden`` and ``hidden_output`` are those of
    :func:`run_feedforward`; ``trace_params`` is ``(trace, trace_decay,
    trace_increment)``.

    Writes the output spike counts of each learning window into
    ``output_counts`` (shape ``(n_images, n_outputs)``) and returns the
    global step reached.
    """
    counts = neurons[5]
    n_inputs = rings[0][0].shape[1]
    n_outputs = rings[2][0].shape[1]
    first_output = counts.shape[0] - n_outputs
    i_ext = neurons[1]
    trace, trace_decay, trace_increment = trace_params
    target = np.zeros(n_outputs, dtype=trace.dtype)
    silent = trace.dtype.type(0.0)
    rate = trace.dtype.type(learning_rate)
    raster = np.empty((0, 2), dtype=np.int32)
    step = step0
    for k in range(currents.shape[0]):
        for i in range(n_inputs):
            i_ext[i] = currents[k, i]
        target[:] = 0.0
        readout = (trace, trace_decay, trace_increment, target, silent)
        run_feedforward(
            n_transient,
            step,
            neurons,
            rings,
            neuron,
            input_hidden,
            hidden_output,
            readout,
            raster,
        )
        step += n_transient
        target[labels[k]] = target_value
        counts[:] = 0
        readout = (trace, trace_decay, trace_increment, target, rate)
        run_feedforward(
            n_learn, step, neurons, rings, neuron, input_hidden, hidden_output,
            readout, raster,
        )  # fmt: skip
        step += n_learn
        for i in range(n_outputs):
            output_counts[k, i] = counts[first_output + i]
    return step


@njit(cache=True, nogil=True)
def respond_images(
    currents,
    n_settle,
    n_count,
    step0,
    start,
    rings,
    neuron,
    input_hidden,
    hidden_output,
    trace_params,
    hidden_counts,
    output_counts,
):
    """Response of the network to each image, every image from the same state.

    Each image starts from ``start = (v, i_ext, theta, refractory, fired)``
    (the ``neurons`` of :func:`run_feedforward` without counts), the spike
    ``rings`` and the output traces of ``trace_params = (trace, trace_decay,
    trace_increment)``, all at global step ``step0``; none of these is
    modified (each call works on its own copies, so calls may run in parallel
    threads). The inputs are set to ``currents[k]`` (mV), the network runs
    ``n_settle`` steps without plasticity, then ``n_count`` steps during
    which spikes are counted into ``output_counts[k]`` and, when
    ``hidden_counts`` has a row per image, ``hidden_counts[k]`` (hidden units
    in the kernel's order).
    """
    v0, i_ext0, theta, refractory0, fired0 = start
    trace0, trace_decay, trace_increment = trace_params
    v = v0.copy()
    i_ext = i_ext0.copy()
    refractory = refractory0.copy()
    fired = fired0.copy()
    counts = np.zeros(v0.shape[0], dtype=np.int64)
    trace = trace0.copy()
    work = (
        (rings[0][0].copy(), rings[0][1].copy()),
        (rings[1][0].copy(), rings[1][1].copy()),
        (rings[2][0].copy(), rings[2][1].copy()),
    )
    neurons = (v, i_ext, theta, refractory, fired, counts)
    n_inputs = rings[0][0].shape[1]
    n_hidden = rings[1][0].shape[1]
    n_outputs = rings[2][0].shape[1]
    first_output = n_inputs + n_hidden
    readout = (
        trace,
        trace_decay,
        trace_increment,
        np.zeros(n_outputs, dtype=trace.dtype),
        trace.dtype.type(0.0),
    )
    raster = np.empty((0, 2), dtype=np.int32)
    record_hidden = hidden_counts.shape[0] == currents.shape[0]
    for k in range(currents.shape[0]):
        v[:] = v0
        refractory[:] = refractory0
        fired[:] = fired0
        trace[:] = trace0
        for p in range(3):
            work[p][0][:] = rings[p][0]
            work[p][1][:] = rings[p][1]
        for i in range(n_inputs):
            i_ext[i] = currents[k, i]
        run_feedforward(
            n_settle, step0, neurons, work, neuron, input_hidden, hidden_output,
            readout, raster,
        )  # fmt: skip
        counts[:] = 0
        run_feedforward(
            n_count, step0 + n_settle, neurons, work, neuron, input_hidden,
            hidden_output, readout, raster,
        )  # fmt: skip
        for i in range(n_outputs):
            output_counts[k, i] = counts[first_output + i]
        if record_hidden:
            for i in range(n_hidden):
                hidden_counts[k, i] = counts[n_inputs + i]
