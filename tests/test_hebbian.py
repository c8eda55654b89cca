"""KrotovHebbianTransformer: the learning rule itself, its failure modes, the API."""

import pickle
import re
import warnings

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline

from skbio_plastic._kernels.krotov import rank_top_and_kth, steady_state_dynamics
from skbio_plastic.hebbian import KrotovHebbianTransformer
from skbio_plastic.receptive_fields import patch_mask


@pytest.fixture(scope="module")
def digits():
    X, _ = load_digits(return_X_y=True)
    return X / 16.0  # raw pixels in [0, 1], as the rule expects


# --------------------------------------------------------------- references


def reference_step(W, X, p, k, delta, eps, inside=None):
    """Krotov & Hopfield's minibatch step, written as plainly as possible.

    ``inside`` (H, D) bool: the synapses each unit has (localized units).
    """
    W_signed = np.sign(W) * np.abs(W) ** (p - 1)
    currents = X @ W_signed.T  # (B, H): current of every unit for every input
    ranking = np.argsort(-currents, axis=1, kind="stable")
    g = np.zeros_like(currents)
    for a in range(X.shape[0]):
        g[a, ranking[a, 0]] = 1.0  # the winner: Hebbian
        g[a, ranking[a, k - 1]] = -delta  # the k-th: anti-Hebbian
    dW = g.T @ X - (g * currents).sum(axis=0)[:, np.newaxis] * W
    if inside is not None:
        dW = np.where(inside, dW, 0.0)
    return W + eps * dW / max(np.abs(dW).max(), 1e-30)


def reference_dynamics_step(W, X, p, w_inh, h_star, delta, eps):
    """One minibatch step of solver="dynamics", written as plainly as possible.

    For every input: the exact steady state ``h`` of the hidden dynamics,
    ``g(h)`` (1 above ``h_star``, ``-delta`` from 0 to ``h_star``, 0 below
    0; ``h_star=None`` is half the largest ``h``), then one Euler step of
    ``dW/dt = g(h) (x - I W)`` of length ``eps``, averaged over the inputs.
    """
    W_signed = np.sign(W) * np.abs(W) ** (p - 1)
    dW = np.zeros_like(W)
    for x in X:
        currents = W_signed @ x
        h = reference_steady_state(currents, w_inh)
        threshold = 0.5 * h.max() if h_star is None else h_star
        g = np.where(h < 0, 0.0, np.where(h >= threshold, 1.0, -delta))
        dW += g[:, np.newaxis] * (x - currents[:, np.newaxis] * W)
    return W + eps * dW / len(X)


def reference_steady_state(currents, w_inh):
    """Exact fixed point of tau dh/dt = I - w_inh sum_{nu != mu} relu(h_nu) - h.

    With the n units of largest current active (h > 0), their total is
    S = sum_top_n I / (1 + (n - 1) w_inh); active units sit at
    (I - w_inh S) / (1 - w_inh), inactive ones at I - w_inh S.
    """
    order = np.argsort(-currents)
    top = np.cumsum(currents[order])
    for n in range(1, len(currents) + 1):
        total = top[n - 1] / (1 + (n - 1) * w_inh)
        last_active = currents[order[n - 1]] - w_inh * total > 0
        next_inactive = n == len(currents) or (currents[order[n]] - w_inh * total <= 0)
        if last_active and next_inactive:
            break
    h = currents - w_inh * total
    active = order[:n]
    h[active] = (currents[active] - w_inh * total) / (1 - w_inh)
    return h


def p_norms(W, p):
    return (np.abs(W) ** p).sum(axis=1) ** (1 / p)


# ------------------------------------------------------------- the rule


@pytest.mark.parametrize("p", [2.0, 3.0, 2.5])
@pytest.mark.parametrize("k, delta", [(2, 0.4), (5, 0.3), (3, 0.0)])
def test_one_step_equals_reference_float64(digits, p, k, delta):
    X = digits[:300]
    est = KrotovHebbianTransformer(
        30, p=p, k=k, delta=delta, learning_rate=0.05, dtype="float64", random_state=0
    )
    est.partial_fit(X[:100])  # from the random start, so W is a learned state
    W = est.components_.copy()
    est.partial_fit(X[100:300])
    expected = reference_step(W, X[100:300], p, k, delta, 0.05)
    np.testing.assert_allclose(est.components_, expected, rtol=0, atol=1e-12)
    assert not np.array_equal(est.components_, W)


