"""The ``spiking`` speed bench: Illing's spiking l-RP network in three simulators.

The network of Illing, Gerstner & Brea (2019), spiking version: 784 input
neurons driven by constant currents ``20 + 500 * x_centred`` (mV), 5000 hidden
units with Gaussian weights in 10 x 10 patches, 10 dense outputs whose weights
learn with the trace rule, LIF neurons with ``tau_m = 25`` ms, thresholds
``20 + U[0, 1]`` mV, reset to 0, delta synapses with 0.1 ms delays, ``dt =
0.05`` ms. Each image is presented for 100 ms without plasticity, then 50 ms
with the rule; the state carries over between images.

The record also compares our integrators (``exact``, ``grid``, ``euler``)
at steps from 0.025 to 0.2 ms: time per image and spike-count error against
the exact integrator at 0.0125 ms, on the same images.

The same images run, from the same initial state, in

* ours, :class:`~skbio_plastic.spiking.FeedForwardLIF` (float32, the
  package's default precision, and float64);
* plain clock-driven numpy in float64, three ways of delivering the spikes:
  ``dense`` (the weight matrices times the spike vectors, the textbook loop),
  ``sparse`` (a scipy.sparse input matrix times the spike vector) and
  ``row_sums`` (sums of the weight rows of the neurons that spiked, numpy's
  best for sparse activity);
* Brian2 with its default runtime code-generation target (cython where a
  compiler works), when it imports.

All three integrate the same model, ours ``method="grid"``: exponential decay
over each step, resets on the grid (tests/test_brian2_reference.py checks
the correspondence with Brian2 spike for spike). Spike counts per image and
neuron are compared between the simulators.

The record's ratios are times divided by ours (float32), per image:
``speedup_vs_numpy`` against the textbook ``dense`` loop,
``speedup_vs_fastest_numpy`` against the fastest numpy variant, both on the
first ``numpy_images`` images, and ``speedup_vs_brian2`` against Brian2's
time without the fixed cost of a ``run`` call (Brian2 prepares its code
objects at every call; here one call simulates all the images).
"""

import math
import time
import warnings
from collections import deque

import numpy as np
import scipy.ndimage
import scipy.sparse as sp

from ..random_features import LocalizedRandomProjection
from ..spiking import FeedForwardLIF

# Illing et al.'s spiking network and protocol (REFERENCES.md, section 2)
N_HIDDEN = 5000
N_OUTPUTS = 10
PATCH_SIZE = 10
IMAGE_SHAPE = (28, 28)
WEIGHT_STD = 20.0 / math.sqrt(784) * 28 / PATCH_SIZE  # mV, rescaled by L / p
CURRENT_OFFSET, CURRENT_GAIN = 20.0, 500.0  # input currents, mV
I_HIDDEN = I_OUTPUT = 20.0  # mV
TAU_M, TAU_TRACE = 25.0, 20.0  # ms
DT, DELAY = 0.05, 0.1  # ms
TRANSIENT, LEARN = 100.0, 50.0  # ms per image
LEARNING_RATE, TARGET = 2e-4, 0.5  # mV per event; kHz for the true class


def training_images(n_images, data_home=None, random_state=0):
    """``n_images`` random training images, their labels, mean image and source.

    MNIST training images when the files are found (``data_home``, then the
    folders :mod:`skbio_plastic.datasets` searches), else scikit-learn's 8 x 8
    digits upsampled to 28 x 28 (bilinear); pixels in [0, 1]. The mean image
    is that of the whole set.
    """
    from .. import datasets

    try:
        bunch = datasets.load_mnist(subset="train", data_home=data_home)
        X, y = bunch.data, bunch.target
        source = "MNIST training images (" + str(bunch.files[0]) + ")"
    except FileNotFoundError:
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        X = scipy.ndimage.zoom((X / 16.0).reshape(-1, 8, 8), (1, 3.5, 3.5), order=1)
        X = np.clip(X, 0.0, 1.0).reshape(len(y), -1)
        source = (
            "scikit-learn digits, 8 x 8 upsampled to 28 x 28 (bilinear): "
            "MNIST files not found"
        )
    rng = np.random.default_rng(random_state)
    chosen = rng.choice(len(X), n_images, replace=False)
    return X[chosen], np.asarray(y)[chosen], X.mean(axis=0, dtype=np.float64), source


