"""Fixed random front ends with localized receptive fields (Illing et al. 2019)."""

import math
import numbers

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from ._base import FilterBankTransformer
from ._sklearn_compat import Interval, fit_context
from ._validation import resolve_dtype, warn_if_channels_first, warn_if_large_scale
from .receptive_fields import patch_indices, random_patch_origins


class RandomPatchTransformer(FilterBankTransformer):
    """Base of the fixed random front ends: one random patch per unit.

    ``fit`` draws each unit's patch position, asks the subclass for the
    in-patch weights (``_draw_patch_weights(patch_shape, rng)``, an array of
    shape ``(n_components, inputs per patch)`` in the C order of
    :func:`~skbio_plastic.receptive_fields.patch_indices`), embeds them in
    dense ``components_`` and draws biases from ``U[0, bias_high]``.

    The weight and bias scales assume inputs of order 1; ``fit`` warns when
    ``X`` is far larger (pixels in 0-255) or looks stored channels first.
    """

    @fit_context
    def fit(self, X, y=None):
        """Draw the patches, weights and biases; ``X`` fixes the geometry.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self : object
            The fitted transformer.
        """
        X = validate_data(self, X, dtype=[np.float32, np.float64])
        dtype = resolve_dtype(self.dtype, X.dtype)
        self.image_shape_, patch_shape = self._image_geometry(X.shape[1])
        warn_if_large_scale(X, self, expected="pixels in [0, 1], centred or not")
        warn_if_channels_first(X, self.image_shape_, self)
        rng = check_random_state(self.random_state)

        self.patch_origins_ = random_patch_origins(
            self.image_shape_, patch_shape, self.n_components, rng
        )
        indices = patch_indices(self.image_shape_, patch_shape, self.patch_origins_)
        weights = self._draw_patch_weights(patch_shape, rng)
        self.components_ = np.zeros((self.n_components, X.shape[1]), dtype=dtype)
        np.put_along_axis(self.components_, indices, weights.astype(dtype), axis=1)
        self.intercept_ = rng.uniform(0, self.bias_high, self.n_components).astype(
            dtype
        )
        return self


class LocalizedRandomProjection(RandomPatchTransformer):
    """Random hidden units that each see one random square patch of the image.

    Each unit has Gaussian weights inside a ``patch_size x patch_size`` patch at
    a uniformly drawn position (all channels of colour images) and zero weights
    elsewhere, a bias drawn from ``U[0, bias_high]`` and a ReLU: the l-RP layer
    of Illing, Gerstner & Brea (2019). The weights are never trained; only a
    readout on top of them learns. ``patch_size=None`` gives the non-localized
    random projection (RP).

    Parameters
    ----------
    n_components : int, default=5000
        Number of hidden units.
    patch_size : int or None, default=10
        Side of each unit's square receptive field in pixels; ``None`` for the
        whole image.
    image_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(height, width, channels)`` of the C-order
        images stored in the rows of ``X``. ``None`` means a square grayscale
        image (or, with ``patch_size=None``, any feature vector).
    weight_scale : float or None, default=None
        Standard deviation of the in-patch weights. ``None`` uses
        ``sqrt(1 / n0)``, where ``n0`` is the number of inputs per patch, so
        that a unit's input current has about the spread of its inputs. The
        paper's value is ten times smaller, ``sqrt(1 / (100 * n0))``
        (``weight_scale=0.01`` for 10 x 10 MNIST patches): its units barely
        leave their linear range, and the delta-rule readout then needs many
        more epochs (see the benchmark records in ``doc/results.md``).
    bias_high : float, default=0.1
        Biases are drawn uniformly from ``[0, bias_high]``.
    dtype : {"float32", "float64"} or None, default=None
        Floating type of the weights and of the transformed output. ``None``
        follows the input, as scikit-learn's estimators do: float32 data stay
        float32 (the fast path; the loaders of :mod:`skbio_plastic.datasets`
        return float32), anything else is computed in float64.
    random_state : int, RandomState instance or None, default=None
        Seed of the patch positions, weights and biases.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Dense weights, zero outside each unit's patch.
    intercept_ : ndarray of shape (n_components,)
        Biases of the hidden units.
    patch_origins_ : ndarray of shape (n_components, 2)
        ``(row, column)`` of the top-left pixel of each unit's patch.
    image_shape_ : tuple of 3 int
        ``(height, width, channels)`` used for the geometry.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    LocalDeltaClassifier : the local readout trained on these features.

    Notes
    -----
    The weight scale and the biases assume inputs of order 1: pixels in
    [0, 1] (``X / 255`` for 8-bit images), centred or not. ``fit`` warns when
    the root mean square of ``X`` exceeds 10, which almost always means pixels
    in 0-255, on which a readout of these features stays at chance level.
    It also warns when colour rows look stored channels first.

    References
    ----------
    B. Illing, W. Gerstner, J. Brea. Biologically plausible deep learning - but
    how far can we go with shallow networks? Neural Networks 118 (2019) 90-101.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skbio_plastic import LocalizedRandomProjection
    >>> X, _ = load_digits(return_X_y=True)
    >>> lrp = LocalizedRandomProjection(n_components=200, patch_size=4,
    ...                                 random_state=0).fit(X / 16)
    >>> lrp.transform(X / 16).shape
    (1797, 200)
    """

    _parameter_constraints: dict = {
        **FilterBankTransformer._parameter_constraints,
        "patch_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "image_shape": [tuple, list, None],
        "weight_scale": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "bias_high": [Interval(numbers.Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_components=5000,
        *,
        patch_size=10,
        image_shape=None,
        weight_scale=None,
        bias_high=0.1,
        dtype=None,
        random_state=None,
    ):
        self.n_components = n_components
        self.patch_size = patch_size
        self.image_shape = image_shape
        self.weight_scale = weight_scale
        self.bias_high = bias_high
        self.dtype = dtype
        self.random_state = random_state

    def _draw_patch_weights(self, patch_shape, rng):
        n_inputs = patch_shape[0] * patch_shape[1] * self.image_shape_[2]
        scale = self.weight_scale
        if scale is None:
            scale = math.sqrt(1.0 / n_inputs)
        return rng.normal(scale=scale, size=(self.n_components, n_inputs))
