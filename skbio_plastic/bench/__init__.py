"""Benchmarks behind ``python -m skbio_plastic bench``: accuracy and speed records."""

from ._common import RESULTS_DIR, gemm_gflops
from .accuracy import load_split, make_model, render_table, run_accuracy
from .speed import run_speed

__all__ = [
    "RESULTS_DIR",
    "gemm_gflops",
    "load_split",
    "make_model",
    "render_table",
    "run_accuracy",
    "run_speed",
]
