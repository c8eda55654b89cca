"""Diehl & Cook's STDP network: neurons, the network against numpy, readout."""

import copy
import io
import math
import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.utils import check_random_state

from skbio_plastic._kernels.conductance import (
    conductance_update,
    decay_threshold,
    raise_threshold,
    reset_spiking,
    threshold_crossings,
)
from skbio_plastic._kernels.diehl_cook import (
    normalize_columns,
    poisson_trains,
    train_images,
)
from skbio_plastic.bench._diehl_cook_speed import simulate_brian2
from skbio_plastic.spiking._diehl_cook import (
    NEURONS,
    LabelAssignmentClassifier,
    STDPSpikingTransformer,
)
from skbio_plastic.spiking.stdp import STDPRule

EXC, INH = NEURONS["e"], NEURONS["i"]


def euler_neuron(p, dt):
    return (
        dt / p["tau"], p["v_rest"], p["e_exc"], p["e_inh"],
        1.0 - dt / p["tau_ge"], 1.0 - dt / p["tau_gi"],
    )  # fmt: skip


# ------------------------------------------------------------------ neurons
def test_conductance_neuron_reaches_its_analytic_steady_state():
    ge = np.array([0.0, 0.5, 2.0, 0.3])
    gi = np.array([0.0, 0.0, 1.0, 4.0])
    v = np.full(4, -80.0)
    refractory = np.zeros(4, dtype=np.int64)
    # conductances held constant (decay factor 1): v relaxes to the weighted
    # mean of the rest and reversal potentials
    neuron = (0.5 / 100.0, -65.0, 0.0, -100.0, 1.0, 1.0)
    for _ in range(20000):
        conductance_update(v, ge.copy(), gi.copy(), refractory, neuron)
    expected = (-65.0 + ge * 0.0 + gi * -100.0) / (1.0 + ge + gi)
    np.testing.assert_allclose(v, expected, rtol=1e-9)


def test_conductance_step_equals_forward_euler():
    rng = np.random.RandomState(0)
    v0, ge0, gi0 = rng.uniform(-90, -40, 6), rng.uniform(0, 3, 6), rng.uniform(0, 3, 6)
    refractory = np.array([0, 2, 0, 1, 0, 3])
    v, ge, gi, r = v0.copy(), ge0.copy(), gi0.copy(), refractory.copy()
    dt = 0.5
    conductance_update(v, ge, gi, r, euler_neuron(EXC, dt))
    free = (-65.0 - v0) + ge0 * (0.0 - v0) + gi0 * (-100.0 - v0)
    expected = np.where(refractory > 1, v0, v0 + dt / 100.0 * free)
    np.testing.assert_allclose(v, expected, rtol=1e-13)
    np.testing.assert_allclose(ge, ge0 * 0.5, rtol=1e-15)
    np.testing.assert_allclose(gi, gi0 * 0.75, rtol=1e-15)
    np.testing.assert_array_equal(r, np.maximum(refractory - 1, 0))


def test_unstable_euler_steps_stay_within_the_reversal_potentials():
    """dt (1 + gi) > tau: Euler would overshoot to about -1200 mV, then above 0."""
    v = np.array([-65.0, -105.0])  # the second starts below e_inh (the paper's init)
    ge, gi = np.zeros(2), np.array([17.0 * 400, 0.0])
    refractory = np.zeros(2, dtype=np.int64)
    trace = []
    for _ in range(10):
        conductance_update(v, ge, gi, refractory, euler_neuron(EXC, 0.5))
        trace.append(v.copy())
    trace = np.array(trace)
    assert np.all(trace[:, 0] >= -100.0) and np.all(trace[:, 0] <= 0.0)
    assert trace[0, 0] == -100.0
    # a stable step is plain Euler, also from below e_inh
    np.testing.assert_allclose(trace[0, 1], -105.0 + 0.005 * 40.0, rtol=1e-15)


