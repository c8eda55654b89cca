"""
===========================================================
Digit prototypes learned by spike-timing-dependent plasticity
===========================================================

Diehl & Cook (2015) learn MNIST without labels in a network of spiking
neurons: Poisson inputs at pixel rates drive excitatory neurons through
plastic synapses, each excitatory neuron inhibits all the others through
its own inhibitory partner, and every spike raises the neuron's threshold a
little. STDP moves the weights of the neuron that fires towards the image
that made it fire, the inhibition keeps the others quiet, and the rising
thresholds share the images out: each neuron becomes the prototype of a few
digits. A neuron is then labelled by the class it fires most for, and an
image is classified by the class whose neurons fire most on average.

This example trains :class:`~skbio_plastic.spiking.STDPSpikingTransformer`
with 100 excitatory neurons on MNIST when
:func:`skbio_plastic.datasets.load_mnist` finds the files (set
``SKBIO_PLASTIC_DATA``), otherwise on scikit-learn's 8x8 digits, and reads it
out with :class:`~skbio_plastic.spiking.LabelAssignmentClassifier` after
every 1,000 training images; it saves the learned weights and the accuracy
curve as ``diehl_cook.png``.
"""

# %%
# Load the images
# ---------------
# Pixels in [0, 1]: a white pixel fires at 63.75 Hz, the paper's pixel / 4
# Hz for 0-255 pixels.
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from skbio_plastic.spiking import LabelAssignmentClassifier, STDPSpikingTransformer

try:
    from skbio_plastic.datasets import load_mnist

    X, y = load_mnist(subset="train", return_X_y=True)
    X_test, y_test = load_mnist(subset="test", return_X_y=True)
    X_train, y_train = X[:6000], y[:6000]
    X_assign, y_assign = X[:1000], y[:1000]
    X_test, y_test = X_test[:1000], y_test[:1000]
    dataset, image_shape = "MNIST", (28, 28)
except (FileNotFoundError, ImportError):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0  # load_digits pixels are 0..16
    X_train, y_train = X[:1500], y[:1500]
    X_assign, y_assign = X[:1000], y[:1000]
    X_test, y_test = X[1500:], y[1500:]
    dataset, image_shape = "digits", (8, 8)

# %%
# The network
# -----------
# The paper's constants throughout; the normalisation target (a sum of 78
# over 784 inputs, 0.1 per input) is scaled to the number of pixels.
n_features = X_train.shape[1]
network = STDPSpikingTransformer(
    n_excitatory=100, weight_sum=78.0 * n_features / 784, random_state=0
)

# %%
# Learn without labels, read out with labels
# -------------------------------------------
# ``partial_fit`` continues exactly where it stopped, so the network is
# trained in blocks of 1,000 images and read out after each: neurons are
# labelled from their spike counts on training images (``transform``
# presents each image with plasticity off and thresholds fixed).
steps, accuracies = [], []
start = time.perf_counter()
for begin in range(0, len(X_train), 1000):
    network.partial_fit(X_train[begin : begin + 1000])
    readout = LabelAssignmentClassifier().fit(network.transform(X_assign), y_assign)
    accuracies.append(readout.score(network.transform(X_test), y_test))
    steps.append(network.n_images_seen_)
    print(
        f"{steps[-1]:5d} images ({network.n_presentations_} presentations): "
        f"test accuracy {accuracies[-1]:.3f}"
    )
print(f"{time.perf_counter() - start:.1f} s in all")

# %%
# Prototypes and learning curve
# -----------------------------
# Each tile is one excitatory neuron's input weights, darker for stronger,
# with the class it was assigned (``-``: never fired on the images of the
# assignment).
height, width = image_shape
tiles = network.weights_.T.reshape(10, 10, height, width)
mosaic = np.pad(tiles, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=np.nan)
mosaic = mosaic.transpose(0, 2, 1, 3).reshape(10 * (height + 2), 10 * (width + 2))
fig = plt.figure(figsize=(11, 5.5), layout="constrained")
grid = fig.add_gridspec(1, 2, width_ratios=(1, 0.8))
ax = fig.add_subplot(grid[0])
ax.imshow(mosaic, cmap="gray_r")
for neuron, label in enumerate(readout.assignments_):
    row, col = divmod(neuron, 10)
    text = str(readout.classes_[label]) if label >= 0 else "-"
    ax.text(col * (width + 2) + 2, row * (height + 2) + 2, text, color="tab:red",
            fontsize=7, va="top")  # fmt: skip
ax.set_axis_off()
ax.set_title("input weights of each neuron, its assigned class in red")
ax = fig.add_subplot(grid[1])
ax.plot(steps, accuracies, "o-")
ax.set_xlabel("training images")
ax.set_ylabel(f"test accuracy ({len(y_test)} {dataset} images)")
ax.set_title("label-assignment readout")
fig.suptitle(f"Diehl & Cook's network, 100 excitatory neurons, {dataset}")
fig.savefig("diehl_cook.png", dpi=120)
plt.show()
