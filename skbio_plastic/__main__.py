"""Command line: ``skbio-plastic`` (or ``python -m skbio_plastic``).

Examples
--------
``skbio-plastic``
    Fit a localized random projection with a local delta-rule readout on
    scikit-learn's digits, beside the pixel-only baseline.
``skbio-plastic bench accuracy --dataset mnist --method l-rp``
    Train and test one method for three seeds; save a JSON record.
``skbio-plastic bench table``
    The best test record of each method beside the published numbers.
"""

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np

from . import __version__
from ._progress import format_seconds

PLOT_HINT = "needs matplotlib: pip install 'skbio-plastic[plot]'"


def demo(plot=None):
    """Pixels-only readout versus l-RP + readout on digits.

    Each model is first fitted once on a few images, so that the fit times
    compare the models rather than numba's compilation (reported apart). With
    ``plot`` (a file name), save a picture of the l-RP receptive fields there.
    """
    from sklearn.base import clone
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from . import LocalDeltaClassifier, LocalizedRandomProjection

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)  # pixels in [0, 1], 8 x 8 images
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    models = {
        "pixels -> delta readout (SP)": make_pipeline(
            StandardScaler(with_std=False),
            LocalDeltaClassifier(random_state=0),
        ),
        "l-RP (2000 units, 4x4 patches) -> delta readout": make_pipeline(
            StandardScaler(with_std=False),
            LocalizedRandomProjection(
                2000, patch_size=4, image_shape=(8, 8), random_state=0
            ),
            LocalDeltaClassifier(random_state=0),
        ),
    }
    print(f"digits: {len(X_train)} training and {len(X_test)} test images of 8 x 8")
    start = time.perf_counter()
    for model in models.values():
        clone(model).fit(X_train[:100], y_train[:100])
    print(
        f"  warm-up fits on 100 images (numba compilation): "
        f"{format_seconds(time.perf_counter() - start)}, not in the times below"
    )
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        print(
            f"  {name:50s} test accuracy {model.score(X_test, y_test):.3f}"
            f"  (fit {format_seconds(seconds)})"
        )
    if plot is None:
        print(
            "Add --plot FILE.png to save a picture of the l-RP receptive fields "
            f"({PLOT_HINT})."
        )
        return
    from .plotting import plot_receptive_fields

    plot_receptive_fields(model[1], n_fields=36).savefig(plot, dpi=120)
    print(f"Saved the l-RP receptive fields to {Path(plot).resolve()}")


def _bench(args):
    from . import bench

    if args.bench_command == "table":
        page_dir = None if args.output is None else Path(args.output).parent
        page = bench.render_table(
            args.results_dir, sweeps=args.sweeps, page_dir=page_dir
        )
        if args.output is None:
            print(page, end="")
        else:
            Path(args.output).write_text(page)
            folder = args.results_dir or bench.default_results_dir()
            print(f"wrote {args.output} from the records in {folder}")
    elif args.bench_command == "speed":
        bench.run_speed(
            args.kernels, data_home=args.data_home, output_dir=args.results_dir
        )
    else:
        bench.run_accuracy(
            args.dataset,
            args.method,
            seeds=args.seeds,
            protocol=args.protocol,
            n_components=args.n_components,
            patch_size=args.patch_size,
            front_params=args.front_end,
            readout=args.classifier,
            readout_params=args.readout,
            n_labels=args.n_labels,
            centre=args.centre,
            data_home=args.data_home,
            output_dir=args.results_dir,
        )


def _json_object(text):
    """argparse type: a JSON object of estimator parameters."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(
            f"not valid JSON ({error}): {text!r}"
        ) from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(
            f"expected a JSON object such as '{{\"max_iter\": 50}}', got {text!r}"
        )
    return value


def _integer(minimum):
    """argparse type: an integer of at least ``minimum``."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer, got {text!r}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"expected at least {minimum}, got {value}"
            )
        return value

    return parse


def _add_results_dir(parser, default, action):
    parser.add_argument(
        "--results-dir",
        default=None,
        metavar="FOLDER",
        help=f"folder the records are {action} (default: {default})",
    )