def test_refractory_neuron_holds_reset_and_fires_again_after_the_period():
    """Brian 2's ``(unless refractory)``: 5 ms are 10 steps from spike to spike."""
    dt, threshold = 0.5, -52.0
    v = np.array([-51.0])
    ge, gi = np.array([50.0]), np.zeros(1)  # kept large: drives v up at once
    refractory = np.zeros(1, dtype=np.int64)
    fired = np.zeros(1, dtype=bool)
    neuron = euler_neuron(EXC, dt)[:4] + (1.0, 1.0)
    spike_steps, voltages = [], []
    for n in range(25):
        if n > 0:
            conductance_update(v, ge, gi, refractory, neuron)
        if threshold_crossings(v, threshold, np.empty(0), refractory, fired):
            spike_steps.append(n)
            reset_spiking(np.array([0]), 1, v, -65.0, refractory, 10)
        voltages.append(v[0])
    assert spike_steps == [0, 10, 20]
    assert voltages[1:10] == [-65.0] * 9  # frozen at reset, steps 1 to 9


def test_adaptive_threshold_increments_and_decays():
    theta = np.array([20.0, 20.0, 20.0])
    decay = 1.0 - 0.5 / 1e7
    expected = theta.copy()
    for n in range(1000):
        decay_threshold(theta, decay)
        expected *= decay
        if n % 100 == 0:
            raise_threshold(theta, np.array([0, 2]), 2, 0.05)
            expected[[0, 2]] += 0.05
        if n == 500:
            raise_threshold(theta, np.array([2]), 1, 0.05)
            expected[2] += 0.05
    np.testing.assert_allclose(theta, expected, rtol=1e-14)
    # 10 spikes of neuron 0, 11 of neuron 2, over 500 ms of 1e7 ms decay
    assert theta[0] == pytest.approx(20.5, abs=2e-3)
    assert theta[2] - theta[0] == pytest.approx(0.05 * decay**499, rel=1e-9)
    assert theta[1] == pytest.approx(20.0 * math.exp(-500.0 / 1e7), rel=1e-9)


def test_threshold_crossings_use_the_adaptive_part_and_refractoriness():
    v = np.array([-60.0, -50.0, -50.0, -40.0])
    theta = np.array([0.0, 3.0, 0.0, 0.0])
    refractory = np.array([0, 0, 0, 1])
    fired = np.zeros(4, dtype=bool)
    assert threshold_crossings(v, -52.0, theta, refractory, fired) == 1
    np.testing.assert_array_equal(fired, [False, False, True, False])


# ----------------------------------------------------------- inputs, weights
def test_poisson_trains_rates_and_determinism():
    p = np.array([0.0, 0.01, 0.2, 1.0, 1.5])
    step_ptr, neurons = poisson_trains(p, 20000, np.uint64(7))
    counts = np.bincount(neurons, minlength=5)
    assert counts[0] == 0 and counts[3] == counts[4] == 20000
    for j in (1, 2):  # binomial counts, within 5 standard deviations
        mean = 20000 * p[j]
        assert abs(counts[j] - mean) < 5 * math.sqrt(mean * (1 - p[j]))
    again = poisson_trains(p, 20000, np.uint64(7))
    np.testing.assert_array_equal(again[1], neurons)
    other = poisson_trains(p, 20000, np.uint64(8))
    assert not np.array_equal(other[1][: len(neurons)], neurons[: len(other[1])])
    # each step lists its neurons once, in increasing order
    for n in range(0, 20000, 997):
        step = neurons[step_ptr[n] : step_ptr[n + 1]]
        assert np.all(np.diff(step) > 0)


def test_weight_normalisation_keeps_sums_at_78():
    rng = np.random.RandomState(0)
    for dtype in (np.float32, np.float64):
        weights = rng.uniform(0, 1, (784, 7)).astype(dtype)
        normalize_columns(weights, 78.0, np.empty(7))
        np.testing.assert_allclose(weights.sum(axis=0, dtype=np.float64), 78.0, 1e-5)
    X = rng.uniform(0, 1, (3, 200))
    model = STDPSpikingTransformer(
        5, random_state=0, dtype="float64", t_present=100.0, t_rest=10.0
    )
    model.fit(X)
    # normalised before each presentation; the last one changed them a little
    assert np.allclose(model.weights_.sum(axis=0), 78.0, rtol=0.05)
    normalize_columns(model.weights_, 78.0, np.empty(5))
    np.testing.assert_allclose(model.weights_.sum(axis=0), 78.0, rtol=1e-12)


