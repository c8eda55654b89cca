"""A readout layer trained by a local delta rule."""

import numbers
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import softmax
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from ._kernels import delta_rule

_LOSS_CODES = {
    ("squared", "relu"): delta_rule.SQUARED_RELU,
    ("squared", "linear"): delta_rule.SQUARED_LINEAR,
    ("softmax", "relu"): delta_rule.SOFTMAX,
    ("softmax", "linear"): delta_rule.SOFTMAX,
    ("power_tanh", "relu"): delta_rule.POWER_TANH,
    ("power_tanh", "linear"): delta_rule.POWER_TANH,
}


class LocalDeltaClassifier(ClassifierMixin, BaseEstimator):
    """One layer of output units, one per class, trained by the delta rule.

    Output unit ``j`` computes ``a_j = coef_[j] . x + intercept_[j]`` and learns
    with ``coef_[j] += learning_rate * delta_j * x``, where the error
    ``delta_j`` depends only on that unit's own activation and target: a
    local, biologically plausible rule (only this layer sees labels).

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
        with ReLU outputs.
    learning_rate_decay : float, default=0.0
        Epoch ``e`` (counted from 0, across ``partial_fit`` calls) steps with
        ``learning_rate / (1 + learning_rate_decay * e)``.
    solver : {"sgd", "adam"}, default="sgd"
        ``"sgd"`` adds ``learning_rate * delta * x``; ``"adam"`` rescales each
        synapse's averaged update by its own running moments (Kingma & Ba),
        as Krotov & Hopfield train their readout. Adam needs ``batch_size``
        of tens to hundreds and a ``learning_rate`` near 1e-3.
    max_iter : int, default=50
        Maximum number of passes (epochs) over the training data.
    batch_size : int, default=1
        Samples whose updates are averaged into one step; 1 is online learning.
    average : bool or int, default=False
        Polyak averaging, as in :class:`~sklearn.linear_model.SGDClassifier`:
        ``coef_`` and ``intercept_`` become the mean of the weights after every
        step, while learning goes on with the current ones. ``True`` averages
        from the first step; an int starts once that many samples have been
        seen (skip the noisy start, e.g. a third of the epochs). Each synapse only
        averages its own history, so the rule stays local.
    shuffle : bool, default=True
        Shuffle the training samples before each epoch.
    tol : float or None, default=1e-4
        Stop when the monitored quantity (training loss, or validation accuracy
        with ``early_stopping``) has not improved by ``tol`` for
        ``n_iter_no_change`` epochs. ``None`` always runs ``max_iter`` epochs.
    n_iter_no_change : int, default=5
        Patience of the stopping rule.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data, monitor its
        accuracy, and keep the weights of the best epoch.
    validation_fraction : float, default=0.1
        Held-out fraction with ``early_stopping``.
    beta : float, default=0.1
        Slope of the tanh of the ``"power_tanh"`` loss.
    power : float, default=6
        Exponent ``m`` of the ``"power_tanh"`` loss (at least 2).
    random_state : int, RandomState instance or None, default=None
        Seed of the initial weights, the shuffling and the validation split.
    verbose : int, default=0
        Print the loss (and validation accuracy) after every epoch.

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
        "power": [Interval(numbers.Real, 2, None, closed="left")],
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
        max_iter=50,
        batch_size=1,
        average=False,
        shuffle=True,
        tol=1e-4,
        n_iter_no_change=5,
        early_stopping=False,
        validation_fraction=0.1,
        beta=0.1,
        power=6,
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
        self.power = power
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the readout on ``(X, y)`` for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : LocalDeltaClassifier
        """
        X, y = self._validate_training_data(X, y, reset=True)
        self.classes_ = np.unique(y)
        labels = np.searchsorted(self.classes_, y)
        self._random_state = check_random_state(self.random_state)
        self._initialize(X)

        X_val = labels_val = None
        if self.early_stopping:
            X, X_val, labels, labels_val = train_test_split(
                X,
                labels,
                test_size=self.validation_fraction,
                stratify=labels if self._can_stratify(labels) else None,
                random_state=self._random_state,
            )
        self.loss_curve_ = []
        self.validation_scores_ = [] if self.early_stopping else None
        best, stalled, best_weights = -np.inf, 0, None
        self.n_iter_ = 0
        for _ in range(self.max_iter):
            self._run_epoch(X, labels)
            if self.early_stopping:
                score = np.mean(self._raw_predict(X_val) == labels_val)
                self.validation_scores_.append(float(score))
                monitored = score
            else:
                monitored = -self.loss_curve_[-1]
            if self.verbose:
                self._report()
            if self.tol is not None and monitored <= best + self.tol:
                stalled += 1
            else:
                stalled = 0
            if monitored > best:
                best = monitored
                if self.early_stopping:
                    best_weights = (self.coef_.copy(), self.intercept_.copy())
            if self.tol is not None and stalled >= self.n_iter_no_change:
                break
        else:
            if self.tol is not None:
                warnings.warn(
                    f"LocalDeltaClassifier stopped after max_iter={self.max_iter} "
                    "epochs without converging; increase max_iter.",
                    ConvergenceWarning,
                    stacklevel=2,
                )
        if best_weights is not None:
            self.coef_, self.intercept_ = best_weights
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None):
        """Run one epoch of the delta rule on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            Every class of the problem; required on the first call.

        Returns
        -------
        self : LocalDeltaClassifier
        """
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
        self._run_epoch(X, np.searchsorted(self.classes_, y))
        if self.verbose:
            self._report()
        return self

    def _can_stratify(self, labels):
        """A stratified hold-out needs 2 samples per class and room for each class."""
        counts = np.bincount(labels)
        n_held_out = int(np.ceil(self.validation_fraction * labels.size))
        return counts.min() >= 2 and len(counts) <= n_held_out

    def _validate_training_data(self, X, y, reset):
        X, y = validate_data(
            self, X, y, reset=reset, dtype=[np.float32, np.float64], order="C"
        )
        check_classification_targets(y)
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
        self._adam_state = None
        if self.solver == "adam":
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
        self._average_state = None
        if self.average is not False:
            self._live_weights = (self.coef_, self.intercept_)
            # float64 sums: late steps change the mean by less than float32's ulp
            self._average_state = (
                np.zeros(self.coef_.shape),
                np.zeros(self.intercept_.shape),
                np.zeros(2, dtype=np.int64),
                1 if self.average is True else int(self.average),
            )
        if self.learning_rate == "auto":
            squared_norms = np.einsum("ij,ij->i", X, X, dtype=np.float64)
            self.learning_rate_ = 0.2 / (float(np.mean(squared_norms)) + 1.0)
        else:
            self.learning_rate_ = float(self.learning_rate)

    def _run_epoch(self, X, labels):
        X = X.astype(self.coef_.dtype, copy=False)
        if self.shuffle:
            order = self._random_state.permutation(X.shape[0])
        else:
            order = np.arange(X.shape[0])
        start = time.perf_counter()
        if self._average_state is None:
            weights, intercept = self.coef_, self.intercept_
        else:  # learning goes on with the live weights, coef_ shows their mean
            weights, intercept = self._live_weights
        loss = delta_rule.delta_rule_epoch(
            X,
            labels.astype(np.int64),
            order,
            weights,
            intercept,
            self.learning_rate_ / (1.0 + self.learning_rate_decay * self.n_iter_),
            self.batch_size,
            _LOSS_CODES[self.loss, self.output_activation],
            float(self.beta),
            float(self.power),
            self._adam_state,
            self._average_state,
        )
        self._epoch_seconds = time.perf_counter() - start
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

    def _report(self):
        line = (
            f"-- Epoch {self.n_iter_}: loss {self.loss_curve_[-1]:.5f}, "
            f"{self._epoch_seconds:.2f} s"
        )
        if self.validation_scores_:
            line += f", validation accuracy {self.validation_scores_[-1]:.4f}"
        print(line, flush=True)

    # -------------------------------------------------------------- predict
    def _activations(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float32, np.float64])
        return X @ self.coef_.T.astype(X.dtype, copy=False) + self.intercept_

    def _raw_predict(self, X):
        return np.argmax(X @ self.coef_.T + self.intercept_, axis=1)

    def decision_function(self, X):
        """Output activations ``a = X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            For two classes, ``a_1 - a_0`` (positive means ``classes_[1]``).
        """
        scores = self._activations(X)
        if scores.shape[1] == 2:
            return scores[:, 1] - scores[:, 0]
        return scores

    def predict(self, X):
        """Class of the most active output unit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        scores = self._activations(X)
        return self.classes_[np.argmax(scores, axis=1)]

    def _has_probabilities(self):
        return self.loss == "softmax"

    @available_if(_has_probabilities)
    def predict_proba(self, X):
        """Softmax of the output activations (``loss="softmax"`` only).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return softmax(self._activations(X).astype(np.float64))

    @available_if(_has_probabilities)
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags
