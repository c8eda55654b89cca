"""Diehl & Cook's (2015) unsupervised STDP network and its label-assignment readout."""

import math
import numbers
import time
import warnings

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from .._kernels.diehl_cook import (
    poisson_trains,
    presentation_seed,
    respond_images,
    row_seeds,
    train_images,
)
from .._progress import Progress
from .._sklearn_compat import (
    Interval,
    StrOptions,
    _check_partial_fit_first_call,
    fit_context,
)
from .._validation import (
    DTYPE_CONSTRAINT,
    check_unchanged,
    preserved_dtypes,
    resolve_dtype,
    user_stacklevel,
)
from ._network import _steps
from .encoders import SpikeTrains
from .stdp import STDPRule

__all__ = ["LabelAssignmentClassifier", "STDPSpikingTransformer", "NEURONS"]

#: Neuron constants of Diehl & Cook's code (mV, ms): excitatory ("e") and
#: inhibitory ("i") conductance-based LIF neurons. The excitatory threshold is
#: ``threshold + theta - theta_offset`` with ``theta`` starting at
#: ``theta_offset`` (so at -52 mV) and adapting.
NEURONS = {
    "e": dict(
        tau=100.0, v_rest=-65.0, v_reset=-65.0, threshold=-52.0, v_init=-105.0,
        e_exc=0.0, e_inh=-100.0, tau_ge=1.0, tau_gi=2.0, refractory=5.0,
        theta_offset=20.0,
    ),
    "i": dict(
        tau=10.0, v_rest=-60.0, v_reset=-45.0, threshold=-40.0, v_init=-100.0,
        e_exc=0.0, e_inh=-85.0, tau_ge=1.0, tau_gi=2.0, refractory=2.0,
    ),
}  # fmt: skip

# Images per call of the compiled training loop (progress lines and checks
# come between calls), and per test-time task.
_TRAIN_CHUNK = 100
_TEST_CHUNK = 32
# Seconds between two progress lines at verbose=1 (every chunk at verbose>1).
_PROGRESS_EVERY = 10.0
# Step of a pre trace that never saw a spike (its value is 0 anyway).
_NEVER = -(1 << 60)
# Separates the seeds of test presentations from those of training.
_TEST_DOMAIN = 0x5DEECE66D

# Parameters the network is built from: they cannot change between
# partial_fit calls.
_STRUCTURE = ("n_excitatory", "dt", "max_delay", "delays", "init_scale", "dtype")


def _stdp_rule(stdp):
    rule = STDPRule.diehl_cook() if stdp is None else stdp
    if rule.a0 != 0.0:
        raise ValueError(
            f"stdp.a0={rule.a0} is not supported by STDPSpikingTransformer (a drift "
            "of every weight at every step); use a0=0."
        )
    for name in ("tau_plus", "tau_minus", "tau_triplet"):
        value = getattr(rule, name)
        if value is not None and not value > 0.0:
            raise ValueError(f"stdp.{name} must be positive, got {value}.")
    return rule


class STDPSpikingTransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                             BaseEstimator):  # fmt: skip
    """Diehl & Cook's spiking network: features learned by STDP, spike counts out.

    Poisson inputs (one per feature, at ``pixel * 63.75`` Hz) drive
    ``n_excitatory`` conductance-based LIF neurons through plastic,
    delayed synapses; each excitatory neuron excites one inhibitory neuron,
    which inhibits every other excitatory neuron (a soft winner-take-all),
    and excitatory thresholds rise by ``theta_plus`` at each spike (slow
    decay): homeostasis that shares the images among the neurons. ``fit``
    presents each image for ``t_present`` ms, then ``t_rest`` ms without
    input, with STDP on the input weights (Diehl & Cook's nearest-spike rule
    with its triplet term, :meth:`STDPRule.diehl_cook`), normalising each
    neuron's input weights to sum to ``weight_sum`` before every
    presentation; an image that makes fewer than ``min_spikes`` excitatory
    spikes is presented again ``rate_step`` Hz stronger. No labels are used.
    ``transform`` counts each excitatory neuron's spikes during the
    presentation of each image, with plasticity off and thresholds fixed:
    the features of the paper's label-assignment readout
    (:class:`LabelAssignmentClassifier`).

    The model is the authors' code (Brian 1, peter-u-diehl/stdp-mnist):
    ``100 dv/dt = (-65 - v) + ge (0 - v) + gi (-100 - v)`` (excitatory, reset
    -65 mV, refractory 5 ms, threshold ``-52 + theta - 20`` mV with
    ``theta`` from 20 mV), ``10 dv/dt = (-60 - v) + ge (0 - v) + gi (-85 -
    v)`` (inhibitory, threshold -40, reset -45, refractory 2 ms), ``ge`` and
    ``gi`` decaying with 1 and 2 ms, forward Euler at ``dt`` as Brian
    integrates these equations; the constants are in :data:`NEURONS`.

    With the same input trains (:meth:`input_trains`), weights and delays,
    ``fit`` gives Brian 2 running these equations (``method="euler"``, the
    default schedule) spike for spike, and the same weights (tested). Brian
    2's own example of this paper differs in one respect: its threshold also
    waits for a ``timer`` that blocks an excitatory neuron for 50 ms after
    each spike (its reading of the authors' ``dtimer/dt = 100.0 : ms``, a
    no-op in Brian 1's SI units).

    Differences from the authors' protocol, all on purpose:

    - ``transform`` starts every image from the resting state (``v`` at
      rest, no conductance, no queued spike) instead of the state left by
      the previous image after 150 ms of rest; so the counts of an image do
      not depend on the others, images run in parallel (``n_jobs``), and no
      rest is simulated at test. Its input trains are a function of the
      image and ``random_state``: ``transform`` is deterministic.
    - re-presentations stop after ``max_retries`` (the authors' loop has no
      limit and never ends on a blank image).
    - a forward-Euler step never takes ``v`` beyond the reversal potentials
      (:mod:`~skbio_plastic._kernels.conductance`). Where Euler is stable
      this changes nothing; at ``dt = 0.5`` ms it is unstable once 12
      inhibitory neurons fire in the same step, which synchronous firing
      causes (seen with ``delays="input"`` and 400 neurons: Euler alone then
      made every neuron fire at its maximum rate).

    Parameters
    ----------
    n_excitatory : int, default=400
        Excitatory (and inhibitory) neurons. The paper used 100, 400, 1600
        and 6400 (95 % with 6400); 400 is its code's default and trains one
        MNIST epoch in minutes.
    n_epochs : int, default=1
        Passes over the training images in ``fit``. The authors' script
        trains 400 neurons for 3 passes, larger networks for more.
    dt : float, default=0.5
        Time step (ms), the authors' value; at most 1 ms (forward Euler of
        the 1 ms excitatory conductances).
    t_present, t_rest : float, default=350.0, 150.0
        Presentation of an image and rest without input after it (ms), whole
        numbers of steps.
    max_rate : float, default=63.75
        Input rate (Hz) of a pixel of value 1: the paper's ``pixel / 4`` Hz
        for 0-255 pixels.
    rate_step : float, default=31.875
        Added to ``max_rate`` at each re-presentation (the paper's +32 Hz).
    min_spikes : int, default=5
        An image is presented again while the excitatory neurons fire fewer
        spikes than this during its presentation.
    max_retries : int, default=10
        Re-presentations of an image at most.
    weight_sum : float or None, default=78.0
        Each excitatory neuron's input weights are scaled to this sum before
        every training presentation; None: no normalisation.
    stdp : STDPRule, default=None
        Plasticity of the input weights; None is
        :meth:`STDPRule.diehl_cook` (nearest-spike traces of 20 ms, triplet
        term of 40 ms, ``a_plus = 1e-2``, ``a_minus = 1e-4``, weights in
        [0, 1]). Any rule without drift (``a0 = 0``).
    theta_plus : float, default=0.05
        Threshold increase (mV) per excitatory spike, during training.
    tau_theta : float, default=1e7
        Decay time constant (ms) of the thresholds during training.
    w_ei, w_ie : float, default=10.4, 17.0
        Excitatory -> inhibitory (one-to-one) and inhibitory -> excitatory
        (all but self) weights, added to the target's conductance.
    max_delay : float, default=10.0
        Input synapse delays are drawn uniformly in ``[0, max_delay]`` ms and
        rounded to whole steps (as Brian rounds them).
    delays : {"synapse", "input"}, default="synapse"
        ``"synapse"``: one delay per synapse, the paper's model (a spike
        reaches the excitatory neurons at different times; pre traces per
        synapse, of the arrivals). ``"input"``: one delay per input neuron,
        shared by its synapses: each excitatory neuron sees the same
        statistics (each input's train is still a Poisson train, shifted),
        but an input reaches all of them at once, which correlates them.
        Faster (whole weight rows vectorise: 2-4 times per presentation),
        and in our MNIST runs with 100 neurons more accurate after one
        epoch; not the paper's model.
    init_scale : float, default=0.3
        Initial weights ``init_scale * (U[0, 1) + 0.01)``.
    dtype : {"float32", "float64"}, default="float32"
        Weights and outputs; neuron states and thresholds are float64.
    shuffle : bool, default=False
        Shuffle the images before each epoch of ``fit`` (the paper does not).
    n_jobs : int, default=None
        Threads of ``transform`` (images are independent there).
    random_state : int, RandomState instance or None, default=None
        Initial weights, delays and every Poisson train.
    verbose : int, default=0
        Progress lines during training (images per second, time left, mean
        excitatory spikes per image, share of images presented again).

    Attributes
    ----------
    weights_ : ndarray of shape (n_features_in_, n_excitatory)
        Input -> excitatory weights; column ``i`` is neuron ``i``'s receptive
        field (reshape it to the image to see a digit prototype). As left by
        the last presentation (they are normalised before the next one).
        ``components_`` is its transpose, one row per neuron.
    theta_ : ndarray of shape (n_excitatory,)
        Adaptive threshold variable (mV, float64): the threshold is
        ``-52 + theta_ - 20`` mV.
    delays_ : ndarray of shape (n_features_in_,) or (n_features_in_, n_excitatory)
        Input synapse delays (ms), per input or per synapse.
    n_iter_ : int
        Passes over training data (epochs of ``fit`` and calls of
        ``partial_fit``).
    n_images_seen_ : int
        Training images presented (re-presentations not counted).
    n_presentations_ : int
        Training presentations, re-presentations included.
    spikes_per_image_curve_ : list of float
        Mean excitatory spikes per training image (its last presentation) in
        each pass.
    retry_fraction_curve_ : list of float
        Share of the training images presented more than once, each pass.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        When ``X`` has string column names.

    See Also
    --------
    LabelAssignmentClassifier : the paper's readout of the spike counts.
    STDPRule : the plasticity rule.

    References
    ----------
    P. U. Diehl and M. Cook (2015). Unsupervised learning of digit recognition
    using spike-timing-dependent plasticity. Front. Comput. Neurosci. 9:99.

    Examples
    --------
    >>> import numpy as np
    >>> from skbio_plastic.spiking import STDPSpikingTransformer
    >>> X = np.random.RandomState(0).uniform(0.0, 0.3, size=(20, 784))
    >>> network = STDPSpikingTransformer(n_excitatory=10, random_state=0).fit(X)
    >>> network.weights_.shape, network.n_images_seen_
    ((784, 10), 20)
    >>> network.transform(X[:3]).shape
    (3, 10)

    In a Pipeline with the paper's readout:
    ``make_pipeline(STDPSpikingTransformer(100), LabelAssignmentClassifier())``.
    """

    _parameter_constraints: dict = {
        "n_excitatory": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "dt": [Interval(numbers.Real, 0, 1, closed="right")],
        "t_present": [Interval(numbers.Real, 0, None, closed="neither")],
        "t_rest": [Interval(numbers.Real, 0, None, closed="left")],
        "max_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "rate_step": [Interval(numbers.Real, 0, None, closed="left")],
        "min_spikes": [Interval(numbers.Integral, 0, None, closed="left")],
        "max_retries": [Interval(numbers.Integral, 0, None, closed="left")],
        "weight_sum": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "stdp": [STDPRule, None],
        "theta_plus": [Interval(numbers.Real, 0, None, closed="left")],
        "tau_theta": [Interval(numbers.Real, 0, None, closed="neither")],
        "w_ei": [Interval(numbers.Real, 0, None, closed="left")],
        "w_ie": [Interval(numbers.Real, 0, None, closed="left")],
        "max_delay": [Interval(numbers.Real, 0, None, closed="left")],
        "delays": [StrOptions({"synapse", "input"})],
        "init_scale": [Interval(numbers.Real, 0, None, closed="left")],
        "dtype": DTYPE_CONSTRAINT,
        "shuffle": ["boolean"],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_excitatory=400,
        *,
        n_epochs=1,
        dt=0.5,
        t_present=350.0,
        t_rest=150.0,
        max_rate=63.75,
        rate_step=31.875,
        min_spikes=5,
        max_retries=10,
        weight_sum=78.0,
        stdp=None,
        theta_plus=0.05,
        tau_theta=1e7,
        w_ei=10.4,
        w_ie=17.0,
        max_delay=10.0,
        delays="synapse",
        init_scale=0.3,
        dtype="float32",
        shuffle=False,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.n_excitatory = n_excitatory
        self.n_epochs = n_epochs
        self.dt = dt
        self.t_present = t_present
        self.t_rest = t_rest
        self.max_rate = max_rate
        self.rate_step = rate_step
        self.min_spikes = min_spikes
        self.max_retries = max_retries
        self.weight_sum = weight_sum
        self.stdp = stdp
        self.theta_plus = theta_plus
        self.tau_theta = tau_theta
        self.w_ei = w_ei
        self.w_ie = w_ie
        self.max_delay = max_delay
        self.delays = delays
        self.init_scale = init_scale
        self.dtype = dtype
        self.shuffle = shuffle
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit
    @fit_context
    def fit(self, X, y=None):
        """Build a fresh network and train it on ``X`` for ``n_epochs`` passes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Images as rows of pixels in [0, 1].
        y : None
            Ignored: the learning is unsupervised.

        Returns
        -------
        self : STDPSpikingTransformer
        """
        X = self._validate_pixels(X, reset=True)
        rng = check_random_state(self.random_state)
        self._build(X.shape[1], rng)
        progress = Progress(
            self, self.n_epochs * X.shape[0], unit="image", verbose=self.verbose
        )
        for epoch in range(self.n_epochs):
            order = rng.permutation(X.shape[0]) if self.shuffle else None
            self._train(X, order, progress, epoch * X.shape[0])
        return self

    @fit_context
    def partial_fit(self, X, y=None):
        """Present ``X`` once, in order, continuing from the current state.

        The first call builds the network; later calls continue exactly
        where the previous call, or ``fit``, stopped, also after a pickle
        round trip (``joblib.dump`` between calls is a checkpoint). Changed
        parameters take effect, except those the network is built from
        (``n_excitatory``, ``dt``, ``max_delay``, ``delays``, ``init_scale``,
        ``dtype``, and whether ``stdp`` has a triplet term), which raise a
        ``ValueError``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Images as rows of pixels in [0, 1].
        y : None
            Ignored.

        Returns
        -------
        self : STDPSpikingTransformer
        """
        first_call = not hasattr(self, "weights_")
        X = self._validate_pixels(X, reset=first_call)
        if first_call:
            self._build(X.shape[1], check_random_state(self.random_state))
        else:
            check_unchanged(self, self._structure, self._current_structure())
        progress = Progress(self, X.shape[0], unit="image", verbose=self.verbose)
        self._train(X, None, progress, 0)
        return self

    def _validate_pixels(self, X, reset):
        X = validate_data(self, X, reset=reset, dtype=np.float64, order="C")
        if not X.flags.writeable:  # one compiled kernel: writeable C arrays
            X = X.copy()
        if X.size and X.min() < 0.0:
            raise ValueError(
                f"Negative values in data passed to {type(self).__name__} (min "
                f"{X.min():.4g}): it expects pixels in [0, 1] (input rates pixel * "
                "max_rate)."
            )
        peak = float(X.max()) if X.size else 0.0
        ceiling = 1000.0 / (self.dt * self.max_rate)
        if peak > ceiling:
            raise ValueError(
                f"{type(self).__name__} expects pixels in [0, 1], but X has values up "
                f"to {peak:.4g}: input rates (X * max_rate = {peak * self.max_rate:.4g}"
                f" Hz) exceed one spike per step of dt={self.dt} ms. Divide 8-bit "
                "pixels by 255."
            )
        if peak > 1.0:
            warnings.warn(
                f"{type(self).__name__} expects inputs of order 1 (pixels in [0, 1]),"
                f" but X has values up to {peak:.4g}: inputs fire up to "
                f"{peak * self.max_rate:.4g} Hz instead of at most max_rate="
                f"{self.max_rate} Hz.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
        return X

    def _steps(self):
        """``(n_present, n_rest, max_delay)`` in steps, validated."""
        return (
            _steps(self.t_present, self.dt, "t_present", minimum=1),
            _steps(self.t_rest, self.dt, "t_rest"),
            int(round(self.max_delay / self.dt)),
        )

    def _build(self, n_features, rng):
        """Fresh network: weights, delays, neuron state, seeds (the paper's start)."""
        rule = _stdp_rule(self.stdp)
        self._steps()
        dtype = resolve_dtype(self.dtype)
        n = self.n_excitatory
        max_steps = int(round(self.max_delay / self.dt))
        weights = self.init_scale * (rng.random_sample((n_features, n)) + 0.01)
        per_synapse = self.delays == "synapse"
        shape = (n_features, n) if per_synapse else (n_features,)
        delay_steps = np.rint(rng.uniform(0.0, self.max_delay, shape) / self.dt)
        delay_steps = np.clip(delay_steps, 0, max_steps).astype(np.int64)
        self._seed = int(rng.randint(1 << 31)) << 31 | int(rng.randint(1 << 31))
        self.weights_ = weights.astype(dtype)
        self.delays_ = delay_steps * self.dt
        self.theta_ = np.full(n, NEURONS["e"]["theta_offset"], dtype=np.float64)
        e, i = NEURONS["e"], NEURONS["i"]
        columns = n if per_synapse else 1
        self._state = {
            "v_e": np.full(n, e["v_init"]),
            "ge_e": np.zeros(n),
            "gi_e": np.zeros(n),
            "refractory_e": np.zeros(n, dtype=np.int64),
            "v_i": np.full(n, i["v_init"]),
            "ge_i": np.zeros(n),
            "gi_i": np.zeros(n),
            "refractory_i": np.zeros(n, dtype=np.int64),
            "pre_value": np.zeros((n_features, columns)),
            "pre_last": np.full((n_features, columns), _NEVER, dtype=np.int64),
            "post1": np.zeros(n),
            "post2": np.zeros(n if rule.tau_triplet is not None else 0),
            "ring": np.zeros((max_steps + 1, self._capacity(n_features)), np.int64),
            "ring_count": np.zeros(max_steps + 1, dtype=np.int64),
            "clock": np.zeros(1, dtype=np.int64),
        }
        self._delay_layout = self._layout(delay_steps, n, max_steps)
        self._structure = self._current_structure()
        self.n_iter_ = 0
        self.n_images_seen_ = 0
        self.n_presentations_ = 0
        self.spikes_per_image_curve_ = []
        self.retry_fraction_curve_ = []

    def _capacity(self, n_features):
        """Width of the arrival ring: entries one slot may hold."""
        if self.delays == "synapse":
            return n_features * (int(round(self.max_delay / self.dt)) + 1)
        return n_features

    @staticmethod
    def _layout(delay_steps, n, max_steps):
        """``(order, ptr)`` of the kernels: targets of each input by delay."""
        n_features = delay_steps.shape[0]
        buckets = np.arange(max_steps + 2)
        if delay_steps.ndim == 1:
            order = np.zeros((0, 0), dtype=np.int32)
            ptr = np.where(buckets[None, :] <= delay_steps[:, None], 0, n)
            return order, ptr.astype(np.int64)
        order = np.argsort(delay_steps, axis=1, kind="stable").astype(np.int32)
        ordered = np.take_along_axis(delay_steps, order, axis=1)
        ptr = np.empty((n_features, max_steps + 2), dtype=np.int64)
        for j in range(n_features):
            ptr[j] = np.searchsorted(ordered[j], buckets, side="left")
        return order, ptr

    def _current_structure(self):
        """The values of ``_STRUCTURE`` now, and whether the rule has a triplet term."""
        structure = {name: getattr(self, name) for name in _STRUCTURE}
        structure["stdp.tau_triplet is not None"] = (
            _stdp_rule(self.stdp).tau_triplet is not None
        )
        return structure

    def _consts(self):
        """The kernels' constant tuples, from the current parameters."""
        rule = _stdp_rule(self.stdp)
        dt = float(self.dt)
        e, i = NEURONS["e"], NEURONS["i"]

        def neuron(p):
            return (
                dt / p["tau"], p["v_rest"], p["e_exc"], p["e_inh"],
                1.0 - dt / p["tau_ge"], 1.0 - dt / p["tau_gi"],
            )  # fmt: skip

        def refractory_steps(p):  # Brian's timestep(): floor, with a tolerance
            return int(p["refractory"] / dt + 1e-3)

        e_fire = (e["threshold"] - e["theta_offset"], e["v_reset"], refractory_steps(e))
        i_fire = (i["threshold"], i["v_reset"], refractory_steps(i))
        n_table = int(math.ceil(40.0 * rule.tau_plus / dt)) + 1
        table = np.exp(-np.arange(n_table) * (dt / rule.tau_plus))
        post2_decay = (
            0.0 if rule.tau_triplet is None else math.exp(-dt / rule.tau_triplet)
        )
        stdp = (
            float(rule.a_plus), float(rule.a_minus), float(rule.a1_pre),
            float(rule.a1_post), bool(rule.nearest), math.exp(-dt / rule.tau_minus),
            post2_decay, table, dt / rule.tau_plus,
        )  # fmt: skip
        bounds = (float(rule.w_min), float(rule.w_max), float(rule.mu))
        return (
            neuron(e),
            e_fire,
            neuron(i),
            i_fire,
            (float(self.theta_plus), 1.0 - dt / self.tau_theta),
            (float(self.w_ei), float(self.w_ie)),
            stdp,
            bounds,
        )

    def _protocol(self):
        n_present, n_rest, _ = self._steps()
        return (
            n_present,
            n_rest,
            int(self.min_spikes),
            int(self.max_retries),
            float(self.max_rate),
            float(self.rate_step),
            float(self.dt),
            0.0 if self.weight_sum is None else float(self.weight_sum),
        )

    def _kernel_state(self):
        """``(excit, inhib, plastic, queue, delays)`` views of the network state.

        Read-only arrays (a pickle loaded with ``mmap_mode``) are replaced by
        writeable copies first.
        """
        for name in ("weights_", "theta_"):
            if not getattr(self, name).flags.writeable:
                setattr(self, name, getattr(self, name).copy())
        for key, value in self._state.items():
            if not value.flags.writeable:
                self._state[key] = value.copy()
        self._delay_layout = tuple(
            a if a.flags.writeable else a.copy() for a in self._delay_layout
        )
        s, n = self._state, self.n_excitatory
        excit = (
            s["v_e"], s["ge_e"], s["gi_e"], s["refractory_e"],
            np.zeros(n, dtype=np.bool_), np.empty(n, dtype=np.int64), self.theta_,
        )  # fmt: skip
        inhib = (
            s["v_i"], s["ge_i"], s["gi_i"], s["refractory_i"],
            np.zeros(n, dtype=np.bool_), np.empty(n, dtype=np.int64),
        )  # fmt: skip
        plastic = (self.weights_, s["pre_value"], s["pre_last"], s["post1"], s["post2"])
        n_features = self.weights_.shape[0]
        queue = (s["ring"], s["ring_count"], s["clock"], np.empty(n_features, np.int64))
        order, ptr = self._delay_layout
        delays = (order, ptr, np.empty(n_features, dtype=np.float64))
        return excit, inhib, plastic, queue, delays

    def _train(self, X, order, progress, done_before):
        """Present the rows ``order`` of ``X`` (all in order if None), learning."""
        n_samples = X.shape[0]
        consts, protocol = self._consts(), self._protocol()
        state = self._kernel_state()
        spikes = retried = silent = 0
        start = last_line = time.perf_counter()
        for begin in range(0, n_samples, _TRAIN_CHUNK):
            rows = slice(begin, begin + _TRAIN_CHUNK)
            chunk = X[rows] if order is None else X[order[rows]]
            counts = np.zeros((chunk.shape[0], self.n_excitatory), dtype=np.int32)
            events = np.zeros((chunk.shape[0], 4), dtype=np.int64)
            train_images(
                chunk, np.uint64(self._seed), self.n_images_seen_, protocol, *state,
                consts, counts, events,
            )  # fmt: skip
            if not np.all(np.isfinite(self.weights_)):
                raise ValueError(
                    "The input weights became non-finite; check stdp and weight_sum."
                )
            self.n_images_seen_ += chunk.shape[0]
            self.n_presentations_ += int(events[:, 3].sum())
            spikes += int(counts.sum())
            retried += int(np.count_nonzero(events[:, 3] > 1))
            silent += int(np.count_nonzero(counts.sum(axis=1) < self.min_spikes))
            now = time.perf_counter()
            seen = begin + chunk.shape[0]
            if progress.verbose and (
                seen == n_samples
                or progress.verbose > 1
                or now - last_line >= _PROGRESS_EVERY
            ):
                progress.update(
                    done_before + seen,
                    images_per_s=seen / (now - start),
                    spikes_per_image=spikes / seen,
                    presented_again=f"{100.0 * retried / seen:.1f} %",
                )
                last_line = now
        if silent:
            warnings.warn(
                f"{silent} of {n_samples} training images made fewer than min_spikes="
                f"{self.min_spikes} excitatory spikes even after max_retries="
                f"{self.max_retries} stronger presentations (blank images never "
                "do); raise max_retries or rate_step, or check the images.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
        self.n_iter_ += 1
        self.spikes_per_image_curve_.append(spikes / max(n_samples, 1))
        self.retry_fraction_curve_.append(retried / max(n_samples, 1))

    # ------------------------------------------------------------ transform
    def transform(self, X):
        """Excitatory spike counts of each image, plasticity off, thresholds fixed.

        Each image starts from the resting state and is presented for
        ``t_present`` ms (again, stronger, while it fires fewer than
        ``min_spikes``, as in training); images run in parallel over
        ``n_jobs`` threads.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Images as rows of pixels in [0, 1].

        Returns
        -------
        counts : ndarray of shape (n_samples, n_excitatory)
            Spikes of each excitatory neuron during the image's last
            presentation, in ``dtype``.
        """
        counts, _ = self._respond(X)
        return counts.astype(resolve_dtype(self.dtype))

    def _respond(self, X):
        """Counts and events (:func:`respond_images`) of the rows of ``X``."""
        check_is_fitted(self)
        X = self._validate_pixels(X, reset=False)
        seeds = row_seeds(X, np.uint64(self._seed ^ _TEST_DOMAIN))
        consts, protocol = self._consts(), self._protocol()
        e, i = NEURONS["e"], NEURONS["i"]
        rest = (e["v_rest"], i["v_rest"])
        # one compiled kernel: writeable arrays (a memmap-loaded pickle has
        # read-only ones), copied here without changing the estimator
        weights, theta, order, ptr = (
            a if a.flags.writeable else a.copy()
            for a in (self.weights_, self.theta_, *self._delay_layout)
        )
        capacity = self._capacity(X.shape[1])

        def block(rows):
            counts = np.zeros((rows.stop - rows.start, self.n_excitatory), np.int32)
            events = np.zeros((rows.stop - rows.start, 4), dtype=np.int64)
            if counts.shape[0]:
                respond_images(
                    X[rows], seeds[rows], protocol, rest, weights, theta,
                    (order, ptr), consts, capacity, counts, events,
                )  # fmt: skip
            return counts, events

        blocks = [
            slice(start, min(start + _TEST_CHUNK, X.shape[0]))
            for start in range(0, X.shape[0], _TEST_CHUNK)
        ]
        n_jobs = min(effective_n_jobs(self.n_jobs), max(len(blocks), 1))
        if n_jobs == 1:
            results = [block(rows) for rows in blocks]
        else:
            results = Parallel(n_jobs=n_jobs, prefer="threads")(
                delayed(block)(rows) for rows in blocks
            )
        return (
            np.concatenate([c for c, _ in results]),
            np.concatenate([ev for _, ev in results]),
        )

    def input_trains(self, x, *, image_index=None, retry=0):
        """The Poisson input trains of one presentation, as the network draws them.

        Parameters
        ----------
        x : array-like of shape (n_features,)
            One image (pixels in [0, 1]).
        image_index : int, default=None
            Training image number (``n_images_seen_`` when it is presented):
            the trains of that training presentation; None: the trains
            ``transform`` gives this image.
        retry : int, default=0
            Presentation number of the image (0: the first).

        Returns
        -------
        SpikeTrains
            ``t_present`` ms of input spikes.
        """
        check_is_fitted(self)
        x = np.ascontiguousarray(x, dtype=np.float64).reshape(1, -1)
        if image_index is None:
            base = row_seeds(x, np.uint64(self._seed ^ _TEST_DOMAIN))[0]
            seed = presentation_seed(base, 0, retry)
        else:
            seed = presentation_seed(np.uint64(self._seed), image_index, retry)
        rate = self.max_rate + retry * self.rate_step
        p = np.minimum(x[0] * rate * self.dt / 1000.0, 1.0)
        step_ptr, neurons = poisson_trains(p, self._steps()[0], np.uint64(seed))
        return SpikeTrains(step_ptr, neurons, x.shape[1], float(self.dt))

    @property
    def components_(self):
        """``weights_.T``: one row of input weights per excitatory neuron.

        The layout of this package's front ends, for
        :func:`~skbio_plastic.plotting.plot_receptive_fields`.
        """
        return self.weights_.T

    @property
    def _n_features_out(self):
        return self.n_excitatory

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.requires_fit = True
        preserved = preserved_dtypes(self.dtype)
        if preserved is not None:
            tags.transformer_tags.preserves_dtype = preserved
        return tags


class LabelAssignmentClassifier(ClassifierMixin, BaseEstimator):
    """Diehl & Cook's readout: neurons labelled by the class they respond to most.

    ``fit`` averages each feature (an excitatory neuron's spike count) over
    the training samples of each class and assigns the feature to the class
    of the highest average; a feature that never responds (highest average
    0) is left unassigned. A sample is classified by the class whose
    assigned features have the highest mean value. Only counting and
    averaging: nothing is optimised, and ``partial_fit`` accumulates the
    class averages over calls.

    The paper assigns the labels from the responses of the trained network
    to training images (the authors' demo used the test images, which
    inflates its accuracy); in a Pipeline after
    :class:`STDPSpikingTransformer` this is what ``fit`` does.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_means_ : ndarray of shape (n_classes, n_features)
        Mean of each feature over the training samples of each class.
    assignments_ : ndarray of shape (n_features,), int
        Index into ``classes_`` of each feature's class; -1: unassigned.
    class_counts_ : ndarray of shape (n_classes,)
        Training samples per class.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        When ``X`` has string column names.

    See Also
    --------
    STDPSpikingTransformer : the network whose spike counts this reads.

    Examples
    --------
    >>> import numpy as np
    >>> from skbio_plastic.spiking import LabelAssignmentClassifier
    >>> counts = np.array([[5, 0, 1], [4, 1, 0], [0, 3, 2], [1, 5, 4]])
    >>> clf = LabelAssignmentClassifier().fit(counts, ["a", "a", "b", "b"])
    >>> clf.assignments_
    array([0, 1, 1])
    >>> clf.predict([[3, 0, 0], [0, 2, 2]])
    array(['a', 'b'], dtype='<U1')
    >>> clf.predict_proba([[3, 0, 0], [0, 2, 2]])
    array([[1., 0.],
           [0., 1.]])
    """

    _parameter_constraints: dict = {}

    def __init__(self):
        pass

    @fit_context
    def fit(self, X, y):
        """Average the features per class and assign each feature a class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Non-negative responses (spike counts).
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : LabelAssignmentClassifier
        """
        X, y = self._validate_training_data(X, y, reset=True)
        self.classes_ = unique_labels(y)
        self._sums = np.zeros((len(self.classes_), X.shape[1]))
        self.class_counts_ = np.zeros(len(self.classes_), dtype=np.int64)
        self._accumulate(X, y)
        return self

    @fit_context
    def partial_fit(self, X, y, classes=None):
        """Add ``(X, y)`` to the class averages and assign the features again.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Non-negative responses (spike counts).
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            Every class of the problem; required on the first call.

        Returns
        -------
        self : LabelAssignmentClassifier
        """
        first_call = _check_partial_fit_first_call(self, classes)
        X, y = self._validate_training_data(X, y, reset=first_call)
        unseen = np.setdiff1d(y, self.classes_)
        if unseen.size:
            raise ValueError(
                f"y contains labels {unseen.tolist()} that are not in classes="
                f"{self.classes_.tolist()} given at the first call of partial_fit."
            )
        if first_call:
            self._sums = np.zeros((len(self.classes_), X.shape[1]))
            self.class_counts_ = np.zeros(len(self.classes_), dtype=np.int64)
        self._accumulate(X, y)
        return self

    def _validate_training_data(self, X, y, reset):
        X, y = validate_data(self, X, y, reset=reset, dtype=np.float64)
        check_classification_targets(y)
        self._check_non_negative(X)
        return X, y

    def _check_non_negative(self, X):
        if X.size and X.min() < 0.0:
            raise ValueError(
                f"Negative values in data passed to {type(self).__name__} (min "
                f"{X.min():.4g}): it reads non-negative responses (spike counts)."
            )

    def _accumulate(self, X, y):
        labels = np.searchsorted(self.classes_, y)
        np.add.at(self._sums, labels, X)
        self.class_counts_ += np.bincount(labels, minlength=len(self.classes_))
        seen = np.maximum(self.class_counts_, 1)[:, None]
        self.class_means_ = self._sums / seen
        best = np.argmax(self.class_means_, axis=0)  # first class among ties
        responds = self.class_means_.max(axis=0) > 0.0
        self.assignments_ = np.where(responds, best, -1)

    def _class_scores(self, X):
        """Mean of each class's assigned features, 0 for a class without any."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        self._check_non_negative(X)
        n_classes = len(self.classes_)
        member = self.assignments_[:, None] == np.arange(n_classes)[None, :]
        sizes = member.sum(axis=0)
        return X @ (member / np.maximum(sizes, 1))

    def predict_proba(self, X):
        """Class scores (mean of each class's features) normalised to sum 1.

        Uniform for a sample without any response.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        scores = self._class_scores(X)
        totals = scores.sum(axis=1, keepdims=True)
        uniform = np.full_like(scores, 1.0 / scores.shape[1])
        return np.divide(scores, totals, out=uniform, where=totals > 0)

    def predict(self, X):
        """The class whose assigned features have the highest mean value.

        Ties go to the first tied class of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        scores = self._class_scores(X)
        return self.classes_[np.argmax(scores, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.classifier_tags.poor_score = True
        return tags
