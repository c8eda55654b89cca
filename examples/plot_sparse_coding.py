"""
=======================================================
Local sparse coding: receptive fields learned per patch
=======================================================

The l-SC front end of Illing, Gerstner & Brea (2019): every random patch of
the image feeds a small circuit of units that infers a sparse code with
leaky, mutually inhibiting units (Brito & Gerstner 2016). The feed-forward
weights learn by a Hebbian rule with unit-norm rows, the inhibition between
units by an anti-Hebbian rule (``LocalizedSparseCoding``). A local delta-rule
readout is the only part that sees labels.

The example runs on scikit-learn's 8 x 8 ``load_digits`` images in a few
seconds; the benchmark (``python -m skbio_plastic bench accuracy --method
l-sc``) runs the paper's setting on MNIST and CIFAR-10. It ends with a picture
of one circuit's learned receptive fields and lateral inhibition, saved as
``sparse_coding.png``.
"""

# %%
# Fit the network
# ---------------
# Pixels in [0, 1], per-pixel training mean removed (``StandardScaler``
# without scaling), as the circuit expects centred inputs.
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbio_plastic import LocalDeltaClassifier, LocalizedSparseCoding
from skbio_plastic.plotting import plot_receptive_fields

X, y = load_digits(return_X_y=True)
X = (X / 16).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, random_state=0, stratify=y
)
sparse_coding = LocalizedSparseCoding(
    n_patches=60,
    n_components_per_patch=8,
    patch_size=4,
    image_shape=(8, 8),
    learning_rate=1e-2,
    n_epochs=5,
    random_state=0,
)
model = make_pipeline(
    StandardScaler(with_std=False),
    sparse_coding,
    LocalDeltaClassifier(max_iter=30, tol=None, random_state=0),
)
start = time.perf_counter()
model.fit(X_train, y_train)
print(f"fit in {time.perf_counter() - start:.1f} s")
print(f"test accuracy: {model.score(X_test, y_test):.3f}")
print(f"share of active units while learning: {sparse_coding.active_fraction_:.2f}")

# %%
# The code is sparse
# ------------------
# The lateral inhibition silences most units of a circuit for each image:
# compare the share of non-zero codes with the share of positive currents
# ``W x`` of the same weights without inhibition.
centred = model[0].transform(X_test)
codes = sparse_coding.transform(centred)
currents = centred @ sparse_coding.components_.T
print(f"non-zero codes: {np.mean(codes > 0):.2f}")
print(f"positive W x: {np.mean(currents > 0):.2f}")

# %%
# Receptive fields and inhibition
# -------------------------------
# Left: the feed-forward weights of the first circuits' units (each row of
# ``components_`` is zero outside its 4 x 4 patch; ``crop=True`` shows the
# patch). Right: the learned inhibition ``lateral_`` of the first circuit,
# non-negative with a zero diagonal: it grows between units that respond to
# the same images more often than their mean activity predicts.
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4.5))
plot_receptive_fields(
    sparse_coding, n_fields=48, n_cols=8, crop=True, ax=left, title="W (6 circuits)"
)
image = right.imshow(sparse_coding.lateral_[0], cmap="Greys")
right.set_title("lateral inhibition A of circuit 0")
right.set_xlabel("from unit j")
right.set_ylabel("to unit k")
fig.colorbar(image, ax=right, shrink=0.8)
fig.tight_layout()
fig.savefig("sparse_coding.png")
plt.show()
