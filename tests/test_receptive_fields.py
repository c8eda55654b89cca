import numpy as np
import pytest

from skbio_plastic.receptive_fields import (
    patch_indices,
    patch_mask,
    random_patch_origins,
    resolve_image_shape,
    resolve_patch_size,
)


def test_resolve_image_shape_infers_square_grayscale():
    assert resolve_image_shape(None, 784) == (28, 28, 1)
    assert resolve_image_shape((32, 32, 3), 3072) == (32, 32, 3)
    assert resolve_image_shape([4, 6], 24) == (4, 6, 1)


@pytest.mark.parametrize(
    "image_shape, n_features, match",
    [
        (None, 10, "not a perfect square"),
        ((28, 28), 783, "describes 784 features"),
        ((28, 28, 3, 1), 2352, "image_shape must be"),
        ((0, 28), 0, "image_shape must be"),
    ],
)
def test_resolve_image_shape_errors(image_shape, n_features, match):
    with pytest.raises(ValueError, match=match):
        resolve_image_shape(image_shape, n_features)


def test_patch_size_must_fit():
    assert resolve_patch_size(None, (5, 7, 1)) == (5, 7)
    assert resolve_patch_size(3, (5, 7, 1)) == (3, 3)
    with pytest.raises(ValueError, match="patch_size=6 does not fit"):
        resolve_patch_size(6, (5, 7, 1))


def test_origins_cover_every_valid_position():
    origins = random_patch_origins((6, 5, 1), (3, 2), 5000, random_state=0)
    assert origins[:, 0].min() == 0 and origins[:, 0].max() == 3
    assert origins[:, 1].min() == 0 and origins[:, 1].max() == 3
    again = random_patch_origins((6, 5, 1), (3, 2), 5000, random_state=0)
    np.testing.assert_array_equal(origins, again)


def test_patch_indices_match_image_coordinates():
    image_shape = (4, 5, 3)
    origins = np.array([[1, 2], [0, 0]])
    indices = patch_indices(image_shape, (2, 2), origins)
    assert indices.shape == (2, 12)
    flat = np.arange(60).reshape(image_shape)
    np.testing.assert_array_equal(indices[0], flat[1:3, 2:4, :].ravel())
    np.testing.assert_array_equal(indices[1], flat[0:2, 0:2, :].ravel())


def test_patch_mask_marks_exactly_the_patch():
    mask = patch_mask((5, 5, 1), (2, 3), np.array([[3, 1]]))
    expected = np.zeros((5, 5), dtype=bool)
    expected[3:5, 1:4] = True
    np.testing.assert_array_equal(mask[0], expected.ravel())


def test_image_shape_none_suggests_colour_shape_for_3072_features():
    with pytest.raises(ValueError, match=r"image_shape=\(32, 32, 3\)"):
        resolve_image_shape(None, 3072)
