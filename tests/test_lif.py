"""The LIF simulator core: single neurons against theory, networks against numpy."""

import math

import numpy as np
import pytest

from skbio_plastic._kernels.lif import (
    deliver_dense,
    deliver_runs,
    lif_refractory,
    lif_update,
    spike_indices,
    trace_step,
)
from skbio_plastic.receptive_fields import patch_mask, random_patch_origins
from skbio_plastic.spiking import FeedForwardLIF, decay_factor, lif_rate
from skbio_plastic.spiking._network import _targets_in_runs

TAU_M = 25.0
THETA = 20.0


def single_neuron_spike_steps(current, dt, n_steps, method, refractory_steps=0):
    """Steps at which one LIF neuron with a constant input spikes."""
    v = np.zeros(1)
    i_ext = np.array([current])
    theta = np.array([THETA])
    refractory = np.zeros(1, dtype=np.int32)
    fired = np.zeros(1, dtype=bool)
    decay = decay_factor(dt, TAU_M, method)
    steps = []
    for n in range(n_steps):
        lif_update(v, i_ext, theta, decay, 0.0, method == "exact", fired)
        if fired[0]:
            steps.append(n)
        lif_refractory(v, 0.0, refractory, refractory_steps, fired)
    return np.array(steps)


def mean_period(current, dt, method, refractory_steps=0, duration=300.0):
    """Mean interspike interval (ms) and the number of intervals it averages."""
    steps = single_neuron_spike_steps(
        current, dt, round(duration / dt), method, refractory_steps
    )
    return (steps[-1] - steps[0]) / (len(steps) - 1) * dt, len(steps) - 1


CURRENTS = [21.0, 25.0, 40.0, 100.0, 270.0, 520.0]


@pytest.mark.parametrize("method", ["exact", "grid", "euler"])
@pytest.mark.parametrize("refractory", [0.0, 2.0])
def test_rate_under_constant_current_matches_theory(method, refractory):
    dt = 0.05
    for current in CURRENTS:
        expected = 1000.0 / lif_rate(current, THETA, TAU_M, refractory)
        period, n_periods = mean_period(current, dt, method, round(refractory / dt))
        if method == "exact" and not refractory:
            # resets at the crossing time: only the first and last spikes,
            # reported on the grid, are off (by less than one step)
            assert abs(period - expected) < dt / n_periods
        elif method != "euler":  # spikes wait for the next step, never come early
            assert expected - 1e-9 <= period <= expected + dt
        else:  # Euler's effective tau_m is shorter by about dt / 2
            assert abs(period - expected) <= dt + expected * dt / TAU_M


@pytest.mark.parametrize("method", ["grid", "euler"])
def test_rate_error_shrinks_with_dt(method):
    def error(dt):
        return np.mean(
            [
                abs(
                    mean_period(c, dt, method)[0] * lif_rate(c, THETA, TAU_M) / 1000 - 1
                )
                for c in CURRENTS
            ]
        )

    coarse, fine = error(0.2), error(0.0125)
    assert fine < coarse / 4


@pytest.mark.parametrize("current", [0.0, 19.0, THETA])
def test_no_spike_at_or_below_threshold(current):
    assert len(single_neuron_spike_steps(current, 0.05, 20000, "exact")) == 0
    assert lif_rate(current, THETA, TAU_M) == 0.0


def test_trace_of_regular_train_is_analytic_and_reads_the_rate():
    dt, tau_trace, period_steps, n_steps = 0.05, 20.0, 37, 4000
    trace = np.zeros(1)
    spikes = np.zeros(1, dtype=np.int32)
    values = np.empty(n_steps)
    for n in range(n_steps):
        trace_step(
            trace,
            math.exp(-dt / tau_trace),
            spikes,
            int(n % period_steps == 0),
            1.0 / tau_trace,
        )
        values[n] = trace[0]
    # after step n the trace is its value just before t_{n+1}
    spike_times = np.arange(0, n_steps, period_steps) * dt
    times = (np.arange(n_steps) + 1) * dt
    lags = times[:, None] - spike_times[None, :]
    expected = np.where(lags > 0, np.exp(-lags / tau_trace), 0.0).sum(1) / tau_trace
    np.testing.assert_allclose(values, expected, rtol=1e-12)
    last_period = values[-period_steps:]
    rate_khz = 1.0 / (period_steps * dt)
    # sampled just before each step: a right Riemann sum, low by about dt / 2 tau
    assert abs(last_period.mean() / rate_khz - 1) < dt / tau_trace