@pytest.mark.parametrize("p", [2.0, 3.0, 2.5])
def test_one_step_equals_reference_float32(digits, p):
    X = digits[:200].astype(np.float32)
    est = KrotovHebbianTransformer(
        30, p=p, k=3, learning_rate=0.05, dtype="float32", random_state=1
    )
    est.partial_fit(X[:100])
    W = est.components_.astype(np.float64)
    est.partial_fit(X[100:])
    expected = reference_step(W, X[100:].astype(np.float64), p, 3, 0.4, 0.05)
    # float32 currents can reorder near-ties at rank k: allow a few units off.
    close = np.isclose(est.components_, expected, rtol=1e-4, atol=1e-4).all(axis=1)
    assert close.mean() >= 0.9
    assert est.components_.dtype == np.float32


@pytest.mark.parametrize("p", [2.0, 3.0, 2.5])
@pytest.mark.parametrize("image_shape, patch_size", [((8, 8), 3), ((6, 6, 3), 4)])
def test_localized_step_equals_reference_float64(p, image_shape, patch_size):
    """Only the synapses inside each unit's patch learn (all its channels)."""
    X = np.random.default_rng(0).random((300, np.prod(image_shape)))
    est = KrotovHebbianTransformer(
        30, p=p, k=3, patch_size=patch_size, image_shape=image_shape,
        learning_rate=0.05, dtype="float64", random_state=0,
    )  # fmt: skip
    est.partial_fit(X[:100])
    W = est.components_.copy()
    inside = patch_mask(est.image_shape_, (patch_size, patch_size), est.patch_origins_)
    est.partial_fit(X[100:])
    expected = reference_step(W, X[100:], p, 3, 0.4, 0.05, inside)
    np.testing.assert_allclose(est.components_, expected, rtol=0, atol=1e-12)
    assert np.all(est.components_[~inside] == 0)
    assert np.any(est.components_ != W, axis=1).sum() >= 5  # units that learned


def test_localized_layer_keeps_no_dense_mask():
    """The patches are kept as positions, not as an (H, D) array beside W."""
    est = KrotovHebbianTransformer(
        50, k=2, patch_size=4, image_shape=(12, 12), n_epochs=1, random_state=0
    ).fit(np.random.default_rng(0).random((100, 144)))
    big = [
        name
        for name, value in vars(est).items()
        if isinstance(value, np.ndarray) and value.size >= est.components_.size
    ]
    assert big == ["components_"]


def test_fit_epoch_equals_reference_steps(digits):
    """fit = reshuffled minibatch steps with eps decaying per epoch."""
    X = digits[:250]
    est = KrotovHebbianTransformer(
        20,
        p=3,
        k=2,
        learning_rate=0.1,
        n_epochs=2,
        batch_size=100,
        dtype="float64",
        random_state=0,
    )
    est.fit(X)
    # Replay with the same random stream: init, then one permutation per epoch.
    rng = np.random.RandomState(0)
    W = rng.standard_normal((20, X.shape[1]))
    for epoch in range(2):
        order = rng.permutation(len(X))
        for start in range(0, len(X), 100):
            W = reference_step(
                W, X[order[start : start + 100]], 3, 2, 0.4, 0.1 * (1 - epoch / 2)
            )
    np.testing.assert_allclose(est.components_, W, rtol=0, atol=1e-10)
    assert est.n_iter_ == 2 and est.n_epochs_ == 2 and est.n_steps_ == 6


@pytest.mark.parametrize("p", [2.0, 3.0])
def test_median_row_p_norm_converges_to_one(digits, p):
    est = KrotovHebbianTransformer(
        16,
        p=p,
        k=2,
        delta=0.2,
        learning_rate=0.1,
        n_epochs=40,
        batch_size=50,
        random_state=0,
    ).fit(digits[:600])
    norms = est.median_p_norms_
    assert norms[0] > 3  # N(0, 1) start: (1.6 * 64) ** (1/3) or sqrt(64)
    assert abs(norms[-1] - 1) < 0.1
    np.testing.assert_allclose(
        np.median(p_norms(est.components_, p)), norms[-1], rtol=1e-4
    )


def test_winner_moves_towards_input_and_kth_away(digits):
    x = digits[:1]
    est = KrotovHebbianTransformer(
        10, p=2, k=3, delta=0.4, learning_rate=0.01, dtype="float64", random_state=0
    )
    est.partial_fit(digits[1:2])
    W = est.components_.copy()
    ranking = np.argsort(-(W @ x[0]))
    winner, kth = ranking[0], ranking[2]

    def cosine(w):
        return w @ x[0] / np.linalg.norm(w) / np.linalg.norm(x[0])

    est.partial_fit(x)
    assert cosine(est.components_[winner]) > cosine(W[winner])
    assert cosine(est.components_[kth]) < cosine(W[kth])
    others = np.setdiff1d(np.arange(10), [winner, kth])
    np.testing.assert_array_equal(est.components_[others], W[others])


def test_repeated_input_makes_winner_its_unit_vector(digits):
    """The fixed point of the Hebbian update for one input x is x / ||x||_p."""
    x = digits[5:6]
    est = KrotovHebbianTransformer(
        5, p=2, k=2, delta=0.0, learning_rate=0.05, dtype="float64", random_state=0
    )
    for _ in range(2000):
        est.partial_fit(x)
    winner = np.argmax(est.components_ @ x[0])
    np.testing.assert_allclose(
        est.components_[winner], x[0] / np.linalg.norm(x[0]), atol=0.05
    )


def test_partial_fit_continues_and_follows_schedule(digits):
    X = digits[:300]
    est = KrotovHebbianTransformer(
        20, k=2, n_epochs=3, learning_rate=0.05, dtype="float64", random_state=0
    ).fit(X)
    W = est.components_.copy()
    est.partial_fit(X[:50])
    assert est.n_steps_ == 3 * 3 + 1 and est.n_epochs_ == 3
    # after a complete fit: the schedule's last rate, learning_rate / n_epochs
    expected = reference_step(W, X[:50], 3.0, 2, 0.4, 0.05 / 3)
    np.testing.assert_allclose(est.components_, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"k": 20}, "k=20 must be at most n_components=10"),
        ({"delta": -0.5}, r"'delta' parameter .* Got -0.5 instead"),
        ({"learning_rate": -1.0}, r"'learning_rate' parameter .* Got -1.0 instead"),
    ],
)
def test_partial_fit_validates_parameters_set_between_calls(digits, params, match):
    est = KrotovHebbianTransformer(10, k=2, random_state=0).partial_fit(digits[:50])
    W = est.components_.copy()
    est.set_params(**params)
    with pytest.raises(ValueError, match=match):
        est.partial_fit(digits[50:100])
    np.testing.assert_array_equal(est.components_, W)  # no step was taken


@pytest.mark.parametrize(
    "params",
    [
        {"n_components": 12},
        {"patch_size": 3, "image_shape": (8, 8)},
        {"dtype": "float64"},
    ],
)
def test_partial_fit_refuses_changed_weight_shape(digits, params):
    est = KrotovHebbianTransformer(10, k=2, random_state=0).partial_fit(digits[:50])
    est.set_params(**params)
    name, value = next(iter(params.items()))
    with pytest.raises(ValueError, match=f"changed {name}={value!r}.*Call fit"):
        est.partial_fit(digits[50:100])
    est.fit(digits[:100])  # fit starts afresh with the new parameters
    est.partial_fit(digits[100:150])


def test_k_is_free_where_unused(digits):
    """The dynamics solver has no k-th unit: k > n_components is fine there."""
    est = KrotovHebbianTransformer(
        5, solver="dynamics", delta=0.01, learning_rate=0.01, n_epochs=1,
        random_state=0,
    ).fit(digits[:100])  # fmt: skip
    assert est.k > est.n_components and est.n_iter_ == 1


def test_partial_fit_sees_in_place_edits_of_components(digits):
    """Nothing derived from components_ is kept between calls."""
    params = dict(
        n_components=10, p=3.0, k=2, learning_rate=0.05, dtype="float64",
        random_state=0,
    )  # fmt: skip
    est = KrotovHebbianTransformer(**params).partial_fit(digits[:100])
    est.components_[:5] *= 0.5  # the same array, edited in place
    edited = est.components_.copy()
    est.partial_fit(digits[100:200])
    fresh = KrotovHebbianTransformer(**params).partial_fit(digits[:100])
    fresh.components_ = edited.copy()
    fresh.partial_fit(digits[100:200])
    np.testing.assert_array_equal(est.components_, fresh.components_)
    expected = reference_step(edited, digits[100:200], 3.0, 2, 0.4, 0.05)
    np.testing.assert_allclose(est.components_, expected, rtol=0, atol=1e-12)


def test_partial_fit_stream_learns(digits):
    est = KrotovHebbianTransformer(16, k=2, learning_rate=0.1, random_state=0)
    est.partial_fit(digits[:100])
    first = np.median(p_norms(est.components_.astype(np.float64), 3))
    for start in range(100, 1500, 100):
        est.partial_fit(digits[start : start + 100])
    last = np.median(p_norms(est.components_.astype(np.float64), 3))
    assert last < 0.95 * first  # shrinking towards the unit sphere
    assert est.n_steps_ == 15 and est.n_epochs_ == 0


def test_pickle_round_trip_keeps_learning(digits):
    est = KrotovHebbianTransformer(
        10, k=2, n_epochs=2, dtype="float64", random_state=0
    ).fit(digits[:200])
    clone = pickle.loads(pickle.dumps(est))
    est.partial_fit(digits[200:300])
    clone.partial_fit(digits[200:300])
    np.testing.assert_array_equal(est.components_, clone.components_)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [2, 7])
def test_ranking_kernel_matches_stable_argsort_with_ties(dtype, k):
    rng = np.random.default_rng(k)
    currents = np.round(rng.normal(size=(300, 64)), 1).astype(dtype)  # many ties
    currents[:, :8] = 0.0  # e.g. localized units that see only blank pixels
    currents[5:9, 8] = 3.5  # a tie for the top
    n_units, n_samples = currents.shape
    indptr = np.empty(n_samples + 1, dtype=np.int64)
    units = np.empty(2 * n_samples, dtype=np.int64)
    gvals = np.empty(2 * n_samples, dtype=dtype)
    assert rank_top_and_kth(currents, k, 0.3, indptr, units, gvals) == 2 * n_samples
    ranking = np.argsort(-currents, axis=0, kind="stable")
    np.testing.assert_array_equal(indptr, np.arange(0, 2 * n_samples + 1, 2))
    np.testing.assert_array_equal(units[0::2], ranking[0])
    np.testing.assert_array_equal(units[1::2], ranking[k - 1])
    np.testing.assert_array_equal(gvals[0::2], 1.0)
    np.testing.assert_allclose(gvals[1::2], -0.3)
    # delta = 0: the winner only
    assert rank_top_and_kth(currents, k, 0.0, indptr, units, gvals) == n_samples
    np.testing.assert_array_equal(units[:n_samples], ranking[0])


# --------------------------------------------------------------- failures


@pytest.mark.parametrize(
    "learning_rate, match",
    [(10.0, "grew in 3 consecutive epochs"), (1e3, "a row's p-norm reached")],
)
def test_huge_learning_rate_raises_naming_it(digits, learning_rate, match):
    est = KrotovHebbianTransformer(
        10,
        k=2,
        learning_rate=learning_rate,
        n_epochs=6,
        batch_size=50,
        random_state=0,
    )
    with pytest.raises(ValueError, match=f"{match}.*learning_rate"):
        est.fit(digits[:300])


def test_partial_fit_blowup_raises(digits):
    est = KrotovHebbianTransformer(10, k=2, learning_rate=1e3, random_state=0)
    with pytest.raises(ValueError, match="learning_rate"):
        est.partial_fit(digits[:100])


def test_overflow_raises_naming_learning_rate(digits):
    est = KrotovHebbianTransformer(10, k=2, learning_rate=1e30, random_state=0)
    with pytest.raises(ValueError, match="learning_rate"):
        for _ in range(5):
            est.partial_fit(digits[:100])
    assert np.isfinite(est.components_).all()  # the bad step was not applied


def test_dynamics_anti_hebbian_instability_is_caught(digits):
    """Strong anti-Hebbian plasticity blows the ODE up; weak plasticity does not."""
    params = dict(
        n_components=50,
        k=2,
        solver="dynamics",
        learning_rate=0.5,
        n_epochs=10,
        random_state=0,
    )
    with pytest.raises(ValueError, match="learning_rate.*delta=5.0"):
        KrotovHebbianTransformer(delta=5.0, **params).fit(digits[:600])
    est = KrotovHebbianTransformer(delta=0.01, **params).fit(digits[:600])
    assert est.median_p_norms_[-1] < est.median_p_norms_[0]


