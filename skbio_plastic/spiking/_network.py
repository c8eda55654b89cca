"""Python side of the LIF simulator: units, weight layouts and state between runs.

The numba kernels live in :mod:`skbio_plastic._kernels.lif`; this module turns
physical parameters (mV, ms) into their arguments and keeps the state arrays
of a network, so that consecutive runs continue exactly where the previous
one stopped.
"""

import math

import numpy as np
import scipy.sparse as sp

from .._kernels.lif import respond_images, run_feedforward, train_images

INTEGRATORS = ("exact", "grid", "euler")

# Largest raster buffer (spikes) allocated at once when recording.
_RASTER_CHUNK = 1 << 20


def decay_factor(dt, tau, method="exact"):
    """Factor by which ``tau dx/dt = -x`` shrinks ``x`` over one step of ``dt`` ms.

    Parameters
    ----------
    dt, tau : float
        Step and time constant, in ms.
    method : {"exact", "grid", "euler"}
        ``"exact"`` and ``"grid"``: ``exp(-dt / tau)``, exact for an input
        that is constant between steps; ``"euler"``: ``1 - dt / tau``
        (forward Euler).

    Returns
    -------
    decay : float

    Examples
    --------
    >>> round(decay_factor(0.05, 25.0), 6), decay_factor(0.05, 25.0, "euler")
    (0.998002, 0.998)
    """
    if method in ("exact", "grid"):
        return math.exp(-dt / tau)
    if method == "euler":
        return 1.0 - dt / tau
    raise ValueError(f"method must be one of {INTEGRATORS}, got {method!r}.")


def lif_rate(current, threshold=20.0, tau_m=25.0, refractory=0.0, v_reset=0.0):
    """Firing rate (Hz) of a LIF neuron under a constant input: its transfer function.

    A neuron reset to ``v_reset`` after each spike and held there for
    ``refractory`` ms reaches ``threshold`` after
    ``tau_m ln((current - v_reset) / (current - threshold))`` ms when
    ``current > threshold`` and never otherwise.

    Parameters
    ----------
    current : float or array-like
        Constant input, in mV (the voltage it would hold the membrane at).
    threshold, v_reset : float
        In mV, ``v_reset < threshold``.
    tau_m, refractory : float
        Membrane time constant and refractory period, in ms.

    Returns
    -------
    rate : float or ndarray
        Spikes per second; 0 at or below threshold.

    Examples
    --------
    >>> float(lif_rate(40.0))
    57.70780163555...
    >>> lif_rate([10.0, 20.0, 520.0]).round(1)
    array([   0. ,    0. , 1019.9])
    """
    current = np.asarray(current, dtype=np.float64)
    above = current > threshold
    safe = np.where(above, current, threshold + 1.0)
    period = refractory + tau_m * np.log((safe - v_reset) / (safe - threshold))
    return np.where(above, 1000.0 / period, 0.0)


def _steps(duration, dt, name, minimum=0):
    """``duration / dt`` as a whole number of steps, or a clear error."""
    steps = round(duration / dt)
    if steps < minimum or not math.isclose(steps * dt, duration, abs_tol=1e-9):
        raise ValueError(
            f"{name}={duration} ms must be a whole number (>= {minimum}) of "
            f"steps of dt={dt} ms."
        )
    return steps


def _ring(size, n):
    """An empty spike ring: ``size`` slots of up to ``n`` neuron indices."""
    return np.zeros((size, n), dtype=np.int32), np.zeros(size, dtype=np.int64)


