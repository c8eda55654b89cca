"""Classic rate-based plasticity rules as front ends: Hebb, Oja / Sanger, BCM.

The rules of the lecture behind this package (see the user guide), each a
layer of hidden units learned without labels, minibatch by minibatch:

- :class:`HebbianTransformer`: the generalised Hebbian family
  ``dw_ij/dt = a0 + a1_pre nu_j + a1_post nu_i + a2 nu_i nu_j`` (``i``
  post-synaptic, ``j`` pre-synaptic) with the lecture's presets, its
  neuromodulated (three-factor) form and its error-modulated form (the delta
  rule);
- :class:`OjaTransformer`: Oja's rule and Sanger's generalised Hebbian
  algorithm, which find the principal subspace (Sanger: the ordered principal
  components);
- :class:`BCMTransformer`: the BCM rule with a sliding threshold.

All share one minibatch loop: the currents ``Y = X W^T`` and the Hebbian
product ``G^T X`` are BLAS products, the rule-specific parts are the serial
numba kernels of ``_kernels.classic``. Units come in groups of
``n_components_per_patch`` that share one receptive field (one random patch
with ``patch_size``, else the whole input) and compete within the group.
Localized Oja / Sanger groups are independent and skip that loop: one kernel
runs all the minibatch steps of an epoch group by group, each group's work
arrays in the caches (``gha_train``); the same steps, up to the rounding of
the sums.
"""

import numbers
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from ._base import FilterBankTransformer
from ._kernels import classic as _classic
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
    random_patch_origins,
    resolve_image_shape,
)

__all__ = ["BCMTransformer", "HebbianTransformer", "OjaTransformer"]

# learning_rate="auto": this fraction of 1 / E||x_field||^2 per unit, the
# largest stable step of Oja's rule for any input scale (lambda_1 <= E||x||^2).
_AUTO_RATE = 0.5
# BCM: the threshold a step is divided by is at least this fraction of the
# typical initial threshold (a long-silent unit's threshold tends to 0).
_THRESHOLD_FLOOR = 1e-3
# With normalize=None: the mean row norm grew in each of this many epochs and
# by more than this factor in all, a rule running away (or a row's norm grew
# past _norm_limit within an epoch).
_GROWTH_EPOCHS = 3
_GROWTH_FACTOR = 1.1
# Rows used to estimate the input energy of learning_rate="auto".
_ENERGY_ROWS = 10_000
# Rows on which fit checks that some unit responds.
_SILENCE_ROWS = 1000

_NORMALIZE_CODES = {
    None: _classic.NORMALIZE_NONE,
    "l2": _classic.NORMALIZE_L2,
    "clip": _classic.NORMALIZE_CLIP,
}
_COMPETITION_CODES = {
    None: _classic.COMPETE_NONE,
    "wta": _classic.COMPETE_WTA,
    "lateral": _classic.COMPETE_LATERAL,
}

# The lecture's presets as (a0, a1_pre, a1_post, a2), c the constant.
_PRESETS = {
    "hebb": lambda c: (0.0, 0.0, 0.0, 1.0),
    "hebb_minus_c": lambda c: (-c, 0.0, 0.0, 1.0),
    "post_threshold": lambda c: (0.0, -c, 0.0, 1.0),
    "covariance": lambda c: (0.0, 0.0, 0.0, 1.0),
}


def rule_coefficients(rule, c=0.0, coefficients=None):
    """``(a0, a1_pre, a1_post, a2)`` of a :class:`HebbianTransformer` rule.

    ``"hebb"``: ``nu_i nu_j``; ``"hebb_minus_c"``: ``nu_i nu_j - c``;
    ``"post_threshold"``: ``(nu_i - c) nu_j``; ``"covariance"``:
    ``(nu_i - <nu_i>)(nu_j - <nu_j>)`` (the product of the centred rates);
    ``"general"``: the given ``coefficients``.
    """
    if rule == "general":
        return tuple(float(a) for a in coefficients)
    return _PRESETS[rule](float(c))


