"""STDP with traces: the window, the Poisson drift, Diehl & Cook's variant, bounds."""

import dataclasses
import math

import numpy as np
import pytest

from skbio_plastic._kernels.stdp import stdp_step, trace_spikes
from skbio_plastic.spiking.encoders import SpikeTrains, poisson_spikes
from skbio_plastic.spiking.stdp import STDPRule

LECTURE = STDPRule()  # a+ = 0.01, a- = 1.05 a+, tau = 20 ms


def one_spike_each(pre_steps, post_steps, n_steps, dt):
    """Pre neuron k spikes at ``pre_steps[k]``, post neuron k at ``post_steps[k]``."""
    n = len(pre_steps)
    return (
        SpikeTrains.from_spikes(pre_steps, np.arange(n), n, n_steps, dt),
        SpikeTrains.from_spikes(post_steps, np.arange(n), n, n_steps, dt),
    )


def test_lecture_amplitudes():
    assert (LECTURE.a_plus, LECTURE.a_minus) == (0.01, 0.0105)
    assert LECTURE.tau_plus == LECTURE.tau_minus == 20.0


def test_pairing_window_is_exponential_in_the_delay():
    dt = 0.5
    delays = np.arange(-80, 81)  # steps: -40 ms to 40 ms
    pre_steps = np.full(len(delays), 100)
    pre, post = one_spike_each(pre_steps, pre_steps + delays, 200, dt)
    weights = np.zeros((len(delays), len(delays)))
    LECTURE.run(pre, post, weights)
    change = np.diag(weights)  # synapse k sees one pairing at delays[k] * dt
    s = delays * dt
    expected = np.where(s >= 0, 0.01 * np.exp(-s / 20.0), -0.0105 * np.exp(s / 20.0))
    np.testing.assert_allclose(change, expected, rtol=1e-12)
    np.testing.assert_allclose(LECTURE.window(s), expected, rtol=1e-12)
    assert change[s == 0] == 0.01  # same step: pre-before-post, zero delay
    assert np.all(change[s > 0] > 0) and np.all(change[s < 0] < 0)


def grid_mean_drift(rule, rate_pre, rate_post, dt):
    """Exact mean change per second on a grid of ``dt`` ms (the kernel's reads)."""
    p_pre, p_post = rate_pre * dt / 1000, rate_post * dt / 1000

    def before(p, tau):  # mean trace just before a step's spikes
        d = math.exp(-dt / tau)
        return p * d / (1 - (1 - p) * d) if rule.nearest else p * d / (1 - d)

    def after(p, tau):  # mean trace after the step's own spikes
        return p + (1 - p) * before(p, tau) if rule.nearest else p + before(p, tau)

    gain = 1.0 if rule.tau_triplet is None else before(p_post, rule.tau_triplet)
    per_step = (
        rule.a0 * dt / 1000
        + rule.a1_pre * p_pre
        + rule.a1_post * p_post
        + p_post * rule.a_plus * after(p_pre, rule.tau_plus) * gain
        - p_pre * rule.a_minus * before(p_post, rule.tau_minus)
    )
    return per_step * 1000 / dt


def simulated_drift(rule, rates_pre, rates_post, duration=20000.0, dt=0.1, seed=0):
    """Change per second of every synapse between independent Poisson trains."""
    rng = np.random.RandomState(seed)
    pre = poisson_spikes(rates_pre, duration, dt, rng)
    post = poisson_spikes(rates_post, duration, dt, rng)
    weights = np.zeros((len(rates_pre), len(rates_post)))
    rule.run(pre, post, weights)
    return weights / (duration / 1000)


def mean_and_se(drift):
    """Mean over all synapses and a bound on its standard error.

    The diagonal's synapses join distinct pre and post neurons, so they are
    independent; every shifted diagonal has the same law, and the mean of
    all (the mean of the shifted diagonals' means) varies no more than one.
    """
    diagonal = np.diag(drift)
    return drift.mean(), diagonal.std(ddof=1) / math.sqrt(len(diagonal))


