"""The local delta rule of a one-layer readout, one epoch per call.

Output unit ``j`` computes ``a_j = W_j . x + b_j`` and changes its weights by
``eta * delta_j * x`` where ``delta_j`` depends only on its own activation and
target (a local, post-synaptic error times pre-synaptic activity).
"""

import math

import numpy as np
from numba import njit

SQUARED_RELU = 0
SQUARED_LINEAR = 1
SOFTMAX = 2
POWER_TANH = 3


@njit(cache=True, fastmath=True)
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


@njit(cache=True, fastmath=True)
def delta_rule_epoch(X, labels, order, W, b, learning_rate, batch_size, loss, beta, power):
    """One pass of the delta rule over ``X[order]``, updating ``W`` and ``b`` in place.

    With ``batch_size == 1`` every sample updates the weights at once (online
    learning); otherwise the errors of ``batch_size`` samples are averaged
    before one update. Returns the mean loss of the samples seen.
    """
    n_out, n_in = W.shape
    a = np.empty(n_out, dtype=W.dtype)
    delta = np.empty(n_out, dtype=W.dtype)
    online = batch_size == 1
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
                    for i in range(n_in):
                        row[i] += delta[j] * x[i]
                else:
                    grad_b[j] += delta[j]
                    row = grad_W[j]
                    for i in range(n_in):
                        row[i] += delta[j] * x[i]
        if not online:
            for j in range(n_out):
                grad_b[j] = grad_b[j] * step
                b[j] += grad_b[j]
                grad_b[j] = 0.0
                row = W[j]
                grow = grad_W[j]
                for i in range(n_in):
                    row[i] += grow[i] * step
                    grow[i] = 0.0
    return total / max(n, 1)