def spiking_images(n_images, data_home=None, random_state=0):
    """Input currents (mV) of ``n_images`` images, their labels and their source.

    The images of :func:`training_images`, centred on the mean of their set;
    the currents are ``20 + 500 * x_centred``.
    """
    images, labels, mean, source = training_images(n_images, data_home, random_state)
    return CURRENT_OFFSET + CURRENT_GAIN * (images - mean), labels, source


def illing_network(n_hidden=N_HIDDEN, random_state=0):
    """Weights and thresholds (mV, float64) of the spiking l-RP network.

    Returns
    -------
    network : dict
        ``input_hidden`` (n_hidden, 784) dense, zero outside the patches;
        ``hidden_output`` (10, n_hidden) ``N(0, (20 / sqrt(n_hidden))^2)``;
        ``thresholds`` of the three populations, ``20 + U[0, 1]``.
    """
    lrp = LocalizedRandomProjection(
        n_hidden,
        patch_size=PATCH_SIZE,
        image_shape=IMAGE_SHAPE,
        weight_scale=WEIGHT_STD,
        dtype="float64",
        random_state=random_state,
    ).fit(np.zeros((1, IMAGE_SHAPE[0] * IMAGE_SHAPE[1])))
    rng = np.random.default_rng(random_state)
    readout = rng.normal(0.0, 20.0 / math.sqrt(n_hidden), (N_OUTPUTS, n_hidden))
    n_inputs = lrp.components_.shape[1]
    return {
        "input_hidden": lrp.components_,
        "hidden_output": readout,
        "thresholds": [20.0 + rng.random(n) for n in (n_inputs, n_hidden, N_OUTPUTS)],
    }


def _targets(labels):
    """Target traces (kHz) per image: 0.5 for the true class, 0 otherwise."""
    return np.where(np.arange(N_OUTPUTS) == np.asarray(labels)[:, None], TARGET, 0.0)


def simulate_ours(
    network, currents, labels, dtype=np.float32, method="grid", dt=DT, delay=DELAY
):
    """Our simulator, the paper's protocol; seconds per image and spike counts.

    ``method`` is the integrator, ``dt`` the step and ``delay`` the synaptic
    delay (ms, a whole number of steps).

    Returns
    -------
    seconds : ndarray of shape (n_images,)
    counts : list of 3 ndarray of shape (n_images, n_population)
    """
    theta_input, theta_hidden, theta_output = network["thresholds"]
    net = FeedForwardLIF(
        network["input_hidden"],
        network["hidden_output"],
        theta_input=theta_input,
        theta_hidden=theta_hidden,
        theta_output=theta_output,
        i_hidden=I_HIDDEN,
        i_output=I_OUTPUT,
        tau_m=TAU_M,
        tau_trace=TAU_TRACE,
        dt=dt,
        delay=delay,
        method=method,
        dtype=dtype,
    )
    seconds = np.empty(len(currents))
    counts = [np.empty((len(currents), n), np.int64) for n in net.sizes]
    for k, (current, target) in enumerate(zip(currents, _targets(labels), strict=True)):
        start = time.perf_counter()
        transient = net.run(TRANSIENT, i_input=current)
        learning = net.run(LEARN, learning_rate=LEARNING_RATE, target=target)
        seconds[k] = time.perf_counter() - start
        for population, a, b in zip(counts, transient, learning, strict=True):
            population[k] = a + b
    return seconds, counts