def network(input_hidden, hidden_output, dtype=np.float64, **kwargs):
    params = dict(theta_input=THETA, theta_hidden=THETA, theta_output=THETA)
    return FeedForwardLIF(
        input_hidden, hidden_output, dtype=dtype, **{**params, **kwargs}
    )


def started_spiking(net):
    """Put every input and hidden neuron above threshold: they all spike at step 0."""
    net.v[: -net.sizes[2]] = 25.0
    return net


@pytest.mark.parametrize("delay", [0.05, 0.1, 0.25])
def test_delta_synapse_jumps_by_its_weight_after_the_delay(delay):
    dt, w_hidden, w_output = 0.05, 3.0, 1.5
    net = network([[w_hidden]], [[w_output]], i_hidden=0.0, i_output=0.0, delay=delay)
    started_spiking(net)
    delay_steps = round(delay / dt)
    hidden_v, output_v = [], []
    for _ in range(delay_steps + 2):
        net.run(dt)
        _, hidden, output = net.voltages()
        hidden_v.append(hidden[0])
        output_v.append(output[0])
    # after step n the voltages are those of t_{n + 1}; the spikes were at t_0
    silent = [0.0] * (delay_steps - 1)
    decay = decay_factor(dt, TAU_M)
    assert hidden_v[:delay_steps] == [*silent, w_hidden]
    assert output_v[:delay_steps] == [*silent, w_output]
    np.testing.assert_allclose(hidden_v[-2:], [w_hidden * decay, w_hidden * decay**2])
    np.testing.assert_allclose(output_v[-2:], [w_output * decay, w_output * decay**2])


def test_spike_indices_lists_the_flags():
    fired = np.random.default_rng(0).random(37) < 0.2  # not a multiple of 8
    spikes = np.zeros(37, dtype=np.int32)
    n = spike_indices(fired, spikes)
    np.testing.assert_array_equal(spikes[:n], np.flatnonzero(fired))


@pytest.mark.parametrize("mask", ["patches", "random"])
def test_sparse_delivery_equals_dense_masked_delivery(mask):
    rng = np.random.default_rng(0)
    n_post = 60
    if mask == "patches":
        origins = random_patch_origins((8, 8, 1), (3, 3), n_post, random_state=0)
        mask = patch_mask((8, 8, 1), (3, 3), origins)
    else:
        mask = rng.random((n_post, 64)) < 0.2
    weights = np.where(mask, rng.normal(size=mask.shape), 0.0)  # (n_post, n_pre)
    order, runs = _targets_in_runs(weights)
    spikes = rng.permutation(64).astype(np.int32)[:20]
    v_dense = rng.normal(size=n_post)
    v_runs = v_dense[order]  # the kernel's order of the targets
    deliver_runs(spikes, len(spikes), *runs, v_runs)
    deliver_dense(spikes, len(spikes), weights.T.copy(), v_dense)
    np.testing.assert_array_equal(v_runs, v_dense[order])


def test_refractory_clamp_holds_the_reset_voltage():
    dt, refractory = 0.05, 1.0
    net = network([[0.0]], [[0.0]], i_hidden=40.0, refractory=refractory, v_reset=-5.0)
    trajectory, spiked = [], []
    for _ in range(400):
        counts = net.run(dt)
        trajectory.append(net.voltages()[1][0])
        spiked.append(counts[1][0])
    first = spiked.index(1)
    held = round(refractory / dt)
    assert trajectory[first : first + held] == [-5.0] * held
    assert trajectory[first + held] > -5.0


