"""SpikingLIFClassifier: Illing's spiking l-RP / l-RG network as an estimator."""

import copy
import io
import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from skbio_plastic import LocalizedRandomProjection, RandomGabor, SpikingLIFClassifier
from skbio_plastic.spiking import FeedForwardLIF, hidden_weights_mv, lif_rate

# Short windows and a coarse step: every fit here takes a fraction of a second.
FAST = dict(dt=0.1, t_transient=20, t_learn=30, t_test=60, t_count=40)


def three_bars(n, seed=0):
    """8 x 8 images of 3 classes, each lighting its own region, plus noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = rng.uniform(0, 0.2, (n, 8, 8))
    regions = [(slice(0, 4), slice(0, 4)), (slice(0, 4), slice(4, 8)),
               (slice(4, 8), slice(0, 8))]  # fmt: skip
    for label, (rows, cols) in enumerate(regions):
        X[y == label, rows, cols] += 0.8
    return X.reshape(n, 64), y


def small(**params):
    front_end = params.pop(
        "front_end", LocalizedRandomProjection(100, patch_size=4, random_state=0)
    )
    defaults = dict(n_epochs=3, learning_rate=1e-2, random_state=0, **FAST)
    return SpikingLIFClassifier(front_end, **{**defaults, **params})


@pytest.fixture(scope="module")
def bars():
    return three_bars(90), three_bars(30, seed=1)


@pytest.fixture(scope="module")
def fitted(bars):
    (X, y), _ = bars
    return small().fit(X, y)


def test_readout_learns_to_fire_the_target_class_near_the_target_rate(bars, fitted):
    _, (X_test, y_test) = bars
    assert fitted.score(X_test, y_test) == 1.0
    _, output = fitted.spike_counts(X_test)
    rates = output / fitted.t_count * 1000.0  # Hz
    on_label = rates[np.arange(len(y_test)), y_test]
    others = (rates.sum(axis=1) - on_label) / 2
    # The rule samples the output trace at hidden-spike arrivals, which the
    # output's own spikes follow: the learned rate settles somewhat above the
    # target (about 600 Hz for 500 Hz here).
    assert 0.8 * 500 < on_label.mean() < 1.4 * 500
    assert others.mean() < 0.02 * 500
    # The same during the learning windows, rising epoch after epoch.
    assert fitted.label_rate_curve_[-1] > 0.8 * 500
    assert np.all(np.diff(fitted.label_rate_curve_) > 0)
    assert fitted.other_rate_curve_[-1] < fitted.other_rate_curve_[0]
    assert fitted.n_iter_ == 3 and fitted.n_presentations_ == 270


def test_hidden_counts_track_the_rate_model():
    # Hidden unit j integrates 20 mV plus tau_m * sum_i w_ji r_i, the mean
    # current of its input spike trains (rates r_i of the input neurons from
    # the LIF transfer function); with many small jumps (2 mV, 100 inputs per
    # patch as on MNIST) its rate is the LIF rate of that current.
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (40, 256)) ** 3
    y = np.arange(40) % 2
    clf = SpikingLIFClassifier(
        LocalizedRandomProjection(200, patch_size=10, random_state=0),
        n_epochs=1,
        learning_rate=0.0,
        dt=0.05,
        t_transient=10,
        t_learn=10,
        t_test=300,
        t_count=250,
        random_state=0,
    ).fit(X, y)
    hidden, _ = clf.spike_counts(X[:4])
    theta_input, theta_hidden, _ = clf.network_._split(clf.network_.theta)
    input_rates = lif_rate(20 + 500 * (X[:4] - clf.mean_), theta_input) / 1000
    currents = 20 + clf.tau_m * input_rates @ hidden_weights_mv(clf.front_end_).T
    expected = lif_rate(currents, theta_hidden)
    measured = hidden / clf.t_count * 1000
    driven = expected > 50
    assert driven.sum() > 100
    assert np.corrcoef(expected.ravel(), measured.ravel())[0, 1] > 0.99
    assert np.median(np.abs(measured[driven] / expected[driven] - 1)) < 0.08
    # Where the leak is negligible, count ~ duration * sum_i w_i r_i / theta.
    net_input = input_rates @ hidden_weights_mv(clf.front_end_).T  # mV / ms
    simple = 1000 * net_input / theta_hidden
    assert np.median(np.abs(measured[driven] / simple[driven] - 1)) < 0.15


def test_hidden_weights_follow_the_papers_scaling():
    X = np.zeros((1, 784))
    lrp = LocalizedRandomProjection(3000, patch_size=10, random_state=0).fit(X)
    W = hidden_weights_mv(lrp)
    assert W[W != 0].std() == pytest.approx(2.0, rel=0.01)  # 20 / sqrt(784) * 28 / 10
    np.testing.assert_allclose(W, 20 * lrp.components_, rtol=1e-6)
    # Another weight_scale draws the same pattern, rescaled to the same mV.
    small_scale = clone(lrp).set_params(weight_scale=0.01).fit(X)
    np.testing.assert_allclose(hidden_weights_mv(small_scale), W, rtol=1e-5)
    whole = LocalizedRandomProjection(3000, patch_size=None, random_state=0).fit(X)
    assert hidden_weights_mv(whole).std() == pytest.approx(20 / 28, rel=0.01)
    gabor = RandomGabor(50, patch_size=10, amplitude=7.0, random_state=0).fit(X)
    np.testing.assert_allclose(np.abs(hidden_weights_mv(gabor)).sum(axis=1), 40.0)
    with pytest.raises(TypeError, match="LocalizedRandomProjection or a RandomGabor"):
        hidden_weights_mv(object())


def test_network_is_built_as_documented(bars, fitted):
    (X, _), _ = bars
    net = fitted.network_
    assert net.sizes == (64, 100, 3)
    np.testing.assert_allclose(fitted.mean_, X.mean(axis=0))
    theta = net._split(net.theta)
    assert all((20.0 <= t).all() and (t <= 21.0).all() for t in theta)
    assert np.ptp(theta[1]) > 0.9  # one draw per neuron
    i_ext = net._split(net.i_ext)
    assert (i_ext[1] == 20.0).all() and (i_ext[2] == 20.0).all()
    # The readout starts at N(0, (20 / sqrt(n_hidden))**2) mV.
    fresh = small(n_epochs=1, learning_rate=0.0).fit(*three_bars(20))
    assert fresh.network_.readout_weights().std() == pytest.approx(2.0, rel=0.2)


def test_on_off_encoding_adds_off_neurons_with_negated_weights(bars):
    (X, y), _ = bars
    clf = small(n_epochs=1, input_encoding="on-off").fit(X, y)
    net = clf.network_
    assert net.sizes == (128, 100, 3)
    ordered = np.zeros((100, 128), dtype=net.dtype)  # back to the caller's order
    order, runs = net.hidden_order, net.input_hidden
    run_ptr, run_start, run_offset, weights = runs
    for source in range(128):
        for r in range(run_ptr[source], run_ptr[source + 1]):
            targets = np.arange(run_start[r], run_start[r] + run_offset[r + 1]
                                - run_offset[r])  # fmt: skip
            ordered[order[targets], source] = weights[run_offset[r] : run_offset[r + 1]]
    np.testing.assert_allclose(ordered[:, 64:], -ordered[:, :64])
    currents = clf._currents(X[:2])
    np.testing.assert_allclose(currents[:, :64] + currents[:, 64:], 40.0, rtol=1e-6)
    assert clf.score(*three_bars(30, seed=1)) > 0.9


def test_partial_fit_in_chunks_equals_one_call():
    X, y = three_bars(60)
    mean = X.mean(axis=0)
    one = small(input_mean=mean).partial_fit(X, y, classes=[0, 1, 2])
    two = small(input_mean=mean).partial_fit(X[:25], y[:25], classes=[0, 1, 2])
    two.partial_fit(X[25:], y[25:])
    np.testing.assert_array_equal(
        one.network_.readout_weights(), two.network_.readout_weights()
    )
    np.testing.assert_array_equal(one.network_.v, two.network_.v)
    assert one.network_.step == two.network_.step
    np.testing.assert_array_equal(one.predict_proba(X), two.predict_proba(X))
    assert two.n_presentations_ == 60 and two.n_iter_ == 2
    # Without input_mean, the first call's mean is kept for good.
    first = small().partial_fit(X[:25], y[:25], classes=[0, 1, 2])
    first.partial_fit(X[25:], y[25:])
    np.testing.assert_allclose(first.mean_, X[:25].mean(axis=0))


def test_fit_continued_by_partial_fit_equals_unshuffled_epochs():
    X, y = three_bars(40)
    whole = small(n_epochs=2, shuffle=False).fit(X, y)
    steps = small(n_epochs=1, shuffle=False).fit(X, y).partial_fit(X, y)
    np.testing.assert_array_equal(
        whole.network_.readout_weights(), steps.network_.readout_weights()
    )


def test_learning_rate_decay_divides_each_epochs_rate():
    """Epoch e learns as a constant rate learning_rate / (1 + decay * e) would."""
    X, y = three_bars(40)
    decayed = small(n_epochs=2, shuffle=False, learning_rate_decay=0.5).fit(X, y)
    decayed.partial_fit(X, y)
    steps = small(n_epochs=1, shuffle=False).fit(X, y)
    for epoch in (1, 2):
        steps.set_params(learning_rate=1e-2 / (1 + 0.5 * epoch)).partial_fit(X, y)
    np.testing.assert_array_equal(
        decayed.network_.readout_weights(), steps.network_.readout_weights()
    )
    constant = small(n_epochs=1, shuffle=False).fit(X, y).partial_fit(X, y)
    halved = small(n_epochs=2, shuffle=False, learning_rate_decay=1.0).fit(X, y)
    assert not np.array_equal(
        constant.network_.readout_weights(), halved.network_.readout_weights()
    )


@pytest.mark.parametrize("mmap_mode", [None, "r"])
def test_pickle_round_trip_resumes_exactly(bars, mmap_mode, tmp_path):
    (X, y), (X_test, _) = bars
    clf = small(n_epochs=1).fit(X, y)
    if mmap_mode is None:
        copy = pickle.loads(pickle.dumps(clf))
    else:  # a joblib checkpoint, loaded read-only
        joblib.dump(clf, tmp_path / "checkpoint.joblib")
        copy = joblib.load(tmp_path / "checkpoint.joblib", mmap_mode=mmap_mode)
    np.testing.assert_array_equal(copy.predict_proba(X_test), clf.predict_proba(X_test))
    clf.partial_fit(X[:30], y[:30])
    copy.partial_fit(X[:30], y[:30])
    np.testing.assert_array_equal(
        copy.network_.readout_weights(), clf.network_.readout_weights()
    )
    np.testing.assert_array_equal(copy.network_.v, clf.network_.v)
    np.testing.assert_array_equal(copy.predict(X_test), clf.predict(X_test))


def test_predictions_start_from_the_trained_state_and_leave_it(bars, fitted):
    (X, _), (X_test, _) = bars
    state = [a.copy() for a in (fitted.network_.v, fitted.network_.trace)]
    proba = fitted.predict_proba(X_test)
    np.testing.assert_array_equal(fitted.network_.v, state[0])
    np.testing.assert_array_equal(fitted.network_.trace, state[1])
    # Each image alone gives what it gives among others: images are independent.
    np.testing.assert_array_equal(fitted.predict_proba(X_test[[5, 1]]), proba[[5, 1]])


def test_parallel_test_time_equals_serial(bars, fitted):
    _, (X_test, _) = bars
    X_test = np.repeat(X_test, 5, axis=0)  # several blocks of images
    serial = fitted.spike_counts(X_test)
    parallel = copy.deepcopy(fitted).set_params(n_jobs=2)
    hidden, output = parallel.spike_counts(X_test)
    np.testing.assert_array_equal(hidden, serial[0])
    np.testing.assert_array_equal(output, serial[1])
    assert hidden.dtype == np.int32 and hidden.shape == (150, 100)


def test_predict_proba_rows_sum_to_one_and_silence_is_uniform(bars, fitted):
    _, (X_test, y_test) = bars
    proba = fitted.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(
        fitted.classes_[proba.argmax(axis=1)], fitted.predict(X_test)
    )
    # Inputs held far below threshold: no spike anywhere, a uniform guess and
    # the first class.
    silent = copy.deepcopy(fitted).set_params(input_offset=-1000.0)
    np.testing.assert_allclose(silent.predict_proba(X_test), 1 / 3)
    assert (silent.predict(X_test) == 0).all()


def test_random_state_reproduces_the_network(bars):
    (X, y), (X_test, _) = bars
    a, b = small(n_epochs=1).fit(X, y), small(n_epochs=1).fit(X, y)
    np.testing.assert_array_equal(
        a.network_.readout_weights(), b.network_.readout_weights()
    )
    np.testing.assert_array_equal(a.spike_counts(X_test)[0], b.spike_counts(X_test)[0])
    c = small(n_epochs=1, random_state=1).fit(X, y)
    assert not np.array_equal(a.network_.theta, c.network_.theta)


def test_front_ends_are_cloned_or_copied_never_mutated(bars):
    (X, y), _ = bars
    unfitted = LocalizedRandomProjection(100, patch_size=4, random_state=0)
    clf = small(front_end=unfitted, n_epochs=1).fit(X, y)
    assert not hasattr(unfitted, "components_")
    prefit = RandomGabor(100, patch_size=4, random_state=3).fit(X)
    components = prefit.components_.copy()
    clf = small(front_end=prefit, n_epochs=1).fit(X, y)
    assert clf.front_end_ is not prefit
    np.testing.assert_array_equal(clf.front_end_.components_, components)
    np.testing.assert_array_equal(prefit.components_, components)


def test_default_front_end_is_the_papers_l_rp():
    X, y = np.random.default_rng(0).uniform(0, 1, (4, 784)) ** 4, [0, 1, 0, 1]
    clf = SpikingLIFClassifier(n_epochs=1, random_state=0, dt=0.1, t_transient=1,
                               t_learn=1, t_test=2, t_count=1)  # fmt: skip
    with pytest.warns(ConvergenceWarning, match="No output neuron"):
        clf.fit(X, y)  # 1 ms of learning: too short for an output spike
    assert isinstance(clf.front_end_, LocalizedRandomProjection)
    assert clf.front_end_.n_components == 5000 and clf.front_end_.patch_size == 10


def test_bad_input_is_refused_before_any_simulation(bars, monkeypatch):
    (X, y), _ = bars

    def no_simulation(*args, **kwargs):
        raise AssertionError("simulated despite bad input")

    monkeypatch.setattr(FeedForwardLIF, "present", no_simulation)
    with pytest.raises(ValueError, match=r"pixels in \[0, 1\].*X / 255"):
        with pytest.warns(UserWarning, match="order 1"):
            small().fit(np.round(X * 255), y)
    X_nan = X.copy()
    X_nan[3, 5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        small().fit(X_nan, y)
    with pytest.raises(ValueError, match=r"front_end .*image_shape=\(5, 5\)"):
        small(
            front_end=LocalizedRandomProjection(10, patch_size=2, image_shape=(5, 5))
        ).fit(X, y)
    other = LocalizedRandomProjection(10, patch_size=2).fit(np.zeros((1, 16)))
    with pytest.raises(ValueError, match="fitted on rows of 16 features"):
        small(front_end=other).fit(X, y)
    with pytest.raises(ValueError, match="only one class"):
        small().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="only one"):
        small().partial_fit(X, np.zeros(len(X)), classes=[0])
    with pytest.raises(ValueError, match="t_count"):
        small(t_count=80).fit(X, y)
    with pytest.raises(ValueError, match="t_learn"):
        small(t_learn=30.05).fit(X, y)
    with pytest.raises(ValueError, match="delay"):
        small(delay=0.05).fit(X, y)
    with pytest.raises(ValueError, match="input_mean"):
        small(input_mean=np.zeros(3)).fit(X, y)
    with pytest.raises(ValueError, match="front_end"):
        small(front_end="l-rp").fit(X, y)


def test_bad_input_at_predict_and_between_partial_fits(bars, fitted):
    (X, y), (X_test, _) = bars
    with pytest.raises(ValueError, match=r"pixels in \[0, 1\]"):
        fitted.predict(X_test * 255)
    with pytest.raises(ValueError, match="features"):
        fitted.predict(X_test[:, :10])
    with pytest.raises(NotFittedError):
        small().predict(X_test)
    clf = small(n_epochs=1).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="dt cannot change between partial_fit"):
        clf.set_params(dt=0.05).partial_fit(X, y)
    clf.set_params(dt=0.1, learning_rate=0.0)  # the rule's parameters may change
    weights = clf.network_.readout_weights()
    clf.partial_fit(X, y)
    np.testing.assert_array_equal(clf.network_.readout_weights(), weights)
    with pytest.raises(ValueError, match=r"labels \[7\]"):
        clf.partial_fit(X[:2], [0, 7])
    failed = small(t_count=80)
    with pytest.raises(ValueError, match="t_count"):
        failed.partial_fit(X, y, classes=[0, 1, 2])
    failed.set_params(t_count=40).partial_fit(X, y, classes=[0, 1, 2])  # a fresh start
    assert failed.n_presentations_ == len(X)


def test_verbose_prints_images_per_second_and_rates(bars, capsys):
    (X, y), _ = bars
    small(n_epochs=2, verbose=1).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("[SpikingLIFClassifier] image 90/180: ")
    assert "left; images per s" in lines[0] and "label rate" in lines[0]
    assert lines[1].startswith("[SpikingLIFClassifier] image 180/180: ")


def test_readout_divergence_names_the_learning_rate(bars):
    (X, y), _ = bars
    with pytest.raises(ValueError, match="learning_rate"):
        small(learning_rate=1e38, dtype="float32").fit(X, y)


def test_network_present_and_respond_match_run():
    # The multi-image drivers are the same simulation as FeedForwardLIF.run.
    rng = np.random.default_rng(0)
    mask = rng.random((30, 16)) < 0.3
    weights = np.where(mask, rng.normal(2.0, 4.0, (30, 16)), 0.0)
    readout = rng.normal(1.0, 2.0, (3, 30))
    thetas = dict(theta_input=20.5, theta_hidden=20.3, theta_output=20.1)
    currents = rng.uniform(0, 80, (4, 16))
    labels = [0, 2, 1, 2]
    by_run = FeedForwardLIF(weights, readout, dtype=np.float64, **thetas)
    counts = []
    for current, label in zip(currents, labels, strict=True):
        by_run.run(5.0, i_input=current)
        target = np.zeros(3)
        target[label] = 0.5
        counts.append(by_run.run(10.0, learning_rate=0.05, target=target)[2])
    driven = FeedForwardLIF(weights, readout, dtype=np.float64, **thetas)
    out = driven.present(currents, labels, 5.0, 10.0, learning_rate=0.05, target=0.5)
    np.testing.assert_array_equal(out, counts)
    np.testing.assert_array_equal(driven.readout_weights(), by_run.readout_weights())
    assert driven.step == by_run.step
    # respond: each image from the present state, which stays as it is
    state = pickle.dumps(driven)
    output, hidden = driven.respond(currents, 4.0, 6.0, hidden=True)
    assert pickle.dumps(driven) == state
    for k, current in enumerate(currents):
        alone = pickle.load(io.BytesIO(state))
        alone.run(4.0, i_input=current)
        _, hidden_k, output_k = alone.run(6.0)
        np.testing.assert_array_equal(output[k], output_k)
        np.testing.assert_array_equal(hidden[k], hidden_k)
    with pytest.raises(ValueError, match="labels"):
        driven.present(currents, [0, 1, 2, 3], 5.0, 10.0, learning_rate=0.1, target=1)
    with pytest.raises(ValueError, match="currents"):
        driven.respond(currents[:, :5], 4.0, 6.0)


def test_spike_trains_are_the_simulation_of_predict(bars, fitted):
    _, (X_test, _) = bars
    inputs, hidden, outputs = fitted.spike_trains(X_test[3])
    counting = fitted.t_test - fitted.t_count
    hidden_counts, output_counts = fitted.spike_counts(X_test[3:4])
    late = outputs[0] >= counting - 1e-9
    assert (
        np.bincount(outputs[1][late], minlength=3).tolist() == output_counts[0].tolist()
    )
    late = hidden[0] >= counting - 1e-9
    np.testing.assert_array_equal(
        np.bincount(hidden[1][late], minlength=100), hidden_counts[0]
    )
    assert inputs[0].max() < fitted.t_test and inputs[1].max() < 64
    assert np.all(np.diff(inputs[0]) >= 0)
    with pytest.raises(ValueError, match="one image"):
        fitted.spike_trains(X_test[:2])


def test_raster_plot_has_a_panel_per_population(bars, fitted):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skbio_plastic.plotting import plot_spike_raster

    _, (X_test, _) = bars
    trains = fitted.spike_trains(X_test[0])
    fig = plot_spike_raster(trains, sizes=(64, 100, 3), title="one image")
    assert len(fig.axes) == 3 and fig.axes[0].get_title() == "one image"
    names = ("input", "hidden", "output")
    for ax, (times, _), name in zip(fig.axes, trains, names, strict=True):
        assert ax.get_ylabel() == f"{name}\n({len(times)} spikes)"
    assert fig.axes[1].get_ylim() == (-0.5, 99.5)
    plt.close(fig)
