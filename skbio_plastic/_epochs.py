"""The epoch loop of the supervised learners: stopping rule and early stopping.

One rule for every classifier that trains for up to ``max_iter`` epochs
(:class:`~skbio_plastic.LocalDeltaClassifier`,
:class:`~skbio_plastic.LocalizedMLPClassifier`): stop when the monitored error
(the mean training loss of an epoch, or the validation error rate ``1 -
accuracy`` with early stopping) has not fallen below its best value by more
than ``tol`` times its first-epoch value for ``n_iter_no_change`` epochs.
One learning-rate schedule for every learner with a ``learning_rate_decay``.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from ._progress import Progress
from ._validation import user_stacklevel

__all__ = ["epoch_learning_rate", "hold_out", "run_epochs"]


def epoch_learning_rate(learning_rate, decay, epoch):
    """``learning_rate / (1 + decay * epoch)``: the rate of epoch ``epoch`` (from 0)."""
    return learning_rate / (1.0 + decay * epoch)


def hold_out(labels, validation_fraction, random_state):
    """Row indices ``(train, validation)`` of an early-stopping split.

    Stratified when every class has 2 samples and room in the held-out part.
    The split is a pair of index arrays: the data themselves are not copied.
    """
    counts = np.bincount(labels)
    n_held_out = int(np.ceil(validation_fraction * labels.size))
    stratify = counts.min() >= 2 and len(counts) <= n_held_out
    return train_test_split(
        np.arange(labels.size),
        test_size=validation_fraction,
        stratify=labels if stratify else None,
        random_state=random_state,
    )


def run_epochs(estimator, run_epoch, validation_accuracy=None, snapshot=None):
    """Train ``estimator`` for up to ``max_iter`` epochs with the stopping rule.

    Parameters
    ----------
    estimator : estimator
        Reads ``max_iter``, ``tol``, ``n_iter_no_change`` and ``verbose``;
        its ``loss_curve_`` receives one value per epoch from ``run_epoch``,
        and ``validation_scores_`` (set here) the held-out accuracies.
    run_epoch : callable
        Runs one epoch, appends its mean training loss to
        ``estimator.loss_curve_`` and increments ``estimator.n_iter_``.
    validation_accuracy : callable or None
        Accuracy on the held-out samples (early stopping), or None to
        monitor the training loss.
    snapshot : callable or None
        Returns a copy of the weights to keep from the best epoch (early
        stopping only).

    Returns
    -------
    best : object or None
        ``snapshot()`` of the best epoch with early stopping, else None.
    """
    early_stopping = validation_accuracy is not None
    estimator.validation_scores_ = [] if early_stopping else None
    tol = estimator.tol
    progress = Progress(
        estimator,
        estimator.max_iter,
        verbose=estimator.verbose,
        may_stop_early=tol is not None,
    )
    best, stalled, best_weights = np.inf, 0, None
    for _ in range(estimator.max_iter):
        run_epoch()
        error = estimator.loss_curve_[-1]
        metrics = {"loss": error}
        if early_stopping:
            score = validation_accuracy()
            estimator.validation_scores_.append(score)
            metrics["validation_accuracy"] = score
            error = 1.0 - score
        progress.update(estimator.n_iter_, **metrics)
        if len(estimator.loss_curve_) == 1:  # tol is relative to the first epoch
            min_improvement = (tol or 0.0) * error
        if tol is not None and error >= best - min_improvement:
            stalled += 1
        else:
            stalled = 0
        if error < best:
            best = error
            if early_stopping and snapshot is not None:
                best_weights = snapshot()
        if tol is not None and stalled >= estimator.n_iter_no_change:
            return best_weights
    if tol is not None:
        monitored = "validation error" if early_stopping else "loss"
        warnings.warn(
            f"{type(estimator).__name__} stopped after max_iter="
            f"{estimator.max_iter} epochs while its {monitored} still fell by more "
            f"than tol={tol:g} times its first-epoch value; increase max_iter.",
            ConvergenceWarning,
            stacklevel=user_stacklevel(),
        )
    return best_weights
