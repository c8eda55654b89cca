"""Our LIF simulator against Brian2, the established simulator (extra ``reference``).

A small input -> hidden -> output network with fixed input currents, jittered
thresholds, 0.1 ms delays and sub-threshold hidden and output currents (so
every hidden and output spike is caused by synaptic jumps) is simulated by
:class:`~skbio_plastic.spiking.FeedForwardLIF` in float64 and by Brian2's
``numpy`` code-generation target (no compiler), on the same clock.

Two conventions differ, and each shifts Brian2 by exactly one step:

* Brian2 labels a spike with the start of the step whose state update took
  the voltage over the threshold; we label it with the grid time at which
  ``v >= theta`` holds, the end of that step. Our spike times are Brian2's
  plus ``dt``, for every spike.
* Brian2's default schedule delivers synaptic events after the threshold
  check, so a jump is followed by one step of leak before it can make the
  neuron fire; ours checks the threshold right at the arrival. Scheduling the
  delivery ``before_thresholds`` gives our model, but a pathway that runs
  before the thresholds queues the spikes found by the previous step's check,
  which adds one step to its delay: Brian2 gets ``delay - dt``. The arrival
  times are then the same, spike for spike.
"""

import warnings

import numpy as np
import pytest

try:
    with warnings.catch_warnings():  # pyparsing deprecations in brian2's parsers
        warnings.simplefilter("ignore", DeprecationWarning)
        import brian2
except ImportError as error:  # pragma: no cover - the extra is not installed
    pytest.skip(
        f"brian2 is not installed ({error}): pip install '.[reference]'",
        allow_module_level=True,
    )
except AttributeError as error:  # pragma: no cover - brian2 2.9 with numpy >= 2.4
    pytest.skip(
        f"brian2 does not import with this numpy ({error}): the 'reference' "
        "extra pins numpy<2.4",
        allow_module_level=True,
    )
from brian2 import ms, mV

from skbio_plastic.spiking import FeedForwardLIF

pytestmark = [
    pytest.mark.filterwarnings(f"ignore::DeprecationWarning:{module}")
    for module in ("brian2", "pyparsing")
]

TAU_M = 25.0
TAU_TRACE = 20.0
DELAY = 0.1
# our integrator -> Brian2's integration of the same equations
BRIAN_METHOD = {"exact": "exact", "grid": "exact", "euler": "euler"}


def small_network(seed=3):
    """Weights (mV), thresholds (mV) and currents of a 6 -> 10 -> 3 network."""
    rng = np.random.default_rng(seed)
    n_inputs, n_hidden, n_outputs = 6, 10, 3
    mask = rng.random((n_hidden, n_inputs)) < 0.5
    return {
        "input_hidden": np.where(mask, rng.normal(3.0, 3.0, mask.shape), 0.0),
        "hidden_output": rng.normal(2.0, 2.0, (n_outputs, n_hidden)),
        "thresholds": [20.0 + rng.random(n) for n in (n_inputs, n_hidden, n_outputs)],
        "i_hidden": 19.5,
        "i_output": 19.5,
        # two "images": regular input firing from 0 to about 160 Hz
        "i_input": [
            np.array([25.0, 40.0, 60.0, 100.0, 19.0, 30.0]),
            np.array([90.0, 22.0, 19.9, 35.0, 150.0, 45.0]),
        ],
    }


def ours(params, method, dt):
    theta_input, theta_hidden, theta_output = params["thresholds"]
    return FeedForwardLIF(
        params["input_hidden"],
        params["hidden_output"],
        theta_input=theta_input,
        theta_hidden=theta_hidden,
        theta_output=theta_output,
        i_hidden=params["i_hidden"],
        i_output=params["i_output"],
        tau_m=TAU_M,
        tau_trace=TAU_TRACE,
        dt=dt,
        delay=DELAY,
        method=method,
        dtype=np.float64,
    )


def brian_network(params, method, dt):
    """The same network in Brian2, numpy target, in a fresh scope.

    Output neurons carry the readout's trace ``tr`` (kHz) and target ``tgt``;
    the hidden -> output synapses apply the trace rule at each arrival,
    ``w += eta * (tgt_post - tr_post)``, after delivering the old weight, as
    ours does. ``eta`` is 0 until set.
    """
    brian2.start_scope()
    brian2.prefs.codegen.target = "numpy"
    brian2.defaultclock.dt = dt * ms
    equations = """
    dv/dt = (-v + I) / tau_m : volt
    I : volt
    theta : volt
    """
    if method == "exact":
        # Brian2 has no interpolated reset: spell out ours (lif_update). A
        # neuron that crossed by drift within the last step is reset at the
        # crossing time and leaks from there to the end of the step; one
        # pushed over by a jump is reset to 0.
        reset = """
        late = I > theta and (I - v) / (I - theta) >= exp(-dt / tau_m)
        v = int(late) * (I - I * (I - v) / (I - theta))
        """
    else:
        reset = "v = 0*mV"
    namespace = {
        "tau_m": TAU_M * ms,
        "tau_trace": TAU_TRACE * ms,
        "increment": 1.0 / TAU_TRACE,
    }
    theta_input, theta_hidden, theta_output = params["thresholds"]
    groups = []
    for n, current, theta, extra, extra_reset in (
        (len(theta_input), params["i_input"][0], theta_input, "", ""),
        (len(theta_hidden), params["i_hidden"], theta_hidden, "", ""),
        (
            len(theta_output),
            params["i_output"],
            theta_output,
            "dtr/dt = -tr / tau_trace : 1\ntgt : 1",
            "tr += increment",
        ),
    ):
        group = brian2.NeuronGroup(
            n,
            equations + extra,
            threshold="v >= theta",
            reset=reset + "\n" + extra_reset,
            method=BRIAN_METHOD[method],
            namespace=namespace,
        )
        group.I = np.broadcast_to(current, (n,)) * mV
        group.theta = theta * mV
        groups.append(group)
    synapses = []
    for pre, post, weights, model, on_pre in (
        (groups[0], groups[1], params["input_hidden"], "w : volt", "v_post += w"),
        (
            groups[1],
            groups[2],
            params["hidden_output"],
            "w : volt\neta : 1 (shared)",
            "v_post += w\nw += eta * (tgt_post - tr_post) * mV",
        ),
    ):
        synapse = brian2.Synapses(
            pre, post, model, on_pre=on_pre, delay=(DELAY - dt) * ms
        )
        synapse.pre.when = "before_thresholds"
        target, source = np.nonzero(weights)
        synapse.connect(i=source, j=target)
        synapse.w = weights[target, source] * mV
        synapses.append(synapse)
    monitors = [brian2.SpikeMonitor(group) for group in groups]
    network = brian2.Network(*groups, *synapses, *monitors)
    return network, groups, synapses[1], monitors


def brian_raster(monitor):
    return np.asarray(monitor.t / ms), np.asarray(monitor.i[:])


def assert_one_step_later(ours_raster, brian_raster, n_neurons, dt):
    """Same spikes per neuron; each of ours at Brian2's time plus ``dt``."""
    (t_ours, i_ours), (t_brian, i_brian) = ours_raster, brian_raster
    for k in range(n_neurons):
        mine, theirs = np.sort(t_ours[i_ours == k]), np.sort(t_brian[i_brian == k])
        assert len(mine) == len(theirs), (k, mine, theirs)
        np.testing.assert_allclose(mine, theirs + dt, rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    "method, dt", [("grid", 0.05), ("euler", 0.05), ("exact", 0.05), ("grid", 0.1)]
)
def test_spike_times_equal_brian2_within_one_step(method, dt):
    params = small_network()
    duration = 200.0
    net = ours(params, method, dt)
    counts, rasters = net.run(duration, i_input=params["i_input"][0], record=True)
    network, groups, _, monitors = brian_network(params, method, dt)
    network.run(duration * ms)
    # every population fires, the hidden and output ones only through jumps
    assert all(c.sum() >= 20 for c in counts)
    assert params["i_hidden"] < params["thresholds"][1].min()
    for raster, monitor, group in zip(rasters, monitors, groups, strict=True):
        assert_one_step_later(raster, brian_raster(monitor), len(group), dt)


