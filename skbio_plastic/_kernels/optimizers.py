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
    """
    for i in range(weights.size):
        g = gradients[i]
        m = beta1 * means[i] + (1.0 - beta1) * g
        v = beta2 * squares[i] + (1.0 - beta2) * g * g
        means[i] = m
        squares[i] = v
        weights[i] -= rate * m / (math.sqrt(v) + eps)
