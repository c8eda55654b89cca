"""numba kernels: plain arrays and scalars in, no estimator objects, no numpy-only code."""