@pytest.mark.parametrize("refractory", [0.0, 1.0])
def test_spikes_arriving_while_refractory_are_lost(refractory):
    net = network([[3.0]], [[0.0]], i_hidden=0.0, refractory=refractory)
    started_spiking(net)
    net.run(0.15)  # the input spike arrives at 0.1 ms, hidden refractory or not
    assert net.voltages()[1][0] == (
        0.0 if refractory else 3.0 * decay_factor(0.05, TAU_M)
    )


def reference_run(
    input_hidden,
    hidden_output,
    currents,
    thetas,
    n_steps,
    dt=0.05,
    tau_m=25.0,
    tau_trace=20.0,
    delay_steps=2,
    refractory_steps=0,
    learning_rate=0.0,
    target=None,
    method="exact",
):
    """A direct numpy simulation of the same network, one step at a time."""
    if method == "euler":
        decay, trace_decay = 1 - dt / tau_m, 1 - dt / tau_trace
    else:
        decay, trace_decay = math.exp(-dt / tau_m), math.exp(-dt / tau_trace)
    w_hid, w_out = input_hidden.copy(), hidden_output.copy()
    v = [np.zeros(len(c)) for c in currents]
    refractory = [np.zeros(len(c), dtype=int) for c in currents]
    trace = np.zeros(len(currents[2]))
    history = []
    raster = []
    for n in range(n_steps):
        spiking = [vp >= th for vp, th in zip(v, thetas, strict=True)]
        for vp, rp, sp, c, th in zip(
            v, refractory, spiking, currents, thetas, strict=True
        ):
            # "exact": reset at the crossing time t* within the last step,
            # exp(-(t_n - t*) / tau_m) = (c - v) / (c - th), when drift crossed
            drift = (c - vp) / (c - th)
            late = (method == "exact") & (c > th) & (drift >= decay)
            vp[sp] = np.where(late, c - c * drift, 0.0)[sp]
            rp[sp] = refractory_steps
        history.append(spiking)
        raster += [
            (n, p, i) for p, sp in enumerate(spiking) for i in np.flatnonzero(sp)
        ]
        trace = (trace + spiking[2] / tau_trace) * trace_decay
        v = [c + (vp - c) * decay for vp, c in zip(v, currents, strict=True)]
        if n + 1 - delay_steps >= 0:
            arriving_in, arriving_hid, _ = history[n + 1 - delay_steps]
            v[1] += w_hid @ arriving_in
            v[2] += w_out @ arriving_hid
            w_out[:, arriving_hid] += learning_rate * (target - trace)[:, None]
        for vp, rp in zip(v, refractory, strict=True):
            vp[rp > 0] = 0.0
            rp[rp > 0] -= 1
    return raster, w_out


def small_problem(seed=0, n_in=16, n_hid=30, n_out=4):
    rng = np.random.default_rng(seed)
    mask = rng.random((n_hid, n_in)) < 0.3
    input_hidden = np.where(mask, rng.normal(2.0, 4.0, (n_hid, n_in)), 0.0)
    hidden_output = rng.normal(1.0, 2.0, (n_out, n_hid))
    currents = [rng.uniform(0, 60, n_in), np.full(n_hid, 19.5), np.full(n_out, 19.5)]
    thetas = [THETA + rng.random(n) for n in (n_in, n_hid, n_out)]
    return input_hidden, hidden_output, currents, thetas


def simulate(
    problem,
    n_steps,
    chunks=1,
    dtype=np.float64,
    refractory=0.0,
    method="exact",
    **kwargs,
):
    """Spikes ``(step, population, neuron)`` and final readout weights."""
    input_hidden, hidden_output, currents, thetas = problem
    net = network(
        input_hidden,
        hidden_output,
        dtype=dtype,
        theta_input=thetas[0],
        theta_hidden=thetas[1],
        theta_output=thetas[2],
        i_hidden=currents[1],
        i_output=currents[2],
        refractory=refractory,
        method=method,
    )
    net.i_ext[: len(currents[0])] = currents[0]
    raster, total = [], 0
    for _ in range(chunks):
        steps = n_steps // chunks
        _, rasters = net.run(steps * net.dt, record=True, **kwargs)
        for p, (times, neurons) in enumerate(rasters):
            raster += [
                (round(t / net.dt) + total, p, i)
                for t, i in zip(times, neurons, strict=True)
            ]
        total += steps
    return sorted(raster), net.readout_weights()


