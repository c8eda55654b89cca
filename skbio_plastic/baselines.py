"""Baselines of the comparison tables: the localized network trained end to end.

Not a local learning rule: the hidden layer learns from errors sent back from
the outputs, by backpropagation or by feedback alignment. These networks are
the reference points that show what locality costs (Illing et al.'s l-BP and
l-FA, Krotov & Hopfield's backprop network), kept apart from the local rules.
"""

import math
import numbers
from contextlib import nullcontext

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils.extmath import softmax
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from ._epochs import epoch_learning_rate, hold_out, run_epochs
from ._kernels.mlp import patch_forward, patch_weight_gradient
from ._kernels.optimizers import adam_update
from ._output_units import OutputUnitsMixin
from ._progress import Progress
from ._sklearn_compat import (
    Interval,
    StrOptions,
    _check_partial_fit_first_call,
    fit_context,
)
from ._validation import (
    DTYPE_CONSTRAINT,
    check_classes,
    check_unchanged,
    resolve_dtype,
    structure,
    warn_if_large_scale,
)
from .receptive_fields import (
    patch_indices,
    random_patch_origins,
    resolve_image_shape,
    resolve_patch_size,
)

__all__ = ["LocalizedMLPClassifier"]

# Rows per prediction batch: hidden activities of one batch stay near this
# many elements (4 MiB of float32), whatever the number of samples; larger
# batches only slow the patch kernels down (their inputs leave the cache).
_PREDICT_BATCH_ELEMENTS = 1 << 20
_ADAM_BETAS, _ADAM_EPS = (0.9, 0.999), 1e-8
# Parameters the fitted layer was built from: partial_fit cannot change them.
_STRUCTURE = ("n_hidden", "patch_size", "image_shape", "dtype")


