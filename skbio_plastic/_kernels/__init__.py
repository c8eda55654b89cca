"""numba kernels: plain arrays and scalars in, no estimator objects."""
