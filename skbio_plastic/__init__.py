"""skbio_plastic: scikit-learn compatible local learning rules for shallow networks."""

from .hebbian import KrotovHebbianTransformer
from .random_features import LocalizedRandomProjection
from .readout import LocalDeltaClassifier

__version__ = "0.1.0.dev0"

__all__ = [
    "KrotovHebbianTransformer",
    "LocalDeltaClassifier",
    "LocalizedRandomProjection",
    "__version__",
]
