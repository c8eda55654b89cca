"""Spiking networks of leaky integrate-and-fire neurons (mV, ms).

:class:`FeedForwardLIF` simulates an input -> hidden -> output network with
delta synapses, sparse (patch) input weights and a trace-based readout rule
on the numba kernels of :mod:`skbio_plastic._kernels.lif`; :func:`lif_rate`
is the LIF transfer function (rate against constant input).
:class:`SpikingLIFClassifier` is Illing, Gerstner & Brea's spiking l-RP / l-RG
network on top of it, a scikit-learn classifier; :func:`hidden_weights_mv`
gives its hidden weights in mV from a fitted front end. :mod:`encoders` turns
images into spike trains or currents; :class:`STDPRule` is the reusable
trace-based STDP rule (with Diehl & Cook's variant).
:class:`STDPSpikingTransformer` is Diehl & Cook's unsupervised STDP network;
:class:`LabelAssignmentClassifier` its label-assignment readout.
"""

from . import encoders
from ._classifier import SpikingLIFClassifier, hidden_weights_mv
from ._diehl_cook import LabelAssignmentClassifier, STDPSpikingTransformer
from ._network import FeedForwardLIF, decay_factor, lif_rate
from .stdp import STDPRule

__all__ = [
    "FeedForwardLIF",
    "LabelAssignmentClassifier",
    "STDPRule",
    "STDPSpikingTransformer",
    "SpikingLIFClassifier",
    "decay_factor",
    "encoders",
    "hidden_weights_mv",
    "lif_rate",
]
