"""Convolutional local learning: one bank of Hebbian filters shared over positions."""

import math
import numbers

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    clone,
)
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._kernels import convolution as _conv
from ._sklearn_compat import HasMethods, Interval, StrOptions, fit_context
from ._validation import (
    DTYPE_CONSTRAINT,
    check_unchanged,
    preserved_dtypes,
    resolve_dtype,
    structure,
    warn_if_channels_first,
)
from .hebbian import KrotovHebbianTransformer
from .receptive_fields import resolve_image_shape

__all__ = ["ConvolutionalHebbian"]

_NORMS = {
    "l2": _conv.NORM_L2,
    "l1": _conv.NORM_L1,
    "max": _conv.NORM_MAX,
    None: _conv.NORM_NONE,
}
_POOLS = {"max": _conv.POOL_MAX, "avg": _conv.POOL_AVG}

# Images per transform batch are chosen so that the patch matrix and the
# filter responses of one batch stay near this many elements (16 MiB of
# float32 each): memory is bounded, and every batch is still a large GEMM.
_BATCH_ELEMENTS = 1 << 22


class ConvolutionalHebbian(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Hebbian filters learned on image patches and shared over all positions.

    A convolutional layer whose filters learn without labels, after Grinberg,
    Hopfield & Krotov (2019): every ``filter_size x filter_size`` patch of an
    image (all channels) is centred on its own mean, scaled to unit norm and
    whitened (``whitening``); the filters learn from randomly drawn patches
    with Krotov & Hopfield's ranking rule (:class:`KrotovHebbianTransformer`)
    or come from another front end (``filter_learner``). ``transform``
    applies every filter at every position (stride ``stride``), then
    optionally a competition between the filters of a position,
    ``relu(.) ** power`` and ``max`` or ``avg`` pooling, and returns the
    pooled maps flattened in ``(row, column, filter)`` order, i.e. an image
    of ``n_filters`` channels (``pooled_shape_``) that another layer can take.

    The patch normalisation makes learning and features independent of the
    scale and offset of the pixels (unless ``patch_norm=None``).

    Parameters
    ----------
    n_filters : int, default=96
        Number of shared filters.
    filter_size : int, default=5
        Side of the square filters in pixels.
    stride : int, default=1
        Step between the positions a filter is applied at.
    patch_norm : {"l2", "l1", "max"} or None, default="l2"
        Each patch is centred on its mean, then divided by this norm (a flat
        patch gives zeros). ``None``: raw patches, a plain convolution.
    whitening : float or None, default=0.1
        Decorrelate the normalised patches before learning (ZCA whitening,
        as the retina and LGN flatten the spectrum of natural images):
        ``Z = U diag(1 / sqrt(s + whitening * mean(s))) U^T`` from the
        eigen-decomposition ``U diag(s) U^T`` of the patches' second-moment
        matrix. The filters learn on ``Z x``; ``components_`` hold the
        effective filters ``W Z``, so ``transform`` costs nothing more.
        ``None``: no whitening.
    competition : {"mean"} or None, default=None
        ``"mean"``: before the activation, subtract from each filter's
        response the mean response of all filters at the same position, a
        uniform lateral inhibition that leaves active only the filters that
        match the patch better than average (the dot-product form of Coates
        & Ng's "triangle" activation). ``None``: the responses as they are.
    threshold : float, default=0.0
        Subtracted from every response before the activation,
        ``relu(response - threshold) ** power``. With whitening and Krotov's
        rule (``p=2``: unit filters of whitened patches, whose covariance is
        about the identity) the responses have about unit variance over the
        patches, so ``threshold`` is in their standard deviations.
    power : float, default=1.0
        Exponent of the activation ``relu(. - threshold) ** power``.
    pooling : {"max", "avg"}, default="max"
        Pooling of each filter's map over ``pool_size x pool_size`` windows.
    pool_size : int, default=2
        Side of the pooling windows (1: no pooling).
    pool_stride : int or None, default=None
        Step between pooling windows; ``None`` is ``pool_size``.
    n_patches : int, default=100_000
        Patches that ``fit`` draws (uniformly over images and positions, with
        replacement) for the filters to learn from.
    p, k, delta, learning_rate, n_epochs, batch_size
        Krotov's rule on the drawn patches (see
        :class:`KrotovHebbianTransformer`); ``n_epochs`` passes over them.
        The defaults (``p=2, k=9, delta=0.08``) are those of the public
        Hebbian convolutional layer of REFERENCES.md. Unused with
        ``filter_learner``.
    filter_learner : estimator or None, default=None
        Where the filters come from instead of Krotov's rule: an unfitted
        front end (e.g. :class:`RandomGabor`, :class:`OjaTransformer`) that
        is cloned, given ``n_components=n_filters``, the patch geometry
        (``image_shape=(filter_size, filter_size, channels)``,
        ``patch_size=None``) and a seed where it takes them, and fitted on
        the normalised patches; its ``components_`` (and ``intercept_``)
        become the filters.
    image_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(height, width, channels)`` of the C-order
        images in the rows of ``X``; ``None`` is a square grayscale image.
    dtype : {"float32", "float64"} or None, default=None
        Floating type of the filters and outputs; ``None`` follows the input
        (float32 stays float32, anything else is float64).
    random_state : int, RandomState instance or None, default=None
        Seed of the drawn patches and of the learner.
    verbose : int, default=0
        Progress of learning (one line per epoch, with the time left).

    Attributes
    ----------
    components_ : ndarray of shape (n_filters, filter_size ** 2 * channels)
        The filters, each a flattened ``(filter_size, filter_size,
        channels)`` patch.
    intercept_ : ndarray of shape (n_filters,)
        The filters' biases (zeros for Krotov's rule).
    learner_ : estimator
        The fitted learner of the filters (of whitened patches).
    whitening_ : ndarray of shape (n_inputs, n_inputs) or None
        The symmetric whitening matrix ``Z`` (``None`` without whitening).
    image_shape_ : tuple of 3 int
        ``(height, width, channels)`` of the input images.
    map_shape_ : tuple of 2 int
        Positions of the filters before pooling, ``(rows, columns)``.
    pooled_shape_ : tuple of 3 int
        ``(rows, columns, n_filters)`` of the output.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    KrotovHebbianTransformer : the same rule, one filter per unit and position.

    Notes
    -----
    ``transform`` builds the normalised patches of a batch of images
    (im2col) in a numba kernel, multiplies them with the filters in one
    float32 BLAS GEMM and pools in a second kernel; only one batch of
    patches and responses is held at a time (``python -m skbio_plastic bench
    speed --kernels conv`` reports its throughput against the GEMM peak).

    ``partial_fit`` does one step of the learner (its ``partial_fit``) with
    every normalised patch of ``X`` as one minibatch.

    References
    ----------
    L. Grinberg, J. Hopfield, D. Krotov. Local unsupervised learning for
    image analysis. arXiv:1908.08993 (2019).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skbio_plastic import ConvolutionalHebbian
    >>> X, _ = load_digits(return_X_y=True)
    >>> conv = ConvolutionalHebbian(16, filter_size=3, k=2, n_patches=2000,
    ...                             n_epochs=5, random_state=0).fit(X)
    >>> conv.pooled_shape_, conv.transform(X).shape
    ((3, 3, 16), (1797, 144))
    """

    _parameter_constraints: dict = {
        "n_filters": [Interval(numbers.Integral, 1, None, closed="left")],
        "filter_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "stride": [Interval(numbers.Integral, 1, None, closed="left")],
        "patch_norm": [StrOptions({"l2", "l1", "max"}), None],
        "whitening": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "competition": [StrOptions({"mean"}), None],
        "threshold": [Interval(numbers.Real, None, None, closed="neither")],
        "power": [Interval(numbers.Real, 0, None, closed="neither")],
        "pooling": [StrOptions(set(_POOLS))],
        "pool_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "pool_stride": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "n_patches": [Interval(numbers.Integral, 1, None, closed="left")],
        "p": [Interval(numbers.Real, 2, None, closed="left")],
        "k": [Interval(numbers.Integral, 2, None, closed="left")],
        "delta": [Interval(numbers.Real, 0, None, closed="left")],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "n_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "filter_learner": [HasMethods(["fit"]), None],
        "image_shape": [tuple, list, None],
        "dtype": [*DTYPE_CONSTRAINT, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_filters=96,
        *,
        filter_size=5,
        stride=1,
        patch_norm="l2",
        whitening=0.1,
        competition=None,
        threshold=0.0,
        power=1.0,
        pooling="max",
        pool_size=2,
        pool_stride=None,
        n_patches=100_000,
        p=2.0,
        k=9,
        delta=0.08,
        learning_rate=0.02,
        n_epochs=20,
        batch_size=100,
        filter_learner=None,
        image_shape=None,
        dtype=None,
        random_state=None,
        verbose=0,
    ):
        self.n_filters = n_filters
        self.filter_size = filter_size
        self.stride = stride
        self.patch_norm = patch_norm
        self.whitening = whitening
        self.competition = competition
        self.threshold = threshold
        self.power = power
        self.pooling = pooling
        self.pool_size = pool_size
        self.pool_stride = pool_stride
        self.n_patches = n_patches
        self.p = p
        self.k = k
        self.delta = delta
        self.learning_rate = learning_rate
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.filter_learner = filter_learner
        self.image_shape = image_shape
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    @fit_context
    def fit(self, X, y=None):
        """Learn the filters from ``n_patches`` random normalised patches of ``X``.

        The whitening (``whitening_``) is computed from the same patches.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Images as C-order rows.
        y : ignored

        Returns
        -------
        self : ConvolutionalHebbian
        """
        X = validate_data(self, X, dtype=[np.float32, np.float64])
        rng = check_random_state(self.random_state)
        images = self._start(X)
        rows, cols = self.map_shape_
        image_index = rng.randint(0, len(images), size=self.n_patches)
        row = rng.randint(0, rows, size=self.n_patches) * self.stride
        col = rng.randint(0, cols, size=self.n_patches) * self.stride
        patches = self._whiten(self._patches(images, image_index, row, col))
        self.learner_ = self._learner(rng).fit(patches)
        self._take_filters()
        return self

    @fit_context
    def partial_fit(self, X, y=None):
        """One step of the learner on every normalised patch of ``X``.

        The first call also fixes the whitening from its patches.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A minibatch of images.
        y : ignored

        Returns
        -------
        self : ConvolutionalHebbian
        """
        first = not hasattr(self, "learner_")
        if not first:
            check_unchanged(self, self._fitted_structure, self._structure())
        X = validate_data(self, X, dtype=[np.float32, np.float64], reset=first)
        if first:
            images = self._start(X)
            learner = self._learner(check_random_state(self.random_state))
            if not hasattr(learner, "partial_fit"):
                raise TypeError(
                    f"filter_learner={self.filter_learner!r} has no partial_fit: "
                    "use fit, or a learner that learns online."
                )
            self.learner_ = learner
        else:
            images = self._images(X)
        self.learner_.partial_fit(self._whiten(self._all_patches(images), first))
        self._take_filters()
        return self

    def transform(self, X):
        """Pooled responses of the filters at every position of each image.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        H : ndarray of shape (n_samples, rows * columns * n_filters)
            The pooled maps in ``(row, column, filter)`` order
            (``pooled_shape_``), in the estimator's dtype.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float32, np.float64])
        images = self._images(X)
        filters = self.components_
        out = np.empty((len(images), *self.pooled_shape_), dtype=filters.dtype)
        rows, cols = self.map_shape_
        per_image = rows * cols * max(filters.shape)
        step = max(1, _BATCH_ELEMENTS // per_image)
        for start in range(0, len(images), step):
            batch = images[start : start + step]
            currents = self._all_patches(batch) @ filters.T
            currents += self.intercept_
            if self.competition == "mean":
                currents -= currents.mean(axis=1, keepdims=True)
            _conv.relu_power_pool(
                currents.reshape(len(batch), rows, cols, -1),
                float(self.threshold),
                float(self.power),
                _POOLS[self.pooling],
                self.pool_size,
                self._pool_stride,
                out[start : start + step],
            )
        return out.reshape(len(images), -1)

    # ------------------------------------------------------------ internals

    @property
    def _pool_stride(self):
        return self.pool_stride or self.pool_size

    @property
    def _n_features_out(self):
        return math.prod(self.pooled_shape_)

    def _structure(self):
        return structure(
            self, ("n_filters", "filter_size", "stride", "image_shape", "dtype")
        )

    def _start(self, X):
        """Set the geometry and dtype from the first data; the images of ``X``."""
        self._dtype = resolve_dtype(self.dtype, X.dtype)
        height, width, channels = resolve_image_shape(self.image_shape, X.shape[1])
        size = self.filter_size
        if size > min(height, width):
            raise ValueError(
                f"filter_size={size} does not fit images of {height} x {width} "
                f"pixels (n_features={X.shape[1]}): use filter_size <= "
                f"{min(height, width)} or set image_shape."
            )
        if self.filter_learner is None and 1 < self.n_filters < self.k:
            raise ValueError(
                f"k={self.k} must be at most n_filters={self.n_filters}: the "
                "k-th ranked filter receives the anti-Hebbian update."
            )
        rows = (height - size) // self.stride + 1
        cols = (width - size) // self.stride + 1
        if self.pool_size > min(rows, cols):
            raise ValueError(
                f"pool_size={self.pool_size} does not fit the {rows} x {cols} "
                f"positions of the filters (images of {height} x {width} "
                f"pixels, n_features={X.shape[1]}): use pool_size <= "
                f"{min(rows, cols)}."
            )
        self.image_shape_ = (height, width, channels)
        self.map_shape_ = (rows, cols)
        self.pooled_shape_ = (
            (rows - self.pool_size) // self._pool_stride + 1,
            (cols - self.pool_size) // self._pool_stride + 1,
            self.n_filters,
        )
        if channels > 1:
            warn_if_channels_first(X, self.image_shape_, self)
        self._fitted_structure = self._structure()
        return self._images(X)

    def _images(self, X):
        """``X`` as ``(n, height, width, channels)`` images of the fitted dtype."""
        return X.astype(self._dtype, copy=False).reshape(-1, *self.image_shape_)

    def _all_patches(self, images):
        """The normalised patches of ``images`` at every position, in order."""
        rows, cols = self.map_shape_
        patches = np.empty(
            (len(images) * rows * cols, self.filter_size**2 * images.shape[3]),
            dtype=images.dtype,
        )
        _conv.all_normalized_patches(
            images, self.filter_size, self.stride, _NORMS[self.patch_norm], patches
        )
        return patches

    def _patches(self, images, image_index, row, col):
        """The normalised patches at the given positions, one per row."""
        patches = np.empty(
            (len(row), self.filter_size**2 * images.shape[3]), dtype=images.dtype
        )
        _conv.normalized_patches(
            images, image_index, row, col, self.filter_size,
            _NORMS[self.patch_norm], patches,
        )  # fmt: skip
        return patches

    def _whiten(self, patches, first=True):
        """``patches @ Z``; ``Z`` (``whitening_``) is found on the first call."""
        if first:
            self.whitening_ = None
            if self.whitening is not None:
                moments = patches.T.astype(np.float64) @ patches / len(patches)
                spectrum, basis = np.linalg.eigh(moments)
                spectrum = np.maximum(spectrum, 0.0)
                scale = 1.0 / np.sqrt(spectrum + self.whitening * spectrum.mean())
                self.whitening_ = ((basis * scale) @ basis.T).astype(patches.dtype)
        if self.whitening_ is None:
            return patches
        return patches @ self.whitening_

    def _learner(self, rng):
        """The unfitted learner of the filters, configured for the patches."""
        seed = rng.randint(np.iinfo(np.int32).max)
        if self.filter_learner is None:
            return KrotovHebbianTransformer(
                self.n_filters,
                p=self.p,
                k=self.k,
                delta=self.delta,
                learning_rate=self.learning_rate,
                n_epochs=self.n_epochs,
                batch_size=self.batch_size,
                normalize_input=False,
                dtype=self._dtype,
                random_state=seed,
                verbose=self.verbose,
            )
        learner = clone(self.filter_learner)
        settings = {
            "n_components": self.n_filters,
            "image_shape": (self.filter_size, self.filter_size, self.image_shape_[2]),
            "patch_size": None,
            "dtype": self._dtype,
        }
        params = learner.get_params()
        if params.get("random_state", 0) is None:
            settings["random_state"] = seed
        return learner.set_params(**{k: v for k, v in settings.items() if k in params})

    def _take_filters(self):
        """Copy the learner's weights into ``components_`` and ``intercept_``."""
        weights = self.learner_.components_
        if weights.shape[0] != self.n_filters:
            raise ValueError(
                f"filter_learner={self.filter_learner!r} learned {weights.shape[0]} "
                f"filters, but n_filters={self.n_filters}: give it "
                "n_components or the equivalent."
            )
        if self.whitening_ is not None:  # the filters of unwhitened patches
            weights = weights @ self.whitening_
        self.components_ = weights.astype(self._dtype)
        intercept = getattr(self.learner_, "intercept_", None)
        self.intercept_ = (
            np.zeros(self.n_filters, self._dtype)
            if intercept is None
            else np.asarray(intercept, dtype=self._dtype)
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        preserved = preserved_dtypes(self.dtype)
        if preserved is not None:
            tags.transformer_tags.preserves_dtype = preserved
        return tags
