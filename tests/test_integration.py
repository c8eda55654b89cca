"""Whole pipelines the way users run them: cached grid search, scale-out, streaming."""

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skbio_plastic import LocalDeltaClassifier, LocalizedRandomProjection


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float32), y


def make_pipeline(memory=None):
    return Pipeline(
        [
            ("centre", StandardScaler(with_std=False)),
            ("lrp", LocalizedRandomProjection(300, patch_size=4, random_state=0)),
            ("readout", LocalDeltaClassifier(max_iter=5, tol=None, random_state=0)),
        ],
        memory=memory,
    )


def test_cached_front_end_is_fitted_once_per_setting(digits, tmp_path):
    X, y = digits
    grid = {"readout__learning_rate": [1e-3, 3e-3, "auto"]}
    cached = GridSearchCV(make_pipeline(memory=str(tmp_path)), grid, cv=2).fit(X, y)
    plain = GridSearchCV(make_pipeline(), grid, cv=2).fit(X, y)
    np.testing.assert_allclose(
        cached.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )
    # Each of the 2 steps before the readout is fitted once per training set
    # (2 folds and the refit), not once per grid point (3 times as many).
    cache_entries = list(tmp_path.rglob("output.pkl"))
    assert len(cache_entries) == 2 * 3


def test_grid_search_scales_out_on_a_dask_cluster(digits):
    distributed = pytest.importorskip("dask.distributed")
    X, y = digits
    grid = {"lrp__patch_size": [3, 5]}
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2):
        with joblib.parallel_backend("dask"):
            on_dask = GridSearchCV(make_pipeline(), grid, cv=2, n_jobs=-1).fit(X, y)
    local = GridSearchCV(make_pipeline(), grid, cv=2).fit(X, y)
    np.testing.assert_allclose(
        on_dask.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )


def test_streaming_readout_learns_chunk_by_chunk(digits):
    X, y = digits
    front = make_pipeline()[:2].fit(X)
    H = front.transform(X)
    streamed = LocalDeltaClassifier(random_state=0, shuffle=False)
    for start in range(0, len(H), 600):
        streamed.partial_fit(
            H[start : start + 600], y[start : start + 600], classes=np.arange(10)
        )
    assert streamed.score(H, y) > 0.8