def _targets_in_runs(weights):
    """Sort the targets so that patches give long runs; the kernel's run arrays.

    Parameters
    ----------
    weights : sparse array of shape (n_post, n_pre)

    Returns
    -------
    order : ndarray of shape (n_post,)
        Targets sorted by their first source (for square patches: by patch
        position, row then column), so that each source reaches a few runs of
        consecutive targets.
    runs : tuple
        ``(run_ptr, run_start, run_offset, weights)`` of
        :func:`~skbio_plastic._kernels.lif.deliver_runs`.
    """
    by_target = sp.csr_array(weights)
    by_target.sum_duplicates()
    first = np.full(by_target.shape[0], by_target.shape[1])
    filled = np.diff(by_target.indptr) > 0
    first[filled] = by_target.indices[by_target.indptr[:-1][filled]]
    order = np.argsort(first, kind="stable")
    by_source = sp.csc_array(by_target[order])
    by_source.sort_indices()
    indptr, targets = by_source.indptr, by_source.indices
    source = np.repeat(np.arange(by_source.shape[1]), np.diff(indptr))
    starts = np.ones(len(targets), dtype=bool)
    starts[1:] = (targets[1:] != targets[:-1] + 1) | (source[1:] != source[:-1])
    first_of_run = np.flatnonzero(starts)
    runs = (
        np.searchsorted(first_of_run, indptr).astype(np.int64),
        targets[first_of_run].astype(np.int64),
        np.append(first_of_run, len(targets)).astype(np.int64),
        by_source.data,
    )
    return order, runs


