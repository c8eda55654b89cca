"""Spiking networks of leaky integrate-and-fire neurons (mV, ms).

:class:`FeedForwardLIF` simulates an input -> hidden -> output network with
delta synapses, sparse (patch) input weights and a trace-based readout rule
on the numba kernels of :mod:`skbio_plastic._kernels.lif`; :func:`lif_rate`
is the LIF transfer function (rate against constant input).
"""

from ._network import FeedForwardLIF, decay_factor, lif_rate

__all__ = ["FeedForwardLIF", "decay_factor", "lif_rate"]
