"""Input encoders: what a spiking network receives from an image (mV, ms, Hz).

Rate coding (:func:`poisson_spikes`, with :func:`diehl_cook_rates` for
Diehl & Cook's pixel-to-rate map), latency coding (:func:`latency_spikes`)
and constant currents (:func:`constant_currents`, Illing et al.'s input
neurons). The spike encoders encode one sample and return
:class:`SpikeTrains`, whose size grows with the number of spikes only; the
current encoder returns the constant inputs (mV) of the LIF core's input
neurons, one row per sample.
"""

from typing import NamedTuple

import numpy as np
from sklearn.utils import check_random_state

from ._network import _steps

# Intervals drawn at once by poisson_spikes: bounds its temporary memory.
_DRAWS_PER_PASS = 1 << 20


class SpikeTrains(NamedTuple):
    """Spikes of a population on a time grid, stored step by step (compressed rows).

    The neurons that spike at step ``n`` (time ``n * dt`` ms) are
    ``neurons[step_ptr[n]:step_ptr[n + 1]]``, in increasing order, each at
    most once: the ``(spikes, n_spikes)`` that the kernels of
    :mod:`skbio_plastic._kernels.lif` deliver. Memory: 8 bytes per step and
    4 per spike; :meth:`to_dense` builds the ``(n_steps, n_neurons)`` raster
    for small sizes.

    Examples
    --------
    >>> trains = SpikeTrains.from_spikes([2, 0, 2], [1, 0, 0], 3, 4, 0.5)
    >>> trains.step_ptr, trains.neurons
    (array([0, 1, 1, 3, 3]), array([0, 0, 1], dtype=int32))
    >>> trains.counts()
    array([2, 1, 0])
    """

    step_ptr: np.ndarray
    """Shape (n_steps + 1,), int64: where each step's spikes start in ``neurons``."""
    neurons: np.ndarray
    """Shape (n_spikes,), int32: the spiking neurons, step after step."""
    n_neurons: int
    dt: float
    """Step, in ms."""

    @classmethod
    def from_spikes(cls, steps, neurons, n_neurons, n_steps, dt):
        """Spike trains from the step and neuron of each spike, in any order.

        Parameters
        ----------
        steps, neurons : array-like of int, shape (n_spikes,)
            Step (``0 <= step < n_steps``) and neuron of each spike; a
            neuron spikes at most once per step.
        n_neurons, n_steps : int
        dt : float
            Step, in ms.
        """
        steps = np.asarray(steps, dtype=np.int64)
        neurons = np.asarray(neurons, dtype=np.int64)
        valid = steps.ndim == 1 and steps.shape == neurons.shape
        if valid and steps.size:
            valid = (
                0 <= steps.min()
                and steps.max() < n_steps
                and 0 <= neurons.min()
                and neurons.max() < n_neurons
            )
        if not valid:
            raise ValueError(
                f"steps and neurons must be 1-d, of the same length, in "
                f"[0, {n_steps}) and [0, {n_neurons})."
            )
        order = np.lexsort((neurons, steps))
        steps, neurons = steps[order], neurons[order]
        if np.any((np.diff(steps) == 0) & (np.diff(neurons) == 0)):
            raise ValueError("A neuron spikes at most once per step.")
        step_ptr = np.zeros(n_steps + 1, dtype=np.int64)
        np.cumsum(np.bincount(steps, minlength=n_steps), out=step_ptr[1:])
        return cls(step_ptr, neurons.astype(np.int32), n_neurons, dt)

    @property
    def n_steps(self):
        """Number of steps covered."""
        return len(self.step_ptr) - 1

    def counts(self):
        """Spikes of each neuron, shape ``(n_neurons,)``."""
        return np.bincount(self.neurons, minlength=self.n_neurons)

    def to_dense(self):
        """Boolean raster of shape ``(n_steps, n_neurons)``, True at each spike."""
        raster = np.zeros((self.n_steps, self.n_neurons), dtype=bool)
        steps = np.repeat(np.arange(self.n_steps), np.diff(self.step_ptr))
        raster[steps, self.neurons] = True
        return raster


