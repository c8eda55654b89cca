"""The end-to-end baselines: backprop and feedback alignment of the network."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier

from skbio_plastic import LocalizedMLPClassifier
from skbio_plastic.receptive_fields import patch_indices


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def _small(**params):
    defaults = dict(n_hidden=30, patch_size=4, image_shape=(8, 8), random_state=0)
    return LocalizedMLPClassifier(**{**defaults, **params})


def _dense_hidden(model, n_features, image_shape=(8, 8, 1)):
    """The hidden weights as a dense ``(n_hidden, n_features)`` matrix."""
    side = model.patch_size
    indices = patch_indices(image_shape, (side, side), model.patch_origins_)
    dense = np.zeros((model.n_hidden, n_features))
    np.put_along_axis(dense, indices, model.hidden_weights_, axis=1)
    return dense


def _reference_step(model, X, y, rate):
    """One SGD step of the readable network: dense masked layer, then softmax."""
    W = _dense_hidden(model, X.shape[1])
    b, V, c = model.hidden_intercept_, model.coef_, model.intercept_
    hidden = np.maximum(X @ W.T + b, 0)
    outputs = hidden @ V.T + c
    p = np.exp(outputs - outputs.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    delta = (p - np.eye(V.shape[0])[y]) / len(y)
    back = V if model.learning_algorithm == "backprop" else model.feedback_
    hidden_delta = (delta @ back) * (hidden > 0)
    mask = _dense_hidden(model, X.shape[1]) != 0
    return (
        W - rate * (hidden_delta.T @ X) * mask,
        b - rate * hidden_delta.sum(axis=0),
        V - rate * delta.T @ hidden,
        c - rate * delta.sum(axis=0),
    )


@pytest.mark.parametrize("algorithm", ["backprop", "feedback_alignment"])
def test_one_step_equals_the_readable_network(digits, algorithm):
    X, y = digits[0][:40], digits[1][:40]
    model = _small(
        learning_algorithm=algorithm, solver="sgd", momentum=0.0,
        learning_rate=0.1, batch_size=40, shuffle=False, dtype="float64",
    )  # fmt: skip
    model.partial_fit(X[:10], y[:10], classes=np.arange(10))  # build, then step
    expected = _reference_step(model, X, y, 0.1)
    model.partial_fit(X, y)
    W, b, V, c = expected
    np.testing.assert_allclose(_dense_hidden(model, X.shape[1]), W, atol=1e-12)
    np.testing.assert_allclose(model.hidden_intercept_, b, atol=1e-12)
    np.testing.assert_allclose(model.coef_, V, atol=1e-12)
    np.testing.assert_allclose(model.intercept_, c, atol=1e-12)


@pytest.mark.parametrize("dropout", [0.0, 0.5])
@pytest.mark.parametrize("loss", ["softmax", "squared"])
def test_backprop_gradient_equals_finite_differences(digits, loss, dropout):
    """With dropout: the gradient of the network under one fixed dropout mask."""
    X, y = digits[0][:20], digits[1][:20]
    model = _small(
        loss=loss, solver="sgd", momentum=0.0, dropout=dropout, dtype="float64"
    )
    model.partial_fit(X, y, classes=np.arange(10))
    captured = {}
    model._update = lambda gradients, step: captured.update(g=gradients)
    labels = np.searchsorted(model.classes_, y)

    def loss_value():
        model._random_state = np.random.RandomState(7)  # the same mask each time
        return model._step(X, labels, 0.0) / len(y)

    loss_value()
    gradients = captured["g"]
    rng = np.random.default_rng(0)
    for which in range(4):
        weights = model._weights[which]
        flat = weights.reshape(-1)
        for index in rng.choice(flat.size, 5, replace=False):
            saved = flat[index]
            flat[index] = saved + 1e-6
            up = loss_value()
            flat[index] = saved - 1e-6
            down = loss_value()
            flat[index] = saved
            numeric = (up - down) / 2e-6
            analytic = gradients[which].reshape(-1)[index]
            np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-8)


def test_output_equals_the_dense_masked_network(digits):
    X, y = digits
    model = _small(n_hidden=50, max_iter=3, tol=None).fit(X, y)
    assert model.hidden_weights_.shape == (50, 16)
    W = _dense_hidden(model, X.shape[1])
    hidden_out = np.maximum(X @ W.T + model.hidden_intercept_, 0)
    expected = hidden_out @ model.coef_.T + model.intercept_
    np.testing.assert_allclose(model.decision_function(X), expected, atol=1e-10)


@pytest.mark.parametrize("algorithm", ["backprop", "feedback_alignment"])
def test_sparse_adam_step_equals_the_dense_masked_network(algorithm):
    """Colour images, 18 inputs per patch (not a multiple of the kernels' 8)."""
    rng = np.random.default_rng(0)
    image_shape, n_features = (7, 6, 2), 84
    X, y = rng.random((37, n_features)), rng.integers(0, 4, 37)
    model = LocalizedMLPClassifier(
        23, patch_size=3, image_shape=image_shape, learning_algorithm=algorithm,
        alpha=0.01, batch_size=37, shuffle=False, dtype="float64", random_state=0,
    )  # fmt: skip
    model.partial_fit(X[:5], y[:5], classes=np.arange(4))  # build, one step
    W = _dense_hidden(model, n_features, image_shape)
    b, V, c = model.hidden_intercept_, model.coef_, model.intercept_
    hidden = np.maximum(X @ W.T + b, 0)
    outputs = hidden @ V.T + c
    p = np.exp(outputs - outputs.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    delta = (p - np.eye(4)[y]) / len(y)
    back = V if algorithm == "backprop" else model.feedback_
    hidden_delta = (delta @ back) * (hidden > 0)
    indices = patch_indices(image_shape, (3, 3), model.patch_origins_)
    dense_gradient = hidden_delta.T @ X + 0.01 * W
    gradients = [
        np.take_along_axis(dense_gradient, indices, axis=1),
        hidden_delta.sum(axis=0),
        (delta.T @ hidden + 0.01 * V).T,
        delta.sum(axis=0),
    ]
    before = [w.copy() for w in model._weights]
    means, squares = ([m.copy() for m in moments] for moments in model._moments)
    t = model._n_steps + 1
    model.partial_fit(X, y)
    rate = 1e-3 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t)
    for weight, gradient, mean, square, after in zip(
        before, gradients, means, squares, model._weights, strict=True
    ):
        mean = 0.9 * mean + 0.1 * gradient
        square = 0.999 * square + 0.001 * gradient**2
        expected = weight - rate * mean / (np.sqrt(square) + 1e-8)
        np.testing.assert_allclose(after, expected, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"learning_algorithm": "feedback_alignment"},
        {"loss": "squared", "solver": "sgd", "learning_rate": 0.05},
        {"patch_size": None},
    ],
)
def test_learns_digits(digits, params):
    X, y = digits
    model = _small(n_hidden=200, max_iter=30, tol=None, **params)
    assert model.fit(X[:1300], y[:1300]).score(X[1300:], y[1300:]) > 0.85


