"""ConvolutionalHebbian: patches, convolution, pooling, learning vs references."""

import numpy as np
import pytest
from sklearn.base import clone

from skbio_plastic import (
    ConvolutionalHebbian,
    KrotovHebbianTransformer,
    OjaTransformer,
    RandomGabor,
)
from skbio_plastic import convolutional as conv_module


def _images(n=6, shape=(9, 8, 3), seed=0):
    return np.random.RandomState(seed).uniform(size=(n, int(np.prod(shape))))


def _conv(**params):
    defaults = dict(
        n_filters=4,
        filter_size=3,
        k=2,
        n_patches=300,
        n_epochs=2,
        image_shape=(9, 8, 3),
        dtype="float64",
        random_state=0,
    )
    return ConvolutionalHebbian(**{**defaults, **params})


def _reference_patch(image, row, col, size, norm):
    patch = image[row : row + size, col : col + size].ravel()
    if norm is None:
        return patch
    patch = patch - patch.mean()
    scale = {
        "l2": np.linalg.norm(patch),
        "l1": np.abs(patch).sum(),
        "max": np.abs(patch).max(),
    }[norm]
    return patch / scale if scale > 0 else patch * 0


def _reference_patch_matrix(X):
    """Every L2-normalised 3 x 3 patch of the 9 x 8 x 3 images, image by image."""
    return np.array(
        [
            _reference_patch(image, i, j, 3, "l2")
            for image in X.reshape(-1, 9, 8, 3)
            for i in range(7)
            for j in range(6)
        ]
    )


def _reference_maps(model, X):
    """Filter responses at every position, by direct loops: (n, rows, cols, F)."""
    images = X.reshape(-1, *model.image_shape_)
    size, stride = model.filter_size, model.stride
    rows, cols = model.map_shape_
    maps = np.zeros((len(images), rows, cols, model.n_filters))
    for n, image in enumerate(images):
        for i in range(rows):
            for j in range(cols):
                patch = _reference_patch(
                    image, i * stride, j * stride, size, model.patch_norm
                )
                for f in range(model.n_filters):
                    maps[n, i, j, f] = (
                        patch @ model.components_[f] + model.intercept_[f]
                    )
    return maps


def _reference_pool(maps, pooling, size, stride, power):
    activity = np.maximum(maps, 0) ** power
    n, rows, cols, filters = maps.shape
    out_rows, out_cols = (rows - size) // stride + 1, (cols - size) // stride + 1
    out = np.zeros((n, out_rows, out_cols, filters))
    for i in range(out_rows):
        for j in range(out_cols):
            window = activity[
                :, i * stride : i * stride + size, j * stride : j * stride + size
            ]
            reduce = np.max if pooling == "max" else np.mean
            out[:, i, j] = reduce(window, axis=(1, 2))
    return out.reshape(n, -1)


@pytest.mark.parametrize("patch_norm", ["l2", "l1", "max", None])
@pytest.mark.parametrize("stride", [1, 2])
def test_convolution_equals_a_direct_loop_over_positions(patch_norm, stride):
    X = _images()
    model = _conv(patch_norm=patch_norm, stride=stride, pool_size=1).fit(X)
    expected = np.maximum(_reference_maps(model, X), 0).reshape(len(X), -1)
    np.testing.assert_allclose(model.transform(X), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "pooling, size, stride, power",
    [("max", 2, None, 1.0), ("max", 3, 2, 2.0), ("avg", 2, 1, 1.0), ("avg", 3, 2, 3.0)],
)
def test_pooling_equals_a_direct_reference(pooling, size, stride, power):
    X = _images()
    model = _conv(pooling=pooling, pool_size=size, pool_stride=stride, power=power)
    model.fit(X)
    expected = _reference_pool(
        _reference_maps(model, X), pooling, size, stride or size, power
    )
    np.testing.assert_allclose(model.transform(X), expected, rtol=1e-10, atol=1e-12)
    assert model.transform(X).shape[1] == np.prod(model.pooled_shape_)


def test_shifting_the_image_by_one_stride_shifts_the_map():
    stride = 2
    X = _images(n=1, shape=(12, 12, 1))
    model = _conv(image_shape=(12, 12), stride=stride, pool_size=1).fit(X)
    image = X.reshape(12, 12)
    shifted = np.roll(image, (stride, stride), axis=(0, 1)).reshape(1, -1)
    rows, cols = model.map_shape_
    maps = model.transform(X).reshape(rows, cols, -1)
    moved = model.transform(shifted).reshape(rows, cols, -1)
    np.testing.assert_allclose(moved[1:, 1:], maps[:-1, :-1], rtol=1e-12, atol=1e-12)


def test_one_learning_step_is_krotovs_rule_on_the_normalised_patches():
    X = _images(n=3)
    model = _conv(p=3.0, k=3, delta=0.2, whitening=None).partial_fit(X)
    patches = _reference_patch_matrix(X)
    seed = np.random.RandomState(0).randint(np.iinfo(np.int32).max)
    rule = KrotovHebbianTransformer(
        4, p=3.0, k=3, delta=0.2, n_epochs=2, normalize_input=False, random_state=seed
    ).partial_fit(patches)
    np.testing.assert_allclose(model.components_, rule.components_, rtol=1e-12)
    model.partial_fit(X[:1])  # later steps continue the same learner
    np.testing.assert_allclose(
        model.components_, rule.partial_fit(patches[:42]).components_, rtol=1e-12
    )


def test_fit_learns_unit_filters_from_the_drawn_patches():
    X = _images(n=20, shape=(10, 10, 1))
    model = _conv(
        image_shape=(10, 10), n_patches=2000, n_epochs=30, p=2.0, whitening=None
    )
    model.fit(X)
    norms = np.linalg.norm(model.components_, axis=1)
    np.testing.assert_allclose(norms, 1.0, atol=0.05)  # Krotov's fixed points
    assert isinstance(model.learner_, KrotovHebbianTransformer)
    assert model.learner_.components_.shape == (4, 9)


def test_patch_normalisation_makes_features_scale_and_offset_free():
    X = _images()
    model = _conv().fit(X)
    np.testing.assert_allclose(
        model.transform(3.0 * X + 0.5), model.transform(X), rtol=1e-9, atol=1e-12
    )
    refit = _conv().fit(3.0 * X + 0.5)
    np.testing.assert_allclose(refit.components_, model.components_, rtol=1e-9)


def test_whitening_decorrelates_the_patches_and_folds_into_the_filters():
    X = _images(n=30)
    model = _conv(whitening=1e-3, pool_size=1).partial_fit(X)  # all patches of X
    patches = _reference_patch_matrix(X)
    whitened = patches @ model.whitening_
    moments = whitened.T @ whitened / len(whitened)
    # the 26 directions of centred patches (one is lost to the centring)
    spectrum = np.sort(np.linalg.eigvalsh(moments))
    np.testing.assert_allclose(spectrum[1:], 1.0, atol=0.05)
    np.testing.assert_allclose(model.whitening_, model.whitening_.T, atol=1e-12)
    np.testing.assert_allclose(
        model.components_, model.learner_.components_ @ model.whitening_, rtol=1e-12
    )
    rows, cols = model.map_shape_
    direct = np.maximum(whitened @ model.learner_.components_.T, 0)
    np.testing.assert_allclose(
        model.transform(X), direct.reshape(len(X), -1), rtol=1e-9, atol=1e-12
    )
    assert _conv(whitening=None).fit(X).whitening_ is None


def test_filters_from_another_front_end():
    X = _images()
    gabor = _conv(filter_learner=RandomGabor(n_components=99, random_state=1)).fit(X)
    assert gabor.learner_.image_shape_ == (3, 3, 3)
    assert gabor.learner_.components_.shape == (4, 27)
    np.testing.assert_array_equal(gabor.intercept_, gabor.learner_.intercept_)
    # the bias enters every position
    direct = np.maximum(_reference_maps(gabor, X), 0)
    np.testing.assert_allclose(
        _conv(filter_learner=RandomGabor(random_state=1), pool_size=1)
        .fit(X)
        .transform(X),
        direct.reshape(len(X), -1),
        rtol=1e-10,
        atol=1e-12,
    )
    sanger = _conv(filter_learner=OjaTransformer(rule="sanger", random_state=0))
    sanger.partial_fit(X).partial_fit(X)
    assert sanger.components_.shape == (4, 27)
    assert np.isfinite(sanger.transform(X)).all()


