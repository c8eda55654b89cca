"""scikit-learn's estimator contract, checked for every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skbio_plastic import (
    KrotovHebbianTransformer,
    LocalDeltaClassifier,
    LocalizedRandomProjection,
)

# The checks feed generic tabular data (2 to 20 features, not images): the
# localized front ends therefore run non-localized there (patch_size=None),
# their image geometry is tested in their own modules. Sizes are small so the
# whole contract runs in seconds.
ESTIMATORS = [
    LocalizedRandomProjection(n_components=20, patch_size=None, random_state=0),
    LocalizedRandomProjection(
        n_components=20, patch_size=None, dtype="float64", random_state=0
    ),
    KrotovHebbianTransformer(n_components=10, k=2, n_epochs=2, random_state=0),
    LocalDeltaClassifier(random_state=0),
    LocalDeltaClassifier(loss="softmax", batch_size=4, random_state=0),
    LocalDeltaClassifier(loss="power_tanh", random_state=0),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