@pytest.mark.parametrize(
    "method, refractory, learning_rate",
    [
        ("exact", 0.0, 0.0),
        ("exact", 0.0, 0.05),
        ("exact", 0.5, 0.05),
        ("grid", 0.0, 0.05),
        ("euler", 0.5, 0.0),
    ],
)
def test_network_equals_numpy_reference(method, refractory, learning_rate):
    problem = small_problem()
    target = np.array([0.5, 0.0, 0.0, 0.0])
    raster, weights = simulate(
        problem,
        600,
        refractory=refractory,
        method=method,
        learning_rate=learning_rate,
        target=target,
    )
    expected, expected_weights = reference_run(
        *problem,
        600,
        refractory_steps=round(refractory / 0.05),
        learning_rate=learning_rate,
        target=target,
        method=method,
    )
    assert raster == sorted(expected)
    assert {p for _, p, _ in raster} == {0, 1, 2}  # every population spikes
    np.testing.assert_allclose(weights, expected_weights, rtol=1e-12, atol=1e-12)
    assert (weights != problem[1]).any() == (learning_rate != 0.0)


def test_runs_are_deterministic_and_continue_exactly():
    problem = small_problem(seed=1)
    whole = simulate(problem, 600, learning_rate=0.05, target=np.ones(4) * 0.2)
    again = simulate(problem, 600, learning_rate=0.05, target=np.ones(4) * 0.2)
    pieces = simulate(
        problem, 600, chunks=3, learning_rate=0.05, target=np.ones(4) * 0.2
    )
    assert whole[0] == again[0] == pieces[0]
    np.testing.assert_array_equal(whole[1], pieces[1])


def test_float32_network_matches_float64_counts():
    problem = small_problem(seed=2)
    raster64, _ = simulate(problem, 600)
    raster32, _ = simulate(problem, 600, dtype=np.float32)
    assert len(raster32) == pytest.approx(len(raster64), rel=0.02)


def test_bad_parameters_raise():
    with pytest.raises(ValueError, match="delay"):
        network([[1.0]], [[1.0]], delay=0.0)
    with pytest.raises(ValueError, match="refractory"):
        network([[1.0]], [[1.0]], refractory=0.07)
    with pytest.raises(ValueError, match="v_reset"):
        network([[1.0]], [[1.0]], v_reset=25.0)
    with pytest.raises(ValueError, match="method"):
        network([[1.0]], [[1.0]], method="rk4")
    with pytest.raises(ValueError, match="target"):
        network([[1.0]], [[1.0]]).run(1.0, learning_rate=0.1)


def test_integrator_comparison_converges_to_the_fine_reference():
    """The speed bench's integrator table: errors shrink with the step."""
    from skbio_plastic.bench import _spiking_speed as bench

    currents, labels, _ = bench.spiking_images(2, random_state=1)
    network = bench.illing_network(n_hidden=200, random_state=1)
    table = bench.compare_integrators(network, currents, labels, repeats=1)
    runs = {(run["method"], run["dt_ms"]): run for run in table["runs"]}
    assert len(runs) == len(bench.INTEGRATORS) * len(bench.STEPS)
    for method in bench.INTEGRATORS:
        fine, coarse = runs[method, min(bench.STEPS)], runs[method, max(bench.STEPS)]
        assert fine["hidden_count_error"] < coarse["hidden_count_error"]
        assert fine["hidden_count_error"] < 0.05
    # at the same step the exact integrator is the most accurate
    for dt in bench.STEPS:
        exact = runs["exact", dt]["hidden_count_error"]
        assert exact < runs["euler", dt]["hidden_count_error"]
