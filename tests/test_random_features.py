import numpy as np
import pytest
from sklearn.base import clone

from skbio_plastic import LocalizedRandomProjection
from skbio_plastic.receptive_fields import patch_mask


@pytest.fixture
def images():
    return np.random.RandomState(0).rand(30, 64)


def test_weights_live_only_inside_each_patch(images):
    images = images.astype(np.float32)  # the loaders' dtype
    lrp = LocalizedRandomProjection(50, patch_size=3, random_state=0).fit(images)
    assert lrp.components_.shape == (50, 64)
    assert lrp.components_.dtype == np.float32
    mask = patch_mask(lrp.image_shape_, (3, 3), lrp.patch_origins_)
    assert np.all(lrp.components_[~mask] == 0)
    assert np.all(lrp.components_[mask] != 0)
    assert np.all((lrp.intercept_ >= 0) & (lrp.intercept_ <= 0.1))


def test_weight_scale_follows_inputs_per_patch():
    X = np.zeros((2, 28 * 28 * 3))
    lrp = LocalizedRandomProjection(
        4000, patch_size=10, image_shape=(28, 28, 3), random_state=0
    ).fit(X)
    nonzero = lrp.components_[lrp.components_ != 0]
    assert nonzero.size == 4000 * 300
    assert np.std(nonzero) == pytest.approx(np.sqrt(1 / 300), rel=0.01)


def test_transform_is_relu_of_affine_map(images):
    lrp = LocalizedRandomProjection(
        40, patch_size=4, dtype="float64", random_state=1
    ).fit(images)
    expected = np.maximum(images @ lrp.components_.T + lrp.intercept_, 0)
    np.testing.assert_allclose(lrp.transform(images), expected, atol=1e-12)


def test_transform_in_batches_matches_one_product(images, monkeypatch):
    import skbio_plastic._base as base

    # float64: float32 products of other batch sizes may round differently.
    lrp = LocalizedRandomProjection(
        40, patch_size=4, dtype="float64", random_state=1
    ).fit(images)
    whole = lrp.transform(images)
    monkeypatch.setattr(base, "_TRANSFORM_BATCH_ELEMENTS", 7 * 40)
    np.testing.assert_allclose(lrp.transform(images), whole, atol=1e-12)


def test_non_localized_variant_uses_whole_image(images):
    rp = LocalizedRandomProjection(10, patch_size=None, random_state=0).fit(images)
    assert np.all(rp.components_ != 0)
    np.testing.assert_array_equal(rp.patch_origins_, 0)


def test_random_state_reproduces_and_differs(images):
    a = LocalizedRandomProjection(10, patch_size=3, random_state=0).fit(images)
    b = clone(a).fit(images)
    c = LocalizedRandomProjection(10, patch_size=3, random_state=1).fit(images)
    np.testing.assert_array_equal(a.components_, b.components_)
    assert not np.array_equal(a.components_, c.components_)


@pytest.mark.parametrize(
    "params, match",
    [({"n_components": 0}, "n_components"), ({"weight_scale": 0}, "weight_scale")],
)
def test_bad_parameters_are_named(params, match):
    with pytest.raises(ValueError, match=match):
        LocalizedRandomProjection(**params).fit(np.ones((3, 64)))
