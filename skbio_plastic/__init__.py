"""skbio_plastic: scikit-learn compatible local learning rules for shallow networks."""

from .baselines import LocalizedMLPClassifier
from .classic_rules import BCMTransformer, HebbianTransformer, OjaTransformer
from .convolutional import ConvolutionalHebbian
from .decomposition import LocalizedICA, LocalizedPCA
from .gabor import RandomGabor
from .hebbian import KrotovHebbianTransformer
from .random_features import LocalizedRandomProjection
from .readout import LocalDeltaClassifier
from .sparse_coding import LocalizedSparseCoding
from .spiking import (
    LabelAssignmentClassifier,
    SpikingLIFClassifier,
    STDPSpikingTransformer,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "BCMTransformer",
    "ConvolutionalHebbian",
    "HebbianTransformer",
    "KrotovHebbianTransformer",
    "LabelAssignmentClassifier",
    "LocalDeltaClassifier",
    "LocalizedICA",
    "LocalizedMLPClassifier",
    "LocalizedPCA",
    "LocalizedRandomProjection",
    "LocalizedSparseCoding",
    "OjaTransformer",
    "RandomGabor",
    "STDPSpikingTransformer",
    "SpikingLIFClassifier",
    "__version__",
]