class FeedForwardLIF:
    """An input -> hidden -> output network of LIF neurons with delta synapses.

    Every neuron follows ``tau_m dv/dt = -v + i_ext`` (mV, ms), spikes when
    ``v`` reaches its own threshold, is reset to ``v_reset`` and held there
    for ``refractory`` ms. A spike adds its weight (mV) to the voltage of each
    target ``delay`` ms later. Input -> hidden weights are stored by input
    neuron, as runs of consecutive hidden units, so a spike reaches only the
    units whose patch contains it; hidden -> output weights are dense and can
    learn with the trace rule (:meth:`run`). State persists between runs.

    Parameters
    ----------
    input_hidden : array-like or sparse matrix of shape (n_hidden, n_inputs)
        Weights in mV, zero outside each unit's patch (only non-zeros are
        stored).
    hidden_output : array-like of shape (n_outputs, n_hidden)
        Weights in mV.
    theta_input, theta_hidden, theta_output : float or array-like
        Thresholds (mV) of each population, one per neuron or shared.
    i_hidden, i_output : float or array-like, default=20.0
        Constant inputs (mV) of the hidden and output neurons; the inputs'
        own are given to :meth:`run`.
    tau_m, tau_trace : float, default=25.0, 20.0
        Membrane and output-trace time constants (ms).
    dt, delay, refractory : float, default=0.05, 0.1, 0.0
        Step, synaptic delay (at least one step) and refractory period, in
        ms; delay and refractory period are whole numbers of steps.
    v_reset : float, default=0.0
        Reset voltage (mV), below every threshold.
    method : {"exact", "grid", "euler"}, default="exact"
        Integrator of membranes and traces. ``"exact"``: exponential decay
        over each step, and a neuron that crosses its threshold by drift is
        reset at the crossing time interpolated within the step (exact rates
        under constant input; spikes are still delivered on the grid);
        ``"grid"``: exponential decay, resets on the grid; ``"euler"``:
        forward Euler, resets on the grid (the scheme of the reference code).
        The refractory clamp resets on the grid in every method.
    dtype : {np.float32, np.float64}, default=np.float32
        Precision of voltages, weights and traces.

    Attributes
    ----------
    v, i_ext, theta : ndarray of shape (n_inputs + n_hidden + n_outputs,)
        Voltages, constant inputs and thresholds (mV) of all neurons in the
        kernels' order: inputs, hidden units sorted by patch position (unit
        ``hidden_order[k]`` at ``n_inputs + k``), outputs. Counts, rasters,
        :meth:`voltages` and :meth:`readout_weights` are in the caller's
        order.
    hidden_order : ndarray of shape (n_hidden,)
    step : int
        Steps simulated so far.

    Examples
    --------
    Two inputs, three hidden units (the first sees input 0, the second both,
    the third input 1) and one output; only input 0 is driven above threshold:

    >>> net = FeedForwardLIF([[5.0, 0.0], [5.0, 5.0], [0.0, 5.0]], [[10.0, 10.0, 10.0]],
    ...                      theta_input=20.0, theta_hidden=21.0, theta_output=20.5)
    >>> counts = net.run(100.0, i_input=[40.0, 0.0])
    >>> [c.tolist() for c in counts]
    [[5, 0], [2, 2, 0], [2]]
    >>> counts, (inputs, hidden, outputs) = net.run(40.0, record=True)
    >>> inputs, hidden, outputs             # (times in ms, neurons): 0.1 ms delays
    ((array([ 4.  , 21.35, 38.65]), array([0, 0, 0])),
     (array([ 4.1 ,  4.1 , 38.75, 38.75]), array([0, 1, 0, 1])),
     (array([ 4.2 , 38.85]), array([0, 0])))
    """

    def __init__(
        self,
        input_hidden,
        hidden_output,
        *,
        theta_input,
        theta_hidden,
        theta_output,
        i_hidden=20.0,
        i_output=20.0,
        tau_m=25.0,
        tau_trace=20.0,
        dt=0.05,
        delay=0.1,
        refractory=0.0,
        v_reset=0.0,
        method="exact",
        dtype=np.float32,
    ):
        input_hidden = sp.csr_array(input_hidden, dtype=dtype)
        n_hidden, n_inputs = input_hidden.shape
        hidden_output = np.asarray(hidden_output, dtype=dtype)
        if hidden_output.ndim != 2 or hidden_output.shape[1] != n_hidden:
            raise ValueError(
                f"hidden_output has shape {hidden_output.shape}; it needs "
                f"{n_hidden} columns, one per row of input_hidden."
            )
        n_outputs = hidden_output.shape[0]
        self.sizes = (n_inputs, n_hidden, n_outputs)
        self.dt = dt
        self.dtype = np.dtype(dtype)
        self.hidden_order, self.input_hidden = _targets_in_runs(input_hidden)
        self.hidden_output = np.ascontiguousarray(hidden_output[:, self.hidden_order].T)

        def per_neuron(input_value, hidden_value, output_value):
            values = [
                np.broadcast_to(np.asarray(value, dtype=dtype), (size,))
                for value, size in zip(
                    (input_value, hidden_value, output_value), self.sizes, strict=True
                )
            ]
            values[1] = values[1][self.hidden_order]
            return np.concatenate(values)

        self.theta = per_neuron(theta_input, theta_hidden, theta_output)
        self.i_ext = per_neuron(0.0, i_hidden, i_output)
        if v_reset >= self.theta.min():
            raise ValueError(f"v_reset={v_reset} mV must be below every threshold.")
        n_neurons = sum(self.sizes)
        self.v = np.zeros(n_neurons, dtype=dtype)
        self.refractory = np.zeros(n_neurons, dtype=np.int32)
        self.fired = np.zeros(n_neurons, dtype=np.bool_)
        self.counts = np.zeros(n_neurons, dtype=np.int64)
        delay_steps = _steps(delay, dt, "delay", minimum=1)
        self.rings = (
            _ring(delay_steps, n_inputs),
            _ring(delay_steps, n_hidden),
            _ring(1, n_outputs),
        )
        cast = self.dtype.type
        self.neuron = (
            cast(decay_factor(dt, tau_m, method)),
            cast(v_reset),
            _steps(refractory, dt, "refractory"),
            method == "exact",
        )
        self.trace = np.zeros(n_outputs, dtype=dtype)
        self.trace_decay = cast(decay_factor(dt, tau_trace, method))
        self.trace_increment = cast(1.0 / tau_trace)
        self.step = 0

    def _split(self, values):
        """Per-neuron ``values`` as (inputs, hidden, outputs), in the caller's order."""
        bounds = np.cumsum(self.sizes)
        inputs, hidden, outputs = np.split(values, bounds[:2])
        ordered = np.empty_like(hidden)
        ordered[self.hidden_order] = hidden
        return inputs.copy(), ordered, outputs.copy()

    def voltages(self):
        """Voltages (mV) of (inputs, hidden, outputs): copies, in the caller's order."""
        return self._split(self.v)

    def run(
        self, duration, *, i_input=None, learning_rate=0.0, target=None, record=False
    ):
        """Simulate ``duration`` ms, continuing from the current state.

        Parameters
        ----------
        duration : float
            In ms, a whole number of steps.
        i_input : array-like of shape (n_inputs,), default=None
            New constant inputs (mV) of the input neurons; None keeps them.
        learning_rate : float, default=0.0
            Trace rule ``w[j, i] += learning_rate * (target[i] - trace[i])``
            at each arrival of a spike of hidden neuron ``j``; 0 turns it off.
        target : array-like of shape (n_outputs,), default=None
            Target traces (kHz); needed when ``learning_rate`` is not 0.
        record : bool, default=False
            Also return the spikes as ``(times_ms, neurons)`` per population.

        Returns
        -------
        counts : tuple of 3 ndarray
            Spikes of each input, hidden and output neuron during the run.
        raster : tuple of 3 (times_ms, neurons), only when ``record``
            Spike times (ms from the start of the run) and neuron indices of
            each population, in time order.
        """
        n_steps = _steps(duration, self.dt, "duration")
        if i_input is not None:
            self.i_ext[: self.sizes[0]] = i_input
        if target is None:
            if learning_rate != 0.0:
                raise ValueError("learning needs a target for every output.")
            target = np.zeros_like(self.trace)
        readout = (
            self.trace,
            self.trace_decay,
            self.trace_increment,
            np.asarray(target, dtype=self.dtype),
            self.dtype.type(learning_rate),
        )
        self.counts[:] = 0
        neurons = (
            self.v,
            self.i_ext,
            self.theta,
            self.refractory,
            self.fired,
            self.counts,
        )
        n_neurons = len(self.v)
        chunk = max(1, _RASTER_CHUNK // n_neurons) if record else n_steps
        events = []
        done = 0
        while done < n_steps:
            steps = min(chunk, n_steps - done)
            raster = np.empty((steps * n_neurons if record else 0, 2), np.int32)
            n_events = run_feedforward(
                steps,
                self.step,
                neurons,
                self.rings,
                self.neuron,
                self.input_hidden,
                self.hidden_output,
                readout,
                raster,
            )
            raster = raster[: min(n_events, len(raster))]
            raster[:, 0] += done
            events.append(raster)
            self.step += steps
            done += steps
        counts = self._split(self.counts)
        if not record:
            return counts
        events = np.concatenate(events) if events else np.empty((0, 2), np.int32)
        bounds = np.cumsum([0, *self.sizes])
        rasters = []
        for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
            mine = events[(events[:, 1] >= start) & (events[:, 1] < stop)]
            rasters.append((mine[:, 0] * self.dt, mine[:, 1] - start))
        rasters[1] = (rasters[1][0], self.hidden_order[rasters[1][1]])
        return counts, tuple(rasters)

    def readout_weights(self):
        """Hidden -> output weights (mV), shape ``(n_outputs, n_hidden)``, a copy."""
        weights = np.empty_like(self.hidden_output.T)
        weights[:, self.hidden_order] = self.hidden_output.T
        return weights

    # -------------------------------------------------- many images per call
    def _writeable(self):
        """Replace read-only state or weights (a memory-mapped pickle) by copies."""
        for name in ("v", "i_ext", "theta", "refractory", "fired", "counts", "trace",
                     "hidden_output"):  # fmt: skip
            array = getattr(self, name)
            if not array.flags.writeable:
                setattr(self, name, array.copy())
        self.input_hidden = tuple(
            a if a.flags.writeable else a.copy() for a in self.input_hidden
        )
        self.rings = tuple(
            tuple(a if a.flags.writeable else a.copy() for a in ring)
            for ring in self.rings
        )

    def _input_currents(self, currents):
        currents = np.ascontiguousarray(currents, dtype=self.dtype)
        if currents.ndim != 2 or currents.shape[1] != self.sizes[0]:
            raise ValueError(
                f"currents has shape {currents.shape}; it needs one row of "
                f"{self.sizes[0]} input currents per image."
            )
        return currents

    def present(self, currents, labels, transient, learn, *, learning_rate, target):
        """Present images one after another, with the readout learning on each.

        Image ``k`` holds the inputs at ``currents[k]`` (mV) for
        ``transient`` ms without plasticity, then ``learn`` ms with the trace
        rule (:meth:`run`) toward the target trace ``target`` (kHz) for output
        ``labels[k]`` and 0 for the others. Nothing is reset between images:
        the state continues from the end of the previous image (or call). One
        compiled loop runs all the images.

        Parameters
        ----------
        currents : array-like of shape (n_images, n_inputs)
            Constant inputs (mV) of the input neurons, one row per image.
        labels : array-like of shape (n_images,)
            Index of the output neuron trained toward ``target`` on each image.
        transient, learn : float
            Durations (ms), whole numbers of steps.
        learning_rate : float
            Step of the trace rule (mV per arrival and kHz of error).
        target : float
            Target trace (kHz) of the labelled output.

        Returns
        -------
        output_counts : ndarray of shape (n_images, n_outputs)
            Output spikes during each learning window.
        """
        currents = self._input_currents(currents)
        labels = np.asarray(labels, dtype=np.int64)
        if labels.shape != (currents.shape[0],) or (
            labels.size and not 0 <= labels.min() <= labels.max() < self.sizes[2]
        ):
            raise ValueError(
                f"labels must hold one output index in [0, {self.sizes[2]}) per image."
            )
        n_transient = _steps(transient, self.dt, "transient")
        n_learn = _steps(learn, self.dt, "learn")
        self._writeable()
        output_counts = np.zeros((currents.shape[0], self.sizes[2]), dtype=np.int64)
        self.counts[:] = 0
        neurons = (
            self.v,
            self.i_ext,
            self.theta,
            self.refractory,
            self.fired,
            self.counts,
        )
        self.step = train_images(
            currents,
            labels,
            n_transient,
            n_learn,
            self.step,
            neurons,
            self.rings,
            self.neuron,
            self.input_hidden,
            self.hidden_output,
            (self.trace, self.trace_decay, self.trace_increment),
            self.dtype.type(target),
            float(learning_rate),
            output_counts,
        )
        return output_counts

    def respond(self, currents, settle, count, *, hidden=False):
        """Spike counts of each image, every image from the current state.

        Each image starts from the network's present state (voltages, traces,
        spikes in flight), holds the inputs at its row of ``currents`` for
        ``settle + count`` ms without plasticity, and its spikes are counted
        during the last ``count`` ms. The network is not modified, so images
        are independent and calls may run in parallel threads (the compiled
        loop releases the GIL).

        Parameters
        ----------
        currents : array-like of shape (n_images, n_inputs)
            Constant inputs (mV) of the input neurons, one row per image.
        settle, count : float
            Durations (ms), whole numbers of steps.
        hidden : bool, default=False
            Also count the hidden spikes.

        Returns
        -------
        output_counts : ndarray of shape (n_images, n_outputs)
        hidden_counts : ndarray of shape (n_images, n_hidden), only when ``hidden``
            int32, hidden units in the caller's order.
        """
        currents = self._input_currents(currents)
        n_settle = _steps(settle, self.dt, "settle")
        n_count = _steps(count, self.dt, "count")
        n_images, n_hidden = currents.shape[0], self.sizes[1]
        output_counts = np.zeros((n_images, self.sizes[2]), dtype=np.int64)
        hidden_counts = np.zeros((n_images if hidden else 0, n_hidden), np.int32)

        def writeable(a):
            return a if a.flags.writeable else a.copy()

        start = tuple(
            writeable(a)
            for a in (self.v, self.i_ext, self.theta, self.refractory, self.fired)
        )
        respond_images(
            currents,
            n_settle,
            n_count,
            self.step,
            start,
            tuple(tuple(writeable(a) for a in ring) for ring in self.rings),
            self.neuron,
            tuple(writeable(a) for a in self.input_hidden),
            writeable(self.hidden_output),
            (writeable(self.trace), self.trace_decay, self.trace_increment),
            hidden_counts,
            output_counts,
        )
        if not hidden:
            return output_counts
        ordered = np.empty_like(hidden_counts)
        ordered[:, self.hidden_order] = hidden_counts
        return output_counts, ordered
