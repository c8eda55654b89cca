"""Spike-timing-dependent plasticity as a reusable rule (ms, Hz).

:class:`STDPRule` holds the parameters of the trace rule of
:mod:`skbio_plastic._kernels.stdp` (pair or triplet, all-to-all or
nearest-spike, with the generalised-Hebb terms ``a0``, ``a1_pre``,
``a1_post`` and weight bounds), gives its window and its mean drift under
independent Poisson firing, and applies it to given spike trains.
"""

import math
from dataclasses import dataclass

import numpy as np

from .._kernels.stdp import stdp_run


@dataclass(frozen=True)
class STDPRule:
    """Online STDP with traces, and its generalised-Hebb form.

    Weights ``w[j, i]`` from presynaptic ``j`` to postsynaptic ``i``
    change at a spike of ``j`` by ``a1_pre - a_minus y_i`` and at a spike of
    ``i`` by ``a1_post + a_plus g_i x_j``, plus ``a0`` per second; ``x`` and
    ``y`` are the pre and post traces (time constants ``tau_plus`` and
    ``tau_minus``), raised by 1 at each spike (all-to-all) or set to 1
    (``nearest``). ``g_i = 1`` (pair rule) or, when ``tau_triplet`` is set,
    a third trace of the postsynaptic neuron read just before its spike
    (Diehl & Cook's ``post2before``). The lecture's form
    ``tau+ dx/dt = -x + a+ sum delta(t - t_pre)``, ``dw = x at post spikes
    - y at pre spikes`` is the default: a pair rule with ``a+, a- > 0``.
    Details and the order within a step: :mod:`skbio_plastic._kernels.stdp`.

    Parameters
    ----------
    a_plus, a_minus : float, default=0.01, 0.0105
        Potentiation and depression amplitudes (weight units per pair),
        both positive for the classic window. The defaults are the
        lecture's Brian2 example: depression 1.05 times potentiation.
    tau_plus, tau_minus : float, default=20.0
        Time constants (ms) of the pre and post traces.
    a0 : float, default=0.0
        Drift, weight units per second.
    a1_pre, a1_post : float, default=0.0
        Change at every pre / post spike, whatever the other side does.
    nearest : bool, default=False
        Traces set to 1 at a spike (only the nearest spike counts) instead
        of raised by 1.
    tau_triplet : float, default=None
        Time constant (ms) of the triplet trace; None: pair rule.
    w_min, w_max : float, default=-inf, inf
        Weight bounds; every update is clipped to them.
    mu : float, default=0.0
        Soft bounds when positive: increases scaled by ``(w_max - w)^mu``,
        decreases by ``(w - w_min)^mu``.

    Examples
    --------
    >>> rule = STDPRule()
    >>> rule.window([-20.0, 0.0, 20.0]).round(5)
    array([-0.00386,  0.01   ,  0.00368])
    >>> round(rule.mean_drift(10.0, 10.0), 9)   # per second: 10 Hz x 10 Hz x area
    -0.001
    """

    a_plus: float = 0.01
    a_minus: float = 0.0105
    tau_plus: float = 20.0
    tau_minus: float = 20.0
    a0: float = 0.0
    a1_pre: float = 0.0
    a1_post: float = 0.0
    nearest: bool = False
    tau_triplet: float = None
    w_min: float = -math.inf
    w_max: float = math.inf
    mu: float = 0.0

    @classmethod
    def diehl_cook(cls):
        """Diehl & Cook's rule, from their code (nearest-spike, triplet).

        At a pre spike ``w -= 1e-4 post1``; at a post spike
        ``w += 1e-2 pre post2before``; ``pre`` and ``post1`` of 20 ms,
        ``post2`` of 40 ms, weights clipped to [0, 1].
        """
        return cls(
            a_plus=1e-2,
            a_minus=1e-4,
            nearest=True,
            tau_triplet=40.0,
            w_min=0.0,
            w_max=1.0,
        )

    def window(self, delay):
        """Change for one pre and one post spike; ``delay = t_post - t_pre`` in ms.

        ``a_plus exp(-delay / tau_plus)`` for ``delay >= 0`` (a pre spike in
        the step of the post spike potentiates), ``-a_minus exp(delay /
        tau_minus)`` otherwise; without the ``a1`` terms and the bounds.
        """
        if self.tau_triplet is not None:
            raise ValueError(
                "A triplet rule (tau_triplet set) has no pair window: a single "
                "pairing does not potentiate."
            )
        delay = np.asarray(delay, dtype=np.float64)
        return np.where(
            delay >= 0.0,
            self.a_plus * np.exp(-np.abs(delay) / self.tau_plus),
            -self.a_minus * np.exp(-np.abs(delay) / self.tau_minus),
        )

    def _mean_trace(self, rate, tau):
        """Mean trace of a Poisson train of ``rate`` Hz, time constant ``tau`` ms."""
        spikes_per_tau = np.asarray(rate, dtype=np.float64) * tau / 1000.0
        if self.nearest:
            return spikes_per_tau / (1.0 + spikes_per_tau)
        return spikes_per_tau

    def mean_drift(self, rate_pre, rate_post):
        """Mean weight change per second for independent Poisson trains (Hz), no bounds.

        ``a0 + a1_pre nu_j + a1_post nu_i + nu_i a_plus <x_j> <g_i> -
        nu_j a_minus <y_i>``, with ``<x> = nu tau / 1000`` (all-to-all) or
        ``nu tau / (1000 + nu tau)`` (nearest). For the all-to-all pair rule
        this is the generalised Hebb rule ``a0 + a1_pre nu_j + a1_post nu_i
        + a2 nu_i nu_j`` with ``a2 = (a_plus tau_plus - a_minus tau_minus) /
        1000``, the area under the window in seconds.
        """
        nu_pre = np.asarray(rate_pre, dtype=np.float64)
        nu_post = np.asarray(rate_post, dtype=np.float64)
        gain = 1.0
        if self.tau_triplet is not None:
            gain = self._mean_trace(nu_post, self.tau_triplet)
        drift = (
            self.a0
            + self.a1_pre * nu_pre
            + self.a1_post * nu_post
            + nu_post * self.a_plus * self._mean_trace(nu_pre, self.tau_plus) * gain
            - nu_pre * self.a_minus * self._mean_trace(nu_post, self.tau_minus)
        )
        return float(drift) if drift.ndim == 0 else drift

    def run(self, pre, post, weights, traces=None):
        """Apply the rule to given spike trains; ``weights`` change in place.

        Parameters
        ----------
        pre, post : SpikeTrains
            Presynaptic and postsynaptic spikes on the same grid
            (:mod:`~skbio_plastic.spiking.encoders`).
        weights : ndarray of shape (pre.n_neurons, post.n_neurons)
            float32 or float64.
        traces : tuple of 3 ndarray, default=None
            ``(pre, post, triplet)`` traces from a previous call, to continue
            it; None: all at 0.

        Returns
        -------
        traces : tuple of 3 ndarray
            The traces at the end, for the next call (the triplet one empty
            for a pair rule).
        """
        if pre.dt != post.dt or pre.n_steps != post.n_steps:
            raise ValueError(
                f"pre and post trains need the same grid; got {pre.n_steps} steps "
                f"of {pre.dt} ms and {post.n_steps} steps of {post.dt} ms."
            )
        shape = (pre.n_neurons, post.n_neurons)
        if not (
            isinstance(weights, np.ndarray)
            and weights.shape == shape
            and weights.dtype in (np.float32, np.float64)
        ):
            raise ValueError(
                f"weights must be a float32 or float64 ndarray of shape {shape}."
            )
        sizes = (
            pre.n_neurons,
            post.n_neurons,
            post.n_neurons if self.tau_triplet is not None else 0,
        )
        if traces is None:
            traces = tuple(np.zeros(size) for size in sizes)
        elif tuple(len(np.asarray(trace)) for trace in traces) != sizes:
            raise ValueError(
                f"traces must have the lengths {sizes} (pre, post, triplet), "
                "as returned by the previous call of this rule."
            )
        dt = pre.dt
        decays = tuple(
            math.exp(-dt / tau) if tau else 0.0
            for tau in (self.tau_plus, self.tau_minus, self.tau_triplet)
        )
        # without bounds the drift commutes with the spike-triggered changes:
        # added once at the end rather than to every weight at every step
        bounded = (
            self.mu != 0.0 or math.isfinite(self.w_min) or math.isfinite(self.w_max)
        )
        drift_per_step = self.a0 * dt / 1000.0
        rule = (
            float(self.a_plus),
            float(self.a_minus),
            float(self.a1_pre),
            float(self.a1_post),
            drift_per_step if bounded else 0.0,
            bool(self.nearest),
        )
        bounds = (float(self.w_min), float(self.w_max), float(self.mu))
        stdp_run(
            (pre.step_ptr, pre.neurons),
            (post.step_ptr, post.neurons),
            weights,
            traces,
            decays,
            rule,
            bounds,
        )
        if not bounded:
            weights += drift_per_step * pre.n_steps
        return traces
