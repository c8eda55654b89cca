"""``bench accuracy --method diehl-cook-N``: Diehl & Cook's STDP network.

The paper's experiment: :class:`~skbio_plastic.spiking.STDPSpikingTransformer`
with ``N`` excitatory neurons learns from the training images without labels,
in order, for ``n_epochs`` passes; then every excitatory neuron is labelled by
the class it fires most for on the training images and a test image is
classified by the class whose neurons fire most on average
(:class:`~skbio_plastic.spiking.LabelAssignmentClassifier`). The record adds
what the paper did not have: an accuracy curve (the same readout, labels from
a fixed subset of training images, scored on a fixed subset of the evaluation
images, after every ``checkpoint_every`` training images), and our own
readouts trained on the same spike counts of the training images, the delta
rule (:class:`~skbio_plastic.LocalDeltaClassifier`) and scikit-learn's
``LogisticRegression``, both after a ``StandardScaler``: how much a trained
readout adds to the paper's.
"""

import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .._progress import format_seconds
from ..readout import LocalDeltaClassifier
from ..spiking import LabelAssignmentClassifier, STDPSpikingTransformer
from ._common import default_results_dir, save_record, write_record

#: Options of ``--readout`` (``readout_params``) for this benchmark and their
#: defaults: passes over the training images; training images between two
#: points of the curve (the authors' script updated its labels every 10,000);
#: the fixed random subsets of training images that label the neurons and of
#: evaluation images that are scored at each point of the curve; the first
#: ``train_size`` training images only (None: all); threads of ``transform``;
#: a budget of training minutes (None: none): training stops at the first
#: point of the curve past it, and the record gives the epochs trained; the
#: order of the images: the paper's (False) or a new random order each epoch.
BENCH_OPTIONS = {
    "n_epochs": 1,
    "checkpoint_every": 10000,
    "assign_size": 5000,
    "eval_size": 2000,
    "train_size": None,
    "n_jobs": 1,
    "max_minutes": None,
    "shuffle": False,
}
READOUT_ESTIMATOR = "LabelAssignmentClassifier"


def _options(readout_params):
    """:data:`BENCH_OPTIONS` updated by ``readout_params``, checked."""
    unknown = set(readout_params or {}) - set(BENCH_OPTIONS)
    if unknown:
        raise ValueError(
            f"unknown readout parameters {sorted(unknown)} of the Diehl & Cook "
            f"benchmark; it takes {', '.join(BENCH_OPTIONS)}."
        )
    options = {**BENCH_OPTIONS, **(readout_params or {})}
    for name, value in options.items():
        if value is None and BENCH_OPTIONS[name] is None:
            continue
        if name == "shuffle":
            if not isinstance(value, bool):
                raise ValueError(f"shuffle must be true or false, got {value!r}.")
        elif name == "max_minutes":  # any positive number
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"max_minutes must be a number, got {value!r}.")
            if not value > 0:
                raise ValueError(f"max_minutes must be positive, got {value!r}.")
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return options


def _check_arguments(method, n_components, n_excitatory, readout, n_labels, centre):
    """The generic benchmark options that do not apply here raise."""
    if n_components not in (None, n_excitatory):
        raise ValueError(
            f"{method} has {n_excitatory} excitatory neurons; choose the method "
            f"diehl-cook-{n_components} instead of n_components={n_components}."
        )
    if readout != "delta":
        raise ValueError(
            f"{method} reads out with the paper's {READOUT_ESTIMATOR} and records "
            "the delta rule and LogisticRegression on the same counts beside it; "
            f"--classifier {readout} does not apply."
        )
    if n_labels is not None:
        raise ValueError(f"{method} does not take n_labels (few labels).")
    if centre not in (None, "none"):
        raise ValueError(
            f"{method} takes raw pixels in [0, 1] as input rates; centre={centre!r} "
            "does not apply."
        )


def _our_readouts(seed):
    """Our readouts of the spike counts, by name: delta rule, logistic regression."""
    return {
        "LocalDeltaClassifier": make_pipeline(
            StandardScaler(), LocalDeltaClassifier(max_iter=30, random_state=seed)
        ),
        "LogisticRegression": make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=300)
        ),
    }


def _epochs(network, n_train):
    """Passes over ``n_train`` images ``network`` has seen: an int when whole."""
    epochs = network.n_images_seen_ / n_train
    return int(epochs) if epochs.is_integer() else epochs