def _warm_up(dtype):
    """Load (or compile) our kernels for ``dtype`` on a tiny network."""
    net = FeedForwardLIF(
        [[1.0]], [[1.0]], theta_input=20.0, theta_hidden=20.0, theta_output=20.0,
        method="grid", dtype=dtype,
    )  # fmt: skip
    net.run(1.0, i_input=[30.0])
    net.run(1.0, learning_rate=1e-3, target=[0.5])


def simulate_numpy(network, currents, labels, delivery="dense"):
    """Plain clock-driven numpy, float64, step by step as ours (method "grid").

    Each step: neurons at or above threshold spike and are reset, every
    membrane decays towards its input, output traces take their spikes and
    decay, the spikes emitted ``DELAY`` earlier arrive (adding their weights)
    and, in the learning window, each arriving hidden spike moves its readout
    weights by ``LEARNING_RATE * (target - trace)``.

    Returns
    -------
    seconds : ndarray of shape (n_images,)
    counts : list of 3 ndarray of shape (n_images, n_population)
    """
    w_in = np.asarray(network["input_hidden"], dtype=np.float64)  # (hidden, inputs)
    w_out = np.array(network["hidden_output"], dtype=np.float64)  # (outputs, hidden)
    if delivery == "sparse":
        w_in = sp.csr_array(w_in)
    elif delivery == "row_sums":
        w_in, w_out = np.ascontiguousarray(w_in.T), np.ascontiguousarray(w_out.T)
    elif delivery != "dense":
        raise ValueError(f"unknown delivery {delivery!r}")
    sizes = [len(theta) for theta in network["thresholds"]]
    theta = network["thresholds"]
    v = [np.zeros(n) for n in sizes]
    i_ext = [
        np.zeros(sizes[0]),
        np.full(sizes[1], I_HIDDEN),
        np.full(sizes[2], I_OUTPUT),
    ]
    trace = np.zeros(sizes[2])
    decay, trace_decay = math.exp(-DT / TAU_M), math.exp(-DT / TAU_TRACE)
    delay_steps = round(DELAY / DT)
    transient_steps, learn_steps = round(TRANSIENT / DT), round(LEARN / DT)
    in_flight = deque()
    seconds = np.empty(len(currents))
    counts = [np.zeros((len(currents), n), np.int64) for n in sizes]
    for k, (current, target) in enumerate(zip(currents, _targets(labels), strict=True)):
        start = time.perf_counter()
        i_ext[0][:] = current
        for n in range(transient_steps + learn_steps):
            spikes = [vp >= th for vp, th in zip(v, theta, strict=True)]
            for vp, spiking, cur, count in zip(v, spikes, i_ext, counts, strict=True):
                vp[spiking] = 0.0
                vp -= cur
                vp *= decay
                vp += cur
                count[k] += spiking
            trace += spikes[2] / TAU_TRACE
            trace *= trace_decay
            in_flight.append(spikes[:2])
            if len(in_flight) < delay_steps:
                continue
            arriving_input, arriving_hidden = in_flight.popleft()
            learning = n >= transient_steps
            if delivery == "row_sums":
                v[1] += w_in[arriving_input].sum(axis=0)
                v[2] += w_out[arriving_hidden].sum(axis=0)
                if learning:
                    w_out[arriving_hidden] += LEARNING_RATE * (target - trace)
            else:
                v[1] += w_in @ arriving_input.astype(np.float64)
                hidden = arriving_hidden.astype(np.float64)
                v[2] += w_out @ hidden
                if learning:
                    w_out += LEARNING_RATE * np.outer(target - trace, hidden)
        seconds[k] = time.perf_counter() - start
    return seconds, counts


