"""The one home of scikit-learn's private APIs used by this package.

scikit-learn's parameter validation, its fit context and its partial-fit
helper are not public, so they may move between releases. Every module imports
them from here; ``pyproject.toml`` pins the range of releases this module was
tested with, and a move needs a change in this file only.
"""

import functools

from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    HasMethods,
    Hidden,
    Interval,
    Options,
    StrOptions,
)
from sklearn.utils.multiclass import _check_partial_fit_first_call

__all__ = [
    "fit_context",
    "HasMethods",
    "Hidden",
    "Interval",
    "Options",
    "StrOptions",
    "_check_partial_fit_first_call",
    "_fit_context",
]


def fit_context(method):
    """scikit-learn's fit context, validating the parameters on every call.

    ``_fit_context`` skips the validation of ``partial_fit`` once the
    estimator is fitted; here a value changed with ``set_params`` between two
    ``partial_fit`` calls is checked like any other.
    """
    in_context = _fit_context(prefer_skip_nested_validation=True)(method)

    @functools.wraps(method)
    def validated(estimator, *args, **kwargs):
        if method.__name__ == "partial_fit":
            estimator._validate_params()
        return in_context(estimator, *args, **kwargs)

    return validated
