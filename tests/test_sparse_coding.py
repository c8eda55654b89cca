"""LocalizedSparseCoding: the local sparse-coding circuit (Illing et al.'s l-SC).

The circuit is checked against what it is meant to do (minimise the sparse
coding loss, learn a dictionary, give sparse codes) and its learning step
against a plain numpy transcription of the rules.
"""

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from sklearn.base import clone
from sklearn.datasets import load_digits

from skbio_plastic import LocalizedSparseCoding


def _sparse_dictionary_data(n_samples, n_atoms=8, n_inputs=25, seed=0):
    """Rows ``s @ D`` with two active atoms of positive amplitude per row."""
    rng = np.random.RandomState(seed)
    atoms = rng.standard_normal((n_atoms, n_inputs))
    atoms /= np.linalg.norm(atoms, axis=1, keepdims=True)
    sources = np.zeros((n_samples, n_atoms))
    for row in sources:
        row[rng.choice(n_atoms, 2, replace=False)] = rng.uniform(0.5, 1.5, 2)
    X = sources @ atoms + 0.01 * rng.standard_normal((n_samples, n_inputs))
    return X, atoms


@pytest.fixture(scope="module")
def digits():
    """Pixel-centred 8 x 8 digits in [0, 1] (the estimator expects centred pixels)."""
    X = load_digits().data / 16.0
    return X - X.mean(axis=0)


def _loss(X, W, codes, threshold):
    """``1/2 ||x - W^T a||^2 + threshold ||a||_1`` of every row."""
    residual = X - codes @ W
    return 0.5 * np.sum(residual**2, axis=1) + threshold * np.sum(codes, axis=1)


def _raw_codes(estimator, X):
    """The circuit's codes before the division by ``scale_``."""
    return estimator.transform(X).astype(np.float64) * estimator.scale_


def test_inference_decreases_the_loss_for_fixed_weights():
    # With A = offdiag(W W^T) (non-negative for non-negative W) and unit rows
    # the iterations are a locally competitive algorithm for the loss L.
    X, _ = _sparse_dictionary_data(200)
    X = np.abs(X)
    rng = np.random.RandomState(1)
    W = rng.uniform(size=(8, X.shape[1]))
    W /= np.linalg.norm(W, axis=1, keepdims=True)
    lateral = W @ W.T
    np.fill_diagonal(lateral, 0.0)
    threshold = 0.05
    model = LocalizedSparseCoding(
        1, 8, patch_size=None, threshold=threshold, learning_rate=0.0,
        learning_rate_lateral=0.0, random_state=0,
    ).partial_fit(X[:1])  # fmt: skip
    model.components_[:] = W
    model.lateral_[0] = lateral
    losses = [_loss(X, W, np.zeros((len(X), 8)), threshold).mean()]
    for n_iter in range(1, 61):
        model.set_params(n_iter_inference=n_iter)
        losses.append(_loss(X, W, _raw_codes(model, X), threshold).mean())
    losses = np.array(losses)
    assert np.all(np.diff(losses) <= 1e-9 * losses[0])
    assert losses[-1] < 0.5 * losses[0]


def test_learning_lowers_held_out_reconstruction_error(digits):
    train, held_out = digits[:1200], digits[1200:]
    params = dict(n_patches=10, n_components_per_patch=6, patch_size=4)
    params.update(learning_rate=1e-2, n_epochs=3, random_state=0)
    # The circuit as initialised: random unit rows, no lateral inhibition.
    random = LocalizedSparseCoding(**params).set_params(
        learning_rate=0.0, learning_rate_lateral=0.0
    )
    random.partial_fit(train[:1])
    learned = LocalizedSparseCoding(**params).fit(train)

    def reconstruction_error(model):
        codes = _raw_codes(model, held_out)
        W = model.components_.astype(np.float64)
        K = model.n_components_per_patch
        error = 0.0
        for patch, columns in enumerate(model._indices):
            rows = slice(patch * K, (patch + 1) * K)
            x = held_out[:, columns]
            error += np.sum((x - codes[:, rows] @ W[rows][:, columns]) ** 2)
        return error

    assert reconstruction_error(learned) < 0.7 * reconstruction_error(random)


def test_learned_weights_recover_a_sparse_dictionary():
    X, atoms = _sparse_dictionary_data(4000)
    model = LocalizedSparseCoding(
        1, 8, patch_size=None, n_epochs=3, batch_size=10, random_state=0
    ).fit(X)
    similarity = np.abs(model.components_ @ atoms.T)
    rows, cols = linear_sum_assignment(-similarity)
    recovered = similarity[rows, cols].mean()
    # Chance: the best matching of random unit vectors to the atoms.
    rng = np.random.RandomState(1)
    chance = []
    for _ in range(20):
        random = rng.standard_normal(model.components_.shape)
        random = np.abs(random @ atoms.T) / np.linalg.norm(random, axis=1)[:, None]
        chance.append(random[linear_sum_assignment(-random)].mean())
    assert recovered > 0.75
    assert recovered > max(chance) + 0.3


def test_code_is_sparser_than_the_projection(digits):
    model = LocalizedSparseCoding(20, 5, patch_size=4, n_epochs=3, random_state=0).fit(
        digits
    )
    codes = _raw_codes(model, digits)
    W = model.components_.astype(np.float64)
    projection = digits @ W.T
    # Fewer active units than the rectified projection (the lateral
    # inhibition silences units) ...
    assert np.mean(codes > 0) < 0.9 * np.mean(projection > 0)

    # ... and a more peaked distribution (Hoyer's sparseness, 1 for one
    # active unit, 0 for all equal) of each patch's magnitudes.
    def hoyer(values):
        values = np.abs(values).reshape(len(values), model.n_patches, -1)
        n = values.shape[2]
        l1, l2 = values.sum(axis=2), np.sqrt((values**2).sum(axis=2))
        keep = l2 > 0
        return np.mean((np.sqrt(n) - l1[keep] / l2[keep]) / (np.sqrt(n) - 1))

    assert hoyer(codes) > hoyer(projection) + 0.3
    assert hoyer(codes) > hoyer(np.maximum(projection, 0)) + 0.05


def test_lateral_weights_are_non_negative_with_zero_diagonal(digits):
    model = LocalizedSparseCoding(
        10, 6, patch_size=4, learning_rate_lateral=0.05, random_state=0
    ).fit(digits)
    lateral = model.lateral_
    assert lateral.shape == (10, 6, 6)
    assert np.all(lateral >= 0)
    assert np.all(np.diagonal(lateral, axis1=1, axis2=2) == 0)
    assert lateral.max() > 0  # it did learn
    np.testing.assert_allclose(
        np.linalg.norm(model.components_, axis=1), 1.0, rtol=1e-6
    )


def _reference_step(X, W, A, mean, params):
    """One minibatch of the rules, sample by sample, in plain numpy (float64).

    ``W`` (K, n) feed-forward, ``A`` (K, K) lateral, ``mean`` (K,) running mean.
    """
    rate, threshold = params["rate"], params["threshold"]
    W, A, mean = W.copy(), A.copy(), mean.copy()
    codes = []
    for x in X:  # inference with the weights of the step's start
        drive = W @ x
        u = np.zeros(len(W))
        a = np.zeros(len(W))
        for _ in range(params["n_iter_inference"]):
            u = (1 - rate) * u + rate * (drive - A @ a)
            a = np.maximum(u - threshold, 0.0)
        codes.append(a)
    dW = np.zeros_like(W)
    dA = np.zeros_like(A)
    for x, a in zip(X, codes, strict=True):
        dW += np.outer(a, x)
        dA += np.outer(a - mean, a)  # the mean before this sample
        mean = (1 - params["mean_rate"]) * mean + params["mean_rate"] * a
    W = W + params["learning_rate"] * dW
    W /= np.linalg.norm(W, axis=1, keepdims=True)
    A = np.maximum(A + params["learning_rate_lateral"] * dA, 0.0)
    np.fill_diagonal(A, 0.0)
    return W, A, mean


