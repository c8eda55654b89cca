"""Classic plasticity rules: each rule's defining property, one step, the API."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.decomposition import PCA

from skbio_plastic import (
    BCMTransformer,
    HebbianTransformer,
    LocalDeltaClassifier,
    OjaTransformer,
)
from skbio_plastic._kernels.classic import hebbian_factors
from skbio_plastic.classic_rules import rule_coefficients
from skbio_plastic.receptive_fields import patch_mask


@pytest.fixture(scope="module")
def spectrum_data():
    """Centred Gaussian data with a clear spectrum along a random basis."""
    rng = np.random.RandomState(0)
    n_features = 12
    stds = np.array([4.0, 3.0, 2.2, 1.6] + [0.3] * (n_features - 4))
    basis, _ = np.linalg.qr(rng.standard_normal((n_features, n_features)))
    X = (rng.standard_normal((3000, n_features)) * stds) @ basis.T
    return X - X.mean(axis=0)


def _principal(X, n):
    return PCA(n_components=n).fit(X).components_


# ------------------------------------------------------ defining properties


def test_oja_single_unit_finds_the_leading_component(spectrum_data):
    oja = OjaTransformer(1, rule="oja", n_epochs=10, random_state=0)
    w = oja.fit(spectrum_data).components_[0]
    leading = _principal(spectrum_data, 1)[0]
    assert abs(w @ leading) == pytest.approx(1.0, abs=1e-3)
    assert np.linalg.norm(w) == pytest.approx(1.0, abs=1e-2)


def test_oja_subspace_rule_finds_the_principal_subspace(spectrum_data):
    oja = OjaTransformer(3, rule="oja", n_epochs=10, random_state=0)
    W = oja.fit(spectrum_data).components_
    P = _principal(spectrum_data, 3)
    # Cosines of the principal angles between the two subspaces: all ~1.
    cosines = np.linalg.svd(np.linalg.qr(W.T)[0].T @ P.T, compute_uv=False)
    np.testing.assert_allclose(cosines, 1.0, atol=1e-3)
    np.testing.assert_allclose(W @ W.T, np.eye(3), atol=2e-2)  # orthonormal


def test_sanger_finds_the_ordered_components(spectrum_data):
    gha = OjaTransformer(4, rule="sanger", n_epochs=10, random_state=0)
    W = gha.fit(spectrum_data).components_
    overlap = np.abs(W @ _principal(spectrum_data, 4).T)  # up to sign
    np.testing.assert_allclose(overlap, np.eye(4), atol=2e-2)


def test_localized_sanger_finds_each_patch_components():
    rng = np.random.RandomState(1)
    X = rng.standard_normal((2000, 36)) * 3 * 0.8 ** np.arange(36)
    X -= X.mean(axis=0)
    gha = OjaTransformer(
        6, n_components_per_patch=3, patch_size=3, n_epochs=15, random_state=0
    ).fit(X)
    mask = patch_mask((6, 6, 1), (3, 3), gha.patch_origins_)
    assert np.all(gha.components_[~mask] == 0)
    assert np.all(gha.patch_origins_[:3] == gha.patch_origins_[0])  # one group
    for group in (slice(0, 3), slice(3, 6)):
        columns = mask[group][0]
        P = _principal(X[:, columns], 3)
        overlap = np.abs(gha.components_[group][:, columns] @ P.T)
        np.testing.assert_allclose(overlap, np.eye(3), atol=5e-2)


def test_bcm_units_become_selective_to_one_pattern():
    """Overlapping binary patterns: BCM units pick one each, Hebb's do not."""
    rng = np.random.RandomState(0)
    patterns = (rng.uniform(size=(4, 20)) < 0.5).astype(float)
    labels = rng.randint(4, size=4000)
    X = patterns[labels] + 0.05 * rng.standard_normal((4000, 20))

    def selectivity(model):
        responses = model.fit(X).transform(patterns)  # (pattern, unit)
        best = responses.max(axis=0)
        active = best > 0  # a unit silent on every pattern never learns
        second = np.sort(responses, axis=0)[-2]
        preferred = responses.argmax(axis=0)[active]
        return second[active] / best[active], active, preferred

    ratio, active, preferred = selectivity(
        BCMTransformer(8, competition=None, n_epochs=10, random_state=0)
    )
    assert active.sum() >= 6
    assert np.all(ratio < 0.4)  # each unit responds to one pattern
    assert len(set(preferred)) >= 3  # not all the same pattern
    ratio, _, _ = selectivity(HebbianTransformer(8, n_epochs=10, random_state=0))
    assert np.all(ratio > 0.9)  # plain Hebb: the strongest pattern, and others


def test_competition_makes_units_differ(spectrum_data):
    for competition, differ in ((None, False), ("wta", True), ("lateral", True)):
        hebb = HebbianTransformer(
            5, competition=competition, n_epochs=10, random_state=0
        ).fit(spectrum_data)
        cosines = np.abs(hebb.components_ @ hebb.components_.T)
        largest = cosines[~np.eye(5, dtype=bool)].max()
        assert (largest < 0.99) == differ, competition


# --------------------------------------------------- the lecture's sign table


def one_change(rule, pre, post, c=0.2, pre_mean=0.0, post_mean=0.0):
    """The change of one synapse for one sample, through the rule's kernel."""
    post = np.array([[post]], dtype=np.float64)
    G = np.empty_like(post)
    const = np.empty(1)
    hebbian_factors(
        post,
        np.array([post_mean]),
        np.ones((1, 1)),
        *rule_coefficients(rule, c),
        G,
        const,
    )
    return float(G[0, 0] * (pre - pre_mean) + const[0])


# (pre, post) on = 1, off = 0: +1 potentiation, -1 depression, 0 none.
SIGN_TABLES = {
    "hebb": {(1, 1): 1, (1, 0): 0, (0, 1): 0, (0, 0): 0},
    "hebb_minus_c": {(1, 1): 1, (1, 0): -1, (0, 1): -1, (0, 0): -1},
    "post_threshold": {(1, 1): 1, (1, 0): -1, (0, 1): 0, (0, 0): 0},
    "covariance": {(1, 1): 1, (1, 0): -1, (0, 1): -1, (0, 0): 1},
}


@pytest.mark.parametrize("rule", sorted(SIGN_TABLES))
def test_each_preset_has_the_lectures_sign_table(rule):
    means = {"pre_mean": 0.5, "post_mean": 0.5} if rule == "covariance" else {}
    for (pre, post), sign in SIGN_TABLES[rule].items():
        change = one_change(rule, pre, post, **means)
        assert np.sign(change) == sign, (rule, pre, post, change)


def test_covariance_rule_mean_change_is_the_covariance():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(500, 6)) + np.array([0, 1, 2, 0, 1, 2.0])
    eps = 1e-3
    hebb = HebbianTransformer(
        3, rule="covariance", normalize=None, learning_rate=eps, batch_size=500,
        random_state=0,
    )  # fmt: skip
    hebb.partial_fit(X, modulation=np.zeros(500))  # sets the means, no change
    W0 = hebb.components_.copy()
    post = np.maximum(X @ W0.T, 0)
    hebb.partial_fit(X)
    covariance = np.cov(post.T, X.T, bias=True)[:3, 3:]
    np.testing.assert_allclose((hebb.components_ - W0) / eps, covariance, rtol=1e-10)


# ----------------------------------------------- one step against references


def reference_hebb_step(W, X, rule, c, rate, modulation=None, normalize="l2"):
    """One minibatch step of the generalised rule, written plainly."""
    a0, a1_pre, a1_post, a2 = rule_coefficients(rule, c)
    dW = np.zeros_like(W)
    for a, x in enumerate(X):
        post = np.maximum(W @ x, 0)
        m = 1.0 if modulation is None else modulation[a]
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                if W[i, j] != 0 or normalize is None:
                    dW[i, j] += m * (
                        a0 + a1_pre * x[j] + a1_post * post[i] + a2 * post[i] * x[j]
                    )
    W = W + rate * dW / len(X)
    if normalize == "l2":
        W /= np.linalg.norm(W, axis=1, keepdims=True)
    return W


def _fresh(estimator, X):
    """A copy of ``estimator`` initialised by ``partial_fit``, and its weights."""
    model = clone(estimator)
    if isinstance(model, HebbianTransformer):
        model.partial_fit(X[:1], modulation=[0.0])  # no change
    else:  # a first step on one sample; the step under test comes next
        model.partial_fit(X[:1])
    return model, model.components_.copy()