POISSON_RULES = {
    "potentiation-dominated": STDPRule(
        a_plus=1.0, a_minus=0.25, tau_plus=20.0, tau_minus=40.0
    ),
    "depression-dominated": STDPRule(
        a_plus=1.0, a_minus=0.75, tau_plus=20.0, tau_minus=40.0
    ),
    "nearest-spike": STDPRule(
        a_plus=1.0, a_minus=0.75, tau_plus=20.0, tau_minus=40.0, nearest=True
    ),
    "diehl-cook-unbounded": dataclasses.replace(
        STDPRule.diehl_cook(), w_min=-math.inf, w_max=math.inf
    ),
}


@pytest.mark.parametrize("name", POISSON_RULES)
def test_poisson_drift_matches_theory(name):
    rule = POISSON_RULES[name]
    n, rate, dt = 400, 20.0, 0.1
    mean, se = mean_and_se(simulated_drift(rule, np.full(n, rate), np.full(n, rate)))
    on_grid = grid_mean_drift(rule, rate, rate, dt)
    assert abs(mean - on_grid) < 4 * se, (mean, on_grid, se)
    # the grid's mean drift approaches the rule's continuous-time one as O(dt)
    continuous = rule.mean_drift(rate, rate)
    error = abs(on_grid - continuous)
    assert error < 0.05 * abs(continuous)
    assert abs(grid_mean_drift(rule, rate, rate, dt / 100) - continuous) < error / 50
    if not rule.nearest:  # nu_pre nu_post times the window's area, in seconds
        area = rule.a_plus * rule.tau_plus - rule.a_minus * rule.tau_minus
        assert continuous == pytest.approx(rate * rate * area / 1000, rel=1e-12)
        assert np.sign(mean) == np.sign(area)


def test_general_form_is_the_generalised_hebb_rule_on_average():
    rule = STDPRule(
        a_plus=1.0,
        a_minus=0.75,
        tau_plus=20.0,
        tau_minus=40.0,
        a0=-2.0,
        a1_pre=0.3,
        a1_post=-0.1,
    )
    a2 = (rule.a_plus * rule.tau_plus - rule.a_minus * rule.tau_minus) / 1000
    dt, half = 0.1, 200
    rates_pre = np.repeat([10.0, 40.0], half)
    rates_post = np.repeat([15.0, 30.0], half)
    drift = simulated_drift(rule, rates_pre, rates_post, dt=dt, seed=1)
    for a in range(2):
        for b in range(2):
            nu_j, nu_i = rates_pre[a * half], rates_post[b * half]
            hebb = rule.a0 + rule.a1_pre * nu_j + rule.a1_post * nu_i + a2 * nu_i * nu_j
            assert rule.mean_drift(nu_j, nu_i) == pytest.approx(hebb, rel=1e-12)
            block = drift[a * half : (a + 1) * half, b * half : (b + 1) * half]
            mean, se = mean_and_se(block)
            grid_error = abs(grid_mean_drift(rule, nu_j, nu_i, dt) - hebb)
            assert abs(mean - hebb) < 4 * se + grid_error, (a, b, mean, hebb, se)


@pytest.mark.parametrize(
    "nearest, expected", [(True, [0.3, 1, 1, 0]), (False, [0.3, 1.7, 3, 0])]
)
def test_traces_are_set_to_one_or_raised_by_one(nearest, expected):
    trace = np.array([0.3, 0.7, 2.0, 0.0])
    trace_spikes(trace, np.array([1, 2], np.int32), 2, nearest)
    np.testing.assert_allclose(trace, expected)


def test_diehl_cook_update_order_by_hand():
    """One synapse under Diehl & Cook's rule, every change written out."""
    dt, w0 = 0.5, 0.5
    pre_ms = [5.0, 20.0, 20.5, 30.0]
    post_ms = [0.0, 15.0, 25.0, 30.0]
    pre, post = (
        SpikeTrains.from_spikes(np.array(t) / dt, np.zeros(len(t), int), 1, 80, dt)
        for t in (pre_ms, post_ms)
    )
    weights = np.array([[w0]])
    STDPRule.diehl_cook().run(pre, post, weights)
    e = math.exp
    expected = (
        w0
        + 0.0  # t = 0, post: post2before = 0, no potentiation; post1 = post2 = 1
        - 1e-4 * e(-5 / 20)  # t = 5, pre: w -= nu_pre post1; pre = 1
        + 1e-2 * e(-10 / 20) * e(-15 / 40)  # t = 15, post: nu_post pre post2before
        - 1e-4 * e(-5 / 20)  # t = 20, pre
        - 1e-4 * e(-5.5 / 20)  # t = 20.5, pre: pre = 1 again, not 1 + e(-0.5/20)
        + 1e-2 * e(-4.5 / 20) * e(-10 / 40)  # t = 25, post: the nearest pre only
        - 1e-4 * e(-5 / 20)  # t = 30, pre first (post1 from t = 25), pre = 1,
        + 1e-2 * 1.0 * e(-5 / 40)  # then the post spike of the same step
    )
    assert weights[0, 0] == pytest.approx(expected, rel=1e-13)


def test_hard_bounds_hold_and_are_reached():
    rule = STDPRule(a_plus=0.3, a_minus=0.3, w_min=0.0, w_max=1.0)
    rng = np.random.RandomState(0)
    pre = poisson_spikes(np.full(50, 40.0), 2000.0, 0.5, rng)
    post = poisson_spikes(np.full(60, 40.0), 2000.0, 0.5, rng)
    weights = rng.uniform(0, 1, (50, 60))
    traces = None
    for _ in range(3):
        traces = rule.run(pre, post, weights, traces)
        assert weights.min() >= 0.0 and weights.max() <= 1.0
    assert (weights == 0.0).any() and (weights == 1.0).any()


@pytest.mark.parametrize("mu", [0.5, 1.0, 2.0])
def test_soft_bounds_scale_with_the_distance_to_the_bound(mu):
    w_min, w_max = -0.5, 2.0
    w = np.linspace(w_min, w_max, 11)
    weights = np.repeat(w[:, None], 2, axis=1)  # column 0 potentiates, 1 depresses
    x = np.full(11, 0.8)  # pre traces
    y = np.array([0.0, 0.6])  # post traces
    none, first = np.arange(0, dtype=np.int32), np.array([0], dtype=np.int32)
    stdp_step(
        (none, 0),
        (first, 1),
        weights,
        (x, np.zeros(2), np.zeros(0)),
        (1.0, 1.0, 1.0),
        (0.1, 0.2, 0.0, 0.0, 0.0, False),
        (w_min, w_max, mu),
    )
    np.testing.assert_allclose(weights[:, 0] - w, 0.1 * 0.8 * (w_max - w) ** mu)
    weights[:, 0] = w
    stdp_step(
        (np.arange(11, dtype=np.int32), 11),
        (none, 0),
        weights,
        (np.zeros(11), y, np.zeros(0)),
        (1.0, 1.0, 1.0),
        (0.1, 0.2, 0.0, 0.0, 0.0, False),
        (w_min, w_max, mu),
    )
    np.testing.assert_allclose(weights[:, 1] - w, -0.2 * 0.6 * (w - w_min) ** mu)
    np.testing.assert_array_equal(weights[:, 0], w)  # y = 0 for post neuron 0