def simulate_brian2(network, currents, labels, repeats=1, target="auto"):
    """The same network and protocol in Brian2, one ``run`` over all images.

    Each image's currents and targets come from TimedArrays (a
    ``run_regularly`` sets the input currents at the start of each image),
    the rule is gated by a TimedArray of the learning windows. Synaptic
    events are delivered before the threshold check, with the delay shortened
    by one step, which is our model (the conventions are explained in
    tests/test_brian2_reference.py); Brian2's spike times are then ours minus
    one step, and are shifted back before counting.
    ``target`` is the code-generation target (``"auto"``, Brian2's default,
    is cython where a compiler works, else numpy).

    Returns
    -------
    result : dict
        ``seconds`` of the run over all images and ``run_overhead_seconds``
        of a one-step run (a run's fixed cost: code objects are prepared at
        every run), each the best of ``repeats`` from the same stored state;
        ``setup_seconds`` of a first one-step run (code generation, and
        compilation unless Brian2's cache has it); the code-generation
        target and the code object class used; Brian2's log messages.
    counts : list of 3 ndarray of shape (n_images, n_population)
    """
    with warnings.catch_warnings():  # pyparsing deprecations in brian2's parsers
        warnings.simplefilter("ignore", DeprecationWarning)
        import brian2 as b2
    from brian2 import ms, mV
    from brian2.utils.logger import catch_logs

    image_ms = TRANSIENT + LEARN
    steps_per_window = math.gcd(round(TRANSIENT / DT), round(LEARN / DT))
    windows = [0.0] * (round(TRANSIENT / DT) // steps_per_window) + [1.0] * (
        round(LEARN / DT) // steps_per_window
    )
    namespace = {
        "tau_m": TAU_M * ms,
        "tau_trace": TAU_TRACE * ms,
        "increment": 1.0 / TAU_TRACE,
        "eta": LEARNING_RATE,
        "image_currents": b2.TimedArray(np.asarray(currents) * mV, dt=image_ms * ms),
        "image_targets": b2.TimedArray(_targets(labels), dt=image_ms * ms),
        "learning_window": b2.TimedArray(
            np.tile(windows, len(currents)), dt=steps_per_window * DT * ms
        ),
    }
    equations = "dv/dt = (-v + I) / tau_m : volt\nI : volt\ntheta : volt\n"
    previous = b2.prefs.codegen.target, b2.defaultclock.dt
    b2.prefs.codegen.target = target
    try:
        b2.defaultclock.dt = DT * ms
        theta_input, theta_hidden, theta_output = network["thresholds"]
        inputs = b2.NeuronGroup(
            len(theta_input), equations, threshold="v >= theta",
            reset="v = 0*mV", method="exact", namespace=namespace,
        )  # fmt: skip
        inputs.run_regularly("I = image_currents(t, i)", dt=image_ms * ms, when="start")
        hidden = b2.NeuronGroup(
            len(theta_hidden), equations, threshold="v >= theta",
            reset="v = 0*mV", method="exact", namespace=namespace,
        )  # fmt: skip
        hidden.I = I_HIDDEN * mV
        outputs = b2.NeuronGroup(
            len(theta_output),
            equations + "dtr/dt = -tr / tau_trace : 1\ntgt = image_targets(t, i) : 1",
            threshold="v >= theta",
            reset="v = 0*mV\ntr += increment",
            method="exact",
            namespace=namespace,
        )
        outputs.I = I_OUTPUT * mV
        for group, theta in zip(
            (inputs, hidden, outputs), network["thresholds"], strict=True
        ):
            group.theta = theta * mV
        synapses = []
        for pre, post, weights, on_pre in (
            (inputs, hidden, network["input_hidden"], "v_post += w"),
            (
                hidden,
                outputs,
                network["hidden_output"],
                "v_post += w\n"
                "w += eta * learning_window(t) * (tgt_post - tr_post) * mV",
            ),
        ):
            synapse = b2.Synapses(
                pre, post, "w : volt", on_pre=on_pre, delay=(DELAY - DT) * ms,
                namespace=namespace,
            )  # fmt: skip
            synapse.pre.when = "before_thresholds"
            post_index, pre_index = np.nonzero(weights)
            synapse.connect(i=pre_index, j=post_index)
            synapse.w = weights[post_index, pre_index] * mV
            synapses.append(synapse)
        monitors = [b2.SpikeMonitor(group) for group in (inputs, hidden, outputs)]
        net = b2.Network(inputs, hidden, outputs, *synapses, *monitors)
        net.store()
        # Brian2 warns that 150 ms and 50 ms are not whole multiples of the
        # 0.05 ms clock, by rounding error: the TimedArrays index by
        # int(t / dt + 0.5 / K), so the windows switch on the right steps
        # (the spike counts agree with ours); the messages go to the record.
        with catch_logs() as messages:
            start = time.perf_counter()
            net.run(DT * ms, namespace={})  # generates (and compiles) the code
            setup = time.perf_counter() - start
            overhead, seconds = math.inf, math.inf
            for _ in range(repeats):
                net.restore()
                start = time.perf_counter()
                net.run(DT * ms, namespace={})
                overhead = min(overhead, time.perf_counter() - start)
                net.restore()
                start = time.perf_counter()
                net.run(len(currents) * image_ms * ms, namespace={})
                seconds = min(seconds, time.perf_counter() - start)
        code_object = type(hidden.state_updater.codeobj).__name__
    finally:
        b2.prefs.codegen.target, b2.defaultclock.dt = previous
    counts = []
    for monitor, theta in zip(monitors, network["thresholds"], strict=True):
        step = np.round(np.asarray(monitor.t / ms) / DT).astype(np.int64) + 1
        image = step // round(image_ms / DT)
        keep = image < len(currents)  # a spike at the run's last step is ours next
        flat = np.bincount(
            image[keep] * len(theta) + np.asarray(monitor.i[:])[keep],
            minlength=len(currents) * len(theta),
        )
        counts.append(flat.reshape(len(currents), len(theta)))
    result = {
        "version": b2.__version__,
        "codegen_target": target,
        "code_object": code_object,
        "seconds": seconds,
        "setup_seconds": setup,
        "run_overhead_seconds": overhead,
        "messages": sorted({message for _, _, message in messages}),
    }
    return result, counts