@pytest.mark.parametrize("rule", ["hebb", "hebb_minus_c", "post_threshold"])
@pytest.mark.parametrize("normalize", ["l2", None])
def test_hebbian_step_matches_the_reference(rule, normalize):
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(8, 5))
    hebb = HebbianTransformer(
        3, rule=rule, c=0.3, normalize=normalize, learning_rate=0.05,
        batch_size=8, random_state=0,
    )  # fmt: skip
    model, W0 = _fresh(hebb, X)
    modulation = rng.uniform(-1, 1, 8)
    model.partial_fit(X, modulation=modulation)
    expected = reference_hebb_step(W0, X, rule, 0.3, 0.05, modulation, normalize)
    np.testing.assert_allclose(model.components_, expected, rtol=1e-12)


def test_localized_hebbian_step_changes_only_the_patch():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(8, 16))
    hebb = HebbianTransformer(
        4, rule="post_threshold", patch_size=2, n_components_per_patch=1,
        learning_rate=0.05, batch_size=8, random_state=0,
    )  # fmt: skip
    model, W0 = _fresh(hebb, X)
    model.partial_fit(X)
    expected = reference_hebb_step(W0, X, "post_threshold", 0.1, 0.05)
    np.testing.assert_allclose(model.components_, expected, rtol=1e-12)


def test_wta_step_updates_only_the_winner():
    rng = np.random.RandomState(0)
    x = rng.uniform(size=(1, 6))
    hebb = HebbianTransformer(
        4, competition="wta", normalize=None, learning_rate=0.1, batch_size=1,
        random_state=0,
    )  # fmt: skip
    model, W0 = _fresh(hebb, x)
    model.partial_fit(x)
    winner = np.argmax(W0 @ x[0])
    expected = W0.copy()
    expected[winner] += 0.1 * max(W0[winner] @ x[0], 0) * x[0]
    np.testing.assert_allclose(model.components_, expected, rtol=1e-12)


@pytest.mark.parametrize("rule", ["oja", "sanger"])
def test_oja_sanger_step_matches_the_reference(rule):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((7, 5))
    model, W0 = _fresh(
        OjaTransformer(3, rule=rule, learning_rate=0.02, batch_size=7, random_state=0),
        X,
    )
    model.partial_fit(X)
    dW = np.zeros_like(W0)
    for x in X:
        y = W0 @ x
        for i in range(3):
            units = range(i + 1) if rule == "sanger" else range(3)
            dW[i] += y[i] * (x - sum(y[k] * W0[k] for k in units))
    np.testing.assert_allclose(model.components_, W0 + 0.02 * dW / 7, rtol=1e-12)


@pytest.mark.parametrize("rule", ["oja", "sanger"])
def test_localized_oja_sanger_step_matches_the_reference(rule):
    """Patch by patch (the localized kernel): each group on its own patch."""
    rng = np.random.RandomState(0)
    X = rng.standard_normal((9, 36))
    model, W0 = _fresh(
        OjaTransformer(
            5, rule=rule, n_components_per_patch=2, patch_size=3,
            learning_rate=0.02, batch_size=9, random_state=0,
        ),
        X,
    )  # fmt: skip
    assert model._compact  # 3 groups, the last one short
    mask = patch_mask((6, 6, 1), (3, 3), model.patch_origins_)
    model.partial_fit(X)
    dW = np.zeros_like(W0)
    for x in X:
        y = W0 @ x
        for i in range(5):
            group = range(i - i % 2, min(i - i % 2 + 2, 5))
            units = [k for k in group if k <= i or rule == "oja"]
            dW[i] += y[i] * (x - sum(y[k] * W0[k] for k in units)) * mask[i]
    np.testing.assert_allclose(model.components_, W0 + 0.02 * dW / 9, rtol=1e-12)
    assert model.n_steps_ == 2


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("rule", ["oja", "sanger"])
def test_localized_fit_runs_the_steps_of_the_generic_loop(rule, dtype, monkeypatch):
    """The patch-by-patch epochs agree with the minibatch loop of all rules."""
    rng = np.random.RandomState(0)
    X = (rng.standard_normal((230, 3 * 64)) * 0.3).astype(dtype)  # 8 x 8 x 3
    params = dict(
        rule=rule, n_components_per_patch=3, patch_size=4, image_shape=(8, 8, 3),
        n_epochs=3, batch_size=50, random_state=0,
    )  # fmt: skip
    fast = OjaTransformer(8, **params).fit(X)
    with monkeypatch.context() as patch:
        for name in ("_epoch", "_step"):
            patch.setattr(OjaTransformer, name, getattr(HebbianTransformer, name))
        generic = OjaTransformer(8, **params).fit(X)
    tolerance = 1e-10 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(fast.components_, generic.components_, atol=tolerance)
    # the largest current, computed patch by patch
    dense = (X @ fast.components_.T).max()
    assert fast.scale_ == pytest.approx(dense, rel=tolerance)
    assert fast.n_steps_ == generic.n_steps_ == 15
    assert fast.components_.dtype == dtype


