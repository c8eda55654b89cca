"""Receptive-field geometry for images stored as flat rows.

Every localized front end describes its hidden units by a square patch of the
image: an origin (top-left corner) and a side length. This module turns such
descriptions into flat feature indices of C-order rows, for grayscale images
``(height, width)`` and colour images ``(height, width, channels)``. It is pure
geometry: no learning happens here.
"""

import math
import numbers

import numpy as np
from sklearn.utils import check_random_state

__all__ = [
    "resolve_image_shape",
    "resolve_patch_size",
    "random_patch_origins",
    "patch_indices",
    "patch_mask",
]


def resolve_image_shape(image_shape, n_features):
    """Return ``(height, width, channels)`` describing rows of ``n_features``.

    Parameters
    ----------
    image_shape : tuple of int or None
        ``(height, width)`` or ``(height, width, channels)``. ``None`` infers a
        square grayscale image, which requires ``n_features`` to be a square.
    n_features : int
        Length of one flat row.

    Returns
    -------
    shape : tuple of 3 int
    """
    if image_shape is None:
        side = math.isqrt(n_features)
        if side * side != n_features:
            raise ValueError(
                f"image_shape=None needs a square grayscale image, but X has "
                f"n_features={n_features}, which is not a perfect square. Pass "
                f"image_shape={_likely_shape(n_features)}."
            )
        return (side, side, 1)
    shape = tuple(image_shape)
    if len(shape) not in (2, 3) or not all(
        isinstance(s, numbers.Integral) and s > 0 for s in shape
    ):
        raise ValueError(
            "image_shape must be (height, width) or (height, width, channels) "
            f"of positive integers, got {image_shape!r}."
        )
    if len(shape) == 2:
        shape = shape + (1,)
    shape = tuple(int(s) for s in shape)
    if math.prod(shape) != n_features:
        raise ValueError(
            f"image_shape={tuple(image_shape)} describes {math.prod(shape)} "
            f"features, but X has n_features={n_features}."
        )
    return shape


def _likely_shape(n_features):
    """The ``image_shape`` to suggest for rows of ``n_features``."""
    for channels in (3, 4):
        side = math.isqrt(n_features // channels)
        if side > 1 and side * side * channels == n_features:
            return (
                f"({side}, {side}, {channels}) for square colour images with "
                f"channels last (rows of (height, width, channels) arrays), or "
                "(height, width) / (height, width, channels)"
            )
    return "(height, width) or (height, width, channels)"


def resolve_patch_size(patch_size, image_shape):
    """Return the side of the square patch, checking that it fits the image.

    ``patch_size=None`` means the whole image (a non-localized unit); for a
    non-square image it is then the full ``(height, width)`` rectangle, so the
    result is a ``(patch_height, patch_width)`` pair.
    """
    height, width, _ = image_shape
    if patch_size is None:
        return height, width
    if patch_size > height or patch_size > width:
        raise ValueError(
            f"patch_size={patch_size} does not fit in an image of "
            f"{height} x {width} pixels; use patch_size <= {min(height, width)} "
            "or patch_size=None for the whole image."
        )
    return int(patch_size), int(patch_size)


def random_patch_origins(image_shape, patch_shape, n_patches, random_state=None):
    """Draw top-left corners of patches uniformly among all valid positions.

    Parameters
    ----------
    image_shape : tuple of 3 int
        ``(height, width, channels)``.
    patch_shape : tuple of 2 int
        ``(patch_height, patch_width)``.
    n_patches : int
    random_state : int, RandomState instance or None

    Returns
    -------
    origins : ndarray of shape (n_patches, 2), dtype int64
        ``(row, column)`` of each patch's top-left pixel. Every position from
        0 to ``height - patch_height`` (inclusive) is equally likely; positions
        may repeat.
    """
    rng = check_random_state(random_state)
    height, width, _ = image_shape
    rows = rng.randint(0, height - patch_shape[0] + 1, size=n_patches)
    cols = rng.randint(0, width - patch_shape[1] + 1, size=n_patches)
    return np.column_stack([rows, cols]).astype(np.int64)


def patch_indices(image_shape, patch_shape, origins):
    """Flat feature indices covered by each patch, all channels included.

    Returns
    -------
    indices : ndarray of shape (n_patches, patch_height * patch_width * channels)
        Sorted in C order (row, column, channel) within each patch, so that
        ``X[:, indices[i]]`` is patch ``i`` of every image as a flat row.
    """
    height, width, channels = image_shape
    dr, dc, ch = np.meshgrid(
        np.arange(patch_shape[0]),
        np.arange(patch_shape[1]),
        np.arange(channels),
        indexing="ij",
    )
    offsets = ((dr * width + dc) * channels + ch).ravel()
    starts = (origins[:, 0] * width + origins[:, 1]) * channels
    return starts[:, None] + offsets[None, :]


def patch_mask(image_shape, patch_shape, origins):
    """Boolean masks of shape ``(n_patches, n_features)``: True inside each patch."""
    indices = patch_indices(image_shape, patch_shape, origins)
    mask = np.zeros((len(origins), math.prod(image_shape)), dtype=bool)
    np.put_along_axis(mask, indices, True, axis=1)
    return mask
