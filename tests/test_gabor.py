import numpy as np
import pytest
from sklearn.base import clone

from skbio_plastic.gabor import RandomGabor, gabor_filter
from skbio_plastic.receptive_fields import patch_indices, patch_mask


@pytest.fixture
def images():
    return np.random.RandomState(0).rand(30, 64)


def reference_gabor(row, col, patch_size, theta, wavelength, phase, sigma, gamma):
    """The formula of Illing et al. for one pixel, written out directly."""
    y = row - (patch_size - 1) / 2
    x = col - (patch_size - 1) / 2
    xr = x * np.cos(theta) + y * np.sin(theta)
    yr = -x * np.sin(theta) + y * np.cos(theta)
    return np.exp(-(xr**2 + gamma**2 * yr**2) / (2 * sigma**2)) * np.cos(
        2 * np.pi * xr / wavelength + phase
    )


@pytest.mark.parametrize(
    "theta, wavelength, phase, sigma, gamma",
    [(0.0, 4.0, 0.0, 2.0, 1.0), (1.1, 6.3, 2.5, 3.1, 1.0), (4.0, 5.0, 4.7, 4.5, 0.5)],
)
def test_gabor_filter_matches_the_formula(theta, wavelength, phase, sigma, gamma):
    g = gabor_filter(7, theta, wavelength, phase, sigma, gamma)
    assert g.shape == (7, 7)
    for row, col in [(0, 0), (3, 3), (1, 5), (6, 2), (4, 0)]:
        expected = reference_gabor(row, col, 7, theta, wavelength, phase, sigma, gamma)
        assert g[row, col] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_gabor_filter_vectorises_over_parameters():
    theta = np.array([0.0, 1.0, 2.0])
    many = gabor_filter((4, 6), theta, 5.0, [0.0, 1.0, 2.0], 3.0)
    assert many.shape == (3, 4, 6)
    for i in range(3):
        np.testing.assert_allclose(
            many[i], gabor_filter((4, 6), theta[i], 5.0, float(i), 3.0)
        )


def test_units_are_normalised_gabors_inside_their_patch(images):
    lrg = RandomGabor(40, patch_size=5, amplitude=1.7, dtype="float64", random_state=0)
    lrg.fit(images)
    assert lrg.components_.shape == (40, 64)
    mask = patch_mask(lrg.image_shape_, (5, 5), lrg.patch_origins_)
    assert np.all(lrg.components_[~mask] == 0)
    np.testing.assert_allclose(np.abs(lrg.components_).sum(axis=1), 1.7)
    indices = patch_indices(lrg.image_shape_, (5, 5), lrg.patch_origins_)
    for unit in (0, 17, 39):
        g = gabor_filter(
            5,
            lrg.theta_[unit],
            lrg.wavelength_[unit],
            lrg.phase_[unit],
            lrg.sigma_[unit],
        ).ravel()
        np.testing.assert_allclose(
            lrg.components_[unit, indices[unit]], 1.7 * g / np.abs(g).sum()
        )


def test_parameters_are_drawn_from_their_ranges():
    X = np.zeros((2, 28 * 28), dtype=np.float32)
    lrg = RandomGabor(3000, random_state=0).fit(X)
    for values, low, high in [
        (lrg.theta_, 0, 2 * np.pi),
        (lrg.wavelength_, 4.6, 10.3),
        (lrg.phase_, 0, 4.8),
        (lrg.sigma_, 3.8, 5.0),
        (lrg.intercept_, 0, 0.1),
    ]:
        assert values.min() >= low and values.max() <= high
        assert values.mean() == pytest.approx((low + high) / 2, rel=0.05)
    assert lrg.components_.dtype == np.float32
    np.testing.assert_allclose(np.abs(lrg.components_).sum(axis=1), 2.1, rtol=1e-5)


@pytest.mark.parametrize("color", ["shared", "independent"])
def test_colour_images(color):
    X = np.zeros((2, 12 * 12 * 3))
    lrg = RandomGabor(
        20, patch_size=4, image_shape=(12, 12, 3), color=color, random_state=0
    ).fit(X)
    np.testing.assert_allclose(np.abs(lrg.components_).sum(axis=1), 2.1, rtol=1e-5)
    mask = patch_mask((12, 12, 3), (4, 4), lrg.patch_origins_)
    assert np.all(lrg.components_[~mask] == 0)
    weights = lrg.components_.reshape(20, 12, 12, 3)
    same = np.all(weights[..., 0] == weights[..., 1], axis=(1, 2))
    if color == "shared":
        assert lrg.theta_.shape == (20,) and np.all(same)
    else:
        assert lrg.theta_.shape == (20, 3) and not np.any(same)


def test_non_localized_filter_covers_the_whole_image():
    X = np.zeros((2, 10 * 14))
    lrg = RandomGabor(5, patch_size=None, image_shape=(10, 14), random_state=0).fit(X)
    np.testing.assert_array_equal(lrg.patch_origins_, 0)
    g = gabor_filter(
        (10, 14), lrg.theta_[2], lrg.wavelength_[2], lrg.phase_[2], lrg.sigma_[2]
    ).ravel()
    np.testing.assert_allclose(lrg.components_[2], 2.1 * g / np.abs(g).sum(), rtol=1e-5)


def test_transform_is_relu_of_affine_map(images):
    lrg = RandomGabor(30, patch_size=4, dtype="float64", random_state=1).fit(images)
    expected = np.maximum(images @ lrg.components_.T + lrg.intercept_, 0)
    np.testing.assert_allclose(lrg.transform(images), expected, atol=1e-12)


def test_random_state_reproduces_and_differs(images):
    a = RandomGabor(10, patch_size=3, random_state=0).fit(images)
    b = clone(a).fit(images)
    c = RandomGabor(10, patch_size=3, random_state=1).fit(images)
    np.testing.assert_array_equal(a.components_, b.components_)
    np.testing.assert_array_equal(a.intercept_, b.intercept_)
    assert not np.array_equal(a.components_, c.components_)


@pytest.mark.parametrize(
    "params, X, error, match",
    [
        ({"n_components": 0}, np.ones((3, 64)), ValueError, "n_components"),
        (
            {"wavelength_range": (5, 2)},
            np.ones((3, 64)),
            ValueError,
            "wavelength_range",
        ),
        ({"sigma_range": (0, 2)}, np.ones((3, 64)), ValueError, "sigma_range"),
        ({"sigma_range": (1, 2, 3)}, np.ones((3, 64)), ValueError, "sigma_range"),
        ({"amplitude": 0}, np.ones((3, 64)), ValueError, "amplitude"),
        ({"phase_max": -1}, np.ones((3, 64)), ValueError, "phase_max"),
        ({"color": "rgb"}, np.ones((3, 64)), ValueError, "color"),
    ],
)
def test_bad_input_is_a_clear_error(params, X, error, match):
    lrg = RandomGabor(**{"n_components": 5, "patch_size": 3, **params})
    with pytest.raises(error, match=match):
        lrg.fit(X)