def test_colour_image_geometry_and_feature_names():
    X = _images(n=4, shape=(9, 8, 3))
    model = _conv(pool_size=2).fit(X)
    assert model.image_shape_ == (9, 8, 3)
    assert model.map_shape_ == (7, 6)
    assert model.pooled_shape_ == (3, 3, 4)
    names = model.get_feature_names_out()
    assert len(names) == 36 and names[0] == "convolutionalhebbian0"
    frame = clone(model).set_output(transform="pandas").fit(X).transform(X)
    assert list(frame.columns) == list(names)


def test_transform_in_batches_equals_one_batch(monkeypatch):
    X = _images(n=7)
    model = _conv().fit(X)
    whole = model.transform(X)
    monkeypatch.setattr(conv_module, "_BATCH_ELEMENTS", 1)
    np.testing.assert_array_equal(model.transform(X), whole)


def test_float32_by_default_for_float32_input():
    X = _images().astype(np.float32)
    model = _conv(dtype=None).fit(X)
    assert model.components_.dtype == np.float32
    assert model.transform(X).dtype == np.float32
    np.testing.assert_allclose(
        model.transform(X),
        _conv(dtype=None).fit(X.astype(np.float64)).transform(X.astype(np.float64)),
        rtol=1e-3,
        atol=1e-4,
    )


def test_input_is_not_modified():
    X = _images()
    before = X.copy()
    _conv().fit(X).partial_fit(X).transform(X)
    np.testing.assert_array_equal(X, before)


def test_clear_errors():
    X = _images()
    with pytest.raises(ValueError, match="filter_size=10 does not fit"):
        _conv(filter_size=10).fit(X)
    with pytest.raises(ValueError, match="pool_size=7 does not fit"):
        _conv(pool_size=7).fit(X)
    with pytest.raises(ValueError, match="k=9 must be at most n_filters=4"):
        _conv(k=9).fit(X)
    with pytest.raises(ValueError, match="image_shape"):
        _conv(image_shape=(9, 9, 3)).fit(X)
    with pytest.raises(TypeError, match="has no partial_fit"):
        _conv(filter_learner=RandomGabor()).partial_fit(X)
    model = _conv().partial_fit(X)
    model.set_params(n_filters=5)
    with pytest.raises(ValueError, match="n_filters cannot change"):
        model.partial_fit(X)
    with pytest.raises(ValueError, match="n_patches"):
        _conv(n_patches=0).fit(X)


def test_speed_bench_times_the_parts_and_its_numpy_reference_agrees():
    from skbio_plastic.bench import _conv_speed as bench

    rng = np.random.default_rng(0)
    record = bench.time_conv(12, 4, peak=100.0, repeats=1, rng=rng, n_filters=8)
    assert set(record["part_seconds_per_image"]) == {"patches", "gemm", "pooling"}
    assert record["speedup_vs_numpy"] > 0 and 0 < record["gemm_fraction_of_peak"]
    assert len(bench.summary(record)) == 2
    X = rng.random((3, 32 * 32 * 3))
    model = ConvolutionalHebbian(
        8, k=2, n_patches=200, n_epochs=1, image_shape=bench.SHAPE, dtype="float64"
    ).fit(X)
    np.testing.assert_allclose(
        bench.numpy_transform(X, model.components_, 5, 2),
        model.transform(X),
        rtol=1e-10,
        atol=1e-12,
    )


def test_competition_and_threshold_lower_the_responses_before_the_relu():
    X = _images()
    model = _conv(competition="mean", threshold=0.1, pool_size=1).fit(X)
    maps = _reference_maps(model, X)
    expected = np.maximum(maps - maps.mean(axis=3, keepdims=True) - 0.1, 0)
    np.testing.assert_allclose(
        model.transform(X), expected.reshape(len(X), -1), rtol=1e-10, atol=1e-12
    )


def test_whitened_responses_have_about_unit_variance():
    """What makes ``threshold`` a number of standard deviations."""
    X = _images(n=40, shape=(10, 10, 1))
    model = _conv(
        image_shape=(10, 10), n_patches=3000, n_epochs=30, pool_size=1, p=2.0
    ).fit(X)
    responses = model.transform(X).reshape(-1, model.n_filters)  # relu'd
    # half-normal moments: E[relu(z)^2] = 1/2 for unit-variance responses
    np.testing.assert_allclose((responses**2).mean(axis=0), 0.5, rtol=0.2)
