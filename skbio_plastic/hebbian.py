"""Hebbian front ends: Krotov & Hopfield's competing hidden units."""

import math
import numbers
import time
import warnings

import numpy as np
from sklearn.base import _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import validate_data

from ._base import FilterBankTransformer, resolve_dtype
from ._kernels import krotov as _krotov
from .receptive_fields import patch_mask, random_patch_origins, resolve_image_shape

__all__ = ["KrotovHebbianTransformer"]

# Divergence: the median row p-norm grew in each of this many consecutive
# epochs, by more than _GROWTH_TOLERANCE in total, while above 1; or one row's
# p-norm exceeds _BLOWUP_FACTOR times the typical initial norm (at least 1).
_GROWTH_EPOCHS = 3
_GROWTH_TOLERANCE = 0.1
_BLOWUP_FACTOR = 10.0

# Forward Euler of the hidden dynamics (solver="dynamics"): relative
# tolerance of the steady state and the most steps per input.
_DYNAMICS_TOL = 1e-6
_DYNAMICS_MAX_STEPS = 10_000
# normalize_input="patch": floor of a field's centred energy, as a fraction of
# the field's share of the whole input's centred energy.
_FIELD_ENERGY_FLOOR = 0.1


def _signed_power(W, p):
    """``sign(W) |W| ** (p - 1)`` as a new array (``W`` itself for p = 2)."""
    mode = _krotov.power_mode(p)
    if mode == _krotov.POWER_SAME:
        return W
    Wp = np.empty_like(W)
    _krotov.signed_power_rows(W, Wp, np.arange(W.shape[0]), mode, float(p))
    return Wp


def _norm_limit(n_inputs, p):
    """Row p-norm beyond which learning has blown up.

    ``_BLOWUP_FACTOR`` times ``max(1, E||w||_p)`` for ``n_inputs`` weights
    ``~ N(0, 1)``: the rule pulls rows from there towards 1, so a row far
    above both only gets there by overshooting steps.
    """
    moment = 2 ** (p / 2) * math.gamma((p + 1) / 2) / math.sqrt(math.pi)
    return _BLOWUP_FACTOR * max(1.0, (moment * n_inputs) ** (1.0 / p))


def _row_p_norms(W, Wp, p):
    """``(sum_i |W_i| ** p) ** (1 / p)`` of every row, using ``W * Wp = |W| ** p``."""
    sums = np.einsum("ij,ij->i", W, Wp, dtype=np.float64)
    return sums ** (1.0 / p)


class _Scratch:
    """Work arrays of the minibatch loop, allocated once per fit call."""

    def __init__(self, n_components, n_features, batch_size, dtype, solver):
        if solver == "ranking":
            capacity = 2 * batch_size
            n_rows = min(capacity, n_components)
        else:
            capacity = n_components * batch_size
            n_rows = n_components
            self.h = np.empty(n_components, dtype=np.float64)
        int_type = np.int32 if dtype == np.float32 else np.int64
        self.batch = np.empty((batch_size, n_features), dtype=dtype)
        # Flat, so that a short last batch still gets a C-contiguous (H, n).
        self.currents = np.empty(n_components * batch_size, dtype=dtype)
        self.indptr = np.empty(batch_size + 1, dtype=np.int64)
        self.units = np.empty(capacity, dtype=np.int64)
        self.gvals = np.empty(capacity, dtype=dtype)
        self.slot = np.full(n_components, -1, dtype=np.int64)
        self.rows = np.empty((n_rows, n_features), dtype=dtype)
        self.rows_bits = self.rows.view(int_type)
        self.abs_mask = int_type(np.iinfo(int_type).max)
        self.coef = np.empty(n_rows, dtype=dtype)
        self.touched = np.empty(n_rows, dtype=np.int64)
        self.not_converged = 0


