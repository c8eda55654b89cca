"""The ``diehl-cook`` speed bench: Diehl & Cook's STDP network, ours and Brian2.

One network, the paper's (:class:`~skbio_plastic.spiking.STDPSpikingTransformer`
with its defaults: 784 Poisson inputs, 400 excitatory and 400 inhibitory
conductance-based neurons, per-synapse delays, Diehl & Cook's STDP, weight
normalisation to 78, re-presentation below 5 spikes, ``dt = 0.5`` ms, 350 ms
presentations and 150 ms rests), trained on the same MNIST images from the
same initial weights and delays with the same Poisson input trains
(:meth:`~skbio_plastic.spiking.STDPSpikingTransformer.input_trains`) in

* ours, ``partial_fit`` over the images (float32, the default, and float64);
* Brian2 with its default code-generation target (cython where a compiler
  works), the same equations (forward Euler, Brian's default schedule), the
  input trains fed through a ``SpikeGeneratorGroup``, one ``run`` per
  presentation and one per rest, the weights normalised between them in
  Python, as the authors' script and the public Brian2 ports do.

Times are per presentation (re-presentations included), each simulator's
construction of the network apart (ours: weights, and the per-synapse
delays sorted per input, at the first ``partial_fit``; Brian2's: its
objects and a first run that generates the code). Brian2's is also
given without the fixed cost of its ``run`` calls (code objects are prepared
at every call: measured on a one-step run); ``speedup_vs_brian2`` is against
that, the lower of the two ratios. The floor we approach is the count of
synaptic events per presentation: each input spike reaches every excitatory
neuron (a conductance increment and a depression of the weight), each
excitatory spike potentiates its 784 input weights and excites its
inhibitory partner, each inhibitory spike inhibits the other excitatory
neurons. The spike counts of every image (its last presentation) are
compared between the simulators.
"""

import math
import time
import warnings

import numpy as np
from sklearn.base import clone

from ..spiking import STDPRule, STDPSpikingTransformer
from ..spiking._diehl_cook import NEURONS
from ._spiking_speed import training_images

N_EXCITATORY = 400


def _per_image(network, X):
    """Train ``network`` image by image: excitatory spikes and presentations of each."""
    spikes = np.empty(len(X))
    presentations = np.empty(len(X), dtype=np.int64)
    for k in range(len(X)):
        before = network.n_presentations_ if k else 0
        network.partial_fit(X[k : k + 1])
        spikes[k] = network.spikes_per_image_curve_[-1]
        presentations[k] = network.n_presentations_ - before
    return spikes, presentations


def _fastest_fit(make, X, repeats):
    """Shortest wall-clock seconds of ``make().partial_fit(X)`` (``make`` untimed)."""
    seconds = math.inf
    for _ in range(repeats):
        fresh = make()
        start = time.perf_counter()
        fresh.partial_fit(X)
        seconds = min(seconds, time.perf_counter() - start)
    return seconds


def _probe(network):
    """A clone of ``network`` whose presentations change nothing: one step each,
    no normalisation, no plasticity of the thresholds (``1 - dt / 1e300`` is 1)
    and no input spikes on a blank image."""
    return clone(network).set_params(
        t_present=network.dt, t_rest=0.0, min_spikes=0, weight_sum=None,
        theta_plus=0.0, tau_theta=1e300, verbose=0,
    )  # fmt: skip


def simulate_ours(network, X, repeats):
    """Time ``partial_fit(X)`` of fresh clones of ``network``, best of ``repeats``.

    The first ``partial_fit`` of a network also builds it (weights, delays
    sorted per input); that construction, timed as the first fit of a blank
    one-step image, is reported apart and not counted in ``seconds``.

    Returns
    -------
    seconds : float
        Of the fastest ``partial_fit(X)``, construction excluded.
    construction_seconds : float
    trained : STDPSpikingTransformer
        A clone trained on ``X`` image by image (the same presentations).
    spikes, presentations : ndarray of shape (n_images,)
        Excitatory spikes (of the last presentation) and presentations of
        each image.
    """
    clone(network).partial_fit(X[:1])  # load the compiled kernels
    blank = np.zeros((1, X.shape[1]))
    construction = _fastest_fit(lambda: _probe(network), blank, repeats)
    seconds = _fastest_fit(lambda: clone(network), X, repeats) - construction
    trained = clone(network)
    spikes, presentations = _per_image(trained, X)
    return seconds, construction, trained, spikes, presentations