def test_localized_features_are_divided_by_the_largest_training_feature():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((300, 64))
    model = OjaTransformer(
        7, n_components_per_patch=3, patch_size=4, n_epochs=2, random_state=0
    ).fit(X)
    assert model.transform(X).max() == pytest.approx(1.0, rel=1e-12)


def test_localized_oja_overshoot_is_detected():
    X = np.random.RandomState(0).standard_normal((500, 16)) * 3
    with pytest.raises(ValueError, match="Decrease learning_rate"):
        OjaTransformer(
            4, n_components_per_patch=2, patch_size=2, learning_rate=5.0,
            random_state=0,
        ).fit(X)  # fmt: skip


def test_classic_speed_bench_times_the_rules_against_l_pca():
    from skbio_plastic.bench._classic_speed import summary, time_classic

    record = time_classic(n_components=20, n_epochs=1, dataset="digits")
    assert record["images"]["source"] == "scikit-learn digits"
    assert record["n_epochs"] == 1 and record["patch_size"] == 4
    fits = record["fits"]
    assert list(fits) == ["l-pca", "l-sanger", "l-oja"]
    assert fits["l-pca"]["estimator"] == "LocalizedPCA"
    for method in ("l-sanger", "l-oja"):
        assert fits[method]["estimator"] == "OjaTransformer"
        assert fits[method]["ratio_to_l_pca"] == pytest.approx(
            fits[method]["fit_seconds"] / fits["l-pca"]["fit_seconds"]
        )
    assert len(summary(record)) == 4


def test_bcm_step_matches_the_reference():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(6, 5))
    bcm = BCMTransformer(
        3, competition=None, tau=4.0, normalize=None, learning_rate=0.05,
        batch_size=6, random_state=0,
    )  # fmt: skip
    model, W0 = _fresh(bcm, X)
    theta = model.thresholds_.copy()
    model.partial_fit(X)
    dW = np.zeros_like(W0)
    for x in X:  # the threshold slides sample by sample
        y = np.maximum(W0 @ x, 0)
        dW += (y * (y - theta) / theta)[:, None] * x
        theta += (y**2 - theta) / 4.0
    np.testing.assert_allclose(model.components_, W0 + 0.05 * dW / 6, rtol=1e-12)
    np.testing.assert_allclose(model.thresholds_, theta, rtol=1e-12)


def test_error_modulated_rule_is_the_delta_rule():
    """``eta Error_i nu_j`` is LocalDeltaClassifier's update on the same sample.

    The classifier's bias is the weight of a constant input 1, appended here
    as a last column; its error is ``(t - a) * 1[a > 0]`` (squared loss, ReLU
    outputs), and the two learning rates are the same number.
    """
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(1, 6))
    y = np.array([2])
    delta = LocalDeltaClassifier(learning_rate=0.05, batch_size=1, random_state=0)
    delta.partial_fit(X, y, classes=[0, 1, 2])  # initialise, then one more step
    W0 = np.column_stack([delta.coef_, delta.intercept_])
    a = W0 @ np.append(X[0], 1.0)
    error = (np.eye(3)[2] - a) * (a > 0)
    delta.partial_fit(X, y)
    hebb = HebbianTransformer(
        3, rule="general", coefficients=(0, 1, 0, 0), normalize=None,
        learning_rate=0.05, batch_size=1, random_state=0,
    )  # fmt: skip
    inputs = np.column_stack([X, np.ones(1)])
    hebb.partial_fit(inputs, modulation=np.zeros((1, 3)))
    hebb.components_[...] = W0
    hebb.partial_fit(inputs, modulation=error[None, :])
    np.testing.assert_allclose(hebb.components_[:, :-1], delta.coef_, rtol=1e-12)
    np.testing.assert_allclose(hebb.components_[:, -1], delta.intercept_, rtol=1e-12)