def _minibatch_step(
    W, Wp, X_batch, learning_rate, *, k, delta, p, mask, scratch, solver, w_inh, h_star
):
    """One plasticity step on ``X_batch`` (already in ``W``'s dtype).

    Returns ``(n_touched, max |dW|)``: the rows changed are
    ``scratch.touched[:n_touched]``; ``max |dW|`` is not finite when the
    weights blew up (they are then left unchanged).
    """
    n = X_batch.shape[0]
    currents = scratch.currents[: W.shape[0] * n].reshape(W.shape[0], n)
    # The one dense product of the step: currents of all units, (H, B).
    np.dot(Wp, X_batch.T, out=currents)
    if solver == "ranking":
        nnz = _krotov.rank_top_and_kth(
            currents, k, delta, scratch.indptr, scratch.units, scratch.gvals
        )
        if nnz < 0:  # non-finite currents
            return 0, np.inf
        normalize = True
    else:
        _, not_converged, _ = _krotov.steady_state_dynamics(
            currents,
            w_inh,
            h_star,
            delta,
            _DYNAMICS_TOL,
            _DYNAMICS_MAX_STEPS,
            scratch.indptr,
            scratch.units,
            scratch.gvals,
            scratch.h,
        )
        scratch.not_converged += not_converged
        normalize = False
    return _krotov.sparse_plasticity_step(
        W,
        Wp,
        X_batch,
        currents,
        scratch.indptr,
        scratch.units,
        scratch.gvals,
        learning_rate,
        normalize,
        _krotov.power_mode(p),
        float(p),
        mask,
        scratch.slot,
        scratch.rows,
        scratch.rows_bits,
        scratch.abs_mask,
        scratch.coef,
        scratch.touched,
    )


def _run_epoch(W, Wp, X, order, batch_size, learning_rate, *, scratch, **step_params):
    """One pass over ``X[order]`` in minibatches; returns ``(n_steps, finite)``.

    Module-level (not a method) so that the speed benchmark times exactly
    the loop the estimator runs. Stops at the first step whose update is not
    finite.
    """
    n_steps = 0
    for start in range(0, order.shape[0], batch_size):
        index = order[start : start + batch_size]
        batch = scratch.batch[: index.shape[0]]
        if X.dtype == batch.dtype:
            np.take(X, index, axis=0, out=batch)
        else:
            batch[...] = X[index]
        _, largest = _minibatch_step(
            W, Wp, batch, learning_rate, scratch=scratch, **step_params
        )
        n_steps += 1
        if not np.isfinite(largest):
            return n_steps, False
    return n_steps, True


class KrotovHebbianTransformer(FilterBankTransformer):
    """Hidden units that compete for inputs and learn with a local Hebbian rule.

    The unsupervised layer of Krotov & Hopfield (2019). Each hidden unit
    ``mu`` has weights ``W[mu]`` (a row of ``components_``) and receives the
    current ``I_mu = sum_i sign(W_mu_i) |W_mu_i| ** (p - 1) x_i``. For every
    input the unit with the largest current moves its weights towards the
    input (Hebbian, ``g = 1``) and the unit ranked ``k``-th moves away from it
    (anti-Hebbian, ``g = -delta``)::

        dW_mu = sum_A g_A_mu * (x_A - I_A_mu * W_mu)

    summed over a minibatch and applied as ``W += eps * dW / max |dW|``, so
    that the largest synapse change of a step is ``eps``. The rule drives
    every active row towards the unit ``p``-sphere; its fixed points are
    prototypes of the inputs (for MNIST, digit-like receptive fields). No
    label is used.

    Learning sees the raw inputs (no centring: pixels in ``[0, 1]`` as in the
    paper). The transform is the paper's classifier input: with
    ``normalize_input=True`` each input is scaled to unit L2 length, then
    ``relu(W x / ||x||) ** power``.

    Parameters
    ----------
    n_components : int, default=2000
        Number of hidden units ``H``.
    p : float, default=3.0
        Exponent of the Lebesgue inner product (any real ``>= 2``); the rows
        converge to the unit ``p``-sphere. ``p = 2`` and ``p = 3`` are the
        fastest.
    k : int, default=7
        Rank of the unit that receives the anti-Hebbian update (``>= 2``, at
        most ``n_components``). A single unit (``n_components=1``) has no
        rival: it learns by the Hebbian term alone and ``k`` is unused.
    delta : float, default=0.4
        Strength of the anti-Hebbian update (``>= 0``; 0 is pure
        winner-take-all Hebbian learning).
    learning_rate : float, default=0.02
        Initial ``eps``: the largest synapse change of one minibatch step
        (``solver="ranking"``), or the Euler step of the weight ODE
        (``solver="dynamics"``). It decays linearly per epoch,
        ``eps = learning_rate * (1 - epoch / n_epochs)``.
    n_epochs : int, default=100
        Passes over the data in ``fit``, each with a fresh shuffle. About
        1.2 s per MNIST epoch for ``H = 2000`` on two cores, so the default fit
        takes about 2 minutes; the paper's published accuracy used more.
    batch_size : int, default=100
        Inputs per minibatch step in ``fit``.
    power : float, default=4.5
        Exponent ``n`` of the activation ``relu(.) ** n`` in ``transform``
        (the paper uses 4.5 on MNIST). It does not affect learning.
    normalize_input : bool or "patch", default=True
        In ``transform``, scale each input to unit L2 length before the
        product (the authors' advice for the classifier; all-zero rows stay
        zero). ``"patch"``: each unit sees its own receptive field (its patch,
        or the whole input without patches) with the field's mean removed and
        scaled to unit length, ``relu(w . (x_P - m_P) / c_P) ** power`` with
        ``c_P = sqrt(||x_P - m_P||^2 + f)``; the floor ``f``, a tenth of the
        field's share of the input's own centred energy, keeps flat patches
        from being blown up. This local contrast normalisation is what colour
        images need (see the results page). Learning always sees the raw
        inputs.
    patch_size : int or None, default=None
        Localized variant: each unit sees only one random square patch of
        ``patch_size x patch_size`` pixels (all channels) and its weights stay
        zero outside it; all units still compete with each other. ``None``:
        every unit sees the whole input (the paper's network).
    image_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(height, width, channels)`` of the C-order
        images in the rows of ``X``: the geometry of the patches (localized
        variant) and of plots. ``None`` infers a square grayscale image (or,
        without patches and for a non-square ``n_features``, one row).
    solver : {"ranking", "dynamics"}, default="ranking"
        ``"ranking"``: the fast rule above (the steady state of the dynamics
        approximated by the ranks of the currents). ``"dynamics"``: for every
        input, integrate the hidden dynamics with global inhibition
        ``tau dh/dt = I - w_inh sum_{nu != mu} relu(h_nu) - h`` by forward
        Euler to its steady state, then apply ``g(h) = 1`` for
        ``h >= h_star``, ``-delta`` for ``0 <= h < h_star``, 0 for ``h < 0``,
        in an Euler step of ``tau_L dW/dt = g(h) (x - I W)`` of length
        ``learning_rate`` (``dt / tau_L``), averaged over the minibatch. With
        ``tau << tau_L`` the hidden state is at its steady state, where
        ``tau`` drops out, and ``tau_L`` enters only through that step: so
        neither is a separate parameter. Much slower (tens to hundreds of
        Euler steps over all units per input) and meant for studying the
        dynamics. It is known to be unstable in the anti-Hebbian regime: the
        weights of units with ``0 <= h < h_star`` grow along themselves
        (``-delta (x - I W)``), and raw Euler steps of the weight ODE
        overshoot where ``learning_rate * I`` is large; both stop the fit with
        an error; use a small ``delta`` (e.g. 0.01) and ``learning_rate``.
    w_inh : float, default=0.8
        Strength of the global inhibition (``solver="dynamics"``).
    h_star : float or None, default=None
        Threshold between the anti-Hebbian and the Hebbian range of ``h``
        (``solver="dynamics"``). ``None`` uses half of the largest steady
        state ``h`` of each input, so that the most active unit is always
        Hebbian whatever the scale of the currents.
    dtype : {"float32", "float64"}, default="float32"
        Floating type of the weights, of learning and of ``transform``.
    random_state : int, RandomState instance or None, default=None
        Seed of the initial weights, the patch positions and the shuffles.
    verbose : int, default=0
        Print one line per epoch: epoch, seconds, median row ``p``-norm
        (which falls from its random start, about 11 for MNIST at ``p = 3``,
        towards 1).

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The learned weights ``W`` (zero outside the patches of the localized
        variant).
    intercept_ : ndarray of shape (n_components,)
        Zeros (the units have no bias).
    n_iter_ : int
        Epochs run by the last ``fit``.
    n_epochs_ : int
        Epochs completed in total (sets the learning rate of ``partial_fit``).
    n_steps_ : int
        Minibatch steps done in total (``fit`` and ``partial_fit``).
    median_p_norms_ : list of float
        Median row ``p``-norm after each epoch of the last ``fit`` (the first
        entry is the initial value).
    patch_origins_ : ndarray of shape (n_components, 2)
        ``(row, column)`` of each unit's patch (localized variant only).
    image_shape_ : tuple of 3 int
        ``(height, width, channels)`` used for the geometry.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    LocalDeltaClassifier : the readout; ``loss="power_tanh"`` is the paper's.

    Notes
    -----
    **Speed.** A minibatch step costs one GEMM (the currents of all units,
    with ``sign(W) |W| ** (p - 1)`` cached and refreshed only on the rows that
    changed) plus serial numba kernels that are nearly free beside it: a
    partial selection of the top and ``k``-th unit (no sort) and an update of
    only the rows with a non-zero ``g`` (no dense ``H x B`` matrix).

    **partial_fit** does one step with ``X`` as one minibatch, at the rate of
    the current epoch of the schedule, ``learning_rate * (1 - e / n_epochs)``
    with ``e = min(n_epochs_, n_epochs - 1)``: a stream that starts with
    ``partial_fit`` learns at ``learning_rate``; after a complete ``fit`` it
    continues at the schedule's last rate, ``learning_rate / n_epochs``. It
    never reshuffles and does not advance ``n_epochs_``.

    **Divergence.** The rule shrinks every row from its random start
    (``p``-norm about ``(E|z|^p D) ** (1 / p)``, 11 for MNIST and ``p = 3``)
    towards 1, so growth means the steps are too large. The fit stops with a
    ``ValueError`` naming ``learning_rate`` (``components_`` keep the last
    finite weights: a step with a non-finite update is not applied) when

    - a step produces non-finite weights, or
    - a row's ``p``-norm exceeds 10 times ``max(1, E||w||_p)`` of the random
      start (checked after every epoch of ``fit``, and on the changed rows
      after every ``partial_fit`` step), or
    - the median row ``p``-norm grows in each of 3 consecutive epochs of
      ``fit``, by more than 10 % in total, while above 1.

    References
    ----------
    D. Krotov, J. J. Hopfield. Unsupervised learning by competing hidden
    units. PNAS 116 (16) 7723-7731 (2019).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skbio_plastic import KrotovHebbianTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> krotov = KrotovHebbianTransformer(n_components=100, k=2, n_epochs=5,
    ...                                   random_state=0).fit(X / 16)
    >>> krotov.transform(X / 16).shape
    (1797, 100)
    """

    _parameter_constraints: dict = {
        **FilterBankTransformer._parameter_constraints,
        "p": [Interval(numbers.Real, 2, None, closed="left")],
        "k": [Interval(numbers.Integral, 2, None, closed="left")],
        "delta": [Interval(numbers.Real, 0, None, closed="left")],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "n_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "power": [Interval(numbers.Real, 0, None, closed="neither")],
        "normalize_input": ["boolean", StrOptions({"patch"})],
        "patch_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "image_shape": [tuple, list, None],
        "solver": [StrOptions({"ranking", "dynamics"})],
        "w_inh": [Interval(numbers.Real, 0, None, closed="left")],
        "h_star": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_components=2000,
        *,
        p=3.0,
        k=7,
        delta=0.4,
        learning_rate=0.02,
        n_epochs=100,
        batch_size=100,
        power=4.5,
        normalize_input=True,
        patch_size=None,
        image_shape=None,
        solver="ranking",
        w_inh=0.8,
        h_star=None,
        dtype="float32",
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.p = p
        self.k = k
        self.delta = delta
        self.learning_rate = learning_rate
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.power = power
        self.normalize_input = normalize_input
        self.patch_size = patch_size
        self.image_shape = image_shape
        self.solver = solver
        self.w_inh = w_inh
        self.h_star = h_star
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the weights from ``X`` (no labels) for ``n_epochs`` epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs, used as given (no centring).
        y : ignored

        Returns
        -------
        self : KrotovHebbianTransformer
        """
        X = validate_data(self, X, dtype=[np.float32, np.float64])
        rng = check_random_state(self.random_state)
        self._initialize(X.shape[1], rng)
        W, Wp, mask = self.components_, self._signed_weights, self._mask
        scratch = _Scratch(
            self.n_components, X.shape[1], self.batch_size, W.dtype, self.solver
        )
        step_params = self._step_params(mask)
        norms = [float(np.median(_row_p_norms(W, Wp, self.p)))]
        self.median_p_norms_ = norms
        self.n_iter_ = 0
        for epoch in range(self.n_epochs):
            start = time.perf_counter()
            rate = self.learning_rate * (1.0 - epoch / self.n_epochs)
            order = rng.permutation(X.shape[0])
            # Overflow is detected and reported below, not warned about.
            with np.errstate(over="ignore", invalid="ignore"):
                n_steps, finite = _run_epoch(
                    W,
                    Wp,
                    X,
                    order,
                    self.batch_size,
                    rate,
                    scratch=scratch,
                    **step_params,
                )
                row_norms = _row_p_norms(W, Wp, self.p)
            self.n_steps_ += n_steps
            if not finite or not np.isfinite(W).all():
                self._raise_diverged(
                    f"the weights became non-finite in epoch {epoch + 1}"
                )
            norms.append(float(np.median(row_norms)))
            self.n_iter_ = epoch + 1
            self.n_epochs_ += 1
            if self.verbose:
                print(
                    f"[{type(self).__name__}] epoch {epoch + 1}/{self.n_epochs}: "
                    f"{time.perf_counter() - start:.2f} s, "
                    f"median row p-norm {norms[-1]:.4f}",
                    flush=True,
                )
            self._check_blowup(row_norms, self._n_inputs(W))
            self._check_growth(norms)
        if scratch.not_converged:
            warnings.warn(
                f"The hidden dynamics did not reach a steady state within "
                f"{_DYNAMICS_MAX_STEPS} Euler steps for {scratch.not_converged} "
                "inputs.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def partial_fit(self, X, y=None):
        """One minibatch step with ``X`` as the minibatch.

        The learning rate continues the schedule of ``fit`` (see Notes of the
        class): ``learning_rate * (1 - min(n_epochs_, n_epochs - 1) / n_epochs)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One minibatch of inputs (any number of rows).
        y : ignored

        Returns
        -------
        self : KrotovHebbianTransformer
        """
        first = not hasattr(self, "components_")
        if first:
            self._validate_params()
        X = validate_data(self, X, dtype=[np.float32, np.float64], reset=first)
        if first:
            self._initialize(X.shape[1], check_random_state(self.random_state))
            self.median_p_norms_ = []
            self.n_iter_ = 0
        W = self.components_
        Wp, mask = self._cached_signed_weights(), self._cached_mask()
        scratch = _Scratch(
            self.n_components, X.shape[1], X.shape[0], W.dtype, self.solver
        )
        epoch = min(self.n_epochs_, self.n_epochs - 1)
        rate = self.learning_rate * (1.0 - epoch / self.n_epochs)
        batch = X.astype(W.dtype, copy=False)
        with np.errstate(over="ignore", invalid="ignore"):
            n_touched, largest = _minibatch_step(
                W, Wp, batch, rate, scratch=scratch, **self._step_params(mask)
            )
            touched = scratch.touched[:n_touched]
            norms = _row_p_norms(W[touched], Wp[touched], self.p)
        self.n_steps_ += 1
        if not np.isfinite(largest):
            self._raise_diverged("the weights became non-finite in this step")
        self._check_blowup(norms, self._n_inputs(W))
        return self

    # ------------------------------------------------------------ internals

    def _initialize(self, n_features, rng):
        """Draw ``W ~ N(0, 1)`` (masked to patches when localized)."""
        if self.n_components > 1 and self.k > self.n_components:
            raise ValueError(
                f"k={self.k} must be at most n_components={self.n_components}: "
                "the k-th ranked unit receives the anti-Hebbian update."
            )
        dtype = resolve_dtype(self.dtype)
        localized = self.patch_size is not None
        if localized or self.image_shape is not None:
            self.image_shape_, patch_shape = self._image_geometry(n_features)
        else:  # whole-input units: a square image if it is one (for plots)
            try:
                self.image_shape_ = resolve_image_shape(None, n_features)
            except ValueError:
                self.image_shape_ = (1, n_features, 1)
        W = rng.standard_normal((self.n_components, n_features)).astype(dtype)
        mask = np.empty((0, 0), dtype=dtype)
        if localized:
            self.patch_origins_ = random_patch_origins(
                self.image_shape_, patch_shape, self.n_components, rng
            )
            mask = patch_mask(self.image_shape_, patch_shape, self.patch_origins_)
            mask = mask.astype(dtype)
            W *= mask
        elif hasattr(self, "patch_origins_"):
            del self.patch_origins_
        self.components_ = W
        self.intercept_ = np.zeros(self.n_components, dtype=dtype)
        self._signed_weights = _signed_power(W, self.p)
        self._signed_weights_of = (W, float(self.p))
        self._mask = mask
        self.n_epochs_ = 0
        self.n_steps_ = 0

    def _step_params(self, mask):
        h_star = -0.5 if self.h_star is None else float(self.h_star)
        return dict(
            k=int(self.k),
            delta=float(self.delta),
            p=float(self.p),
            mask=mask,
            solver=self.solver,
            w_inh=float(self.w_inh),
            h_star=h_star,
        )

    def _cached_signed_weights(self):
        """``sign(W) |W| ** (p - 1)`` of the current ``components_``."""
        cached = getattr(self, "_signed_weights_of", None)
        if (
            cached is None
            or cached[0] is not self.components_
            or cached[1] != float(self.p)
        ):
            self._signed_weights = _signed_power(self.components_, self.p)
            self._signed_weights_of = (self.components_, float(self.p))
        return self._signed_weights

    def _cached_mask(self):
        mask = getattr(self, "_mask", None)
        if mask is None:
            dtype = self.components_.dtype
            if hasattr(self, "patch_origins_"):
                patch_shape = self._image_geometry(self.components_.shape[1])[1]
                mask = patch_mask(self.image_shape_, patch_shape, self.patch_origins_)
                mask = mask.astype(dtype)
            else:
                mask = np.empty((0, 0), dtype=dtype)
            self._mask = mask
        return mask

    def _check_growth(self, norms):
        """Raise when the median row p-norm grows away from 1 (see Notes)."""
        if len(norms) <= _GROWTH_EPOCHS:
            return
        recent = norms[-_GROWTH_EPOCHS - 1 :]
        growing = all(b > a for a, b in zip(recent[:-1], recent[1:], strict=True))
        if (
            growing
            and recent[-1] > 1.0
            and recent[-1] > (1.0 + _GROWTH_TOLERANCE) * recent[0]
        ):
            self._raise_diverged(
                f"the median row p-norm grew in {_GROWTH_EPOCHS} consecutive "
                f"epochs, from {recent[0]:.4g} to {recent[-1]:.4g}"
            )

    def _n_inputs(self, W):
        """Inputs per unit: the patch size or all features."""
        if hasattr(self, "patch_origins_"):
            height, width = self._image_geometry(W.shape[1])[1]
            return height * width * self.image_shape_[2]
        return W.shape[1]

    def _check_blowup(self, row_norms, n_inputs):
        """Raise when a row's p-norm is far above where any row starts."""
        if row_norms.size == 0:
            return
        limit = _norm_limit(n_inputs, self.p)
        largest = float(row_norms.max())
        if not largest <= limit:  # also catches NaN
            self._raise_diverged(
                f"a row's p-norm reached {largest:.4g}, more than {limit:.4g} "
                f"({_BLOWUP_FACTOR:g} times the norm of the random start)"
            )

    def _raise_diverged(self, what):
        hint = ""
        if self.solver == "dynamics":
            hint = (
                " The dynamics solver is unstable in the anti-Hebbian regime: "
                f"also try a smaller delta (got delta={self.delta})."
            )
        raise ValueError(
            f"{type(self).__name__} diverged: {what}. Decrease learning_rate "
            f"(got learning_rate={self.learning_rate}).{hint}"
        )

    def _activate(self, currents, X_batch):
        """``relu(currents / ||x||) ** power`` in place (one fused pass).

        With ``normalize_input="patch"`` each unit's receptive field is
        centred and normalised instead (``_normalize_receptive_fields``).
        """
        if self.normalize_input == "patch":
            self._normalize_receptive_fields(currents, X_batch)
            return
        if self.normalize_input:
            norms = np.sqrt(np.einsum("ij,ij->i", X_batch, X_batch))
            norms[norms == 0] = 1.0  # an all-zero input stays zero
            scale = (1.0 / norms).astype(currents.dtype)
        else:
            scale = np.ones(currents.shape[0], dtype=currents.dtype)
        _krotov.scaled_relu_power(currents, scale, float(self.power))

    def _normalize_receptive_fields(self, currents, X_batch):
        """``relu(w_mu . (x_P - m_P) / c_P) ** power`` in place, P mu's field.

        The statistics of the distinct fields come from two products with
        their masks, ``(X, X**2) @ masks.T``, a fraction of the main product.
        """
        fields, field_of_unit, row_sums = self._receptive_fields()
        size = fields.sum(axis=1)
        sums = X_batch @ fields.T
        energy = (X_batch * X_batch) @ fields.T
        means = sums / size
        energy -= sums * means  # centred: ||x_P||^2 - |P| m_P^2
        image_sums = X_batch.sum(axis=1, keepdims=True)
        image_energy = np.einsum("ij,ij->i", X_batch, X_batch)[:, None]
        image_energy -= image_sums * image_sums / X_batch.shape[1]
        floor = _FIELD_ENERGY_FLOOR * image_energy * (size / X_batch.shape[1])
        with np.errstate(divide="ignore"):  # a constant input: its features are 0
            inverse_norms = 1.0 / np.sqrt(np.maximum(energy, 0) + floor)
        inverse_norms[~np.isfinite(inverse_norms)] = 0.0
        _krotov.field_normalized_relu_power(
            currents,
            means.astype(currents.dtype, copy=False),
            inverse_norms.astype(currents.dtype, copy=False),
            field_of_unit,
            row_sums.astype(currents.dtype, copy=False),
            float(self.power),
        )

    def _receptive_fields(self):
        """Masks of the distinct receptive fields, each unit's field, row sums."""
        W = self.components_
        if not hasattr(self, "patch_origins_"):
            return np.ones((1, W.shape[1]), W.dtype), np.zeros(len(W), int), W.sum(1)
        origins, field_of_unit = np.unique(
            self.patch_origins_, axis=0, return_inverse=True
        )
        patch_shape = self._image_geometry(W.shape[1])[1]
        fields = patch_mask(self.image_shape_, patch_shape, origins)
        return fields.astype(W.dtype), field_of_unit.ravel(), W.sum(axis=1)

    def __getstate__(self):
        state = super().__getstate__()
        # Caches, rebuilt from components_ and patch_origins_ when needed.
        for name in ("_signed_weights", "_signed_weights_of", "_mask"):
            state.pop(name, None)
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
