"""A readout layer trained by a local delta rule."""

import numbers
import warnings

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._epochs import epoch_learning_rate, hold_out, run_epochs
from ._kernels import delta_rule
from ._output_units import OutputUnitsMixin
from ._progress import Progress
from ._sklearn_compat import (
    Hidden,
    Interval,
    StrOptions,
    _check_partial_fit_first_call,
    fit_context,
)
from ._validation import check_classes, user_stacklevel, warn_if_large_scale

_LOSS_CODES = {
    ("squared", "relu"): delta_rule.SQUARED_RELU,
    ("squared", "linear"): delta_rule.SQUARED_LINEAR,
    ("softmax", "relu"): delta_rule.SOFTMAX,
    ("softmax", "linear"): delta_rule.SOFTMAX,
    ("power_tanh", "relu"): delta_rule.POWER_TANH,
    ("power_tanh", "linear"): delta_rule.POWER_TANH,
}


class LocalDeltaClassifier(OutputUnitsMixin, ClassifierMixin, BaseEstimator):
    """One layer of output units, one per class, trained by the delta rule.

    Output unit ``j`` computes ``a_j = coef_[j] . x + intercept_[j]`` and learns
    with ``coef_[j] += learning_rate * delta_j * x``, where the error
    ``delta_j`` depends only on that unit's own activation and target: a
    local, biologically plausible rule (only this layer sees labels).

    The readout assumes features of order 1 (a root mean square of at most
    about 10), such as pixels in [0, 1] or the outputs of this package's front
    ends: its initial weights ``N(0, 1 / (100 n_features))`` and the constant
    input 1 of the biases are on that scale. ``learning_rate="auto"`` adapts
    the step to any scale, but on much larger features (pixels in 0-255) the
    initial outputs are too large and the biases barely learn, which costs
    accuracy (ReLU outputs on uncentred 0-255 pixels all fall silent); ``fit``
    warns about such inputs.

    Parameters
    ----------
    loss : {"squared", "softmax", "power_tanh"}, default="squared"
        - ``"squared"``: one-hot {0, 1} targets, ``delta = (t - y) f'(a)``
          with ``y = f(a)`` given by ``output_activation`` (Illing et al.).
        - ``"softmax"``: cross-entropy of softmax outputs, ``delta = t - p``;
          enables ``predict_proba``.
        - ``"power_tanh"``: Krotov & Hopfield's ``sum |tanh(beta a) - t|**m``
          with {-1, +1} targets.
    output_activation : {"relu", "linear"}, default="relu"
        Output non-linearity of the squared loss (ignored by the others).
    learning_rate : float or "auto", default="auto"
        Step size ``eta``. ``"auto"`` uses ``0.2 / (1 + mean ||x||^2)`` over
        the training samples (the 1 counts the bias input): a normalised step
        that is stable for any feature scale. Centre the inputs (as
        ``StandardScaler(with_std=False)`` does) for fast learning, above all
        with ReLU outputs. ``partial_fit`` resolves ``"auto"`` on the samples
        of its first call; a number set between calls applies from the next.
    learning_rate_decay : float, default=0.0
        Epoch ``e`` (counted from 0, across ``partial_fit`` calls) steps with
        ``learning_rate / (1 + learning_rate_decay * e)``.
    solver : {"sgd", "adam"}, default="sgd"
        ``"sgd"`` adds ``learning_rate * delta * x``; ``"adam"`` rescales each
        synapse's averaged update by its own running moments (Kingma & Ba),
        as Krotov & Hopfield train their readout. Adam needs ``batch_size``
        of tens to hundreds and a ``learning_rate`` near 1e-3. A change
        between ``partial_fit`` calls takes effect at once (Adam then starts
        with zero moments).
    max_iter : int, default=100
        Maximum number of passes (epochs) over the training data.
    batch_size : int, default=1
        Samples whose updates are averaged into one step; 1 is online learning.
    average : bool or int, default=False
        Polyak averaging, as in :class:`~sklearn.linear_model.SGDClassifier`:
        ``coef_`` and ``intercept_`` become the mean of the weights after every
        step, while learning goes on with the current ones. ``True`` averages
        from the first step; an int starts once that many samples have been
        seen (skip the noisy start, e.g. a third of the epochs). Each synapse only
        averages its own history, so the rule stays local. It cannot change
        between ``partial_fit`` calls.
    shuffle : bool, default=True
        Shuffle the training samples before each epoch.
    tol : float or None, default=2e-3
        Stop when the monitored error (the mean training loss of an epoch,
        or the validation error rate ``1 - accuracy`` with
        ``early_stopping``) has not fallen below its best value by more than
        ``tol`` times its value after the first epoch, for
        ``n_iter_no_change`` epochs. Relative to the first epoch, ``tol``
        means the same whatever the scale of the loss (which depends on
        ``loss`` and on the data). ``None`` always runs ``max_iter`` epochs.
    n_iter_no_change : int, default=5
        Patience of the stopping rule.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data, monitor its
        accuracy, and keep the weights of the best epoch. Both parts are row
        indices into ``X``: the data are not copied.
    validation_fraction : float, default=0.1
        Held-out fraction with ``early_stopping``.
    beta : float, default=0.1
        Slope of the tanh of the ``"power_tanh"`` loss.
    loss_power : float, default=6
        Exponent ``m`` of the ``"power_tanh"`` loss (at least 2).
    power : float, default="deprecated"
        Former name of ``loss_power``; when set, its value is used.

        .. deprecated:: 0.1
           ``power`` was renamed ``loss_power`` in 0.1 and will be removed
           in 0.3.
    random_state : int, RandomState instance or None, default=None
        Seed of the initial weights, the shuffling and the validation split.
    verbose : int, default=0
        Print a progress line after every epoch: elapsed time, time left, the
        training loss and, with ``early_stopping``, the validation accuracy.

    Attributes
    ----------
    coef_ : ndarray of shape (n_classes, n_features)
        Readout weights, one row per class (two rows for a binary problem);
        their running mean once ``average`` has started.
    intercept_ : ndarray of shape (n_classes,)
        Output biases (averaged like ``coef_``).
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_iter_ : int
        Epochs run by the last ``fit`` (or calls of ``partial_fit``).
    loss_curve_ : list of float
        Mean training loss of every epoch.
    validation_scores_ : list of float or None
        Validation accuracy of every epoch with ``early_stopping``.
    learning_rate_ : float
        The step size used (resolves ``"auto"``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.linear_model.SGDClassifier : a non-local readout with the same role.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skbio_plastic import LocalDeltaClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(with_std=False),
    ...                     LocalDeltaClassifier(random_state=0))
    >>> clf.fit(X[:1500] / 16, y[:1500]).score(X[1500:] / 16, y[1500:]) > 0.85
    True
    """

    _parameter_constraints: dict = {
        "loss": [StrOptions({"squared", "softmax", "power_tanh"})],
        "output_activation": [StrOptions({"relu", "linear"})],
        "learning_rate": [
            Interval(numbers.Real, 0, None, closed="neither"),
            StrOptions({"auto"}),
        ],
        "learning_rate_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "solver": [StrOptions({"sgd", "adam"})],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "average": ["boolean", Interval(numbers.Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "tol": [Interval(numbers.Real, 0, None, closed="left"), None],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "beta": [Interval(numbers.Real, 0, None, closed="neither")],
        "loss_power": [Interval(numbers.Real, 2, None, closed="left")],
        "power": [
            Interval(numbers.Real, 2, None, closed="left"),
            Hidden(StrOptions({"deprecated"})),
        ],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        loss="squared",
        *,
        output_activation="relu",
        learning_rate="auto",
        learning_rate_decay=0.0,
        solver="sgd",
        max_iter=100,
        batch_size=1,
        average=False,
        shuffle=True,
        tol=2e-3,
        n_iter_no_change=5,
        early_stopping=False,
        validation_fraction=0.1,
        beta=0.1,
        loss_power=6,
        power="deprecated",
        random_state=None,
        verbose=0,
    ):
        self.loss = loss
        self.output_activation = output_activation
        self.learning_rate = learning_rate
        self.learning_rate_decay = learning_rate_decay
        self.solver = solver
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.average = average
        self.shuffle = shuffle
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta = beta
        self.loss_power = loss_power
        self.power = power
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit
    @fit_context
    def fit(self, X, y):
        """Train the readout on ``(X, y)`` for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features of order 1 (see the class description).
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : LocalDeltaClassifier
        """
        X, y = self._validate_training_data(X, y, reset=True)
        self.classes_ = check_classes(self, y)
        labels = np.searchsorted(self.classes_, y)
        self._random_state = check_random_state(self.random_state)
        self._initialize(X)
        self._follow_parameters(X)

        self.loss_curve_ = []
        self.n_iter_ = 0
        train = validation_accuracy = snapshot = None
        if self.early_stopping:
            train, validation = hold_out(
                labels, self.validation_fraction, self._random_state
            )

            def validation_accuracy():
                return self._accuracy(X, labels, validation)

            def snapshot():
                return self.coef_.copy(), self.intercept_.copy()

        best_weights = run_epochs(
            self,
            lambda: self._run_epoch(X, labels, train),
            validation_accuracy,
            snapshot,
        )
        if best_weights is not None:
            self.coef_, self.intercept_ = best_weights
        return self

    @fit_context
    def partial_fit(self, X, y, classes=None):
        """Run one epoch of the delta rule on ``(X, y)``.

        Parameters changed with ``set_params`` since the last call are
        validated again and take effect, except ``average``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features of order 1 (see the class description).
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            Every class of the problem (at least 2); required on the first
            call.

        Returns
        -------
        self : LocalDeltaClassifier
        """
        if classes is not None:
            check_classes(self, classes, given_to_partial_fit=True)
        first_call = _check_partial_fit_first_call(self, classes)
        X, y = self._validate_training_data(X, y, reset=first_call)
        unseen = np.setdiff1d(y, self.classes_)
        if unseen.size:
            raise ValueError(
                f"y contains labels {unseen.tolist()} that are not in classes="
                f"{self.classes_.tolist()} given at the first call of partial_fit."
            )
        if first_call:
            self._random_state = check_random_state(self.random_state)
            self._initialize(X)
            self.loss_curve_, self.validation_scores_, self.n_iter_ = [], None, 0
        self._follow_parameters(X)
        progress = Progress(self, None, verbose=self.verbose)
        self._run_epoch(X, np.searchsorted(self.classes_, y))
        progress.update(self.n_iter_, loss=self.loss_curve_[-1])
        return self

    def _validate_training_data(self, X, y, reset):
        X, y = validate_data(
            self, X, y, reset=reset, dtype=[np.float32, np.float64], order="C"
        )
        check_classification_targets(y)
        if reset:
            warn_if_large_scale(
                X, self, expected="pixels in [0, 1] or this package's features"
            )
        return X, y

    def _initialize(self, X):
        """Weights ``N(0, 1 / (100 n_in))``, biases ``U[0, 0.1]`` (Illing et al.)."""
        rng = self._random_state
        n_outputs, n_features = len(self.classes_), X.shape[1]
        scale = np.sqrt(1.0 / (100.0 * n_features))
        self.coef_ = rng.normal(scale=scale, size=(n_outputs, n_features)).astype(
            X.dtype
        )
        self.intercept_ = rng.uniform(0, 0.1, n_outputs).astype(X.dtype)
        self._auto_learning_rate = None
        self._adam_state = None
        self._average_state = None
        if self.average is not False:
            self._live_weights = (self.coef_, self.intercept_)
            # float64 sums: late steps change the mean by less than float32's ulp
            self._average_state = (
                np.zeros(self.coef_.shape),
                np.zeros(self.intercept_.shape),
                np.zeros(2, dtype=np.int64),
                int(self.average),
            )

    def _follow_parameters(self, X):
        """Apply the current parameters: step size, solver state, loss exponent.

        Called by every ``fit`` and ``partial_fit``, so that ``set_params``
        between ``partial_fit`` calls takes effect (or is refused).
        """
        started = None if self._average_state is None else self._average_state[3]
        wanted = None if self.average is False else int(self.average)
        if wanted != started:
            raise ValueError(
                f"average cannot change between partial_fit calls: it was "
                f"{False if started is None else started!r} at the first call and "
                f"is now {self.average!r}. Call fit to train afresh."
            )
        if self.solver == "sgd":
            self._adam_state = None
        elif self._adam_state is None:  # Adam's moments start at zero
            self._adam_state = (
                np.zeros_like(self.coef_),
                np.zeros_like(self.coef_),
                np.zeros_like(self.intercept_),
                np.zeros_like(self.intercept_),
                np.zeros(1, dtype=np.int64),
                0.9,
                0.999,
                1e-8,
            )
        if self.learning_rate != "auto":
            self.learning_rate_ = float(self.learning_rate)
        else:
            if self._auto_learning_rate is None:
                squared_norms = np.einsum("ij,ij->i", X, X, dtype=np.float64)
                self._auto_learning_rate = 0.2 / (float(np.mean(squared_norms)) + 1.0)
            self.learning_rate_ = self._auto_learning_rate
        self._loss_power = float(self.loss_power)
        if self.power != "deprecated":
            warnings.warn(
                "The parameter power of LocalDeltaClassifier was renamed loss_power "
                "in 0.1 and will be removed in 0.3; its value is used for now. "
                f"Pass loss_power={self.power!r} instead.",
                FutureWarning,
                stacklevel=user_stacklevel(),
            )
            self._loss_power = float(self.power)

    def _run_epoch(self, X, labels, rows=None):
        """One epoch of the delta rule over ``X[rows]`` (all rows by default).

        The kernel reads the rows through its ``order`` array: ``X`` is not
        copied.
        """
        X = X.astype(self.coef_.dtype, copy=False)
        if rows is None:
            rows = np.arange(X.shape[0])
        order = self._random_state.permutation(rows) if self.shuffle else rows
        if self._average_state is None:
            weights, intercept = self.coef_, self.intercept_
        else:  # learning goes on with the live weights, coef_ shows their mean
            weights, intercept = self._live_weights
        loss = delta_rule.delta_rule_epoch(
            X,
            labels.astype(np.int64, copy=False),
            order,
            weights,
            intercept,
            epoch_learning_rate(
                self.learning_rate_, self.learning_rate_decay, self.n_iter_
            ),
            self.batch_size,
            _LOSS_CODES[self.loss, self.output_activation],
            float(self.beta),
            self._loss_power,
            self._adam_state,
            self._average_state,
        )
        if self._average_state is not None and self._average_state[2][1] > 0:
            dtype = weights.dtype
            self.coef_ = self._average_state[0].astype(dtype)
            self.intercept_ = self._average_state[1].astype(dtype)
        if not (np.isfinite(loss) and np.all(np.isfinite(weights))):
            raise ValueError(
                "The delta rule diverged (non-finite weights); reduce "
                f"learning_rate (currently {self.learning_rate_:.3g}) or rescale X."
            )
        self.loss_curve_.append(float(loss))
        self.n_iter_ += 1

    def _accuracy(self, X, labels, rows):
        """Accuracy on the rows ``rows`` of ``X``.

        The rows are gathered in chunks that fit scikit-learn's
        ``working_memory``, never all at once.
        """
        row_bytes = X.shape[1] * X.itemsize
        chunk = max(1, get_config()["working_memory"] * 2**20 // row_bytes)
        correct = 0
        for batch in gen_batches(rows.size, int(chunk)):
            index = rows[batch]
            correct += np.count_nonzero(self._raw_predict(X[index]) == labels[index])
        return correct / rows.size

    # -------------------------------------------------------------- predict
    def _outputs(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float32, np.float64])
        return X @ self.coef_.T.astype(X.dtype, copy=False) + self.intercept_

    def _raw_predict(self, X):
        return np.argmax(X @ self.coef_.T + self.intercept_, axis=1)
