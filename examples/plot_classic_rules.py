"""
===============================================
Receptive fields of the classic plasticity rules
===============================================

The rate-based rules of the lecture, each learning the weights of a few hidden
units from image patches without labels, side by side with the principal
components that :class:`~skbio_plastic.LocalizedPCA` computes by linear
algebra:

- plain Hebb with a unit-norm normalisation and winner-take-all competition
  (:class:`~skbio_plastic.HebbianTransformer`);
- the covariance rule with the same competition;
- Oja's subspace rule and Sanger's generalised Hebbian algorithm
  (:class:`~skbio_plastic.OjaTransformer`): Sanger's units find the ordered
  principal components, Oja's a rotation of the same subspace;
- BCM with its sliding threshold (:class:`~skbio_plastic.BCMTransformer`),
  with winner-take-all competition (without it, all eight units become
  selective to the same strongest feature of these patches).

The data are 6 x 6 patches of scikit-learn's 8 x 8 digits, so the script runs
in seconds anywhere (no download). The benchmark compares the same rules on
MNIST (``bench accuracy --method l-sanger`` and so on).
"""

# %%
# Image patches
# -------------
# Every 6 x 6 patch of the first 600 digits, pixels in [0, 1], with the mean of
# each patch pixel removed (as PCA and the Illing-style front ends expect).
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.feature_extraction.image import extract_patches_2d

from skbio_plastic import (
    BCMTransformer,
    HebbianTransformer,
    LocalizedPCA,
    OjaTransformer,
)

digits = load_digits().images[:600] / 16
patches = np.concatenate([extract_patches_2d(image, (6, 6)) for image in digits])
X = patches.reshape(len(patches), -1)
X -= X.mean(axis=0)
print(f"{X.shape[0]} patches of {X.shape[1]} pixels")

# %%
# Learn eight units with each rule
# --------------------------------
# Each estimator sees the whole 6 x 6 patch (``patch_size=None``); in a full
# front end they would be given ``patch_size`` and ``image_shape`` instead and
# learn on random patches of whole images.
n_units = 8
models = {
    "l-PCA (linear algebra)": LocalizedPCA(
        n_patches=1, n_components_per_patch=n_units, patch_size=None
    ),
    "Sanger": OjaTransformer(n_units, rule="sanger", n_epochs=20, batch_size=20),
    "Oja (subspace)": OjaTransformer(n_units, rule="oja", n_epochs=20, batch_size=20),
    "Hebb + WTA": HebbianTransformer(n_units, competition="wta", n_epochs=10),
    "covariance + WTA": HebbianTransformer(
        n_units, rule="covariance", competition="wta", n_epochs=10
    ),
    "BCM + WTA": BCMTransformer(n_units, competition="wta", n_epochs=10),
}
for model in models.values():
    model.set_params(random_state=0).fit(X)

# %%
# Sanger's units against the principal components
# -----------------------------------------------
# The absolute cosine between each Sanger unit and the principal component of
# the same rank (1 is the same direction, up to sign).
pca_rows = models["l-PCA (linear algebra)"].components_
pca_rows = pca_rows / np.linalg.norm(pca_rows, axis=1, keepdims=True)
cosines = np.abs(np.sum(models["Sanger"].components_ * pca_rows, axis=1))
print("Sanger vs PCA, |cos| per rank:", np.round(cosines, 3))

# %%
# The receptive fields
# --------------------
# One row per rule, one column per unit, each field on its own symmetric
# colour scale (red positive, blue negative).
fig, axes = plt.subplots(
    len(models), n_units, figsize=(1.3 * n_units, 1.45 * len(models))
)
for row, (name, model) in zip(axes, models.items(), strict=True):
    for ax, weights in zip(row, model.components_, strict=True):
        limit = np.abs(weights).max() or 1.0
        ax.imshow(weights.reshape(6, 6), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_xticks([])
        ax.set_yticks([])
    row[0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
fig.suptitle("Receptive fields learned on 6 x 6 digit patches")
fig.tight_layout()
plt.show()