def test_fully_connected_matches_scikit_learn_mlp(digits):
    X, y = digits
    ours = LocalizedMLPClassifier(
        100, patch_size=None, max_iter=40, tol=None, alpha=1e-4, random_state=0
    ).fit(X[:1300], y[:1300])
    theirs = MLPClassifier((100,), max_iter=40, batch_size=100, random_state=0).fit(
        X[:1300], y[:1300]
    )
    assert ours.score(X[1300:], y[1300:]) > theirs.score(X[1300:], y[1300:]) - 0.03


def test_partial_fit_epochs_equal_fit(digits):
    X, y = digits[0][:300], digits[1][:300]
    fitted = _small(max_iter=3, tol=None, shuffle=False).fit(X, y)
    streamed = _small(shuffle=False)
    for _ in range(3):
        streamed.partial_fit(X, y, classes=np.unique(y))
    np.testing.assert_array_equal(fitted.coef_, streamed.coef_)
    np.testing.assert_array_equal(fitted.hidden_weights_, streamed.hidden_weights_)
    assert streamed.n_iter_ == 3 and len(streamed.loss_curve_) == 3


def test_early_stopping_keeps_the_best_epoch(digits):
    X, y = digits
    model = _small(
        n_hidden=100, learning_rate=0.01, max_iter=8, early_stopping=True, tol=None
    ).fit(X, y)
    assert len(model.validation_scores_) == model.n_iter_ == 8
    assert max(model.validation_scores_) > 0.8


def test_float32_input_trains_in_float32(digits):
    X, y = digits
    model = _small(max_iter=2, tol=None).fit(X.astype(np.float32), y)
    assert model.coef_.dtype == np.float32
    assert model.decision_function(X).dtype == np.float32
    assert _small(max_iter=2, tol=None).fit(X, y).coef_.dtype == np.float64


def test_clear_errors(digits):
    X, y = digits
    model = _small().partial_fit(X[:50], y[:50], classes=np.arange(10))
    model.set_params(n_hidden=31)
    with pytest.raises(ValueError, match="n_hidden cannot change"):
        model.partial_fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="not in classes"):
        _small().partial_fit(X[:50], y[:50] + 1, classes=np.arange(10))
    with pytest.raises(ValueError, match="patch_size=9 does not fit"):
        _small(patch_size=9).fit(X, y)
    with pytest.warns(UserWarning, match="order 1"):
        _small(max_iter=1, tol=None).fit(X * 16 * 16, y)
    squared = _small(loss="squared", max_iter=1, tol=None).fit(X, y)
    assert not hasattr(squared, "predict_proba")


def test_speed_bench_runs_both_networks_and_scikit_learn():
    from skbio_plastic.bench._mlp_speed import summary, time_mlp

    record = time_mlp(n_hidden=20, n_epochs=1, dataset="digits")
    assert record["images"]["source"].startswith("scikit-learn digits")
    for key in ("ours_dense", "scikit_learn_dense", "ours_localized"):
        assert record[key]["seconds_per_epoch"] > 0
        assert 0 <= record[key]["test_accuracy"] <= 1
    assert record["speedup_vs_scikit_learn"] > 0
    assert len(summary(record)) == 5


def test_dropout_keeps_the_mean_activity_and_leaves_prediction_alone(digits):
    X, y = digits
    model = _small(dropout=0.3, max_iter=2, tol=None, random_state=0).fit(X, y)
    _, full, _ = model._forward(X[:50])
    dropped = np.mean([model._forward(X[:50], dropout=0.3)[1] for _ in range(400)], 0)
    np.testing.assert_allclose(dropped, full, atol=0.1 * full.max())
    np.testing.assert_array_equal(
        model.decision_function(X), model.decision_function(X)
    )
    with pytest.raises(ValueError, match="dropout"):
        _small(dropout=1.0).fit(X, y)
