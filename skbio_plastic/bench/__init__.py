"""Benchmarks behind ``python -m skbio_plastic bench``: accuracy and speed records."""

from ._common import default_results_dir, gemm_gflops, source_checkout
from .accuracy import (
    best_test_records,
    load_records,
    load_split,
    make_model,
    render_table,
    run_accuracy,
)
from .speed import run_speed

__all__ = [
    "best_test_records",
    "default_results_dir",
    "gemm_gflops",
    "load_records",
    "load_split",
    "make_model",
    "render_table",
    "run_accuracy",
    "run_speed",
    "source_checkout",
]