def initial_state(network, n_features):
    """Initial weights ``(n_features, n)`` and delays (ms) of ``network``'s fit."""
    probe = _probe(network).partial_fit(np.zeros((1, n_features)))
    return probe.weights_.astype(np.float64), probe.delays_


def _import_brian2():
    with warnings.catch_warnings():  # pyparsing deprecations in brian2's parsers
        warnings.simplefilter("ignore", DeprecationWarning)
        import brian2
    return brian2


def brian2_network(network, weights, delays, target="auto"):
    """Diehl & Cook's network in Brian2, the equations of ``network``'s parameters.

    Parameters
    ----------
    network : STDPSpikingTransformer
        Its parameters (``dt``, ``theta_plus``, ``tau_theta``, ``w_ei``,
        ``w_ie``, ``stdp``: None or Diehl & Cook's rule) and
        :data:`~skbio_plastic.spiking._diehl_cook.NEURONS`.
    weights : ndarray of shape (n_features, n)
        Initial input weights; ``delays`` (ms) of the same shape.
    target : str, default="auto"
        Brian2's code-generation target (``"auto"``, its default: cython
        where a compiler works, else numpy).

    Returns
    -------
    objects : dict
        ``net`` (a ``Network``, state stored), ``inputs`` (the
        ``SpikeGeneratorGroup``), ``plastic`` (input synapses, synapse
        ``j * n + i`` from input ``j`` to neuron ``i``), ``exc``, and
        spike monitors ``exc_spikes`` and ``inh_spikes`` (counts only).
    """
    b2 = _import_brian2()
    ms, mV = b2.ms, b2.mV
    rule = network.stdp or STDPRule.diehl_cook()
    if rule != STDPRule.diehl_cook():
        raise ValueError("the Brian2 network has Diehl & Cook's STDP rule only.")
    b2.prefs.codegen.target = target
    b2.defaultclock.dt = network.dt * ms
    e, i = NEURONS["e"], NEURONS["i"]
    conductances = (
        f"dge/dt = -ge / ({e['tau_ge']} * ms) : 1\n"
        f"dgi/dt = -gi / ({e['tau_gi']} * ms) : 1\n"
    )

    def membrane(p):
        return (
            f"dv/dt = (({p['v_rest']}*mV - v) + ge * ({p['e_exc']}*mV - v) + gi * "
            f"({p['e_inh']}*mV - v)) / ({p['tau']}*ms) : volt (unless refractory)\n"
        )

    n_features, n = weights.shape
    exc = b2.NeuronGroup(
        n,
        membrane(e) + conductances
        + f"dtheta/dt = -theta / ({network.tau_theta} * ms) : volt\n",
        threshold=f"v > theta + {e['threshold'] - e['theta_offset']}*mV",
        reset=f"v = {e['v_reset']}*mV; theta += {network.theta_plus}*mV",
        refractory=e["refractory"] * ms,
        method="euler",
    )  # fmt: skip
    inh = b2.NeuronGroup(
        n,
        membrane(i) + conductances,
        threshold=f"v > {i['threshold']}*mV",
        reset=f"v = {i['v_reset']}*mV",
        refractory=i["refractory"] * ms,
        method="euler",
    )
    exc.v, exc.theta = e["v_init"] * mV, e["theta_offset"] * mV
    inh.v = i["v_init"] * mV
    inputs = b2.SpikeGeneratorGroup(n_features, [], [] * ms)
    plastic = b2.Synapses(
        inputs,
        exc,
        model=f"""w : 1
        post2before : 1
        dpre/dt = -pre / ({rule.tau_plus}*ms) : 1 (event-driven)
        dpost1/dt = -post1 / ({rule.tau_minus}*ms) : 1 (event-driven)
        dpost2/dt = -post2 / ({rule.tau_triplet}*ms) : 1 (event-driven)""",
        on_pre=f"ge_post += w; pre = 1.; w = clip(w - {rule.a_minus} * post1, "
        f"{rule.w_min}, {rule.w_max})",
        on_post=f"post2before = post2; w = clip(w + {rule.a_plus} * pre * "
        f"post2before, {rule.w_min}, {rule.w_max}); post1 = 1.; post2 = 1.",
    )
    plastic.connect(True)
    plastic.w = weights.ravel()
    plastic.delay = delays.ravel() * ms
    excite = b2.Synapses(exc, inh, on_pre=f"ge_post += {network.w_ei}")
    excite.connect(j="i")
    inhibit = b2.Synapses(inh, exc, on_pre=f"gi_post += {network.w_ie}")
    inhibit.connect("i != j")
    exc_spikes = b2.SpikeMonitor(exc, record=False)
    inh_spikes = b2.SpikeMonitor(inh, record=False)
    net = b2.Network(exc, inh, inputs, plastic, excite, inhibit, exc_spikes, inh_spikes)
    net.store()
    return {
        "net": net, "inputs": inputs, "plastic": plastic, "exc": exc,
        "exc_spikes": exc_spikes, "inh_spikes": inh_spikes,
    }  # fmt: skip