def reference_step(pre, post, weights, traces, decays, rule, bounds):
    """One step of the rule in plain numpy, as the module docstring states it."""
    x, y, y2 = (t.copy() for t in traces)
    a_plus, a_minus, a1_pre, a1_post, drift, nearest = rule
    w_min, w_max, mu = bounds
    w = weights.astype(np.float64)

    def bounded(w, delta):
        if mu:
            up = np.clip(w_max - w, 0, None) ** mu
            down = np.clip(w - w_min, 0, None) ** mu
            delta = delta * np.where(delta > 0, up, down)
        return np.clip(w + delta, w_min, w_max)

    def spike(trace, neurons):
        trace[neurons] = 1.0 if nearest else trace[neurons] + 1.0

    for j in pre:
        w[j] = bounded(w[j], a1_pre - a_minus * y)
    spike(x, pre)
    gain = a_plus * (y2 if len(y2) else np.ones_like(y))
    for i in post:
        w[:, i] = bounded(w[:, i], a1_post + gain[i] * x)
    spike(y, post)
    if len(y2):
        spike(y2, post)
    w = bounded(w, drift)
    return w, (x * decays[0], y * decays[1], y2 * decays[2])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("nearest", [False, True])
@pytest.mark.parametrize("triplet", [False, True])
@pytest.mark.parametrize("mu", [0.0, 0.7])
def test_one_step_matches_numpy_reference(dtype, nearest, triplet, mu):
    rng = np.random.RandomState(3)
    n_pre, n_post = 7, 5
    weights = rng.uniform(0.0, 1.0, (n_pre, n_post)).astype(dtype)
    traces = (
        rng.uniform(0, 1.5, n_pre),
        rng.uniform(0, 1.5, n_post),
        rng.uniform(0, 1.5, n_post if triplet else 0),
    )
    pre, post = np.array([1, 4, 6], np.int32), np.array([0, 3], np.int32)
    decays = (0.9, 0.8, 0.95)
    rule = (0.05, 0.04, 0.01, -0.02, 0.003, nearest)
    bounds = (0.1, 0.9, mu)
    expected_w, expected_traces = reference_step(
        pre, post, weights, traces, decays, rule, bounds
    )
    stdp_step((pre, 3), (post, 2), weights, traces, decays, rule, bounds)
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(weights, expected_w, rtol=rtol, atol=rtol / 10)
    for got, expected in zip(traces, expected_traces, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_run_continues_across_calls():
    rule = STDPRule(
        a_plus=0.02, a_minus=0.02, tau_minus=30.0, nearest=True, tau_triplet=40.0
    )
    rng = np.random.RandomState(5)
    pre = poisson_spikes(np.full(20, 50.0), 200.0, 0.5, rng)
    post = poisson_spikes(np.full(10, 50.0), 200.0, 0.5, rng)
    once = np.full((20, 10), 0.5)
    rule.run(pre, post, once)

    def half(trains, part):
        ptr = trains.step_ptr[200 * part : 200 * part + 201]
        neurons = trains.neurons[ptr[0] : ptr[-1]]
        return trains._replace(step_ptr=ptr - ptr[0], neurons=neurons)

    twice = np.full((20, 10), 0.5)
    traces = rule.run(half(pre, 0), half(post, 0), twice)
    rule.run(half(pre, 1), half(post, 1), twice, traces)
    np.testing.assert_allclose(twice, once, rtol=1e-12)


def test_errors():
    pre = poisson_spikes(np.full(3, 10.0), 10.0, 0.5, 0)
    post = poisson_spikes(np.full(2, 10.0), 10.0, 0.1, 0)
    with pytest.raises(ValueError, match="same grid"):
        LECTURE.run(pre, post, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="float32 or float64 ndarray of shape"):
        LECTURE.run(pre, pre, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="no pair window"):
        STDPRule.diehl_cook().window(1.0)
    pair_traces = LECTURE.run(pre, pre, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="traces must have the lengths"):
        STDPRule.diehl_cook().run(pre, pre, np.zeros((3, 3)), pair_traces)


@pytest.mark.parametrize("w_max, expected", [(math.inf, 1.5), (1.2, 1.2)])
def test_drift_per_second_with_and_without_bounds(w_max, expected):
    silent = SpikeTrains.from_spikes([], [], 3, 2000, 0.5)
    weights = np.full((3, 3), 0.5, dtype=np.float32)
    STDPRule(a0=1.0, w_max=w_max).run(silent, silent, weights)
    np.testing.assert_allclose(weights, expected, rtol=1e-5)
