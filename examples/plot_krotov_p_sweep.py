"""
=================================================
The exponent p shapes what competing units learn
=================================================

Krotov & Hopfield (2019) show how the receptive fields change with the
exponent ``p`` of the Lebesgue inner product: with ``p = 2`` the units learn
blurry, prototype-like digits; larger ``p`` concentrates each unit's weight on
fewer, stronger pixels, and the fields become sharper and more feature-like.
This example fits :class:`~skbio_plastic.KrotovHebbianTransformer` for
``p`` = 2, 3, 4 and 5 with everything else fixed and shows the fields side by
side, saved as ``krotov_p_sweep.png``. It uses MNIST when
:func:`skbio_plastic.datasets.load_mnist` finds it (``SKBIO_PLASTIC_DATA``),
else scikit-learn's digits. Accuracy against ``p`` on the full data is a
benchmark: ``python -m skbio_plastic bench accuracy --method krotov
--front-end '{"p": 4}'``.
"""

# %%
# Load the images (raw pixels in [0, 1], as the rule expects)
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits

from skbio_plastic import KrotovHebbianTransformer
from skbio_plastic.plotting import plot_receptive_fields

try:
    from skbio_plastic.datasets import load_mnist

    X, _ = load_mnist(subset="train", return_X_y=True)
    X, image_shape, n_components, n_epochs = X[:10_000], (28, 28), 100, 20
except (FileNotFoundError, ImportError):
    X, _ = load_digits(return_X_y=True)
    X, image_shape, n_components, n_epochs = X / 16, (8, 8), 36, 400

# %%
# Learn one layer per exponent and draw its fields
fig, axes = plt.subplots(1, 4, figsize=(16, 4.6))
for p, ax in zip([2, 3, 4, 5], axes, strict=True):
    krotov = KrotovHebbianTransformer(
        n_components,
        p=p,
        k=2,
        delta=0.4,
        learning_rate=0.04,
        n_epochs=n_epochs,
        image_shape=image_shape,
        random_state=0,
    ).fit(X)
    plot_receptive_fields(krotov, n_fields=36, ax=ax)
    ax.set_title(f"p = {p}")
fig.suptitle("Receptive fields of competing hidden units against the exponent p")
fig.savefig("krotov_p_sweep.png", dpi=110)
