"""The filter-bank transformer shared by every front end.

A front end is a layer of hidden units, each a row of the dense matrix
``components_`` (zero outside the unit's receptive field) plus a bias in
``intercept_``. Fitting chooses or learns those rows; transforming is one BLAS
product per batch of samples followed by an element-wise activation.
"""

import numbers

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from ._sklearn_compat import Interval
from ._validation import DTYPE_CONSTRAINT, preserved_dtypes
from .receptive_fields import resolve_image_shape, resolve_patch_size

# Rows per transform batch are chosen so that one batch of outputs stays near
# this many elements (64 MiB of float32): memory stays bounded for any n_samples
# while every batch is still a large, efficient GEMM.
_TRANSFORM_BATCH_ELEMENTS = 1 << 24


class FilterBankTransformer(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Base class of the hidden layers: ``f(X @ components_.T + intercept_)``.

    Subclasses implement ``_fit_filter_bank(X, random_state)`` which sets
    ``components_`` of shape ``(n_components, n_features)`` and ``intercept_``
    of shape ``(n_components,)``, both of the estimator's ``dtype``. They may
    override ``_activate`` (in place) for another non-linearity than ReLU.
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "dtype": [*DTYPE_CONSTRAINT, None],
        "random_state": ["random_state"],
    }

    @property
    def _n_features_out(self):
        return self.components_.shape[0]

    def _image_geometry(self, n_features):
        """``(image_shape, patch_shape)`` of a localized estimator, validated."""
        image_shape = self.image_shape
        if self.patch_size is None and image_shape is None:
            image_shape = (1, n_features)
        image_shape = resolve_image_shape(image_shape, n_features)
        return image_shape, resolve_patch_size(self.patch_size, image_shape)

    def _activate(self, currents, X_batch):
        """Apply the non-linearity to ``currents`` in place (default: ReLU)."""
        np.maximum(currents, 0, out=currents)

    def transform(self, X):
        """Hidden-unit activities of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        H : ndarray of shape (n_samples, n_components)
            In the estimator's ``dtype``; computed in batches so that only
            the output itself grows with ``n_samples``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float32, np.float64])
        out = np.empty(
            (X.shape[0], self.components_.shape[0]), dtype=self.components_.dtype
        )
        for batch, currents in self._affine_batches(X, out):
            self._activate(currents, batch)
        return out

    def _affine_batches(self, X, out=None):
        """Yield ``(X_batch, X_batch @ components_.T + intercept_)`` per batch.

        The currents are written into the rows of ``out`` when it is given,
        else into a fresh array per batch: memory stays bounded by one batch.
        """
        weights = self.components_
        step = max(1, _TRANSFORM_BATCH_ELEMENTS // weights.shape[0])
        for start in range(0, X.shape[0], step):
            batch = X[start : start + step].astype(weights.dtype, copy=False)
            if out is None:
                currents = np.empty((batch.shape[0], weights.shape[0]), weights.dtype)
            else:
                currents = out[start : start + step]
            np.dot(batch, weights.T, out=currents)
            currents += self.intercept_
            yield batch, currents

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        preserved = preserved_dtypes(self.dtype)
        if preserved is not None:
            tags.transformer_tags.preserves_dtype = preserved
        return tags
