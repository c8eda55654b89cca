"""
===================================================
Receptive fields learned by competing hidden units
===================================================

Krotov & Hopfield (2019) train a layer of hidden units without labels: for
every image, the unit with the largest input current moves its weights
towards the image (Hebbian), the unit ranked ``k``-th moves away from it
(anti-Hebbian), and every weight vector is pulled onto the unit ``p``-sphere.
The units end up as prototypes of parts of the data: on MNIST, whole digits
and digit fragments, each unit a different one.

This example fits :class:`~skbio_plastic.KrotovHebbianTransformer` on MNIST
when :func:`skbio_plastic.datasets.load_mnist` finds the files (set
``SKBIO_PLASTIC_DATA`` to the folder that holds ``mnist/``), and otherwise on
scikit-learn's 8x8 ``load_digits`` images, then shows the learned weights as
images, saved as ``krotov_receptive_fields.png``.
"""

# %%
# Load the images
# ---------------
# The rule learns on the raw pixels in [0, 1]: no centring. On MNIST a
# subset of 20,000 training images keeps the example to about a minute.
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from skbio_plastic.hebbian import KrotovHebbianTransformer

try:
    from skbio_plastic.datasets import load_mnist

    X, y = load_mnist(subset="train", return_X_y=True)
    X = X[:20_000]
    dataset, image_shape, n_components, n_epochs = "MNIST", (28, 28), 400, 30
except (FileNotFoundError, ImportError):
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype("float32")  # load_digits pixels are 0..16
    dataset, image_shape, n_components, n_epochs = "digits", (8, 8), 100, 100

print(f"{dataset}: {X.shape[0]} images of {image_shape[0]}x{image_shape[1]} pixels")

# %%
# Learn without labels
# --------------------
# ``p=3`` (the exponent of the currents and of the sphere the weights go to),
# ``k=7`` and ``delta=0.4`` are the paper's MNIST settings; the learning rate
# decays linearly to zero over the epochs. ``verbose=1`` prints the median
# row p-norm, which falls from its random start towards 1 as the units learn.
krotov = KrotovHebbianTransformer(
    n_components,
    p=3.0,
    k=7,
    delta=0.4,
    learning_rate=0.04,
    n_epochs=n_epochs,
    random_state=0,
    verbose=1 if dataset == "MNIST" else 0,
)
start = time.perf_counter()
krotov.fit(X)
print(
    f"{n_epochs} epochs in {time.perf_counter() - start:.1f} s; median row p-norm "
    f"{krotov.median_p_norms_[0]:.2f} -> {krotov.median_p_norms_[-1]:.3f}"
)

# %%
# The receptive fields
# --------------------
# Each tile is one unit's weights as an image (red positive, blue negative,
# each on its own symmetric scale). Units that won many images show clean
# prototypes; the anti-Hebbian push keeps them different from each other.
n_fields = 100 if n_components >= 100 else n_components
try:
    from skbio_plastic.plotting import plot_receptive_fields

    fig = plot_receptive_fields(
        krotov,
        n_fields=n_fields,
        title=f"Krotov-Hopfield units on {dataset} (p=3, k=7, delta=0.4)",
    )
except ImportError:  # plotting module not available: a simple grid
    n_cols = int(np.ceil(np.sqrt(n_fields)))
    n_rows = int(np.ceil(n_fields / n_cols))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(8, 8 * n_rows / n_cols))
    for ax, weights in zip(axes.ravel(), krotov.components_, strict=False):
        scale = np.abs(weights).max()
        ax.imshow(weights.reshape(image_shape), cmap="bwr", vmin=-scale, vmax=scale)
    for ax in axes.ravel():
        ax.set_axis_off()
    fig.suptitle(f"Krotov-Hopfield units on {dataset}")
fig.savefig("krotov_receptive_fields.png", dpi=120)

# %%
# The features
# ------------
# ``transform`` gives the paper's classifier input, ``relu(W x / ||x||) ** 4.5``:
# the high power leaves a few strongly active units per image.
features = krotov.transform(X[:1000])
active = (features > 0).sum(axis=1)
top = np.sort(features, axis=1)[:, ::-1]
share = top[:, :10].sum(axis=1) / top.sum(axis=1)
print(
    f"units with a positive current per image: median {np.median(active):.0f} of "
    f"{n_components}; the 10 most active carry {np.median(share):.0%} of the activity"
)
plt.show()