def _parser(prog):
    """The argument parser of the command line."""
    from .bench import default_results_dir
    from .bench.accuracy import CENTRINGS, DATASETS, METHODS, READOUTS
    from .bench.speed import KERNELS

    results_dir = default_results_dir()
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Without a command: a demo on scikit-learn's digits (well "
        "under a minute). 'bench': the accuracy and speed benchmarks.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    parser.add_argument(
        "--plot",
        metavar="FILE",
        help=f"demo: save a picture of the l-RP receptive fields here ({PLOT_HINT})",
    )
    commands = parser.add_subparsers(dest="command", metavar="{bench}")
    bench_parser = commands.add_parser(
        "bench",
        help="accuracy and speed benchmarks, tables of their records",
        description="Accuracy and speed benchmarks, each run writing a JSON "
        "record, and markdown tables of the accuracy records.",
    )
    bench_commands = bench_parser.add_subparsers(
        dest="bench_command", required=True, metavar="{accuracy,speed,table}"
    )

    accuracy = bench_commands.add_parser(
        "accuracy",
        help="train and test one method on one data set",
        description="Fit and score one method on one data set for each seed; "
        "write a JSON record of the accuracies, times, parameters and machine.",
    )
    accuracy.add_argument(
        "--dataset",
        required=True,
        metavar="DATASET",
        choices=DATASETS,
        help="digits: scikit-learn's 8 x 8 digits (no files needed); mnist, "
        "fashion-mnist, cifar10: read by skbio_plastic.datasets",
    )
    accuracy.add_argument(
        "--method",
        required=True,
        metavar="METHOD",
        choices=list(METHODS),
        help="sp: pixels only; rp, l-rp: random projection (l-: each unit "
        "sees one patch); rg, l-rg: random Gabor filters; pca, l-pca, ica, "
        "l-ica: PCA or ICA of the image or of random patches; l-hebb, l-oja, "
        "l-sanger, l-bcm: the classic rules (generalised Hebb with "
        "winner-take-all, Oja, Sanger, BCM) on random patches; l-sc: the local "
        "sparse-coding circuit on random patches; krotov, "
        "l-krotov, krotov-stack: Krotov & Hopfield's Hebbian layer, localized "
        "or two layers; conv: Krotov's rule as shared convolutional filters "
        "(--n-components filters) with patch normalisation and pooling; "
        "spiking-l-rp, spiking-l-rg: Illing's spiking network; "
        "diehl-cook-N: Diehl & Cook's STDP network of N excitatory neurons "
        "(--readout takes its options: n_epochs, checkpoint_every, ...); "
        "l-bp, l-fa, bp: baselines, the same network trained end to end by "
        "backprop or feedback alignment (--readout takes LocalizedMLPClassifier's "
        "options)",
    )
    accuracy.add_argument(
        "--protocol",
        default="test",
        choices=["test", "validation"],
        help="test: train on the training set, score on the test set (CIFAR-10: "
        "batches 1-4 and 5); validation: hold out the end of the training set "
        "to choose settings (default: test)",
    )
    accuracy.add_argument(
        "--seeds",
        type=_integer(0),
        nargs="+",
        default=[0, 1, 2],
        metavar="SEED",
        help="random states, one fit each (default: 0 1 2)",
    )
    accuracy.add_argument(
        "--n-components",
        type=_integer(1),
        default=None,
        metavar="N",
        help="hidden units (default: 2000 for Krotov's rule, 5000 otherwise)",
    )
    accuracy.add_argument(
        "--patch-size",
        type=_integer(1),
        default=None,
        metavar="P",
        help="side of the square patch each unit sees, localized (l-) methods "
        "only (default: 10; 4 on digits)",
    )
    accuracy.add_argument(
        "--front-end",
        type=_json_object,
        default=None,
        metavar="JSON",
        help="front-end parameters as JSON, e.g. '{\"weight_scale\": 0.01}'",
    )
    accuracy.add_argument(
        "--classifier",
        default="delta",
        choices=list(READOUTS),
        help="readout: delta, our LocalDeltaClassifier; sgd, scikit-learn's "
        "SGDClassifier; mlp, MLPClassifier with one hidden layer of "
        "--n-components units trained by backprop (the non-local baseline) "
        "(default: delta)",
    )
    accuracy.add_argument(
        "--readout",
        type=_json_object,
        default=None,
        metavar="JSON",
        help="readout parameters as JSON, e.g. '{\"max_iter\": 50}'; they "
        "replace the method's defaults (Krotov's methods: the paper's "
        "power/tanh readout with Adam)",
    )
    accuracy.add_argument(
        "--n-labels",
        type=_integer(1),
        default=None,
        metavar="N",
        help="few labels: the readout sees only this many labelled images "
        "(class-balanced), the front end all images without labels",
    )
    accuracy.add_argument(
        "--centre",
        default=None,
        choices=CENTRINGS,
        help="override the method's centring: 'pixel' removes each pixel's "
        "training mean (Illing's front ends), 'image' each image's own mean, "
        "'none' keeps raw pixels (Krotov's rule)",
    )
    accuracy.add_argument(
        "--data-home",
        default=None,
        metavar="FOLDER",
        help="folder of the data set files (default: searched as "
        "skbio_plastic.datasets describes)",
    )
    _add_results_dir(accuracy, results_dir, "written to")

    speed = bench_commands.add_parser(
        "speed",
        help="time the kernels against plain numpy in one run",
        description="Time the kernels on MNIST-sized data beside plain numpy "
        "versions of the same algorithms, the machine's float32 GEMM peak and, "
        "for the spiking network, Brian2 (pip install '.[reference]'); write a "
        "JSON record.",
    )
    speed.add_argument(
        "--kernels",
        nargs="+",
        choices=KERNELS,
        default=list(KERNELS),
        help="lrp: l-RP transform of 784 pixels to 5000 units; delta: one "
        "online delta-rule epoch on 5000 features; krotov: one epoch of "
        "Krotov's rule with 2000 units; spiking: Illing's spiking l-RP network "
        "(784 -> 5000 -> 10 LIF neurons, 150 ms per image) in ours, plain numpy "
        "and Brian2 on the same MNIST images; diehl-cook: Diehl & Cook's STDP "
        "network (784 Poisson inputs -> 400 + 400 conductance-based neurons, "
        "350 + 150 ms per image) trained in ours and Brian2 on the same images "
        "and input trains; mlp: the end-to-end baseline (2000 hidden units, 3 "
        "epochs on MNIST) beside scikit-learn's MLPClassifier, and its "
        "localized version; conv: the convolutional front end's transform "
        "(CIFAR-sized images, 96 filters) in parts, against the GEMM peak and "
        "numpy; classic: the fit of l-Sanger and l-Oja beside l-PCA's on MNIST "
        "(default: all)",
    )
    speed.add_argument(
        "--data-home",
        default=None,
        metavar="FOLDER",
        help="folder of the MNIST files for the spiking and mlp kernels (default: "
        "searched as skbio_plastic.datasets describes; scikit-learn's digits "
        "upsampled to 28 x 28 when none is found)",
    )
    _add_results_dir(speed, results_dir, "written to")

    table = bench_commands.add_parser(
        "table",
        help="markdown page of the accuracy records",
        description="Render the accuracy records as a markdown page: the best "
        "test record of each method and data set beside the published number, "
        "or with --sweeps every record.",
    )
    _add_results_dir(table, results_dir, "read from")
    table.add_argument(
        "--sweeps",
        action="store_true",
        help="list every record, validation runs included, instead of the "
        "best test record per method",
    )
    table.add_argument(
        "--output",
        default=None,
        metavar="FILE",
        help="write the page here (e.g. doc/results.md) instead of printing it",
    )
    for command in (accuracy, speed, table):
        command.set_defaults(subparser=command)
    return parser


def main(argv=None, prog="skbio-plastic"):
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``).

    Returns the exit code; mistakes in the arguments exit with status 2 and
    a message, as argparse does.
    """
    parser = _parser(prog)
    args = parser.parse_args(argv)
    if args.command is None:
        if args.plot is not None and importlib.util.find_spec("matplotlib") is None:
            parser.error(f"--plot {PLOT_HINT}")
        demo(args.plot)
        return 0
    if args.plot is not None:
        parser.error("--plot belongs to the demo (no command)")
    if args.bench_command == "accuracy" and args.patch_size is not None:
        from .bench.accuracy import METHODS

        if not METHODS[args.method].localized:
            localized = ", ".join(name for name, m in METHODS.items() if m.localized)
            args.subparser.error(
                f"--patch-size applies to the localized methods ({localized}), "
                f"not to {args.method}"
            )
    try:
        _bench(args)
    except (ValueError, FileNotFoundError) as error:
        # What the checks, the estimators and the data loaders raise for
        # parameters, data or folders that the user named.
        args.subparser.error(str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main(prog="python -m skbio_plastic"))
