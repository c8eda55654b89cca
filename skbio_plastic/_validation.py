"""Checks of user input shared by every estimator: parameters and data.

Errors and warnings name the parameter or array, what was seen and what was
expected, and how to fix it.
"""

import os
import sys
import warnings

import numpy as np
import sklearn
from sklearn.base import BaseEstimator

from ._sklearn_compat import Options, StrOptions

__all__ = [
    "DTYPE_CONSTRAINT",
    "check_classes",
    "check_unchanged",
    "preserved_dtypes",
    "resolve_dtype",
    "warn_if_large_scale",
    "warn_if_channels_first",
    "user_stacklevel",
]

_FLOAT_DTYPES = {"float32": np.float32, "float64": np.float64}

# The ``dtype`` parameter: a name, a numpy float type or a numpy dtype (its
# kind is checked by resolve_dtype at fit).
DTYPE_CONSTRAINT = [
    StrOptions(set(_FLOAT_DTYPES)),
    Options(type, {np.float32, np.float64}),
    np.dtype,
]

# Rows looked at by the data checks: enough for a stable statistic, cheap
# beside any fit.
_CHECK_ROWS = 1000


_LIBRARY_DIRS = tuple(
    os.path.dirname(module.__file__) + os.sep
    for module in (sys.modules[__name__.rpartition(".")[0]], sklearn)
)


def user_stacklevel():
    """``stacklevel`` for ``warnings.warn`` that points at the user's own line.

    Counts the frames of this package and of scikit-learn (whose fit context
    wraps every ``fit``) above the caller of this function, so that a warning
    raised deep inside a fit is reported where the user called it.
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARY_DIRS):
        frame, level = frame.f_back, level + 1
    return level


def resolve_dtype(dtype, input_dtype=None):
    """Map the ``dtype`` parameter (a name, numpy float type or dtype) to a type.

    ``None`` follows scikit-learn's convention for float32 estimators: the
    dtype of the input ``input_dtype`` when it is float32, else float64.
    """
    if dtype is None:
        return np.float32 if np.dtype(input_dtype) == np.float32 else np.float64
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = None
    if name not in _FLOAT_DTYPES or isinstance(dtype, bool):
        raise ValueError(
            f"dtype must be 'float32' or 'float64' (or the numpy type), got {dtype!r}."
        )
    return _FLOAT_DTYPES[name]


def preserved_dtypes(dtype):
    """The ``preserves_dtype`` transformer tag for the ``dtype`` parameter.

    ``None`` (follow the input) preserves float64 and float32; a float type
    preserves itself. ``None`` is returned for an invalid ``dtype`` (left to
    the fit to report), meaning: keep scikit-learn's default tag.
    """
    if dtype is None:
        return ["float64", "float32"]
    try:
        return [np.dtype(resolve_dtype(dtype)).name]
    except ValueError:
        return None


def warn_if_large_scale(X, estimator, *, limit=10.0, expected="pixels in [0, 1]"):
    """Warn when the typical magnitude of ``X`` is far beyond order 1.

    The root mean square of (up to 1000 rows of) ``X`` above ``limit`` means,
    almost always, pixels in 0-255: the front ends' weight and bias scales and
    the readout's initial weights assume inputs of order 1, so such data train
    a model at chance level without any error.
    """
    sample = X[:_CHECK_ROWS]
    rms = float(np.sqrt(np.mean(np.square(sample, dtype=np.float64))))
    if not rms > limit:
        return
    low, high = float(np.min(sample)), float(np.max(sample))
    warnings.warn(
        f"{type(estimator).__name__} expects inputs of order 1 ({expected}), "
        f"but X has values in [{low:.4g}, {high:.4g}] with a root mean square "
        f"of {rms:.4g}. Scale X first (e.g. X / 255 for 8-bit pixels, or "
        "MinMaxScaler); otherwise the model can silently stay at chance level.",
        UserWarning,
        stacklevel=user_stacklevel(),
    )


def warn_if_channels_first(X, image_shape, estimator):
    """Warn when colour rows look stored channel by channel, not pixel by pixel.

    ``image_shape=(height, width, channels)`` means C-order rows of
    ``(height, width, channels)`` arrays (channels last), while the CIFAR-10
    files store ``(channels, height, width)``. Natural images are smooth, so
    the right layout has the smaller difference between horizontal
    neighbours; a clear win of the other layout is reported.
    """
    height, width, channels = image_shape
    if channels == 1 or width < 2:
        return
    sample = np.asarray(X[:_CHECK_ROWS], dtype=np.float64)
    last = sample.reshape(-1, height, width, channels)
    first = sample.reshape(-1, channels, height, width)
    rough_last = np.mean(np.abs(np.diff(last, axis=2)))
    rough_first = np.mean(np.abs(np.diff(first, axis=3)))
    if not rough_first < 0.5 * rough_last:
        return
    warnings.warn(
        f"{type(estimator).__name__}: X looks stored channels first "
        f"({channels}, {height}, {width}) per row (as the CIFAR-10 files are), "
        f"but image_shape={tuple(image_shape)} means channels last: "
        f"neighbouring pixels differ {rough_last / rough_first:.1f} times more "
        "in the given layout. Reorder the rows with "
        f"X.reshape(-1, {channels}, {height}, {width}).transpose(0, 2, 3, 1)"
        f".reshape(len(X), -1), or check image_shape.",
        UserWarning,
        stacklevel=user_stacklevel(),
    )


def check_classes(estimator, labels, *, given_to_partial_fit=False):
    """The sorted classes of ``labels``; an error when there is only one.

    ``labels`` are the training targets of ``fit``, or the ``classes``
    argument of a first ``partial_fit`` call (``given_to_partial_fit``).
    """
    classes = np.unique(np.asarray(labels))
    if classes.size >= 2:
        return classes
    if given_to_partial_fit:
        raise ValueError(
            f"{type(estimator).__name__} needs at least 2 classes, but "
            f"classes={classes.tolist()!r} given to partial_fit holds only one."
        )
    raise ValueError(
        f"{type(estimator).__name__} needs samples of at least 2 classes in the "
        f"data, but the data contain only one class: {classes.tolist()[0]!r}."
    )


def check_unchanged(estimator, built, current):
    """Raise when a parameter the fitted state was built from has changed.

    ``built`` and ``current`` map parameter names to their values at fit and
    now. Arrays, lists and estimators count as unchanged only when they are
    the same object; other values when they are equal.
    """
    for name, value in built.items():
        now = current[name]
        same = now is value or (
            not isinstance(now, (BaseEstimator, np.ndarray, list)) and now == value
        )
        if not same:
            raise ValueError(
                f"{name} cannot change between partial_fit calls: "
                f"{type(estimator).__name__} was fitted with {name}={value!r}, "
                f"and set_params changed {name}={now!r}. Call fit to start "
                "afresh, or set it back."
            )


def structure(estimator, names):
    """The parameters ``names`` that fix a fitted state's shape, comparable.

    ``image_shape`` becomes a tuple and ``dtype`` its name (``None`` stays
    ``None``), so that equal settings compare equal in
    :func:`check_unchanged` whatever form the user gave them in.
    """
    values = {}
    for name in names:
        value = getattr(estimator, name)
        if name == "image_shape" and value is not None:
            value = tuple(value)
        elif name == "dtype" and value is not None:
            value = np.dtype(resolve_dtype(value)).name
        values[name] = value
    return values
