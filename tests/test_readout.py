import pickle
import re
import tracemalloc
import warnings

import joblib
import numpy as np
import pytest
from scipy import sparse
from sklearn import config_context
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbio_plastic import LocalDeltaClassifier, LocalizedRandomProjection
from skbio_plastic._kernels import delta_rule


def reference_error(a, label, loss, beta=0.1, power=6.0):
    """-dL/da for one sample, written as directly as possible."""
    n = a.shape[0]
    if loss == "softmax":
        t = np.eye(n)[label]
        p = np.exp(a - a.max()) / np.exp(a - a.max()).sum()
        return t - p
    if loss == "power_tanh":
        t = 2 * np.eye(n)[label] - 1
        c = np.tanh(beta * a)
        return power * np.abs(t - c) ** (power - 1) * np.sign(t - c) * (1 - c**2) * beta
    t = np.eye(n)[label]
    if loss == "squared_linear":
        return t - a
    return (t - np.maximum(a, 0)) * (a > 0)


def reference_epoch(X, labels, order, W, b, lr, batch_size, loss):
    W, b = W.copy(), b.copy()
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        deltas = [reference_error(W @ X[i] + b, labels[i], loss) for i in idx]
        outer = [np.outer(d, X[i]) for d, i in zip(deltas, idx, strict=True)]
        W += lr * np.mean(outer, axis=0)
        b += lr * np.mean(deltas, axis=0)
    return W, b


LOSS_CODES = {
    "squared_relu": delta_rule.SQUARED_RELU,
    "squared_linear": delta_rule.SQUARED_LINEAR,
    "softmax": delta_rule.SOFTMAX,
    "power_tanh": delta_rule.POWER_TANH,
}


@pytest.mark.parametrize("loss", list(LOSS_CODES))
@pytest.mark.parametrize("batch_size", [1, 3])
def test_kernel_equals_reference_rule(loss, batch_size):
    rng = np.random.RandomState(0)
    X = rng.randn(10, 7)
    labels = rng.randint(0, 4, 10)
    order = rng.permutation(10)
    W, b = rng.randn(4, 7) * 0.3, rng.rand(4) * 0.1
    expected_W, expected_b = reference_epoch(
        X, labels, order, W, b, 0.05, batch_size, loss
    )
    delta_rule.delta_rule_epoch(
        X,
        labels,
        order,
        W,
        b,
        0.05,
        batch_size,
        LOSS_CODES[loss],
        0.1,
        6.0,
        None,
        None,
    )
    np.testing.assert_allclose(W, expected_W, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b, expected_b, rtol=1e-10, atol=1e-12)


def test_adam_step_equals_reference():
    rng = np.random.RandomState(1)
    X, labels = rng.randn(6, 5), rng.randint(0, 3, 6)
    W, b = rng.randn(3, 5) * 0.1, np.zeros(3)
    state = (
        np.zeros_like(W),
        np.zeros_like(W),
        np.zeros(3),
        np.zeros(3),
        np.zeros(1, np.int64),
        0.9,
        0.999,
        1e-8,
    )
    W0 = W.copy()
    delta_rule.delta_rule_epoch(
        X,
        labels,
        np.arange(6),
        W,
        b,
        0.01,
        6,
        delta_rule.SOFTMAX,
        0.1,
        6.0,
        state,
        None,
    )
    grad = np.mean(
        [
            np.outer(reference_error(W0 @ x, y, "softmax"), x)
            for x, y in zip(X, labels, strict=True)
        ],
        axis=0,
    )
    m, v = 0.1 * grad, 0.001 * grad**2  # first step of Adam's moments
    rate = 0.01 * np.sqrt(1 - 0.999) / (1 - 0.9)  # Kingma & Ba's efficient form
    expected = W0 + rate * m / (np.sqrt(v) + 1e-8)
    np.testing.assert_allclose(W, expected, rtol=1e-10)
    assert state[4][0] == 1


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    return X - X.mean(axis=0), y  # centred pixels, as in Illing et al.


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"output_activation": "linear"},
        {"loss": "softmax"},
        {
            "loss": "power_tanh",
            "solver": "adam",
            "batch_size": 20,
            "learning_rate": 0.01,
        },
        {"batch_size": 10, "learning_rate": 0.05},
    ],
)
def test_learns_digits(digits, params):
    X, y = digits
    clf = LocalDeltaClassifier(max_iter=30, tol=None, random_state=0, **params)
    clf.fit(X[:1400], y[:1400])
    assert clf.score(X[1400:], y[1400:]) > 0.85  # chance is 0.1
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.coef_.dtype == np.float32


def test_partial_fit_continues_and_checks_classes(digits):
    X, y = digits
    clf = LocalDeltaClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X[:50], y[:50])
    for _ in range(3):
        clf.partial_fit(X[:1400], y[:1400], classes=np.arange(10))
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 3
    assert clf.loss_curve_[2] < clf.loss_curve_[0]
    with pytest.raises(ValueError, match="not in classes"):
        clf.partial_fit(X[:5], np.full(5, 11))


def test_early_stopping_keeps_best_epoch(digits):
    X, y = digits
    clf = LocalDeltaClassifier(
        early_stopping=True, validation_fraction=0.2, max_iter=30, random_state=0
    ).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.n_iter_ < 30
    best = max(clf.validation_scores_)
    assert clf.validation_scores_.index(best) == clf.n_iter_ - 1 - clf.n_iter_no_change


def test_stops_on_plateau_and_warns_when_it_cannot(digits):
    X, y = digits
    # tol=1: no epoch can improve on the best loss by the whole first-epoch loss
    stopped = LocalDeltaClassifier(tol=1.0, random_state=0).fit(X, y)
    assert stopped.n_iter_ == stopped.n_iter_no_change + 1
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        LocalDeltaClassifier(max_iter=2, random_state=0).fit(X, y)


def test_tol_is_relative_to_the_first_epoch(digits):
    """Stopped: n_iter_no_change epochs each beat the best loss by at most tol
    times the first epoch's loss (the scale of the loss), none before."""
    X, y = digits
    clf = LocalDeltaClassifier(tol=0.02, random_state=0).fit(X, y)
    loss = np.array(clf.loss_curve_)
    best = np.minimum.accumulate(loss)
    gains = best[:-1] - loss[1:]  # improvement of each epoch on the best so far
    stalled = gains <= 0.02 * loss[0]
    assert np.all(stalled[-clf.n_iter_no_change :])
    assert not np.all(stalled[-clf.n_iter_no_change - 1 :])


@pytest.mark.parametrize("loss", ["squared", "softmax"])
def test_default_fit_converges_without_warning(digits, loss):
    """The README's model, on digits: it stops on its own, without a warning,
    no less accurate than after the 50 epochs it used to run (and warn)."""
    X, y = digits
    front = LocalizedRandomProjection(300, patch_size=4, random_state=0)
    H_train, H_test = front.fit_transform(X[:1400]), front.transform(X[1400:])
    clf = LocalDeltaClassifier(loss=loss, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.fit(H_train, y[:1400])
    assert clf.n_iter_ < clf.max_iter
    fixed = LocalDeltaClassifier(loss=loss, max_iter=50, tol=None, random_state=0)
    fixed.fit(H_train, y[:1400])
    assert clf.score(H_test, y[1400:]) > fixed.score(H_test, y[1400:]) - 0.02


def test_divergence_names_learning_rate(digits):
    X, y = digits
    clf = LocalDeltaClassifier(
        output_activation="linear", learning_rate=10.0, max_iter=3, random_state=0
    )
    with pytest.raises(ValueError, match="learning_rate"):
        clf.fit(X, y)


def test_large_inputs_warn(digits):
    X, y = digits
    with pytest.warns(UserWarning, match=r"order 1.*X / 255"):
        LocalDeltaClassifier(max_iter=1, tol=None).fit(X * 255, y)
    clf = LocalDeltaClassifier(random_state=0)
    with pytest.warns(UserWarning, match="order 1"):
        clf.partial_fit(X * 255, y, classes=np.arange(10))
    with warnings.catch_warnings():  # later calls are not checked again
        warnings.simplefilter("error")
        clf.partial_fit(X[:10] * 255, y[:10])


def test_probabilities_only_for_softmax(digits):
    X, y = digits
    clf = LocalDeltaClassifier(loss="softmax", max_iter=5, tol=None, random_state=0)
    proba = clf.fit(X, y).predict_proba(X[:20])
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(1)], clf.predict(X[:20]))
    np.testing.assert_allclose(clf.predict_log_proba(X[:20]), np.log(proba))
    clf.set_params(loss="power_tanh")
    for method in ("predict_proba", "predict_log_proba"):
        assert not hasattr(clf, method)
        with pytest.raises(AttributeError) as info:
            getattr(clf, method)
        # scikit-learn >= 1.3 chains the check's error as the cause
        message = f"{info.value} {info.value.__cause__}"
        assert 'only available with loss="softmax"' in message
        assert "loss='power_tanh'" in message


def test_single_class_is_an_error(digits):
    X, _ = digits
    message = r"at least 2 classes in the data.*only one class: 3\."
    with pytest.raises(ValueError, match=message):
        LocalDeltaClassifier().fit(X[:20], np.full(20, 3))
    clf = LocalDeltaClassifier(random_state=0)
    with pytest.raises(ValueError, match=r"at least 2 classes.*classes=\[3\]"):
        clf.partial_fit(X[:20], np.full(20, 3), classes=[3])
    # the failed call left no state behind
    clf.partial_fit(X[:20], np.arange(20) % 2, classes=[0, 1])
    assert list(clf.classes_) == [0, 1]


def test_binary_string_labels_and_decision_sign():
    X, y = make_classification(200, 6, random_state=0)
    labels = np.where(y == 1, "yes", "no")
    clf = LocalDeltaClassifier(max_iter=20, random_state=0).fit(X, labels)
    assert list(clf.classes_) == ["no", "yes"]
    decision = clf.decision_function(X)
    assert decision.shape == (200,)
    np.testing.assert_array_equal(np.where(decision > 0, "yes", "no"), clf.predict(X))
    assert clf.score(X, labels) > 0.85


def test_random_state_reproduces(digits):
    X, y = digits
    a = LocalDeltaClassifier(max_iter=3, tol=None, random_state=3).fit(X, y)
    b = LocalDeltaClassifier(max_iter=3, tol=None, random_state=3).fit(X, y)
    c = LocalDeltaClassifier(max_iter=3, tol=None, random_state=4).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert not np.array_equal(a.coef_, c.coef_)


def test_verbose_reports_progress(digits, capsys):
    X, y = digits
    clf = LocalDeltaClassifier(max_iter=3, early_stopping=True, verbose=1)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for epoch, line in enumerate(lines, start=1):
        left = ", at most ~.+ left" if epoch < 3 else ""  # tol may stop it early
        expected = (
            rf"\[LocalDeltaClassifier\] epoch {epoch}/3: .+ elapsed{left}; "
            rf"loss {clf.loss_curve_[epoch - 1]:.5g}, "
            rf"validation accuracy {clf.validation_scores_[epoch - 1]:.5g}"
        )
        assert re.fullmatch(expected, line), line

    clf = LocalDeltaClassifier(max_iter=2, tol=None, verbose=1).fit(X, y)
    first = capsys.readouterr().out.splitlines()[0]
    assert re.fullmatch(r".* epoch 1/2: .+ elapsed, ~.+ left; loss \S+", first)

    clf.partial_fit(X, y)  # one epoch: the third
    line = capsys.readouterr().out.strip()
    assert re.fullmatch(rf".* epoch 3: .+ elapsed; loss {clf.loss_curve_[2]:.5g}", line)
    LocalDeltaClassifier(max_iter=2, tol=None).fit(X, y)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "X, y, error, match",
    [
        (np.full((4, 3), np.nan), [0, 1, 0, 1], ValueError, "NaN"),
        (np.ones(4), [0, 1, 0, 1], ValueError, "2D array"),
        (np.ones((0, 3)), [], ValueError, "0 sample"),
        (np.array([["a", "b"], ["c", "d"]]), [0, 1], ValueError, "could not convert"),
        (sparse.csr_matrix(np.ones((4, 3))), [0, 1, 0, 1], TypeError, "dense data"),
        (np.ones((4, 3)), [0.5, 1.5, 0.1, 1.0], ValueError, "Unknown label type"),
        (np.ones((4, 3)), [0, 1, 0], ValueError, "inconsistent numbers of samples"),
    ],
)
def test_bad_input_is_a_clear_error(X, y, error, match):
    with pytest.raises(error, match=match):
        LocalDeltaClassifier().fit(X, y)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"loss": "hinge"}, "loss"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"loss_power": 1.0}, "loss_power"),
        ({"power": 1.0}, "power"),
        ({"tol": -1.0}, "tol"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"solver": "lbfgs"}, "solver"),
        ({"batch_size": 0}, "batch_size"),
        ({"average": 0}, "average"),
        ({"average": "yes"}, "average"),
    ],
)
def test_bad_parameters_are_named(params, match):
    with pytest.raises(ValueError, match=match):
        LocalDeltaClassifier(**params).fit(np.ones((4, 2)), [0, 1, 0, 1])