class LocalizedMLPClassifier(OutputUnitsMixin, ClassifierMixin, BaseEstimator):
    """One hidden layer with localized receptive fields, trained end to end.

    A **baseline**, not a local rule: every weight learns from the output
    error. Hidden unit ``j`` sees one square patch of the image (its
    ``patch_origins_[j]``, drawn as in the package's localized front ends)
    through weights ``hidden_weights_[j]``, then ReLU; one output unit per
    class reads all hidden units. With ``learning_algorithm="backprop"`` the
    hidden error is ``coef_.T @ delta`` (Illing et al.'s l-BP); with
    ``"feedback_alignment"`` a fixed random matrix ``feedback_`` replaces
    ``coef_`` in that product (Lillicrap et al. 2016; l-FA). ``patch_size=None``
    gives the plain fully connected network.

    Each unit stores only the weights of its patch, and numba kernels read the
    patch pixels of every unit, so the work (and the weights stored) scale with
    the patch, not with the image: 10 x 10 patches of 28 x 28 images cost an
    eighth of the dense layer. The fully connected network uses BLAS.

    Parameters
    ----------
    n_hidden : int, default=5000
        Hidden units.
    patch_size : int or None, default=10
        Side of each unit's square patch; ``None`` connects every unit to the
        whole image.
    image_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(height, width, channels)`` of the flat rows;
        ``None`` means a square grayscale image.
    learning_algorithm : {"backprop", "feedback_alignment"}, default="backprop"
        How the output error reaches the hidden layer.
    loss : {"softmax", "squared"}, default="softmax"
        Cross-entropy of softmax outputs, or half the squared error of linear
        outputs against one-hot {0, 1} targets.
    solver : {"adam", "sgd"}, default="adam"
        Adam (Kingma & Ba; betas 0.9, 0.999) or SGD with ``momentum``.
    learning_rate : float, default=1e-3
        Step size.
    learning_rate_decay : float, default=0.0
        Epoch ``e`` (from 0, across ``partial_fit`` calls) steps with
        ``learning_rate / (1 + learning_rate_decay * e)``.
    momentum : float, default=0.9
        Momentum of ``solver="sgd"``.
    alpha : float, default=0.0
        L2 penalty: ``alpha * w`` is added to every weight's gradient of the
        batch-mean loss (biases are not penalised).
    dropout : float, default=0.0
        Fraction of the hidden units silenced at random in each training step
        (inverted dropout: the others are scaled by ``1 / (1 - dropout)``);
        ``predict`` uses every unit, unscaled.
    batch_size : int, default=100
        Samples per step.
    max_iter : int, default=50
        Maximum number of epochs.
    shuffle : bool, default=True
        Shuffle the samples before each epoch.
    tol : float or None, default=1e-3
        Stop when the monitored error (the mean training loss of an epoch,
        or the validation error rate with ``early_stopping``) has not fallen
        below its best value by more than ``tol`` times its first-epoch value
        for ``n_iter_no_change`` epochs; ``None`` runs ``max_iter`` epochs.
    n_iter_no_change : int, default=5
        Patience of the stopping rule.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data, monitor its
        accuracy and keep the weights of the best epoch.
    validation_fraction : float, default=0.1
        Held-out fraction with ``early_stopping``.
    dtype : {"float32", "float64"} or None, default=None
        Precision of the weights and of the computation; ``None`` follows the
        input (float32 stays float32, anything else is float64).
    random_state : int, RandomState instance or None, default=None
        Patch positions, initial weights, feedback weights and shuffling.
    verbose : int, default=0
        Print one progress line per epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    patch_origins_ : ndarray of shape (n_hidden, 2)
        ``(row, column)`` of each hidden unit's patch.
    hidden_weights_ : ndarray of shape (n_hidden, patch_height * patch_width * channels)
        Each unit's weights over its patch, C order (row, column, channel).
    hidden_intercept_ : ndarray of shape (n_hidden,)
    coef_ : ndarray of shape (n_classes, n_hidden)
        Output weights.
    intercept_ : ndarray of shape (n_classes,)
    feedback_ : ndarray of shape (n_classes, n_hidden)
        The fixed random weights that carry the error back with
        ``learning_algorithm="feedback_alignment"``.
    loss_curve_ : list of float
        Mean training loss of each epoch.
    validation_scores_ : list of float or None
        Held-out accuracy of each epoch with ``early_stopping``.
    n_iter_ : int
        Epochs run.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.

    See Also
    --------
    LocalDeltaClassifier : the local readout that the local front ends feed.
    sklearn.neural_network.MLPClassifier : the dense network of scikit-learn.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skbio_plastic import LocalizedMLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LocalizedMLPClassifier(200, patch_size=4, image_shape=(8, 8),
    ...                              learning_rate=0.01, max_iter=20, tol=None,
    ...                              random_state=0)
    >>> clf.fit(X[:1500] / 16, y[:1500]).score(X[1500:] / 16, y[1500:]) > 0.9
    True
    """

    _parameter_constraints: dict = {
        "n_hidden": [Interval(numbers.Integral, 1, None, closed="left")],
        "patch_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "image_shape": [tuple, list, None],
        "learning_algorithm": [StrOptions({"backprop", "feedback_alignment"})],
        "loss": [StrOptions({"softmax", "squared"})],
        "solver": [StrOptions({"adam", "sgd"})],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "learning_rate_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "momentum": [Interval(numbers.Real, 0, 1, closed="left")],
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "tol": [Interval(numbers.Real, 0, None, closed="left"), None],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "dtype": [*DTYPE_CONSTRAINT, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_hidden=5000,
        *,
        patch_size=10,
        image_shape=None,
        learning_algorithm="backprop",
        loss="softmax",
        solver="adam",
        learning_rate=1e-3,
        learning_rate_decay=0.0,
        momentum=0.9,
        alpha=0.0,
        dropout=0.0,
        batch_size=100,
        max_iter=50,
        shuffle=True,
        tol=1e-3,
        n_iter_no_change=5,
        early_stopping=False,
        validation_fraction=0.1,
        dtype=None,
        random_state=None,
        verbose=0,
    ):
        self.n_hidden = n_hidden
        self.patch_size = patch_size
        self.image_shape = image_shape
        self.learning_algorithm = learning_algorithm
        self.loss = loss
        self.solver = solver
        self.learning_rate = learning_rate
        self.learning_rate_decay = learning_rate_decay
        self.momentum = momentum
        self.alpha = alpha
        self.dropout = dropout
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------ training
    @fit_context
    def fit(self, X, y):
        """Train the network on ``(X, y)`` for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Image rows with values of order 1 (e.g. pixels in [0, 1]).
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : LocalizedMLPClassifier
        """
        X, y = self._validate_training_data(X, y, reset=True)
        self.classes_ = check_classes(self, y)
        labels = np.searchsorted(self.classes_, y)
        self._build(X.shape[1], X.dtype)
        self.loss_curve_, self.n_iter_ = [], 0
        train = validation_accuracy = snapshot = None
        if self.early_stopping:
            train, validation = hold_out(
                labels, self.validation_fraction, self._random_state
            )

            def validation_accuracy():
                predicted = self._decision(X[validation]).argmax(axis=1)
                return float(np.mean(predicted == labels[validation]))

            def snapshot():
                return [array.copy() for array in self._weights]

        best = run_epochs(
            self,
            lambda: self._run_epoch(X, labels, train),
            validation_accuracy,
            snapshot,
        )
        if best is not None:
            self._weights = best
        return self

    @fit_context
    def partial_fit(self, X, y, classes=None):
        """Run one epoch on ``(X, y)``, continuing from the current weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            Every class of the problem (at least 2); required on the first
            call.

        Returns
        -------
        self : LocalizedMLPClassifier
        """
        if classes is not None:
            check_classes(self, classes, given_to_partial_fit=True)
        first_call = _check_partial_fit_first_call(self, classes)
        if not first_call:
            check_unchanged(self, self._structure, structure(self, _STRUCTURE))
        X, y = self._validate_training_data(X, y, reset=first_call)
        unseen = np.setdiff1d(y, self.classes_)
        if unseen.size:
            raise ValueError(
                f"y contains labels {unseen.tolist()} that are not in classes="
                f"{self.classes_.tolist()} given at the first call of partial_fit."
            )
        labels = np.searchsorted(self.classes_, y)
        if first_call:
            self._build(X.shape[1], X.dtype)
            self.loss_curve_, self.validation_scores_, self.n_iter_ = [], None, 0
        progress = Progress(self, None, verbose=self.verbose)
        self._run_epoch(X, labels)
        progress.update(self.n_iter_, loss=self.loss_curve_[-1])
        return self

    def _validate_training_data(self, X, y, reset):
        """Checked ``(X, y)``; a warning for 0-255 pixels."""
        X, y = validate_data(
            self, X, y, reset=reset, dtype=[np.float32, np.float64], order="C"
        )
        check_classification_targets(y)
        warn_if_large_scale(X, self)
        return X, y

    def _build(self, n_features, input_dtype):
        """Draw the patches and the initial weights (the fitted structure).

        Unit ``j`` reads features ``_starts[j] + _offsets``: the hidden layer
        is stored as ``(n_hidden, patch inputs)``, one row per unit.
        """
        rng = self._random_state = check_random_state(self.random_state)
        dtype = resolve_dtype(self.dtype, input_dtype)
        image_shape = resolve_image_shape(
            (1, n_features)
            if self.patch_size is None and self.image_shape is None
            else self.image_shape,
            n_features,
        )
        patch_shape = resolve_patch_size(self.patch_size, image_shape)
        self.patch_origins_ = random_patch_origins(
            image_shape, patch_shape, self.n_hidden, rng
        )
        self._starts = patch_indices(image_shape, (1, 1), self.patch_origins_)[:, 0]
        self._offsets = patch_indices(
            image_shape, patch_shape, np.zeros((1, 2), dtype=np.int64)
        )[0]
        n_inputs, n_classes = len(self._offsets), len(self.classes_)
        # one patch covers the image: plain matrix products (BLAS)
        self._fully_connected = n_inputs == n_features
        bound_in = math.sqrt(6.0 / n_inputs)  # He et al.'s uniform, for ReLU
        hidden = rng.uniform(-bound_in, bound_in, (self.n_hidden, n_inputs))
        bound_out = math.sqrt(6.0 / (self.n_hidden + n_classes))  # Glorot's
        output, feedback = (
            rng.uniform(-bound_out, bound_out, (self.n_hidden, n_classes))
            for _ in range(2)
        )
        self._weights = [
            hidden.astype(dtype),
            np.zeros(self.n_hidden, dtype=dtype),
            output.astype(dtype),
            np.zeros(n_classes, dtype=dtype),
        ]
        self._feedback = feedback.astype(dtype)
        self._moments = [[np.zeros_like(w) for w in self._weights] for _ in range(2)]
        self._n_steps = 0
        self._structure = structure(self, _STRUCTURE)

    def _run_epoch(self, X, labels, rows=None):
        """One pass over ``rows`` of ``X`` (all by default) in minibatches."""
        rows = np.arange(X.shape[0]) if rows is None else rows
        if self.shuffle:
            rows = self._random_state.permutation(rows)
        step = epoch_learning_rate(
            self.learning_rate, self.learning_rate_decay, self.n_iter_
        )
        dtype = self._weights[0].dtype
        total = 0.0
        # The patch layer runs in numba; its few BLAS products (n_hidden x
        # batch x n_classes) are too small for threads, whose idle spinning
        # would take the core from the kernels.
        with (
            nullcontext()
            if self._fully_connected
            else threadpool_limits(1, user_api="blas")
        ):
            for batch in gen_batches(len(rows), self.batch_size):
                chosen = rows[batch]
                total += self._step(
                    X[chosen].astype(dtype, copy=False), labels[chosen], step
                )
        self.loss_curve_.append(total / len(rows))
        self.n_iter_ += 1

    def _forward(self, X, dropout=0.0):
        """Inputs ``(features, batch)``, hidden activities and outputs.

        The hidden activities are ``(n_hidden, batch)``, the outputs
        ``(batch, n_classes)``; with ``dropout``, a random fraction of the
        activities is zeroed and the rest scaled by ``1 / (1 - dropout)``.
        """
        hidden, hidden_bias, output, output_bias = self._weights
        inputs = np.ascontiguousarray(X.T)
        if self._fully_connected:
            activities = hidden @ inputs
            activities += hidden_bias[:, None]
            np.maximum(activities, 0, out=activities)
        else:
            activities = patch_forward(
                hidden, hidden_bias, self._starts, self._offsets, inputs
            )
        if dropout:
            kept = self._random_state.random_sample(activities.shape) >= dropout
            activities *= kept
            activities *= 1.0 / (1.0 - dropout)
        outputs = activities.T @ output
        outputs += output_bias
        return inputs, activities, outputs

    def _step(self, X, labels, step):
        """One gradient step on a minibatch; returns the batch's summed loss."""
        inputs, activities, outputs = self._forward(X, dropout=self.dropout)
        targets = np.zeros_like(outputs)
        targets[np.arange(len(labels)), labels] = 1
        if self.loss == "softmax":
            probabilities = softmax(outputs)
            loss = -np.log(np.maximum(probabilities[np.arange(len(labels)), labels],
                                      np.finfo(outputs.dtype).tiny)).sum()  # fmt: skip
            errors = probabilities - targets
        else:
            errors = outputs - targets
            loss = 0.5 * np.einsum("ij,ij->", errors, errors)
        errors /= len(labels)
        hidden, _, output, _ = self._weights
        back = output if self.learning_algorithm == "backprop" else self._feedback
        hidden_errors = back @ errors.T
        hidden_errors *= activities > 0
        if self.dropout:
            hidden_errors *= 1.0 / (1.0 - self.dropout)
        gradients = [
            hidden_errors @ inputs.T
            if self._fully_connected
            else patch_weight_gradient(
                hidden_errors, self._starts, self._offsets, inputs
            ),
            hidden_errors.sum(axis=1),
            activities @ errors,
            errors.sum(axis=0),
        ]
        if self.alpha:
            gradients[0] += self.alpha * hidden
            gradients[2] += self.alpha * output
        self._update(gradients, step)
        return float(loss)

    def _update(self, gradients, step):
        """Move the weights along ``gradients`` with the chosen solver."""
        self._n_steps += 1
        first, second = self._moments
        if self.solver == "sgd":
            for weight, gradient, velocity in zip(
                self._weights, gradients, first, strict=True
            ):
                velocity *= self.momentum
                velocity -= step * gradient
                weight += velocity
            return
        beta1, beta2 = _ADAM_BETAS
        t = self._n_steps
        rate = step * math.sqrt(1 - beta2**t) / (1 - beta1**t)
        for weight, gradient, mean, square in zip(
            self._weights, gradients, first, second, strict=True
        ):
            adam_update(weight.reshape(-1), gradient.reshape(-1), mean.reshape(-1),
                        square.reshape(-1), rate, beta1, beta2, _ADAM_EPS)  # fmt: skip

    # ---------------------------------------------------------- prediction
    def _decision(self, X):
        """Outputs ``(n_samples, n_classes)`` in batches of bounded memory."""
        dtype = self._weights[0].dtype
        out = np.empty((X.shape[0], len(self.classes_)), dtype=dtype)
        step = max(1, _PREDICT_BATCH_ELEMENTS // max(1, self._weights[2].shape[0]))
        for start in range(0, X.shape[0], step):
            batch = X[start : start + step].astype(dtype, copy=False)
            out[start : start + step] = self._forward(batch)[2]
        return out

    def _outputs(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float32, np.float64])
        return self._decision(X)

    # ------------------------------------------------------ weights by unit
    @property
    def hidden_weights_(self):
        return self._weights[0].copy()

    @property
    def hidden_intercept_(self):
        return self._weights[1].copy()

    @property
    def coef_(self):
        return self._weights[2].T.copy()

    @property
    def intercept_(self):
        return self._weights[3].copy()

    @property
    def feedback_(self):
        return self._feedback.T.copy()
