"""Hebbian front ends: Krotov & Hopfield's competing hidden units."""

import math
import numbers
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from ._base import FilterBankTransformer
from ._kernels import krotov as _krotov
from ._krotov_training import (
    DYNAMICS_MAX_STEPS,
    Scratch,
    minibatch_step,
    row_p_norms,
    run_epoch,
    signed_power,
)
from ._progress import Progress
from ._sklearn_compat import Interval, StrOptions, fit_context
from ._validation import (
    check_unchanged,
    resolve_dtype,
    structure,
    user_stacklevel,
    warn_if_channels_first,
)
from .receptive_fields import (
    patch_indices,
    patch_mask,
    random_patch_origins,
    resolve_image_shape,
)

__all__ = ["KrotovHebbianTransformer"]

# Divergence: the median row p-norm grew in each of this many consecutive
# epochs, by more than _GROWTH_TOLERANCE in total, while above 1; or one row's
# p-norm exceeds _BLOWUP_FACTOR times the typical initial norm (at least 1).
_GROWTH_EPOCHS = 3
_GROWTH_TOLERANCE = 0.1
_BLOWUP_FACTOR = 10.0

# normalize_input="patch": floor of a field's centred energy, as a fraction of
# the field's share of the whole input's centred energy.
_FIELD_ENERGY_FLOOR = 0.1


def _norm_limit(n_inputs, p):
    """Row p-norm beyond which learning has blown up.

    ``_BLOWUP_FACTOR`` times ``max(1, E||w||_p)`` for ``n_inputs`` weights
    ``~ N(0, 1)``: the rule pulls rows from there towards 1, so a row far
    above both only gets there by overshooting steps.
    """
    moment = 2 ** (p / 2) * math.gamma((p + 1) / 2) / math.sqrt(math.pi)
    return _BLOWUP_FACTOR * max(1.0, (moment * n_inputs) ** (1.0 / p))


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

    **Input scale.** The ranking rule is scale-free: ``s * X`` for any
    ``s > 0`` (e.g. pixels in 0-255 instead of ``[0, 1]``) learns the same
    weights as ``X``, since the ranks of the currents and the normalised step
    ``dW / max |dW|`` do not depend on ``s``; so are the features with
    ``normalize_input=True`` or ``"patch"`` (with ``False`` they grow as
    ``s ** power``). With ``solver="dynamics"`` the Euler step of the weights
    grows as ``s``: ``s * X`` with ``learning_rate / s`` learns the same
    weights as ``X`` (too large a step stops the fit with an error).

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
        rival: it learns by the Hebbian term alone and ``k`` is unused, as it
        is with ``solver="dynamics"``.
    delta : float, default=0.4
        Strength of the anti-Hebbian update (``>= 0``; 0 is pure
        winner-take-all Hebbian learning).
    learning_rate : float, default=0.02
        Initial ``eps``: the largest synapse change of one minibatch step
        (``solver="ranking"``), or the Euler step of the weight ODE
        (``solver="dynamics"``). It decays linearly per epoch,
        ``eps = learning_rate * (1 - epoch / n_epochs)``.
    n_epochs : int, default=100
        Passes over the data in ``fit``, each with a fresh shuffle. An epoch
        costs little more than one product of ``H x n_features`` weights with
        all ``n_samples`` inputs (see Notes; ``python -m skbio_plastic bench
        speed`` times it on this machine, ``verbose=1`` prints the time left);
        the paper's published accuracy used more epochs.
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
    dtype : {"float32", "float64"} or None, default=None
        Floating type of the weights, of learning and of ``transform``.
        ``None`` follows the input, as scikit-learn's estimators do: float32
        data stay float32 (the fast path; the loaders of
        :mod:`skbio_plastic.datasets` return float32), anything else is
        learned in float64.
    random_state : int, RandomState instance or None, default=None
        Seed of the initial weights, the patch positions and the shuffles.
    verbose : int, default=0
        Print one line per epoch of ``fit``: the epoch, time elapsed and
        left, and the median row ``p``-norm (which falls from its random
        start, about 11 for MNIST at ``p = 3``, towards 1).

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
    ``H x D x B`` multiply-adds, with ``sign(W) |W| ** (p - 1)`` computed once
    per ``fit`` or ``partial_fit`` call and then refreshed only on the rows
    that changed) plus serial numba kernels that are nearly free beside it: a
    partial selection of the top and ``k``-th unit (no sort) and an update of
    only the rows with a non-zero ``g`` (no dense ``H x B`` matrix), on only
    the synapses inside the patch of a localized unit.

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
        dtype=None,
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

    @fit_context
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
        self._check_k()
        X = validate_data(self, X, dtype=[np.float32, np.float64])
        rng = check_random_state(self.random_state)
        self._initialize(X, rng)
        W = self.components_
        Wp = signed_power(W, self.p)  # kept in step with W by every step
        fields = self._fields()
        scratch = self._scratch(self.batch_size, fields)
        step_params = self._step_params(fields)
        norms = [float(np.median(row_p_norms(W, Wp, self.p)))]
        self.median_p_norms_ = norms
        self.n_iter_ = 0
        progress = Progress(self, self.n_epochs, verbose=self.verbose)
        for epoch in range(self.n_epochs):
            rate = self.learning_rate * (1.0 - epoch / self.n_epochs)
            order = rng.permutation(X.shape[0])
            # Overflow is detected and reported below, not warned about.
            with np.errstate(over="ignore", invalid="ignore"):
                n_steps, finite = run_epoch(
                    W,
                    Wp,
                    X,
                    order,
                    self.batch_size,
                    rate,
                    scratch=scratch,
                    **step_params,
                )
                row_norms = row_p_norms(W, Wp, self.p)
            self.n_steps_ += n_steps
            if not finite or not np.isfinite(W).all():
                self._raise_diverged(
                    f"the weights became non-finite in epoch {epoch + 1}"
                )
            norms.append(float(np.median(row_norms)))
            self.n_iter_ = epoch + 1
            self.n_epochs_ += 1
            progress.update(epoch + 1, **{"median row p-norm": norms[-1]})
            self._check_blowup(row_norms, fields)
            self._check_growth(norms)
        if scratch.not_converged:
            warnings.warn(
                f"The hidden dynamics did not reach a steady state within "
                f"{DYNAMICS_MAX_STEPS} Euler steps for {scratch.not_converged} "
                "inputs.",
                ConvergenceWarning,
                stacklevel=user_stacklevel(),
            )
        return self

    @fit_context
    def partial_fit(self, X, y=None):
        """One minibatch step with ``X`` as the minibatch.

        The learning rate continues the schedule of ``fit`` (see Notes of the
        class): ``learning_rate * (1 - min(n_epochs_, n_epochs - 1) / n_epochs)``.
        Parameters are validated on every call, so a change made with
        ``set_params`` takes effect at the next step (those that fix the
        shape of the weights, ``n_components``, ``patch_size``,
        ``image_shape`` and ``dtype``, cannot change: call ``fit``).

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
        if not first:
            check_unchanged(self, self._fitted_structure, self._structure())
        self._check_k()
        X = validate_data(self, X, dtype=[np.float32, np.float64], reset=first)
        if first:
            self._initialize(X, check_random_state(self.random_state))
            self.median_p_norms_ = []
            self.n_iter_ = 0
        W = self.components_
        # Computed afresh: components_ may have been edited since the last call.
        Wp = signed_power(W, self.p)
        fields = self._fields()
        scratch = self._scratch(X.shape[0], fields)
        epoch = min(self.n_epochs_, self.n_epochs - 1)
        rate = self.learning_rate * (1.0 - epoch / self.n_epochs)
        batch = X.astype(W.dtype, copy=False)
        with np.errstate(over="ignore", invalid="ignore"):
            n_touched, largest = minibatch_step(
                W, Wp, batch, rate, scratch=scratch, **self._step_params(fields)
            )
            touched = scratch.touched[:n_touched]
            norms = row_p_norms(W[touched], Wp[touched], self.p)
        self.n_steps_ += 1
        if not np.isfinite(largest):
            self._raise_diverged("the weights became non-finite in this step")
        self._check_blowup(norms, fields)
        return self

    # ------------------------------------------------------------ internals

    def _check_k(self):
        """``k`` must rank among the units where it is used."""
        if self.solver == "ranking" and 1 < self.n_components < self.k:
            raise ValueError(
                f"k={self.k} must be at most n_components={self.n_components}: "
                "the k-th ranked unit receives the anti-Hebbian update."
            )

    def _structure(self):
        """The parameters that fix the shape of the learned state, normalised.

        ``partial_fit`` cannot continue after one of them changed.
        """
        return structure(self, ("n_components", "patch_size", "image_shape", "dtype"))

    def _initialize(self, X, rng):
        """Check ``X`` and draw ``W ~ N(0, 1)`` (zero outside the patches)."""
        dtype = resolve_dtype(self.dtype, X.dtype)
        n_features = X.shape[1]
        localized = self.patch_size is not None
        if localized or self.image_shape is not None:
            self.image_shape_, self._patch_shape = self._image_geometry(n_features)
        else:  # whole-input units: a square image if it is one (for plots)
            try:
                self.image_shape_ = resolve_image_shape(None, n_features)
            except ValueError:
                self.image_shape_ = (1, n_features, 1)
        if self.image_shape_[2] > 1:
            warn_if_channels_first(X, self.image_shape_, self)
        W = rng.standard_normal((self.n_components, n_features)).astype(dtype)
        if localized:
            self.patch_origins_ = random_patch_origins(
                self.image_shape_, self._patch_shape, self.n_components, rng
            )
            W *= patch_mask(self.image_shape_, self._patch_shape, self.patch_origins_)
        elif hasattr(self, "patch_origins_"):
            del self.patch_origins_
        self.components_ = W
        self.intercept_ = np.zeros(self.n_components, dtype=dtype)
        self._fitted_structure = self._structure()
        self.n_epochs_ = 0
        self.n_steps_ = 0

    def _fields(self):
        """``(starts, offsets)`` of the localized units, or ``None``.

        Unit ``mu`` sees the features ``starts[mu] + offsets``: its patch,
        all channels (see ``receptive_fields.patch_indices``).
        """
        if not hasattr(self, "patch_origins_"):
            return None
        corner = np.zeros((1, 2), dtype=np.int64)
        offsets = patch_indices(self.image_shape_, self._patch_shape, corner)[0]
        starts = patch_indices(self.image_shape_, (1, 1), self.patch_origins_)[:, 0]
        return starts, offsets

    def _scratch(self, batch_size, fields):
        """Work arrays for steps of up to ``batch_size`` inputs."""
        W = self.components_
        field_size = None if fields is None else fields[1].shape[0]
        return Scratch(*W.shape, batch_size, W.dtype, self.solver, field_size)

    def _step_params(self, fields):
        h_star = -0.5 if self.h_star is None else float(self.h_star)
        return dict(
            k=int(self.k),
            delta=float(self.delta),
            p=float(self.p),
            solver=self.solver,
            w_inh=float(self.w_inh),
            h_star=h_star,
            fields=fields,
        )

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

    def _check_blowup(self, row_norms, fields):
        """Raise when a row's p-norm is far above where any row starts."""
        if row_norms.size == 0:
            return
        n_inputs = self.components_.shape[1] if fields is None else len(fields[1])
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
        Each input is centred by its own mean first, so that an offset does
        not cancel catastrophically in ``||x_P||^2 - |P| m_P^2``.
        """
        fields, field_of_unit, row_sums = self._receptive_fields()
        size = fields.sum(axis=1)
        input_means = X_batch.mean(axis=1, keepdims=True)
        centred = X_batch - input_means
        sums = centred @ fields.T
        energy = (centred * centred) @ fields.T
        means = sums / size
        energy -= sums * means  # centred on the field: ||x_P||^2 - |P| m_P^2
        np.maximum(energy, 0, out=energy)  # rounding
        means += input_means  # the field means of the raw input, as the currents
        n_features = X_batch.shape[1]
        image_energy = np.einsum("ij,ij->i", centred, centred)[:, None]
        floor = _FIELD_ENERGY_FLOOR * image_energy * (size / n_features)
        norms = np.sqrt(energy + floor)
        # An input constant up to the rounding of its centring (every value
        # within n_features * eps * max|x| of the mean) has no contrast: its
        # features are 0 (1 / inf), not rounding errors blown up.
        resolution = n_features * np.finfo(X_batch.dtype).eps
        resolution *= np.abs(X_batch).max(axis=1, keepdims=True)
        flat = image_energy <= n_features * resolution**2
        norms[np.broadcast_to(flat, norms.shape)] = np.inf
        inverse_norms = 1.0 / norms
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
        fields = patch_mask(self.image_shape_, self._patch_shape, origins)
        return fields.astype(W.dtype), field_of_unit.ravel(), W.sum(axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
