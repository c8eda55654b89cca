import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning

from skbio_plastic.decomposition import LocalizedICA, LocalizedPCA
from skbio_plastic.receptive_fields import patch_indices, patch_mask


@pytest.fixture(scope="module")
def digits():
    X, _ = load_digits(return_X_y=True)
    return X[:600] / 16.0


@pytest.fixture(scope="module")
def framed():
    """Random 8x8 images whose two-pixel border is always zero."""
    X = np.zeros((200, 8, 8))
    X[:, 2:-2, 2:-2] = np.random.RandomState(0).rand(200, 4, 4)
    return X.reshape(200, 64)


def raw_features(est, X):
    """Currents before rectification, in the units of the per-patch model."""
    return (X @ est.components_.T.astype(np.float64) + est.intercept_) * est.scale_


@pytest.mark.filterwarnings("ignore:.*directions of non-zero variance")
def test_components_are_sklearn_pca_of_each_patch(digits):
    lpca = LocalizedPCA(6, 3, patch_size=4, dtype="float64", random_state=0)
    lpca.fit(digits)
    assert lpca.components_.shape == (18, 64)
    indices = patch_indices(lpca.image_shape_, (4, 4), lpca.patch_origins_)
    for patch, columns in enumerate(indices):
        pca = PCA(3).fit(digits[:, columns])
        rows = slice(3 * patch, 3 * patch + 3)
        np.testing.assert_allclose(
            lpca.components_[rows][:, columns] * lpca.scale_,
            pca.components_,
            atol=1e-10,
        )
        np.testing.assert_allclose(
            raw_features(lpca, digits)[:, rows],
            pca.transform(digits[:, columns]),
            atol=1e-10,
        )
    mask = np.repeat(patch_mask(lpca.image_shape_, (4, 4), lpca.patch_origins_), 3, 0)
    assert np.all(lpca.components_[~mask] == 0)


@pytest.mark.filterwarnings("ignore:.*directions of non-zero variance")
@pytest.mark.parametrize("Estimator", [LocalizedPCA, LocalizedICA])
def test_one_scale_then_rectification(Estimator, digits):
    est = Estimator(8, 4, patch_size=3, random_state=0).fit(digits)
    H = est.transform(digits)
    assert H.shape == (600, 32) and H.dtype == np.float32
    # One divisor for all units: the largest training feature becomes 1.
    assert H.max() == pytest.approx(1.0, rel=1e-5)
    raw = raw_features(est, digits)
    assert raw.max() == pytest.approx(est.scale_, rel=1e-5)
    np.testing.assert_allclose(H, np.maximum(raw / est.scale_, 0), atol=1e-6)
    # Rectified: no negative output, and about half of each unit is cut.
    assert H.min() == 0
    assert 0.2 < np.mean(H[:, raw.std(axis=0) > 0] == 0) < 0.8


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_ica_sources_have_unit_variance_on_training_data():
    X = np.random.RandomState(0).rand(200, 64)
    lica = LocalizedICA(4, 5, patch_size=4, max_iter=1000, random_state=0).fit(X)
    raw = raw_features(lica, X)
    assert np.all(np.isfinite(raw))
    np.testing.assert_allclose(raw.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(raw.std(axis=0), 1, rtol=1e-4)


def test_ica_non_convergence_is_one_warning(digits):
    lica = LocalizedICA(5, 3, patch_size=4, max_iter=1, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lica.fit(digits)
    messages = [str(w.message) for w in caught if w.category is ConvergenceWarning]
    assert len(messages) == 1 and "on 5 of 5 patches" in messages[0]
    assert lica.n_iter_ == 1


@pytest.mark.parametrize("Estimator", [LocalizedPCA, LocalizedICA])
def test_constant_patches_give_zero_units_and_finite_output(Estimator, framed):
    # Patches on the zero border, across its edge, and inside the frame.
    est = Estimator(40, 3, patch_size=2, image_shape=(8, 8), random_state=0)
    with pytest.warns(UserWarning, match="directions of non-zero variance"):
        est.fit(framed)
    assert np.all(np.isfinite(est.components_)) and np.all(np.isfinite(est.intercept_))
    mask = patch_mask((8, 8, 1), (2, 2), est.patch_origins_)
    varying = mask & (framed.std(axis=0) > 0)
    expected = np.minimum(varying.sum(axis=1), 3)
    assert np.any(expected == 0) and np.any(expected == 3)
    np.testing.assert_array_equal(est.n_components_fitted_, expected)
    zero_units = (np.arange(3)[None, :] >= expected[:, None]).ravel()
    assert np.all(est.components_[zero_units] == 0)
    assert np.all(est.components_[~zero_units].any(axis=1))
    # The weights of a fitted unit live on the varying pixels only.
    units_mask = np.repeat(varying, 3, axis=0)
    assert np.all(np.abs(est.components_[~zero_units][~units_mask[~zero_units]]) < 1e-6)
    test_images = np.random.RandomState(1).rand(5, 64)  # border not zero
    assert np.all(np.isfinite(est.transform(test_images)))


@pytest.mark.parametrize("Estimator", [LocalizedPCA, LocalizedICA])
def test_all_constant_data(Estimator):
    X = np.full((10, 16), 0.5)
    est = Estimator(3, 2, patch_size=2, random_state=0)
    with pytest.warns(UserWarning, match="directions of non-zero variance"):
        est.fit(X)
    assert est.scale_ == 1.0
    np.testing.assert_array_equal(est.transform(X), 0)


@pytest.mark.filterwarnings("ignore:.*directions of non-zero variance")
def test_max_samples_subsamples_each_patch_fit(digits):
    full = LocalizedPCA(5, 3, patch_size=4, random_state=0).fit(digits)
    same = LocalizedPCA(5, 3, patch_size=4, max_samples=1.0, random_state=0).fit(digits)
    np.testing.assert_array_equal(full.components_, same.components_)
    sub = LocalizedPCA(5, 3, patch_size=4, max_samples=60, random_state=0).fit(digits)
    np.testing.assert_array_equal(full.patch_origins_, sub.patch_origins_)
    assert not np.allclose(full.components_, sub.components_, atol=1e-3)
    # The subsample is a random 10 %: the components stay close to the full fit
    # (up to sign), and the scale is still the maximum over all training rows.
    cosine = np.abs(np.sum(full.components_ * sub.components_, axis=1)) / (
        np.linalg.norm(full.components_, axis=1)
        * np.linalg.norm(sub.components_, axis=1)
    )
    assert np.median(cosine[::3]) > 0.9  # the first component of each patch
    assert sub.transform(digits).max() == pytest.approx(1.0, rel=1e-5)


@pytest.mark.filterwarnings("ignore:.*directions of non-zero variance")
@pytest.mark.parametrize("Estimator", [LocalizedPCA, LocalizedICA])
def test_n_jobs_does_not_change_the_result(Estimator, digits):
    one = Estimator(4, 3, patch_size=4, random_state=0).fit(digits[:200])
    two = Estimator(4, 3, patch_size=4, n_jobs=2, random_state=0).fit(digits[:200])
    np.testing.assert_allclose(one.components_, two.components_, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(one.intercept_, two.intercept_, rtol=1e-4, atol=1e-5)


@pytest.mark.filterwarnings("ignore:.*directions of non-zero variance")
@pytest.mark.parametrize("Estimator", [LocalizedPCA, LocalizedICA])
def test_random_state_reproduces_and_differs(Estimator, digits):
    a = Estimator(4, 2, patch_size=3, random_state=0).fit(digits)
    b = clone(a).fit(digits)
    c = clone(a).set_params(random_state=1).fit(digits)
    np.testing.assert_array_equal(a.components_, b.components_)
    np.testing.assert_array_equal(a.intercept_, b.intercept_)
    assert not np.array_equal(a.patch_origins_, c.patch_origins_)


def test_colour_patches_cover_all_channels():
    X = np.random.RandomState(0).rand(100, 6 * 6 * 3)
    lpca = LocalizedPCA(3, 12, patch_size=2, image_shape=(6, 6, 3), random_state=0)
    lpca.fit(X)
    mask = np.repeat(patch_mask((6, 6, 3), (2, 2), lpca.patch_origins_), 12, 0)
    assert np.all(lpca.components_[~mask] == 0)
    assert np.all(np.count_nonzero(lpca.components_, axis=1) == 12)


@pytest.mark.parametrize("Estimator", [LocalizedPCA, LocalizedICA])
@pytest.mark.parametrize(
    "params, X, error, match",
    [
        ({"n_patches": 0}, np.ones((3, 64)), ValueError, "n_patches"),
        (
            {"n_components_per_patch": 10},
            np.ones((3, 64)),
            ValueError,
            "n_components_per_patch=10 is larger than the 9 inputs",
        ),
        ({"max_samples": 0}, np.ones((3, 64)), ValueError, "max_samples"),
        ({"max_samples": 1.5}, np.ones((3, 64)), ValueError, "max_samples"),
    ],
)
def test_bad_input_is_a_clear_error(Estimator, params, X, error, match):
    est = Estimator(
        **{"n_patches": 2, "n_components_per_patch": 2, "patch_size": 3, **params}
    )
    with pytest.raises(error, match=match):
        est.fit(X)


def test_ica_options_are_validated():
    with pytest.raises(ValueError, match="whiten"):
        LocalizedICA(whiten=False).fit(np.ones((5, 4)))
