"""Input encoders: Poisson rates, Diehl & Cook's map, latency and constant currents."""

import tracemalloc

import numpy as np
import pytest

from skbio_plastic.spiking.encoders import (
    SpikeTrains,
    constant_currents,
    diehl_cook_rates,
    latency_spikes,
    poisson_spikes,
)

RATES = (5.0, 40.0, 200.0)  # Hz


def assert_binomial(count, trials, p, n_se=4.0):
    """``count`` within ``n_se`` standard errors of a Binomial(trials, p) mean."""
    se = np.sqrt(trials * p * (1 - p))
    assert abs(count - trials * p) < n_se * se, (count, trials * p, se)


def test_poisson_rates_are_bernoulli_per_step():
    n, duration, dt = 300, 10000.0, 0.5
    rates = np.repeat(RATES, n)
    trains = poisson_spikes(rates, duration, dt, random_state=0)
    n_steps = trains.n_steps
    assert n_steps == 20000 and trains.step_ptr[-1] == len(trains.neurons)
    counts = trains.counts()
    raster = trains.to_dense()  # at most one spike per neuron and step
    assert raster.sum() == len(trains.neurons)
    for k, rate in enumerate(RATES):
        p = rate * dt / 1000
        assert_binomial(counts[k * n : (k + 1) * n].sum(), n * n_steps, p)
        group = raster[:, k * n : (k + 1) * n]
        for steps in (slice(0, 1), slice(n_steps - 1, None), slice(0, n_steps // 10)):
            assert_binomial(group[steps].sum(), group[steps].size, p)  # no edge effect
    # intervals of the 200 Hz trains are geometric: P(interval = 1 step) = p
    p = RATES[2] * dt / 1000
    intervals = np.concatenate(
        [np.diff(np.flatnonzero(c)) for c in raster[:, 2 * n :].T]
    )
    assert_binomial((intervals == 1).sum(), len(intervals), p)
    assert intervals.mean() == pytest.approx(
        1 / p, rel=4 * np.sqrt((1 - p) / len(intervals))
    )


def test_poisson_reproducible_with_random_state():
    rates = np.linspace(0.0, 100.0, 50)
    a = poisson_spikes(rates, 500.0, 0.5, random_state=7)
    b = poisson_spikes(rates, 500.0, 0.5, random_state=np.random.RandomState(7))
    c = poisson_spikes(rates, 500.0, 0.5, random_state=8)
    for x, y in zip(a[:2], b[:2], strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.neurons, c.neurons)
    assert a.counts()[0] == 0  # a silent input never spikes


@pytest.mark.parametrize("fast", [1.0, 5000.0])
def test_poisson_memory_grows_with_spikes_not_steps(fast):
    """A dense raster would take 784 MB; a busy input must not inflate the others."""
    n_inputs, duration, dt = 784, 100000.0, 0.1
    rates = np.append(np.full(n_inputs - 1, 1.0), fast)
    tracemalloc.start()
    try:
        trains = poisson_spikes(rates, duration, dt, random_state=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    dense = trains.n_steps * n_inputs
    assert peak < dense / 10
    assert trains.step_ptr.nbytes + trains.neurons.nbytes < dense / 20
    assert_binomial(trains.counts()[-1], trains.n_steps, fast * dt / 1000)


@pytest.mark.parametrize("rates", [[-1.0, 2.0], [3000.0], [[1.0]], [np.nan]])
def test_poisson_rejects_impossible_rates(rates):
    with pytest.raises(ValueError, match="rates must be"):
        poisson_spikes(rates, 10.0, 0.5)


def test_poisson_rejects_a_fraction_of_a_step():
    with pytest.raises(ValueError, match="whole number"):
        poisson_spikes([1.0], 10.2, 0.5)


def test_diehl_cook_rates():
    pixels = np.arange(256, dtype=np.uint8)
    np.testing.assert_allclose(diehl_cook_rates(pixels), pixels / 4)
    np.testing.assert_allclose(diehl_cook_rates(pixels / 255.0), pixels / 4)
    assert diehl_cook_rates(pixels).max() == 63.75
    raised = diehl_cook_rates(pixels, retries=2) - diehl_cook_rates(pixels)
    np.testing.assert_allclose(raised, 2 * 31.875 * pixels / 255)
    with pytest.raises(ValueError, match="Divide 0-255 pixels by 255"):
        diehl_cook_rates(pixels.astype(float))


def test_latency_stronger_spikes_earlier_and_zeros_stay_silent():
    rng = np.random.RandomState(0)
    x = rng.uniform(0, 1, 500)
    x[::5] = 0.0
    duration, dt, t_max = 50.0, 0.5, 40.0
    trains = latency_spikes(x, duration, dt, t_max=t_max)
    counts = trains.counts()
    np.testing.assert_array_equal(counts, x > 0)  # once each, zeros never
    steps = np.repeat(np.arange(trains.n_steps), np.diff(trains.step_ptr))
    times = np.empty(len(x))
    times[trains.neurons] = steps * dt
    on = x > 0
    np.testing.assert_allclose(times[on], t_max * (1 - x[on]), atol=dt / 2 + 1e-12)
    order = np.argsort(-x[on], kind="stable")
    assert np.all(np.diff(times[on][order]) >= 0)  # stronger -> earlier (or same step)
    full = latency_spikes([1.0, 1e-9], duration, dt)  # default t_max: the last step
    assert full.to_dense()[0, 0] and full.to_dense()[-1, 1]


def test_latency_rejects_bad_input():
    with pytest.raises(
        ValueError, match=r"intensities must hold intensities in \[0, 1\]"
    ):
        latency_spikes([0.5, 2.0], 10.0, 0.5)
    with pytest.raises(ValueError, match="within the last step"):
        latency_spikes([0.5], 10.0, 0.5, t_max=10.0)


def test_constant_currents_follow_illings_formula():
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 1, (4, 6)).astype(np.float32)
    mean = rng.uniform(0, 1, 6)
    currents = constant_currents(X, mean)
    assert currents.dtype == np.float32
    np.testing.assert_allclose(currents, 20 + 500 * (X - mean), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(
        constant_currents(X.astype(float), 0.5, offset=10.0, gain=2.0),
        10 + 2 * (X.astype(float) - 0.5),
    )


def test_spike_trains_round_trip():
    rng = np.random.RandomState(1)
    raster = rng.uniform(size=(30, 7)) < 0.2
    steps, neurons = np.nonzero(raster)
    shuffle = rng.permutation(len(steps))
    trains = SpikeTrains.from_spikes(steps[shuffle], neurons[shuffle], 7, 30, 0.5)
    np.testing.assert_array_equal(trains.to_dense(), raster)
    np.testing.assert_array_equal(trains.counts(), raster.sum(axis=0))
    for n in range(30):  # each step's neurons in increasing order
        spikes = trains.neurons[trains.step_ptr[n] : trains.step_ptr[n + 1]]
        np.testing.assert_array_equal(spikes, np.flatnonzero(raster[n]))


@pytest.mark.parametrize(
    "steps, neurons, message",
    [
        ([0, 5], [1, 1], "must be 1-d"),  # step 5 of 5
        ([0, 1], [1, 3], "must be 1-d"),  # neuron 3 of 3
        ([0, 1], [1], "must be 1-d"),
        ([2, 2], [1, 1], "at most once per step"),
    ],
)
def test_spike_trains_reject_invalid_spikes(steps, neurons, message):
    with pytest.raises(ValueError, match=message):
        SpikeTrains.from_spikes(steps, neurons, 3, 5, 0.5)
