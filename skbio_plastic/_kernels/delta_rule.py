"""The local delta rule of a one-layer readout, one epoch per call.

Output unit ``j`` computes ``a_j = W_j . x + b_j`` and changes its weights by
``eta * delta_j * x`` where ``delta_j`` depends only on its own activation and
target (a local, post-synaptic error times pre-synaptic activity).
"""

import math

import numpy as np
from numba import njit

from . import FASTMATH
from .optimizers import adam_update

SQUARED_RELU = 0
SQUARED_LINEAR = 1
SOFTMAX = 2
POWER_TANH = 3


@njit(cache=True, fastmath=FASTMATH)
def output_error(a, label, loss, beta, power, delta):
    """Write the local error ``-dL/da`` of one sample into ``delta``; return ``L``.

    ``loss`` is one of the module's codes. Targets are one-hot {0, 1} for the
    squared and softmax losses and {-1, +1} for Krotov's power/tanh loss
    ``sum_j |tanh(beta a_j) - t_j| ** power``.
    """
    n_out = a.shape[0]
    value = 0.0
    if loss == SOFTMAX:
        top = a[0]
        for j in range(1, n_out):
            top = max(top, a[j])
        norm = 0.0
        for j in range(n_out):
            delta[j] = math.exp(a[j] - top)
            norm += delta[j]
        for j in range(n_out):
            delta[j] = -delta[j] / norm
        value = -math.log(max(-delta[label], 1e-30))
        delta[label] += 1.0
    elif loss == POWER_TANH:
        for j in range(n_out):
            target = 1.0 if j == label else -1.0
            c = math.tanh(beta * a[j])
            err = target - c
            mag = abs(err)
            value += mag**power
            delta[j] = power * err * mag ** (power - 2.0) * (1.0 - c * c) * beta
    else:
        for j in range(n_out):
            target = 1.0 if j == label else 0.0
            active = loss == SQUARED_LINEAR or a[j] > 0.0
            err = target - (a[j] if active else 0.0)
            value += 0.5 * err * err
            delta[j] = err if active else 0.0
    return value


@njit(cache=True, fastmath=FASTMATH)
def delta_rule_epoch(
    X,
    labels,
    order,
    W,
    b,
    learning_rate,
    batch_size,
    loss,
    beta,
    power,
    adam_state,
    average_state,
):
    """One pass of the delta rule over ``X[order]``, updating ``W`` and ``b`` in place.

    With ``batch_size == 1`` and plain steps every sample updates the weights at
    once (online learning); otherwise the errors of ``batch_size`` samples are
    averaged into one step. ``adam_state`` is ``None`` for plain steps or the
    tuple ``(m_W, v_W, m_b, v_b, t, beta1, beta2, eps)`` of Adam's per-synapse
    moments (``t`` a one-element step counter), updated in place.
    ``average_state`` is ``None`` or ``(W_avg, b_avg, counts, start)``: after
    every step, once ``counts[0]`` (samples seen, updated here) reaches
    ``start``, ``W_avg`` and ``b_avg`` take in the new weights as a running
    mean over the ``counts[1]`` steps averaged so far (Polyak averaging).
    Returns the mean loss of the samples seen.
    """
    n_out, n_in = W.shape
    a = np.empty(n_out, dtype=W.dtype)
    delta = np.empty(n_out, dtype=W.dtype)
    online = batch_size == 1 and adam_state is None
    grad_W = np.zeros((1 if online else n_out, 1 if online else n_in), dtype=W.dtype)
    grad_b = np.zeros(n_out, dtype=W.dtype)
    total = 0.0
    n = order.shape[0]
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        step = learning_rate / (stop - start)
        for pos in range(start, stop):
            x = X[order[pos]]
            for j in range(n_out):
                acc = b[j]
                row = W[j]
                for i in range(n_in):
                    acc += row[i] * x[i]
                a[j] = acc
            total += output_error(a, labels[order[pos]], loss, beta, power, delta)
            for j in range(n_out):
                if online:
                    delta[j] = delta[j] * step
                    b[j] += delta[j]
                    row = W[j]
                else:
                    grad_b[j] += delta[j]
                    row = grad_W[j]
                for i in range(n_in):
                    row[i] += delta[j] * x[i]
        if not online:
            grad_W *= 1.0 / (stop - start)
            grad_b *= 1.0 / (stop - start)
            if adam_state is None:
                W += learning_rate * grad_W
                b += learning_rate * grad_b
            else:
                _adam_step(W, b, grad_W, grad_b, learning_rate, adam_state)
            grad_W[:] = 0.0
            grad_b[:] = 0.0
        if average_state is not None:
            _average_step(W, b, stop - start, average_state)
    return total / max(n, 1)


@njit(cache=True, fastmath=FASTMATH)
def _average_step(W, b, n_new, average_state):
    """Count ``n_new`` samples; once averaging has started, fold ``W``, ``b`` in."""
    W_avg, b_avg, counts, start = average_state
    counts[0] += n_new
    if counts[0] < start:
        return
    counts[1] += 1
    weight = 1.0 / counts[1]
    for j in range(W.shape[0]):
        for i in range(W.shape[1]):
            W_avg[j, i] += (W[j, i] - W_avg[j, i]) * weight
        b_avg[j] += (b[j] - b_avg[j]) * weight


@njit(cache=True, fastmath=FASTMATH)
def _adam_step(W, b, grad_W, grad_b, learning_rate, adam_state):
    """Adam ascent along the local error signal; moments are per synapse."""
    m_W, v_W, m_b, v_b, t, beta1, beta2, eps = adam_state
    t[0] += 1
    rate = learning_rate * math.sqrt(1.0 - beta2 ** t[0]) / (1.0 - beta1 ** t[0])
    adam_update(W.reshape(-1), grad_W.reshape(-1), m_W.reshape(-1),
                v_W.reshape(-1), -rate, beta1, beta2, eps)  # fmt: skip
    adam_update(b, grad_b, m_b, v_b, -rate, beta1, beta2, eps)
