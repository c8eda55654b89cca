"""Front ends learned per patch without labels: l-PCA and l-ICA (Illing et al. 2019).

Each of ``n_patches`` random square patches of the image gets its own
scikit-learn ``PCA`` or ``FastICA``, fitted on the training pixels of that patch
only. Their components, embedded in rows of the dense ``components_`` (zero
outside the patch), form one filter bank; all features are divided by one
scalar, the largest feature value over the training set, and rectified, as in
the paper. Transforming is one GEMM plus a ReLU (``FilterBankTransformer``).
"""

import numbers
import warnings

import numpy as np
from joblib import Parallel, delayed
from sklearn.decomposition import PCA, FastICA
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from ._base import FilterBankTransformer
from ._progress import Progress
from ._sklearn_compat import Interval, StrOptions, fit_context
from ._validation import resolve_dtype, user_stacklevel, warn_if_channels_first
from .receptive_fields import patch_indices, random_patch_origins

__all__ = ["LocalizedICA", "LocalizedPCA"]


def _n_informative(variances, n_inputs, dtype):
    """Number of directions whose variance is above numerical noise.

    ``variances`` are sorted in decreasing order. A direction counts when its
    variance exceeds ``max(variances) * n_inputs * eps(dtype)``: below that,
    its value comes from rounding (a constant pixel, exactly dependent pixels,
    fewer samples than inputs), and a component along it would be an arbitrary
    direction that is zero on every training image.
    """
    variances = np.asarray(variances, dtype=np.float64)
    if variances.size == 0 or not variances[0] > 0:
        return 0
    tol = variances[0] * n_inputs * np.finfo(dtype).eps
    return int(np.count_nonzero(variances > tol))


def _patch_data(X, columns, n_rows, seed):
    """The training pixels of one patch, on ``n_rows`` random rows if fewer than all."""
    if n_rows < X.shape[0]:
        rows = np.sort(
            np.random.RandomState(seed).choice(X.shape[0], n_rows, replace=False)
        )
        return X[np.ix_(rows, columns)]
    return X[:, columns]


def _fit_pca_patch(X, columns, n_components, n_rows, seed, params):
    """``(components, mean, n_kept, None)`` of sklearn's PCA on one patch."""
    patch = _patch_data(X, columns, n_rows, seed)
    mean = patch.mean(axis=0, dtype=np.float64)
    components = np.zeros((n_components, patch.shape[1]))
    if patch.shape[0] < 2 or np.all(patch == patch[0]):
        return components, mean, 0, None
    pca = PCA(
        n_components=min(n_components, patch.shape[0]), random_state=seed, **params
    ).fit(patch)
    n_kept = _n_informative(pca.explained_variance_, patch.shape[1], patch.dtype)
    components[:n_kept] = pca.components_[:n_kept]
    return components, pca.mean_.astype(np.float64), n_kept, None


def _fit_ica_patch(X, columns, n_components, n_rows, seed, params):
    """``(components, mean, n_kept, (n_iter, converged))`` of FastICA on one patch.

    FastICA whitens its input, which divides by the square root of the
    variances: the number of components is therefore limited to the number of
    informative directions of the patch (its numerical rank after centring),
    the rest stay zero. Constant pixels are left out of the fit (their weights
    stay zero): they carry no information, and FastICA's sign convention for
    the whitening vectors (the sign of their first entry) zeroes every vector
    when the first input is constant.
    """
    patch = _patch_data(X, columns, n_rows, seed)
    mean = patch.mean(axis=0, dtype=np.float64)
    components = np.zeros((n_components, patch.shape[1]))
    varying = np.any(patch != patch[0], axis=0)
    if patch.shape[0] < 2 or not np.any(varying):
        return components, mean, 0, (0, True)
    patch = patch[:, varying]
    centred = patch - mean[varying]
    variances = np.linalg.eigvalsh(centred.T @ centred)[::-1] / (patch.shape[0] - 1)
    n_kept = min(n_components, _n_informative(variances, patch.shape[1], patch.dtype))
    if n_kept == 0:
        return components, mean, 0, (0, True)
    # FastICA's whitening divides by every singular value before keeping the
    # n_kept largest: the zero ones of rank-deficient patches give NaN columns
    # that it then drops, so those divisions are silenced here.
    # Convergence is reported once for all patches by the caller (a warning
    # raised in a joblib worker process would be lost).
    with (
        np.errstate(divide="ignore", invalid="ignore"),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always", ConvergenceWarning)
        ica = FastICA(n_components=n_kept, random_state=seed, **params).fit(patch)
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    for w in caught:
        if not issubclass(w.category, ConvergenceWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if not np.all(np.isfinite(ica.components_)):
        return components, mean, 0, (ica.n_iter_, converged)
    components[:n_kept, varying] = ica.components_
    mean[varying] = ica.mean_
    return components, mean, n_kept, (ica.n_iter_, converged)


# About this many progress lines per fit with verbose > 0.
_N_PROGRESS_LINES = 10


class _LocalizedDecomposition(FilterBankTransformer):
    """Shared fit of the per-patch decompositions; subclasses pick the model."""

    _parameter_constraints: dict = {
        **{
            key: value
            for key, value in FilterBankTransformer._parameter_constraints.items()
            if key != "n_components"
        },
        "n_patches": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_components_per_patch": [Interval(numbers.Integral, 1, None, closed="left")],
        "patch_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "image_shape": [tuple, list, None],
        "max_samples": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(numbers.Real, 0, 1, closed="right"),
            None,
        ],
        "n_jobs": [numbers.Integral, None],
        "verbose": ["verbose"],
    }

    # Set by subclasses: the per-patch fitting function, whether patches at
    # the same position share one fit (their fit depends on the position
    # only), and what repeated positions cost (for the warning).
    _fit_patch = None
    _one_fit_per_position = False
    _repeat_cost = ""

    def _patch_model_params(self):
        """Keyword arguments of the scikit-learn model fitted on each patch."""
        return {}

    def _n_rows(self, n_samples):
        if self.max_samples is None:
            return n_samples
        if isinstance(self.max_samples, numbers.Integral):
            return min(int(self.max_samples), n_samples)
        return max(1, int(self.max_samples * n_samples))

    @fit_context
    def fit(self, X, y=None):
        """Fit one decomposition per random patch on the training pixels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training images as flat rows.
        y : ignored

        Returns
        -------
        self : object
        """
        X = validate_data(self, X, dtype=[np.float32, np.float64])
        dtype = resolve_dtype(self.dtype, X.dtype)
        self.image_shape_, patch_shape = self._image_geometry(X.shape[1])
        warn_if_channels_first(X, self.image_shape_, self)
        n_inputs = patch_shape[0] * patch_shape[1] * self.image_shape_[2]
        n_per_patch = self.n_components_per_patch
        if n_per_patch > n_inputs:
            raise ValueError(
                f"n_components_per_patch={n_per_patch} is larger than the "
                f"{n_inputs} inputs of a patch ({patch_shape[0]} x {patch_shape[1]} "
                f"pixels x {self.image_shape_[2]} channels of images with "
                f"n_features={X.shape[1]}); use n_components_per_patch <= "
                f"{n_inputs} or a larger patch_size."
            )
        rng = check_random_state(self.random_state)
        self.patch_origins_ = random_patch_origins(
            self.image_shape_, patch_shape, self.n_patches, rng
        )
        self._warn_repeated_positions(patch_shape)
        indices = patch_indices(self.image_shape_, patch_shape, self.patch_origins_)
        seeds = rng.randint(np.iinfo(np.int32).max, size=self.n_patches)
        results = self._fit_patches(X, indices, seeds)

        n_units = self.n_patches * n_per_patch
        components = np.zeros((n_units, X.shape[1]), dtype=dtype)
        intercept = np.zeros(n_units, dtype=np.float64)
        self.n_components_fitted_ = np.zeros(self.n_patches, dtype=np.int64)
        for patch, ((weights, mean, n_kept, _), columns) in enumerate(
            zip(results, indices, strict=True)
        ):
            rows = slice(patch * n_per_patch, (patch + 1) * n_per_patch)
            components[rows, columns] = weights
            intercept[rows] = -(weights @ mean)
            self.n_components_fitted_[patch] = n_kept
        self._warn_rank_deficient(n_per_patch)
        self._store_solver_info([info for *_, info in results])

        # One scalar for all features: the largest training feature value.
        self.components_ = components
        self.intercept_ = intercept.astype(dtype)
        largest = max(float(c.max()) for _, c in self._affine_batches(X))
        if not np.isfinite(largest):
            raise ValueError(
                "The per-patch decompositions produced non-finite features; "
                "check X for extreme values."
            )
        self.scale_ = largest if largest > 0 else 1.0
        self.components_ /= dtype(self.scale_)
        self.intercept_ = (intercept / self.scale_).astype(dtype)
        return self

    def _fit_patches(self, X, indices, seeds):
        """Per-patch results in patch order, fitted in parallel by joblib.

        With ``_one_fit_per_position``, patches at one position share the fit
        (and seed) of the first of them. Progress is printed each time about a
        tenth of the fits is done: results stream back in order while joblib
        keeps every worker busy.
        """
        if self._one_fit_per_position:
            _, first, which = np.unique(
                self.patch_origins_, axis=0, return_index=True, return_inverse=True
            )
        else:
            first = which = np.arange(self.n_patches)
        n_fits = len(first)
        n_rows = self._n_rows(X.shape[0])
        fit_patch = type(self)._fit_patch
        params = self._patch_model_params()
        stream = Parallel(n_jobs=self.n_jobs, return_as="generator")(
            delayed(fit_patch)(
                X, indices[i], self.n_components_per_patch, n_rows, seeds[i], params
            )
            for i in first
        )
        progress = Progress(self, n_fits, unit="patch fit", verbose=self.verbose)
        step = -(-n_fits // _N_PROGRESS_LINES)
        fits = []
        for done, result in enumerate(stream, start=1):
            fits.append(result)
            if done % step == 0 or done == n_fits:
                progress.update(done)
        return [fits[i] for i in np.ravel(which)]

    def _warn_repeated_positions(self, patch_shape):
        """Warn when at least half of the patches must repeat a position."""
        height, width, _ = self.image_shape_
        n_positions = (height - patch_shape[0] + 1) * (width - patch_shape[1] + 1)
        if self.n_patches < 2 * n_positions:
            return
        warnings.warn(
            f"n_patches={self.n_patches} is at least twice the {n_positions} "
            f"distinct positions of patch_size={self.patch_size} "
            f"({patch_shape[0]} x {patch_shape[1]} pixels) in {height} x {width} "
            f"images, so at least half of the patches repeat a position"
            f"{self._repeat_cost}. Use n_patches <= {n_positions} or a smaller "
            "patch_size.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )

    def _store_solver_info(self, infos):
        """Keep what the per-patch solvers report (one entry per patch)."""

    def _warn_rank_deficient(self, n_per_patch):
        short = self.n_components_fitted_ < n_per_patch
        if np.any(short):
            n_zero = int(np.sum(n_per_patch - self.n_components_fitted_))
            warnings.warn(
                f"{int(short.sum())} of {self.n_patches} patches have fewer than "
                f"n_components_per_patch={n_per_patch} directions of non-zero "
                f"variance in the training data (constant pixels such as image "
                f"borders, or fewer samples than inputs); their {n_zero} "
                "remaining components are set to zero and always output 0.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )


class LocalizedPCA(_LocalizedDecomposition):
    """Principal components of random image patches, rescaled and rectified.

    ``n_patches`` square patches are drawn at uniform positions (all channels
    of colour images); on each, scikit-learn's :class:`~sklearn.decomposition.PCA`
    with ``n_components_per_patch`` components is fitted on the training
    pixels of that patch. A hidden unit's current is its patch's PCA
    projection ``(x_patch - mean) @ component``; all currents are divided by
    one scalar, ``scale_``, the largest current over all training samples and
    units, and rectified: ``h = relu(PCA(x_patch) / scale_)``. This is the
    l-PCA layer of Illing, Gerstner & Brea (2019), where 500 patches x 10
    components on 10 x 10 patches gave 5000 hidden units. ``patch_size=None``
    fits on the whole image (then every "patch" is the same, so use
    ``n_patches=1``: global PCA with at most ``n_features`` components).

    Directions without variance in the training patch (constant border pixels
    of MNIST, fewer samples than inputs) give no component: those units get
    zero weights, and a warning says how many. Patches drawn at the same
    position share one PCA fit (it depends on the position only).

    Parameters
    ----------
    n_patches : int, default=500
        Number of random patches.
    n_components_per_patch : int, default=10
        Components kept per patch; at most the number of inputs of a patch
        (``patch_size**2 * channels``). ``n_patches * n_components_per_patch``
        is the number of hidden units.
    patch_size : int or None, default=10
        Side of each square patch in pixels; ``None`` for the whole image.
    image_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(height, width, channels)`` of the C-order
        images stored in the rows of ``X``. ``None`` means a square grayscale
        image (or, with ``patch_size=None``, any feature vector).
    max_samples : int, float or None, default=None
        Training rows used by each patch's fit: all when ``None``, at most
        this many when an int, this fraction of them when a float in (0, 1].
        Each patch position draws its own random subset. The scale is still
        the maximum over all training rows. PCA of all rows is cheap (the
        covariance of a patch), so the default uses them all.
    n_jobs : int or None, default=None
        Patches fitted in parallel by joblib (``-1``: all cores). The result
        does not depend on it.
    verbose : int, default=0
        Print a progress line (elapsed time, time left) each time about a
        tenth of the PCA fits (one per distinct patch position) is done.
    dtype : {"float32", "float64"} or None, default=None
        Floating type of the weights and of the transformed output. ``None``
        follows the input, as scikit-learn's estimators do: float32 data stay
        float32 (the fast path; the loaders of :mod:`skbio_plastic.datasets`
        return float32), anything else is computed in float64.
    random_state : int, RandomState instance or None, default=None
        Seed of the patch positions, the row subsets and the PCA solvers.

    Attributes
    ----------
    components_ : ndarray of shape (n_patches * n_components_per_patch, n_features)
        The PCA components of each patch divided by ``scale_``, zero outside
        the patch; units ``k * n_components_per_patch`` to
        ``(k + 1) * n_components_per_patch - 1`` belong to patch ``k``.
    intercept_ : ndarray of shape (n_patches * n_components_per_patch,)
        ``-components_ @ mean`` of each unit's patch: the PCA centring.
    scale_ : float
        The single divisor, the largest training feature before scaling.
    n_components_fitted_ : ndarray of shape (n_patches,)
        Components with non-zero variance per patch (the others are zero).
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
    LocalizedICA : the same with FastICA per patch.
    sklearn.decomposition.PCA : the model fitted on each patch.

    Notes
    -----
    The features do not depend on the scale of ``X``: multiplying ``X`` by
    ``c > 0`` multiplies every PCA projection and ``scale_`` by ``c``, so
    pixels in 0-255 give the same features as pixels in [0, 1] (only
    ``components_`` absorbs the factor).

    The defaults (500 patches x 10 components, 10 x 10 patches, all rows per
    patch) are the setting of the MNIST result of the README (records in
    ``benchmarks/results/``); the Fashion-MNIST and CIFAR-10 records used
    ``max_samples=10000``. When ``n_patches`` is at least twice the number of
    patch positions in the image (``patch_size=None`` has one), at least half
    of the patches repeat a position and ``fit`` warns.

    References
    ----------
    B. Illing, W. Gerstner, J. Brea. Biologically plausible deep learning - but
    how far can we go with shallow networks? Neural Networks 118 (2019) 90-101.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skbio_plastic.decomposition import LocalizedPCA
    >>> X, _ = load_digits(return_X_y=True)
    >>> lpca = LocalizedPCA(n_patches=20, n_components_per_patch=5, patch_size=4,
    ...                     random_state=0).fit(X / 16)
    >>> H = lpca.transform(X / 16)
    >>> H.shape, float(H.min()), round(float(H.max()), 4)
    ((1797, 100), 0.0, 1.0)
    """

    _fit_patch = staticmethod(_fit_pca_patch)
    _one_fit_per_position = True
    _repeat_cost = (
        "; they share one PCA fit, so their units are copies that add no information"
    )

    def __init__(
        self,
        n_patches=500,
        n_components_per_patch=10,
        *,
        patch_size=10,
        image_shape=None,
        max_samples=None,
        n_jobs=None,
        verbose=0,
        dtype=None,
        random_state=None,
    ):
        self.n_patches = n_patches
        self.n_components_per_patch = n_components_per_patch
        self.patch_size = patch_size
        self.image_shape = image_shape
        self.max_samples = max_samples
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.dtype = dtype
        self.random_state = random_state


class LocalizedICA(_LocalizedDecomposition):
    """Independent components of random image patches, rescaled and rectified.

    As :class:`LocalizedPCA`, with scikit-learn's
    :class:`~sklearn.decomposition.FastICA` fitted on each patch: a unit's
    current is its patch's ICA source ``(x_patch - mean) @ unmixing_row``,
    divided by the largest training current ``scale_`` and rectified. This is
    the l-ICA layer of Illing, Gerstner & Brea (2019). Only training data are
    seen (the paper's reference code also fitted on the test patches).

    FastICA whitens each patch, which is undefined along directions without
    variance: a patch with fewer informative directions than
    ``n_components_per_patch`` fits only as many sources as it has and the
    other units get zero weights (with a warning). When FastICA does not
    converge within ``max_iter`` on some patches, one ``ConvergenceWarning``
    says on how many; their components are used as they are.

    Parameters
    ----------
    n_patches : int, default=500
        Number of random patches.
    n_components_per_patch : int, default=10
        Sources per patch; at most the number of inputs of a patch.
    patch_size : int or None, default=10
        Side of each square patch in pixels; ``None`` for the whole image.
    image_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(height, width, channels)`` of the images.
    max_samples : int, float or None, default=10000
        Training rows used by each patch's fit: all when ``None``, at most
        this many when an int, this fraction when a float in (0, 1]. Each
        patch draws its own random subset; the scale is still the maximum
        over all training rows. FastICA's cost grows with the rows;
        10,000 per patch gave the l-ICA results of the README.
    fun : {"logcosh", "exp", "cube"}, default="logcosh"
        FastICA's contrast function.
    algorithm : {"parallel", "deflation"}, default="parallel"
        FastICA's algorithm.
    whiten : {"unit-variance", "arbitrary-variance"}, default="unit-variance"
        FastICA's whitening (whitening is required here: without it FastICA
        returns as many sources as inputs).
    whiten_solver : {"svd", "eigh"}, default="svd"
        FastICA's whitening solver; ``"eigh"`` is faster when there are many
        more training rows than patch inputs.
    max_iter : int, default=200
        FastICA's maximum number of iterations per patch.
    tol : float, default=1e-4
        FastICA's convergence tolerance.
    n_jobs : int or None, default=None
        Patches fitted in parallel by joblib. The result does not depend on it.
    verbose : int, default=0
        Print a progress line (elapsed time, time left) each time about a
        tenth of the per-patch fits is done.
    dtype : {"float32", "float64"} or None, default=None
        Floating type of the weights and of the transformed output. ``None``
        follows the input, as scikit-learn's estimators do: float32 data stay
        float32 (the fast path; the loaders of :mod:`skbio_plastic.datasets`
        return float32), anything else is computed in float64.
    random_state : int, RandomState instance or None, default=None
        Seed of the patch positions, the row subsets and FastICA's initial
        unmixing matrices.

    Attributes
    ----------
    components_ : ndarray of shape (n_patches * n_components_per_patch, n_features)
        FastICA's unmixing rows of each patch divided by ``scale_``, zero
        outside the patch.
    intercept_ : ndarray of shape (n_patches * n_components_per_patch,)
        ``-components_ @ mean`` of each unit's patch.
    scale_ : float
        The single divisor, the largest training feature before scaling.
    n_components_fitted_ : ndarray of shape (n_patches,)
        Sources fitted per patch (the others are zero).
    n_iter_ : int
        FastICA iterations of the slowest patch (``max_iter`` when some patch
        did not converge).
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
    LocalizedPCA : the same with PCA per patch.
    sklearn.decomposition.FastICA : the model fitted on each patch.

    Notes
    -----
    The features do not depend on the scale of ``X``: FastICA's sources have
    unit variance whatever the scale (``whiten="unit-variance"``), or scale
    with ``X`` like ``scale_`` does, so pixels in 0-255 give the same features
    as pixels in [0, 1].

    The defaults (500 patches x 10 sources, 10 x 10 patches, 10,000 rows per
    patch) are the setting of the MNIST, Fashion-MNIST and CIFAR-10 results
    of the README (records in ``benchmarks/results/``). As for
    :class:`LocalizedPCA`, ``fit`` warns when ``n_patches`` is at least twice
    the number of patch positions.

    References
    ----------
    B. Illing, W. Gerstner, J. Brea. Biologically plausible deep learning - but
    how far can we go with shallow networks? Neural Networks 118 (2019) 90-101.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skbio_plastic.decomposition import LocalizedICA
    >>> X, _ = load_digits(return_X_y=True)
    >>> lica = LocalizedICA(n_patches=20, n_components_per_patch=5, patch_size=4,
    ...                     max_iter=500, random_state=0).fit(X / 16)
    >>> lica.transform(X / 16).shape
    (1797, 100)
    """

    _parameter_constraints: dict = {
        **_LocalizedDecomposition._parameter_constraints,
        "fun": [StrOptions({"logcosh", "exp", "cube"})],
        "algorithm": [StrOptions({"parallel", "deflation"})],
        "whiten": [StrOptions({"unit-variance", "arbitrary-variance"})],
        "whiten_solver": [StrOptions({"svd", "eigh"})],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
    }

    _fit_patch = staticmethod(_fit_ica_patch)
    _repeat_cost = (
        "; each repeat is a full FastICA fit (from another initial unmixing "
        "matrix) of a patch already fitted"
    )

    def __init__(
        self,
        n_patches=500,
        n_components_per_patch=10,
        *,
        patch_size=10,
        image_shape=None,
        max_samples=10000,
        fun="logcosh",
        algorithm="parallel",
        whiten="unit-variance",
        whiten_solver="svd",
        max_iter=200,
        tol=1e-4,
        n_jobs=None,
        verbose=0,
        dtype=None,
        random_state=None,
    ):
        self.n_patches = n_patches
        self.n_components_per_patch = n_components_per_patch
        self.patch_size = patch_size
        self.image_shape = image_shape
        self.max_samples = max_samples
        self.fun = fun
        self.algorithm = algorithm
        self.whiten = whiten
        self.whiten_solver = whiten_solver
        self.max_iter = max_iter
        self.tol = tol
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.dtype = dtype
        self.random_state = random_state

    def _store_solver_info(self, infos):
        self.n_iter_ = int(max(n_iter for n_iter, _ in infos))
        n_failed = sum(not converged for _, converged in infos)
        if n_failed:
            warnings.warn(
                f"FastICA did not converge within max_iter={self.max_iter} "
                f"iterations on {n_failed} of {self.n_patches} patches; their "
                "components are used as they are. Increase max_iter or tol "
                "to silence this warning.",
                ConvergenceWarning,
                stacklevel=user_stacklevel(),
            )

    def _patch_model_params(self):
        return {
            "fun": self.fun,
            "algorithm": self.algorithm,
            "whiten": self.whiten,
            "whiten_solver": self.whiten_solver,
            "max_iter": self.max_iter,
            "tol": self.tol,
        }