def _labelled_score(network, X_assign, y_assign, X_eval, y_eval):
    """Accuracy of the paper's readout labelled on ``X_assign``, on ``X_eval``."""
    readout = LabelAssignmentClassifier().fit(network.transform(X_assign), y_assign)
    return float(readout.score(network.transform(X_eval), y_eval))


def run_diehl_cook_accuracy(
    dataset,
    method,
    *,
    seeds=(0,),
    protocol="test",
    n_components=None,
    front_params=None,
    readout="delta",
    readout_params=None,
    n_labels=None,
    centre=None,
    data_home=None,
    output_dir=None,
    verbose=True,
):
    """Train and score ``diehl-cook-N`` for each seed; save a JSON record.

    Each seed's network (``random_state=seed``, ``front_params`` passed to
    :class:`~skbio_plastic.spiking.STDPSpikingTransformer`) sees the training
    images in order (a new random order each epoch with the option
    ``shuffle``), ``n_epochs`` times, through ``partial_fit`` in chunks of
    ``checkpoint_every``. After each chunk, the paper's readout is labelled on
    a fixed random subset of ``assign_size`` training images and scored on a
    fixed random subset of ``eval_size`` evaluation images, and a progress
    record (kind ``"accuracy-progress"``, ignored by the tables) is rewritten
    with the curve so far. At the end the neurons are labelled on every
    training image, the whole evaluation set is scored, our readouts are
    trained on the same spike counts, and the accuracy record replaces the
    progress record. The options of :data:`BENCH_OPTIONS` come in
    ``readout_params``. ``readout``, ``n_labels`` and ``centre`` exist for
    :func:`~skbio_plastic.bench.run_accuracy`'s signature: anything but their
    defaults raises a ``ValueError``.

    Returns
    -------
    record : dict
    """
    from .accuracy import METHODS, format_accuracy, load_split  # imports this module

    n_excitatory = METHODS[method].n_components
    _check_arguments(method, n_components, n_excitatory, readout, n_labels, centre)
    options = _options(readout_params)
    try:
        networks = [
            STDPSpikingTransformer(
                n_excitatory,
                n_epochs=options["n_epochs"],
                n_jobs=options["n_jobs"],
                random_state=seed,
                **(front_params or {}),
            )
            for seed in seeds
        ]
    except TypeError as error:
        raise ValueError(f"front-end parameters of {method}: {error}") from None
    for network in networks:
        network._validate_params()
    X_train, y_train, X_eval, y_eval, _ = load_split(dataset, protocol, data_home)
    n_train, every = options["train_size"], options["checkpoint_every"]
    X_train, y_train = X_train[:n_train], y_train[:n_train]
    rng = np.random.default_rng(0)
    assign = np.sort(
        rng.choice(len(X_train), min(options["assign_size"], len(X_train)), False)
    )
    subset = np.sort(
        rng.choice(len(X_eval), min(options["eval_size"], len(X_eval)), False)
    )
    output_dir = default_results_dir() if output_dir is None else Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    name = f"{dataset}_{method}_{protocol}"
    stamp = time.strftime("%Y%m%dT%H%M%S")
    progress_path = output_dir / f"{name}_progress_{stamp}.json"
    record = {
        "kind": "accuracy-progress",
        "dataset": dataset,
        "method": method,
        "protocol": protocol,
        "n_train": int(len(X_train)),
        "n_labels": None,
        "n_eval": int(len(X_eval)),
        "epochs": options["n_epochs"],
        "max_minutes": options["max_minutes"],
        "checkpoint_every": every,
        "assign_subset_size": int(len(assign)),
        "eval_subset_size": int(len(subset)),
        "params": {
            "front_end_estimator": "STDPSpikingTransformer",
            "front_end": None,
            "front_end_stack": [],
            "readout_estimator": READOUT_ESTIMATOR,
            "readout": {},
            "centring": "none",
        },
        "runs": [],
    }
    for seed, network in zip(seeds, networks, strict=True):
        run = {"seed": seed, "curve": []}
        record["runs"].append(run)
        # the network's own shuffle is that of fit; here the option's
        record["params"]["front_end"] = {
            **network.get_params(),
            "shuffle": options["shuffle"],
        }
        started = time.perf_counter()
        train_seconds = 0.0
        chunks = [
            (epoch, start)
            for epoch in range(options["n_epochs"])
            for start in range(0, len(X_train), every)
        ]
        shuffler = np.random.default_rng(seed)
        for epoch, start in chunks:
            if train_seconds > 60 * (options["max_minutes"] or np.inf):
                break
            if start == 0:
                order = np.arange(len(X_train))
                if options["shuffle"]:
                    order = shuffler.permutation(len(X_train))
            begin = time.perf_counter()
            network.partial_fit(X_train[order[start : start + every]])
            train_seconds += time.perf_counter() - begin
            accuracy = _labelled_score(
                network, X_train[assign], y_train[assign], X_eval[subset],
                y_eval[subset],
            )  # fmt: skip
            run["curve"].append(
                {
                    "epochs": _epochs(network, len(X_train)),
                    "images": int(network.n_images_seen_),
                    "presentations": int(network.n_presentations_),
                    "subset_accuracy": accuracy,
                    "train_seconds": train_seconds,
                    "spikes_per_image": network.spikes_per_image_curve_[-1],
                    "presented_again": network.retry_fraction_curve_[-1],
                    "median_theta_mV": float(np.median(network.theta_)),
                }
            )
            run["fit_seconds"] = train_seconds
            write_record(record, progress_path)
            if verbose:
                print(
                    f"{dataset} {method} seed {seed}: epoch {epoch + 1}, "
                    f"{network.n_images_seen_} images ("
                    f"{network.n_presentations_} presentations), accuracy "
                    f"{accuracy:.4f} on {len(subset)} evaluation images "
                    f"(labels from {len(assign)} training images), training "
                    f"{format_seconds(train_seconds)}",
                    flush=True,
                )
        begin = time.perf_counter()
        train_counts = network.transform(X_train)
        label_seconds = time.perf_counter() - begin
        begin = time.perf_counter()
        eval_counts = network.transform(X_eval)
        paper = LabelAssignmentClassifier().fit(train_counts, y_train)
        accuracy = float(paper.score(eval_counts, y_eval))
        predict_seconds = time.perf_counter() - begin
        others = {}
        for other, model in _our_readouts(seed).items():
            model.fit(train_counts, y_train)
            others[other] = float(model.score(eval_counts, y_eval))
        run.update(
            accuracy=accuracy,
            other_readouts=others,
            epochs=_epochs(network, len(X_train)),
            fit_seconds=train_seconds,
            label_seconds=label_seconds,
            predict_seconds=predict_seconds,
            wall_seconds=time.perf_counter() - started,
            n_images_seen=int(network.n_images_seen_),
            n_presentations=int(network.n_presentations_),
            ms_per_presentation=1e3 * train_seconds / network.n_presentations_,
            ms_per_test_image=1e3 * predict_seconds / len(X_eval),
            unassigned_neurons=int(np.count_nonzero(paper.assignments_ < 0)),
            neurons_per_class=np.bincount(
                paper.assignments_[paper.assignments_ >= 0],
                minlength=len(paper.classes_),
            ).tolist(),
        )
        write_record(record, progress_path)
        if verbose:
            print(
                f"{dataset} {method} seed {seed}: accuracy {accuracy:.4f} (labels "
                f"from all {len(X_train)} training images); on the same counts "
                + ", ".join(f"{k} {v:.4f}" for k, v in others.items())
                + f"; fit {format_seconds(train_seconds)}, wall "
                f"{format_seconds(run['wall_seconds'])}",
                flush=True,
            )
    accuracies = np.array([run["accuracy"] for run in record["runs"]])
    # the epochs trained, fewer than planned when max_minutes stopped them
    epochs = min(run["epochs"] for run in record["runs"])
    record["params"]["front_end"]["n_epochs"] = epochs
    record.update(
        kind="accuracy",
        epochs=epochs,
        planned_epochs=options["n_epochs"],
        accuracy_mean=float(accuracies.mean()),
        accuracy_std=float(accuracies.std()),
        other_readouts={
            other: float(np.mean([r["other_readouts"][other] for r in record["runs"]]))
            for other in record["runs"][0]["other_readouts"]
        },
    )
    record, path = save_record(record, output_dir, name)
    progress_path.unlink()
    if verbose:
        print(
            f"{dataset} {method} ({protocol}): {format_accuracy(record)} % over "
            f"seeds {list(seeds)}\nrecord written to {path}"
        )
    return record