def simulate_brian2(network, trained, X, weights, delays, target="auto"):
    """Train Brian2's network on ``X`` with the input trains of ``trained``.

    Each presentation: the weights are normalised to ``weight_sum`` (in
    Python, between runs), the input trains of that presentation
    (``trained.input_trains(x, image_index=k, retry=r)``) are set, one
    ``run`` of ``t_present`` and one of ``t_rest``; while the excitatory
    neurons fire fewer than ``min_spikes`` the image is presented again (at
    most ``max_retries`` times), as in ours.

    Returns
    -------
    result : dict
        ``seconds`` of the loop over the images; ``run_overhead_seconds`` of a
        one-step ``run`` (best of 3); ``setup_seconds`` of a first one-step
        run (code generation and compilation); ``n_runs``; Brian2's version,
        target and code object class.
    counts : dict
        ``excitatory`` (n_images, n) spikes of each image's last
        presentation, ``presentations`` (n_images,), ``input``,
        ``excitatory_all`` and ``inhibitory_all`` spikes over all
        presentations, the final ``weights`` (n_features, n) and ``theta``
        (mV).
    """
    b2 = _import_brian2()
    ms = b2.ms
    previous = b2.prefs.codegen.target, b2.defaultclock.dt
    try:
        objects = brian2_network(network, weights, delays, target)
        net, inputs, plastic = objects["net"], objects["inputs"], objects["plastic"]
        exc_spikes = objects["exc_spikes"]
        start = time.perf_counter()
        net.run(network.dt * ms, namespace={})  # generates (and compiles) code
        setup = time.perf_counter() - start
        overhead = math.inf
        for _ in range(3):
            net.restore()
            start = time.perf_counter()
            net.run(network.dt * ms, namespace={})
            overhead = min(overhead, time.perf_counter() - start)
        net.restore()
        code_object = type(objects["exc"].state_updater.codeobj).__name__
        n = weights.shape[1]
        counts = np.zeros((len(X), n), dtype=np.int64)
        presentations = np.zeros(len(X), dtype=np.int64)
        n_input = 0
        start = time.perf_counter()
        for k, x in enumerate(X):
            for retry in range(network.max_retries + 1):
                if network.weight_sum is not None:
                    now = np.asarray(plastic.w[:]).reshape(-1, n)
                    plastic.w = (now * (network.weight_sum / now.sum(axis=0))).ravel()
                trains = trained.input_trains(x, image_index=k, retry=retry)
                steps = np.repeat(np.arange(trains.n_steps), np.diff(trains.step_ptr))
                inputs.set_spikes(
                    trains.neurons, net.t + steps * network.dt * ms, sorted=True
                )
                n_input += len(trains.neurons)
                before = np.asarray(exc_spikes.count[:])
                net.run(network.t_present * ms, namespace={})
                counts[k] = np.asarray(exc_spikes.count[:]) - before
                if network.t_rest:
                    net.run(network.t_rest * ms, namespace={})
                presentations[k] += 1
                if counts[k].sum() >= network.min_spikes:
                    break
        seconds = time.perf_counter() - start
    finally:
        b2.prefs.codegen.target, b2.defaultclock.dt = previous
    result = {
        "version": b2.__version__,
        "codegen_target": target,
        "code_object": code_object,
        "seconds": seconds,
        "setup_seconds": setup,
        "run_overhead_seconds": overhead,
        "n_runs": int(presentations.sum()) * (2 if network.t_rest else 1),
    }
    spikes = {
        "excitatory": counts,
        "presentations": presentations,
        "input": n_input,
        "excitatory_all": int(np.sum(exc_spikes.count[:])),
        "inhibitory_all": int(np.sum(objects["inh_spikes"].count[:])),
        "weights": np.asarray(plastic.w[:]).reshape(-1, n),
        "theta": np.asarray(objects["exc"].theta_[:]) * 1e3,
    }
    return result, spikes


