import re
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
    digits = digits.astype(np.float32)  # the loaders' dtype: computed in float32
    est = Estimator(8, 4, patch_size=3, random_state=0).fit(digits)
    H = est.transform(digits)
    assert H.shape == (600, 32) and H.dtype == np.float32
    # One divisor for all units: the largest training feature becomes 1 (up
    # to float32 rounding of the weights and products).
    assert H.max() == pytest.approx(1.0, rel=1e-4)
    raw = raw_features(est, digits)
    assert raw.max() == pytest.approx(est.scale_, rel=1e-4)
    np.testing.assert_allclose(H, np.maximum(raw / est.scale_, 0), atol=1e-5)
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
    np.testing.assert_allclose(full.components_, same.components_, atol=1e-6)
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
    assert sub.transform(digits).max() == pytest.approx(1.0, rel=1e-4)


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
    np.testing.assert_array_equal(a.patch_origins_, b.patch_origins_)
    np.testing.assert_allclose(a.components_, b.components_, atol=1e-6)
    np.testing.assert_allclose(a.intercept_, b.intercept_, atol=1e-6)
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


@pytest.mark.parametrize("Estimator", [LocalizedPCA, LocalizedICA])
def test_features_do_not_depend_on_the_scale_of_X(Estimator, digits):
    """Pixels in 0-255 give the features of pixels in [0, 1]: no warning needed."""
    est = Estimator(4, 3, patch_size=3, dtype="float64", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning at all, converged fits
        unit = clone(est).fit(digits)
        bytes_ = clone(est).fit(digits * 255)
    np.testing.assert_allclose(
        bytes_.transform(digits * 255), unit.transform(digits), atol=1e-9
    )
    # The factor goes into the weights only.
    factor = 255 if Estimator is LocalizedPCA else 1
    assert bytes_.scale_ == pytest.approx(factor * unit.scale_, rel=1e-9)


def counting_fits(monkeypatch, Estimator):
    """Record the rows and columns of every per-patch fit of ``Estimator``."""
    calls = []
    fit_patch = Estimator._fit_patch

    def counted(X, columns, *args):
        calls.append((tuple(columns), args[1]))
        return fit_patch(X, columns, *args)

    monkeypatch.setattr(Estimator, "_fit_patch", staticmethod(counted))
    return calls


def test_pca_fits_each_distinct_position_once(digits, monkeypatch):
    calls = counting_fits(monkeypatch, LocalizedPCA)
    # 7 x 7 patches of 8 x 8 images: 4 positions for 30 patches.
    with pytest.warns(UserWarning, match="repeat a position"):
        lpca = LocalizedPCA(30, 3, patch_size=7, random_state=0).fit(digits)
    positions = np.unique(lpca.patch_origins_, axis=0)
    assert len(calls) == len(positions) == 4
    assert len(set(columns for columns, _ in calls)) == 4
    # Every patch holds the PCA of its own position.
    indices = patch_indices(lpca.image_shape_, (7, 7), lpca.patch_origins_)
    weights = lpca.components_.reshape(30, 3, 64) * lpca.scale_
    for patch in range(30):
        pca = PCA(3).fit(digits[:, indices[patch]])
        np.testing.assert_allclose(
            np.abs(weights[patch][:, indices[patch]]),
            np.abs(pca.components_),
            atol=1e-5,
        )


def test_ica_fits_every_patch(digits, monkeypatch):
    calls = counting_fits(monkeypatch, LocalizedICA)
    with pytest.warns(UserWarning, match="full FastICA fit"):
        LocalizedICA(8, 2, patch_size=7, max_iter=1000, random_state=0).fit(digits)
    assert len(calls) == 8  # 4 positions, each fitted twice from other seeds


@pytest.mark.parametrize("Estimator", [LocalizedPCA, LocalizedICA])
def test_repeated_positions_warn_from_twice_their_number(Estimator):
    X = np.random.RandomState(0).rand(30, 64)
    params = {"n_components_per_patch": 1, "patch_size": 3, "random_state": 0}
    # 3 x 3 patches of 8 x 8 images: 36 positions.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        Estimator(71, **params).fit(X)
    with pytest.warns(UserWarning) as record:
        Estimator(72, **params).fit(X)
    (message,) = [str(w.message) for w in record if "repeat" in str(w.message)]
    assert "n_patches=72" in message and "36 distinct positions" in message
    assert "patch_size=3" in message and "n_patches <= 36" in message


def test_ica_default_fits_each_patch_on_10000_rows(monkeypatch):
    calls = counting_fits(monkeypatch, LocalizedICA)
    X = np.random.RandomState(0).rand(10_050, 16)
    LocalizedICA(2, 1, patch_size=2, random_state=0).fit(X)
    assert [n_rows for _, n_rows in calls] == [10_000, 10_000]


@pytest.mark.filterwarnings("ignore:.*directions of non-zero variance")
@pytest.mark.parametrize("Estimator", [LocalizedPCA, LocalizedICA])
def test_verbose_prints_progress_per_tenth_of_the_patch_fits(Estimator, digits, capsys):
    est = Estimator(20, 2, patch_size=3, random_state=0)
    est.fit(digits)
    assert capsys.readouterr().out == ""
    est.set_params(verbose=1).fit(digits)
    # l-PCA fits each distinct position once, l-ICA every patch.
    if Estimator is LocalizedPCA:
        n_fits = len(np.unique(est.patch_origins_, axis=0))
    else:
        n_fits = 20
    step = -(-n_fits // 10)
    pattern = (
        rf"\[{Estimator.__name__}\] patch fit (\d+)/(\d+): .+ elapsed(, ~.+ left)?"
    )
    lines = [
        re.fullmatch(pattern, line) for line in capsys.readouterr().out.split("\n")[:-1]
    ]
    assert all(lines)
    assert [int(line[1]) for line in lines] == [*range(step, n_fits, step), n_fits]
    assert {int(line[2]) for line in lines} == {n_fits}
    # The time left is on every line but the last.
    assert all(line[3] for line in lines[:-1]) and lines[-1][3] is None
