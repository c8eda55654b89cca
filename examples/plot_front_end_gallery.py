"""
======================================================
Receptive fields of four localized front ends compared
======================================================

Illing, Gerstner & Brea (2019) compare shallow networks whose hidden units
each see one random square patch of the image and whose hidden weights are
never trained with labels. This script shows the receptive fields of four of
their front ends side by side:

* **l-RP** (:class:`skbio_plastic.LocalizedRandomProjection`): Gaussian random
  weights inside the patch;
* **l-RG** (:class:`skbio_plastic.gabor.RandomGabor`): one random Gabor filter
  (orientation, wavelength, phase and width drawn at random) centred in the
  patch;
* **l-PCA** (:class:`skbio_plastic.decomposition.LocalizedPCA`): the leading
  principal components of the training pixels of each patch;
* **l-ICA** (:class:`skbio_plastic.decomposition.LocalizedICA`): FastICA's
  independent components of each patch.

The script uses MNIST when :func:`skbio_plastic.datasets.load_mnist` finds the
files (set ``SKBIO_PLASTIC_DATA`` to the folder that holds ``mnist/``), and
otherwise scikit-learn's small 8x8 ``load_digits`` images. It saves the
picture as ``front_end_gallery.png``.
"""

# %%
# Load the images
# ---------------
# Pixels in [0, 1], per-pixel training mean removed as in the paper. The
# learned front ends only need a few thousand images to show their fields.
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from skbio_plastic import LocalizedRandomProjection
from skbio_plastic.decomposition import LocalizedICA, LocalizedPCA
from skbio_plastic.gabor import RandomGabor
from skbio_plastic.plotting import plot_receptive_fields

try:
    from skbio_plastic.datasets import load_mnist

    X, _ = load_mnist(subset="train", return_X_y=True)
    X = X[:10_000]
    dataset, image_shape, patch_size = "MNIST", (28, 28), 10
    gabor = {}  # the paper's MNIST values are RandomGabor's defaults
except (FileNotFoundError, ImportError):
    X, _ = load_digits(return_X_y=True)
    X = (X / 16).astype("float32")
    dataset, image_shape, patch_size = "digits", (8, 8), 4
    gabor = {"wavelength_range": (2.0, 6.0), "sigma_range": (1.0, 2.5)}
X = StandardScaler(with_std=False).fit_transform(X)

# %%
# Fit the four front ends
# -----------------------
# Each shows 4 rows of 10 units. For l-PCA and l-ICA a row of 10 is the 10
# components of one patch (units are stored patch by patch); for l-RP and
# l-RG every unit has its own patch. Fitting the random front ends only draws
# their weights; l-PCA and l-ICA fit scikit-learn's PCA and FastICA on each
# patch (4 patches here; the paper uses 500 x 10 = 5000 units).
common = {"patch_size": patch_size, "image_shape": image_shape, "random_state": 0}
front_ends = {
    "l-RP: random Gaussian weights": LocalizedRandomProjection(40, **common),
    "l-RG: random Gabor filters": RandomGabor(40, **gabor, **common),
    "l-PCA: principal components of each patch": LocalizedPCA(4, 10, **common),
    "l-ICA: independent components of each patch": LocalizedICA(
        4, 10, max_iter=1000, tol=1e-3, **common
    ),
}
for front_end in front_ends.values():
    front_end.fit(X)

# %%
# Receptive fields
# ----------------
# Each small image is one hidden unit's weights cropped to its patch: red is
# positive, blue negative, each field on its own symmetric colour scale.
# Random projections are noise; Gabor filters are oriented stripes of random
# wavelength and phase; the principal components of a patch are smooth,
# ordered from the coarsest (the mean stroke) to finer ones; the independent
# components are more localized stroke fragments.
fig, axes = plt.subplots(2, 2, figsize=(12, 6.5), layout="constrained")
for ax, (title, front_end) in zip(axes.ravel(), front_ends.items(), strict=True):
    plot_receptive_fields(
        front_end, n_fields=40, n_cols=10, crop=True, ax=ax, title=title
    )
fig.suptitle(f"Receptive fields of four localized front ends on {dataset}")
fig.savefig("front_end_gallery.png", dpi=100)
plt.show()