def _agreement(ours, reference):
    """Excitatory spikes per image, ours against the reference."""
    ours, reference = np.asarray(ours, float), np.asarray(reference, float)
    return {
        "spikes_per_image": [float(ours.mean()), float(reference.mean())],
        "fraction_of_equal_image_counts": float(np.mean(ours == reference)),
        "mean_relative_difference": float(
            np.abs(ours - reference).sum() / max(reference.sum(), 1.0)
        ),
    }


def time_diehl_cook(
    n_images, repeats, data_home=None, random_state=0, n_excitatory=N_EXCITATORY,
    long_images=1000, brian2_target="auto",
):  # fmt: skip
    """Ours and Brian2 on the same network, images and input trains; the record.

    ``n_images`` images run in both simulators; ours also trains on
    ``long_images`` images for a steadier time per presentation (and the
    time of one MNIST epoch it implies). ``brian2_target`` is Brian2's
    code-generation target.
    """
    X, labels, _, source = training_images(
        max(n_images, long_images), data_home, random_state
    )
    network = STDPSpikingTransformer(n_excitatory, random_state=random_state)
    X_same = X[:n_images]
    weights, delays = initial_state(network, X.shape[1])
    record = {
        "network": {
            "estimator": "STDPSpikingTransformer",
            "params": {k: v for k, v in network.get_params().items() if k != "stdp"},
            "stdp": "STDPRule.diehl_cook()",
            "inputs": X.shape[1],
            "input_synapses": int(weights.size),
        },
        "images": {
            "source": source,
            "n_images": n_images,
            "labels": labels[:n_images].tolist(),
        },  # fmt: skip
    }
    ours = {}
    for dtype in ("float32", "float64"):
        net = clone(network).set_params(dtype=dtype)
        seconds, construction, trained, spikes, presentations = simulate_ours(
            net, X_same, repeats
        )
        ours[dtype] = {
            "dtype": dtype,
            "ms_per_presentation": 1e3 * seconds / presentations.sum(),
            "construction_ms": 1e3 * construction,
            "presentations": int(presentations.sum()),
            "best_of_repeats": repeats,
            "excitatory_spikes_per_image": spikes.tolist(),
        }
        ours[dtype].update(
            trained=trained, _spikes=spikes, _presentations=presentations
        )
    start = time.perf_counter()
    long = clone(network).partial_fit(X)
    long_seconds = (
        time.perf_counter() - start - ours["float32"]["construction_ms"] / 1e3
    )
    record["ours_long_run"] = {
        "n_images": len(X),
        "presentations": int(long.n_presentations_),
        "ms_per_presentation": 1e3 * long_seconds / long.n_presentations_,
        "ms_per_image": 1e3 * long_seconds / len(X),
        "minutes_per_60000_images": long_seconds / len(X) * 60000 / 60,
    }
    try:
        _import_brian2()
    except Exception as error:  # ImportError, or brian2 2.9 with numpy >= 2.4
        brian = None
        record["brian2"] = (
            f"not importable ({type(error).__name__}: {error}): skipped; "
            "pip install 'skbio-plastic[reference]'"
        )
    else:
        brian, counts = simulate_brian2(
            network, ours["float64"]["trained"], X_same, weights, delays, brian2_target
        )
        n_presentations = counts["presentations"].sum()
        steady = brian["seconds"] - brian["n_runs"] * brian["run_overhead_seconds"]
        brian["presentations"] = int(n_presentations)
        brian["ms_per_presentation"] = 1e3 * brian["seconds"] / n_presentations
        brian["ms_per_presentation_without_run_overhead"] = (
            1e3 * steady / n_presentations
        )
        record["brian2"] = brian
        ms_ours = ours["float32"]["ms_per_presentation"]
        record["speedup_vs_brian2"] = (
            brian["ms_per_presentation_without_run_overhead"] / ms_ours
        )
        record["speedup_vs_brian2_with_run_calls"] = (
            brian["ms_per_presentation"] / ms_ours
        )
        brian_spikes = counts["excitatory"].sum(axis=1)
        record["spike_count_agreement"] = {
            f"ours_{dtype}_vs_brian2": _agreement(ours[dtype]["_spikes"], brian_spikes)
            for dtype in ours
        }
        record["spike_count_agreement"]["presentations_equal_float64"] = bool(
            np.array_equal(counts["presentations"], ours["float64"]["_presentations"])
        )
        events = (
            counts["input"] * n_excitatory
            + counts["excitatory_all"] * (X.shape[1] + 1)
            + counts["inhibitory_all"] * (n_excitatory - 1)
        )
        record["synaptic_events_per_presentation"] = events / n_presentations
        record["ours_synaptic_events_per_second"] = events / (
            ms_ours * 1e-3 * n_presentations
        )
    for entry in ours.values():
        del entry["trained"], entry["_spikes"], entry["_presentations"]
    record["ours"], record["ours_float64"] = ours["float32"], ours["float64"]
    return record


