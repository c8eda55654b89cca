"""What every benchmark record shares: timing, the machine, saving."""

import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

RESULTS_DIR = Path("benchmarks") / "results"


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
    """Add date, command and environment to ``record``; write it as JSON."""
    record = {
        **record,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "command": "python -m skbio_plastic " + " ".join(sys.argv[1:]),
        **environment(),
    }
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%dT%H%M%S")
    path = output_dir / f"{name}_{stamp}.json"
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    return record, path
