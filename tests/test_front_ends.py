"""What every localized front end promises: geometry checks, clear errors on bad
input, feature names, pandas output, and inputs left untouched."""

import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone

from skbio_plastic import (
    KrotovHebbianTransformer,
    LocalizedICA,
    LocalizedPCA,
    LocalizedRandomProjection,
    RandomGabor,
)
from skbio_plastic.receptive_fields import patch_mask

# Small instances with 3 x 3 patches of 8 x 8 images.
FRONT_ENDS = [
    LocalizedRandomProjection(5, patch_size=3, random_state=0),
    RandomGabor(5, patch_size=3, random_state=0),
    LocalizedPCA(2, 2, patch_size=3, random_state=0),
    LocalizedICA(2, 2, patch_size=3, random_state=0),
    KrotovHebbianTransformer(5, k=2, n_epochs=1, patch_size=3, random_state=0),
]
IDS = [type(front).__name__ for front in FRONT_ENDS]


@pytest.fixture(scope="module")
def images():
    return np.random.RandomState(0).rand(40, 64)


def fitted(front_end, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. FastICA convergence on noise
        return clone(front_end).fit(X)


@pytest.mark.parametrize("front_end", FRONT_ENDS, ids=IDS)
@pytest.mark.parametrize(
    "params, X, error, match",
    [
        ({"patch_size": 9}, np.ones((3, 64)), ValueError, "patch_size=9 does not fit"),
        ({"image_shape": (7, 7)}, np.ones((3, 64)), ValueError, "image_shape"),
        ({}, np.ones((3, 50)), ValueError, "not a perfect square"),
        ({}, np.ones(64), ValueError, "Expected 2D array"),
        ({}, np.ones((0, 64)), ValueError, "0 sample"),
        ({}, np.full((3, 64), np.nan), ValueError, "NaN"),
        ({}, np.full((3, 64), np.inf), ValueError, "infinity"),
        ({}, sparse.csr_matrix(np.ones((3, 64))), TypeError, "dense data is required"),
        ({"dtype": "int8"}, np.ones((3, 64)), ValueError, "dtype"),
    ],
)
def test_bad_input_is_a_clear_error(front_end, params, X, error, match):
    with pytest.raises(error, match=match):
        clone(front_end).set_params(**params).fit(X)


@pytest.mark.parametrize("front_end", FRONT_ENDS, ids=IDS)
def test_transform_with_other_feature_count_is_an_error(front_end, images):
    model = fitted(front_end, images)
    with pytest.raises(ValueError, match="expecting 64 features"):
        model.transform(images[:, :49])


@pytest.mark.parametrize("front_end", FRONT_ENDS, ids=IDS)
def test_feature_names_and_pandas_output(front_end, images):
    pd = pytest.importorskip("pandas")
    model = fitted(front_end, images)
    names = model.get_feature_names_out()
    prefix = type(front_end).__name__.lower()
    assert list(names) == [f"{prefix}{i}" for i in range(model.components_.shape[0])]
    out = model.set_output(transform="pandas").transform(images)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list(names)


@pytest.mark.parametrize("front_end", FRONT_ENDS, ids=IDS)
def test_input_is_never_modified(front_end, images):
    before = images.copy()
    fitted(front_end, images).transform(images)
    np.testing.assert_array_equal(images, before)


@pytest.mark.parametrize("front_end", FRONT_ENDS, ids=IDS)
def test_weights_stay_inside_each_patch(front_end, images):
    model = fitted(front_end, images)
    assert model.patch_origins_.shape[1] == 2 and model.image_shape_ == (8, 8, 1)
    mask = patch_mask(model.image_shape_, (3, 3), model.patch_origins_)
    per_unit = np.repeat(mask, model.components_.shape[0] // len(mask), axis=0)
    assert np.all(model.components_[~per_unit] == 0)
