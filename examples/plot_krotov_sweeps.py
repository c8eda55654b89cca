"""
=======================================================
Accuracy of competing hidden units against p, delta, k
=======================================================

The talk that accompanies Krotov & Hopfield (2019) varies one
hyper-parameter of the learning rule at a time and reads the accuracy of a
readout trained on the learned features: the exponent ``p``, the strength
``delta`` of the anti-Hebbian push on the unit ranked ``k``-th, and ``k``
itself. This example repeats those three sweeps on a small scale: a
:class:`~skbio_plastic.KrotovHebbianTransformer` learns without labels, then
a :class:`~skbio_plastic.LocalDeltaClassifier` with Krotov's power/tanh error
learns the labels, and the held-out accuracy of every setting is plotted,
saved as ``krotov_sweeps.png``.

It learns on 7,500 MNIST images and tests on 1,500 when
:func:`skbio_plastic.datasets.load_mnist` finds them (``SKBIO_PLASTIC_DATA``),
else on scikit-learn's digits, so a sweep point takes seconds. The full-size
sweeps (60,000 images, 2000 units) are benchmarks, e.g.
``python -m skbio_plastic bench accuracy --dataset mnist --method krotov
--protocol validation --front-end '{"k": 4}'``; their numbers are in the
documentation's results page.
"""

# %%
# Data and the fixed parts of the model
# -------------------------------------
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from skbio_plastic import KrotovHebbianTransformer, LocalDeltaClassifier

try:
    from skbio_plastic.datasets import load_mnist

    X, y = load_mnist(subset="train", return_X_y=True)
    X, y = X[:9_000], y[:9_000]
    dataset, n_components, n_epochs = "MNIST", 300, 15
except (FileNotFoundError, ImportError):
    X, y = load_digits(return_X_y=True)
    X = X / 16  # load_digits pixels are 0..16
    dataset, n_components, n_epochs = "digits", 100, 100

X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=1 / 6, random_state=0, stratify=y
)
defaults = {"p": 3.0, "k": 7, "delta": 0.4}


def accuracy(**rule):
    """Held-out accuracy of one setting of the learning rule."""
    model = make_pipeline(
        KrotovHebbianTransformer(
            n_components,
            **{**defaults, **rule},
            learning_rate=0.04,
            n_epochs=n_epochs,
            random_state=0,
        ),
        LocalDeltaClassifier(
            loss="power_tanh",
            solver="adam",
            learning_rate=1e-3,
            max_iter=40,
            tol=None,
            random_state=0,
        ),
    )
    return model.fit(X_train, y_train).score(X_test, y_test)


# %%
# One sweep per hyper-parameter, the others at the paper's MNIST values
sweeps = {
    "p": [2, 3, 4, 5],
    "delta": [0.0, 0.1, 0.2, 0.3, 0.4],
    "k": [2, 4, 7, 10],
}
results = {
    name: [accuracy(**{name: value}) for value in values]
    for name, values in sweeps.items()
}
for name, values in sweeps.items():
    print(
        name,
        ", ".join(f"{v}: {a:.3f}" for v, a in zip(values, results[name], strict=True)),
    )

# %%
# Plot
# ----
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharey=True)
for ax, (name, values) in zip(axes, sweeps.items(), strict=True):
    ax.plot(values, [100 * a for a in results[name]], "o-")
    ax.axvline(defaults[name], color="0.7", linestyle=":")
    ax.set_xlabel(name)
    ax.grid(alpha=0.3)
axes[0].set_ylabel("held-out accuracy (%)")
fig.suptitle(
    f"{dataset}: {n_components} competing units, {len(X_train)} training images, "
    "power/tanh readout"
)
fig.tight_layout()
fig.savefig("krotov_sweeps.png", dpi=110)