def agreement(counts, reference):
    """How close two simulators' spike counts are, per population."""
    out = {}
    for name, a, b in zip(
        ("input", "hidden", "output"), counts, reference, strict=True
    ):
        a, b = a[: len(b)], b[: len(a)]
        out[name] = {
            "spikes": [int(a.sum()), int(b.sum())],
            "fraction_of_equal_counts": float(np.mean(a == b)),
            "relative_count_difference": float(np.abs(a - b).sum() / max(b.sum(), 1)),
        }
    return out


# The integrators compared (REFERENCES.md: the reference code has forward
# Euler and an exact event-based one) on steps up to 4x the paper's; delays
# are whole steps, so the coarsest step also lengthens the delay.
INTEGRATORS = ("exact", "grid", "euler")
STEPS = (0.025, 0.05, 0.1, 0.2)
REFERENCE_STEP = 0.0125


def compare_integrators(network, currents, labels, repeats):
    """Time per image and spike-count error of each integrator and step.

    The reference is the exact integrator at ``REFERENCE_STEP`` (0.0125 ms);
    each (integrator, step) runs the same images in float32 from the same
    state, best of ``repeats``. A step coarser than the delay lengthens the
    delay to one step.
    """
    _, reference = simulate_ours(
        network, currents, labels, method="exact", dt=REFERENCE_STEP
    )
    rows = []
    for method in INTEGRATORS:
        for dt in STEPS:
            delay = max(DELAY, dt)
            runs = [
                simulate_ours(network, currents, labels, np.float32, method, dt, delay)
                for _ in range(repeats)
            ]
            error = agreement(runs[0][1], reference)
            rows.append(
                {
                    "method": method,
                    "dt_ms": dt,
                    "delay_ms": delay,
                    "ms_per_image": 1e3 * np.min([t for t, _ in runs], axis=0).mean(),
                    "hidden_count_error": error["hidden"]["relative_count_difference"],
                    "output_count_error": error["output"]["relative_count_difference"],
                    "hidden_spikes_per_image": error["hidden"]["spikes"][0]
                    / len(currents),
                }
            )
    return {
        "reference": f"method='exact', dt={REFERENCE_STEP} ms",
        "count_error": "sum |counts - reference| / sum reference, per population",
        "runs": rows,
    }