def poisson_spikes(rates, duration, dt, random_state=None):
    """Independent Poisson spike trains on a time grid: rate coding.

    Each neuron spikes at each step with probability ``rate * dt / 1000``,
    independently (Brian's ``PoissonGroup``). The trains are drawn as
    geometric intervals between spikes, about a million at a time, so the
    work and memory grow with the number of spikes, not with
    ``n_steps * n_neurons``.

    Parameters
    ----------
    rates : array-like of shape (n_neurons,)
        Rates in Hz, with ``0 <= rate <= 1000 / dt``.
    duration, dt : float
        Length of the trains and step, in ms; ``duration`` is a whole
        number of steps.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    SpikeTrains

    Examples
    --------
    >>> trains = poisson_spikes([0.0, 20.0, 500.0], 1000.0, 0.5, random_state=0)
    >>> trains.n_steps, trains.counts()
    (2000, array([  0,  18, 502]))
    """
    rates = np.asarray(rates, dtype=np.float64)
    n_steps = _steps(duration, dt, "duration")
    p = rates * (dt / 1000.0)
    if rates.ndim != 1 or not np.all((p >= 0.0) & (p <= 1.0)):
        raise ValueError(
            f"rates must be a 1-d array of rates in [0, {1000.0 / dt}] Hz (at most "
            f"one spike per step of dt={dt} ms); decrease dt for higher rates."
        )
    rng = check_random_state(random_state)
    active = np.flatnonzero(p > 0.0)
    last = np.full(len(active), -1, dtype=np.int64)  # last spike's step so far
    pending = np.arange(len(active))
    steps, neurons = [], []
    while pending.size:
        q = p[active[pending]]
        # enough intervals for most trains to pass the end, within the
        # budget of a pass; the trains that have not passed it continue
        expected = (q * (n_steps - 1 - last[pending])).max()
        n_draws = int(
            min(
                expected + 4.0 * np.sqrt(expected) + 4.0,
                max(_DRAWS_PER_PASS // len(pending), 1),
            )
        )
        gaps = rng.geometric(q[:, None], size=(len(pending), n_draws))
        times = last[pending, None] + np.cumsum(np.minimum(gaps, n_steps), axis=1)
        rows, cols = np.nonzero(times < n_steps)
        steps.append(times[rows, cols])
        neurons.append(active[pending[rows]])
        last[pending] = times[:, -1]
        pending = pending[times[:, -1] < n_steps]
    return SpikeTrains.from_spikes(
        np.concatenate([np.empty(0, np.int64), *steps]),
        np.concatenate([np.empty(0, np.int64), *neurons]),
        len(rates),
        n_steps,
        dt,
    )


def _intensities(X, name):
    """``X`` as floats in [0, 1]; raw ``uint8`` pixels are divided by 255."""
    X = np.asarray(X)
    if X.dtype == np.uint8:
        X = X / 255.0
    X = np.asarray(X, dtype=np.float64)
    if X.size and (X.min() < 0.0 or X.max() > 1.0):
        raise ValueError(
            f"{name} must hold intensities in [0, 1] (or uint8 pixels); got values "
            f"in [{X.min()}, {X.max()}]. Divide 0-255 pixels by 255."
        )
    return X


def diehl_cook_rates(X, retries=0):
    """Diehl & Cook's input rates (Hz): pixel (0-255) / 4, more after each retry.

    Their code feeds ``pixel * intensity / 8`` Hz with ``intensity = 2``
    (so at most 63.75 Hz) and raises ``intensity`` by 1 (31.875 Hz more for
    a white pixel) each time an image is presented again because the
    excitatory layer fired fewer than 5 spikes.

    Parameters
    ----------
    X : array-like
        Pixels in [0, 1], or raw ``uint8`` pixels (0-255); any shape.
    retries : int, default=0
        Presentations of this image so far that fired too little.

    Returns
    -------
    rates : ndarray of the shape of ``X``
        In Hz.

    Examples
    --------
    >>> diehl_cook_rates([0.0, 0.5, 1.0])
    array([ 0.   , 31.875, 63.75 ])
    >>> diehl_cook_rates(np.array([0, 255], dtype=np.uint8), retries=1)
    array([ 0.   , 95.625])
    """
    return _intensities(X, "X") * (255.0 * (2 + retries) / 8.0)


def latency_spikes(intensities, duration, dt, t_max=None):
    """Latency coding: each input spikes once, earlier when stronger.

    An input of intensity ``x`` in (0, 1] spikes at ``t = t_max (1 - x)``
    (linear map), rounded to the nearest step: 1 at time 0, a faint input
    near ``t_max``; inputs at 0 never spike.

    Parameters
    ----------
    intensities : array-like of shape (n_neurons,)
        In [0, 1], or raw ``uint8`` pixels.
    duration, dt : float
        Length of the trains and step, in ms; ``duration`` is a whole
        number of steps.
    t_max : float, default=None
        Latency (ms) of the faintest input, at most the last step's time;
        None: the last step's time, ``duration - dt``.

    Returns
    -------
    SpikeTrains

    Examples
    --------
    >>> trains = latency_spikes([1.0, 0.0, 0.25, 0.5], 10.0, 1.0, t_max=8.0)
    >>> trains.to_dense().argmax(axis=0), trains.counts()
    (array([0, 0, 6, 4]), array([1, 0, 1, 1]))
    """
    x = _intensities(intensities, "intensities")
    n_steps = _steps(duration, dt, "duration", minimum=1)
    if t_max is None:
        t_max = (n_steps - 1) * dt
    if x.ndim != 1 or not 0.0 <= t_max <= (n_steps - 1) * dt + 1e-9:
        raise ValueError(
            f"intensities must be 1-d and t_max={t_max} ms within the last "
            f"step's time, {(n_steps - 1) * dt} ms."
        )
    neurons = np.flatnonzero(x > 0.0)
    steps = np.rint(t_max * (1.0 - x[neurons]) / dt).astype(np.int64)
    return SpikeTrains.from_spikes(steps, neurons, len(x), n_steps, dt)


def constant_currents(X, mean, offset=20.0, gain=500.0):
    """Constant input currents (mV) of Illing et al.'s input neurons.

    ``offset + gain * (X - mean)``: with the defaults ``20 + 500 *
    x_centred``, just at a threshold of 20 mV for an average pixel, so that
    brighter than average pixels fire regularly and darker ones stay silent.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Pixels in [0, 1].
    mean : float or array-like of shape (n_features,)
        The centring, in the units of ``X``: the per-pixel mean of the
        training images (for test images too).
    offset, gain : float, default=20.0, 500.0
        In mV, and mV per unit of ``X``.

    Returns
    -------
    currents : ndarray of shape (n_samples, n_features)
        In mV, float32 for float32 or integer ``X``, float64 otherwise: the
        inputs' ``i_ext`` in the LIF core.

    Examples
    --------
    >>> X = [[0.0, 0.5], [0.2, 1.0]]
    >>> constant_currents(X, mean=[0.1, 0.75])
    array([[ -30., -105.],
           [  70.,  145.]])
    """
    X = np.asarray(X)
    X = X.astype(np.result_type(X.dtype, np.float32), copy=False)
    return offset + gain * (X - np.asarray(mean, dtype=X.dtype))
