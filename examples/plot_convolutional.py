"""
=====================================================
Convolutional Hebbian filters: colour and digit edges
=====================================================

``ConvolutionalHebbian`` learns one bank of filters with Krotov & Hopfield's
local ranking rule on image patches, each centred and scaled to unit length
(patch normalisation), and applies the bank at every position of the image,
followed by ``relu(.) ** power`` and pooling (Grinberg, Hopfield & Krotov
2019). No label reaches the filters; a delta-rule readout on the pooled maps
is the only part that sees labels.

The example learns colour filters from CIFAR-10 (or, without its files, from
the two photographs that ship with scikit-learn), then shows how the accuracy
on scikit-learn's 8 x 8 digits grows with the number of filters. It runs in
under a minute; the benchmark (``python -m skbio_plastic bench accuracy
--method conv``) runs CIFAR-10, MNIST and Fashion-MNIST. The picture is
saved as ``convolutional.png``.
"""

# %%
# Colour filters from CIFAR-10, or from photographs
# -------------------------------------------------
# The filters learn from 50,000 random 5 x 5 x 3 patches of 32 x 32 colour
# images: the first CIFAR-10 batch when :mod:`skbio_plastic.datasets` finds
# its files, else the two sample photographs of scikit-learn cut into
# 32 x 32 tiles.
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits, load_sample_images
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbio_plastic import ConvolutionalHebbian, LocalDeltaClassifier
from skbio_plastic.datasets import load_cifar10
from skbio_plastic.plotting import plot_receptive_fields

try:
    images, _ = load_cifar10(batches=[1], return_X_y=True)
    source = "CIFAR-10"
except FileNotFoundError:
    tiles = []
    for photo in load_sample_images().images:
        height, width = (side - side % 32 for side in photo.shape[:2])
        grid = photo[:height, :width].reshape(height // 32, 32, width // 32, 32, 3)
        tiles.append(grid.swapaxes(1, 2).reshape(-1, 32 * 32 * 3))
    images = np.concatenate(tiles).astype(np.float32) / 255
    source = "photo"
colour = ConvolutionalHebbian(
    64, filter_size=5, n_patches=50_000, n_epochs=20, image_shape=(32, 32, 3),
    random_state=0,
).fit(images)  # fmt: skip
print(f"{len(images)} {source} images; filters {colour.components_.shape}")

# %%
# Accuracy against the number of filters on digits
# ------------------------------------------------
# 3 x 3 filters on the 8 x 8 digits, 2 x 2 max pooling of the 6 x 6 maps,
# the pooled maps standardised, and a softmax delta-rule readout.
X, y = load_digits(return_X_y=True)
X = (X / 16).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, random_state=0, stratify=y
)
n_filters = [4, 8, 16, 32, 64]
scores = []
for n in n_filters:
    model = make_pipeline(
        ConvolutionalHebbian(
            n, filter_size=3, k=2, n_patches=20_000, image_shape=(8, 8),
            random_state=0,
        ),
        StandardScaler(),
        LocalDeltaClassifier(
            loss="softmax", solver="adam", batch_size=32, learning_rate=1e-3,
            max_iter=40, tol=None, random_state=0,
        ),
    )  # fmt: skip
    start = time.perf_counter()
    scores.append(model.fit(X_train, y_train).score(X_test, y_test))
    print(
        f"{n:3d} filters: test accuracy {scores[-1]:.3f} "
        f"({time.perf_counter() - start:.1f} s)"
    )

# %%
# The picture
# -----------
# Left: the filters as the rule learned them, on whitened patches (each
# scaled to its own range; grey is zero): oriented edges and colour blobs.
# Right: test accuracy on digits against the number of filters.
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5))
plot_receptive_fields(
    colour.learner_.components_, image_shape=(5, 5, 3), n_fields=64, ax=left,
    title=f"64 filters learned on {source} patches",
)  # fmt: skip
right.plot(n_filters, scores, "o-")
right.set_xscale("log", base=2)
right.set_xlabel("filters (3 x 3, shared over positions)")
right.set_ylabel("test accuracy (digits)")
right.set_title("Accuracy against the number of filters")
right.grid(True, alpha=0.3)
fig.tight_layout()
fig.savefig("convolutional.png", dpi=100)
