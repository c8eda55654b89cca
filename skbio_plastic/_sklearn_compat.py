"""The one home of scikit-learn's private APIs used by this package.

scikit-learn's parameter validation, its fit context and its partial-fit
helper are not public, so they may move between releases. Every module imports
them from here; ``pyproject.toml`` pins the range of releases this module was
tested with, and a move needs a change in this file only.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Hidden, Interval, Options, StrOptions
from sklearn.utils.multiclass import _check_partial_fit_first_call

__all__ = [
    "Hidden",
    "Interval",
    "Options",
    "StrOptions",
    "_check_partial_fit_first_call",
    "_fit_context",
]
