"""The minibatch training loop of Krotov & Hopfield's rule.

Internal API shared by ``KrotovHebbianTransformer`` and the speed benchmark,
so that the benchmark times exactly the loop the estimator runs. Plain arrays
in, weights updated in place; the numba kernels are in ``_kernels.krotov``.

Notation: ``W`` the weights ``(H, D)``, ``Wp = sign(W) |W| ** (p - 1)`` kept
beside it for the currents ``Wp @ x``. A localized layer passes its receptive
fields as ``fields = (starts, offsets)``: unit ``mu`` sees the features
``starts[mu] + offsets`` only, and its weights stay zero elsewhere.
"""

import numpy as np

from ._kernels import krotov as _krotov

__all__ = [
    "DYNAMICS_MAX_STEPS",
    "DYNAMICS_TOL",
    "Scratch",
    "minibatch_step",
    "row_p_norms",
    "run_epoch",
    "signed_power",
]

# Forward Euler of the hidden dynamics (solver="dynamics"): relative
# tolerance of the steady state and the most steps per input.
DYNAMICS_TOL = 1e-6
DYNAMICS_MAX_STEPS = 10_000

_NO_FIELDS = np.empty(0, dtype=np.int64)


def signed_power(W, p):
    """``sign(W) |W| ** (p - 1)`` as a new array (``W`` itself for p = 2)."""
    mode = _krotov.power_mode(p)
    if mode == _krotov.POWER_SAME:
        return W
    Wp = np.empty_like(W)
    _krotov.signed_power_rows(W, Wp, np.arange(W.shape[0]), mode, float(p))
    return Wp


def row_p_norms(W, Wp, p):
    """``(sum_i |W_i| ** p) ** (1 / p)`` of every row, using ``W * Wp = |W| ** p``."""
    sums = np.einsum("ij,ij->i", W, Wp, dtype=np.float64)
    return sums ** (1.0 / p)


class Scratch:
    """Work arrays of the minibatch loop, allocated once per fit call.

    ``field_size`` is the number of features each unit sees (``None``: all
    ``n_features``); the update rows of the touched units have that length.
    """

    def __init__(
        self, n_components, n_features, batch_size, dtype, solver, field_size=None
    ):
        if solver == "ranking":
            capacity = 2 * batch_size
            n_rows = min(capacity, n_components)
        else:
            capacity = n_components * batch_size
            n_rows = n_components
            self.h = np.empty(n_components, dtype=np.float64)
        int_type = np.int32 if dtype == np.float32 else np.int64
        row_width = n_features if field_size is None else field_size
        self.batch = np.empty((batch_size, n_features), dtype=dtype)
        # Flat, so that a short last batch still gets a C-contiguous (H, n).
        self.currents = np.empty(n_components * batch_size, dtype=dtype)
        self.indptr = np.empty(batch_size + 1, dtype=np.int64)
        self.units = np.empty(capacity, dtype=np.int64)
        self.gvals = np.empty(capacity, dtype=dtype)
        self.slot = np.full(n_components, -1, dtype=np.int64)
        self.rows = np.empty((n_rows, row_width), dtype=dtype)
        self.rows_bits = self.rows.view(int_type)
        self.abs_mask = int_type(np.iinfo(int_type).max)
        self.coef = np.empty(n_rows, dtype=dtype)
        self.touched = np.empty(n_rows, dtype=np.int64)
        self.not_converged = 0


def minibatch_step(
    W,
    Wp,
    X_batch,
    learning_rate,
    *,
    k,
    delta,
    p,
    scratch,
    solver,
    w_inh,
    h_star,
    fields=None,
):
    """One plasticity step on ``X_batch`` (already in ``W``'s dtype).

    ``fields`` is ``None`` (every unit sees every feature) or ``(starts,
    offsets)`` of a localized layer. Returns ``(n_touched, max |dW|)``: the
    rows changed are ``scratch.touched[:n_touched]``; ``max |dW|`` is not
    finite when the weights blew up (they are then left unchanged).
    """
    n = X_batch.shape[0]
    currents = scratch.currents[: W.shape[0] * n].reshape(W.shape[0], n)
    # The one dense product of the step: currents of all units, (H, B).
    np.dot(Wp, X_batch.T, out=currents)
    if solver == "ranking":
        nnz = _krotov.rank_top_and_kth(
            currents, k, delta, scratch.indptr, scratch.units, scratch.gvals
        )
        if nnz < 0:  # non-finite currents
            return 0, np.inf
        normalize = True
    else:
        _, not_converged, _ = _krotov.steady_state_dynamics(
            currents,
            w_inh,
            h_star,
            delta,
            DYNAMICS_TOL,
            DYNAMICS_MAX_STEPS,
            scratch.indptr,
            scratch.units,
            scratch.gvals,
            scratch.h,
        )
        scratch.not_converged += not_converged
        normalize = False
    starts, offsets = (_NO_FIELDS, _NO_FIELDS) if fields is None else fields
    return _krotov.sparse_plasticity_step(
        W,
        Wp,
        X_batch,
        currents,
        scratch.indptr,
        scratch.units,
        scratch.gvals,
        learning_rate,
        normalize,
        _krotov.power_mode(p),
        float(p),
        starts,
        offsets,
        scratch.slot,
        scratch.rows,
        scratch.rows_bits,
        scratch.abs_mask,
        scratch.coef,
        scratch.touched,
    )


def run_epoch(W, Wp, X, order, batch_size, learning_rate, *, scratch, **step_params):
    """One pass over ``X[order]`` in minibatches; returns ``(n_steps, finite)``.

    ``step_params`` are the keyword arguments of ``minibatch_step``. Stops at
    the first step whose update is not finite.
    """
    n_steps = 0
    for start in range(0, order.shape[0], batch_size):
        index = order[start : start + batch_size]
        batch = scratch.batch[: index.shape[0]]
        if X.dtype == batch.dtype:
            np.take(X, index, axis=0, out=batch)
        else:
            batch[...] = X[index]
        _, largest = minibatch_step(
            W, Wp, batch, learning_rate, scratch=scratch, **step_params
        )
        n_steps += 1
        if not np.isfinite(largest):
            return n_steps, False
    return n_steps, True