@pytest.mark.parametrize("method", ["grid", "euler", "exact"])
def test_readout_weights_after_learning_equal_brian2(method):
    """Two images of the paper's protocol, shortened: 40 ms, then 20 ms with the rule.

    State carries over between images; the weights, traces and every spike
    must agree with Brian2's model of the same rule.
    """
    dt, eta = 0.05, 0.2
    params = small_network()
    targets = [np.array([0.5, 0.0, 0.0]), np.array([0.0, 0.0, 0.5])]
    net = ours(params, method, dt)
    network, groups, readout, monitors = brian_network(params, method, dt)
    rasters = [([], []) for _ in groups]
    start = 0.0
    for i_input, target in zip(params["i_input"], targets, strict=True):
        for duration, rate in ((40.0, 0.0), (20.0, eta)):
            _, raster = net.run(
                duration,
                i_input=i_input,
                learning_rate=rate,
                target=target if rate else None,
                record=True,
            )
            for (times, neurons), (t, i) in zip(rasters, raster, strict=True):
                times.append(start + t)
                neurons.append(i)
            start += duration
            groups[0].I = i_input * mV
            groups[2].tgt = target
            readout.eta = rate
            network.run(duration * ms)

    weights = np.zeros_like(params["hidden_output"])
    weights[readout.j[:], readout.i[:]] = readout.w[:] / mV
    learned = net.readout_weights()
    # the rule moved the weights, and the outputs fired during learning
    assert np.abs(learned - params["hidden_output"]).max() > 0.1
    np.testing.assert_allclose(learned, weights, rtol=1e-9, atol=1e-12)
    # our trace is read just before the next step's spikes; Brian2's after its
    # leak of the last step, before its reset: the same instant
    np.testing.assert_allclose(net.trace, groups[2].tr[:], rtol=1e-9, atol=1e-12)
    for (times, neurons), monitor, group in zip(rasters, monitors, groups, strict=True):
        raster = (np.concatenate(times), np.concatenate(neurons))
        assert_one_step_later(raster, brian_raster(monitor), len(group), dt)


def test_speed_bench_simulators_agree_on_a_small_network():
    """The ``spiking`` speed bench's three simulators, on 40 hidden units.

    Two images of the full protocol (100 ms, then 50 ms with the rule), the
    state carried over: ours, the three numpy loops and the bench's Brian2
    model (TimedArrays switching images and learning windows) count the same
    spikes for every image and neuron.
    """
    from skbio_plastic.bench import _spiking_speed as bench

    currents, labels, _ = bench.spiking_images(2, random_state=1)
    network = bench.illing_network(n_hidden=40, random_state=1)
    _, counts = bench.simulate_ours(network, currents, labels, np.float64)
    assert counts[1].sum(axis=1).min() > 100  # the hidden units fire
    for delivery in ("dense", "sparse", "row_sums"):
        _, numpy_counts = bench.simulate_numpy(network, currents, labels, delivery)
        for ours_count, numpy_count in zip(counts, numpy_counts, strict=True):
            np.testing.assert_array_equal(ours_count, numpy_count)
    result, brian_counts = bench.simulate_brian2(
        network, currents, labels, target="numpy"
    )
    assert result["code_object"] == "NumpyCodeObject"
    for ours_count, brian_count in zip(counts, brian_counts, strict=True):
        np.testing.assert_array_equal(ours_count, brian_count)
