"""KrotovHebbianTransformer: the learning rule itself, its failure modes, the API."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline

from skbio_plastic._kernels.krotov import rank_top_and_kth, steady_state_dynamics
from skbio_plastic.hebbian import KrotovHebbianTransformer


@pytest.fixture(scope="module")
def digits():
    X, _ = load_digits(return_X_y=True)
    return X / 16.0  # raw pixels in [0, 1], as the rule expects


# --------------------------------------------------------------- references


def reference_step(W, X, p, k, delta, eps):
    """Krotov & Hopfield's minibatch step, written as plainly as possible."""
    W_signed = np.sign(W) * np.abs(W) ** (p - 1)
    currents = X @ W_signed.T  # (B, H): current of every unit for every input
    ranking = np.argsort(-currents, axis=1, kind="stable")
    g = np.zeros_like(currents)
    for a in range(X.shape[0]):
        g[a, ranking[a, 0]] = 1.0  # the winner: Hebbian
        g[a, ranking[a, k - 1]] = -delta  # the k-th: anti-Hebbian
    dW = g.T @ X - (g * currents).sum(axis=0)[:, np.newaxis] * W
    return W + eps * dW / max(np.abs(dW).max(), 1e-30)


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
        ({"p": 1.5}, "p"),
        ({"k": 1}, "k"),
        ({"k": 2.5}, "k"),
        ({"delta": -0.1}, "delta"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"solver": "ode"}, "solver"),
        ({"n_components": 5, "k": 7}, "k=7 must be at most n_components=5"),
        ({"patch_size": 20, "image_shape": (8, 8)}, "patch_size"),
        ({"normalize_input": "image"}, "normalize_input"),
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


def test_patch_normalization_ignores_brightness_and_contrast(digits):
    """Whole-input units: transform(a x + b) == transform(x) for any a > 0."""
    est = KrotovHebbianTransformer(
        10, k=2, n_epochs=2, normalize_input="patch", dtype="float64", random_state=0
    ).fit(digits[:200])
    X = digits[:20]
    np.testing.assert_allclose(est.transform(3 * X + 0.7), est.transform(X))
    assert np.count_nonzero(est.transform(X)) > 0


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


def test_verbose_prints_epochs(digits, capsys):
    KrotovHebbianTransformer(8, k=2, n_epochs=2, verbose=1, random_state=0).fit(
        digits[:100]
    )
    out = capsys.readouterr().out
    assert "epoch 2/2" in out and "median row p-norm" in out
