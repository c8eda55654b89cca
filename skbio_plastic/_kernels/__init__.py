"""numba kernels over plain arrays, kept apart from the estimator classes.

One floating-point policy for every kernel: ``FASTMATH`` allows reassociation,
contraction (FMA), reciprocal approximations and ignoring the sign of zero,
which lets LLVM vectorise reductions, but not the "no NaN / no inf"
assumptions of ``fastmath=True``. Those would let LLVM delete the checks that
detect divergence (a NaN or an overflow must reach the estimator, which then
raises a clear error instead of returning garbage).
"""

FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}
