"""scikit-learn's estimator contract, checked for every public estimator.

- float32 and row order. The front ends follow scikit-learn's convention for
  float32 estimators (``dtype=None``: float32 input stays float32, anything
  else is computed in float64), so the checks, which feed float64, run in
  float64 and compare outputs exactly on any CPU and BLAS. A float32 BLAS
  GEMM is not row-order or row-count invariant to the checks' 1e-7 (seen
  with OpenBLAS on an AVX-512 CPU), so ``dtype="float32"`` is tested for
  row-order invariance at float32 precision below instead.
- localized code paths. ``patch_size`` needs image rows, but the checks feed
  tabular data of 2 to 20 features, mostly not a square image: those checks
  do not apply and are skipped with that reason. The checks that feed 4
  features (a 2 x 2 image) run the localized code paths through the contract.
"""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import (
    estimator_checks_generator,
    parametrize_with_checks,
)

from skbio_plastic import (
    BCMTransformer,
    ConvolutionalHebbian,
    HebbianTransformer,
    KrotovHebbianTransformer,
    LabelAssignmentClassifier,
    LocalDeltaClassifier,
    LocalizedICA,
    LocalizedMLPClassifier,
    LocalizedPCA,
    LocalizedRandomProjection,
    LocalizedSparseCoding,
    OjaTransformer,
    RandomGabor,
    SpikingLIFClassifier,
    STDPSpikingTransformer,
)

# Tabular check data: the non-localized instances use patch_size=None, the
# per-patch decompositions keep one component per patch so that every check's
# data has enough inputs. Sizes are small so the contract runs in seconds.
ESTIMATORS = [
    LocalizedRandomProjection(n_components=20, patch_size=None, random_state=0),
    LocalizedRandomProjection(
        n_components=20, patch_size=None, dtype="float64", random_state=0
    ),
    RandomGabor(n_components=20, patch_size=None, random_state=0),
    RandomGabor(n_components=20, patch_size=None, dtype="float64", random_state=0),
    LocalizedPCA(
        n_patches=1, n_components_per_patch=1, patch_size=None, random_state=0
    ),
    LocalizedPCA(
        n_patches=1,
        n_components_per_patch=1,
        patch_size=None,
        dtype="float64",
        random_state=0,
    ),
    LocalizedICA(
        n_patches=1, n_components_per_patch=1, patch_size=None, random_state=0
    ),
    LocalizedICA(
        n_patches=1,
        n_components_per_patch=1,
        patch_size=None,
        dtype="float64",
        random_state=0,
    ),
    LocalizedSparseCoding(
        n_patches=1, n_components_per_patch=3, patch_size=None, random_state=0
    ),
    LocalizedSparseCoding(
        n_patches=1,
        n_components_per_patch=3,
        patch_size=None,
        batch_size=1,
        dtype="float64",
        random_state=0,
    ),
    KrotovHebbianTransformer(n_components=10, k=2, n_epochs=2, random_state=0),
    KrotovHebbianTransformer(
        n_components=10, k=2, n_epochs=2, p=2.5, dtype="float64", random_state=0
    ),
    KrotovHebbianTransformer(
        n_components=10, k=2, n_epochs=2, normalize_input="patch", random_state=0
    ),
    KrotovHebbianTransformer(
        n_components=10,
        k=2,
        n_epochs=2,
        normalize_input="patch",
        dtype="float64",
        random_state=0,
    ),
    KrotovHebbianTransformer(
        n_components=6,
        k=2,
        delta=0.01,
        n_epochs=2,
        solver="dynamics",
        learning_rate=0.01,
        random_state=0,
    ),
    HebbianTransformer(n_components=5, n_epochs=2, random_state=0),
    HebbianTransformer(
        n_components=5,
        rule="covariance",
        competition="wta",
        n_epochs=2,
        dtype="float64",
        random_state=0,
    ),
    HebbianTransformer(
        n_components=4, rule="post_threshold", normalize="clip", random_state=0
    ),
    OjaTransformer(n_components=3, n_epochs=2, random_state=0),
    OjaTransformer(n_components=3, rule="oja", dtype="float64", random_state=0),
    BCMTransformer(n_components=5, n_epochs=2, random_state=0),
    BCMTransformer(
        n_components=5, competition="lateral", dtype="float64", random_state=0
    ),
    LocalDeltaClassifier(random_state=0),
    LocalDeltaClassifier(loss="softmax", batch_size=4, random_state=0),
    LocalDeltaClassifier(loss="power_tanh", solver="adam", random_state=0),
    LocalDeltaClassifier(average=10, batch_size=2, random_state=0),
    # ON/OFF inputs: the checks' 2-feature blobs lie on both sides of the mean.
    SpikingLIFClassifier(
        LocalizedRandomProjection(200, patch_size=None, random_state=0),
        input_encoding="on-off",
        n_epochs=2,
        learning_rate=3e-3,
        input_offset=30.0,
        input_gain=100.0,
        dt=0.25,
        delay=0.25,
        t_transient=5.0,
        t_learn=20.0,
        t_test=60.0,
        t_count=50.0,
        dtype="float64",
        random_state=0,
    ),
    SpikingLIFClassifier(
        RandomGabor(200, patch_size=None, random_state=0),
        input_encoding="on-off",
        n_epochs=2,
        learning_rate=3e-3,
        input_offset=30.0,
        input_gain=100.0,
        dt=0.25,
        delay=0.25,
        t_transient=5.0,
        t_learn=20.0,
        t_test=60.0,
        t_count=50.0,
        dtype="float64",
        n_jobs=2,
        random_state=0,
    ),
    STDPSpikingTransformer(n_excitatory=10, random_state=0),
    STDPSpikingTransformer(
        n_excitatory=10,
        delays="input",
        t_present=50.0,
        t_rest=20.0,
        dtype="float64",
        n_jobs=2,
        random_state=0,
    ),
    LabelAssignmentClassifier(),
    LocalizedMLPClassifier(
        20, patch_size=None, learning_rate=0.01, max_iter=50, random_state=0
    ),
    LocalizedMLPClassifier(
        20,
        patch_size=None,
        learning_algorithm="feedback_alignment",
        loss="squared",
        solver="sgd",
        learning_rate=0.01,
        max_iter=50,
        early_stopping=True,
        random_state=0,
    ),
]

# The localized code paths: one unit per 1 x 1 patch of a square image.
LOCALIZED = [
    LocalizedMLPClassifier(6, patch_size=1, max_iter=50, random_state=0),
    LocalizedRandomProjection(n_components=8, patch_size=1, random_state=0),
    RandomGabor(n_components=8, patch_size=1, dtype="float64", random_state=0),
    LocalizedPCA(n_patches=3, n_components_per_patch=1, patch_size=1, random_state=0),
    LocalizedICA(n_patches=2, n_components_per_patch=1, patch_size=1, random_state=0),
    LocalizedSparseCoding(
        n_patches=3, n_components_per_patch=2, patch_size=1, n_jobs=2, random_state=0
    ),
    KrotovHebbianTransformer(
        n_components=6, k=2, n_epochs=2, patch_size=1, random_state=0
    ),
    KrotovHebbianTransformer(
        n_components=6,
        k=2,
        n_epochs=2,
        patch_size=1,
        normalize_input="patch",
        dtype="float64",
        random_state=0,
    ),
    HebbianTransformer(n_components=4, competition="wta", patch_size=1, random_state=0),
    OjaTransformer(
        n_components=4, n_components_per_patch=2, patch_size=1, random_state=0
    ),
    BCMTransformer(n_components=4, patch_size=1, dtype="float64", random_state=0),
    ConvolutionalHebbian(
        3, filter_size=2, k=2, pool_size=1, n_patches=50, n_epochs=2, random_state=0
    ),
    ConvolutionalHebbian(
        3,
        filter_size=1,
        patch_norm=None,
        pooling="avg",
        filter_learner=OjaTransformer(rule="sanger"),
        dtype="float64",
        random_state=0,
    ),
]

_NOT_AN_IMAGE = (
    "the check's data are not square images, which patch_size needs "
    "(image data are tested in each estimator's module)"
)
# Checks whose data have a non-square number of features (scikit-learn 1.9).
_TABULAR_CHECKS = [
    "check_estimators_dtypes",
    "check_fit_score_takes_y",
    "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self",
    "check_readonly_memmap_input",
    "check_dtype_object",
    "check_pipeline_consistency",
    "check_estimators_nan_inf",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_transformer_data_not_an_array",
    "check_transformer_general",
    "check_transformer_preserve_dtypes",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_fit2d_1sample",
    "check_dict_unchanged",
    "check_fit_idempotent",
    "check_fit_check_is_fitted",
    "check_n_features_in",
    "check_fit2d_predict1d",
    "check_transformer_n_iter",
    "check_classifier_data_not_an_array",
    "check_classifiers_classes",
    "check_classifiers_train",
    "check_estimators_partial_fit_n_features",
    "check_supervised_y_2d",
    "check_decision_proba_consistency",
]


def _localized_checks():
    """Each localized instance's checks; those on non-image data skipped."""
    for estimator in LOCALIZED:
        for instance, check in estimator_checks_generator(estimator):
            name = getattr(check, "func", check).__name__
            marks = (
                pytest.mark.skip(reason=_NOT_AN_IMAGE)
                if name in _TABULAR_CHECKS
                else ()
            )
            yield pytest.param(instance, check, id=f"{instance!r}-{name}", marks=marks)


@pytest.mark.parametrize("estimator, check", list(_localized_checks()))
def test_localized_code_paths_keep_the_contract(estimator, check):
    test_sklearn_compatible_estimator(estimator, check)


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    with warnings.catch_warnings():
        # Constant columns of the checks' data give rank-deficient patches.
        warnings.filterwarnings("ignore", "directions of non-zero variance")
        # Some checks feed values of about 100, which the front ends report.
        warnings.filterwarnings("ignore", ".*expects inputs of order 1")
        # A few epochs on the checks' random labels are not meant to converge.
        warnings.simplefilter("ignore", ConvergenceWarning)
        # The checks' tiny images can leave Diehl & Cook's network silent.
        warnings.filterwarnings("ignore", ".*fewer than min_spikes")
        check(estimator)


@pytest.mark.parametrize(
    "estimator",
    [
        clone(e).set_params(dtype="float32")
        for e in ESTIMATORS + LOCALIZED
        if e.get_params().get("dtype", "float64") is None
    ],
    ids=lambda e: type(e).__name__,
)
def test_float32_outputs_do_not_depend_on_row_order(estimator):
    """Permuted rows and row subsets give the same outputs to float32 precision."""
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(60, 16))  # 4 x 4 images for the localized instances
    y = np.arange(60) % 3
    model = clone(estimator).fit(X, y)
    method = getattr(model, "transform", None) or model.decision_function
    reference = method(X).astype(np.float64)
    order = rng.permutation(len(X))
    tolerance = dict(rtol=1e-5, atol=1e-5 * np.abs(reference).max())
    np.testing.assert_allclose(method(X[order]), reference[order], **tolerance)
    for subset in np.array_split(np.arange(len(X)), 4):
        np.testing.assert_allclose(method(X[subset]), reference[subset], **tolerance)