# -------------------------------------------------------- failures and API


def test_unstable_plain_hebb_is_detected_not_nan():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((500, 8))
    hebb = HebbianTransformer(4, normalize=None, learning_rate=0.1, random_state=0)
    with pytest.raises(ValueError, match="normalize='l2' or 'clip'"):
        hebb.fit(X)
    with pytest.raises(ValueError, match="diverged"):  # a fast blow-up too
        clone(hebb).set_params(learning_rate=50.0).fit(X)


def test_oja_overshoot_is_detected():
    X = np.random.RandomState(0).standard_normal((500, 8)) * 3
    with pytest.raises(ValueError, match="Decrease learning_rate"):
        OjaTransformer(2, learning_rate=5.0, random_state=0).fit(X)


def test_clip_bounds_every_weight():
    X = np.random.RandomState(0).uniform(size=(300, 8))
    hebb = HebbianTransformer(
        3, normalize="clip", w_max=0.3, learning_rate=0.5, random_state=0
    ).fit(X)
    assert np.abs(hebb.components_).max() <= 0.3
    assert np.all(np.isfinite(hebb.transform(X)))


def test_errors_name_the_parameter():
    X = np.random.RandomState(0).uniform(size=(20, 4))
    with pytest.raises(ValueError, match="coefficients"):
        HebbianTransformer(2, rule="general").fit(X)
    with pytest.raises(ValueError, match="modulation must have shape"):
        HebbianTransformer(2).fit(X, modulation=np.ones(3))
    with pytest.raises(ValueError, match="modulation contains NaN"):
        HebbianTransformer(2).fit(X, modulation=np.full(20, np.nan))
    model = OjaTransformer(2, random_state=0).partial_fit(X)
    with pytest.raises(ValueError, match="n_components cannot change"):
        model.set_params(n_components=3).partial_fit(X)


@pytest.mark.parametrize(
    "estimator",
    [
        HebbianTransformer(6, competition="wta", random_state=0),
        OjaTransformer(4, random_state=0),
        BCMTransformer(6, random_state=0),
    ],
    ids=lambda e: type(e).__name__,
)
def test_float32_fit_pickles_and_does_not_modify_input(estimator):
    X = np.random.RandomState(0).uniform(size=(200, 16)).astype(np.float32)
    X_before = X.copy()
    model = clone(estimator).set_params(patch_size=2, n_components_per_patch=2)
    H = model.fit(X - X.mean(axis=0)).transform(X)
    np.testing.assert_array_equal(X, X_before)
    assert H.dtype == np.float32 and np.all(np.isfinite(H))
    assert model.components_.dtype == np.float32
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.transform(X), H)
    names = model.get_feature_names_out()
    assert names[0] == f"{type(model).__name__.lower()}0"


def test_partial_fit_follows_a_changed_rule():
    X = np.random.RandomState(0).uniform(size=(50, 9))
    hebb = HebbianTransformer(3, batch_size=10, random_state=0).partial_fit(X)
    hebb.set_params(rule="covariance").partial_fit(X)  # starts its running means
    np.testing.assert_allclose(hebb.pre_mean_, X.mean(axis=0), rtol=1e-12)
    assert hebb.n_steps_ == 2 and np.all(np.isfinite(hebb.components_))


def test_features_are_divided_by_the_largest_training_feature(spectrum_data):
    model = OjaTransformer(3, n_epochs=2, random_state=0).fit(spectrum_data)
    H = model.transform(spectrum_data)
    assert H.max() == pytest.approx(1.0, rel=1e-12)
    raw = np.maximum(spectrum_data @ model.components_.T, 0)
    np.testing.assert_allclose(H, raw / model.scale_, rtol=1e-12)
    stream = OjaTransformer(3, batch_size=50, random_state=0)
    for batch in np.array_split(spectrum_data, 4):
        stream.partial_fit(batch)
    assert stream.scale_ > 0 and np.isfinite(stream.transform(spectrum_data)).all()
