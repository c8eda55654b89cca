"""What every localized front end promises: geometry checks, clear errors on bad
input, warnings on likely input mistakes, feature names, pandas output, and
inputs left untouched."""

import warnings

import numpy as np
import pytest
from scipy import sparse
from scipy.ndimage import gaussian_filter
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


def user_warnings(front_end, X):
    """Messages of the UserWarnings raised while fitting ``front_end`` on ``X``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clone(front_end).fit(X)
    return [str(w.message) for w in caught if w.category is UserWarning]


@pytest.mark.parametrize(
    "dtype, expected",
    [
        (np.dtype("float32"), np.float32),
        (np.float64, np.float64),
        ("float64", np.float64),
    ],
)
@pytest.mark.parametrize("front_end", FRONT_ENDS, ids=IDS)
def test_dtype_accepts_numpy_float_types(front_end, dtype, expected, images):
    model = fitted(clone(front_end).set_params(dtype=dtype), images)
    assert model.components_.dtype == expected
    assert model.transform(images).dtype == expected


@pytest.mark.parametrize("input_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("front_end", FRONT_ENDS, ids=IDS)
def test_default_dtype_follows_the_input(front_end, input_dtype, images):
    """scikit-learn's convention: float32 stays float32, float64 stays float64."""
    X = images.astype(input_dtype)
    model = fitted(clone(front_end).set_params(dtype=None), X)
    assert model.components_.dtype == input_dtype
    assert model.transform(X).dtype == input_dtype
    assert model.__sklearn_tags__().transformer_tags.preserves_dtype == [
        "float64",
        "float32",
    ]


@pytest.mark.parametrize("dtype", [int, "int64", np.dtype("int64"), np.int32])
@pytest.mark.parametrize("front_end", FRONT_ENDS, ids=IDS)
def test_integer_dtype_is_a_clear_error(front_end, dtype, images):
    with pytest.raises(ValueError, match="dtype") as error:
        clone(front_end).set_params(dtype=dtype).fit(images)
    assert "float32" in str(error.value) and "float64" in str(error.value)


RANDOM_FRONT_ENDS = FRONT_ENDS[:2]  # l-RP and l-RG: fixed weight and bias scales


@pytest.mark.parametrize("front_end", RANDOM_FRONT_ENDS, ids=IDS[:2])
def test_pixels_in_0_255_warn_at_fit(front_end, images):
    X = images * 255
    (message,) = user_warnings(front_end, X)
    assert f"values in [{X.min():.4g}, {X.max():.4g}]" in message
    assert "pixels in [0, 1]" in message and "X / 255" in message
    for X in (images, images - images.mean(axis=0)):  # raw and centred pixels
        assert user_warnings(front_end, X) == []


def smooth_colour_images(n_images=40, side=12):
    """Random images smoothed in space, shape ``(n_images, side, side, 3)``."""
    noise = np.random.RandomState(0).rand(n_images, side, side, 3)
    return gaussian_filter(noise, sigma=(0, 2, 2, 0))


@pytest.mark.parametrize("front_end", FRONT_ENDS, ids=IDS)
def test_channels_first_colour_rows_warn_at_fit(front_end):
    images = smooth_colour_images()
    front_end = clone(front_end).set_params(image_shape=(12, 12, 3))
    channels_last = images.reshape(len(images), -1)
    channels_first = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    messages = user_warnings(front_end, channels_first)
    assert any(
        "channels first (3, 12, 12)" in m and "transpose(0, 2, 3, 1)" in m
        for m in messages
    )
    assert not any(
        "channels first" in m for m in user_warnings(front_end, channels_last)
    )