@pytest.mark.parametrize(
    "params, match",
    [
        ({"p": 1.5}, r"'p' parameter .* range \[2.0, inf\)\. Got 1.5 instead"),
        ({"k": 1}, r"'k' parameter .* range \[2, inf\)\. Got 1 instead"),
        ({"k": 2.5}, r"'k' parameter .* an int .* Got 2.5 instead"),
        ({"delta": -0.1}, r"'delta' parameter .* Got -0.1 instead"),
        ({"learning_rate": 0}, r"'learning_rate' parameter .* Got 0 instead"),
        ({"solver": "ode"}, r"'solver' parameter .* Got 'ode' instead"),
        ({"n_components": 5, "k": 7}, "k=7 must be at most n_components=5"),
        ({"patch_size": 20, "image_shape": (8, 8)}, "patch_size=20 does not fit"),
        ({"normalize_input": "image"}, r"'normalize_input' .* Got 'image' instead"),
    ],
)
def test_bad_parameters_are_clear_errors(digits, params, match):
    est = KrotovHebbianTransformer(**{"n_components": 10, "k": 2, **params})
    with pytest.raises(ValueError, match=match):
        est.fit(digits[:50])


# --------------------------------------------------------------- dynamics


def test_euler_dynamics_reach_the_exact_steady_state():
    rng = np.random.default_rng(0)
    currents = rng.normal(size=(50, 4))
    currents[:3, 0] = [5.0, 4.9, 4.5]  # a close race among three units
    n_units, n_samples = currents.shape
    indptr = np.empty(n_samples + 1, dtype=np.int64)
    units = np.empty(n_units * n_samples, dtype=np.int64)
    gvals = np.empty(n_units * n_samples)
    h = np.empty(n_units)
    for a in range(n_samples):
        expected = reference_steady_state(currents[:, a], 0.8)
        steady_state_dynamics(
            currents[:, a : a + 1].copy(),
            0.8,
            1.0,
            0.4,
            1e-10,
            100_000,
            indptr,
            units,
            gvals,
            h,
        )
        np.testing.assert_allclose(h, expected, atol=1e-7)
        got = dict(zip(units[: indptr[1]], gvals[: indptr[1]], strict=True))
        want = {
            mu: (1.0 if expected[mu] >= 1.0 else -0.4)
            for mu in np.flatnonzero(expected >= 0)
        }
        assert got == want
    assert (reference_steady_state(currents[:, 0], 0.8) > 0).sum() >= 2


@pytest.mark.parametrize("p, h_star", [(2.0, None), (3.0, None), (3.0, 2.0)])
def test_dynamics_step_equals_reference_float64(digits, p, h_star):
    X = digits[:100]
    # With this seed no steady state h lies within 3e-4 max|h| of 0 or of the
    # threshold, far beyond the Euler solver's error (about 1e-5 max|h|):
    # the solver and the exact reference give the same g.
    est = KrotovHebbianTransformer(
        20, p=p, delta=0.3, solver="dynamics", h_star=h_star, learning_rate=0.01,
        dtype="float64", random_state=2,
    )  # fmt: skip
    est.partial_fit(X[:50])
    W = est.components_.copy()
    est.partial_fit(X[50:])
    expected = reference_dynamics_step(W, X[50:], p, 0.8, h_star, 0.3, 0.01)
    np.testing.assert_allclose(est.components_, expected, rtol=0, atol=1e-12)
    # Both plasticity ranges occur: without the anti-Hebbian one, W differs.
    hebbian_only = reference_dynamics_step(W, X[50:], p, 0.8, h_star, 0.0, 0.01)
    assert np.abs(hebbian_only - expected).max() > 1e-4


def test_dynamics_step_scales_with_the_inputs(digits):
    """s * X with learning_rate / s learns the same weights as X."""
    params = dict(
        n_components=10, delta=0.01, solver="dynamics", n_epochs=2,
        dtype="float64", random_state=0,
    )  # fmt: skip
    X = digits[:300]
    unit = KrotovHebbianTransformer(learning_rate=0.05, **params).fit(X)
    large = KrotovHebbianTransformer(learning_rate=0.05 / 255, **params).fit(255 * X)
    np.testing.assert_allclose(large.components_, unit.components_, rtol=1e-9)


def test_dynamics_solver_learns_with_small_delta(digits):
    est = KrotovHebbianTransformer(
        10,
        k=2,
        delta=0.01,
        solver="dynamics",
        learning_rate=0.05,
        n_epochs=3,
        random_state=0,
    ).fit(digits[:300])
    assert np.isfinite(est.components_).all()
    assert est.median_p_norms_[-1] < est.median_p_norms_[0]


# --------------------------------------------------------------- the API


@pytest.mark.parametrize("power", [4.5, 3.0, 2.7])
def test_transform_is_normalized_relu_power(digits, power):
    X = digits[:40].copy()
    X[3] = 0.0  # an all-zero input stays zero, not NaN
    est = KrotovHebbianTransformer(
        12, k=2, n_epochs=2, power=power, dtype="float64", random_state=0
    ).fit(digits[:200])
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    unit = X / np.where(norms > 0, norms, 1.0)
    expected = np.maximum(unit @ est.components_.T, 0) ** power
    np.testing.assert_allclose(est.transform(X), expected, rtol=1e-12, atol=1e-300)
    assert np.all(est.transform(X)[3] == 0)
    raw = est.set_params(normalize_input=False, power=1).transform(X)
    np.testing.assert_allclose(raw, np.maximum(X @ est.components_.T, 0))
    np.testing.assert_array_equal(est.intercept_, 0)


def test_patch_normalization_equals_reference(digits):
    X = digits[:30].copy()
    X[4] = 0.5  # a constant input gives zeros, not NaN
    est = KrotovHebbianTransformer(
        20, k=2, patch_size=3, image_shape=(8, 8), n_epochs=2, power=2.0,
        dtype="float64", random_state=0, normalize_input="patch",
    ).fit(digits[:300])  # fmt: skip
    expected = np.zeros((30, 20))
    for a, x in enumerate(X):
        image_energy = np.sum((x - x.mean()) ** 2)
        for mu, w in enumerate(est.components_):
            field = w != 0
            x_p = x[field] - x[field].mean()
            floor = 0.1 * image_energy * field.sum() / x.size
            c = np.sqrt(np.sum(x_p**2) + floor)
            if c > 0:
                expected[a, mu] = max(w[field] @ x_p / c, 0) ** 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and without a division warning
        features = est.transform(X)
    np.testing.assert_allclose(features, expected, rtol=1e-9, atol=1e-12)
    assert np.all(features[4] == 0)


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-9), ("float32", 1e-2)])
@pytest.mark.parametrize("patch_size, image_shape", [(None, None), (3, (8, 8))])
def test_patch_normalization_ignores_brightness_and_contrast(
    digits, patch_size, image_shape, dtype, rtol
):
    """transform(a x + b) == transform(x) for any a > 0 and b, even b = 1000.

    Within the precision of ``x + b`` itself: float32 keeps only about 4
    significant digits of a pixel beside an offset of 1000.
    """
    est = KrotovHebbianTransformer(
        20, k=2, n_epochs=2, normalize_input="patch", patch_size=patch_size,
        image_shape=image_shape, dtype=dtype, random_state=0,
    ).fit(digits[:200])  # fmt: skip
    noise = np.random.default_rng(0).random((20, 64))
    X = 0.9 * digits[:20] + 0.05 * noise  # not exact binary fractions
    X[4] = 0.3  # a constant input: no contrast, features 0
    features = est.transform(X)
    assert 0.2 < np.mean(features > 0) < 0.8  # ReLU of centred products
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no invalid sqrt from cancellation
        for scale, offset in [(3.0, 0.7), (1.0, 1000.0), (0.5, -1000.0)]:
            shifted = est.transform(scale * X + offset)
            np.testing.assert_allclose(
                shifted, features, rtol=rtol, atol=rtol * features.max()
            )
            assert np.all(shifted[4] == 0)


def test_ranking_rule_and_features_are_scale_free(digits):
    """Pixels in 0-255 learn the same weights and features as pixels in [0, 1]."""
    params = dict(n_components=20, k=3, n_epochs=3, dtype="float64", random_state=0)
    X = digits[:300]
    unit = KrotovHebbianTransformer(**params).fit(X)
    large = KrotovHebbianTransformer(**params).fit(255 * X)
    np.testing.assert_allclose(large.components_, unit.components_, rtol=1e-9)
    for normalize_input in (True, "patch"):
        for est in (unit, large):
            est.set_params(normalize_input=normalize_input)
        np.testing.assert_allclose(
            large.transform(255 * X), unit.transform(X), rtol=1e-9, atol=1e-12
        )


def smooth_colour_rows(channels_first, n=20, height=12, width=12):
    """Rows of smooth random colour images, stored channels last or first."""
    noise = np.random.default_rng(0).random((n, height, width, 3))
    images = gaussian_filter(noise, sigma=(0, 2, 2, 0))
    if channels_first:
        images = images.transpose(0, 3, 1, 2)
    return images.reshape(n, -1)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_channels_first_colour_rows_warn(method):
    est = KrotovHebbianTransformer(
        10, k=2, n_epochs=1, patch_size=4, image_shape=(12, 12, 3), random_state=0
    )
    with pytest.warns(UserWarning, match=r"channels first.*image_shape=\(12, 12, 3\)"):
        getattr(est, method)(smooth_colour_rows(channels_first=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(est, method)(smooth_colour_rows(channels_first=False))


def test_set_output_pandas(digits):
    pd = pytest.importorskip("pandas")
    est = KrotovHebbianTransformer(8, k=2, n_epochs=1, random_state=0)
    out = est.set_output(transform="pandas").fit_transform(digits[:100])
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns)[:2] == [
        "krotovhebbiantransformer0",
        "krotovhebbiantransformer1",
    ]


def test_localized_units_stay_inside_their_patches(digits):
    est = KrotovHebbianTransformer(
        30,
        k=3,
        patch_size=4,
        image_shape=(8, 8),
        n_epochs=3,
        learning_rate=0.1,
        random_state=0,
    ).fit(digits[:500])
    assert est.patch_origins_.shape == (30, 2)
    assert est.image_shape_ == (8, 8, 1)
    fields = est.components_.reshape(30, 8, 8)
    for unit, (row, col) in enumerate(est.patch_origins_):
        outside = np.ones((8, 8), dtype=bool)
        outside[row : row + 4, col : col + 4] = False
        assert np.all(fields[unit][outside] == 0)
        assert np.count_nonzero(fields[unit]) == 16
    # learning happened inside the patches
    assert est.median_p_norms_[-1] < est.median_p_norms_[0]


def test_two_layers_stack_in_a_pipeline(digits):
    """The second layer learns on the first one's activities (non-image input)."""
    model = make_pipeline(
        KrotovHebbianTransformer(36, k=2, n_epochs=3, power=2, random_state=0),
        KrotovHebbianTransformer(10, k=2, n_epochs=3, p=2, random_state=0),
    )
    out = model.fit_transform(digits[:400])
    assert out.shape == (400, 10) and np.isfinite(out).all()
    assert model[0].image_shape_ == (8, 8, 1) and model[1].image_shape_ == (6, 6, 1)
    second = model[1].median_p_norms_
    assert second[-1] < second[0]


def test_same_seed_same_weights(digits):
    params = dict(n_components=10, k=2, n_epochs=2, random_state=3)
    a = KrotovHebbianTransformer(**params).fit(digits[:200]).components_
    b = KrotovHebbianTransformer(**params).fit(digits[:200]).components_
    np.testing.assert_array_equal(a, b)
    params["random_state"] = 4
    c = KrotovHebbianTransformer(**params).fit(digits[:200]).components_
    assert not np.allclose(a, c)


def test_verbose_prints_progress_lines(digits, capsys):
    """One line per epoch: elapsed time, time left, median row p-norm."""
    est = KrotovHebbianTransformer(8, k=2, n_epochs=3, verbose=1, random_state=0)
    est.fit(digits[:100])
    lines = capsys.readouterr().out.splitlines()
    seconds = r"(\d+\.\d+ s|\d+ min \d\d s|\d+ h \d\d min)"
    for epoch, line in enumerate(lines, start=1):
        left = f", ~{seconds} left" if epoch < 3 else ""
        norm = re.escape(f"{est.median_p_norms_[epoch]:.5g}")
        assert re.fullmatch(
            rf"\[KrotovHebbianTransformer\] epoch {epoch}/3: {seconds} elapsed"
            rf"{left}; median row p-norm {norm}",
            line,
        ), line
    assert len(lines) == 3
    est.set_params(verbose=0).fit(digits[:100])
    assert capsys.readouterr().out == ""
