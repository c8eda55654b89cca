"""The prediction methods of the classifiers with one output unit per class."""

import numpy as np
from sklearn.utils.extmath import softmax
from sklearn.utils.metaestimators import available_if

__all__ = ["OutputUnitsMixin"]


class OutputUnitsMixin:
    """``decision_function``, ``predict`` and, for a softmax loss, probabilities.

    The classifier implements ``_outputs(X)``: the checked activities of its
    output units, shape ``(n_samples, n_classes)``; ``loss="softmax"``
    enables ``predict_proba`` and ``predict_log_proba``.
    """

    def decision_function(self, X):
        """Activities of the output units (before any softmax).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            For two classes, ``a_1 - a_0`` (positive means ``classes_[1]``).
        """
        scores = self._outputs(X)
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
        scores = self._outputs(X)
        return self.classes_[np.argmax(scores, axis=1)]

    def _check_probabilities(self):
        if self.loss != "softmax":
            raise AttributeError(
                "predict_proba and predict_log_proba are only available with "
                f'loss="softmax", not with loss={self.loss!r}.'
            )
        return True

    @available_if(_check_probabilities)
    def predict_proba(self, X):
        """Softmax of the output activities (``loss="softmax"`` only).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return softmax(self._outputs(X).astype(np.float64))

    @available_if(_check_probabilities)
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags
