"""Short-term plasticity: first release, steady state of regular trains, numpy."""

import math

import numpy as np
import pytest

from skbio_plastic._kernels.short_term import (
    DEPRESSING,
    FACILITATING,
    deliver_dense_scaled,
    stp_release,
)

PRESETS = {"depressing": DEPRESSING, "facilitating": FACILITATING}


def at_rest(n):
    """``(u, x, last)`` of ``n`` neurons that never spiked."""
    return np.zeros(n), np.ones(n), np.full(n, -np.inf)


def regular_train(params, rate, n_spikes):
    """``(r, u, x)`` after each spike of one neuron firing regularly at ``rate`` Hz."""
    u, x, last = at_rest(1)
    released = np.empty(1)
    spikes = np.zeros(1, dtype=np.int32)
    history = []
    for k in range(n_spikes):
        stp_release(
            spikes,
            1,
            k * 1000.0 / rate,
            u,
            x,
            last,
            params["U"],
            params["tau_rec"],
            params["tau_facil"],
            released,
        )
        history.append((released[0], u[0], x[0]))
    return np.array(history)


def steady_state(U, tau_rec, tau_facil, rate):
    """Fixed point of the spike-to-spike map for a period ``T = 1000 / rate`` ms.

    Between spikes ``u`` decays by ``f = exp(-T / tau_facil)`` and the
    depletion ``1 - x`` by ``d = exp(-T / tau_rec)``; at a spike
    ``u <- u + U (1 - u)``, ``r = u x``, ``x <- x - r``. So ``u* = u* f + U
    (1 - u* f)`` and, for ``x`` just before a spike, ``x* = 1 - (1 - x* (1 -
    u*)) d``.
    """
    period = 1000.0 / rate
    f = math.exp(-period / tau_facil) if tau_facil else 0.0
    d = math.exp(-period / tau_rec)
    u = U / (1 - (1 - U) * f)
    x_before = (1 - d) / (1 - (1 - u) * d)
    return u * x_before, u, x_before * (1 - u)


@pytest.mark.parametrize("name", PRESETS)
def test_first_spike_releases_U(name):
    first = regular_train(PRESETS[name], 20.0, 1)[0]
    U = PRESETS[name]["U"]
    np.testing.assert_allclose(first, [U, U, 1 - U])  # r = U * 1, u = U, x = 1 - U


@pytest.mark.parametrize("name", PRESETS)
@pytest.mark.parametrize("rate", [1.0, 5.0, 20.0, 50.0, 100.0])
def test_regular_train_reaches_the_analytic_steady_state(name, rate):
    params = PRESETS[name]
    history = regular_train(params, rate, 600)
    expected = steady_state(**params, rate=rate)
    np.testing.assert_allclose(history[-1], expected, rtol=1e-12)
    U = params["U"]
    if name == "depressing":  # each release smaller than the one before
        assert np.all(np.diff(history[:, 0]) <= 1e-15) and expected[0] < U
    elif rate >= 5.0:  # the second release is larger than the first
        assert history[1, 0] > history[0, 0] == pytest.approx(U)


def test_no_facilitation_keeps_u_at_U():
    history = regular_train(DEPRESSING, 40.0, 50)
    np.testing.assert_allclose(history[:, 1], DEPRESSING["U"], rtol=1e-15)


def test_one_step_matches_numpy_reference():
    rng = np.random.RandomState(0)
    n, t = 8, 250.0
    u, x = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
    last = np.append(rng.uniform(0, t, n - 1), -np.inf)  # the last one never spiked
    U, tau_rec, tau_facil = 0.2, 300.0, 600.0
    spikes = np.array([0, 3, 7], dtype=np.int32)
    # the reference: relax from the last spike, facilitate, release, deplete
    elapsed = t - last[spikes]
    u_ref = u[spikes] * np.exp(-elapsed / tau_facil)
    x_ref = 1 - (1 - x[spikes]) * np.exp(-elapsed / tau_rec)
    u_ref = u_ref + U * (1 - u_ref)
    r_ref = u_ref * x_ref
    x_ref = x_ref - r_ref
    untouched = np.setdiff1d(np.arange(n), spikes)
    before = u.copy(), x.copy(), last.copy()
    released = np.empty(3)
    stp_release(spikes, 3, t, u, x, last, U, tau_rec, tau_facil, released)
    np.testing.assert_allclose(released, r_ref, rtol=1e-12)
    np.testing.assert_allclose(u[spikes], u_ref, rtol=1e-12)
    np.testing.assert_allclose(x[spikes], x_ref, rtol=1e-12)
    np.testing.assert_array_equal(last[spikes], t)
    for now, then in zip((u, x, last), before, strict=True):
        np.testing.assert_array_equal(now[untouched], then[untouched])
    assert released[-1] == U  # from rest: x = 1, u = U


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scaled_delivery_matches_numpy(dtype):
    rng = np.random.RandomState(1)
    weights = rng.normal(size=(6, 4)).astype(dtype)
    v = rng.normal(size=4).astype(dtype)
    spikes, scale = np.array([2, 5, 2], np.int32), np.array([0.5, 0.25, 0.1])
    expected = v + scale @ weights[spikes].astype(np.float64)
    deliver_dense_scaled(spikes, 3, scale, weights, v)
    np.testing.assert_allclose(v, expected, rtol=1e-6 if dtype == np.float32 else 1e-12)