def test_one_learning_step_equals_the_rules(digits):
    params = dict(
        n_iter_inference=30, rate=0.2, threshold=0.02, learning_rate=0.01,
        learning_rate_lateral=0.05, mean_rate=0.1,
    )  # fmt: skip
    model = LocalizedSparseCoding(
        3, 4, patch_size=4, batch_size=16, random_state=0, **params
    )
    model.partial_fit(digits[:64])  # a state with non-zero A and mean
    W0 = model._weights().astype(np.float64)
    A0 = model.lateral_.astype(np.float64)
    mean0 = model.mean_code_.reshape(3, 4).astype(np.float64)
    assert A0.max() > 0 and mean0.max() > 0
    batch = digits[100:116]
    model.partial_fit(batch)
    W1, A1 = model._weights(), model.lateral_
    mean1 = model.mean_code_.reshape(3, 4)
    for patch, columns in enumerate(model._indices):
        W, A, mean = _reference_step(
            batch[:, columns], W0[patch], A0[patch], mean0[patch], params
        )
        np.testing.assert_allclose(W1[patch], W, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(A1[patch], A, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(mean1[patch], mean, rtol=1e-9, atol=1e-12)
    assert model.n_steps_ == 4 + 1 and model.n_samples_seen_ == 80


def test_partial_fit_continues_where_it_stopped(digits):
    model = LocalizedSparseCoding(10, 4, patch_size=4, batch_size=8, random_state=0)
    whole = clone(model).partial_fit(digits[:96])
    halves = clone(model).partial_fit(digits[:40]).partial_fit(digits[40:96])
    np.testing.assert_allclose(halves.components_, whole.components_, rtol=1e-12)
    np.testing.assert_allclose(halves.lateral_, whole.lateral_, rtol=1e-12)
    np.testing.assert_allclose(halves.mean_code_, whole.mean_code_, rtol=1e-12)
    # fit(n_epochs=2) continues with partial_fit like a third epoch would.
    fitted = clone(model).set_params(n_epochs=2).fit(digits)
    before = fitted.components_.copy()
    fitted.partial_fit(digits[:16])
    assert fitted.n_epochs_ == 2 and fitted.n_samples_seen_ == 2 * len(digits) + 16
    assert not np.array_equal(fitted.components_, before)
    with pytest.raises(ValueError, match="n_patches cannot change"):
        fitted.set_params(n_patches=11).partial_fit(digits[:16])


def test_transform_is_batched_parallel_and_consistent(digits):
    model = LocalizedSparseCoding(12, 4, patch_size=4, n_epochs=1, random_state=0)
    H = clone(model).fit_transform(digits)
    fitted = clone(model).fit(digits)
    np.testing.assert_array_equal(fitted.transform(digits), H)
    assert H.min() == 0.0 and H.max() == 1.0
    # Same features for rows taken alone, and with threads over patches.
    np.testing.assert_array_equal(fitted.transform(digits[:7]), H[:7])
    threaded = clone(model).set_params(n_jobs=2).fit(digits)
    np.testing.assert_array_equal(threaded.transform(digits), H)
    assert fitted.get_feature_names_out()[0] == "localizedsparsecoding0"


@pytest.mark.parametrize(
    "dtype, input_dtype, expected",
    [
        (None, np.float32, np.float32),
        (None, np.float64, np.float64),
        ("float32", np.float64, np.float32),
        ("float64", np.float32, np.float64),
    ],
)
def test_dtype(digits, dtype, input_dtype, expected):
    X = digits.astype(input_dtype)
    model = LocalizedSparseCoding(
        6, 4, patch_size=4, n_epochs=1, dtype=dtype, random_state=0
    ).fit(X)
    assert model.components_.dtype == expected
    assert model.lateral_.dtype == expected
    assert model.transform(X).dtype == expected


def test_float32_codes_are_close_to_float64(digits):
    params = dict(n_patches=6, n_components_per_patch=4, patch_size=4, n_epochs=1)
    model = LocalizedSparseCoding(**params, dtype="float64", random_state=0)
    model.fit(digits)
    single = clone(model).set_params(dtype="float32").fit(digits)
    np.testing.assert_allclose(
        single.transform(digits), model.transform(digits), atol=2e-2
    )


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(rate=1.5), "rate"),
        (dict(rate=0.0), "rate"),
        (dict(threshold=-1.0), "threshold"),
        (dict(n_iter_inference=0), "n_iter_inference"),
        (dict(learning_rate=-1e-3), "learning_rate"),
        (dict(mean_rate=2.0), "mean_rate"),
        (dict(batch_size=0), "batch_size"),
        (dict(patch_size=9), "patch_size=9 does not fit"),
    ],
)
def test_invalid_parameters_name_the_parameter(digits, params, match):
    model = LocalizedSparseCoding(4, 2, **{"patch_size": 4, **params})
    with pytest.raises(ValueError, match=match):
        model.fit(digits)


def test_divergence_and_scale_are_reported(digits):
    # The codes are bounded by the drive (A >= 0 only inhibits), so only an
    # extreme input scale can overflow.
    model = LocalizedSparseCoding(4, 2, patch_size=4, n_epochs=1, random_state=0)
    with pytest.raises(ValueError, match="non-finite.*learning_rate"):
        with pytest.warns(UserWarning, match="expects inputs of order 1"):
            model.fit((digits * 1e25).astype(np.float32))
    with pytest.warns(UserWarning, match="expects inputs of order 1"):
        LocalizedSparseCoding(4, 2, patch_size=4, n_epochs=1).fit(digits * 255)
    original = digits.copy()
    LocalizedSparseCoding(4, 2, patch_size=4, n_epochs=1).fit(digits)
    np.testing.assert_array_equal(digits, original)  # input left untouched
