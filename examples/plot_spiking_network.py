"""
=======================================================
A spiking l-RP network learning with a local trace rule
=======================================================

Illing, Gerstner & Brea's (2019) spiking version of the localized network:
leaky integrate-and-fire neurons (``tau_m dv/dt = -v + I``, mV and ms), one
input neuron per pixel driven by the constant current ``20 + 500 *
x_centred`` mV, a layer of hidden neurons with fixed localized random weights
(l-RP) and one output neuron per class. Only the readout learns: at each
arrival of a hidden spike, ``w[i, j] += eta * (target_i - trace_i)``, where
the output's trace reads its rate and the target is 500 Hz for the image's
class, 0 for the others.

To run in seconds, the example uses scikit-learn's 8x8 digits, 1000 hidden
units, a 0.1 ms step and short windows (20 ms without and 20 ms with
plasticity per training image; 70 ms per test image, spikes counted in the
last 50) and a learning rate 50 times the paper's. The paper's setting on
MNIST (5000 units, 100 + 50 ms per image, 10^6 presentations) is the
benchmark ``python -m skbio_plastic bench accuracy --dataset mnist --method
spiking-l-rp``. The pictures: the output rates during learning, and the
spikes of every neuron for one test image.
"""

# %%
# Load the images
# ---------------
# Pixels in [0, 1]. The classifier subtracts the per-pixel training mean
# itself, so a pixel brighter than its mean drives its input neuron above
# threshold and a darker one keeps it silent.
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skbio_plastic import LocalizedRandomProjection, SpikingLIFClassifier
from skbio_plastic.plotting import plot_spike_raster

X, y = load_digits(return_X_y=True)
X = (X / 16).astype("float32")  # load_digits pixels are 0..16
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, random_state=0, stratify=y
)

# %%
# Train the readout, chunk after chunk
# ------------------------------------
# ``partial_fit`` continues exactly where the previous call stopped (no state
# is reset between images), so training in chunks of 50 images gives the
# output rates along the way: the mean rate, during the learning windows, of
# the output of the image's class and of the other outputs. ``input_mean``
# fixes the centring to the whole training set's mean from the first chunk
# on, as ``fit`` would.
clf = SpikingLIFClassifier(
    LocalizedRandomProjection(1000, patch_size=4, image_shape=(8, 8), random_state=0),
    learning_rate=1e-2,
    dt=0.1,
    t_transient=20,
    t_learn=20,
    t_test=70,
    t_count=50,
    input_mean=X_train.mean(axis=0),
    random_state=0,
)
rng = np.random.default_rng(0)
n_epochs, chunk = 3, 50
presented, accuracy_at = [], {}
start = time.perf_counter()
for epoch in range(n_epochs):
    order = rng.permutation(len(X_train))
    for begin in range(0, len(order), chunk):
        rows = order[begin : begin + chunk]
        clf.partial_fit(X_train[rows], y_train[rows], classes=np.arange(10))
        presented.append(clf.n_presentations_)
    accuracy_at[clf.n_presentations_] = clf.score(X_test, y_test)
    print(
        f"epoch {epoch + 1}: test accuracy {accuracy_at[clf.n_presentations_]:.3f} "
        f"({time.perf_counter() - start:.1f} s)"
    )

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(presented, clf.label_rate_curve_, label="output of the image's class")
ax.plot(presented, clf.other_rate_curve_, label="other outputs (mean)")
ax.axhline(clf.target_rate, color="grey", linestyle=":", label="target rate")
ax.set_xlabel("training images presented")
ax.set_ylabel("rate while learning (Hz)")
ax.set_title(
    "Output rates during learning; test accuracy "
    + ", ".join(f"{a:.2f}" for a in accuracy_at.values())
    + " after each epoch"
)
ax.legend()
fig.tight_layout()

# %%
# Spikes for one test image
# -------------------------
# ``spike_trains`` simulates one image as ``predict`` does, from the state
# at the end of training: the input neurons of the bright pixels fire
# regularly (faster for brighter pixels), the hidden units whose patch sees
# them follow 0.1 ms later, and after a transient the output of the
# predicted class fires far more than the others. ``predict`` counts the
# output spikes of the last 50 ms (shaded). The image is the first test
# image that the network classifies correctly.
predicted = clf.predict(X_test)
index = int(np.flatnonzero(predicted == y_test)[0])
trains = clf.spike_trains(X_test[index])
sizes = (X.shape[1], 1000, 10)
fig = plot_spike_raster(
    trains,
    sizes=sizes,
    title=f"test image {index}: digit {y_test[index]}, predicted {predicted[index]}",
)
output_axis = fig.axes[-1]
output_axis.axvspan(clf.t_test - clf.t_count, clf.t_test, color="C1", alpha=0.15)
output_axis.set_yticks(range(10))
output_axis.tick_params(axis="y", labelsize=6)
# sphinx_gallery_thumbnail_number = 2
plt.show()