def time_spiking(n_images, numpy_images, repeats, data_home=None, random_state=0):
    """Ours, plain numpy and Brian2 on the same network and images; the record."""
    currents, labels, source = spiking_images(n_images, data_home, random_state)
    network = illing_network(random_state=random_state)
    n_synapses = int(np.count_nonzero(network["input_hidden"]))
    fan_out = np.count_nonzero(network["input_hidden"], axis=0)
    record = {
        "network": {
            "sizes": [len(theta) for theta in network["thresholds"]],
            "patch_size": PATCH_SIZE,
            "input_hidden_synapses": n_synapses,
            "input_hidden_weight_std_mV": WEIGHT_STD,
            "hidden_output_weight_std_mV": 20.0 / math.sqrt(N_HIDDEN),
            "input_currents_mV": f"{CURRENT_OFFSET:g} + {CURRENT_GAIN:g} * x_centred",
            "hidden_output_currents_mV": I_HIDDEN,
            "thresholds_mV": "20 + U[0, 1]",
            "tau_m_ms": TAU_M,
            "tau_trace_ms": TAU_TRACE,
            "dt_ms": DT,
            "delay_ms": DELAY,
            "integration": "exponential decay per step, resets on the grid "
            "(ours: method='grid'; Brian2: method='exact')",
        },
        "protocol": {
            "transient_ms": TRANSIENT,
            "learning_ms": LEARN,
            "learning_rate_mV": LEARNING_RATE,
            "target_kHz": TARGET,
            "state_reset_between_images": False,
        },
        "images": {"source": source, "n_images": n_images, "labels": labels.tolist()},
    }
    times, counts = {}, {}
    for dtype in (np.float32, np.float64):
        _warm_up(dtype)
        runs = [simulate_ours(network, currents, labels, dtype) for _ in range(repeats)]
        times[dtype] = np.min([seconds for seconds, _ in runs], axis=0)
        counts[dtype] = runs[0][1]
    ours_seconds, ours_counts = times[np.float32], counts[np.float32]
    record["spikes_per_image"] = {
        name: float(c.sum(axis=1).mean())
        for name, c in zip(("input", "hidden", "output"), ours_counts, strict=True)
    }
    events = ours_counts[0] @ fan_out + ours_counts[1].sum(axis=1) * N_OUTPUTS
    record["synaptic_events_per_image"] = float(events.mean())
    ms_per_image = 1e3 * ours_seconds.mean()
    record["ours"] = {
        "method": "grid",
        "dtype": "float32",
        "ms_per_image": ms_per_image,
        "synaptic_events_per_second": float(events.sum() / ours_seconds.sum()),
        "best_of_repeats": repeats,
    }
    record["ours_float64"] = {
        "method": "grid",
        "dtype": "float64",
        "ms_per_image": 1e3 * times[np.float64].mean(),
        "best_of_repeats": repeats,
    }
    record["integrators"] = compare_integrators(network, currents, labels, repeats)
    m = min(numpy_images, n_images)
    record["numpy"] = {"n_images": m, "dtype": "float64"}
    agree = {"ours_float32_vs_ours_float64": agreement(ours_counts, counts[np.float64])}
    fastest = math.inf
    for delivery in ("dense", "sparse", "row_sums"):
        runs = [
            simulate_numpy(network, currents[:m], labels[:m], delivery)
            for _ in range(1 if delivery == "dense" else repeats)
        ]
        numpy_counts = runs[0][1]
        numpy_ms = 1e3 * np.min([seconds for seconds, _ in runs], axis=0).mean()
        fastest = min(fastest, numpy_ms)
        record["numpy"][delivery] = {
            "ms_per_image": numpy_ms,
            "best_of_repeats": len(runs),
            "speedup": numpy_ms / (1e3 * ours_seconds[:m].mean()),
        }
        agree[f"ours_float64_vs_numpy_{delivery}"] = agreement(
            [c[:m] for c in counts[np.float64]], numpy_counts
        )
    # headline: against the textbook loop, and against numpy's fastest variant
    record["speedup_vs_numpy"] = record["numpy"]["dense"]["speedup"]
    record["speedup_vs_fastest_numpy"] = fastest / (1e3 * ours_seconds[:m].mean())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import brian2  # noqa: F401
    except Exception as error:  # ImportError, or brian2 2.9 with numpy >= 2.4
        record["brian2"] = (
            f"not importable ({type(error).__name__}: {error}): skipped; "
            "pip install 'skbio-plastic[reference]'"
        )
    else:
        brian, brian_counts = simulate_brian2(network, currents, labels, repeats)
        steady = brian["seconds"] - brian["run_overhead_seconds"]
        brian["ms_per_image"] = 1e3 * brian["seconds"] / n_images
        brian["ms_per_image_without_run_overhead"] = 1e3 * steady / n_images
        record["brian2"] = brian
        record["speedup_vs_brian2"] = (
            brian["ms_per_image_without_run_overhead"] / ms_per_image
        )
        agree["ours_float64_vs_brian2"] = agreement(counts[np.float64], brian_counts)
        agree["ours_float32_vs_brian2"] = agreement(ours_counts, brian_counts)
    record["spike_count_agreement"] = agree
    return record


