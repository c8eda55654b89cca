"""
================================================
Receptive fields of a localized random front end
================================================

A shallow network in the style of Illing, Gerstner & Brea (2019): a fixed
layer of hidden units that each see one random square patch of the image
(``LocalizedRandomProjection``, the "l-RP" front end), and a readout of one
unit per class trained by a local delta rule (``LocalDeltaClassifier``). Only
the readout sees labels.

The script uses MNIST when :func:`skbio_plastic.datasets.load_mnist` finds the
files (set ``SKBIO_PLASTIC_DATA`` to the folder that holds ``mnist/``), and
otherwise scikit-learn's small 8x8 ``load_digits`` images. It ends with a
picture of the hidden units' receptive fields, saved as
``receptive_fields_lrp.png``.
"""

# %%
# Load the images
# ---------------
# Pixels are scaled to [0, 1]. On MNIST we take 10,000 training images to
# keep the example fast; the benchmarks use all 60,000.
import time

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbio_plastic import LocalDeltaClassifier, LocalizedRandomProjection
from skbio_plastic.plotting import plot_loss_curve, plot_receptive_fields

try:
    from skbio_plastic.datasets import load_mnist

    X_train, y_train = load_mnist(subset="train", return_X_y=True)
    X_test, y_test = load_mnist(subset="test", return_X_y=True)
    X_train, y_train = X_train[:10_000], y_train[:10_000]
    dataset, image_shape, patch_size, n_components = "MNIST", (28, 28), 10, 2000
except (FileNotFoundError, ImportError):
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype("float32")  # load_digits pixels are 0..16
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    dataset, image_shape, patch_size, n_components = "digits", (8, 8), 4, 500

print(f"{dataset}: {X_train.shape[0]} training and {X_test.shape[0]} test images")

# %%
# Fit the network
# ---------------
# The per-pixel training mean is removed first (``StandardScaler`` without
# scaling), as in Illing et al. The front end is fixed, so fitting it only
# draws the patches and weights; the readout learns with the local rule
# ``coef_[j] += learning_rate * delta_j * h``.
model = make_pipeline(
    StandardScaler(with_std=False),
    LocalizedRandomProjection(
        n_components=n_components,
        patch_size=patch_size,
        image_shape=image_shape,
        random_state=0,
    ),
    LocalDeltaClassifier(max_iter=10, tol=None, random_state=0),
)
start = time.perf_counter()
model.fit(X_train, y_train)
print(f"fitted in {time.perf_counter() - start:.1f} s")
print(f"test accuracy: {model.score(X_test, y_test):.4f}")

# %%
# Loss curve of the readout
# -------------------------
# The mean training loss of each epoch of the delta rule.
plot_loss_curve(model[-1])

# %%
# Receptive fields
# ----------------
# Each small image is one hidden unit's weights over the whole input image:
# Gaussian noise inside its ``patch_size x patch_size`` patch and exactly zero
# (white) outside. Red is positive, blue negative; each field has its own
# symmetric colour scale.
lrp = model[1]
fig = plot_receptive_fields(
    lrp, n_fields=64, title=f"l-RP on {dataset}: 64 of {n_components} hidden units"
)
fig.savefig("receptive_fields_lrp.png", dpi=100)
# sphinx_gallery_thumbnail_number = 2

# %%
# With ``crop=True`` each field is cut to its patch, which shows the weights
# themselves rather than where the patch lies.
plot_receptive_fields(
    lrp, n_fields=64, crop=True, title="the same units, cropped to their patches"
)
plt.show()
