"""Pictures of fitted networks: receptive fields and loss curves.

matplotlib is an optional dependency (``pip install 'skbio-plastic[plot]'``);
it is imported only when a function of this module is called.
"""

import math
import numbers
import warnings

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .receptive_fields import resolve_image_shape

__all__ = ["plot_learning_curve", "plot_loss_curve", "plot_receptive_fields"]

_ORDERS = ("input", "random", "norm")
# Colour of the separating lines between fields in the mosaic.
_GAP_COLOR = (0.3, 0.3, 0.3)


def _import_pyplot(function_name):
    """Return ``matplotlib.pyplot`` or raise an ImportError naming the extra."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{function_name} requires matplotlib: pip install 'skbio-plastic[plot]'"
        ) from exc
    return plt


def _field_weights(estimator_or_weights):
    """``(weights, image_shape or None)`` of an estimator or an array."""
    obj = estimator_or_weights
    if hasattr(obj, "fit") and hasattr(obj, "get_params"):
        if hasattr(obj, "steps"):  # a Pipeline: its last step with weights
            steps = [s for _, s in obj.steps if hasattr(s, "components_")]
            if not steps:
                raise ValueError(
                    "The pipeline has no fitted step with components_ to plot."
                )
            obj = steps[-1]
        check_is_fitted(obj)
        for name in ("components_", "coef_"):
            if hasattr(obj, name):
                weights = getattr(obj, name)
                break
        else:
            raise TypeError(
                f"{type(obj).__name__} has neither components_ nor coef_; pass a "
                "fitted front end or a 2-D array of weights."
            )
        image_shape = getattr(obj, "image_shape_", None)
    else:
        weights, image_shape = obj, None
    if hasattr(weights, "toarray"):  # scipy.sparse
        weights = weights.toarray()
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim == 1:
        weights = weights[np.newaxis, :]
    if weights.ndim != 2 or weights.shape[0] == 0 or weights.shape[1] == 0:
        raise ValueError(
            "Expected weights of shape (n_fields, n_features), got an array of "
            f"shape {weights.shape}."
        )
    if not np.all(np.isfinite(weights)):
        raise ValueError("The weights contain NaN or infinite values.")
    return weights, image_shape


def _resolve_shape(image_shape, n_features):
    """``(height, width, channels)`` of rows of ``n_features`` pixels."""
    if image_shape is None:
        for channels in (1, 3):
            side = math.isqrt(n_features // channels)
            if side * side * channels == n_features:
                return side, side, channels
        raise ValueError(
            f"Cannot infer the image shape of fields with {n_features} weights: "
            "it is neither a square grayscale image nor a square RGB image. "
            "Pass image_shape=(height, width) or (height, width, channels)."
        )
    shape = resolve_image_shape(image_shape, n_features)
    if shape[2] not in (1, 3):
        raise ValueError(
            "Only grayscale (1 channel) and RGB (3 channels) fields can be "
            f"plotted, got image_shape={tuple(image_shape)}."
        )
    return shape


def _select(weights, n_fields, order, random_state):
    """Indices of the fields to show."""
    n_available = weights.shape[0]
    if n_fields is None:
        n_fields = n_available
    elif not isinstance(n_fields, numbers.Integral) or n_fields < 1:
        raise ValueError(f"n_fields must be a positive integer, got {n_fields!r}.")
    n_fields = min(int(n_fields), n_available)
    if order == "input":
        return np.arange(n_fields)
    if order == "random":
        rng = check_random_state(random_state)
        return np.sort(rng.choice(n_available, size=n_fields, replace=False))
    if order == "norm":
        norms = np.linalg.norm(weights, axis=1)
        return np.argsort(-norms, kind="stable")[:n_fields]
    raise ValueError(f"order must be one of {_ORDERS}, got {order!r}.")


def _crop_box(field):
    """Row and column slices of the bounding box of the nonzero weights."""
    nonzero = np.any(field != 0, axis=2)
    if not nonzero.any():
        return slice(None), slice(None)
    rows = np.flatnonzero(nonzero.any(axis=1))
    cols = np.flatnonzero(nonzero.any(axis=0))
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def _to_rgba(field, colormap):
    """RGBA pixels of a field scaled to [-1, 1]: a colormap or RGB around grey."""
    if colormap is not None:
        return colormap((field[:, :, 0] + 1) / 2)
    alpha = np.ones(field.shape[:2] + (1,))
    return np.concatenate([np.clip(0.5 + field / 2, 0, 1), alpha], axis=2)


def plot_receptive_fields(
    estimator_or_weights,
    *,
    image_shape=None,
    n_fields=64,
    n_cols=None,
    order="input",
    crop=False,
    ax=None,
    cmap="bwr",
    title=None,
    random_state=None,
):
    """Show the weights of hidden units as a grid of images.

    Each field gets its own symmetric colour scale (``vmax = max |w|`` of that
    field): grayscale fields use the diverging ``cmap`` (zero is its centre),
    RGB fields are shown as colours ``0.5 + w / (2 max |w|)``. The fields are
    tiled into one image, separated by thin lines, without axis ticks.

    Parameters
    ----------
    estimator_or_weights : estimator or array-like of shape (n_units, n_features)
        A fitted front end with ``components_`` (and ``image_shape_``), a
        fitted linear model with ``coef_`` on pixels, a pipeline (its last
        step with ``components_`` is shown), or the weights themselves.
    image_shape : tuple of int, default=None
        ``(height, width)`` or ``(height, width, channels)`` of one field.
        ``None`` uses the estimator's ``image_shape_``, else infers a square
        grayscale or square RGB image from ``n_features``.
    n_fields : int or None, default=64
        Number of fields to show (at most the number of units); ``None`` for
        all.
    n_cols : int, default=None
        Fields per row; ``ceil(sqrt(n_fields))`` by default.
    order : {"input", "random", "norm"}, default="input"
        Which units: the first ``n_fields``, a random subset (drawn with
        ``random_state``, shown in index order), or those with the largest
        weight norm first.
    crop : bool, default=False
        Crop each field to the bounding box of its nonzero weights (the
        unit's patch for localized front ends). Smaller crops are centred in
        cells the size of the largest.
    ax : matplotlib Axes, default=None
        Axes to draw into; a new figure is created when ``None``.
    cmap : str or Colormap, default="bwr"
        Diverging colour map of grayscale fields.
    title : str, default=None
        Title of the axes.
    random_state : int, RandomState instance or None, default=None
        Seed of the random subset with ``order="random"``.

    Returns
    -------
    fig : matplotlib Figure
        The figure holding the plot.

    Examples
    --------
    >>> import numpy as np
    >>> from skbio_plastic.plotting import plot_receptive_fields
    >>> weights = np.random.default_rng(0).normal(size=(16, 64))
    >>> fig = plot_receptive_fields(weights, image_shape=(8, 8))  # doctest: +SKIP
    """
    plt = _import_pyplot("plot_receptive_fields")
    weights, fitted_shape = _field_weights(estimator_or_weights)
    shape = _resolve_shape(
        image_shape if image_shape is not None else fitted_shape, weights.shape[1]
    )
    if n_cols is not None and (not isinstance(n_cols, numbers.Integral) or n_cols < 1):
        raise ValueError(f"n_cols must be a positive integer, got {n_cols!r}.")
    chosen = _select(weights, n_fields, order, random_state)
    n = len(chosen)
    n_cols = min(int(n_cols), n) if n_cols is not None else math.ceil(math.sqrt(n))
    n_rows = math.ceil(n / n_cols)

    fields = weights[chosen].reshape((n,) + shape)
    scale = np.abs(fields).max(axis=(1, 2, 3))
    scale[scale == 0] = 1.0
    fields = fields / scale[:, None, None, None]  # each field in [-1, 1]
    if crop:
        fields = [f[_crop_box(f)] for f in fields]
    cell_h = max(f.shape[0] for f in fields)
    cell_w = max(f.shape[1] for f in fields)

    # One RGBA mosaic: cells of cell_h x cell_w framed by 1-pixel lines of
    # _GAP_COLOR; unused cells of an incomplete last row stay transparent.
    gap = 1
    height = n_rows * (cell_h + gap) + gap
    width = n_cols * (cell_w + gap) + gap
    colormap = plt.get_cmap(cmap) if shape[2] == 1 else None
    mosaic = np.zeros((height, width, 4))
    for k, field in enumerate(fields):
        row, col = divmod(k, n_cols)
        top, left = row * (cell_h + gap), col * (cell_w + gap)
        mosaic[top : top + cell_h + 2 * gap, left : left + cell_w + 2 * gap] = (
            *_GAP_COLOR,
            1.0,
        )
        top += gap + (cell_h - field.shape[0]) // 2
        left += gap + (cell_w - field.shape[1]) // 2
        mosaic[top : top + field.shape[0], left : left + field.shape[1]] = _to_rgba(
            field, colormap
        )

    if ax is None:
        longest = min(10.0, max(2.0, 0.7 * max(n_rows, n_cols)))
        extent = max(height, width)
        fig, ax = plt.subplots(
            figsize=(longest * width / extent, longest * height / extent + 0.3),
            layout="constrained",
        )
    else:
        fig = ax.figure
    ax.imshow(mosaic, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title is not None:
        ax.set_title(title)
    return fig


def plot_loss_curve(estimator, ax=None):
    """Plot the training loss (and validation accuracy) of each epoch.

    Not scikit-learn's learning curve (score against training set size):
    one fit's progress, epoch by epoch.

    Parameters
    ----------
    estimator : estimator
        A fitted estimator with ``loss_curve_`` (such as
        :class:`~skbio_plastic.LocalDeltaClassifier`), or a pipeline ending
        in one. ``validation_scores_``, when present and not ``None``, is
        drawn on a second y axis.
    ax : matplotlib Axes, default=None
        Axes to draw into; a new figure is created when ``None``.

    Returns
    -------
    fig : matplotlib Figure
        The figure holding the plot.
    """
    plt = _import_pyplot("plot_loss_curve")
    if hasattr(estimator, "steps"):
        estimator = estimator.steps[-1][1]
    check_is_fitted(estimator)
    loss = getattr(estimator, "loss_curve_", None)
    if loss is None or len(loss) == 0:
        raise ValueError(
            f"{type(estimator).__name__} has no loss_curve_ to plot; fit it first "
            "(with fit, not only partial_fit from a warm start)."
        )
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
    else:
        fig = ax.figure
    epochs = np.arange(1, len(loss) + 1)
    lines = ax.plot(epochs, loss, "o-", color="C0", label="training loss")
    ax.set_xlabel("epoch")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("training loss")
    scores = getattr(estimator, "validation_scores_", None)
    if scores is not None and len(scores):
        twin = ax.twinx()
        lines += twin.plot(
            np.arange(1, len(scores) + 1),
            scores,
            "s--",
            color="C1",
            label="validation accuracy",
        )
        twin.set_ylabel("validation accuracy")
    ax.legend(lines, [line.get_label() for line in lines], loc="best")
    ax.set_title(type(estimator).__name__)
    return fig


def plot_learning_curve(estimator, ax=None):
    """Deprecated alias of :func:`plot_loss_curve`.

    .. deprecated:: 0.1
       Renamed ``plot_loss_curve`` in 0.1 (it plots loss per epoch, not
       scikit-learn's learning curve); the alias will be removed in 0.2.
    """
    warnings.warn(
        "plot_learning_curve was renamed plot_loss_curve in 0.1 (it plots the "
        "loss of each epoch, not score against training set size) and will be "
        "removed in 0.2; use plot_loss_curve.",
        FutureWarning,
        stacklevel=2,
    )
    return plot_loss_curve(estimator, ax=ax)


def plot_spike_raster(
    trains,
    *,
    names=("input", "hidden", "output"),
    sizes=None,
    title=None,
    axes=None,
):
    """Raster plot of spike trains: one panel per population, a dot per spike.

    Parameters
    ----------
    trains : sequence of (times, neurons)
        Spike times (ms) and neuron indices of each population, as returned
        by :meth:`~skbio_plastic.SpikingLIFClassifier.spike_trains` or
        :meth:`~skbio_plastic.spiking.FeedForwardLIF.run` with ``record``.
    names : sequence of str, default=("input", "hidden", "output")
        Label of each panel.
    sizes : sequence of int, default=None
        Number of neurons of each population (the height of its panel); by
        default one more than the largest index that fired.
    title : str, default=None
    axes : sequence of matplotlib Axes, default=None
        One per population; a new figure with stacked panels by default.

    Returns
    -------
    fig : matplotlib Figure
    """
    plt = _import_pyplot("plot_spike_raster")
    trains = [(np.asarray(t), np.asarray(n)) for t, n in trains]
    if sizes is None:
        sizes = [int(n.max()) + 1 if n.size else 1 for _, n in trains]
    if axes is None:
        fig, axes = plt.subplots(
            len(trains),
            1,
            sharex=True,
            figsize=(7, 1.2 + 1.4 * len(trains)),
            gridspec_kw={"height_ratios": [1 + math.log10(max(s, 1)) for s in sizes]},
            squeeze=False,
        )
        axes = axes[:, 0]
    fig = axes[0].figure
    for ax, (times, neurons), name, size in zip(
        axes, trains, names, sizes, strict=True
    ):
        # Ticks for a few neurons, dots (smaller for more spikes) for many.
        few = size < 100
        area = 30.0 if few else max(0.3, min(8.0, 3000.0 / max(1, len(times))))
        ax.scatter(times, neurons, s=area, c="k", marker="|" if few else ".",
                   linewidths=0.8 if few else 0)  # fmt: skip
        ax.set_ylim(-0.5, size - 0.5)
        ax.set_ylabel(f"{name}\n({len(times)} spikes)")
    axes[-1].set_xlabel("time (ms)")
    if title is not None:
        axes[0].set_title(title)
    fig.tight_layout()
    return fig
