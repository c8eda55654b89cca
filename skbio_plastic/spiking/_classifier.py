"""Illing, Gerstner & Brea's spiking l-RP / l-RG network as a classifier."""

import copy
import math
import numbers
import time
import warnings

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._epochs import epoch_learning_rate
from .._progress import Progress
from .._sklearn_compat import (
    Interval,
    StrOptions,
    _check_partial_fit_first_call,
    fit_context,
)
from .._validation import (
    DTYPE_CONSTRAINT,
    check_classes,
    check_unchanged,
    resolve_dtype,
    user_stacklevel,
    warn_if_large_scale,
)
from ..gabor import RandomGabor
from ..random_features import LocalizedRandomProjection
from ..receptive_fields import resolve_patch_size
from ._network import INTEGRATORS, FeedForwardLIF, _steps, decay_factor

__all__ = ["SpikingLIFClassifier", "hidden_weights_mv"]

# Hidden weights in mV (Illing et al.'s spiking networks): l-RP in-patch
# weights of standard deviation RP_SCALE / sqrt(inputs per patch), l-RG
# filters of L1 norm RG_L1; readout weights of standard deviation
# READOUT_SCALE / sqrt(n_hidden).
RP_SCALE = 20.0
RG_L1 = 40.0
READOUT_SCALE = 20.0

# Images per call of the compiled training loop (progress lines and
# divergence checks come between calls), and per test-time task.
_TRAIN_CHUNK = 256
_TEST_CHUNK = 64
# Seconds between two progress lines at verbose=1 (every chunk at verbose>1).
_PROGRESS_EVERY = 10.0

# Parameters the network is built from: they cannot change between
# partial_fit calls.
_STRUCTURE = (
    "front_end",
    "tau_m",
    "tau_trace",
    "threshold",
    "threshold_jitter",
    "bias_current",
    "dt",
    "delay",
    "refractory",
    "input_mean",
    "input_encoding",
    "method",
    "dtype",
)


def hidden_weights_mv(front_end):
    """Input -> hidden weights (mV) of the spiking network, from a fitted front end.

    - :class:`~skbio_plastic.LocalizedRandomProjection` (l-RP): the front
      end's ``components_`` rescaled so that the in-patch weights have the
      standard deviation ``20 / sqrt(n0)`` mV, where ``n0`` is the number of
      inputs per patch (``patch_size**2 * channels``; every input with
      ``patch_size=None``). The front end draws them with the standard
      deviation ``weight_scale`` (default ``sqrt(1 / n0)``), so the factor is
      ``20 / sqrt(n0) / weight_scale`` (20 with the default). On 28 x 28
      MNIST with 10 x 10 patches this is Illing et al.'s ``20 / sqrt(784)``
      rescaled by ``L / p = 28 / 10``: 2 mV.
    - :class:`~skbio_plastic.RandomGabor` (l-RG): each row divided by its L1
      norm and multiplied by 40 mV (Illing et al.'s ``40 *`` the
      L1-normalised Gabor), whatever the front end's ``amplitude``.

    The front end's biases (``intercept_``) are not used.

    Parameters
    ----------
    front_end : LocalizedRandomProjection or RandomGabor
        Fitted.

    Returns
    -------
    weights : ndarray of shape (n_components, n_features)
        float64, zero outside each unit's patch.

    Examples
    --------
    >>> import numpy as np
    >>> from skbio_plastic import LocalizedRandomProjection
    >>> from skbio_plastic.spiking import hidden_weights_mv
    >>> lrp = LocalizedRandomProjection(2000, patch_size=10, random_state=0)
    >>> W = hidden_weights_mv(lrp.fit(np.zeros((1, 784))))
    >>> round(float(W[W != 0].std()), 1)  # 20 / sqrt(100) mV
    2.0
    """
    if not isinstance(front_end, (RandomGabor, LocalizedRandomProjection)):
        raise TypeError(
            "front_end must be a LocalizedRandomProjection or a RandomGabor, got "
            f"{type(front_end).__name__}."
        )
    weights = np.asarray(front_end.components_, dtype=np.float64)
    if isinstance(front_end, RandomGabor):
        norms = np.abs(weights).sum(axis=1, keepdims=True)
        return weights * (RG_L1 / np.where(norms > 0, norms, 1.0))
    channels = front_end.image_shape_[2]
    patch_height, patch_width = resolve_patch_size(
        front_end.patch_size, front_end.image_shape_
    )
    n0 = patch_height * patch_width * channels
    scale = front_end.weight_scale
    if scale is None:
        scale = math.sqrt(1.0 / n0)
    return weights * (RP_SCALE / math.sqrt(n0) / scale)


class SpikingLIFClassifier(ClassifierMixin, BaseEstimator):
    """Spiking l-RP / l-RG network of LIF neurons with a local trace-rule readout.

    Illing, Gerstner & Brea's spiking network (2019): one input neuron per
    pixel, a layer of hidden neurons with fixed localized weights (random
    Gaussian, l-RP, or random Gabor, l-RG) and one output neuron per class,
    all leaky integrate-and-fire neurons ``tau_m dv/dt = -v + I`` (mV, ms)
    with thresholds ``threshold + U[0, threshold_jitter]`` (one draw per
    neuron), reset to 0 mV, and delta synapses: a spike adds its weight (mV)
    to the voltage of its targets ``delay`` ms later.

    - Inputs: pixel neuron ``i`` gets the constant current
      ``input_offset + input_gain * (x_i - mean_i)`` (``20 + 500 *
      x_centred`` mV by default), where ``mean_`` is the per-pixel training
      mean (test images are centred with it too); pixels at or below their
      mean keep it silent, brighter pixels make it fire regularly (up to
      about 1 kHz). Hidden and output neurons get ``bias_current`` (20 mV,
      just under threshold).
    - Hidden weights: ``components_`` of the front end, rescaled to mV as
      :func:`hidden_weights_mv` describes (l-RP: in-patch standard deviation
      ``20 / sqrt(n0)`` mV, 2 mV on MNIST; l-RG: each filter of L1 norm 40
      mV). The front end's biases are not used. Only the hidden units whose
      patch contains a pixel receive its spikes.
    - Readout: initial weights ``N(0, (20 / sqrt(n_hidden))**2)`` mV. Each
      output keeps a trace ``tau_trace dtr/dt = -tr + sum_f delta(t - t_f)``,
      which reads its rate in kHz. At each arrival of a spike of hidden neuron
      ``j`` every readout weight ``w[i, j] += learning_rate * (tgt_i - tr_i)``
      with ``tgt_i = target_rate / 1000`` for the output of the image's class
      and 0 for the others: on average a delta rule on the rates, local to
      each synapse.

    Training presents each image for ``t_transient`` ms with plasticity off,
    then ``t_learn`` ms with the rule, without resetting any state between
    images. Testing holds each image for ``t_test`` ms and counts the output
    spikes of the last ``t_count`` ms; the class of the output with most
    spikes wins, ties going to the first such class of ``classes_`` (and an
    image without output spikes to ``classes_[0]``). Every test image starts
    from the same state, the network's state at the end of training
    (voltages, traces, spikes in flight), so its prediction does not depend on
    the other images: test images are simulated in parallel (``n_jobs``
    threads) and ``partial_fit`` after ``predict`` continues from the
    training state.

    Parameters
    ----------
    front_end : LocalizedRandomProjection, RandomGabor or None, default=None
        Where the hidden weights come from. An unfitted front end is cloned
        and fitted on ``X`` (set its ``random_state`` for reproducible
        weights); a fitted one is copied as it is (its ``n_features_in_``
        must match ``X``). ``None`` is
        ``LocalizedRandomProjection(n_components=5000, patch_size=10)``
        seeded from ``random_state``: the paper's spiking l-RP on square
        images. For l-RG, the paper's spiking network used the reference
        code's generic Gabor ranges for ``p x p`` patches
        (``wavelength_range=(p / 4, 2 p), phase_max=2 pi,
        sigma_range=(p / 8, p)``).
    n_epochs : int, default=10
        Passes over the training set in ``fit``. The paper trained for 10^6
        presentations (about 17 epochs of MNIST).
    learning_rate : float, default=2e-4
        Step of the readout rule, in mV per hidden-spike arrival and kHz of
        rate error (the paper's ``eta``). 0 freezes the readout.
    learning_rate_decay : float, default=0.0
        Epoch ``e`` (counted from 0: the epochs of ``fit``, then one per
        ``partial_fit`` call) learns with ``learning_rate / (1 +
        learning_rate_decay * e)``. The paper keeps the rate constant (0).
    target_rate : float, default=500.0
        Target rate (Hz) of the output of the image's class during learning;
        the others are trained toward 0 Hz. The paper's 0.5 kHz. The rule
        reads the trace at the arrivals of hidden spikes, which the output's
        own spikes tend to follow, when the trace is lowest: the learned rate
        settles above the target (about 600 Hz for 500 Hz in the tests).
    tau_m : float, default=25.0
        Membrane time constant (ms) of every neuron.
    tau_trace : float, default=20.0
        Time constant (ms) of the output traces.
    threshold : float, default=20.0
        Lowest firing threshold (mV); the reset voltage is 0 mV.
    threshold_jitter : float, default=1.0
        Each neuron's threshold is ``threshold + U[0, threshold_jitter]`` mV.
    bias_current : float, default=20.0
        Constant input (mV) of the hidden and output neurons.
    input_offset : float, default=20.0
        Input current (mV) of a pixel at its training mean.
    input_gain : float, default=500.0
        Input current (mV) per unit of centred pixel value.
    dt : float, default=0.05
        Time step (ms). The reference code's step; 0.1 ms runs about 25 %
        faster (fewer neuron updates; the synaptic events are the same).
    delay : float, default=0.1
        Synaptic delay (ms), a whole number (at least 1) of steps.
    refractory : float, default=0.0
        Refractory period (ms), a whole number of steps; none in the paper.
    t_transient, t_learn : float, default=100.0, 50.0
        Durations (ms) of each training image's window without and with
        plasticity.
    t_test, t_count : float, default=200.0, 100.0
        Duration (ms) of each test image and of the final window in which its
        output spikes are counted.
    input_encoding : {"on", "on-off"}, default="on"
        ``"on"``: one input neuron per pixel, silent at or below the pixel's
        mean (the paper). ``"on-off"``: two input neurons per pixel, like the
        ON and OFF cells of the retina: the ON neuron as above and an OFF
        neuron with the current ``input_offset - input_gain * (x_i -
        mean_i)`` and the negated weights of its ON partner, so that a hidden
        unit is driven by the pixels' signed deviations, darker pixels
        included (as the rate model's ``W @ x_centred``). OFF neurons are the
        inputs ``n_features`` to ``2 n_features - 1`` of ``network_``.
    input_mean : array-like of shape (n_features,) or None, default=None
        Per-pixel mean subtracted from the inputs. ``None``: the mean of the
        ``X`` given to ``fit`` or to the first ``partial_fit`` call. Give the
        training set's mean to stream it through ``partial_fit`` in chunks
        exactly as one call would.
    shuffle : bool, default=True
        ``fit`` presents the images in a new random order each epoch
        (``partial_fit`` always in the given order).
    method : {"exact", "grid", "euler"}, default="exact"
        Integrator (:class:`FeedForwardLIF`): ``"exact"`` decays voltages and
        traces exactly over each step and places the resets of the regularly
        firing input neurons at their exact crossing times, so input rates
        are exact; ``"euler"`` is the reference code's forward Euler.
    dtype : {"float32", "float64"}, default="float32"
        Precision of voltages, weights and traces.
    n_jobs : int or None, default=None
        Threads simulating test images in parallel (joblib's convention:
        ``None`` is 1, -1 all cores). Training is sequential, as the rule
        requires.
    random_state : int, RandomState instance or None, default=None
        Seed of the thresholds, the initial readout, the shuffling and (with
        ``front_end=None``) the hidden weights.
    verbose : int, default=0
        Print progress during training: images presented, elapsed time, time
        left, images per second and the mean output rates (Hz) of the
        labelled and of the other outputs during the learning windows. One
        line every 10 s and at the end of each epoch; every 256 images with
        ``verbose > 1``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, one output neuron each.
    front_end_ : LocalizedRandomProjection or RandomGabor
        The fitted front end the hidden weights come from.
    mean_ : ndarray of shape (n_features,)
        Per-pixel mean subtracted from the inputs.
    network_ : FeedForwardLIF
        The network and its state (voltages, traces, spikes in flight, the
        readout weights: ``network_.readout_weights()``, mV, shape
        ``(n_classes, n_hidden)``). ``partial_fit`` continues from it.
    n_iter_ : int
        Epochs run by ``fit``, plus one per later ``partial_fit`` call.
    n_presentations_ : int
        Training images presented so far.
    label_rate_curve_, other_rate_curve_ : list of float
        Mean rate (Hz), during the learning windows of each epoch or
        ``partial_fit`` call, of the output of the image's class and of the
        other outputs.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    FeedForwardLIF : the simulator behind this classifier.
    LocalDeltaClassifier : the rate-based readout of the same front ends.

    Notes
    -----
    ``X`` holds pixels in [0, 1] (``X / 255`` for 8-bit images). ``fit``
    warns when the root mean square of ``X`` exceeds 1, which such pixels
    cannot, and every method raises a ``ValueError`` before simulating when
    an input current would reach the rate of one spike per step (about
    10,000 mV at ``dt=0.05``: any image in 0-255 does), which the simulation
    cannot represent.

    Speed on MNIST with 5000 hidden units and ``dt=0.05``, measured on 2
    shared cores: about 6 ms per training image (150 ms of network time),
    about 6 minutes per epoch of 60,000 images, and 7.5 ms per test image
    (200 ms) in each of the ``n_jobs`` threads.

    The paper's settings (``learning_rate=2e-4`` constant, ``"on"`` inputs)
    leave the readout far from converged after its 10^6 presentations
    (97.73 % for l-RG on MNIST). ``RandomGabor``'s default ranges,
    ``input_encoding="on-off"``, ``learning_rate=1.6e-3`` and
    ``learning_rate_decay=0.1`` reach 98.62 % in the same 17 epochs
    (``dt=0.1``); the same settings give l-RP 98.18 %.

    References
    ----------
    B. Illing, W. Gerstner, J. Brea. Biologically plausible deep learning - but
    how far can we go with shallow networks? Neural Networks 118 (2019) 90-101.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skbio_plastic import LocalizedRandomProjection, SpikingLIFClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> clf = SpikingLIFClassifier(
    ...     LocalizedRandomProjection(1000, patch_size=4, random_state=0),
    ...     n_epochs=1, learning_rate=1e-2, dt=0.1, t_transient=20, t_learn=20,
    ...     t_test=70, t_count=50, random_state=0)
    >>> clf.fit(X[:1000], y[:1000]).score(X[1000:], y[1000:]) > 0.75
    True
    >>> hidden, output = clf.spike_counts(X[:2])
    >>> hidden.shape, output.shape
    ((2, 1000), (2, 10))
    """

    _parameter_constraints: dict = {
        "front_end": [LocalizedRandomProjection, RandomGabor, None],
        "n_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="left")],
        "learning_rate_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "target_rate": [Interval(numbers.Real, 0, None, closed="left")],
        "tau_m": [Interval(numbers.Real, 0, None, closed="neither")],
        "tau_trace": [Interval(numbers.Real, 0, None, closed="neither")],
        "threshold": [Interval(numbers.Real, 0, None, closed="neither")],
        "threshold_jitter": [Interval(numbers.Real, 0, None, closed="left")],
        "bias_current": [Interval(numbers.Real, None, None, closed="neither")],
        "input_offset": [Interval(numbers.Real, None, None, closed="neither")],
        "input_gain": [Interval(numbers.Real, 0, None, closed="neither")],
        "dt": [Interval(numbers.Real, 0, None, closed="neither")],
        "delay": [Interval(numbers.Real, 0, None, closed="neither")],
        "refractory": [Interval(numbers.Real, 0, None, closed="left")],
        "t_transient": [Interval(numbers.Real, 0, None, closed="left")],
        "t_learn": [Interval(numbers.Real, 0, None, closed="neither")],
        "t_test": [Interval(numbers.Real, 0, None, closed="neither")],
        "t_count": [Interval(numbers.Real, 0, None, closed="neither")],
        "input_mean": ["array-like", None],
        "input_encoding": [StrOptions({"on", "on-off"})],
        "shuffle": ["boolean"],
        "method": [StrOptions(set(INTEGRATORS))],
        "dtype": DTYPE_CONSTRAINT,
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        front_end=None,
        *,
        n_epochs=10,
        learning_rate=2e-4,
        learning_rate_decay=0.0,
        target_rate=500.0,
        tau_m=25.0,
        tau_trace=20.0,
        threshold=20.0,
        threshold_jitter=1.0,
        bias_current=20.0,
        input_offset=20.0,
        input_gain=500.0,
        dt=0.05,
        delay=0.1,
        refractory=0.0,
        t_transient=100.0,
        t_learn=50.0,
        t_test=200.0,
        t_count=100.0,
        input_mean=None,
        input_encoding="on",
        shuffle=True,
        method="exact",
        dtype="float32",
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.front_end = front_end
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.learning_rate_decay = learning_rate_decay
        self.target_rate = target_rate
        self.tau_m = tau_m
        self.tau_trace = tau_trace
        self.threshold = threshold
        self.threshold_jitter = threshold_jitter
        self.bias_current = bias_current
        self.input_offset = input_offset
        self.input_gain = input_gain
        self.dt = dt
        self.delay = delay
        self.refractory = refractory
        self.t_transient = t_transient
        self.t_learn = t_learn
        self.t_test = t_test
        self.t_count = t_count
        self.input_mean = input_mean
        self.input_encoding = input_encoding
        self.shuffle = shuffle
        self.method = method
        self.dtype = dtype
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit
    @fit_context
    def fit(self, X, y):
        """Build the network and train its readout for ``n_epochs`` epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Images as rows of pixels in [0, 1].
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : SpikingLIFClassifier
        """
        X, y = self._validate_training_data(X, y, reset=True)
        self.classes_ = check_classes(self, y)
        rng = check_random_state(self.random_state)
        self._build(X, rng)
        labels = np.searchsorted(self.classes_, y)
        progress = Progress(
            self, self.n_epochs * X.shape[0], unit="image", verbose=self.verbose
        )
        for epoch in range(self.n_epochs):
            order = rng.permutation(X.shape[0]) if self.shuffle else None
            self._train(X, labels, order, progress, epoch * X.shape[0])
        self._warn_if_silent()
        return self

    @fit_context
    def partial_fit(self, X, y, classes=None):
        """Present ``X`` once, in the given order, continuing from the current state.

        The first call builds the network (as ``fit`` does, without training
        epochs); later calls continue exactly where the previous call, or
        ``fit``, stopped, also after a pickle round trip. Parameters changed
        with ``set_params`` since the last call take effect, except those the
        network is built from (front end, neuron constants, ``dt``, ``delay``,
        ``input_mean``, ``method``, ``dtype``), which raise a ``ValueError``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Images as rows of pixels in [0, 1].
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            Every class of the problem (at least 2); required on the first
            call.

        Returns
        -------
        self : SpikingLIFClassifier
        """
        if classes is not None:
            check_classes(self, classes, given_to_partial_fit=True)
        first_call = _check_partial_fit_first_call(self, classes)
        try:
            X, y = self._validate_training_data(X, y, reset=first_call)
            unseen = np.setdiff1d(y, self.classes_)
            if unseen.size:
                raise ValueError(
                    f"y contains labels {unseen.tolist()} that are not in classes="
                    f"{self.classes_.tolist()} given at the first call of "
                    "partial_fit."
                )
            if first_call:
                self._build(X, check_random_state(self.random_state))
        except Exception:
            if first_call:  # the next call is the first one again
                del self.classes_
            raise
        if not first_call:
            current = {name: getattr(self, name) for name in _STRUCTURE}
            check_unchanged(self, self._structure, current)
        progress = Progress(self, X.shape[0], unit="image", verbose=self.verbose)
        self._train(X, np.searchsorted(self.classes_, y), None, progress, 0)
        return self

    def _validate_training_data(self, X, y, reset):
        X, y = validate_data(
            self, X, y, reset=reset, dtype=[np.float32, np.float64], order="C"
        )
        check_classification_targets(y)
        if reset:
            warn_if_large_scale(X, self, limit=1.0, expected="pixels in [0, 1]")
        return X, y

    def _build(self, X, rng):
        """Front end, input mean, thresholds, readout and a fresh network.

        Every check (windows, input range, front end) comes before anything
        is simulated, and the fitted attributes are set only once all passed.
        """
        structure = {name: getattr(self, name) for name in _STRUCTURE}
        dtype = resolve_dtype(self.dtype)
        n_features = X.shape[1]
        _steps(self.t_transient, self.dt, "t_transient")
        _steps(self.t_learn, self.dt, "t_learn")
        self._test_steps(self.dt)
        if self.input_mean is None:
            mean = X.mean(axis=0, dtype=np.float64)
        else:
            mean = np.asarray(self.input_mean, dtype=np.float64)
            if mean.shape != (n_features,) or not np.all(np.isfinite(mean)):
                raise ValueError(
                    f"input_mean must hold one finite value per feature "
                    f"({n_features}), got shape {mean.shape}."
                )
        self._check_input_range(X, mean, structure)
        front_end = self._fitted_front_end(X, rng)
        weights = hidden_weights_mv(front_end)
        n_hidden = weights.shape[0]
        n_inputs = n_features
        if self.input_encoding == "on-off":
            weights = np.hstack([weights, -weights])
            n_inputs = 2 * n_features
        n_outputs = len(self.classes_)
        theta = [
            self.threshold + self.threshold_jitter * rng.random_sample(n)
            for n in (n_inputs, n_hidden, n_outputs)
        ]
        readout = rng.normal(
            scale=READOUT_SCALE / math.sqrt(n_hidden), size=(n_outputs, n_hidden)
        )
        self.network_ = FeedForwardLIF(
            weights,
            readout,
            theta_input=theta[0],
            theta_hidden=theta[1],
            theta_output=theta[2],
            i_hidden=self.bias_current,
            i_output=self.bias_current,
            tau_m=self.tau_m,
            tau_trace=self.tau_trace,
            dt=self.dt,
            delay=self.delay,
            refractory=self.refractory,
            v_reset=0.0,
            method=self.method,
            dtype=dtype,
        )
        self._structure = structure
        self.mean_ = mean
        self.front_end_ = front_end
        self.n_iter_ = 0
        self.n_presentations_ = 0
        self.label_rate_curve_ = []
        self.other_rate_curve_ = []

    def _fitted_front_end(self, X, rng):
        """The user's fitted front end (a copy), or a clone fitted on ``X``."""
        if self.front_end is None:
            front_end = LocalizedRandomProjection(
                n_components=5000,
                patch_size=10,
                random_state=rng.randint(np.iinfo(np.int32).max),
            )
        else:
            front_end = self.front_end
            try:
                check_is_fitted(front_end)
            except NotFittedError:
                pass
            else:
                if front_end.n_features_in_ != X.shape[1]:
                    raise ValueError(
                        f"front_end {type(front_end).__name__} was fitted on rows "
                        f"of {front_end.n_features_in_} features (image_shape_="
                        f"{front_end.image_shape_}), but X has {X.shape[1]} "
                        "features."
                    )
                return copy.deepcopy(front_end)
            front_end = clone(front_end)
        try:
            return front_end.fit(X)
        except ValueError as error:
            raise ValueError(
                f"front_end {type(front_end).__name__} cannot be fitted on X: {error}"
            ) from None

    def _check_input_range(self, X, mean, structure):
        """Clear error when an input neuron would fire at every step.

        ``structure`` holds the parameters the network is built with.
        """
        dt = structure["dt"]
        decay = decay_factor(dt, structure["tau_m"], structure["method"])
        ceiling = structure["threshold"] / (1.0 - decay)
        if X.shape[0] == 0:
            return
        peak = float(np.max(X.max(axis=0) - mean))
        if structure["input_encoding"] == "on-off":
            peak = max(peak, float(np.max(mean - X.min(axis=0))))
        current = self.input_offset + self.input_gain * peak
        if current >= ceiling:
            raise ValueError(
                f"{type(self).__name__} expects pixels in [0, 1] (X / 255 for "
                f"8-bit images), but X has values in [{float(X.min()):.4g}, "
                f"{float(X.max()):.4g}]: "
                f"input currents (input_offset + input_gain * (x - mean_)) reach "
                f"{current:.4g} mV, beyond the {ceiling:.4g} mV at which an input "
                f"neuron fires at every step of dt={dt} ms."
            )

    def _currents(self, X):
        """Input currents (mV) of the rows of ``X``, in the network's dtype."""
        deviations = self.input_gain * (X - self.mean_)
        if self._structure["input_encoding"] == "on-off":
            deviations = np.hstack([deviations, -deviations])
        currents = self.input_offset + deviations
        return currents.astype(self.network_.dtype, copy=False)

    def _train(self, X, labels, order, progress, done_before):
        """Present the rows ``order`` of ``X`` (all rows in order if None).

        ``done_before`` images of ``progress`` came before this call.
        """
        n_samples = X.shape[0]
        rows = np.arange(n_samples) if order is None else order
        learning_rate = epoch_learning_rate(
            self.learning_rate, self.learning_rate_decay, self.n_iter_
        )
        target = self.target_rate / 1000.0  # Hz -> kHz, the unit of the traces
        label_spikes = other_spikes = 0
        start = last_line = time.perf_counter()
        progress_done = done_before
        for begin in range(0, n_samples, _TRAIN_CHUNK):
            chunk = rows[begin : begin + _TRAIN_CHUNK]
            counts = self.network_.present(
                self._currents(X[chunk]),
                labels[chunk],
                self.t_transient,
                self.t_learn,
                learning_rate=learning_rate,
                target=target,
            )
            if not np.all(np.isfinite(self.network_.hidden_output)):
                raise ValueError(
                    "The readout diverged (non-finite weights); reduce "
                    f"learning_rate (currently {learning_rate:.3g})."
                )
            on_label = counts[np.arange(len(chunk)), labels[chunk]].sum()
            label_spikes += on_label
            other_spikes += counts.sum() - on_label
            self.n_presentations_ += len(chunk)
            progress_done += len(chunk)
            now = time.perf_counter()
            last = begin + _TRAIN_CHUNK >= n_samples
            if progress.verbose and (
                last or progress.verbose > 1 or now - last_line >= _PROGRESS_EVERY
            ):
                seen = begin + len(chunk)
                progress.update(
                    progress_done,
                    images_per_s=seen / (now - start),
                    label_rate=f"{self._rate(label_spikes, seen):.0f} Hz",
                    other_rate=f"{self._rate(other_spikes, seen * (len(self.classes_) - 1)):.0f} Hz",  # noqa: E501
                )
                last_line = now
        self.n_iter_ += 1
        self.label_rate_curve_.append(self._rate(label_spikes, n_samples))
        self.other_rate_curve_.append(
            self._rate(other_spikes, n_samples * (len(self.classes_) - 1))
        )

    def _rate(self, spikes, windows):
        """Mean rate (Hz) of ``spikes`` over ``windows`` learning windows."""
        return 1000.0 * spikes / max(windows * self.t_learn, 1e-300)

    def _warn_if_silent(self):
        if self.label_rate_curve_[-1] == 0 and self.other_rate_curve_[-1] == 0:
            warnings.warn(
                f"No output neuron of {type(self).__name__} fired during the "
                "last epoch's learning windows. Increase learning_rate, "
                "n_epochs or t_learn, or check the inputs (with input_encoding="
                "'on', only pixels above their training mean drive the network).",
                ConvergenceWarning,
                stacklevel=user_stacklevel(),
            )

    # -------------------------------------------------------------- predict
    def _test_steps(self, dt):
        """Steps of a test image before and during the counting window."""
        if self.t_count > self.t_test:
            raise ValueError(
                f"t_count={self.t_count} ms must not exceed t_test={self.t_test} ms."
            )
        _steps(self.t_test, dt, "t_test")
        _steps(self.t_count, dt, "t_count")
        return self.t_test - self.t_count, self.t_count

    def _respond(self, X, hidden):
        """Output (and hidden) spike counts of the rows of ``X``, in parallel."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float32, np.float64])
        network = self.network_
        self._check_input_range(X, self.mean_, self._structure)
        settle, count = self._test_steps(network.dt)

        def block(rows):
            return network.respond(
                self._currents(X[rows]), settle, count, hidden=hidden
            )

        blocks = [
            slice(start, start + _TEST_CHUNK)
            for start in range(0, X.shape[0], _TEST_CHUNK)
        ]
        n_jobs = min(effective_n_jobs(self.n_jobs), max(len(blocks), 1))
        if n_jobs == 1:
            results = [block(rows) for rows in blocks]
        else:
            results = Parallel(n_jobs=n_jobs, prefer="threads")(
                delayed(block)(rows) for rows in blocks
            )
        if not hidden:
            if not results:
                return np.zeros((0, len(self.classes_)), dtype=np.int64)
            return np.concatenate(results)
        if not results:
            return (
                np.zeros((0, network.sizes[1]), dtype=np.int32),
                np.zeros((0, len(self.classes_)), dtype=np.int64),
            )
        return (
            np.concatenate([hidden_counts for _, hidden_counts in results]),
            np.concatenate([output_counts for output_counts, _ in results]),
        )

    def spike_counts(self, X):
        """Hidden and output spike counts of each image in its counting window.

        Each image is simulated as in :meth:`predict` (``t_test`` ms from the
        state at the end of training); spikes are counted during the last
        ``t_count`` ms.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        hidden : ndarray of shape (n_samples, n_hidden), int32
            Spikes of each hidden unit (in the order of ``front_end_``'s
            components).
        output : ndarray of shape (n_samples, n_classes), int64
            Spikes of each output neuron.
        """
        return self._respond(X, hidden=True)

    def spike_trains(self, x):
        """Spike times of every neuron for one image, simulated as in :meth:`predict`.

        The image is held for ``t_test`` ms from the state at the end of
        training, on a copy of the network (which is not modified).

        Parameters
        ----------
        x : array-like of shape (n_features,) or (1, n_features)
            One image.

        Returns
        -------
        inputs, hidden, outputs : tuple of (times, neurons)
            For each population, the spike times (ms from the image's onset)
            and the indices of the neurons that fired (inputs: pixels, then
            the OFF neurons with ``input_encoding="on-off"``; hidden: the
            order of ``front_end_``'s components; outputs: ``classes_``), in
            time order.
        """
        check_is_fitted(self)
        x = np.asarray(x)
        X = validate_data(
            self, x.reshape(1, -1) if x.ndim == 1 else x, reset=False,
            dtype=[np.float32, np.float64],
        )  # fmt: skip
        if X.shape[0] != 1:
            raise ValueError(f"spike_trains takes one image, got {X.shape[0]}.")
        self._check_input_range(X, self.mean_, self._structure)
        network = copy.deepcopy(self.network_)
        network._writeable()
        _, trains = network.run(self.t_test, i_input=self._currents(X)[0], record=True)
        return trains

    def predict_proba(self, X):
        """Share of each output neuron in the output spikes of the counting window.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Output spike counts divided by their sum; uniform for an image
            without output spikes.
        """
        counts = self._respond(X, hidden=False).astype(np.float64)
        totals = counts.sum(axis=1, keepdims=True)
        uniform = np.full_like(counts, 1.0 / counts.shape[1])
        return np.divide(counts, totals, out=uniform, where=totals > 0)

    def predict(self, X):
        """Class of the output neuron with most spikes in the counting window.

        Ties go to the first tied class of ``classes_`` (an image without
        output spikes to ``classes_[0]``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        counts = self._respond(X, hidden=False)
        return self.classes_[np.argmax(counts, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags
