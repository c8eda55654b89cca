"""scikit-learn's estimator contract, checked for every public estimator."""

import warnings

from sklearn.utils.estimator_checks import parametrize_with_checks

from skbio_plastic import (
    KrotovHebbianTransformer,
    LocalDeltaClassifier,
    LocalizedICA,
    LocalizedPCA,
    LocalizedRandomProjection,
    RandomGabor,
)

# The checks feed generic tabular data (1 to 20 features, few samples, not
# images): the localized front ends therefore run non-localized there
# (patch_size=None), and the per-patch decompositions keep one component per
# patch so that every check's data has enough inputs. Their image geometry is
# tested in their own modules. Sizes are small so the contract runs in seconds.
ESTIMATORS = [
    LocalizedRandomProjection(n_components=20, patch_size=None, random_state=0),
    LocalizedRandomProjection(
        n_components=20, patch_size=None, dtype="float64", random_state=0
    ),
    RandomGabor(n_components=20, patch_size=None, random_state=0),
    RandomGabor(n_components=20, patch_size=None, dtype="float64", random_state=0),
    LocalizedPCA(
        n_patches=3, n_components_per_patch=1, patch_size=None, random_state=0
    ),
    LocalizedICA(
        n_patches=2, n_components_per_patch=1, patch_size=None, random_state=0
    ),
    KrotovHebbianTransformer(n_components=10, k=2, n_epochs=2, random_state=0),
    KrotovHebbianTransformer(
        n_components=10, k=2, n_epochs=2, p=2.5, dtype="float64", random_state=0
    ),
    KrotovHebbianTransformer(
        n_components=10, k=2, n_epochs=2, normalize_input="patch", random_state=0
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
    LocalDeltaClassifier(random_state=0),
    LocalDeltaClassifier(loss="softmax", batch_size=4, random_state=0),
    LocalDeltaClassifier(loss="power_tanh", solver="adam", random_state=0),
    LocalDeltaClassifier(average=10, batch_size=2, random_state=0),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    with warnings.catch_warnings():
        # Constant columns of the checks' data give rank-deficient patches.
        warnings.filterwarnings("ignore", "directions of non-zero variance")
        check(estimator)