def summary(record):
    """Lines that ``bench speed`` prints for the Diehl & Cook record."""
    ours, params = record["ours"], record["network"]["params"]
    long = record["ours_long_run"]
    lines = [
        f"diehl-cook ({params['n_excitatory']} excitatory neurons, "
        f"{record['images']['n_images']} images): ours "
        f"{ours['ms_per_presentation']:.2f} ms per presentation (float32), "
        f"{record['ours_float64']['ms_per_presentation']:.2f} ms (float64); "
        f"{long['ms_per_presentation']:.2f} ms over {long['n_images']} images, "
        f"{long['minutes_per_60000_images']:.1f} min per 60,000 images",
    ]
    brian = record["brian2"]
    if not isinstance(brian, dict):
        return lines + [f"  brian2 {brian}"]
    agree = record["spike_count_agreement"]["ours_float32_vs_brian2"]
    return lines + [
        f"  brian2 {brian['version']} ({brian['code_object']}): "
        f"{brian['ms_per_presentation_without_run_overhead']:.0f} ms per "
        f"presentation without its run calls' overhead "
        f"({record['speedup_vs_brian2']:.0f}x), {brian['ms_per_presentation']:.0f}"
        f" ms with it ({record['speedup_vs_brian2_with_run_calls']:.0f}x)",
        f"  {record['synaptic_events_per_presentation']:.3g} synaptic events per "
        f"presentation, ours {record['ours_synaptic_events_per_second']:.3g} per s",
        f"  excitatory spikes per image, ours (float32) vs brian2: "
        f"{agree['spikes_per_image'][0]:.2f} vs {agree['spikes_per_image'][1]:.2f}, "
        f"{100 * agree['mean_relative_difference']:.1f} % apart",
    ]
