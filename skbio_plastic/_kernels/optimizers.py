"""Gradient-step rules shared by the trained layers (numba, flat arrays)."""

import math

from numba import njit

from . import FASTMATH


@njit(cache=True, fastmath=FASTMATH)
def adam_update(weights, gradients, means, squares, rate, beta1, beta2, eps):
    """One Adam step (Kingma & Ba) in place, on flat arrays of one parameter.

    ``weights -= rate * m / (sqrt(v) + eps)`` with the running moments ``m``
    (``means``) and ``v`` (``squares``) updated from ``gradients`` first;
    ``rate`` carries the bias corrections of the step. A negative ``rate``
    ascends (the local rules add their error signal).

    The scalars arrive as Python (float64) numbers; they are cast to the
    weights' dtype first so that a float32 network is updated in float32
    arithmetic (a float64 constant would promote every product to float64
    and halve the SIMD width of the loop).
    """
    dtype = weights.dtype.type
    rate = dtype(rate)
    beta1 = dtype(beta1)
    beta2 = dtype(beta2)
    eps = dtype(eps)
    one = dtype(1.0)
    keep1 = one - beta1
    keep2 = one - beta2
    for i in range(weights.size):
        g = gradients[i]
        m = beta1 * means[i] + keep1 * g
        v = beta2 * squares[i] + keep2 * g * g
        means[i] = m
        squares[i] = v
        weights[i] -= rate * m / (math.sqrt(v) + eps)