class _PlasticityTransformer(FilterBankTransformer):
    """The minibatch loop and geometry shared by the classic rules.

    Subclasses set ``_rule_factors(Y, batch, modulation)``, which turns the
    currents of a minibatch into ``(G, const, decay, pre_mean)`` (see
    ``_kernels.classic``), and may override ``_setup_rule(X)``.
    """

    _parameter_constraints: dict = {
        **FilterBankTransformer._parameter_constraints,
        "n_components_per_patch": [
            Interval(numbers.Integral, 1, None, closed="left"),
            None,
        ],
        "learning_rate": [
            Interval(numbers.Real, 0, None, closed="neither"),
            StrOptions({"auto"}),
        ],
        "n_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "patch_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "image_shape": [tuple, list, None],
        "verbose": ["verbose"],
    }

    # A row whose L2 norm exceeds this (rows start at 1) has blown up.
    _norm_limit = 1e3
    # Whether the rule can grow without bound when not normalised (Oja's
    # rule normalises itself).
    _can_run_away = True

    # ---------------------------------------------------------------- loop
    def _fit(self, X, modulation=None):
        X = validate_data(self, X, dtype=[np.float32, np.float64])
        rng = check_random_state(self.random_state)
        modulation = self._check_modulation(modulation, X.shape[0])
        self._initialize(X, rng)
        self.n_iter_ = 0
        self.mean_row_norms_ = []
        progress = Progress(self, self.n_epochs, verbose=self.verbose)
        for epoch in range(self.n_epochs):
            decay = 1.0 - epoch / self.n_epochs
            self._epoch(X, rng.permutation(X.shape[0]), modulation, decay)
            self.n_iter_ = epoch + 1
            self.n_epochs_ += 1
            self.mean_row_norms_.append(self._mean_row_norm())
            progress.update(epoch + 1, mean_row_norm=self.mean_row_norms_[-1])
            self._check_growth()
        self._warn_if_silent(X)
        # One scalar for all features, as LocalizedPCA: the largest one.
        largest = self._largest_current(X)
        self.scale_ = largest if largest > 0 else 1.0
        return self

    def _largest_current(self, X):
        """The largest current ``W x`` over the rows of ``X``.

        Localized: patch by patch (``patch_currents_max``), the products of
        the field size instead of the dense ``X @ components_.T``.
        """
        if not self._compact:
            return max(float(c.max()) for _, c in self._affine_batches(X))
        W = self.components_
        starts, offsets = self._fields
        stack = self._compact_weights()
        out = np.full(stack.shape[0], -np.inf)
        with np.errstate(over="ignore", invalid="ignore"):
            _classic.patch_currents_max(
                np.ascontiguousarray(X, dtype=W.dtype),
                np.ascontiguousarray(starts[:: self._group_size]),
                offsets,
                stack,
                out,
            )
        # the zero rows padding a short last group add a current of 0
        return float(out.max())

    def _compact_weights(self):
        """``(groups, K, field)``: each group's weights on its own patch."""
        starts, offsets = self._fields
        n_groups = -(-self.components_.shape[0] // self._group_size)
        stack = np.empty(
            (n_groups, self._group_size, offsets.size), dtype=self.components_.dtype
        )
        _classic.gather_rows(self.components_, starts, offsets, stack)
        return stack

    def _partial_fit(self, X, modulation=None):
        first = not hasattr(self, "components_")
        if not first:
            check_unchanged(self, self._fitted_structure, self._structure())
        X = validate_data(self, X, dtype=[np.float32, np.float64], reset=first)
        modulation = self._check_modulation(modulation, X.shape[0])
        if first:
            self._initialize(X, check_random_state(self.random_state))
            self.n_iter_ = 0
            self.mean_row_norms_ = []
        epoch = min(self.n_epochs_, self.n_epochs - 1)
        largest = self._step(X, modulation, 1.0 - epoch / self.n_epochs)
        if largest > 0:  # the running maximum of the features
            self.scale_ = max(largest, self.scale_ if self.n_steps_ > 1 else 0.0)
        return self

    def _epoch(self, X, order, modulation, decay):
        """The minibatch steps of one epoch on ``X[order]``."""
        for start in range(0, X.shape[0], self.batch_size):
            rows = order[start : start + self.batch_size]
            self._step(X[rows], modulation[rows], decay)

    def _step(self, batch, modulation, decay):
        """One minibatch step; returns the largest current before it.

        ``decay`` scales the learning rates.
        """
        W = self.components_
        batch = batch.astype(W.dtype, copy=False)
        starts, offsets = self._fields
        with np.errstate(over="ignore", invalid="ignore"):
            if self._compact:
                patches, stack = self._patch_stacks(batch)
                currents = self._from_stack(
                    np.matmul(patches, stack.transpose(0, 2, 1))
                )
            else:
                currents = batch @ W.T
            largest_current = float(currents.max())
            G, const, decay_terms, pre_mean = self._rule_factors(
                currents, batch, modulation
            )
            if self._compact:
                # (groups, K, B) @ (groups, B, field): each group's own patch.
                hebb = self._from_stack(
                    np.matmul(self._to_stack(G), patches), units_first=True
                )
                if pre_mean is not None:
                    hebb -= G.sum(axis=0)[:, None] * pre_mean[starts[:, None] + offsets]
            else:
                hebb = G.T @ batch
                if pre_mean is not None:
                    hebb -= np.outer(G.sum(axis=0), pre_mean)
            rates = self.learning_rate_ * (decay / batch.shape[0])
            largest = _classic.field_step(
                W,
                hebb,
                const,
                decay_terms,
                rates.astype(W.dtype),
                starts,
                offsets,
                self._group_size,
                _NORMALIZE_CODES[self._normalize()],
                float(self._w_max()),
                self._rows,
            )
        self.n_steps_ += 1
        if not largest <= self._norm_limit:  # also catches NaN
            self._raise_diverged(largest)
        return largest_current

    def _patch_stacks(self, batch):
        """``(patches, weights)``: each group's patch of ``batch`` and its rows.

        ``patches`` ``(groups, B, field)``, ``weights`` ``(groups, K, field)``
        (rows beyond ``n_components`` in a short last group are zero).
        """
        starts, offsets = self._fields
        group_starts = starts[:: self._group_size]
        patches = np.empty(
            (len(group_starts), batch.shape[0], offsets.size), dtype=batch.dtype
        )
        _classic.gather_patches(batch, group_starts, offsets, patches)
        weights = np.empty(
            (len(group_starts), self._group_size, offsets.size), dtype=batch.dtype
        )
        _classic.gather_rows(self.components_, starts, offsets, weights)
        return patches, weights

    def _to_stack(self, values):
        """``(B, H)`` -> ``(groups, K, B)``, zero-padding a short last group."""
        n_groups = -(-values.shape[1] // self._group_size)
        padded = np.zeros(
            (values.shape[0], n_groups * self._group_size), dtype=values.dtype
        )
        padded[:, : values.shape[1]] = values
        return padded.T.reshape(n_groups, self._group_size, values.shape[0])

    def _from_stack(self, stack, units_first=False):
        """``(groups, B, K)`` -> ``(B, H)``.

        ``units_first``: ``(groups, K, n)`` -> ``(H, n)``.
        """
        n_units = self.n_components
        if units_first:
            return np.ascontiguousarray(stack.reshape(-1, stack.shape[2])[:n_units])
        flat = stack.transpose(1, 0, 2).reshape(stack.shape[1], -1)
        return np.ascontiguousarray(flat[:, :n_units])

    # ----------------------------------------------------------- state
    def _structure(self):
        """The parameters that fix the shape of the learned state."""
        return structure(
            self,
            (
                "n_components",
                "n_components_per_patch",
                "patch_size",
                "image_shape",
                "dtype",
            ),
        )

    def _initialize(self, X, rng):
        """Geometry, random unit-norm rows in each field, the learning rates."""
        dtype = resolve_dtype(self.dtype, X.dtype)
        n_features = X.shape[1]
        localized = self.patch_size is not None
        if localized or self.image_shape is not None:
            self.image_shape_, patch_shape = self._image_geometry(n_features)
        else:  # whole-input units: a square image if it is one (for plots)
            try:
                self.image_shape_ = resolve_image_shape(None, n_features)
            except ValueError:
                self.image_shape_ = (1, n_features, 1)
        if self.image_shape_[2] > 1:
            warn_if_channels_first(X, self.image_shape_, self)
        n_units = self.n_components
        group = self.n_components_per_patch or n_units
        self._group_size = min(group, n_units)
        n_groups = -(-n_units // self._group_size)
        group_of_unit = np.arange(n_units) // self._group_size
        if localized:
            origins = random_patch_origins(
                self.image_shape_, patch_shape, n_groups, rng
            )
            self.patch_origins_ = origins[group_of_unit]
            corner = np.zeros((1, 2), dtype=np.int64)
            offsets = patch_indices(self.image_shape_, patch_shape, corner)[0]
            starts = patch_indices(self.image_shape_, (1, 1), self.patch_origins_)
            starts = np.ascontiguousarray(starts[:, 0])
        else:
            if hasattr(self, "patch_origins_"):
                del self.patch_origins_
            offsets = np.arange(n_features)
            starts = np.zeros(n_units, dtype=np.int64)
        self._fields = (starts.astype(np.int64), offsets.astype(np.int64))
        # Localized groups learn on their own patches (products of the field
        # size, not of the whole input): fewer operations by the ratio.
        self._compact = localized and offsets.size < n_features
        W = np.zeros((n_units, n_features), dtype=dtype)
        field_weights = rng.standard_normal((n_units, offsets.size))
        field_weights /= np.linalg.norm(field_weights, axis=1, keepdims=True)
        W[np.arange(n_units)[:, None], starts[:, None] + offsets] = field_weights
        self.components_ = W
        self.intercept_ = np.zeros(n_units, dtype=dtype)
        self.scale_ = 1.0
        self._rows = np.empty((self._group_size, offsets.size), dtype=dtype)
        self.learning_rate_ = self._resolve_learning_rate(X, dtype)
        self._fitted_structure = self._structure()
        self.n_epochs_ = 0
        self.n_steps_ = 0
        self._setup_rule(X.astype(dtype, copy=False))

    def _resolve_learning_rate(self, X, dtype):
        """Step of each unit: ``learning_rate``, or "auto" from the field energy."""
        if self.learning_rate != "auto":
            return np.full(self.n_components, float(self.learning_rate))
        starts, offsets = self._fields
        sample = np.asarray(X[:_ENERGY_ROWS], dtype=np.float64)
        second_moments = np.mean(sample**2, axis=0)
        energy = second_moments[starts[:, None] + offsets].sum(axis=1)
        tiny = np.finfo(dtype).tiny
        return _AUTO_RATE / np.maximum(energy, tiny)

    def _setup_rule(self, X):
        """Initial state of the rule (running means, thresholds) from ``X``."""

    def _normalize(self):
        return None

    def _w_max(self):
        return 1.0

    def _check_modulation(self, modulation, n_samples):
        """A ``(n_samples, 1)`` or ``(n_samples, n_components)`` float array."""
        if modulation is None:
            return np.ones((n_samples, 1))
        modulation = np.asarray(modulation, dtype=np.float64)
        if modulation.ndim == 1:
            modulation = modulation[:, None]
        if (
            modulation.ndim != 2
            or modulation.shape[0] != n_samples
            or modulation.shape[1] not in (1, self.n_components)
        ):
            raise ValueError(
                f"modulation must have shape (n_samples,) = ({n_samples},) (one "
                f"signal per sample) or (n_samples, n_components) = ({n_samples}, "
                f"{self.n_components}) (one per sample and unit), got "
                f"{modulation.shape}."
            )
        if not np.all(np.isfinite(modulation)):
            raise ValueError("modulation contains NaN or infinity.")
        return modulation

    def _check_growth(self):
        """Raise when the mean row norm keeps growing (see ``_GROWTH_EPOCHS``)."""
        norms = [1.0, *self.mean_row_norms_][-_GROWTH_EPOCHS - 1 :]
        if not self._can_run_away or self._normalize() is not None:
            return
        if len(norms) <= _GROWTH_EPOCHS:
            return
        growing = all(b > a for a, b in zip(norms[:-1], norms[1:], strict=True))
        if growing and norms[-1] > _GROWTH_FACTOR * norms[0]:
            raise ValueError(
                f"{type(self).__name__} diverged: the mean L2 norm of the rows "
                f"grew in {_GROWTH_EPOCHS} consecutive epochs, from "
                f"{norms[0]:.4g} to {norms[-1]:.4g}. {self._divergence_hint()}"
            )

    def _mean_row_norm(self):
        return float(np.mean(np.linalg.norm(self.components_, axis=1)))

    def _warn_if_silent(self, X):
        """Warn when no unit responds to any training input (all features 0)."""
        sample = X[:_SILENCE_ROWS].astype(self.components_.dtype, copy=False)
        if sample.shape[0] and not np.any(sample @ self.components_.T > 0):
            warnings.warn(
                f"{type(self).__name__}: every unit is silent (relu(W x) = 0) on "
                "the training inputs, so every feature is 0; check the input "
                "centring or decrease learning_rate.",
                ConvergenceWarning,
                stacklevel=user_stacklevel(),
            )

    def _raise_diverged(self, largest):
        raise ValueError(
            f"{type(self).__name__} diverged: a row's L2 norm reached "
            f"{largest:.4g} (rows start at 1). {self._divergence_hint()}"
        )

    def _divergence_hint(self):
        return f"Decrease learning_rate (got learning_rate={self.learning_rate!r})."

    def _activate(self, currents, X_batch):
        """``relu(currents) / scale_`` in place."""
        np.maximum(currents, 0, out=currents)
        currents *= currents.dtype.type(1.0 / self.scale_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


class _HebbianFamily(_PlasticityTransformer):
    """Rectified, competing units with a weight normalisation (Hebb, BCM)."""

    _parameter_constraints: dict = {
        **_PlasticityTransformer._parameter_constraints,
        "normalize": [StrOptions({"l2", "clip"}), None],
        "w_max": [Interval(numbers.Real, 0, None, closed="neither")],
        "competition": [StrOptions({"wta", "lateral"}), None],
        "inhibition": [Interval(numbers.Real, 0, None, closed="left")],
    }

    def _rates(self, currents):
        """Post-synaptic rates: ``relu`` after the competition, in place."""
        _classic.compete(
            currents,
            self._group_size,
            _COMPETITION_CODES[self.competition],
            float(self.inhibition),
        )
        return currents

    def _normalize(self):
        return self.normalize

    def _w_max(self):
        return self.w_max

    def _divergence_hint(self):
        if self.normalize is None:
            return (
                f"{self._rule_name()} is unstable without a weight normalisation "
                "(its growth is unbounded here): use normalize='l2' or 'clip', or "
                f"decrease learning_rate (got learning_rate={self.learning_rate!r})."
            )
        return super()._divergence_hint()


_SHARED_PARAMETERS_DOC = """
    n_components_per_patch : int or None, default=None
        Units per receptive field: consecutive groups of this many units share
        one random patch (or, without ``patch_size``, the whole input) and
        compete within the group. ``None``: all units form one group.
    learning_rate : float or "auto", default="auto"
        Step ``eta`` of the rule. It decays linearly per epoch in ``fit``,
        ``eta * (1 - epoch / n_epochs)``, and each step averages the changes
        of its minibatch. ``"auto"``: per unit ``0.5 / E||x_field||^2`` over
        (up to 10,000 of) the training inputs of the first ``fit`` or
        ``partial_fit`` call, a step that is stable for any input scale.
    n_epochs : int, default=5
        Passes over the data in ``fit``, each with a fresh shuffle.
    batch_size : int, default=100
        Inputs per minibatch step.
    patch_size : int or None, default=None
        Localized variant: each group of units sees one random square patch of
        ``patch_size x patch_size`` pixels (all channels); the weights stay
        zero outside it. ``None``: the whole input.
    image_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(height, width, channels)`` of the C-order
        images in the rows of ``X``. ``None`` infers a square grayscale image
        (or, without patches and for a non-square ``n_features``, one row).
    dtype : {"float32", "float64"} or None, default=None
        Floating type of the weights, of learning and of ``transform``.
        ``None`` follows the input: float32 data stay float32, anything else
        is learned in float64.
    random_state : int, RandomState instance or None, default=None
        Seed of the initial weights, the patch positions and the shuffles.
    verbose : int, default=0
        Print one line per epoch of ``fit``: time elapsed and left, and the
        mean L2 norm of the rows."""

_SHARED_ATTRIBUTES_DOC = """
    components_ : ndarray of shape (n_components, n_features)
        The learned weights (zero outside each unit's patch).
    intercept_ : ndarray of shape (n_components,)
        Zeros (the units have no bias).
    learning_rate_ : ndarray of shape (n_components,)
        Initial step of each unit (resolves ``"auto"``).
    scale_ : float
        The divisor of the features: ``transform`` is
        ``relu(X @ components_.T) / scale_``. ``fit`` sets it to the largest
        feature over the training inputs (as :class:`LocalizedPCA`), so that
        the features are at most 1 there, the scale the readout's bias
        expects; ``partial_fit`` keeps the running maximum of the features
        of its minibatches (before each step).
    n_iter_ : int
        Epochs run by the last ``fit``.
    n_epochs_ : int
        Epochs completed in total (sets the rate of ``partial_fit``).
    n_steps_ : int
        Minibatch steps done in total (``fit`` and ``partial_fit``).
    mean_row_norms_ : list of float
        Mean L2 norm of the rows after each epoch of the last ``fit``.
    patch_origins_ : ndarray of shape (n_components, 2)
        ``(row, column)`` of each unit's patch (localized variant only).
    image_shape_ : tuple of 3 int
        ``(height, width, channels)`` used for the geometry.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names."""


def _with_shared_doc(cls):
    cls.__doc__ = cls.__doc__.replace(
        "\n    {shared_parameters}", _SHARED_PARAMETERS_DOC
    ).replace("\n    {shared_attributes}", _SHARED_ATTRIBUTES_DOC)
    return cls


@_with_shared_doc
class HebbianTransformer(_HebbianFamily):
    """Hidden units learning with the generalised Hebbian rule.

    For post-synaptic unit ``i`` with rate ``nu_i = relu(W_i . x)`` (after the
    competition, below) and pre-synaptic input ``j`` with rate ``nu_j = x_j``,
    each input changes the weights by::

        dW_ij = eta * m * (a0 + a1_pre nu_j + a1_post nu_i + a2 nu_i nu_j)

    averaged over a minibatch, where ``m`` is the modulation (1 without one).
    The lecture's presets (``rule``), with ``eta`` the ``learning_rate``:

    - ``"hebb"``: ``eta nu_i nu_j``;
    - ``"hebb_minus_c"``: ``eta (nu_i nu_j - c)``, a constant depression (not
      a weight decay);
    - ``"post_threshold"``: ``eta (nu_i - c) nu_j``;
    - ``"covariance"``: ``eta (nu_i - <nu_i>)(nu_j - <nu_j>)``;
    - ``"general"``: the ``coefficients`` ``(a0, a1_pre, a1_post, a2)``.

    ``<.>`` are running means with time constant ``tau`` (in samples).
    Plain Hebbian growth is unbounded: ``normalize`` keeps the weights in
    check (``"l2"``: each row rescaled to unit length after every step,
    ``"clip"``: each weight clipped to ``[-w_max, w_max]``). With
    ``normalize=None`` an unstable rule stops the fit with a ``ValueError``
    as soon as a row's norm grows a thousandfold, never with NaN features.

    **Modulation.** ``fit`` and ``partial_fit`` take ``modulation``, a third
    factor per sample (shape ``(n_samples,)``: a reward, ``reward * a2 nu_i
    nu_j`` with ``rule="hebb"``) or per sample and unit (shape ``(n_samples,
    n_components)``: an error signal). With ``rule="general"``,
    ``coefficients=(0, 1, 0, 0)`` and ``modulation = Error_i``, the rule is
    ``eta Error_i nu_j``: the delta rule of :class:`LocalDeltaClassifier`.

    **Competition.** Units that see the same input and learn by the same rule
    converge to the same weights. ``competition="wta"`` lets only the most
    active unit of each group (``n_components_per_patch``) be active for an
    input (hard winner-take-all); ``"lateral"`` takes the steady state of the
    rates under uniform lateral inhibition of strength ``w = inhibition``
    within the group, ``nu_i = relu(y_i - w sum_{k != i} nu_k)`` (a soft
    competition: the units of largest current share the activity, more so as
    ``w`` falls; ``w >= 1`` is winner-take-all). Both make the units of a
    group learn different features.

    Parameters
    ----------
    n_components : int, default=100
        Number of hidden units.
    rule : {"hebb", "hebb_minus_c", "post_threshold", "covariance", \
"general"}, default="hebb"
        The rule (table above).
    c : float, default=0.1
        Constant of ``"hebb_minus_c"`` and ``"post_threshold"``.
    coefficients : tuple of 4 float or None, default=None
        ``(a0, a1_pre, a1_post, a2)`` of ``rule="general"`` (required there).
    tau : float, default=1000.0
        Time constant (samples) of the running means of ``"covariance"``;
        they start at the means of the first minibatch.
    normalize : {"l2", "clip"} or None, default="l2"
        Weight normalisation after each step.
    w_max : float, default=1.0
        Bound of ``normalize="clip"``.
    competition : {"wta", "lateral"} or None, default=None
        Competition within each group of units (see above).
    inhibition : float, default=0.5
        Strength ``w`` of ``competition="lateral"`` (``>= 1``: winner-take-all).
    {shared_parameters}

    Attributes
    ----------
    {shared_attributes}
    pre_mean_ : ndarray of shape (n_features,)
        Running mean of the inputs (``rule="covariance"`` only).
    post_mean_ : ndarray of shape (n_components,)
        Running mean of the unit rates (``rule="covariance"`` only).

    See Also
    --------
    OjaTransformer : Hebbian learning with Oja's implicit normalisation.
    BCMTransformer : Hebbian learning with a sliding threshold.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skbio_plastic import HebbianTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> X = X / 16 - (X / 16).mean(axis=0)
    >>> hebb = HebbianTransformer(n_components=20, competition="wta",
    ...                           random_state=0).fit(X)
    >>> hebb.transform(X).shape
    (1797, 20)
    """

    _parameter_constraints: dict = {
        **_HebbianFamily._parameter_constraints,
        "rule": [
            StrOptions(
                {"hebb", "hebb_minus_c", "post_threshold", "covariance", "general"}
            )
        ],
        "c": [Interval(numbers.Real, None, None, closed="neither")],
        "coefficients": [tuple, list, None],
        "tau": [Interval(numbers.Real, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_components=100,
        *,
        rule="hebb",
        c=0.1,
        coefficients=None,
        tau=1000.0,
        normalize="l2",
        w_max=1.0,
        competition=None,
        inhibition=0.5,
        n_components_per_patch=None,
        learning_rate="auto",
        n_epochs=5,
        batch_size=100,
        patch_size=None,
        image_shape=None,
        dtype=None,
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.rule = rule
        self.c = c
        self.coefficients = coefficients
        self.tau = tau
        self.normalize = normalize
        self.w_max = w_max
        self.competition = competition
        self.inhibition = inhibition
        self.n_components_per_patch = n_components_per_patch
        self.learning_rate = learning_rate
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.patch_size = patch_size
        self.image_shape = image_shape
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    @fit_context
    def fit(self, X, y=None, modulation=None):
        """Learn the weights over ``n_epochs`` passes of minibatches.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs (the rates ``nu_j``).
        y : ignored
        modulation : array-like of shape (n_samples,) or \
(n_samples, n_components), default=None
            Third factor multiplying each sample's change (per sample, or per
            sample and unit); ``None`` is 1.

        Returns
        -------
        self : HebbianTransformer
        """
        self._check_rule()
        return self._fit(X, modulation)

    @fit_context
    def partial_fit(self, X, y=None, modulation=None):
        """One minibatch step with ``X`` as the minibatch.

        The rate continues the schedule of ``fit``:
        ``learning_rate * (1 - min(n_epochs_, n_epochs - 1) / n_epochs)``.
        Parameters are validated on every call; those that fix the shape of
        the weights (``n_components``, ``n_components_per_patch``,
        ``patch_size``, ``image_shape``, ``dtype``) cannot change.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored
        modulation : array-like of shape (n_samples,) or \
(n_samples, n_components), default=None
            As in :meth:`fit`.

        Returns
        -------
        self : HebbianTransformer
        """
        self._check_rule()
        return self._partial_fit(X, modulation)

    def _check_rule(self):
        if self.rule == "general":
            coefficients = self.coefficients
            if coefficients is None or len(coefficients) != 4:
                raise ValueError(
                    "rule='general' needs coefficients=(a0, a1_pre, a1_post, a2), "
                    f"four numbers; got coefficients={coefficients!r}."
                )
            if not all(
                isinstance(a, numbers.Real) and np.isfinite(a) for a in coefficients
            ):
                raise ValueError(
                    f"coefficients must be four finite numbers, got {coefficients!r}."
                )

    def _setup_rule(self, X):
        if self.rule == "covariance":
            self.pre_mean_ = X[: self.batch_size].mean(axis=0)
            post = self._rates(X[: self.batch_size] @ self.components_.T)
            self.post_mean_ = post.mean(axis=0)
        else:
            for name in ("pre_mean_", "post_mean_"):
                if hasattr(self, name):
                    delattr(self, name)

    def _rule_factors(self, currents, batch, modulation):
        post = self._rates(currents)
        dtype = post.dtype
        a0, a1_pre, a1_post, a2 = rule_coefficients(
            self.rule, self.c, self.coefficients
        )
        covariance = self.rule == "covariance"
        if covariance and not hasattr(self, "pre_mean_"):  # set by set_params
            self.pre_mean_ = batch.mean(axis=0)
            self.post_mean_ = post.mean(axis=0)
        post_mean = (
            self.post_mean_ if covariance else np.zeros(post.shape[1], dtype=dtype)
        )
        G = np.empty_like(post)
        const = np.empty(post.shape[1], dtype=dtype)
        _classic.hebbian_factors(
            post,
            post_mean.astype(dtype, copy=False),
            modulation.astype(dtype, copy=False),
            a0,
            a1_pre,
            a1_post,
            a2,
            G,
            const,
        )
        pre_mean = None
        if covariance:
            pre_mean = self.pre_mean_.copy()
            # The means move after the step, with the batch's own means.
            weight = 1.0 - (1.0 - 1.0 / self.tau) ** batch.shape[0]
            self.pre_mean_ += weight * (batch.mean(axis=0) - self.pre_mean_)
            self.post_mean_ += weight * (post.mean(axis=0) - self.post_mean_)
        return G, const, np.empty((post.shape[1], 0), dtype=dtype), pre_mean

    def _rule_name(self):
        return f"rule={self.rule!r}"


@_with_shared_doc
class OjaTransformer(_PlasticityTransformer):
    """Principal subspace by Oja's rule, ordered components by Sanger's.

    Linear units ``y = W x`` learn, for each input ``x``::

        rule="oja":     dW_i = eta y_i (x - sum_k y_k W_k)       (all k)
        rule="sanger":  dW_i = eta y_i (x - sum_{k <= i} y_k W_k)

    with ``k`` running over the units of ``i``'s group (units sharing one
    receptive field, ``n_components_per_patch``), averaged over a minibatch.
    A single unit is Oja's (1982) rule: its weights converge to the unit-norm
    leading eigenvector of the input covariance (for centred inputs). Several
    units under ``"oja"`` (Oja's 1989 subspace rule) converge to an
    orthonormal basis of the principal subspace; under ``"sanger"`` (Sanger's
    1989 generalised Hebbian algorithm) unit ``i`` converges to the ``i``-th
    principal component. The rows keep unit norm without any explicit
    normalisation. Centre the inputs first (``StandardScaler(with_std=False)``),
    as PCA does.

    ``transform`` is ``relu(W x) / scale_``, the rectified projections: with
    ``patch_size`` this is a local-rule version of
    :class:`LocalizedPCA` (whose features are the same up to one scale).

    Parameters
    ----------
    n_components : int, default=10
        Number of hidden units.
    rule : {"oja", "sanger"}, default="sanger"
        Oja's (subspace) rule or Sanger's generalised Hebbian algorithm.
    {shared_parameters}

    Attributes
    ----------
    {shared_attributes}

    See Also
    --------
    LocalizedPCA : the same subspace from scikit-learn's PCA per patch.
    sklearn.decomposition.PCA : principal components by linear algebra.

    References
    ----------
    E. Oja. A simplified neuron model as a principal component analyzer.
    J. Math. Biology 15 (1982) 267-273.
    T. D. Sanger. Optimal unsupervised learning in a single-layer linear
    feedforward neural network. Neural Networks 2 (1989) 459-473.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skbio_plastic import OjaTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> X = X / 16 - (X / 16).mean(axis=0)
    >>> gha = OjaTransformer(n_components=5, n_epochs=20, random_state=0).fit(X)
    >>> gha.transform(X).shape
    (1797, 5)
    """

    _parameter_constraints: dict = {
        **_PlasticityTransformer._parameter_constraints,
        "rule": [StrOptions({"oja", "sanger"})],
    }
    # Oja's rows converge to unit norm: ten times that is an overshoot.
    _norm_limit = 10.0
    _can_run_away = False

    def __init__(
        self,
        n_components=10,
        *,
        rule="sanger",
        n_components_per_patch=None,
        learning_rate="auto",
        n_epochs=5,
        batch_size=100,
        patch_size=None,
        image_shape=None,
        dtype=None,
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.rule = rule
        self.n_components_per_patch = n_components_per_patch
        self.learning_rate = learning_rate
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.patch_size = patch_size
        self.image_shape = image_shape
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    @fit_context
    def fit(self, X, y=None):
        """Learn the weights over ``n_epochs`` passes of minibatches.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs, centred.
        y : ignored

        Returns
        -------
        self : OjaTransformer
        """
        return self._fit(X)

    @fit_context
    def partial_fit(self, X, y=None):
        """One minibatch step with ``X`` as the minibatch.

        The rate continues the schedule of ``fit`` (see
        :meth:`HebbianTransformer.partial_fit`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self : OjaTransformer
        """
        return self._partial_fit(X)

    # Localized (each group on its own patch): the steps run patch by patch in
    # one kernel call per epoch (fit) or minibatch (partial_fit).
    def _epoch(self, X, order, modulation, decay):
        if self._compact:
            self._train_patches(X, order, self.batch_size, decay, False)
        else:
            super()._epoch(X, order, modulation, decay)

    def _step(self, batch, modulation, decay):
        if not self._compact:
            return super()._step(batch, modulation, decay)
        order = np.arange(batch.shape[0])
        return self._train_patches(batch, order, batch.shape[0], decay, True)

    def _train_patches(self, X, order, batch_size, decay, track_currents):
        """Localized steps on ``X[order]``, patch by patch (``gha_train``).

        The groups are independent: each runs all its minibatches with its
        weights in the caches, the same steps as the generic loop. Returns the
        largest current before any step with ``track_currents`` (else -inf).
        """
        W = self.components_
        X = np.ascontiguousarray(X, dtype=W.dtype)
        starts, offsets = self._fields
        K = self._group_size
        stack = self._compact_weights()
        n_groups = stack.shape[0]
        rates = np.zeros(n_groups * K)
        rates[: W.shape[0]] = self.learning_rate_
        stats = np.full((n_groups, 2), -np.inf)
        stats[:, 0] = 0.0
        with np.errstate(over="ignore", invalid="ignore"):
            _classic.gha_train(
                X,
                np.asarray(order, dtype=np.int64),
                np.ascontiguousarray(starts[::K]),
                offsets,
                stack,
                rates.reshape(n_groups, K),
                float(decay),
                int(batch_size),
                self.rule == "sanger",
                stats,
                track_currents,
            )
        _classic.scatter_rows(stack, starts, offsets, W)
        self.n_steps_ += -(-order.shape[0] // batch_size)
        largest = stats[:, 0].max()
        if not largest <= self._norm_limit:  # also catches NaN
            self._raise_diverged(largest)
        return float(stats[:, 1].max())

    def _rule_factors(self, currents, batch, modulation):
        decay = np.empty((currents.shape[1], self._group_size), currents.dtype)
        _classic.gha_decay(currents, self._group_size, self.rule == "sanger", decay)
        const = np.zeros(currents.shape[1], dtype=currents.dtype)
        return currents, const, decay, None


@_with_shared_doc
class BCMTransformer(_HebbianFamily):
    """Hidden units learning with the BCM rule and a sliding threshold.

    Unit ``i`` with rate ``y_i = relu(W_i . x)`` (after the competition)
    changes its weights, for each input, by::

        dW_i = eta x y_i (y_i - theta_i) / theta_i

    potentiation above the threshold ``theta_i``, depression below it.
    ``theta_i`` slides: it is the running mean of ``y_i ** 2`` with time
    constant ``tau`` (in samples), so a unit that responds strongly to many
    inputs raises its threshold and keeps only its best input potentiated.
    Units become selective: each responds to one of the input patterns.
    Dividing by ``theta_i`` (Law & Cooper 1994) makes the speed of the rule
    independent of the scale of the rates. ``normalize="l2"`` keeps the rows
    at unit length (the threshold then sets only their direction).

    Units of one group (``n_components_per_patch``) can also compete
    (``competition``, as in :class:`HebbianTransformer`): lateral inhibition
    or winner-take-all.

    Parameters
    ----------
    n_components : int, default=100
        Number of hidden units.
    tau : float, default=100.0
        Time constant (samples) of the threshold; it starts at the mean of
        ``y ** 2`` over the first minibatch.
    normalize : {"l2", "clip"} or None, default="l2"
        Weight normalisation after each step (see
        :class:`HebbianTransformer`).
    w_max : float, default=1.0
        Bound of ``normalize="clip"``.
    competition : {"wta", "lateral"} or None, default=None
        Competition within each group of units (see
        :class:`HebbianTransformer`). The sliding threshold alone makes each
        unit selective; competition spreads the units over the patterns but
        can blur their selectivity where patterns overlap.
    inhibition : float, default=0.5
        Strength ``w`` of ``competition="lateral"`` (``>= 1``: winner-take-all).
    {shared_parameters}

    Attributes
    ----------
    {shared_attributes}
    thresholds_ : ndarray of shape (n_components,)
        The sliding thresholds ``theta``.

    See Also
    --------
    HebbianTransformer : the generalised Hebbian rules.

    References
    ----------
    E. L. Bienenstock, L. N. Cooper, P. W. Munro. Theory for the development
    of neuron selectivity. J. Neurosci. 2 (1982) 32-48.
    C. C. Law, L. N. Cooper. Formation of receptive fields in realistic
    visual environments according to the BCM theory. PNAS 91 (1994) 7797.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skbio_plastic import BCMTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> bcm = BCMTransformer(n_components=20, random_state=0).fit(X / 16)
    >>> bcm.transform(X / 16).shape
    (1797, 20)
    """

    _parameter_constraints: dict = {
        **_HebbianFamily._parameter_constraints,
        "tau": [Interval(numbers.Real, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_components=100,
        *,
        tau=100.0,
        normalize="l2",
        w_max=1.0,
        competition=None,
        inhibition=0.5,
        n_components_per_patch=None,
        learning_rate="auto",
        n_epochs=5,
        batch_size=100,
        patch_size=None,
        image_shape=None,
        dtype=None,
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.tau = tau
        self.normalize = normalize
        self.w_max = w_max
        self.competition = competition
        self.inhibition = inhibition
        self.n_components_per_patch = n_components_per_patch
        self.learning_rate = learning_rate
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.patch_size = patch_size
        self.image_shape = image_shape
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    @fit_context
    def fit(self, X, y=None):
        """Learn the weights over ``n_epochs`` passes of minibatches.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self : BCMTransformer
        """
        return self._fit(X)

    @fit_context
    def partial_fit(self, X, y=None):
        """One minibatch step with ``X`` as the minibatch.

        The rate continues the schedule of ``fit`` (see
        :meth:`HebbianTransformer.partial_fit`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self : BCMTransformer
        """
        return self._partial_fit(X)

    def _setup_rule(self, X):
        post = self._rates(X[: self.batch_size] @ self.components_.T)
        thresholds = np.mean(post * post, axis=0)
        # A unit silent on the first minibatch starts from the typical threshold.
        typical = thresholds[thresholds > 0].mean() if np.any(thresholds > 0) else 1.0
        self.thresholds_ = np.where(thresholds > 0, thresholds, typical)
        self._threshold_floor = _THRESHOLD_FLOOR * float(typical)

    def _rule_factors(self, currents, batch, modulation):
        post = self._rates(currents)
        G = np.empty_like(post)
        thresholds = self.thresholds_.astype(np.float64)
        _classic.bcm_factors(post, thresholds, 1.0 / self.tau, self._threshold_floor, G)
        self.thresholds_ = thresholds
        const = np.zeros(post.shape[1], dtype=post.dtype)
        return G, const, np.empty((post.shape[1], 0), dtype=post.dtype), None

    def _rule_name(self):
        return "The BCM rule"