def test_predict_checks_feature_count_and_keeps_input(digits):
    X, y = digits
    before = X.copy()
    clf = LocalDeltaClassifier(max_iter=2, tol=None, random_state=0).fit(X, y)
    clf.predict(X)
    np.testing.assert_array_equal(X, before)
    with pytest.raises(ValueError, match="expecting 64 features"):
        clf.predict(X[:, :10])


def test_pipeline_grid_search_and_persistence(digits, tmp_path):
    X, y = digits
    model = make_pipeline(
        StandardScaler(with_std=False),
        LocalizedRandomProjection(300, patch_size=4, weight_scale=0.3, random_state=0),
        LocalDeltaClassifier(max_iter=10, tol=None, random_state=0),
    )
    search = GridSearchCV(
        model, {"localizedrandomprojection__patch_size": [3, 5]}, cv=2
    ).fit(X[:600], y[:600])
    assert search.best_params_["localizedrandomprojection__patch_size"] in (3, 5)
    path = tmp_path / "model.joblib"
    joblib.dump(search.best_estimator_, path)
    restored = joblib.load(path)
    np.testing.assert_array_equal(
        restored.predict(X[600:]), search.best_estimator_.predict(X[600:])
    )
    assert pickle.loads(pickle.dumps(restored)).score(X[600:], y[600:]) > 0.8


def test_learning_rate_decays_per_epoch(digits):
    X, y = digits
    decayed = LocalDeltaClassifier(
        learning_rate=0.01,
        learning_rate_decay=1.0,
        shuffle=False,
        max_iter=2,
        tol=None,
        random_state=0,
    ).fit(X, y)
    stepwise = LocalDeltaClassifier(learning_rate=0.01, shuffle=False, random_state=0)
    stepwise.partial_fit(X, y, classes=np.arange(10))
    stepwise.set_params(learning_rate=0.01 / 2)  # what epoch 1 uses with decay 1
    stepwise.partial_fit(X, y)
    assert stepwise.learning_rate_ == 0.005
    np.testing.assert_allclose(decayed.coef_, stepwise.coef_, rtol=1e-6)


@pytest.mark.parametrize("batch_size", [1, 4])
def test_kernel_average_is_the_mean_of_the_steps(batch_size):
    rng = np.random.RandomState(2)
    X, labels = rng.randn(12, 5), rng.randint(0, 3, 12)
    W, b = rng.randn(3, 5) * 0.1, rng.rand(3) * 0.1
    snapshots, W_live, b_live = [], W.copy(), b.copy()
    for start in range(0, 12, batch_size):
        order = np.arange(start, start + batch_size)
        W_live, b_live = reference_epoch(
            X, labels, order, W_live, b_live, 0.05, batch_size, "softmax"
        )
        snapshots.append((W_live, b_live))
    counts = np.zeros(2, np.int64)
    state = (np.zeros_like(W), np.zeros_like(b), counts, 5)  # from sample 5 on
    delta_rule.delta_rule_epoch(
        X, labels, np.arange(12), W, b, 0.05, batch_size, delta_rule.SOFTMAX,
        0.1, 6.0, None, state,
    )  # fmt: skip
    averaged = snapshots[(5 - 1) // batch_size :]
    np.testing.assert_allclose(W, W_live, rtol=1e-10)  # learning is unchanged
    np.testing.assert_allclose(state[0], np.mean([w for w, _ in averaged], axis=0))
    np.testing.assert_allclose(state[1], np.mean([c for _, c in averaged], axis=0))
    np.testing.assert_array_equal(counts, [12, len(averaged)])


def test_average_reports_the_mean_weights_and_keeps_learning(digits):
    X, y = digits[0][:300], digits[1][:300]
    params = dict(loss="softmax", learning_rate=0.5, batch_size=300, random_state=0)
    plain = LocalDeltaClassifier(**params)
    averaged = LocalDeltaClassifier(average=601, **params)  # from epoch 3 on
    snapshots = []
    for epoch in range(6):
        plain.partial_fit(X, y, classes=np.arange(10))
        averaged.partial_fit(X, y, classes=np.arange(10))
        snapshots.append((plain.coef_.copy(), plain.intercept_.copy()))
        if epoch < 2:  # not started: the current weights
            np.testing.assert_array_equal(averaged.coef_, plain.coef_)
    mean_coef = np.mean([c for c, _ in snapshots[2:]], axis=0)
    np.testing.assert_allclose(averaged.coef_, mean_coef, rtol=1e-5, atol=1e-7)
    restored = pickle.loads(pickle.dumps(averaged))  # learning resumes after a copy
    np.testing.assert_array_equal(
        restored.partial_fit(X, y).coef_, averaged.partial_fit(X, y).coef_
    )
    fitted = LocalDeltaClassifier(average=True, max_iter=6, tol=None, **params)
    fitted.fit(X, y)
    mean_coef = np.mean([c for c, _ in snapshots], axis=0)
    mean_intercept = np.mean([b for _, b in snapshots], axis=0)
    np.testing.assert_allclose(fitted.coef_, mean_coef, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(fitted.intercept_, mean_intercept, rtol=1e-5)
    X_test = digits[0][300:]
    np.testing.assert_array_equal(
        fitted.predict(X_test), np.argmax(X_test @ mean_coef.T + mean_intercept, 1)
    )


def test_set_params_between_partial_fit_calls_is_validated(digits):
    X, y = digits
    clf = LocalDeltaClassifier(random_state=0)
    clf.partial_fit(X, y, classes=np.arange(10))
    auto_rate = clf.learning_rate_
    clf.set_params(learning_rate=-1)
    with pytest.raises(ValueError, match="learning_rate") as info:
        clf.partial_fit(X, y)
    assert type(info.value).__name__ == "InvalidParameterError"
    clf.set_params(learning_rate="auto").partial_fit(X[:100] * 0.5, y[:100])
    assert clf.learning_rate_ == auto_rate  # "auto" keeps the first call's step
    clf.set_params(average=10)
    with pytest.raises(ValueError, match="average cannot change.*False.*10"):
        clf.partial_fit(X, y)


@pytest.mark.parametrize("first, then", [("sgd", "adam"), ("adam", "sgd")])
def test_solver_change_between_partial_fit_calls_takes_effect(digits, first, then):
    X, y = digits[0][:200], digits[1][:200]
    params = dict(learning_rate=1e-3, batch_size=20, shuffle=False, random_state=0)
    clf = LocalDeltaClassifier(solver=first, **params)
    clf.partial_fit(X, y, classes=np.arange(10))
    W, b = clf.coef_.copy(), clf.intercept_.copy()
    clf.set_params(solver=then).partial_fit(X, y)
    adam = None  # a switch to Adam starts from zero moments
    if then == "adam":
        adam = (np.zeros_like(W), np.zeros_like(W), np.zeros_like(b), np.zeros_like(b))
        adam += (np.zeros(1, np.int64), 0.9, 0.999, 1e-8)
    delta_rule.delta_rule_epoch(
        X, y.astype(np.int64), np.arange(200), W, b, 1e-3, 20,
        delta_rule.SQUARED_RELU, 0.1, 6.0, adam, None,
    )  # fmt: skip
    np.testing.assert_allclose(clf.coef_, W, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(clf.intercept_, b, rtol=1e-6, atol=1e-9)


def test_loss_power_and_its_deprecated_alias(digits):
    X, y = digits
    params = dict(loss="power_tanh", max_iter=2, tol=None, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        renamed = LocalDeltaClassifier(loss_power=3, **params).fit(X, y)
    default = LocalDeltaClassifier(**params).fit(X, y)
    with pytest.warns(FutureWarning, match="renamed loss_power.*removed in 0.3"):
        old = LocalDeltaClassifier(power=3, **params).fit(X, y)
    np.testing.assert_array_equal(old.coef_, renamed.coef_)  # the value is used
    assert not np.array_equal(renamed.coef_, default.coef_)
    assert renamed.get_params()["power"] == "deprecated"


def test_early_stopping_never_copies_X(monkeypatch):
    """Training and validation rows are indices into the caller's array."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20_000, 400)).astype(np.float32)
    y = rng.randint(0, 10, 20_000)
    params = dict(early_stopping=True, max_iter=2, tol=None, random_state=0)
    LocalDeltaClassifier(**params).fit(X[:100], y[:100])  # compile outside the trace
    tracemalloc.start()
    LocalDeltaClassifier(**params).fit(X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 0.25 * X.nbytes  # a copy of the training rows is 0.9 X.nbytes

    # validation rows are scored in chunks that fit working_memory (in MiB)
    scored = []
    raw_predict = LocalDeltaClassifier._raw_predict

    def count_rows(self, X_rows):
        scored.append(len(X_rows))
        return raw_predict(self, X_rows)

    monkeypatch.setattr(LocalDeltaClassifier, "_raw_predict", count_rows)
    with config_context(working_memory=1):
        LocalDeltaClassifier(**params).fit(X, y)
    assert sum(scored) == 2 * 2_000 and max(scored) == 2**20 // (400 * 4)

    calls = []
    kernel = delta_rule.delta_rule_epoch

    def spy(X_seen, labels, order, *args):
        calls.append((X_seen, np.sort(order)))
        return kernel(X_seen, labels, order, *args)

    monkeypatch.setattr(delta_rule, "delta_rule_epoch", spy)
    LocalDeltaClassifier(validation_fraction=0.2, **params).fit(X, y)
    assert all(X_seen is X for X_seen, _ in calls)
    train = calls[0][1]
    np.testing.assert_array_equal(calls[1][1], train)  # the same rows every epoch
    assert train.size == 16_000 and np.unique(train).size == 16_000
    # stratified: each class keeps its share of the rows
    np.testing.assert_allclose(
        np.bincount(y[train], minlength=10), 0.8 * np.bincount(y), atol=1
    )


def test_early_stopping_equals_training_on_a_copied_split(digits):
    """Reference: the split copied out of X, as train_test_split on X gives it."""
    X, y = digits[0].astype(np.float64), digits[1]
    clf = LocalDeltaClassifier(
        early_stopping=True, validation_fraction=0.2, max_iter=4, tol=None,
        random_state=0,
    ).fit(X, y)  # fmt: skip
    rng = np.random.RandomState(0)
    W = rng.normal(scale=np.sqrt(1 / (100 * 64)), size=(10, 64))
    b = rng.uniform(0, 0.1, 10)
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=rng
    )
    rate = 0.2 / (1 + np.mean(np.sum(X**2, axis=1)))
    scores, weights = [], []
    for _ in range(4):
        order = rng.permutation(len(X_train))
        delta_rule.delta_rule_epoch(
            X_train, y_train.astype(np.int64), order, W, b, rate, 1,
            delta_rule.SQUARED_RELU, 0.1, 6.0, None, None,
        )  # fmt: skip
        scores.append(np.mean(np.argmax(X_val @ W.T + b, axis=1) == y_val))
        weights.append(W.copy())
    np.testing.assert_allclose(clf.validation_scores_, scores)
    np.testing.assert_allclose(clf.coef_, weights[np.argmax(scores)], rtol=1e-10)
