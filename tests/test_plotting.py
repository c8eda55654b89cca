"""Tests for skbio_plastic.plotting (matplotlib's Agg backend, no display)."""

import sys

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

from skbio_plastic import LocalDeltaClassifier, LocalizedRandomProjection
from skbio_plastic.plotting import (
    plot_learning_curve,
    plot_loss_curve,
    plot_receptive_fields,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X[:300] / 16).astype(np.float32), y[:300]


def _mosaic(fig):
    """The RGBA mosaic drawn by plot_receptive_fields."""
    (ax,) = fig.axes
    (image,) = ax.get_images()
    return np.asarray(image.get_array())


def test_grayscale_estimator(digits):
    X, _ = digits
    lrp = LocalizedRandomProjection(n_components=20, patch_size=4, random_state=0)
    fig = plot_receptive_fields(lrp.fit(X), n_fields=9, title="l-RP")
    assert isinstance(fig, matplotlib.figure.Figure)
    (ax,) = fig.axes
    assert ax.get_title() == "l-RP"
    assert len(ax.get_xticks()) == 0 and len(ax.get_yticks()) == 0
    # 3 x 3 cells of 8 x 8 pixels with 1-pixel separators.
    assert _mosaic(fig).shape == (3 * 9 + 1, 3 * 9 + 1, 4)


def test_symmetric_colour_scale_per_field():
    weights = np.zeros((2, 4))
    weights[0, :2] = [3.0, -1.0]  # max |w| = 3: +3 -> top of the scale
    weights[1, :2] = [-0.01, 0.005]  # max |w| = 0.01: -0.01 -> bottom
    fig = plot_receptive_fields(weights, image_shape=(2, 2), cmap="gray")
    mosaic = _mosaic(fig)
    np.testing.assert_allclose(mosaic[1, 1, :3], 1.0)  # field 0, pixel (0, 0)
    np.testing.assert_allclose(mosaic[1, 4, :3], 0.0)  # field 1, pixel (0, 0)
    np.testing.assert_allclose(mosaic[2, 1, :3], 0.5, atol=0.01)  # a zero weight


def test_colour_fields_shown_as_rgb():
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(5, 4 * 4 * 3))
    fig = plot_receptive_fields(weights, n_cols=5)  # (4, 4, 3) inferred
    mosaic = _mosaic(fig)
    assert mosaic.shape == (4 + 2, 5 * 5 + 1, 4)
    field = weights[0].reshape(4, 4, 3)
    expected = 0.5 + field / (2 * np.abs(field).max())
    np.testing.assert_allclose(mosaic[1:5, 1:5, :3], expected)
    assert mosaic[1:5, 1:5, :3].min() >= 0 and mosaic[1:5, 1:5, :3].max() <= 1


def test_colour_estimator_uses_image_shape_():
    X = np.random.default_rng(0).random((10, 6 * 5 * 3))
    lrp = LocalizedRandomProjection(
        n_components=4, patch_size=3, image_shape=(6, 5, 3), random_state=0
    ).fit(X)
    mosaic = _mosaic(plot_receptive_fields(lrp, n_cols=4))
    assert mosaic.shape == (6 + 2, 4 * 6 + 1, 4)


def test_array_input_and_too_many_fields():
    weights = np.random.default_rng(0).normal(size=(5, 36))
    fig = plot_receptive_fields(weights.tolist(), n_fields=100)
    # All 5 fields on a 2 x 3 grid; the unused last cell is transparent.
    mosaic = _mosaic(fig)
    assert mosaic.shape == (2 * 7 + 1, 3 * 7 + 1, 4)
    assert np.all(mosaic[8:, 15:, 3] == 0)
    assert np.all(mosaic[8:, :15, 3] == 1)
    assert np.all(mosaic[1:7, 1:7, 3] == 1)


@pytest.mark.parametrize(
    "order, expected",
    [
        ("input", [0, 1, 2]),
        ("norm", [9, 8, 7]),
        ("random", sorted(np.random.RandomState(0).choice(10, 3, replace=False))),
    ],
)
def test_orders(order, expected):
    # Unit k: 2 x 2 field (k + 1) * [1, k / 10, 0, 0], so each field, scaled to
    # max |w| = 1, shows k / 10 in its second pixel; norms grow with k.
    k = np.arange(10)
    weights = np.zeros((10, 4))
    weights[:, 0], weights[:, 1] = k + 1, (k + 1) * k / 10
    fig = plot_receptive_fields(
        weights, n_fields=3, n_cols=3, order=order, random_state=0, cmap="gray"
    )
    mosaic = _mosaic(fig)
    assert mosaic.shape == (4, 10, 4)
    grey = mosaic[1, [2, 5, 8], 0]  # second pixel of each cell, in plot order
    shown = np.rint((2 * grey - 1) * 10).astype(int)  # gray maps w to (w + 1) / 2
    np.testing.assert_array_equal(shown, expected)
    with pytest.raises(ValueError, match="order"):
        plot_receptive_fields(weights, order="bogus")


def test_random_order_is_reproducible():
    weights = np.random.default_rng(0).normal(size=(50, 16))
    a = _mosaic(
        plot_receptive_fields(weights, n_fields=4, order="random", random_state=1)
    )
    b = _mosaic(
        plot_receptive_fields(weights, n_fields=4, order="random", random_state=1)
    )
    np.testing.assert_array_equal(a, b)


def test_crop_to_patch(digits):
    X, _ = digits
    lrp = LocalizedRandomProjection(n_components=6, patch_size=3, random_state=0)
    fig = plot_receptive_fields(lrp.fit(X), crop=True, n_cols=6)
    assert _mosaic(fig).shape == (3 + 2, 6 * 4 + 1, 4)
    # An all-zero field is not cropped away.
    weights = np.zeros((2, 16))
    weights[0, 5] = 1.0
    fig = plot_receptive_fields(weights, crop=True, n_cols=2)
    assert _mosaic(fig).shape == (4 + 2, 2 * 5 + 1, 4)


@pytest.mark.parametrize(
    "weights, image_shape, match",
    [
        (np.ones((3, 10)), None, "Cannot infer"),
        (np.ones((3, 64)), (8, 9), "describes 72"),
        (np.ones((3, 64)), (8, 8, 1, 1), "image_shape must be"),
        (np.ones((3, 64)), (4, 8, 2), "RGB"),
        (np.ones((2, 3, 4)), None, "shape"),
    ],
)
def test_bad_shapes(weights, image_shape, match):
    with pytest.raises(ValueError, match=match):
        plot_receptive_fields(weights, image_shape=image_shape)


def test_bad_arguments_and_unfitted():
    with pytest.raises(ValueError, match="n_fields"):
        plot_receptive_fields(np.ones((2, 4)), n_fields=0)
    with pytest.raises(ValueError, match="n_cols"):
        plot_receptive_fields(np.ones((2, 4)), n_cols=0)
    with pytest.raises(NotFittedError):
        plot_receptive_fields(LocalizedRandomProjection())


def test_draws_into_given_axes_and_pipeline(digits):
    X, y = digits
    model = make_pipeline(
        LocalizedRandomProjection(n_components=16, patch_size=4, random_state=0),
        LocalDeltaClassifier(max_iter=2, tol=None, random_state=0),
    ).fit(X, y)
    fig, (ax0, ax1) = plt.subplots(1, 2)
    assert plot_receptive_fields(model, ax=ax0) is fig
    # coef_ of a readout trained on pixels: one template per class.
    readout = LocalDeltaClassifier(max_iter=2, tol=None, random_state=0).fit(X, y)
    assert plot_receptive_fields(readout, ax=ax1, n_fields=None) is fig
    assert _mosaic_of(ax1).shape == (3 * 9 + 1, 4 * 9 + 1, 4)  # 10 classes


def _mosaic_of(ax):
    (image,) = ax.get_images()
    return np.asarray(image.get_array())


def test_loss_curve(digits):
    X, y = digits
    clf = LocalDeltaClassifier(max_iter=3, tol=None, random_state=0).fit(X, y)
    fig = plot_loss_curve(clf)
    (ax,) = fig.axes
    np.testing.assert_allclose(ax.lines[0].get_ydata(), clf.loss_curve_)

    clf = LocalDeltaClassifier(
        max_iter=3, tol=None, early_stopping=True, random_state=0
    ).fit(X, y)
    fig = plot_loss_curve(make_pipeline(clf))
    assert len(fig.axes) == 2  # the twin axis of the validation accuracy
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), clf.validation_scores_)

    _, ax = plt.subplots()
    assert plot_loss_curve(clf, ax=ax) is ax.figure
    with pytest.raises(NotFittedError):
        plot_loss_curve(LocalDeltaClassifier())


def test_plot_learning_curve_is_a_deprecated_alias(digits):
    X, y = digits
    clf = LocalDeltaClassifier(max_iter=2, tol=None, random_state=0).fit(X, y)
    with pytest.warns(FutureWarning, match="renamed plot_loss_curve.*removed in 0.2"):
        fig = plot_learning_curve(clf)
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), clf.loss_curve_)


@pytest.mark.parametrize(
    "function, args",
    [
        (plot_receptive_fields, (np.ones((1, 4)),)),
        (plot_loss_curve, (LocalDeltaClassifier(),)),
    ],
)
def test_missing_matplotlib(monkeypatch, function, args):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'skbio-plastic\[plot\]'"):
        function(*args)
