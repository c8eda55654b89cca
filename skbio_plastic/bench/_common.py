"""What every benchmark record shares: timing, the machine, saving."""

import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np


def source_checkout(package_dir=None):
    """The source checkout the package runs from, or ``None`` when installed.

    A checkout is recognised by ``pyproject.toml`` and ``benchmarks/results``
    beside the package folder (``package_dir``, default: this package's).
    """
    package_dir = Path(__file__).parents[1] if package_dir is None else package_dir
    root = Path(package_dir).resolve().parent
    if (root / "pyproject.toml").is_file() and (root / "benchmarks/results").is_dir():
        return root
    return None


def default_results_dir():
    """Where records are read and written unless a folder is given.

    The repository's ``benchmarks/results`` in a source checkout, else the
    user folder ``$XDG_DATA_HOME/skbio_plastic/results`` (by default
    ``~/.local/share/skbio_plastic/results``).
    """
    root = source_checkout()
    if root is not None:
        return root / "benchmarks" / "results"
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home).expanduser() / "skbio_plastic" / "results"


def best_time(function, repeats):
    """Shortest wall-clock seconds of ``repeats`` calls of ``function()``."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def gemm_gflops(dtype=np.float32, size=2048, repeats=3):
    """Best measured GFLOP/s of a square GEMM: the machine's practical peak."""
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=dtype)
    b = rng.random((size, size), dtype=dtype)
    a @ b
    return 2.0 * size**3 / best_time(lambda: a @ b, repeats) / 1e9


def environment():
    """The machine, BLAS and package versions, for a record."""
    import numba
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    from .. import __version__

    return {
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "blas": [
                {k: info.get(k) for k in ("internal_api", "version", "num_threads")}
                for info in threadpool_info()
            ],
        },
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
            "numba": numba.__version__,
            "skbio_plastic": __version__,
        },
    }


def save_record(record, output_dir, name):
    """Add date, command and environment to ``record``; write it as JSON.

    ``output_dir=None`` is :func:`default_results_dir`. Returns the record
    and the path written.
    """
    output_dir = default_results_dir() if output_dir is None else Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%dT%H%M%S")
    path = output_dir / f"{name}_{stamp}.json"
    return write_record(record, path), path


def write_record(record, path):
    """Write ``record`` with date, command and environment to ``path``.

    Long benchmarks rewrite a progress record this way as they go. Returns the
    record written.
    """
    record = {
        **record,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "command": "python -m skbio_plastic " + " ".join(sys.argv[1:]),
        **environment(),
    }
    Path(path).write_text(json.dumps(record, indent=2, default=str) + "\n")
    return record