# ----------------------------------------- the network against numpy, exactly
def reference_run(model, W, theta, state, raster, n_steps, learn, counts):
    """Readable numpy simulation of the model (Brian's order), dense traces.

    ``raster`` (steps, inputs) bool holds the input spikes of the first
    steps; ``state`` the neuron variables, dense pre traces ``x`` (inputs,
    neurons), post traces and the dense queue of arrivals. Returns the
    spikes of the inputs, excitatory and inhibitory neurons.
    """
    rule = model.stdp or STDPRule.diehl_cook()
    triplet = rule.tau_triplet is not None

    def bounded(w, delta):  # the rule's soft bounds, then its clip
        if rule.mu:
            scale = np.where(delta > 0, rule.w_max - w, w - rule.w_min)
            delta = delta * np.maximum(scale, 0.0) ** rule.mu
        return np.clip(w + delta, rule.w_min, rule.w_max)

    def spike(trace, where):  # nearest-spike traces are set, others raised
        trace[where] = 1.0 if rule.nearest else trace[where] + 1.0

    dt = model.dt
    s = state
    D = s["delays"]  # (inputs, neurons) steps
    n_in, n = W.shape
    totals = np.zeros(3, dtype=np.int64)
    for step in range(n_steps):
        for pop, p in (("e", EXC), ("i", INH)):
            v, ge, gi = s["v_" + pop], s["ge_" + pop], s["gi_" + pop]
            ref = s["r_" + pop]
            free = (p["v_rest"] - v) + ge * (p["e_exc"] - v) + gi * (p["e_inh"] - v)
            ref[:] = np.maximum(ref - 1, 0)
            v[:] = np.where(ref > 0, v, v + dt / p["tau"] * free)
            ge *= 1 - dt / p["tau_ge"]
            gi *= 1 - dt / p["tau_gi"]
        if learn:
            theta *= 1 - dt / model.tau_theta
        fe = (s["v_e"] > EXC["threshold"] - 20.0 + theta) & (s["r_e"] == 0)
        fi = (s["v_i"] > INH["threshold"]) & (s["r_i"] == 0)
        if step < len(raster):
            for j in np.flatnonzero(raster[step]):
                s["queue"][step + D[j], j, np.arange(n)] = True
                totals[0] += 1
        arriving = s["queue"][step]
        s["ge_e"] += np.where(arriving, W, 0.0).sum(axis=0)
        if learn:
            depression = rule.a1_pre - rule.a_minus * s["post1"][None, :]
            W[:] = np.where(arriving, bounded(W, depression), W)
            spike(s["x"], arriving)
        s["queue"][step] = False
        s["ge_i"] += model.w_ei * fe
        s["gi_e"] += model.w_ie * (fi.sum() - fi)
        if learn and fe.any():
            gain = rule.a_plus * (s["post2"][fe] if triplet else 1.0)
            W[:, fe] = bounded(W[:, fe], rule.a1_post + gain * s["x"][:, fe])
            spike(s["post1"], fe)
            spike(s["post2"], fe)
        s["v_e"][fe] = EXC["v_reset"]
        s["r_e"][fe] = 10
        s["v_i"][fi] = INH["v_reset"]
        s["r_i"][fi] = 4
        if learn:
            theta[fe] += model.theta_plus
            s["x"] *= math.exp(-dt / rule.tau_plus)
            s["post1"] *= math.exp(-dt / rule.tau_minus)
            s["post2"] *= math.exp(-dt / (rule.tau_triplet or 1.0))
        if step < len(raster):
            counts += fe
        totals[1:] += fe.sum(), fi.sum()
    return totals


def fresh_reference_state(model, n_in, n, resting):
    delays = np.rint(model.delays_ / model.dt).astype(int)
    if delays.ndim == 1:
        delays = np.repeat(delays[:, None], n, axis=1)
    v_e = EXC["v_rest"] if resting else EXC["v_init"]
    v_i = INH["v_rest"] if resting else INH["v_init"]
    return {
        "delays": delays,
        "v_e": np.full(n, v_e), "ge_e": np.zeros(n), "gi_e": np.zeros(n),
        "r_e": np.zeros(n, dtype=int),
        "v_i": np.full(n, v_i), "ge_i": np.zeros(n), "gi_i": np.zeros(n),
        "r_i": np.zeros(n, dtype=int),
        "x": np.zeros((n_in, n)), "post1": np.zeros(n), "post2": np.zeros(n),
        "queue": np.zeros((2000, n_in, n), dtype=bool),
    }  # fmt: skip


