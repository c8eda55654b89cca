"""The local sparse-coding front end of Illing et al. (2019): l-SC.

Each of ``n_patches`` random square patches of the image feeds its own small
circuit of ``n_components_per_patch`` units (Brito & Gerstner 2016). The
circuit's code approximately minimises the sparse-coding loss of its patch,
its feed-forward weights learn by a Hebbian rule with unit rows and its
lateral inhibition by an anti-Hebbian rule. The circuits are independent: the
numba kernels (:mod:`skbio_plastic._kernels.sparse_coding`) run groups of
patches in threads.
"""

import numbers

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import _TRANSFORM_BATCH_ELEMENTS, FilterBankTransformer
from ._kernels import sparse_coding as _sc
from ._progress import Progress
from ._sklearn_compat import Interval, fit_context
from ._validation import (
    check_unchanged,
    resolve_dtype,
    structure,
    warn_if_channels_first,
    warn_if_large_scale,
)
from .decomposition import _LocalizedDecomposition
from .receptive_fields import patch_indices, random_patch_origins

__all__ = ["LocalizedSparseCoding"]

# Training rows gathered per call of the kernels (rounded to whole
# minibatches): large enough that thread dispatch is negligible, small enough
# that the rows stay in the last-level cache while every patch reads them.
_TRAIN_CHUNK_ROWS = 2048


class LocalizedSparseCoding(FilterBankTransformer):
    """Sparse codes of random image patches, learned by a local circuit.

    The l-SC layer of Illing, Gerstner & Brea (2019). ``n_patches`` square
    patches are drawn at uniform positions (all channels of colour images);
    each feeds a circuit of ``K = n_components_per_patch`` units with
    feed-forward weights ``W`` (rows of unit L2 norm) and lateral inhibition
    ``A`` (non-negative, no self-inhibition). For an input patch ``x`` the
    drive is ``I = W x`` and the code ``a`` settles in ``n_iter_inference``
    leaky iterations from ``u = 0`` (Brito & Gerstner 2016)::

        u <- (1 - rate) u + rate (I - A a),    a = max(u - threshold, 0)

    With ``A`` the off-diagonal part of ``W W^T`` these are the iterations of
    a locally competitive algorithm that minimises
    ``L(a) = 1/2 ||x - W^T a||^2 + threshold ||a||_1`` over ``a >= 0``; here
    ``A`` is learned instead, so the circuit minimises ``L`` approximately.
    Learning is local to each synapse::

        W += learning_rate * a x^T,                then rows of W scaled to 1
        A += learning_rate_lateral * (a - m) a^T,  clipped >= 0, diagonal 0
        m <- (1 - mean_rate) m + mean_rate * a     (running mean of the code)

    ``transform`` returns the codes of every patch divided by one scalar,
    ``scale_``, the largest code over the training set (the codes are already
    rectified), as for :class:`LocalizedPCA` and :class:`LocalizedICA`.

    The circuit expects centred inputs: remove each pixel's training mean
    first (``StandardScaler(with_std=False)``, as the paper and the benchmark
    do) and keep pixels of order 1 (``threshold`` is in input units).

    Parameters
    ----------
    n_patches : int, default=500
        Number of random patches, each with its own circuit.
    n_components_per_patch : int, default=10
        Units ``K`` per circuit; ``n_patches * n_components_per_patch`` is the
        number of features. Overcomplete circuits (more units than patch
        inputs) are allowed.
    patch_size : int or None, default=10
        Side of each square patch in pixels; ``None`` for the whole image.
    image_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(height, width, channels)`` of the C-order
        images stored in the rows of ``X``. ``None`` means a square grayscale
        image (or, with ``patch_size=None``, any feature vector).
    n_iter_inference : int, default=50
        Leaky iterations of the circuit per input.
    rate : float, default=0.1
        Step of the leaky iterations, in (0, 1].
    threshold : float, default=0.01
        Threshold ``lambda`` of the units, the weight of the L1 penalty.
    learning_rate : float, default=1e-3
        Rate of the feed-forward Hebbian rule per sample (0 freezes ``W``).
    learning_rate_lateral : float, default=1e-2
        Rate of the anti-Hebbian rule of the lateral weights per sample (0
        freezes ``A``).
    mean_rate : float, default=1e-2
        Rate of the running mean of the code, in [0, 1].
    n_epochs : int, default=1
        Passes over the data in ``fit``, each in a fresh random order. One
        pass over MNIST (50,000 images) is 1.7 times the reference code's
        10^5 online steps; a second pass did not raise the validation
        accuracy (records in ``benchmarks/results/``).
    batch_size : int, default=20
        Samples per learning step (see Notes).
    n_jobs : int or None, default=None
        Threads over groups of patches for learning and ``transform``
        (``None``: 1, ``-1``: all cores). The result does not depend on it.
    verbose : int, default=0
        Print a progress line (elapsed time, time left, share of active
        units) after every epoch of ``fit``.
    dtype : {"float32", "float64"} or None, default=None
        Floating type of the weights, of learning and of ``transform``.
        ``None`` follows the input, as scikit-learn's estimators do: float32
        data stay float32 (the fast path; the loaders of
        :mod:`skbio_plastic.datasets` return float32), anything else is
        computed in float64.
    random_state : int, RandomState instance or None, default=None
        Seed of the patch positions, the initial weights and the shuffles.

    Attributes
    ----------
    components_ : ndarray of shape (n_patches * n_components_per_patch, n_features)
        Feed-forward weights ``W`` of every unit, zero outside its patch;
        rows of unit L2 norm after the first learning step.
    lateral_ : ndarray of shape (n_patches, K, K)
        Lateral inhibition ``A`` of each circuit, ``K =
        n_components_per_patch`` (``lateral_[p, k, j]``: from unit ``j`` to
        unit ``k``), non-negative with a zero diagonal.
    mean_code_ : ndarray of shape (n_patches * n_components_per_patch,)
        Running mean ``m`` of each unit's code.
    scale_ : float
        The single divisor of ``transform``: the largest training code
        (``fit``), or the largest code seen while learning (``partial_fit``);
        1.0 when no code was positive.
    n_iter_ : int
        Epochs run by the last ``fit``.
    n_epochs_ : int
        Epochs completed in total by ``fit``.
    n_steps_ : int
        Learning steps (minibatches) done in total.
    n_samples_seen_ : int
        Samples learned from in total (a sample seen twice counts twice).
    active_fraction_ : float
        Share of (unit, sample) codes that were non-zero during the last
        ``fit`` epoch or ``partial_fit`` call.
    patch_origins_ : ndarray of shape (n_patches, 2)
        ``(row, column)`` of the top-left pixel of each patch.
    image_shape_ : tuple of 3 int
        ``(height, width, channels)`` used for the geometry.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    LocalizedPCA, LocalizedICA : the other per-patch front ends of the paper.
    sklearn.decomposition.MiniBatchDictionaryLearning : sparse coding by
        optimisation (not local), for comparison.

    Notes
    -----
    **Minibatches.** The reference code learns online, one random image per
    step. Here a step takes ``batch_size`` images: their codes are inferred
    with the weights of the step's start, and the step applies the sum of
    their per-sample updates (so the rates are per sample, as online), with
    the running mean advanced sample by sample; the rows of ``W`` are
    renormalised and ``A`` clipped once per step. ``batch_size=1`` is the
    online rule exactly. Larger minibatches differ from it only at second
    order in the rates (the weights lag by at most one minibatch) and let
    the kernels vectorise over the samples; the benchmark records show they
    do not cost accuracy (see the user guide).

    **Initial state.** ``W ~ N(0, 1) / (10 sqrt(n_in))`` per patch
    (``n_in`` inputs of a patch), ``A = 0``, ``m = 0``.

    **Speed.** A sample costs per patch ``K n_in`` multiply-adds for the
    drive, ``n_iter_inference K^2`` for the iterations and, when learning,
    ``K n_in + K^2`` for the updates; ``transform`` is the drive and the
    iterations, computed in blocks of rows so that memory stays bounded.
    The circuits of different patches are independent: ``n_jobs`` threads
    share the patches, with the same result for any ``n_jobs``.

    **partial_fit** learns on the rows of ``X`` in their order, in
    minibatches of ``batch_size`` (no shuffle), so that calls on consecutive
    slices equal one call on their concatenation when the slices are whole
    minibatches. It raises ``scale_`` to the largest code seen while
    learning; ``fit`` instead sets it from the codes of the final weights.

    References
    ----------
    B. Illing, W. Gerstner, J. Brea. Biologically plausible deep learning - but
    how far can we go with shallow networks? Neural Networks 118 (2019) 90-101.

    V. Brito, W. Gerstner. Nonlinear Hebbian learning as a unifying principle
    in receptive field formation. PLoS Comput Biol 12(9): e1005070 (2016).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skbio_plastic import LocalizedSparseCoding
    >>> X, _ = load_digits(return_X_y=True)
    >>> X = X / 16 - (X / 16).mean(axis=0)
    >>> lsc = LocalizedSparseCoding(n_patches=20, n_components_per_patch=5,
    ...                             patch_size=4, random_state=0).fit(X)
    >>> H = lsc.transform(X)
    >>> H.shape, float(H.min()), float(H.max())
    ((1797, 100), 0.0, 1.0)
    >>> bool((lsc.lateral_ >= 0).all())
    True
    """

    _parameter_constraints: dict = {
        **{
            key: value
            for key, value in _LocalizedDecomposition._parameter_constraints.items()
            if key != "max_samples"
        },
        "n_iter_inference": [Interval(numbers.Integral, 1, None, closed="left")],
        "rate": [Interval(numbers.Real, 0, 1, closed="right")],
        "threshold": [Interval(numbers.Real, 0, None, closed="left")],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="left")],
        "learning_rate_lateral": [Interval(numbers.Real, 0, None, closed="left")],
        "mean_rate": [Interval(numbers.Real, 0, 1, closed="both")],
        "n_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_patches=500,
        n_components_per_patch=10,
        *,
        patch_size=10,
        image_shape=None,
        n_iter_inference=50,
        rate=0.1,
        threshold=0.01,
        learning_rate=1e-3,
        learning_rate_lateral=1e-2,
        mean_rate=1e-2,
        n_epochs=1,
        batch_size=20,
        n_jobs=None,
        verbose=0,
        dtype=None,
        random_state=None,
    ):
        self.n_patches = n_patches
        self.n_components_per_patch = n_components_per_patch
        self.patch_size = patch_size
        self.image_shape = image_shape
        self.n_iter_inference = n_iter_inference
        self.rate = rate
        self.threshold = threshold
        self.learning_rate = learning_rate
        self.learning_rate_lateral = learning_rate_lateral
        self.mean_rate = mean_rate
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.dtype = dtype
        self.random_state = random_state

    # ------------------------------------------------------------------ fit

    @fit_context
    def fit(self, X, y=None):
        """Learn the circuits from ``X`` (no labels) for ``n_epochs`` epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training images as flat rows, pixel-centred.
        y : ignored

        Returns
        -------
        self : LocalizedSparseCoding
        """
        X = self._fit(X)
        largest = 0.0
        for _, codes in self._code_batches(X):
            largest = max(largest, float(codes.max(initial=0.0)))
        self._set_scale(largest)
        return self

    @fit_context
    def fit_transform(self, X, y=None):
        """Fit, then return the scaled codes of ``X`` (one inference pass less).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training images as flat rows, pixel-centred.
        y : ignored

        Returns
        -------
        H : ndarray of shape (n_samples, n_patches * n_components_per_patch)
        """
        X = self._fit(X)
        out = self._empty_output(X.shape[0])
        for _ in self._code_batches(X, out):
            pass
        self._set_scale(float(out.max(initial=0.0)))
        out /= out.dtype.type(self.scale_)
        return out

    def _fit(self, X):
        """Validate ``X``, initialise and learn for ``n_epochs``; return ``X``."""
        X = validate_data(self, X, dtype=[np.float32, np.float64])
        warn_if_large_scale(X, self, expected="pixel-centred pixels of order 1")
        rng = check_random_state(self.random_state)
        self._initialize(X, rng)
        progress = Progress(self, self.n_epochs, verbose=self.verbose)
        self.n_iter_ = 0
        with self._threads() as parallel:
            for epoch in range(self.n_epochs):
                order = rng.permutation(X.shape[0])
                self._learn(X, order, parallel)
                self.n_iter_ = epoch + 1
                self.n_epochs_ += 1
                progress.update(
                    epoch + 1,
                    active_fraction=self.active_fraction_,
                    mean_lateral=float(self.lateral_.mean()),
                )
        return X

    @fit_context
    def partial_fit(self, X, y=None):
        """Learn on the rows of ``X`` in order, in minibatches of ``batch_size``.

        Parameters are validated on every call; those that fix the shape of
        the learned state (``n_patches``, ``n_components_per_patch``,
        ``patch_size``, ``image_shape`` and ``dtype``) cannot change: call
        ``fit`` to start afresh.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training images as flat rows, pixel-centred.
        y : ignored

        Returns
        -------
        self : LocalizedSparseCoding
        """
        first = not hasattr(self, "components_")
        if not first:
            check_unchanged(self, self._fitted_structure, self._structure())
        X = validate_data(self, X, dtype=[np.float32, np.float64], reset=first)
        warn_if_large_scale(X, self, expected="pixel-centred pixels of order 1")
        if first:
            self._initialize(X, check_random_state(self.random_state))
            self.scale_ = 0.0
        with self._threads() as parallel:
            largest = self._learn(X, np.arange(X.shape[0]), parallel)
        self._set_scale(max(self.scale_, largest))
        return self

    # ------------------------------------------------------------ transform

    def transform(self, X):
        """Scaled codes of the circuits for ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Images as flat rows, centred like the training images.

        Returns
        -------
        H : ndarray of shape (n_samples, n_patches * n_components_per_patch)
            ``codes / scale_``, non-negative, in the estimator's ``dtype``;
            computed in blocks of rows so that only the output grows with
            ``n_samples``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float32, np.float64])
        out = self._empty_output(X.shape[0])
        scale = out.dtype.type(self.scale_)
        for _, codes in self._code_batches(X, out):
            codes /= scale
        return out

    # ------------------------------------------------------------ internals

    def _structure(self):
        """The parameters that fix the shape of the learned state, normalised."""
        return structure(
            self,
            (
                "n_patches",
                "n_components_per_patch",
                "patch_size",
                "image_shape",
                "dtype",
            ),
        )

    def _initialize(self, X, rng):
        """Patch positions, ``W ~ N(0, 1) / (10 sqrt(n_in))``, ``A = 0``, ``m = 0``."""
        dtype = resolve_dtype(self.dtype, X.dtype)
        self.image_shape_, patch_shape = self._image_geometry(X.shape[1])
        warn_if_channels_first(X, self.image_shape_, self)
        self.patch_origins_ = random_patch_origins(
            self.image_shape_, patch_shape, self.n_patches, rng
        )
        self._indices = patch_indices(
            self.image_shape_, patch_shape, self.patch_origins_
        )
        n_in = self._indices.shape[1]
        K = self.n_components_per_patch
        weights = rng.standard_normal((self.n_patches, K, n_in)) / (10 * np.sqrt(n_in))
        self.components_ = np.zeros((self.n_patches * K, X.shape[1]), dtype=dtype)
        self.lateral_ = np.zeros((self.n_patches, K, K), dtype=dtype)
        self._store_weights(weights.astype(dtype))
        self.mean_code_ = np.zeros(self.n_patches * K, dtype=dtype)
        self._fitted_structure = self._structure()
        self.n_epochs_ = 0
        self.n_steps_ = 0
        self.n_samples_seen_ = 0

    def _weights(self):
        """The in-patch feed-forward weights, ``(n_patches, K, n_in)``, contiguous."""
        dense = self.components_.reshape(self.lateral_.shape[:2] + (-1,))
        return np.take_along_axis(dense, self._indices[:, None, :], axis=2)

    def _store_weights(self, weights):
        """Write the in-patch weights into the dense ``components_``."""
        dense = self.components_.reshape(self.lateral_.shape[:2] + (-1,))
        np.put_along_axis(dense, self._indices[:, None, :], weights, axis=2)

    def _patch_groups(self, n_threads):
        """Contiguous ranges of patches, one per thread."""
        n_patches = self.lateral_.shape[0]
        bounds = np.linspace(0, n_patches, min(n_threads, n_patches) + 1)
        bounds = bounds.round().astype(int)
        return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    def _threads(self):
        """A joblib pool of threads over groups of patches (reused per call)."""
        return Parallel(n_jobs=effective_n_jobs(self.n_jobs), prefer="threads")

    def _run(self, parallel, kernel, groups):
        """Call ``kernel(group)`` for every group, in threads when more than one."""
        if len(groups) == 1:
            kernel(groups[0])
        else:
            parallel(delayed(kernel)(group) for group in groups)

    def _learn(self, X, order, parallel):
        """Learning steps on ``X[order]`` in minibatches; the largest code seen."""
        W = self._weights()
        A = self.lateral_
        mean = self.mean_code_.reshape(A.shape[:2])
        indices = self._indices
        stats = np.zeros((A.shape[0], 2))
        groups = self._patch_groups(parallel.n_jobs)
        batch = self.batch_size
        chunk = batch * max(1, _TRAIN_CHUNK_ROWS // batch)
        params = (
            int(self.batch_size),
            int(self.n_iter_inference),
            float(self.rate),
            float(self.threshold),
            float(self.learning_rate),
            float(self.learning_rate_lateral),
            float(self.mean_rate),
        )
        for start in range(0, order.shape[0], chunk):
            rows = np.ascontiguousarray(X[order[start : start + chunk]], dtype=W.dtype)

            def kernel(group, rows=rows):
                _sc.train_patches(
                    rows,
                    indices[group],
                    W[group],
                    A[group],
                    mean[group],
                    *params,
                    stats[group],
                )

            with np.errstate(over="ignore", invalid="ignore"):
                self._run(parallel, kernel, groups)
        self.n_steps_ += -(-order.shape[0] // batch)
        self.n_samples_seen_ += int(order.shape[0])
        largest = float(stats[:, 0].max(initial=0.0))
        if not (np.isfinite(largest) and np.isfinite(W).all()):
            # The codes are bounded by the drive W x (A >= 0 only inhibits)
            # and the rows of W have unit norm: only the scale of X overflows.
            raise ValueError(
                f"{type(self).__name__} diverged: the codes or the weights became "
                "non-finite, which only inputs of extreme magnitude can cause. "
                "Scale X to values of order 1, or decrease learning_rate (got "
                f"learning_rate={self.learning_rate})."
            )
        self._store_weights(W)
        n_codes = order.shape[0] * W.shape[0] * W.shape[1]
        self.active_fraction_ = float(stats[:, 1].sum() / max(n_codes, 1))
        return largest

    def _set_scale(self, largest):
        self.scale_ = largest if largest > 0 else 1.0

    def _empty_output(self, n_samples):
        return np.empty(
            (n_samples, self.components_.shape[0]), dtype=self.components_.dtype
        )

    def _code_batches(self, X, out=None):
        """Yield ``(rows, codes)`` per block of rows (unscaled codes).

        The codes are written into ``out[rows]`` when it is given, else into
        a fresh array per block: memory stays bounded by one block.
        """
        W = self._weights()
        A = self.lateral_
        indices = self._indices
        n_units = self.components_.shape[0]
        step = max(1, _TRANSFORM_BATCH_ELEMENTS // n_units)
        params = (
            int(self.n_iter_inference),
            float(self.rate),
            float(self.threshold),
        )
        with self._threads() as parallel:
            groups = self._patch_groups(parallel.n_jobs)
            for start in range(0, X.shape[0], step):
                rows = slice(start, min(start + step, X.shape[0]))
                block = np.ascontiguousarray(X[rows], dtype=W.dtype)
                codes = (
                    np.empty((block.shape[0], n_units), W.dtype)
                    if out is None
                    else out[rows]
                )

                def kernel(group, block=block, codes=codes):
                    _sc.encode_patches(
                        block,
                        indices[group],
                        W[group],
                        A[group],
                        *params,
                        codes,
                        group.start,
                    )

                self._run(parallel, kernel, groups)
                yield rows, codes
