"""skbio_plastic: scikit-learn compatible local learning rules for shallow networks."""

from .decomposition import LocalizedICA, LocalizedPCA
from .gabor import RandomGabor
from .hebbian import KrotovHebbianTransformer
from .random_features import LocalizedRandomProjection
from .readout import LocalDeltaClassifier
from .spiking import SpikingLIFClassifier

__version__ = "0.1.0.dev0"

__all__ = [
    "KrotovHebbianTransformer",
    "LocalDeltaClassifier",
    "LocalizedICA",
    "LocalizedPCA",
    "LocalizedRandomProjection",
    "RandomGabor",
    "SpikingLIFClassifier",
    "__version__",
]