# all-to-all pair rule with soft bounds and a1 terms: the lazy traces' other path
PAIR_RULE = STDPRule(a_plus=0.02, a_minus=0.01, a1_pre=-1e-4, a1_post=2e-3,
                     w_min=0.0, w_max=1.0, mu=0.5)  # fmt: skip


@pytest.mark.parametrize(
    "delays, stdp",
    [("synapse", None), ("input", None), ("synapse", PAIR_RULE), ("input", PAIR_RULE)],
)
def test_training_presentations_equal_a_numpy_reference(delays, stdp):
    n_in, n = 12, 5
    rng = np.random.RandomState(1)
    x = rng.uniform(0.2, 1.0, n_in)
    model = STDPSpikingTransformer(
        n, delays=delays, stdp=stdp, dtype="float64", random_state=3, max_rate=90.0
    )
    model._validate_params()
    model._build(n_in, check_random_state(model.random_state))
    W = model.weights_.copy()
    theta = model.theta_.copy()
    # the kernel: two images, the second the same pixels (a new presentation)
    counts = np.zeros((2, n), dtype=np.int32)
    events = np.zeros((2, 4), dtype=np.int64)
    train_images(
        np.vstack([x, x]), np.uint64(model._seed), 0, model._protocol(),
        *model._kernel_state(), model._consts(), counts, events,
    )  # fmt: skip
    # the reference, on the same trains
    state = fresh_reference_state(model, n_in, n, resting=False)
    for image in range(2):
        presentations = expected_events = 0
        for retry in range(model.max_retries + 1):
            W *= 78.0 / W.sum(axis=0)
            raster = model.input_trains(x, image_index=image, retry=retry).to_dense()
            reference_counts = np.zeros(n, dtype=np.int64)
            expected_events += reference_run(
                model, W, theta, state, raster, 1000, True, reference_counts
            )
            presentations += 1
            if reference_counts.sum() >= 5:
                break
        np.testing.assert_array_equal(counts[image], reference_counts)
        np.testing.assert_array_equal(events[image, :3], expected_events)
        assert events[image, 3] == presentations
    assert events[:, 1].sum() > 10  # the comparison saw spikes
    np.testing.assert_allclose(model.weights_, W, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(model.theta_, theta, rtol=1e-13)
    np.testing.assert_allclose(model._state["v_e"], state["v_e"], rtol=1e-10)
    np.testing.assert_allclose(model._state["post1"], state["post1"], atol=1e-13)
    if stdp is None:  # triplet trace
        np.testing.assert_allclose(model._state["post2"], state["post2"], atol=1e-13)


@pytest.mark.parametrize("delays", ["synapse", "input"])
def test_transform_equals_a_numpy_reference_from_rest(delays):
    n_in, n = 12, 5
    rng = np.random.RandomState(2)
    X = rng.uniform(0.0, 1.0, (3, n_in))
    X[2] = 0.05  # faint: presented again, stronger
    model = STDPSpikingTransformer(
        n, delays=delays, dtype="float64", random_state=0, max_rate=120.0
    ).fit(X[:2])
    counts, events = model._respond(X)
    for k in range(3):
        for retry in range(model.max_retries + 1):
            state = fresh_reference_state(model, n_in, n, resting=True)
            raster = model.input_trains(X[k], retry=retry).to_dense()
            expected = np.zeros(n, dtype=np.int64)
            reference_run(
                model, model.weights_.copy(), model.theta_.copy(), state, raster,
                700, False, expected,
            )  # fmt: skip
            if expected.sum() >= 5:
                break
        np.testing.assert_array_equal(counts[k], expected)
        assert events[k, 3] == retry + 1
    assert events[2, 3] > 1  # the re-presentation rule was exercised
    np.testing.assert_array_equal(model.transform(X), counts)


def import_brian2():
    """brian2, or a skip (the ``reference`` extra is not installed or numpy>=2.4)."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import brian2
    except (ImportError, AttributeError) as error:
        pytest.skip(f"brian2 unavailable ({error}): pip install '.[reference]'")
    return brian2


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_training_equals_brian2_on_the_same_trains():
    """Brian 2 (numpy target), the same equations (``method="euler"``), weights,
    per-synapse delays and input trains (the network of the speed bench): the
    same spikes, neuron by neuron and presentation by presentation, and the
    same learned weights and thresholds."""
    import_brian2()
    n_in, n, n_images = 100, 8, 3
    rng = np.random.RandomState(0)
    X = np.zeros((n_images, n_in))
    X[:, 30:70] = rng.uniform(0.5, 1.0, (n_images, 40))
    X[2] *= 0.1  # faint: presented again, stronger
    model = STDPSpikingTransformer(
        n, dtype="float64", random_state=0, weight_sum=30.0, max_rate=150.0
    )
    model._validate_params()
    model._build(n_in, check_random_state(model.random_state))
    W, delays = model.weights_.copy(), model.delays_.copy()
    counts = np.zeros((n_images, n), dtype=np.int32)
    events = np.zeros((n_images, 4), dtype=np.int64)
    train_images(
        X, np.uint64(model._seed), 0, model._protocol(), *model._kernel_state(),
        model._consts(), counts, events,
    )  # fmt: skip
    _, brian = simulate_brian2(model, model, X, W, delays, target="numpy")
    np.testing.assert_array_equal(brian["presentations"], events[:, 3])
    assert events[2, 3] > 1  # the re-presentation was compared too
    np.testing.assert_array_equal(brian["excitatory"], counts)
    assert brian["input"] == events[:, 0].sum()
    assert brian["excitatory_all"] == events[:, 1].sum() > 10
    assert brian["inhibitory_all"] == events[:, 2].sum()
    np.testing.assert_allclose(model.weights_, brian["weights"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(model.theta_, brian["theta"], rtol=1e-12)


# ------------------------------------------------------------ the protocol
def test_presented_again_with_stronger_input_below_5_spikes():
    X = np.full((4, 20), 0.02)  # too faint for 5 spikes at 63.75 Hz
    model = STDPSpikingTransformer(
        4, dtype="float64", random_state=0, max_retries=30
    ).fit(X)
    assert model.n_presentations_ > 2 * model.n_images_seen_
    assert model.retry_fraction_curve_ == [1.0]
    assert model.spikes_per_image_curve_[0] >= 5
    # without the rule (min_spikes=0) each image is shown once
    once = clone(model).set_params(min_spikes=0).fit(X)
    assert once.n_presentations_ == once.n_images_seen_ == 4
    # the inputs of a re-presentation fire at (63.75 + r * 31.875) Hz
    trains = model.input_trains(np.ones(20), image_index=0, retry=2)
    rate = trains.counts().mean() / 0.35
    assert rate == pytest.approx(127.5, rel=0.1)


def test_warns_when_an_image_stays_silent():
    X = np.zeros((3, 20))
    X[1] = 1.0
    model = STDPSpikingTransformer(3, random_state=0, max_retries=1, t_rest=10.0)
    with pytest.warns(UserWarning, match="2 of 3 training images made fewer"):
        model.fit(X)
    assert model.n_presentations_ in (5, 6)  # blank images: 1 + max_retries each


def test_pickle_and_partial_fit_resume_exactly():
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 1, (6, 25))
    params = dict(dtype="float64", random_state=0, t_rest=20.0)
    whole = STDPSpikingTransformer(8, n_epochs=2, **params).fit(X)
    half = STDPSpikingTransformer(8, n_epochs=1, **params).fit(X)
    buffer = io.BytesIO()
    joblib.dump(half, buffer)
    buffer.seek(0)
    resumed = joblib.load(buffer)
    resumed.partial_fit(X[:4]).partial_fit(pickle.loads(pickle.dumps(X[4:])))
    np.testing.assert_array_equal(resumed.weights_, whole.weights_)
    np.testing.assert_array_equal(resumed.theta_, whole.theta_)
    assert resumed.n_presentations_ == whole.n_presentations_
    np.testing.assert_array_equal(resumed.transform(X), whole.transform(X))
    with pytest.raises(ValueError, match="n_excitatory cannot change"):
        copy.deepcopy(resumed).set_params(n_excitatory=9).partial_fit(X)


def test_input_validation():
    model = STDPSpikingTransformer(3, random_state=0)
    with pytest.raises(ValueError, match="Negative values"):
        model.fit(-np.ones((2, 4)))
    with pytest.raises(ValueError, match="Divide 8-bit"):
        model.fit(np.full((2, 4), 255.0))
    with pytest.warns(UserWarning, match="expects inputs of order 1"):
        model.set_params(t_present=5.0, t_rest=0.0, min_spikes=0).fit(
            np.full((2, 4), 2.0)
        )
    with pytest.raises(ValueError, match="a0"):
        model.set_params(stdp=STDPRule(a0=1.0)).fit(np.ones((2, 4)))


# ------------------------------------------------------------------ readout
def test_label_assignment_on_a_hand_made_count_matrix():
    counts = np.array(
        [
            [9, 0, 2, 0, 0],  # class 0
            [7, 1, 0, 0, 0],  # class 0
            [1, 6, 2, 0, 0],  # class 1
            [0, 8, 6, 0, 0],  # class 1
            [2, 0, 5, 0, 1],  # class 2
        ]
    )
    y = np.array([0, 0, 1, 1, 2])
    clf = LabelAssignmentClassifier().fit(counts, y)
    np.testing.assert_allclose(
        clf.class_means_,
        [[8, 0.5, 1, 0, 0], [0.5, 7, 4, 0, 0], [2, 0, 5, 0, 1]],
    )
    # neuron 3 never fires: unassigned; ties go to the first class
    np.testing.assert_array_equal(clf.assignments_, [0, 1, 2, -1, 2])
    X_test = np.array([[4, 0, 0, 9, 0], [0, 3, 1, 0, 1], [0, 0, 0, 0, 0]])
    # class scores: mean over assigned neurons (class 2: neurons 2 and 4)
    proba = clf.predict_proba(X_test)
    np.testing.assert_allclose(proba[0], [1, 0, 0])
    np.testing.assert_allclose(proba[1], [0, 3 / 4, 1 / 4])
    np.testing.assert_allclose(proba[2], [1 / 3] * 3)  # silent: uniform
    np.testing.assert_array_equal(clf.predict(X_test), [0, 1, 0])
    # streaming gives the same averages
    streamed = LabelAssignmentClassifier().partial_fit(counts[:2], y[:2], [0, 1, 2])
    streamed.partial_fit(counts[2:], y[2:])
    np.testing.assert_allclose(streamed.class_means_, clf.class_means_)
    with pytest.raises(ValueError, match="Negative values"):
        clf.predict(-X_test)


def toy_bars(n_images, random_state):
    """28 x 28 images of three bars (vertical, horizontal, diagonal), faint noise."""
    rng = np.random.RandomState(random_state)
    images = np.zeros((3, 28, 28))
    images[0, 4:24, 10:16] = 1.0
    images[1, 10:16, 4:24] = 1.0
    rows = np.arange(4, 24)
    for shift in range(-3, 4):
        images[2, rows, rows + shift] = 1.0
    patterns = images.reshape(3, -1)
    y = rng.randint(3, size=n_images)
    brightness = 0.7 + 0.3 * rng.rand(n_images, 1)
    X = np.clip(patterns[y] * brightness + 0.05 * rng.rand(n_images, 784), 0, 1)
    return X, y, patterns


@pytest.mark.parametrize("delays", ["synapse", "input"])
def test_toy_patterns_each_win_some_neurons(delays):
    """Three bars, 60 unlabelled images: every bar wins a neuron whose receptive
    field moved towards it, and the paper's readout separates the bars."""
    X, y, patterns = toy_bars(60, random_state=0)
    model = STDPSpikingTransformer(9, delays=delays, random_state=0).fit(X)
    initial = STDPSpikingTransformer(9, delays=delays, random_state=0)
    initial.set_params(t_present=0.5, t_rest=0.0, min_spikes=0).fit(X[:1])
    counts = model.transform(X)
    clf = LabelAssignmentClassifier().fit(counts, y)
    assigned = np.flatnonzero(clf.assignments_ >= 0)
    assert set(clf.assignments_[assigned]) == {0, 1, 2}
    assert clf.score(counts, y) > 0.95
    # the share of a neuron's weights on its bar grew from about a third
    share = model.weights_.T @ patterns.T
    share /= share.sum(axis=1, keepdims=True)
    start = initial.weights_.T @ patterns.T
    start /= start.sum(axis=1, keepdims=True)
    own = share[assigned, clf.assignments_[assigned]]
    assert np.all(own > 0.45) and np.all(own > start[assigned].max(axis=1) + 0.1)
    pipeline = make_pipeline(clone(model), LabelAssignmentClassifier())
    assert pipeline.fit(X, y).score(X, y) > 0.95