def summary(record):
    """Lines that ``bench speed`` prints for the spiking record."""
    numpy = record["numpy"]
    lines = [
        f"spiking (Illing l-RP, {record['images']['n_images']} images: "
        f"{record['images']['source'].split(' (')[0].split(':')[0]}): ours "
        f"{record['ours']['ms_per_image']:.2f} ms per image (float32), "
        f"{record['synaptic_events_per_image']:.3g} synaptic events per image",
        "  numpy float64 ("
        + ", ".join(
            f"{d} {numpy[d]['ms_per_image']:.0f} ms, {numpy[d]['speedup']:.0f}x"
            for d in ("dense", "sparse", "row_sums")
        )
        + f"; {numpy['n_images']} images)",
    ]
    lines.append(
        "  integrators (float32; spike-count error against exact at "
        f"{REFERENCE_STEP} ms, hidden / output):"
    )
    lines += [
        f"    {run['method']:>5} dt {run['dt_ms']:<5} {run['ms_per_image']:6.2f} ms, "
        f"{100 * run['hidden_count_error']:5.1f} % / "
        f"{100 * run['output_count_error']:5.1f} %"
        for run in record["integrators"]["runs"]
    ]
    brian = record["brian2"]
    if isinstance(brian, dict):
        lines.append(
            f"  brian2 {brian['version']} ({brian['code_object']}): "
            f"{brian['ms_per_image_without_run_overhead']:.0f} ms per image "
            f"({record['speedup_vs_brian2']:.0f}x), setup "
            f"{brian['setup_seconds']:.1f} s"
        )
        hidden = record["spike_count_agreement"]["ours_float32_vs_brian2"]["hidden"]
        lines.append(
            f"  hidden spike counts equal to brian2's: "
            f"{100 * hidden['fraction_of_equal_counts']:.1f} % of (image, unit)"
        )
    else:
        lines.append(f"  brian2 {brian}")
    return lines
